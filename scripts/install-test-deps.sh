#!/usr/bin/env bash
# Installs the Debian packages the tests use as real peers (SoftHSM2, pkcs11-tool, p11tool,
# skopeo, gpg, docker-registry, Python jwcrypto/cbor2/cryptography, GNU time, Go 1.19 for the
# archive/tar differential test), and for the single-file release: debootstrap, qemu-user-static +
# arm64 cross libraries, wine, osslsigncode, hyperfine. Idempotent: skips apt entirely when everything is present.
# Needs root or passwordless sudo to install.
set -euo pipefail
PACKAGES=(
  softhsm2 opensc gnutls-bin p11-kit
  skopeo gnupg docker-registry
  python3-jwcrypto python3-cryptography python3-cbor2 python3-nacl
  openssl time
  golang-1.19-go
  # the single-file release (npm run release) and its tests (test/release/): Debian roots without
  # Node, arm64 under qemu with Debian's arm64 cross libraries, win-x64 under wine, start-up figures
  debootstrap qemu-user-static libstdc++6-arm64-cross wine wine64 osslsigncode hyperfine
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "install-test-deps: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-test-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
