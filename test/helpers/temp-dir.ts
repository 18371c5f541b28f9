/**
 * Scratch directories for tests, made under the test run's private TMPDIR (test/global-setup.ts) and
 * removed by vitest when their owner ends, so no test file writes its own mkdtemp/rm pair:
 * - tempDir: call at file or describe level; removed after that file's or describe's tests (afterAll).
 * - testTempDir: call inside a test (or beforeEach); removed when that test ends (onTestFinished).
 * AIRSIGN_KEEP_TEST_TMP=1 keeps them (as it keeps the run's TMPDIR) to look at after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

function make(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function remove(dir: string): void {
  if (process.env.AIRSIGN_KEEP_TEST_TMP === undefined) rmSync(dir, { recursive: true, force: true });
}

/** A new directory `<TMPDIR>/<prefix>XXXXXX`, removed after the enclosing file's or describe's tests. */
export function tempDir(prefix: string): string {
  const dir = make(prefix);
  afterAll(() => remove(dir));
  return dir;
}

/** A new directory `<TMPDIR>/<prefix>XXXXXX` for the running test, removed when it ends. */
export function testTempDir(prefix: string): string {
  const dir = make(prefix);
  onTestFinished(() => remove(dir));
  return dir;
}
