#!/usr/bin/env bash
# `npm run test:ci`: installs everything the tests need on a fresh machine, builds, type-checks src
# and test (tsc --noEmit), lints (eslint, zero findings), runs the whole suite, and ends with the
# plain line "N passed, N failed". A failed type-check or lint counts as one failure each (named
# on the line before), so the run exits non-zero. Exits non-zero on any failure or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh || exit 1
# The oras cp -r stand-in (built from oras-go source that the workplace ships beside the clone, in
# its shared folder) lets the registry tests push and pull through a real registry (docker-registry
# on 127.0.0.1). Without it those tests are skipped, and this says why.
WORKPLACE_SHARED="$(cd .. && pwd)/shared"
if [ -n "${AIRSIGN_ORASCHECK:-}" ]; then
  echo "test-ci: orascheck from AIRSIGN_ORASCHECK=$AIRSIGN_ORASCHECK"
elif [ -f "$WORKPLACE_SHARED/tools/orascheck/build.sh" ]; then
  if ORAS_BIN=$(bash "$WORKPLACE_SHARED/tools/orascheck/build.sh" 2>/tmp/orascheck-build.log); then
    export AIRSIGN_ORASCHECK="$ORAS_BIN"
    echo "test-ci: orascheck at $AIRSIGN_ORASCHECK"
  else
    echo "test-ci: orascheck did not build (see /tmp/orascheck-build.log): the registry tests (oras cp -r) will be skipped" >&2
  fi
else
  echo "test-ci: no $WORKPLACE_SHARED/tools/orascheck beside the clone and no AIRSIGN_ORASCHECK: the registry tests (oras cp -r) will be skipped" >&2
fi
npm ci --no-audit --no-fund || exit 1
npm run build || exit 1
failed_checks=()
npm run typecheck || failed_checks+=(typecheck)
npm run lint || failed_checks+=(lint)
# The single-file release (release/, test/release/ runs it), the Node-less Debian roots its tests
# chroot into, with SoftHSM inside, and Debian's arm64 SoftHSM for the qemu run (both cached outside
# the clone in /var/cache/airsign-test, remade when their package lists change). Node binaries and
# the wine prefix are cached in AIRSIGN_RELEASE_CACHE (default ~/.cache/airsign-release). About 5 min on this 2-core
# machine (the arm64 and win-x64 code caches are made under qemu and wine). A failure here counts
# as one failure and the release tests then skip, saying why.
# The roots and the arm64 SoftHSM are mostly downloads and unpacking, the release mostly CPU, so
# on a new machine they are made at the same time.
release_started=$(date +%s)
( bash scripts/release-roots.sh bookworm bullseye > /tmp/airsign-release-roots.log 2>&1 ) & roots_pid=$!
( bash scripts/release-arm64-softhsm.sh > /tmp/airsign-arm64-softhsm.log 2>&1 ) & softhsm_pid=$!
npm run release > /tmp/airsign-release-build.log 2>&1 || { echo "test-ci: npm run release failed (see /tmp/airsign-release-build.log)" >&2; failed_checks+=(release); }
echo "test-ci: release built in $(( $(date +%s) - release_started )) s"
# Reproducible (issue 18): linux-x64 built a second time must come out byte for byte the same
# (its code cache is trained by running commands; see scripts/release-train-cache.mjs). About 20 s.
if [ -f release/SHA256SUMS ] && [[ " ${failed_checks[*]} " != *" release "* ]]; then
  first_build=$(grep -e '-linux-x64$' release/SHA256SUMS)
  if npm run release -- linux-x64 > /tmp/airsign-release-again.log 2>&1 && [ "$(grep -e '-linux-x64$' release/SHA256SUMS)" = "$first_build" ]; then
    echo "test-ci: release reproducible (linux-x64 built twice: ${first_build%% *})"
  else
    echo "test-ci: linux-x64 built twice differs: ${first_build%% *}, then $(grep -e '-linux-x64$' release/SHA256SUMS | cut -d' ' -f1) (see /tmp/airsign-release-again.log)" >&2
    failed_checks+=(release-reproducible)
  fi
fi
wait "$roots_pid" || { echo "test-ci: the Debian roots failed (see /tmp/airsign-release-roots.log)" >&2; failed_checks+=(release-roots); }
wait "$softhsm_pid" || { echo "test-ci: the arm64 SoftHSM fetch failed (see /tmp/airsign-arm64-softhsm.log)" >&2; failed_checks+=(release-arm64-softhsm); }
echo "test-ci: release and roots ready in $(( $(date +%s) - release_started )) s"
rm -f test-results.json
# dist/ is built: the suite's global setup need not build it again. The whole suite takes 6 min on
# an idle 2-core machine and under 30 min loaded; a vitest worker that stalls (seen once: a fork
# idle before its first report) is stopped at 50 min so the run still ends with its summary line
# inside CI's 90 min.
AIRSIGN_TEST_SKIP_BUILD=1 timeout --kill-after=30s 50m npx vitest run --reporter=default --reporter=json --outputFile=test-results.json
status=$?
[ "$status" -eq 124 ] && echo "test-ci: vitest ran past 50 min and was stopped" >&2
# The CLI test files a second time, against the linux-x64 release binary instead of bin/airsign.js
# (test/helpers/cli.ts runs AIRSIGN_TEST_CLI_EXECUTABLE): test/integration/cli and the files whose
# every CLI run goes through those helpers; cli-under-test.test.ts checks the binary is what ran.
# Not here: not-installed (it tests the npm package's files), startup-modules (Node's module hooks),
# and, for CI time, five slow format matrices that pass against the binary too (tamper-matrix,
# verify-layout-formats, notation-verify, sign-targets, cosign-formats). In key-cli, the two cases
# that block the npm package's koffi through NODE_OPTIONS skip themselves: the executable embeds
# koffi and ignores NODE_OPTIONS (test/release/ proves both). A failure counts as one failed check, "cli-on-binary".
CLI_ON_BINARY_FILES=(
  test/integration/cli/cli-under-test.test.ts
  test/integration/cli/completion.test.ts
  test/integration/cli/hostile-input-cli.test.ts
  test/integration/cli/json-schema-version.test.ts
  test/integration/cli/lock-wait.test.ts
  test/integration/cli/missing-file-words.test.ts
  test/integration/cli/one-cli.test.ts
  test/integration/cli-harness.test.ts
  test/integration/cert/cert-create.test.ts
  test/integration/gpg/gpg-bad-input.test.ts
  test/integration/gpg/gpg-expiry.test.ts
  test/integration/gpg/gpg-registry.test.ts
  test/integration/keys/pin-leak.test.ts
  test/integration/layout/hostile-graph.test.ts
  test/integration/notation/notation-crl-cli.test.ts
  test/integration/openpgp/openpgp-hsm.test.ts
  test/integration/sign/cosign-registry.test.ts
  test/integration/sign/cosign-softhsm.test.ts
  test/integration/sign/sign-softhsm.test.ts
  test/integration/sign/sign-windows-pin-files.test.ts
  test/integration/verify/containers-policy.test.ts
  test/integration/verify/verify-layout-sigstore.test.ts
  test/integration/verify/verify-registry-roundtrip.test.ts
  test/integration/verify/verify-signature.test.ts
  test/integration/sign/sign-cli.test.ts
  test/integration/keys/key-cli.test.ts
  test/integration/keys/pkcs11-many-jobs.test.ts
  test/integration/layout/layout-cli.test.ts
  test/integration/layout/bad-input.test.ts
  test/integration/layout/file-safety.test.ts
  test/integration/layout/interrupts.test.ts
  test/integration/layout/sigkill-loop.test.ts
  test/integration/layout/concurrent-runs.test.ts
  test/integration/layout/large-blobs.test.ts
  test/integration/verify/notation-timestamp.test.ts
  test/integration/gpg/gpg-sign.test.ts
)
binary="release/airsign-$(node -p 'require("./package.json").version')-linux-x64"
if [ -x "$binary" ]; then
  cli_started=$(date +%s)
  AIRSIGN_TEST_SKIP_BUILD=1 AIRSIGN_TEST_CLI_EXECUTABLE="$binary" timeout --kill-after=30s 20m npx vitest run "${CLI_ON_BINARY_FILES[@]}" || failed_checks+=(cli-on-binary)
  echo "test-ci: the ${#CLI_ON_BINARY_FILES[@]} CLI test files against $binary took $(( $(date +%s) - cli_started )) s"
else
  echo "test-ci: no $binary: the CLI test files did not run against the binary" >&2; failed_checks+=(cli-on-binary)
fi
VITEST_STATUS=$status FAILED_CHECKS="${failed_checks[*]}" node scripts/test-ci-summary.mjs test-results.json || exit 1
exit $status
