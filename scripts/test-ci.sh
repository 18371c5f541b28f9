#!/usr/bin/env bash
# `npm run test:ci`: installs everything the tests need on a fresh machine, builds, type-checks src
# and test (tsc --noEmit), lints (eslint, zero findings), runs the whole suite, and ends with the
# plain line "N passed, N failed". A failed type-check or lint counts as one failure each (named
# on the line before), so the run exits non-zero. Exits non-zero on any failure or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
npm ci --no-audit --no-fund || exit 1
npm run build || exit 1
failed_checks=()
npm run typecheck || failed_checks+=(typecheck)
npm run lint || failed_checks+=(lint)
rm -f test-results.json
# dist/ is built: the suite's global setup need not build it again.
AIRSIGN_TEST_SKIP_BUILD=1 npx vitest run --reporter=default --reporter=json --outputFile=test-results.json
status=$?
FAILED_CHECKS="${failed_checks[*]}" node scripts/test-ci-summary.mjs test-results.json || exit 1
exit $status
