#!/usr/bin/env bash
# `npm run bench:verify`: how close `airsign verify` (every blob's digest and size, and a Notation
# signature) comes to the floor of one hash pass, `openssl dgst -sha256`, over the same file in the
# same run. Generates (or reuses) the deterministic sample of scripts/make-samples.mjs, signs a copy
# with a fresh file key and self-signed certificate, then alternates openssl and verify N times
# (warm page cache) and prints, for each, the median wall time, CPU time (user + sys of the child,
# from /usr/bin/time: steadier than wall time on a shared machine) and peak RSS, and the wall and
# CPU ratios of verify to openssl.
#
# Options (or environment): --dir DIR (AIRSIGN_BENCH_DIR, default .bench/), --size S (BENCH_SIZE,
# default 2GiB), --runs N (BENCH_RUNS, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${AIRSIGN_BENCH_DIR:-$ROOT/.bench}
SIZE=${BENCH_SIZE:-2GiB}
RUNS=${BENCH_RUNS:-3}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-verify: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
BENCH_NAME=bench-verify
source scripts/bench-lib.sh
bench_require /usr/bin/time openssl node
bench_work "$DIR" verify-work
bench_build
sample=$(bench_sample "$SIZE")
"${AIRSIGN[@]}" key generate --type ecdsa-p256 --output "$WORK/key.pem" >/dev/null
"${AIRSIGN[@]}" cert create --key "$WORK/key.pem" --subject "C=US,ST=WA,O=airsign bench,CN=bench" --output "$WORK/cert.pem" >/dev/null
"${AIRSIGN[@]}" sign "$sample" --key "$WORK/key.pem" --cert "$WORK/cert.pem" --format notation --output "$WORK/signed.tar" >/dev/null
mkdir -p "$WORK/store/x509/ca/bench"
cp "$WORK/cert.pem" "$WORK/store/x509/ca/bench/"
cat > "$WORK/policy.json" <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"bench","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:bench"],"trustedIdentities":["*"]}]}
JSON
file="$WORK/signed.tar"
cat "$file" > /dev/null

run() { # run NAME COMMAND... → appends "name wall user sys peak-rss-KiB"
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time" "$@" > /dev/null
  t1=$(date +%s%N)
  echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $(cat "$WORK/time")" >> "$WORK/runs"
}
for i in $(seq 1 "$RUNS"); do
  run openssl openssl dgst -sha256 "$file"
  run verify "${AIRSIGN[@]}" verify "$file" --trust-policy "$WORK/policy.json" --trust-store "$WORK/store"
done
echo "bench-verify: openssl dgst -sha256 FILE  vs  airsign verify FILE --trust-policy policy.json --trust-store store (FILE = the sample signed with notation)"
echo "bench-verify: $SIZE sample ($(stat -c %s "$file") bytes), median of $RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPU(s), node $(node --version)"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
  const of = (name) => rows.filter((r) => r[0] === name).map(([, wall, user, sys, rss]) => ({ wall: +wall, user: +user, sys: +sys, cpu: +user + +sys, rss: +rss }));
  const med = (name, key) => { const v = of(name).map((r) => r[key]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  const max = (name, key) => Math.max(...of(name).map((r) => r[key]));
  for (const name of ["openssl", "verify"]) {
    console.log(`${name.padEnd(8)} wall ${med(name, "wall").toFixed(3)} s   CPU ${med(name, "cpu").toFixed(2)} s (user ${med(name, "user").toFixed(2)}, sys ${med(name, "sys").toFixed(2)})   peak RSS ${(max(name, "rss") / 1024).toFixed(1)} MiB   CPU per run: ${of(name).map((r) => r.cpu.toFixed(2)).join(" ")}`);
  }
  console.log(`ratio    wall ${(med("verify", "wall") / med("openssl", "wall")).toFixed(2)}x   CPU ${(med("verify", "cpu") / med("openssl", "cpu")).toFixed(2)}x   (target: within 1.15x of openssl)`);
' "$WORK/runs"
