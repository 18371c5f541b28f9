/**
 * `--lock-wait <seconds>` on the commands that replace a file another run may be changing: 0 fails
 * at once with LAYOUT_LOCKED naming the holder, a short wait fails after that wait, and a bad value
 * is a usage error. The lock is held by this test process (alive, on this host), so it is never
 * taken for stale.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lockPathFor } from '../../../src/fs/file-lock.js';
import { HOST_TAG } from '../../../src/fs/temp-files.js';
import { runCli } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SINGLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const work = tempDir('airsign-lock-wait-');
let input: string;
let chain: TestChain;

beforeAll(() => {
  input = join(work, 'image.tar');
  copyFileSync(SINGLE, input);
  writeFileSync(lockPathFor(input), JSON.stringify({ pid: process.pid, host: HOST_TAG, hostname: hostname(), token: 'held-by-the-test' }));
  chain = makeTestChain('ec-p256', { dir: work });
});

function timed(args: string[]): { code: number; stderr: string; seconds: number } {
  const start = process.hrtime.bigint();
  const r = runCli(args);
  return { code: r.code, stderr: r.stderr, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

describe('--lock-wait', () => {
  const before = () => readFileSync(input);

  it('0 fails at once with LAYOUT_LOCKED naming this process, input untouched', () => {
    const bytes = before();
    for (const args of [
      ['strip', input, '-d', join(work, 'layers'), '--lock-wait', '0'],
      ['sign', input, '--key', chain.keyPath, '--cert', chain.chainPath, '--format', 'notation', '--lock-wait', '0'],
    ]) {
      const r = runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/is being changed by process/);
      expect(r.stderr).toContain(`process ${process.pid}`);
      // It never started waiting: the CLI says "waiting for process …" when it does (next case), so
      // no clock is needed to tell an immediate failure from the default 5-minute wait.
      expect(r.stderr).not.toMatch(/waiting for process/);
    }
    expect(readFileSync(input).equals(bytes)).toBe(true);
  });

  it('a short wait waits that long, then fails', () => {
    const r = timed(['repack', input, '-d', join(work, 'layers'), '--lock-wait', '1.5']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`waiting for process ${process.pid} on ${hostname()} to finish with ${input}`);
    expect(r.stderr).toMatch(/is being changed by process/);
    // A lower bound only: a loaded machine can make it longer, never shorter.
    expect(r.seconds).toBeGreaterThanOrEqual(1.5);
  });

  it('a negative or non-numeric value is a usage error', () => {
    for (const value of ['-1', 'soon']) {
      const r = timed(['strip', input, '-d', join(work, 'layers'), '--lock-wait', value]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--lock-wait');
    }
  });
});
