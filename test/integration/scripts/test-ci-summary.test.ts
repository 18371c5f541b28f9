/**
 * scripts/test-ci-summary.mjs, the end of `npm run test:ci`: the last line is exactly
 * "N passed, N failed", and a failed type-check or lint counts (visibly) as a failure and makes the
 * run exit non-zero even when every test passed.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/test-ci-summary.mjs', import.meta.url));
const tmp = tempDir('airsign-ci-summary-');

function summary(results: object | undefined, failedChecks: string, vitestStatus = 0): { code: number; lines: string[] } {
  const path = join(tmp, `r-${Math.random().toString(16).slice(2)}.json`);
  if (results !== undefined) writeFileSync(path, JSON.stringify(results));
  const r = spawnSync(process.execPath, [SCRIPT, path], { encoding: 'utf8', env: { ...process.env, FAILED_CHECKS: failedChecks, VITEST_STATUS: String(vitestStatus) } });
  return { code: r.status ?? -1, lines: r.stdout.trimEnd().split('\n') };
}

const green = { numPassedTests: 7, numFailedTests: 0, numFailedTestSuites: 0, numTotalTests: 7, success: true, testResults: [] };

describe('test-ci summary', () => {
  it('all green: last line "7 passed, 0 failed", exit 0', () => {
    const r = summary(green, '');
    expect(r.lines.at(-1)).toBe('7 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('a failed lint or type-check is counted and named, and the run fails', () => {
    const lint = summary(green, 'lint');
    expect(lint.lines.slice(-2)).toEqual(['1 check(s) failed: lint', '7 passed, 1 failed']);
    expect(lint.code).toBe(1);
    const both = summary(green, 'typecheck lint');
    expect(both.lines.slice(-2)).toEqual(['2 check(s) failed: typecheck lint', '7 passed, 2 failed']);
    expect(both.code).toBe(1);
  });

  it('a test file that failed to load counts as a failure', () => {
    const r = summary({ ...green, numFailedTestSuites: 1, success: false, testResults: [{ status: 'failed', assertionResults: [] }] }, '');
    expect(r.lines.slice(-3)).toEqual(['failed to load: ?', '1 test file(s) failed to load', '7 passed, 1 failed']);
    expect(r.code).toBe(1);
  });

  it('each failed test is named (file > test) just before the summary, where a cut CI log still shows it', () => {
    const file = join(process.cwd(), 'test/integration/x.test.ts');
    const results = {
      ...green,
      numPassedTests: 6,
      numFailedTests: 1,
      success: false,
      testResults: [{ name: file, status: 'failed', assertionResults: [{ status: 'passed', fullName: 'x ok' }, { status: 'failed', fullName: 'x breaks' }] }],
    };
    const r = summary(results, '', 1);
    expect(r.lines.slice(-2)).toEqual(['failed: test/integration/x.test.ts > x breaks', '6 passed, 1 failed']);
    expect(r.code).toBe(1);
  });

  it('an unhandled error with every test passed counts as a failure, named', () => {
    const r = summary(green, '', 1); // vitest exits 1; its JSON report still says success
    expect(r.lines.slice(-2)).toEqual(['vitest failed the run for an error outside any test (unhandled error or rejection, printed above)', '7 passed, 1 failed']);
    expect(r.code).toBe(1);
  });

  it('no results file: "0 passed, 1 failed" plus the failed checks', () => {
    const r = summary(undefined, 'lint');
    expect(r.lines.at(-1)).toBe('0 passed, 2 failed');
    expect(r.code).toBe(1);
  });
});
