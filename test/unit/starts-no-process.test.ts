/**
 * test/unit means fast: no unit test starts a process. A test that runs the CLI, a peer (openssl,
 * gpg, go, python …) or a child of its own belongs in test/integration. This reads the import graph
 * of every file under test/unit, following relative imports through test helpers and src, and fails
 * on any path to node:child_process (or node:cluster) or to the CLI runner (test/helpers/cli.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNIT = join(ROOT, 'test', 'unit');
const CLI_RUNNER = join(ROOT, 'test', 'helpers', 'cli.ts');
const PROCESS_MODULES = new Set(['child_process', 'node:child_process', 'cluster', 'node:cluster']);

/** Every module a file loads: static and side-effect imports, re-exports, dynamic import() (not type-only imports, which load nothing). */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const loading = source.replace(/\b(?:import|export)\s+type\b[^;]*;/g, '');
  for (const m of loading.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

/** The .ts file a relative `.js` (or `.ts`, or extension-less) specifier names, or undefined for a package. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(from), specifier);
  if (target.endsWith('.js')) return `${target.slice(0, -3)}.ts`;
  if (target.endsWith('.ts') || target.endsWith('.mjs') || target.endsWith('.json')) return target;
  return `${target}.ts`;
}

/** The import chain from `file` to a process-starting module, or undefined when there is none. */
function pathToProcess(file: string, seen = new Map<string, string[] | null>()): string[] | undefined {
  if (file === CLI_RUNNER) return [relative(ROOT, file)];
  if (seen.has(file)) return seen.get(file) ?? undefined;
  seen.set(file, null);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined; // a .mjs/.json asset or a path the compiler would reject: nothing to follow
  }
  for (const specifier of specifiersOf(source)) {
    if (PROCESS_MODULES.has(specifier)) {
      const chain = [relative(ROOT, file), specifier];
      seen.set(file, chain);
      return chain;
    }
    const next = resolveRelative(file, specifier);
    const rest = next === undefined ? undefined : pathToProcess(next, seen);
    if (rest !== undefined) {
      const chain = [relative(ROOT, file), ...rest];
      seen.set(file, chain);
      return chain;
    }
  }
  return undefined;
}

function unitFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? unitFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('test/unit starts no process', () => {
  it('no file under test/unit reaches node:child_process or the CLI runner through its imports', () => {
    // This file names child_process in its own examples (below), as text: it starts nothing.
    const files = unitFiles(UNIT).filter((f) => f !== fileURLToPath(import.meta.url));
    expect(files.length).toBeGreaterThan(40);
    const seen = new Map<string, string[] | null>();
    const offenders = files.flatMap((f) => {
      const chain = pathToProcess(f, seen);
      return chain === undefined ? [] : [chain.join(' → ')];
    });
    expect(offenders, 'move these to test/integration (or use a helper that starts nothing)').toEqual([]);
  });

  it('reads imports in each form a test could use to reach a process, and skips type-only ones', () => {
    expect(specifiersOf([
      "import { spawn } from 'node:child_process';",
      "import * as cp from 'child_process';",
      "import type { CliResult } from '../helpers/cli.js';",
      "export { runCli } from '../helpers/cli.js';",
      "import '../helpers/side-effect.js';",
      "const { fork } = await import('node:child_process');",
      'import {\n  a,\n  b,\n} from "./multi-line.js";',
    ].join('\n'))).toEqual(['node:child_process', 'child_process', '../helpers/cli.js', '../helpers/side-effect.js', 'node:child_process', './multi-line.js']);
  });
});
