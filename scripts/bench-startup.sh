#!/usr/bin/env bash
# Start-up overhead of the CLI on tiny inputs (where the work itself is ~nothing): the median wall
# time of `node -e ''`, `airsign --version`, inspect, strip, repack and sign (file key), measured in
# the same session with hyperfine (apt-get install hyperfine). Prints hyperfine's table.
#   BENCH_RUNS (default 20), AIRSIGN_BENCH_DIR (default: a temp dir, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${BENCH_RUNS:-20}
command -v hyperfine >/dev/null || { echo "bench-startup: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.build.json
W=${AIRSIGN_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/airsign-startup.XXXXXX")}
[ -n "${AIRSIGN_BENCH_DIR:-}" ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
A="node $ROOT/bin/airsign.js"
S=$ROOT/samples/single.tar
# Fixtures: a stripped tar + its layer directory (for repack and sign), a file key and certificate.
rm -rf "$W/fix"; mkdir -p "$W/fix"
$A strip "$S" --directory "$W/fix/layers" --output "$W/fix/stripped.tar" >/dev/null
$A key generate --type ecdsa-p256 --output "$W/fix/key.pem" >/dev/null
$A cert create --key "$W/fix/key.pem" --subject "C=US,ST=WA,O=airsign bench,CN=bench" --days 30 -o "$W/fix/cert.pem" >/dev/null
sleep 1 # the certificate's notBefore is now (whole seconds)
hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-json "$W/startup.json" \
  --prepare true --prepare true --prepare true \
  --prepare "rm -rf $W/D $W/O.tar" --prepare "rm -f $W/R.tar" --prepare "rm -f $W/signed.tar" \
  -n "node -e ''" "node -e ''" \
  -n "airsign --version" "$A --version" \
  -n "inspect" "$A inspect $S" \
  -n "strip" "$A strip $S --directory $W/D --output $W/O.tar" \
  -n "repack" "$A repack $W/fix/stripped.tar --directory $W/fix/layers --output $W/R.tar" \
  -n "sign" "$A sign $W/fix/stripped.tar --key $W/fix/key.pem --cert $W/fix/cert.pem --format notation --output $W/signed.tar"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const base = r[0].median;
console.log("\nmedian wall time (ms), and overhead over node -e \x27\x27:");
for (const x of r) console.log(`  ${x.command.padEnd(18)} ${(x.median * 1000).toFixed(1).padStart(7)}  +${((x.median - base) * 1000).toFixed(1)}`);
' "$W/startup.json"
