#!/usr/bin/env bash
# Debian's arm64 SoftHSM for the linux-arm64 executable's PKCS#11 test under qemu-aarch64-static
# (test/release/release-pkcs11.test.ts): softhsm2 (softhsm2-util), libsofthsm2 and the arm64
# libraries they need beyond the cross sysroot /usr/aarch64-linux-gnu (libc6, libstdc++6 and
# libgcc-s1 come from libstdc++6-arm64-cross): libssl3 and libsqlite3-0. The .debs come from the
# Debian mirror through apt-get with its own sources, state and cache under this directory
# (APT::Architecture=arm64), so the host's apt is not touched: no `dpkg --add-architecture`, no
# arm64 lists in the host's `apt-get update`. They are unpacked with dpkg -x.
# Kept under AIRSIGN_TEST_ROOTS (default /var/cache/airsign-test) as arm64-softhsm-<key>, the key
# being the hash of suite and package list, with arm64-softhsm a symbolic link to the current one.
# Needs write access there, apt-get and dpkg. Prints the directory (the link).
set -euo pipefail
ROOTS=${AIRSIGN_TEST_ROOTS:-/var/cache/airsign-test}
MIRROR=${AIRSIGN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm # the suite of the cross sysroot (libc6-arm64-cross) the executable runs with
PACKAGES=(softhsm2 libsofthsm2 softhsm2-common libssl3 libsqlite3-0)
key=$(printf '%s\n' "$SUITE" "${PACKAGES[@]}" | sha256sum | cut -c1-12)
link="$ROOTS/arm64-softhsm"
dir="$link-$key"
mkdir -p "$ROOTS"
if [ ! -e "$dir/usr/bin/softhsm2-util" ]; then
  echo "release-arm64-softhsm: fetching ${PACKAGES[*]} (arm64, $SUITE) into $dir" >&2
  rm -rf "$dir.tmp"
  apt="$dir.tmp/apt"
  mkdir -p "$apt/etc/preferences.d" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
  echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$apt/etc/sources.list"
  : > "$apt/status"
  options=(
    -o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$apt/etc/preferences" -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
    -o "Dir::State=$apt/state" -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache"
    -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq
  )
  apt-get "${options[@]}" update > "$ROOTS/arm64-softhsm.log" 2>&1 ||
    { echo "release-arm64-softhsm: apt-get update failed, see $ROOTS/arm64-softhsm.log" >&2; exit 1; }
  (cd "$apt/debs" && apt-get "${options[@]}" download "${PACKAGES[@]}") >> "$ROOTS/arm64-softhsm.log" 2>&1 ||
    { echo "release-arm64-softhsm: apt-get download failed, see $ROOTS/arm64-softhsm.log" >&2; exit 1; }
  for deb in "$apt"/debs/*.deb; do
    dpkg -x "$deb" "$dir.tmp"
    dpkg-deb -f "$deb" Package Version | tr '\n' ' ' >> "$dir.tmp/packages.txt"
    echo >> "$dir.tmp/packages.txt"
  done
  rm -rf "$apt"
  mv "$dir.tmp" "$dir"
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$(basename "$dir")" ]; then
  ln -sfn "$(basename "$dir")" "$link.new"
  mv -T "$link.new" "$link"
fi
for old in "$link"-*; do
  [ "$old" = "$dir" ] || [ ! -d "$old" ] || { echo "release-arm64-softhsm: removing $old (other package list)" >&2; rm -rf "$old"; }
done
for f in usr/bin/softhsm2-util usr/lib/softhsm/libsofthsm2.so; do
  [ -e "$dir/$f" ] || { echo "release-arm64-softhsm: $dir has no /$f" >&2; exit 1; }
done
echo "$link"
