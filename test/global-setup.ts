/**
 * Gives the whole test run one private temporary directory (TMPDIR, inherited by every worker and
 * every peer the tests start) and removes it at the end, so a run leaves nothing in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'airsign-test-'));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.AIRSIGN_KEEP_TEST_TMP === undefined) rmSync(dir, { recursive: true, force: true });
  };
}
