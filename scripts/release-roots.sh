#!/usr/bin/env bash
# Makes the Node-less Debian roots the release tests run the linux-x64 executable in (chroot):
# a debootstrap minbase of bookworm (Debian 12, glibc 2.36) and bullseye (Debian 11, glibc 2.31),
# with SoftHSM (softhsm2, from the suite's own packages) installed inside, so the executable's
# PKCS#11 path runs against a module of that host (test/release/release-pkcs11.test.ts).
# They are kept between runs under AIRSIGN_TEST_ROOTS (default /var/cache/airsign-test, outside
# the clone): about 1-2 min each the first time, nothing after. A root is named by a cache key, the
# hash of its suite, variant and package list ($ROOTS/<suite>-amd64-<key>), and
# $ROOTS/<suite>-amd64 is a symbolic link to the current one: changing INCLUDE below makes new roots
# on the next run, switches the links and removes the roots of other keys.
# Needs root and debootstrap. Prints the directory (the link) of each root.
set -euo pipefail
ROOTS=${AIRSIGN_TEST_ROOTS:-/var/cache/airsign-test}
MIRROR=${AIRSIGN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
VARIANT=minbase
INCLUDE=softhsm2
mkdir -p "$ROOTS"
for suite in "${@:-bookworm bullseye}"; do
  for s in $suite; do
    key=$(printf '%s\n' "$s" "$VARIANT" "$INCLUDE" | sha256sum | cut -c1-12)
    link="$ROOTS/$s-amd64"
    root="$link-$key"
    if [ ! -x "$root/bin/sh" ]; then
      echo "release-roots: debootstrap $s (--variant=$VARIANT --include=$INCLUDE) into $root" >&2
      rm -rf "$root.tmp"
      debootstrap --variant="$VARIANT" --include="$INCLUDE" "$s" "$root.tmp" "$MIRROR" > "$ROOTS/$s-debootstrap.log" 2>&1 ||
        { echo "release-roots: debootstrap $s failed, see $ROOTS/$s-debootstrap.log" >&2; exit 1; }
      mv "$root.tmp" "$root"
    fi
    if [ "$(readlink "$link" 2>/dev/null)" != "$(basename "$root")" ]; then
      ln -sfn "$(basename "$root")" "$link.new"
      if [ -d "$link" ] && [ ! -L "$link" ]; then rm -rf "$link"; fi # a root from before the cache key
      mv -T "$link.new" "$link"
    fi
    for old in "$link"-*; do
      [ "$old" = "$root" ] || [ ! -d "$old" ] || { echo "release-roots: removing $old (other package list)" >&2; rm -rf "$old"; }
    done
    if [ -e "$root/usr/bin/node" ] || [ -e "$root/usr/local/bin/node" ]; then
      echo "release-roots: $root has a node binary; it must not" >&2; exit 1
    fi
    for f in usr/bin/softhsm2-util usr/lib/softhsm/libsofthsm2.so; do
      [ -e "$root/$f" ] || { echo "release-roots: $root has no /$f" >&2; exit 1; }
    done
    echo "$link"
  done
done
