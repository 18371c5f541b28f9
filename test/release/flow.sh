#!/bin/sh
# The pipeline a user runs on a signing host, with one airsign executable and nothing else:
# version, inspect, strip, key generate, cert create, key export, sign in all five formats with a
# file key, repack, verify every format. Runs inside a Node-less Debian root (chroot), under
# qemu-aarch64-static, or under wine (AIRSIGN_RUN="wine"), from test/release/release.test.ts.
# Usage: flow.sh <airsign executable> <work dir holding app.tar>
# Prints one "flow: <step> ok" line per step and "flow: all ok" at the end; stops at the first failure.
set -eu
BIN=$1
cd "$2"
a() {
  # shellcheck disable=SC2086 # AIRSIGN_RUN is a command prefix, split on purpose
  ${AIRSIGN_RUN:-} "$BIN" "$@"
}
step() {
  echo "flow: $1 ok"
}
ID=registry.example/app:1.0
a --version > version.txt; grep -q '^airsign ' version.txt; cat version.txt; step version
a version --json > version.json; step 'version --json'
a inspect app.tar > inspect.txt; step inspect
a strip app.tar --directory layers > strip.txt; step strip
a key generate --type ecdsa-p256 --output key.pem > /dev/null; step 'key generate'
a cert create --key key.pem --subject "C=US,ST=WA,O=airsign release test,CN=signer" --days 30 --output cert.pem > /dev/null; step 'cert create'
a key export key.pem --as pem --output key.pub > /dev/null; step 'key export pem'
a key export key.pem --as openpgp --user-id "Release Test <release@example.com>" --output key.asc > /dev/null; step 'key export openpgp'
a sign app.tar --key key.pem --cert cert.pem --identity "$ID" --lookaside sigstore \
  --format notation,notation-cose,cosign,cosign-bundle,gpg > sign.txt; step 'sign (5 formats)'
a repack app.tar --directory layers > repack.txt; step repack
mkdir -p truststore/x509/ca/release
cp cert.pem truststore/x509/ca/release/cert.pem
cat > trustpolicy.json <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"release","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:release"],"trustedIdentities":["*"]}]}
JSON
a verify app.tar --identity "$ID" --trust-policy trustpolicy.json --trust-store truststore \
  --key key.pub --keyring key.asc --lookaside sigstore \
  --format notation --format cosign --format cosign-bundle --format gpg > verify.txt; step 'verify (4 checks, 5 signatures)'
a inspect app.tar > inspect-signed.txt; step 'inspect signed'
echo "flow: all ok"
