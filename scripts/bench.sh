#!/usr/bin/env bash
# `npm run bench`: generates deterministic buildx-shaped samples (four layers over two platforms;
# 1 GiB and 2 GiB by default) in a scratch directory and measures, in the same run and on the same
# files (issue 19's table):
#   openssl dgst -sha256 FILE        one hash pass over every byte: the floor for a verifying tool
#   airsign strip  --output          layers out to a directory + metadata-only tar (fsync'd)
#   airsign repack --output          layers back in from the directory (fsync'd)
#   airsign sign   --output          the full tar, one format (notation), a SoftHSM P-256 key (fsync'd)
#   airsign verify                   the signed full tar: every blob and the Notation signature
# With --floors also:
#   cp FILE                          one plain copy (no fsync)
#   cp FILE && sync FILE             the same copy made durable: the floor for a tool that fsyncs
#   dd oflag=direct bs=4M            a copy straight to the disk: the floor for airsign's direct writes
#   engine copy                      openLayout + writeLayout, no changes (scripts/bench/engine-copy.mjs)
#   skopeo copy --all oci-archive:IN:big oci-archive:OUT:big
# Each as the median wall time of N runs, its ratio to openssl (and cp, skopeo) at the same size, the
# target of issue 19, median CPU time (user+sys, which other load disturbs less than wall time) and
# peak RSS ("Maximum resident set size" from /usr/bin/time -v), with the load average at the start
# and end of each size. Every input is read once before its step (warm page cache for all, as for
# openssl); removing the previous output is not timed. Prints a table and writes
# DIR/bench-results.json.
#
# Options (or environment):
#   --dir DIR        scratch directory (AIRSIGN_BENCH_DIR, default .bench/ in the repo; gitignored)
#   --sizes "A B"    sample sizes (BENCH_SIZES, default "1GiB 2GiB")
#   --runs N         runs per step (BENCH_RUNS, default 5)
#   --floors         also the copy floors and skopeo (BENCH_FLOORS=1)
#   --keep           keep the outputs (samples are always kept and reused when already generated)
#   --no-build       use dist/ as it is (BENCH_NO_BUILD=1); the tests use this, since compiling
#                    dist/ while another test runs the CLI from it breaks that test
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DIR=${AIRSIGN_BENCH_DIR:-$ROOT/.bench}
SIZES=${BENCH_SIZES:-"1GiB 2GiB"}
RUNS=${BENCH_RUNS:-5}
FLOORS=${BENCH_FLOORS:-0}
KEEP=0
NO_BUILD=${BENCH_NO_BUILD:-0}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --floors) FLOORS=1; shift ;;
    --keep) KEEP=1; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "bench: --runs must be a positive integer" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] || { echo "bench: --runs must be a positive integer" >&2; exit 2; }

BENCH_NAME=bench
source scripts/bench-lib.sh
bench_require /usr/bin/time openssl node softhsm2-util pkcs11-tool p11tool
[ "$FLOORS" = 1 ] && bench_require skopeo

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK="$DIR/work"
TSV="$DIR/runs.tsv"
LOG="$DIR/step.log"
TIMES="$DIR/time.txt"

if [ "$NO_BUILD" = 1 ]; then
  [ -f dist/cli/main.js ] || { echo "bench: --no-build but dist/ is not built (npm run build)" >&2; exit 2; }
else
  # The whole build: bin/airsign.js runs the bundle (dist/airsign.cjs) when there is one.
  echo "bench: building dist/" >&2
  npm run --silent build >&2
fi

AIRSIGN=(node "$ROOT/bin/airsign.js")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
FAILED=()
printf '# size\tbytes\tstep\trun\tseconds\trss_kib\tcpu_seconds\n' > "$TSV"
LOADS="$DIR/loads.tsv"
: > "$LOADS"

# The signing key: a SoftHSM token with a P-256 key and a Notation-valid chain (made once per run),
# and the Notation trust policy and store that verify the signatures it makes.
HSM="$DIR/hsm"
rm -rf "$HSM"
mkdir -p "$HSM"
trap 'rm -rf "$HSM"' EXIT
WORK="$HSM"
bench_softhsm_signer
WORK="$DIR/work"
mkdir -p "$HSM/store/x509/ca/bench"
cp "$HSM/root.pem" "$HSM/store/x509/ca/bench/"
cat > "$HSM/policy.json" <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"bench","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:bench"],"trustedIdentities":["*"]}]}
JSON
sleep 1 # the certificates' notBefore is "now"

# measure SIZE BYTES STEP PREPARE_COMMAND -- COMMAND...
measure() {
  local size=$1 bytes=$2 step=$3 prepare=$4
  shift 5
  local run t0 t1 secs rss cpu
  for run in $(seq 1 "$RUNS"); do
    eval "$prepare"
    sync
    t0=$(date +%s%N)
    if ! /usr/bin/time -v -o "$TIMES" "$@" >"$LOG" 2>&1; then
      echo "bench: $step ($size) failed: $(grep -v '^\s*$' "$LOG" | tail -n 3 | tr '\n' ' ')" >&2
      FAILED+=("$step@$size")
      return 0
    fi
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TIMES")
    cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ { t += $2 } END { printf "%.2f", t }' "$TIMES")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$bytes" "$step" "$run" "$secs" "$rss" "$cpu" >> "$TSV"
    printf 'bench: %-8s %-20s run %s: %8.3f s wall, %6.2f s CPU, peak RSS %6d KiB\n' "$size" "$step" "$run" "$secs" "$cpu" "$rss" >&2
  done
}

# The outputs must be what they claim: the same index.json and blob set as the input.
check() {
  local out="$WORK/$1.tar"
  [ -f "$out" ] || return 0
  if ! cmp -s <(tar -xOf "$sample" index.json) <(tar -xOf "$out" index.json) ||
     ! diff -q <(tar -tf "$sample" | grep '^blobs/sha256/.' | sort) <(tar -tf "$out" | grep '^blobs/sha256/.' | sort) >/dev/null; then
    echo "bench: $1.tar ($size) differs from the input in index.json or its blob set" >&2
    FAILED+=("check-$1@$size")
  fi
}
# Outputs go once measured (unless --keep), so the scratch space peaks near 4x the sample size.
drop() { [ "$KEEP" = 1 ] || rm -f "$WORK/$1.tar"; }

for size in $SIZES; do
  # Reuse a sample made earlier by the same generator version (it is deterministic).
  sample=$(bench_sample "$size")
  bytes=$(stat -c %s "$sample")
  rm -rf "$WORK"
  mkdir -p "$WORK"

  printf '%s\tstart\t%s\n' "$size" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADS"
  cat "$sample" > /dev/null
  measure "$size" "$bytes" openssl-sha256 ':' -- openssl dgst -sha256 "$sample"
  measure "$size" "$bytes" airsign-strip "rm -rf '$WORK/layers' '$WORK/stripped.tar'" -- \
    "${AIRSIGN[@]}" strip "$sample" --directory "$WORK/layers" --output "$WORK/stripped.tar"
  if [ -f "$WORK/stripped.tar" ]; then
    # strip's direct writes leave the layer files out of the page cache: warm them like the sample.
    cat "$WORK"/layers/sha256/* > /dev/null
    measure "$size" "$bytes" airsign-repack "rm -f '$WORK/repacked.tar'" -- \
      "${AIRSIGN[@]}" repack "$WORK/stripped.tar" --directory "$WORK/layers" --output "$WORK/repacked.tar"
    check repacked
    drop repacked
  fi
  [ "$KEEP" = 1 ] || rm -rf "$WORK/layers"
  measure "$size" "$bytes" airsign-sign "rm -f '$WORK/signed.tar'" -- \
    "${AIRSIGN[@]}" sign "$sample" --key "$KEY_URI" --cert "$HSM/hsm-chain.pem" --format notation --output "$WORK/signed.tar"
  if [ -f "$WORK/signed.tar" ]; then
    cat "$WORK/signed.tar" > /dev/null
    measure "$size" "$bytes" airsign-verify ':' -- \
      "${AIRSIGN[@]}" verify "$WORK/signed.tar" --trust-policy "$HSM/policy.json" --trust-store "$HSM/store"
  fi
  drop signed
  if [ "$FLOORS" = 1 ]; then
    measure "$size" "$bytes" cp "rm -f '$WORK/cp.tar'" -- cp "$sample" "$WORK/cp.tar"
    drop cp
    # The durable-copy floor: airsign fsyncs what it writes, so compare with a copy that does too.
    measure "$size" "$bytes" cp+fsync "rm -f '$WORK/cp.tar'" -- sh -c 'cp "$1" "$2" && sync "$2"' cp+fsync "$sample" "$WORK/cp.tar"
    drop cp
    measure "$size" "$bytes" dd-direct "rm -f '$WORK/dd.tar'" -- dd if="$sample" of="$WORK/dd.tar" bs=4M oflag=direct status=none
    rm -f "$WORK/dd.tar"
    measure "$size" "$bytes" airsign-engine-copy "rm -f '$WORK/copy.tar'" -- \
      node scripts/bench/engine-copy.mjs "$sample" "$WORK/copy.tar"
    check copy
    drop copy
    measure "$size" "$bytes" skopeo-copy "rm -f '$WORK/skopeo.tar'" -- \
      skopeo copy -q --all "oci-archive:$sample:big" "oci-archive:$WORK/skopeo.tar:big"
    drop skopeo
  fi
  printf '%s\tend\t%s\n' "$size" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOADS"
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
done

echo "" >&2
echo "airsign bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null), $(nproc) CPU(s), node $(node --version), $(openssl version | cut -d' ' -f1-2)$([ "$FLOORS" = 1 ] && echo ", skopeo $(skopeo --version | awk '{print $3}')"), median of $RUNS"
echo "(samples: four layers over two platforms; sign: notation, SoftHSM P-256 key; airsign strip/repack/sign$([ "$FLOORS" = 1 ] && echo " and cp+fsync") fsync their output. Page cache warm.)"
node scripts/bench/report.mjs "$TSV" "$DIR/bench-results.json" "$LOADS"
echo "results: $DIR/bench-results.json"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "bench: failed steps: ${FAILED[*]}" >&2
  exit 1
fi
