/**
 * The library/CLI boundary, checked on the sources: the library (src/ outside src/cli/) never
 * imports the CLI, never touches process state (environment, stdin/stdout/stderr, exit hooks), and
 * keys/ and x509/ do not import each other both ways.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Source text without comments (a comment may name process.env). */
function code(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

// src/release/ is the single-file executable's entry: like the CLI, it may read the environment.
const library = sources(SRC).filter((f) => !relative(SRC, f).startsWith('cli/') && !relative(SRC, f).startsWith('release/'));

/** Relative paths (from src/) of the modules a file imports, statically or dynamically. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

describe('library boundary', () => {
  it('finds the sources it checks', () => {
    expect(library.length).toBeGreaterThan(50);
    expect(library.some((f) => f.endsWith('keys/secret-source.ts'))).toBe(true);
  });

  it('no library module imports from src/cli/', () => {
    const offenders = library.filter((f) => importsOf(f).some((i) => i.startsWith('cli/')));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('no library module reads the environment, the standard streams or installs process hooks', () => {
    const forbidden = /process\.(env|stdin|stdout|stderr|once|on|exit|exitCode|argv|cwd)\b/;
    const offenders = library.filter((f) => forbidden.test(code(f)));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('keys/ and x509/ do not import each other both ways (shared types live in key-backend.ts)', () => {
    const crosses = (from: string, to: string) =>
      library.filter((f) => relative(SRC, f).startsWith(`${from}/`) && importsOf(f).some((i) => i.startsWith(`${to}/`)));
    const both = crosses('keys', 'x509').length > 0 && crosses('x509', 'keys').length > 0;
    expect(crosses('x509', 'keys').map((f) => relative(SRC, f))).toEqual([]);
    expect(both).toBe(false);
  });
});
