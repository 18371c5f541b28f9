#!/usr/bin/env bash
# Installs the Debian packages the tests use as real peers (SoftHSM2, pkcs11-tool, p11tool,
# skopeo, gpg, docker-registry, Python jwcrypto/cbor2/cryptography, GNU time, zsh and fish for the
# completion scripts, Go 1.19 for the archive/tar differential test), the software PKCS#11
# modules of scripts/pkcs11-matrix.sh (p11-kit's proxy and RPC client, NSS softokn + certutil,
# opencryptoki, tpm2-pkcs11 on swtpm with tpm2-abrmd and a private dbus, Caml Crush), and for the
# single-file release: debootstrap, qemu-user-static + arm64 cross libraries, wine, osslsigncode,
# hyperfine, and mingw-w64 (the Windows PKCS#11 test module and file holder of test/release/win/).
# Idempotent: skips apt entirely when everything is present.
# Needs root or passwordless sudo to install.
set -euo pipefail
PACKAGES=(
  softhsm2 opensc gnutls-bin p11-kit
  skopeo gnupg docker-registry
  python3-jwcrypto python3-cryptography python3-cbor2 python3-nacl
  openssl time
  zsh fish
  golang-1.19-go
  p11-kit-modules libnss3-tools opencryptoki bc
  libtpm2-pkcs11-1 libtpm2-pkcs11-tools tpm2-tools tpm2-abrmd libtss2-tcti-tabrmd0 swtpm swtpm-tools dbus
  caml-crush-server caml-crush-clients
  # the single-file release (npm run release) and its tests (test/release/): Debian roots without
  # Node, arm64 under qemu with Debian's arm64 cross libraries, win-x64 under wine, start-up figures
  debootstrap qemu-user-static libstdc++6-arm64-cross wine wine64 osslsigncode hyperfine
  gcc-mingw-w64-x86-64
)
# libtpm2-pkcs11 registers itself with p11-kit: every p11-kit user (p11tool, the p11-kit proxy) would
# then try to reach a TPM and print connection errors. Keep it out of p11-kit's module list; the matrix
# loads it by path.
disable_tpm2_in_p11kit() {
  local conf=/etc/pkcs11/modules/tpm2_pkcs11.module
  [ -f /usr/share/p11-kit/modules/tpm2_pkcs11.module ] || return 0
  grep -q '^enable-in: airsign-none' "$conf" 2>/dev/null && return 0
  "${SUDO[@]}" mkdir -p /etc/pkcs11/modules
  printf 'module: libtpm2_pkcs11.so.1\nenable-in: airsign-none\n' | "${SUDO[@]}" tee "$conf" >/dev/null
}
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
SUDO=()
if [ "$(id -u)" -ne 0 ] && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
if [ ${#missing[@]} -eq 0 ]; then
  disable_tpm2_in_p11kit || true
  echo "install-test-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
  echo "install-test-deps: need root to install: ${missing[*]}" >&2; exit 1
fi
echo "install-test-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
disable_tpm2_in_p11kit
echo "install-test-deps: done"
