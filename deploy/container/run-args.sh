#!/usr/bin/env bash
# Prints, one per line, the `podman run` options this host needs beyond
# podman's defaults, for the demo, the tests and an operator's own command:
#
#   mapfile -t args < <(deploy/container/run-args.sh); podman run "${args[@]}" ...
#
# - On a host with cgroup v1 or hybrid cgroups, crun (podman's default on
#   Debian 12) refuses to start anything: runc is used instead.
# - podman gives containers limits of 1048576 descriptors and processes;
#   where the host's hard limits are lower (edgesfu inside another container,
#   a host with tight limits) they cannot be raised, so the container gets
#   the host's descriptor limit, and 4096 processes (edgesfu runs a few dozen
#   threads).
set -euo pipefail
if [[ $(stat -f -c %T /sys/fs/cgroup 2> /dev/null) != cgroup2fs ]]; then
  echo "--runtime=runc"
fi
nofile=$(ulimit -Hn)
if [[ $nofile != unlimited ]] && ((nofile < 1048576)); then
  echo "--ulimit=nofile=$nofile:$nofile"
fi
nproc=$(ulimit -Hu)
if [[ $nproc != unlimited ]] && ((nproc < 1048576)); then
  echo "--ulimit=nproc=4096:4096"
fi
