#!/usr/bin/env bash
# Builds the root filesystem of Magnetar's node image from Debian packages.
# Usage: scripts/build-node-rootfs.sh <target-dir> <suite>
# The result is imported as an image by `magnetar image build` (Engine API, POST /images/create).
set -euo pipefail
target=$1 suite=${2:-bookworm}
here=$(cd "$(dirname "$0")" && pwd)
mirror=$(apt-get indextargets --format '$(REPO_URI)' "Release: $suite" 'Created-By: Packages' 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' | grep -v security | head -n1)
[ -n "$mirror" ] || { echo "no Debian mirror found in the apt configuration" >&2; exit 1; }
rm -rf "$target"; mkdir -p "$target"
debootstrap --variant=minbase \
  --include=docker.io,iptables,ca-certificates,iproute2,procps \
  "$suite" "$target" "$mirror" >&2
rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/* \
       "$target"/usr/share/doc/* "$target"/usr/share/man/* "$target"/usr/share/locale/* "$target"/usr/share/info/*
# The node scripts (NODE-CONVENTION.md); `magnetar image build` installs them again before every import, so a
# reused root filesystem always carries the current ones.
install -D -m 755 "$here/node/magnetar-node-init" "$target/usr/local/sbin/magnetar-node-init"
install -D -m 755 "$here/node/magnetar-supervise" "$target/usr/local/sbin/magnetar-supervise"
