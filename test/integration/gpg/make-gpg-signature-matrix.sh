#!/bin/bash
# Makes fresh GnuPG simple-signing signatures for the skopeo-vs-airsign differential test
# (gpg-skopeo-differential.test.ts): keys of every algorithm gpg offers for signing, every
# compression, and the key lifecycle cases (expired, revoked, subkeys, a primary whose newest
# self-signature dropped the sign flag), plus message shapes gpgme refuses.
#
# Usage: make-gpg-signature-matrix.sh OUT_DIR MANIFEST DIGEST REFERENCE
# Writes OUT_DIR/home (GNUPGHOME, secret and public keys), OUT_DIR/pubring.gpg (every public key)
# and OUT_DIR/cases.tsv: "case <TAB> expected primary fingerprint <TAB> signature file <TAB> the
# fingerprint skopeo 1.9.3 expects" — the same, except for subkey signatures: containers/image
# 5.23 (in skopeo 1.9.3) compares the signing subkey's fingerprint, newer ones and airsign the primary's.
# Takes a few seconds: ECC keys are instant, RSA-2048 and DSA-2048 about a second each.
set -euo pipefail
OUT=$1 MANIFEST=$2 DIGEST=$3 REF=$4
export GNUPGHOME=$OUT/home
mkdir -p -m 700 "$GNUPGHOME"
cd "$OUT"
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"atomic container signature"},"optional":{"creator":"matrix","timestamp":%d}}' \
  "$REF" "$DIGEST" "$(date +%s)" > payload.json
: > cases.tsv
G=(gpg --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback)
HOUR_AGO=$(date -u -d '-1 hour' +%Y%m%dT%H%M%S)
HALF_HOUR_AGO=$(date -u -d '-30 minutes' +%Y%m%dT%H%M%S)
YEAR_AGO=$(date -u -d '-400 days' +%Y%m%dT%H%M%S)
MONTHS_AGO=$(date -u -d '-200 days' +%Y%m%dT%H%M%S)

fpr() { gpg --list-keys --with-colons "$1" | awk -F: '/^fpr/ {print $10; exit}'; }
subfpr() { gpg --list-keys --with-colons "$1" | awk -F: '/^fpr/ {n++; if (n == 2) {print $10; exit}}'; }
newkey() { # uid algo usage expire [faked time]
  local extra=()
  [ -n "${5:-}" ] && extra=(--faked-system-time "$5!")
  "${G[@]}" "${extra[@]}" --quick-gen-key "$1 <$1@matrix.test>" "$2" "$3" "$4" 2>/dev/null
  fpr "$1@matrix.test"
}
add() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-$2}" >> cases.tsv; }
# The last case's 4th column becomes the signing subkey's fingerprint.
skopeo_expects_subkey() { sed -i "\$s/\t[^\t]*\$/\t$(subfpr "$1")/" cases.tsv; }
sign() { # case fpr [gpg options…]
  local name=$1 f=$2; shift 2
  "${G[@]}" -u "$f" "$@" --sign -o "$name.sig" payload.json 2>/dev/null
  add "$name" "$f" "$name.sig"
}

# One key per algorithm, default compression.
for algo in rsa2048 dsa2048 ed25519 nistp256 nistp384 nistp521 brainpoolP256r1 brainpoolP384r1 brainpoolP512r1; do
  f=$(newkey "$algo" "$algo" sign never)
  sign "$algo" "$f"
  eval "FPR_$algo=$f"
done
# Compressions and encodings (Ed25519, RSA, brainpool, DSA).
for algo in ed25519 rsa2048 brainpoolP384r1 dsa2048; do
  f=FPR_$algo
  sign "$algo-uncompressed" "${!f}" -z 0
  sign "$algo-zip" "${!f}" --compress-algo zip
  sign "$algo-zlib" "${!f}" --compress-algo zlib
  sign "$algo-bzip2" "${!f}" --compress-algo bzip2
done
sign ed25519-armor "$FPR_ed25519" --armor
sign ed25519-textmode "$FPR_ed25519" --textmode
for algo in ed25519 rsa2048; do
  f=FPR_$algo
  "${G[@]}" -u "${!f}" --clearsign -o "$algo-clearsign.sig" payload.json 2>/dev/null
  add "$algo-clearsign" "${!f}" "$algo-clearsign.sig"
done
# Cleartext: one character of the text changed; trailing blanks added (not signed, so still good).
sed '4s/"creator":"matrix"/"creator":"matriy"/' ed25519-clearsign.sig > clearsign-tampered.sig
add clearsign-tampered "$FPR_ed25519" clearsign-tampered.sig
sed '4s/$/ \t /' ed25519-clearsign.sig > clearsign-trailing-blanks.sig
add clearsign-trailing-blanks "$FPR_ed25519" clearsign-trailing-blanks.sig
sign rsa2048-sha1 "$FPR_rsa2048" --digest-algo SHA1
sign rsa2048-sha512 "$FPR_rsa2048" --digest-algo SHA512
sign nistp256-sha512 "$FPR_nistp256" --digest-algo SHA512
sign dsa2048-sha512 "$FPR_dsa2048" --digest-algo SHA512
sign brainpoolP256r1-sha512 "$FPR_brainpoolP256r1" --digest-algo SHA512

# Two signatures in one message (gpgme reports both; containers/image wants exactly one).
"${G[@]}" -u "$FPR_ed25519" -u "$FPR_nistp256" --sign -o two-signatures.sig payload.json 2>/dev/null
add two-signatures "$FPR_ed25519" two-signatures.sig
# The old form: signature packet, then the literal data.
"${G[@]}" -u "$FPR_ed25519" --detach-sign -o detached.sig payload.json 2>/dev/null
"${G[@]}" -z 0 --store -o literal.pgp payload.json 2>/dev/null
cat detached.sig literal.pgp > signature-first.sig
add signature-first "$FPR_ed25519" signature-first.sig
add detached "$FPR_ed25519" detached.sig
# From an uncompressed one-pass message (one-pass signature, literal data, signature): one byte of
# the signed JSON changed (the digest's last hex digit); the packets reordered or doubled.
python3 - "$OUT/ed25519-uncompressed.sig" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
packets, i = [], 0
while i < len(data):  # gpg -z 0: old-format headers, or new-format with short lengths
    start, ctb = i, data[i]
    if ctb & 0x40:
        length, i = data[i + 1], i + 2
        if 192 <= length < 224:
            length, i = ((length - 192) << 8) + data[i] + 192, i + 1
    else:
        n = [1, 2, 4][ctb & 3]
        length, i = int.from_bytes(data[i + 1:i + 1 + n], 'big'), i + 1 + n
    i += length
    packets.append(data[start:i])
ops, lit, sig = packets
tampered = bytearray(data)
j = tampered.rindex(b'"},"type"') - 1
tampered[j] = ord('0') if tampered[j] != ord('0') else ord('1')
for name, body in [('tampered', bytes(tampered)), ('onepass-signature-literal', ops + sig + lit),
                   ('literal-signature', lit + sig), ('onepass-literal-two-signatures', ops + lit + sig + sig)]:
    open(name + '.sig', 'wb').write(body)
EOF
for c in tampered onepass-signature-literal literal-signature onepass-literal-two-signatures; do add "$c" "$FPR_ed25519" "$c.sig"; done
# Signed by a key the verifier does not expect.
add wrong-fingerprint "$FPR_nistp256" ed25519.sig

# Expired key (made 400 days ago, valid one day; signed while valid).
f=$(newkey expired-key ed25519 sign 1d "$YEAR_AGO")
"${G[@]}" --faked-system-time "$YEAR_AGO!" -u "$f" --sign -o expired-key.sig payload.json 2>/dev/null
add expired-key "$f" expired-key.sig
# Expired signature (one-day signature expiry, made 200 days ago).
f=$(newkey sig-expiry ed25519 sign never "$YEAR_AGO")
"${G[@]}" --faked-system-time "$MONTHS_AGO!" --default-sig-expire 1d -u "$f" --sign -o expired-signature.sig payload.json 2>/dev/null
add expired-signature "$f" expired-signature.sig
# Revoked primary key (its revocation certificate imported after signing).
f=$(newkey revoked-key ed25519 sign never)
sign revoked-key "$f"
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$f.rev" | gpg --batch --quiet --import 2>/dev/null
# Signing subkey of a certify-only primary; a revoked one; an expired one.
f=$(newkey with-subkey ed25519 cert never)
"${G[@]}" --quick-add-key "$f" ed25519 sign never 2>/dev/null
sign subkey "$f" && skopeo_expects_subkey "$f"
f=$(newkey revoked-subkey ed25519 cert never)
"${G[@]}" --quick-add-key "$f" ed25519 sign never 2>/dev/null
sign revoked-subkey "$f" && skopeo_expects_subkey "$f"
printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' | "${G[@]}" --command-fd 0 --edit-key "$f" >/dev/null 2>&1
f=$(newkey expired-subkey ed25519 cert never "$YEAR_AGO")
"${G[@]}" --faked-system-time "$YEAR_AGO!" --quick-add-key "$f" ed25519 sign 1d 2>/dev/null
"${G[@]}" --faked-system-time "$YEAR_AGO!" -u "$f" --sign -o expired-subkey.sig payload.json 2>/dev/null
add expired-subkey "$f" expired-subkey.sig "$(subfpr "$f")"
# A primary whose newest self-signature dropped the sign flag (signed half an hour before that).
f=$(newkey usage-dropped ed25519 sign never "$HOUR_AGO")
"${G[@]}" --faked-system-time "$HALF_HOUR_AGO!" -u "$f" --sign -o usage-dropped.sig payload.json 2>/dev/null
add usage-dropped "$f" usage-dropped.sig
printf 'change-usage\nS\nQ\nsave\n' | "${G[@]}" --command-fd 0 --edit-key "$f" >/dev/null 2>&1

gpg --batch --export > pubring.gpg
