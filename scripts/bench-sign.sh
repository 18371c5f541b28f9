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
for tool in /usr/bin/time openssl node softhsm2-util pkcs11-tool p11tool; do
  command -v "$tool" >/dev/null || { echo "bench-sign: $tool not found (scripts/install-test-deps.sh installs the peers)" >&2; exit 2; }
done
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -f "$SOFTHSM_MODULE" ] || SOFTHSM_MODULE=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK="$DIR/sign-work"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

echo "bench-sign: building dist/" >&2
npx tsc -p tsconfig.build.json
AIRSIGN=(node "$ROOT/bin/airsign.js")

# wall SECONDS of a command (stdout/stderr to a log); fails loudly
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/last.log" 2>&1 || { echo "bench-sign: failed: $*" >&2; cat "$WORK/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }

# ---- a SoftHSM token with a P-256 key and a Notation-valid chain ----
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --so-pin 5678 --pin 1234 >/dev/null
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label bench --login --pin 1234 --keypairgen --key-type EC:prime256v1 --id 01 --label signer --usage-sign >/dev/null 2>&1
GNUTLS_PIN=1234 p11tool --provider "$SOFTHSM_MODULE" --login --export-pubkey "pkcs11:token=bench;object=signer;type=public" > "$WORK/signer.pub" 2>/dev/null
(
  cd "$WORK"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
  openssl req -x509 -new -key root.key -subj "/C=US/ST=WA/O=bench/CN=bench root" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out root.pem 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out file.key 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > leaf.ext
  openssl req -new -key file.key -subj "/C=US/ST=WA/O=bench/CN=bench signer" -out leaf.csr 2>/dev/null
  openssl x509 -req -in leaf.csr -force_pubkey signer.pub -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile leaf.ext -out hsm-leaf.pem 2>/dev/null
  openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile leaf.ext -out file-leaf.pem 2>/dev/null
  cat hsm-leaf.pem root.pem > hsm-chain.pem
  cat file-leaf.pem root.pem > file-chain.pem
)
sleep 1 # the certificates' notBefore is "now"
KEY_URI="pkcs11:token=bench;object=signer?module-path=$SOFTHSM_MODULE&pin-value=1234"

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
BIG="$DIR/sample-$SIZE.tar"
if [ ! -f "$BIG.done" ] || [ ! -f "$BIG" ]; then
  echo "bench-sign: generating $BIG" >&2
  node scripts/make-samples.mjs --size "$SIZE" --output "$BIG" --tag big
  touch "$BIG.done"
fi
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
