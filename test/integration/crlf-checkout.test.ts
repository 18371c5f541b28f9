/**
 * A Windows clone (git's core.autocrlf=true) checks out every file byte for byte as committed:
 * scripts keep LF, fixtures keep the bytes their digests and signatures were made over. Then the
 * unit tests and `node scripts/demo.mjs` see the same files there as here (issue 11; .gitattributes).
 * Clones the current commit of this checkout; skipped when the tests do not run in a git checkout.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers/temp-dir.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function git(args: string[], cwd: string, input?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'], ...(input === undefined ? {} : { input }) });
}

const inGit = (() => {
  try {
    return git(['rev-parse', '--is-inside-work-tree'], ROOT).trim() === 'true';
  } catch {
    return false;
  }
})();

describe('a clone with core.autocrlf=true', () => {
  it.skipIf(!inGit)('checks out every committed file unchanged (.gitattributes keeps LF and byte-exact fixtures)', () => {
    const dir = testTempDir('airsign-crlf-');
    const clone = join(dir, 'clone');
    git(['-c', 'core.autocrlf=true', 'clone', '-q', '--config', 'core.autocrlf=true', ROOT, clone], dir);
    const staged = git(['ls-files', '-s', '-z'], clone).split('\0').filter((l) => l !== '').map((line) => {
      const [meta, path] = line.split('\t') as [string, string];
      return { path, blob: meta.split(' ')[1]! };
    });
    expect(staged.length).toBeGreaterThan(100);
    // The blob ids of the checked-out bytes, with no conversion: equal to the committed ones.
    const onDisk = git(['hash-object', '--no-filters', '--stdin-paths'], clone, staged.map((s) => s.path).join('\n')).trim().split('\n');
    const changed = staged.filter((s, i) => onDisk[i] !== s.blob).map((s) => s.path);
    expect(changed).toEqual([]);
  });
});
