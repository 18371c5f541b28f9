#!/usr/bin/env bash
# Measures `airsign sign` (issue 4 targets), all in one run on this machine:
#   1. stripped single-platform sample signed with BOTH Notation formats by a SoftHSM P-256 key
#      (whole process: node start, module load, login, 2 signatures, atomic write) — median wall
#      time of N runs and its ratio to `node -e ''` measured in the same run;
#   2. one-shot signing (no strip) of a 2 GiB sample with a file key: median wall time vs
#      `openssl dgst -sha256` over the same file (target ≤ 1.5x), peak RSS from /usr/bin/time -v
#      (target < 100 MiB).
# Options (or environment):
#   --dir DIR      scratch directory (AIRSIGN_BENCH_DIR, default .bench/ in the repo; gitignored)
#   --size SIZE    big sample size (BENCH_SIZE, default 2GiB)
#   --runs N       runs per step (BENCH_RUNS, default 5 for step 1, 3 for step 2)
#   --skip-big     only step 1
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${AIRSIGN_BENCH_DIR:-$ROOT/.bench}
SIZE=${BENCH_SIZE:-2GiB}
RUNS=${BENCH_RUNS:-}
SKIP_BIG=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --skip-big) SKIP_BIG=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-sign: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
BENCH_NAME=bench-sign
source scripts/bench-lib.sh
bench_require /usr/bin/time openssl node softhsm2-util pkcs11-tool p11tool
bench_work "$DIR" sign-work
bench_build

# ---- a SoftHSM token with a P-256 key and a Notation-valid chain; a file key with its own ----
bench_softhsm_signer
(
  cd "$WORK"
  openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile leaf.ext -out file-leaf.pem 2>/dev/null
  cat file-leaf.pem root.pem > file-chain.pem
)
sleep 1 # the certificates' notBefore is "now"

# ---- 1. stripped single-platform sample, both Notation formats, SoftHSM ----
N1=${RUNS:-5}
cp samples/single.tar "$WORK/single.tar"
"${AIRSIGN[@]}" strip "$WORK/single.tar" --directory "$WORK/layers" >/dev/null
node_times=(); sign_times=()
for i in $(seq 1 "$N1"); do
  node_times+=("$(wall node -e '')")
  sign_times+=("$(wall "${AIRSIGN[@]}" sign "$WORK/single.tar" --key "$KEY_URI" --cert "$WORK/hsm-chain.pem" \
    --format notation --format notation-cose --output "$WORK/signed.tar")")
done
NODE_MED=$(printf '%s\n' "${node_times[@]}" | median)
SIGN_MED=$(printf '%s\n' "${sign_times[@]}" | median)
echo "stripped single-platform, notation + notation-cose, SoftHSM P-256 ($N1 runs):"
echo "  node -e ''          median ${NODE_MED}s  (runs: ${node_times[*]})"
echo "  airsign sign        median ${SIGN_MED}s  (runs: ${sign_times[*]})"
echo "  ratio sign / node -e '': $(awk -v a="$SIGN_MED" -v b="$NODE_MED" 'BEGIN { printf "%.2f", a / b }')"

[ "$SKIP_BIG" = 1 ] && exit 0

# ---- 2. one-shot signing of the big sample ----
N2=${RUNS:-3}
BIG=$(bench_sample "$SIZE")
BYTES=$(stat -c %s "$BIG")
openssl dgst -sha256 "$BIG" >/dev/null # warm the page cache like every following step
dgst_times=(); big_times=(); rss=()
for i in $(seq 1 "$N2"); do
  dgst_times+=("$(wall openssl dgst -sha256 "$BIG")")
  rm -f "$WORK/big-signed.tar"
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time.txt" "${AIRSIGN[@]}" sign "$BIG" --key "$WORK/file.key" --cert "$WORK/file-chain.pem" \
    --format notation --format notation-cose --reference big --output "$WORK/big-signed.tar" >"$WORK/last.log" 2>&1 \
    || { cat "$WORK/last.log" "$WORK/time.txt" >&2; exit 1; }
  end=$(date +%s.%N)
  big_times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }')")
  rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")")
  rm -f "$WORK/big-signed.tar"
done
DGST_MED=$(printf '%s\n' "${dgst_times[@]}" | median)
BIG_MED=$(printf '%s\n' "${big_times[@]}" | median)
MAX_RSS=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
echo "one-shot sign of $SIZE ($BYTES bytes), file key, notation + notation-cose, --output ($N2 runs):"
echo "  openssl dgst -sha256  median ${DGST_MED}s  (runs: ${dgst_times[*]})"
echo "  airsign sign          median ${BIG_MED}s  (runs: ${big_times[*]})"
echo "  ratio sign / openssl: $(awk -v a="$BIG_MED" -v b="$DGST_MED" 'BEGIN { printf "%.2f", a / b }')  (target <= 1.5)"
echo "  peak RSS: $((MAX_RSS / 1024)) MiB (max of runs: ${rss[*]} KiB; target < 100 MiB)"
echo "  load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
