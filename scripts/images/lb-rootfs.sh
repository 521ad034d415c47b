#!/usr/bin/env bash
# Stages the files of the local load-balancer image (magnetar/lb-haproxy:<suite>): Debian's haproxy and the libraries
# it needs that the Kubernetes images' Debian base lacks, downloaded with the host's apt (same suite) and unpacked
# without maintainer scripts (nothing to configure: the provider writes haproxy.cfg, haproxy runs as root in the
# container). Usage: scripts/images/lb-rootfs.sh <target-dir> <base-rootfs-dir> <package>...
# Run by `magnetar image build --coe kubernetes` (src/images/lb-image.ts); output goes to the build's log file.
set -euo pipefail
target=$1 base=$2; shift 2
status="$base/var/lib/dpkg/status"
[ -f "$status" ] || { echo "no dpkg status in the base rootfs $base" >&2; exit 1; }
installed=" $(awk '/^Package: /{p=$2} /^Status: install ok installed/{print p}' "$status" | tr '\n' ' ') "
# Packages only maintainer scripts or init systems use.
skip=" adduser lsb-base dpkg init-system-helpers debconf sysvinit-utils "
queue=("$@") want=()
while [ ${#queue[@]} -gt 0 ]; do
  p=${queue[0]}; queue=("${queue[@]:1}")
  case " ${want[*]} $skip $installed" in *" $p "*) continue ;; esac
  want+=("$p")
  while read -r dep; do queue+=("$dep"); done < <(
    apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
      --no-pre-depends "$p" | awk '($1 == "Depends:" || $1 == "|Depends:") && $2 !~ /^</ { print $2 }')
done
echo "packages to unpack: ${want[*]}"
rm -rf "$target"; mkdir -p "$target/debs" "$target/rootfs"
(cd "$target/debs" && apt-get download "${want[@]}")
for deb in "$target"/debs/*.deb; do
  dpkg-deb -f "$deb" Package Version | paste -sd' '
  dpkg-deb -x "$deb" "$target/rootfs"
done
# The base has a merged /usr (/bin, /sbin, /lib are symlinks): put top-level directories under usr/ so COPY keeps them.
for d in bin sbin lib lib64; do
  if [ -d "$target/rootfs/$d" ] && [ ! -L "$target/rootfs/$d" ]; then
    mkdir -p "$target/rootfs/usr/$d"; cp -a "$target/rootfs/$d/." "$target/rootfs/usr/$d/"; rm -rf "$target/rootfs/$d"
  fi
done
rm -rf "$target"/rootfs/usr/share/doc "$target"/rootfs/usr/share/man "$target"/rootfs/lib/systemd \
       "$target"/rootfs/usr/lib/systemd "$target"/rootfs/etc/init.d "$target"/rootfs/etc/logrotate.d "$target/debs"
mkdir -p "$target/rootfs/run"
echo "staged $(du -sh "$target/rootfs" | cut -f1) in $target/rootfs"
