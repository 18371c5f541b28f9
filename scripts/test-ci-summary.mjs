#!/usr/bin/env node
// The end of `npm run test:ci` (scripts/test-ci.sh): reads vitest's JSON results and prints the
// summary whose last line is exactly "N passed, N failed". A test file that failed to load, a run
// that vitest failed without any failed test (an unhandled error or rejection, printed above by
// vitest), and each failed check named in FAILED_CHECKS (space-separated: typecheck, lint) count
// as one failure each, named on a line before. Exits 1 on any failure or when no test ran.
// VITEST_STATUS is vitest's exit code: its JSON report does not record unhandled errors.
//
//   VITEST_STATUS=0 FAILED_CHECKS="lint" node scripts/test-ci-summary.mjs test-results.json
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const checks = (process.env.FAILED_CHECKS ?? '').split(' ').filter(Boolean);
const path = process.argv[2] ?? 'test-results.json';
const checksLine = () => {
  if (checks.length > 0) console.log(`${checks.length} check(s) failed: ${checks.join(' ')}`);
};
if (!existsSync(path)) {
  checksLine();
  console.log(`0 passed, ${1 + checks.length} failed`);
  console.error('test-ci: vitest wrote no results');
  process.exit(1);
}
const r = JSON.parse(readFileSync(path, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
if (skipped > 0) console.log(`${skipped} skipped`);
// Name each failed test near the end, where a CI log cut to its tail still shows it.
const failedTests = (r.testResults ?? []).flatMap((f) =>
  (f.assertionResults ?? [])
    .filter((a) => a.status === 'failed')
    .map((a) => `${relative(process.cwd(), f.name ?? '?')} > ${a.fullName ?? a.title}`),
);
for (const name of failedTests.slice(0, 20)) console.log(`failed: ${name}`);
if (failedTests.length > 20) console.log(`failed: … and ${failedTests.length - 20} more`);
// A test file that failed to load has no test results of its own: count each as one failure.
const filesNotLoaded = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0);
for (const f of filesNotLoaded) console.log(`failed to load: ${relative(process.cwd(), f.name ?? '?')}`);
const loadFailures = filesNotLoaded.length;
if (loadFailures > 0) console.log(`${loadFailures} test file(s) failed to load`);
// vitest fails the run for errors outside any test (unhandled errors and rejections) while every
// test passed, and its JSON report does not say so: without this the last line would read
// "N passed, 0 failed" on a failed run.
const vitestFailed = (process.env.VITEST_STATUS ?? '0') !== '0' || !r.success;
const runErrors = vitestFailed && r.numFailedTests === 0 && loadFailures === 0 ? 1 : 0;
if (runErrors > 0) console.log('vitest failed the run for an error outside any test (unhandled error or rejection, printed above)');
checksLine();
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + loadFailures + runErrors + checks.length} failed`);
if (r.numTotalTests === 0) {
  console.error('test-ci: no test ran');
  process.exit(1);
}
if (checks.length > 0 || r.numFailedTests > 0 || r.numFailedTestSuites > 0 || vitestFailed) process.exit(1);
