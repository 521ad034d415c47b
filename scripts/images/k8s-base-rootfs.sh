#!/usr/bin/env bash
# Builds the root filesystem of the Debian base shared by every Kubernetes node image (magnetar/k8s-base:<suite>).
# Usage: scripts/images/k8s-base-rootfs.sh <target-dir> <suite> <package>...
# Run by `magnetar image build --coe kubernetes` (src/images/debian-base.ts), which imports the result through the
# Engine API; the output of debootstrap and dpkg goes to the build's log file.
set -euo pipefail
target=$1 suite=$2; shift 2
packages=$(IFS=,; echo "$*")
mirror=$(apt-get indextargets --format '$(REPO_URI)' "Release: $suite" 'Created-By: Packages' 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Created-By: Packages' | grep -v security | head -n1)
[ -n "$mirror" ] || { echo "no Debian mirror found in the apt configuration" >&2; exit 1; }
rm -rf "$target"; mkdir -p "$target"
debootstrap --variant=minbase --include="$packages" "$suite" "$target" "$mirror"
# Nothing in a node starts services by itself: the node's cloud-init payload does (NODE-CONVENTION.md).
printf '#!/bin/sh\nexit 101\n' > "$target/usr/sbin/policy-rc.d"; chmod 755 "$target/usr/sbin/policy-rc.d"
rm -rf "$target"/var/cache/apt/archives/*.deb "$target"/var/lib/apt/lists/* "$target"/var/log/*.log \
       "$target"/usr/share/doc/* "$target"/usr/share/man/* "$target"/usr/share/locale/* "$target"/usr/share/info/*
# Image content Docker provides at run time.
rm -f "$target/etc/hostname" "$target/etc/resolv.conf"
echo "rootfs of $suite with: $*"
