#!/bin/sh
# PID 1 of a Magnetar node container (under docker-init): makes the mounts that a
# non-privileged container gets read-only writable, then runs the node's own dockerd.
set -eu
export container=docker
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
  mount -t securityfs none /sys/kernel/security 2>/dev/null || :
fi
if grep -qE '^sysfs /sys sysfs ro[,]' /proc/self/mounts; then mount -o remount,rw /sys; fi
awk '$3=="cgroup" && $4 ~ /^ro,/ {print $2}' /proc/self/mounts | while read -r m; do
  mount -o remount,bind,rw "$m"   # plain remount,rw fails with "mount point is busy"
done
if grep -qE '^cgroup2 /sys/fs/cgroup cgroup2 ro[,]' /proc/self/mounts; then mount -o remount,rw /sys/fs/cgroup; fi
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then   # cgroup v2 hosts
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :
fi
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
exec /usr/sbin/dockerd "$@"   # configured by /etc/docker/daemon.json, written per node by Magnetar
