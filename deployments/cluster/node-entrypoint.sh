#!/bin/sh
# Starts the node's own dockerd (hack/dind's steps, reduced to what this machine needs).
# /sys and the cgroup hierarchies need remounting read-write first (see below).
#   NODE_STORAGE_DRIVER   overlay2 (default) or vfs
#   NODE_INSECURE_REGISTRY  the registry the node pulls from over plain HTTP
# The daemon also listens on /run/cluster/docker.sock, a folder the host bind-mounts, so the
# host's docker CLI can drive the node (DOCKER_HOST=unix://...) without any TCP port.
set -eu
# AppArmor's and the kernel's view of security modules, as dind mounts them.
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security 2>/dev/null; then
    mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi
# Not privileged (this machine's bounding set lacks CAP_SYS_RESOURCE, which --privileged asks for):
# /sys and the cgroup v1 hierarchies come read-only; the node's daemon must create cgroups and
# set sysctls. Remounted read-write (the node's own cgroup subtree, as under --privileged).
mount -o remount,rw /sys 2>/dev/null || true
for cgroup in $(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts); do
    mount -o remount,bind,rw "$cgroup" || true
done
# Mounts made by the inner containers (volumes, secrets) must propagate.
mount --make-rshared / 2>/dev/null || true
mkdir -p /run/cluster
rm -f /run/cluster/docker.sock /var/run/docker.pid /run/docker/containerd/containerd.pid
exec dockerd \
    --host unix:///var/run/docker.sock --host unix:///run/cluster/docker.sock \
    --storage-driver "${NODE_STORAGE_DRIVER:-overlay2}" \
    --insecure-registry "${NODE_INSECURE_REGISTRY:-mlopsexam-registry:5000}" \
    --default-address-pool base=172.31.0.0/16,size=24 \
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=3
