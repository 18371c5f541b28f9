/**
 * Runs once before any test file: builds dist/ (the CLI the tests run) so that no test, script or
 * worker has to compile it while another worker runs the CLI from it, and gives the whole test run
 * one private temporary directory (TMPDIR, and TEMP/TMP for Windows; inherited by every worker and every peer the tests
 * start), removed at the end, so a run leaves nothing in /tmp.
 *
 * AIRSIGN_TEST_SKIP_BUILD=1 skips the build (scripts/test-ci.sh has just built); the build is
 * incremental (tsconfig.build.json), so a run with no source change compiles nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function buildDist(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed (tsc -p tsconfig.build.json exited ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  // The CLI bundle bin/airsign.js starts from (dist/airsign.cjs), as `npm run build` makes it.
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'release-bundle.mjs'), '--npm'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`bundling dist/airsign.cjs failed (exit ${b.status ?? b.signal}):\n${b.stdout}${b.stderr}`);
}

export default function setup(): () => void {
  if (process.env.AIRSIGN_TEST_SKIP_BUILD !== '1') buildDist();
  const dir = mkdtempSync(join(tmpdir(), 'airsign-test-'));
  // os.tmpdir() reads TMPDIR on POSIX and TEMP/TMP on Windows: set all three.
  process.env.TMPDIR = dir;
  process.env.TEMP = dir;
  process.env.TMP = dir;
  return () => {
    if (process.env.AIRSIGN_KEEP_TEST_TMP === undefined) rmSync(dir, { recursive: true, force: true });
  };
}
