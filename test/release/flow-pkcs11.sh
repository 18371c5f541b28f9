#!/bin/sh
# flow.sh's pipeline with an HSM key instead of a file key: a SoftHSM token is initialised in the
# work dir with the SoftHSM of the host the executable runs on (inside the Node-less Debian root, or
# Debian's arm64 SoftHSM under qemu-aarch64-static), a P-256 key pair is put on it (made by airsign as
# a file, imported with softhsm2-util --import, and the file deleted: from then on the private key
# exists only on the token), and every later step uses the pkcs11: URI: key export (PEM and OpenPGP),
# cert create, inspect, strip, sign in all five formats, repack, verify every format.
# Run from test/release/release-pkcs11.test.ts.
# Usage: flow-pkcs11.sh <airsign executable> <work dir holding app.tar> <libsofthsm2.so> <softhsm2-util>
# AIRSIGN_RUN: command prefix for both executables (e.g. "qemu-aarch64-static -L /usr/aarch64-linux-gnu").
# Prints one "flow: <step> ok" line per step and "flow: all ok" at the end; stops at the first failure.
set -eu
BIN=$1
cd "$2"
MODULE=$3
UTIL=$4
a() {
  # shellcheck disable=SC2086 # AIRSIGN_RUN is a command prefix, split on purpose
  ${AIRSIGN_RUN:-} "$BIN" "$@"
}
hsm() {
  # shellcheck disable=SC2086 # as above
  ${AIRSIGN_RUN:-} "$UTIL" --module "$MODULE" "$@"
}
step() {
  echo "flow: $1 ok"
}
ID=registry.example/app:1.0
KEY='pkcs11:token=release;object=signer'
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$(pwd)" > softhsm2.conf
SOFTHSM2_CONF=$(pwd)/softhsm2.conf
AIRSIGN_PKCS11_MODULE=$MODULE
export SOFTHSM2_CONF AIRSIGN_PKCS11_MODULE
printf '1234' > pin.txt
a --version > version.txt; grep -q '^pkcs11 available' version.txt; cat version.txt; step version
# shellcheck disable=SC2086 # as above
echo "softhsm $(${AIRSIGN_RUN:-} "$UTIL" --version)"
hsm --init-token --free --label release --pin 1234 --so-pin 5678 > /dev/null; step 'token init'
a key generate --type ecdsa-p256 --output import.pem > /dev/null
hsm --import import.pem --token release --label signer --id 01 --pin 1234 > /dev/null
rm import.pem; step 'key pair onto the token'
a key export "$KEY" --pin-file pin.txt --as pem --output key.pub > /dev/null; step 'key export pem (pkcs11)'
a key export "$KEY" --pin-file pin.txt --as openpgp --user-id "Release Test <release@example.com>" --output key.asc > /dev/null; step 'key export openpgp (pkcs11)'
a cert create --key "$KEY" --pin-file pin.txt --subject "C=US,ST=WA,O=airsign release test,CN=hsm signer" --days 30 --output cert.pem > /dev/null; step 'cert create (pkcs11)'
a inspect app.tar > inspect.txt; step inspect
a strip app.tar --directory layers > strip.txt; step strip
a sign app.tar --key "$KEY" --pin-file pin.txt --cert cert.pem --identity "$ID" --lookaside sigstore \
  --format notation,notation-cose,cosign,cosign-bundle,gpg > sign.txt; step 'sign (5 formats, pkcs11)'
a repack app.tar --directory layers > repack.txt; step repack
mkdir -p truststore/x509/ca/release
cp cert.pem truststore/x509/ca/release/cert.pem
cat > trustpolicy.json <<'JSON'
{"version":"1.0","trustPolicies":[{"name":"release","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:release"],"trustedIdentities":["*"]}]}
JSON
a verify app.tar --identity "$ID" --trust-policy trustpolicy.json --trust-store truststore \
  --key key.pub --keyring key.asc --lookaside sigstore \
  --format notation --format cosign --format cosign-bundle --format gpg > verify.txt; step 'verify (4 checks, 5 signatures)'
echo "flow: all ok"
