#!/usr/bin/env bash
# `npm run demo`: the airsign pipeline on a copy of samples/single.tar in a temp dir, printing each
# step. Needs only Node (no root, no HSM, no network). The original sample is never modified.
#   inspect → strip (layers out, metadata-only tar) → [sign: later issues] → repack → inspect
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ ! -f dist/cli/main.js ]; then
  echo "demo: building dist/ (npm run build)"
  npx tsc -p tsconfig.build.json
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/airsign-demo.XXXXXX")
if [ "${AIRSIGN_DEMO_KEEP:-0}" = 1 ]; then
  echo "demo: keeping $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi

airsign() { node "$ROOT/bin/airsign.js" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
size() { stat -c %s "$1" 2>/dev/null || wc -c <"$1"; }
sha() { node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$1"; }

cp samples/single.tar "$WORK/app.tar"
cd "$WORK"
original_sha=$(sha app.tar)
echo "demo: working on a copy of samples/single.tar in $WORK ($(size app.tar) bytes, sha256 $original_sha)"

step "1. inspect: tags, manifests, blobs, signatures" "airsign inspect app.tar"
airsign inspect app.tar

step "2. strip: move the layer blobs out; app.tar keeps only metadata" "airsign strip app.tar --directory layers"
airsign strip app.tar --directory layers
echo "app.tar is now $(size app.tar) bytes; layers/ holds:"
find layers -type f | sort | sed 's/^/  /'

step "   inspect the stripped tar (layers shown as stripped)" "airsign inspect app.tar"
airsign inspect app.tar

# ---------------------------------------------------------------------------------------------
# SIGNING GOES HERE (issues 3-4, not built yet): the metadata-only app.tar is what travels to the
# offline signing machine, e.g.
#   airsign sign app.tar --format notation --key pkcs11:token=…;object=… --cert cert.pem
# which adds signature manifests (referrers) and index.json entries to app.tar.
# ---------------------------------------------------------------------------------------------
step "3. sign" "(not built yet: signing joins in issues 3-4)"

step "4. repack: put the layers back, verifying every digest and size" "airsign repack app.tar --directory layers"
airsign repack app.tar --directory layers

step "5. inspect the repacked tar" "airsign inspect app.tar"
airsign inspect app.tar

repacked_sha=$(sha app.tar)
echo ""
if [ "$repacked_sha" = "$original_sha" ]; then
  echo "demo: done. The repacked tar is byte-identical to the original (sha256 $repacked_sha)."
elif command -v tar >/dev/null; then
  cp "$ROOT/samples/single.tar" original.tar
  if cmp -s <(tar -xOf original.tar index.json) <(tar -xOf app.tar index.json) &&
     diff -q <(tar -tf original.tar | grep '^blobs/.*/.' | sort) <(tar -tf app.tar | grep '^blobs/.*/.' | sort) >/dev/null; then
    echo "demo: done. The repacked tar has the original's index.json and blob set (bytes differ: sha256 $repacked_sha)."
  else
    echo "demo: FAILED: the repacked tar differs from the original in index.json or its blobs" >&2
    exit 1
  fi
else
  echo "demo: done (sha256 $repacked_sha; tar not found, so index.json and the blob set were not compared)."
fi
