#!/usr/bin/env bash
# `npm run demo`: the airsign pipeline on a copy of samples/single.tar in a temp dir, printing each
# step. Needs only Node (no root, no HSM, no network). The original sample is never modified.
#   inspect → strip (layers out, metadata-only tar) → sign (Notation JWS + COSE) → repack → inspect
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

# The metadata-only app.tar is what travels to the offline signing machine. With SoftHSM installed
# the key lives on a throw-away token (one login for both formats); otherwise a file key is used.
step "3. sign the stripped tar: Notation JWS + COSE, by digest, with a signing record" "airsign sign app.tar --key … --cert signer.pem --format notation --format notation-cose --record record.json"
SOFTHSM_MODULE=""
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do [ -f "$m" ] && SOFTHSM_MODULE=$m && break; done
if [ -n "$SOFTHSM_MODULE" ] && command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null; then
  export SOFTHSM2_CONF="$WORK/softhsm2.conf"
  mkdir -p "$WORK/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
  softhsm2-util --init-token --free --label demo --so-pin 5678 --pin 1234 >/dev/null
  pkcs11-tool --module "$SOFTHSM_MODULE" --token-label demo --login --pin 1234 --keypairgen --key-type EC:prime256v1 \
    --id 01 --label signer --usage-sign >/dev/null 2>&1
  KEY="pkcs11:token=demo;object=signer?module-path=$SOFTHSM_MODULE&pin-value=1234"
  echo "demo: SoftHSM found: signing with a P-256 key on token \"demo\""
else
  airsign key generate --type ecdsa-p256 --output signer.key >/dev/null
  KEY=signer.key
  echo "demo: SoftHSM not installed: signing with a file key (signer.key)"
fi
airsign cert create --key "$KEY" --subject "C=US,ST=WA,O=airsign demo,CN=demo signer" --days 30 -o signer.pem >/dev/null
sleep 1 # the certificate's notBefore is now (whole seconds)
airsign sign app.tar --key "$KEY" --cert signer.pem --format notation --format notation-cose --record record.json
echo "record.json:"
sed 's/^/  /' record.json

step "   inspect the signed, stripped tar (signatures listed as referrers)" "airsign inspect app.tar"
airsign inspect app.tar

step "4. repack: put the layers back, verifying every digest and size" "airsign repack app.tar --directory layers"
airsign repack app.tar --directory layers

step "5. inspect the repacked tar" "airsign inspect app.tar"
airsign inspect app.tar

echo ""
if command -v tar >/dev/null; then
  cp "$ROOT/samples/single.tar" original.tar
  missing=$(comm -23 <(tar -tf original.tar | grep '^blobs/.*/.' | sort) <(tar -tf app.tar | grep '^blobs/.*/.' | sort))
  added=$(( $(tar -tf app.tar | grep -c '^blobs/.*/.') - $(tar -tf original.tar | grep -c '^blobs/.*/.') ))
  if [ -z "$missing" ]; then
    echo "demo: done. The repacked, signed tar has every original blob plus $added new ones (configs, envelopes, signature manifests)."
  else
    echo "demo: FAILED: the repacked tar lost blobs of the original: $missing" >&2
    exit 1
  fi
else
  echo "demo: done (tar not found, so the blob sets were not compared)."
fi
