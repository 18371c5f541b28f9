#!/usr/bin/env bash
# Makes the Node-less Debian roots the release tests run the linux-x64 executable in (chroot):
# a debootstrap minbase of bookworm (Debian 12, glibc 2.36) and bullseye (Debian 11, glibc 2.31).
# They are kept between runs under AIRSIGN_TEST_ROOTS (default /var/cache/airsign-test, outside
# the clone): about 1-2 min each the first time, nothing after. Needs root and debootstrap.
# Prints the directory of each root.
set -euo pipefail
ROOTS=${AIRSIGN_TEST_ROOTS:-/var/cache/airsign-test}
MIRROR=${AIRSIGN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$ROOTS"
for suite in "${@:-bookworm bullseye}"; do
  for s in $suite; do
    root="$ROOTS/$s-amd64"
    if [ ! -x "$root/bin/sh" ]; then
      echo "release-roots: debootstrap $s into $root" >&2
      rm -rf "$root.tmp"
      debootstrap --variant=minbase "$s" "$root.tmp" "$MIRROR" > "$ROOTS/$s-debootstrap.log" 2>&1 ||
        { echo "release-roots: debootstrap $s failed, see $ROOTS/$s-debootstrap.log" >&2; exit 1; }
      mv "$root.tmp" "$root"
    fi
    if [ -e "$root/usr/bin/node" ] || [ -e "$root/usr/local/bin/node" ]; then
      echo "release-roots: $root has a node binary; it must not" >&2; exit 1
    fi
    echo "$root"
  done
done
