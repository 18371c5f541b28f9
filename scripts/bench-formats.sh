#!/usr/bin/env bash
# Measures what extra signature formats cost in one `airsign sign` run (issue 9 target): the stripped
# multi-platform sample signed --recursive (index + 2 platform manifests) by a SoftHSM P-256 key,
#   A. with one format (notation),
#   B. with every format airsign offers that the key can make (all share one login),
# alternating A and B, N runs each; prints each median wall time and the ratio B/A.
# Options (or environment):
#   --dir DIR   scratch directory (AIRSIGN_BENCH_DIR, default .bench/ in the repo; gitignored)
#   --runs N    runs per variant (BENCH_RUNS, default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${AIRSIGN_BENCH_DIR:-$ROOT/.bench}
RUNS=${BENCH_RUNS:-7}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-formats: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in openssl node softhsm2-util pkcs11-tool p11tool; do
  command -v "$tool" >/dev/null || { echo "bench-formats: $tool not found (scripts/install-test-deps.sh installs the peers)" >&2; exit 2; }
done
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -f "$SOFTHSM_MODULE" ] || SOFTHSM_MODULE=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
WORK="$DIR/formats-work"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

echo "bench-formats: building dist/" >&2
npx tsc -p tsconfig.build.json
AIRSIGN=(node "$ROOT/bin/airsign.js")

wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/last.log" 2>&1 || { echo "bench-formats: failed: $*" >&2; cat "$WORK/last.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }

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
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out dummy.key 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' > leaf.ext
  openssl req -new -key dummy.key -subj "/C=US/ST=WA/O=bench/CN=bench signer" -out leaf.csr 2>/dev/null
  openssl x509 -req -in leaf.csr -force_pubkey signer.pub -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
  cat leaf.pem root.pem > chain.pem
)
sleep 1 # the certificates' notBefore is "now"
KEY_URI="pkcs11:token=bench;object=signer?module-path=$SOFTHSM_MODULE&pin-value=1234"

cp samples/multi.tar "$WORK/multi.tar"
"${AIRSIGN[@]}" strip "$WORK/multi.tar" --directory "$WORK/layers" >/dev/null

# Every format in --help (each format that needs one gets the identity; the gpg format, when
# present, writes its lookaside tree into the work directory).
mapfile -t ALL < <("${AIRSIGN[@]}" sign --help | tr -d '\n' | sed -n 's/.*Signature format, repeatable[^(]*(\([^)]*\)).*/\1/p' | tr ',' '\n' | tr -d ' ')
[ "${#ALL[@]}" -gt 0 ] || { echo "bench-formats: cannot read the format list from sign --help" >&2; exit 1; }
ALL_ARGS=()
for f in "${ALL[@]}"; do ALL_ARGS+=(--format "$f"); done
EXTRA=(--identity registry.example/team/app:1.4)
if printf '%s\n' "${ALL[@]}" | grep -qx gpg; then EXTRA+=(--lookaside "$WORK/lookaside"); fi

one=(); all=()
for i in $(seq 1 "$RUNS"); do
  cp "$WORK/multi.tar" "$WORK/a.tar"; cp "$WORK/multi.tar" "$WORK/b.tar"; rm -rf "$WORK/lookaside"
  one+=("$(wall "${AIRSIGN[@]}" sign "$WORK/a.tar" --key "$KEY_URI" --cert "$WORK/chain.pem" --recursive --format notation)")
  all+=("$(wall "${AIRSIGN[@]}" sign "$WORK/b.tar" --key "$KEY_URI" --cert "$WORK/chain.pem" --recursive "${ALL_ARGS[@]}" "${EXTRA[@]}")")
done
sigs_one=$(grep -c ' over ' <("${AIRSIGN[@]}" sign "$WORK/multi.tar" --key "$KEY_URI" --cert "$WORK/chain.pem" --recursive --format notation --output "$WORK/c.tar"))
rm -rf "$WORK/lookaside"
sigs_all=$(grep -c ' over ' <("${AIRSIGN[@]}" sign "$WORK/multi.tar" --key "$KEY_URI" --cert "$WORK/chain.pem" --recursive "${ALL_ARGS[@]}" "${EXTRA[@]}" --output "$WORK/d.tar" 2>/dev/null))
m1=$(printf '%s\n' "${one[@]}" | median)
m2=$(printf '%s\n' "${all[@]}" | median)
echo "stripped multi-platform sample, --recursive, SoftHSM P-256, $RUNS alternated runs each:"
echo "  one format (notation), $sigs_one signatures:        median ${m1} s  (runs: ${one[*]})"
echo "  all formats (${ALL[*]}), $sigs_all signatures: median ${m2} s  (runs: ${all[*]})"
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "  ratio all/one: %.2fx\n", b / a }'
