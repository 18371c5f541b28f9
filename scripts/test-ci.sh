#!/usr/bin/env bash
# `npm run test:ci`: installs everything the tests need on a fresh machine, builds, runs the whole
# suite, and ends with the plain line "N passed, N failed". Exits non-zero on any failure or when
# no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
npm ci --no-audit --no-fund || exit 1
npm run build || exit 1
rm -f test-results.json
npx vitest run --reporter=default --reporter=json --outputFile=test-results.json
status=$?
if [ ! -f test-results.json ]; then
  echo "0 passed, 1 failed"
  echo "test-ci: vitest wrote no results" >&2
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results.json", "utf8"));
  if (r.numPendingTests || r.numTodoTests) console.log(`${(r.numPendingTests || 0) + (r.numTodoTests || 0)} skipped`);
  // A test file that failed to load has no test results of its own: count each as one failure.
  const loadFailures = (r.testResults || []).filter((f) => f.status === "failed" && (f.assertionResults || []).length === 0).length;
  if (loadFailures > 0) console.log(`${loadFailures} test file(s) failed to load`);
  // The last line is exactly "N passed, N failed".
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + loadFailures} failed`);
  if (r.numTotalTests === 0) { console.error("test-ci: no test ran"); process.exit(1); }
  if (r.numFailedTests > 0 || r.numFailedTestSuites > 0 || !r.success) process.exit(1);
' || exit 1
exit $status
