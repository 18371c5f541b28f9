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
BENCH_NAME=bench-formats
source scripts/bench-lib.sh
bench_require openssl node softhsm2-util pkcs11-tool p11tool
bench_work "$DIR" formats-work
bench_build
bench_softhsm_signer
sleep 1 # the certificates' notBefore is "now"

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
  one+=("$(wall "${AIRSIGN[@]}" sign "$WORK/a.tar" --key "$KEY_URI" --cert "$WORK/hsm-chain.pem" --recursive --format notation)")
  all+=("$(wall "${AIRSIGN[@]}" sign "$WORK/b.tar" --key "$KEY_URI" --cert "$WORK/hsm-chain.pem" --recursive "${ALL_ARGS[@]}" "${EXTRA[@]}")")
done
sigs_one=$(grep -c ' over ' <("${AIRSIGN[@]}" sign "$WORK/multi.tar" --key "$KEY_URI" --cert "$WORK/hsm-chain.pem" --recursive --format notation --output "$WORK/c.tar"))
rm -rf "$WORK/lookaside"
sigs_all=$(grep -c ' over ' <("${AIRSIGN[@]}" sign "$WORK/multi.tar" --key "$KEY_URI" --cert "$WORK/hsm-chain.pem" --recursive "${ALL_ARGS[@]}" "${EXTRA[@]}" --output "$WORK/d.tar" 2>/dev/null))
m1=$(printf '%s\n' "${one[@]}" | median)
m2=$(printf '%s\n' "${all[@]}" | median)
echo "stripped multi-platform sample, --recursive, SoftHSM P-256, $RUNS alternated runs each:"
echo "  one format (notation), $sigs_one signatures:        median ${m1} s  (runs: ${one[*]})"
echo "  all formats (${ALL[*]}), $sigs_all signatures: median ${m2} s  (runs: ${all[*]})"
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "  ratio all/one: %.2fx\n", b / a }'
