/**
 * The CLI test files drive the CLI through test/helpers/cli.ts: bin/airsign.js under this Node, or
 * the executable named by AIRSIGN_TEST_CLI_EXECUTABLE (scripts/test-ci.sh runs them a second time
 * against the linux-x64 release binary). This checks that the run really is the one named, so a
 * second pass cannot silently test the npm CLI again.
 */
import { expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

// Read here, not from the helper, so a helper that ignores the variable fails this test.
const named = process.env['AIRSIGN_TEST_CLI_EXECUTABLE'] || undefined;

it(`the CLI under test is ${named ?? 'bin/airsign.js under this Node'}`, () => {
  const r = runCli(['version', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { build: string; node: string };
  if (named === undefined) {
    expect(report).toMatchObject({ build: 'npm', node: process.versions.node });
  } else {
    expect(report.build).toBe('single-file');
  }
});
