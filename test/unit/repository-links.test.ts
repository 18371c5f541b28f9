/**
 * The repository stands alone: no file points outside it (a clone has no ../shared or /work), and
 * every relative Markdown link resolves to a file in the repository. Sources are named by public
 * repository and path instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.bench']);
const TEXT = /\.(md|ts|mts|mjs|js|json|sh|py|txt|cnf|yml|yaml)$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return TEXT.test(e.name) && e.name !== 'package-lock.json' ? [path] : [];
  });
}

const all = files(ROOT);

describe('repository links', () => {
  it('scans the repository', () => {
    expect(all.some((f) => f.endsWith('README.md'))).toBe(true);
    expect(all.length).toBeGreaterThan(100);
  });

  it('no file refers to a path outside the repository', () => {
    const outside = /(\.\.\/shared\b|\/work\/shared|\/work\/wt\/|\/work\/main\b)/;
    const self = relative(ROOT, import.meta.filename);
    const offenders = all.filter((f) => relative(ROOT, f) !== self && outside.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('every relative Markdown link resolves inside the repository', () => {
    const broken: string[] = [];
    for (const file of all.filter((f) => f.endsWith('.md'))) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = resolve(dirname(file), target!.split('#')[0]!);
        if (relative(ROOT, path).startsWith('..') || !existsSync(path)) broken.push(`${relative(ROOT, file)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
