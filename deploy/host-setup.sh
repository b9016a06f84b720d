#!/usr/bin/env bash
# Prepares a host for edgesfu before each start (systemd runs it as
# edgesfu-host.service, before edgesfu.service): reserves hugepages (on one
# NUMA node, the NIC's, when told), mounts hugetlbfs, loads vfio-pci, gives
# the NIC to vfio-pci (deploy/bind-nic.sh: never the port of the default
# route or one with an address), and says whether the worker CPUs are
# isolated. Idempotent; never shrinks a reservation.
#
#   deploy/host-setup.sh [--dry-run]
#
# Settings from the environment (edgesfu-host.service reads
# /etc/edgesfu/host.env):
#   EDGESFU_HUGEPAGES=N        2 MiB pages to have reserved (1024)
#   EDGESFU_NUMA_NODE=K        reserve them on node K (default: the kernel's spread)
#   EDGESFU_NIC=PCI|IFACE      the port to give to vfio-pci (none: leave NICs alone)
#   EDGESFU_WORKER_CPUS=LIST   the config's worker lcores, e.g. 2-5: warns
#                              unless the kernel isolated them (isolcpus=)
#   EDGESFU_NETNS=NAME         the config's dataplane.exception.netns: made
#                              (ip netns add) when missing
# EDGESFU_SYSFS (default /sys) and EDGESFU_PROCFS (default /proc) exist for
# the test (tests/deploy/systemd_test.sh). Exit 0 ready, 1 not.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sys=${EDGESFU_SYSFS:-/sys}
proc=${EDGESFU_PROCFS:-/proc}
pages=${EDGESFU_HUGEPAGES:-1024}
node=${EDGESFU_NUMA_NODE:-}
nic=${EDGESFU_NIC:-}
workers=${EDGESFU_WORKER_CPUS:-}
netns=${EDGESFU_NETNS:-}
dry=0
case ${1:-} in
  --dry-run) dry=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac
[[ $pages =~ ^[0-9]+$ ]] || { echo "host-setup: EDGESFU_HUGEPAGES=$pages is no number" >&2; exit 1; }
[[ -z $node || $node =~ ^[0-9]+$ ]] || { echo "host-setup: EDGESFU_NUMA_NODE=$node is no node number" >&2; exit 1; }
say() { echo "host-setup: $*"; }
rc=0

# Writes VALUE to FILE (or says it would).
put() {
  if ((dry)); then say "would write $2 to $1"; else echo "$2" > "$1" 2>/dev/null; fi
}

# Hugepages: the per-node count when a node is named, else the global one.
if [[ -n $node ]]; then
  nr=$sys/devices/system/node/node$node/hugepages/hugepages-2048kB/nr_hugepages
  [[ -e $nr ]] || { say "no NUMA node $node with 2 MiB pages ($nr)"; exit 1; }
else
  nr=$proc/sys/vm/nr_hugepages
fi
have=$(cat "$nr" 2>/dev/null || echo 0)
if ((have < pages)); then
  put "$nr" "$pages"
  ((dry)) || have=$(cat "$nr" 2>/dev/null || echo 0)
fi
if ((!dry)); then
  if ((have < pages)); then
    say "only $have of $pages hugepages could be reserved${node:+ on node $node}" \
      "(memory too fragmented: reserve them at boot with hugepages=$pages on the kernel command line)"
    rc=1
  else
    say "$have hugepages of 2 MiB reserved${node:+ on node $node}"
  fi
fi

# hugetlbfs, where DPDK looks for it.
if ! grep -qs ' hugetlbfs ' "$proc/mounts"; then
  if ((dry)); then
    say "would mount hugetlbfs on /dev/hugepages"
  else
    mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages ||
      { say "could not mount hugetlbfs on /dev/hugepages"; rc=1; }
  fi
fi

# The NIC.
if [[ -n $nic ]]; then
  flag=()
  ((dry)) && flag=(--dry-run)
  EDGESFU_SYSFS=$sys "$here/bind-nic.sh" bind "$nic" "${flag[@]}" || rc=1
fi

# The namespace the TAP goes into.
if [[ -n $netns && ! -e /run/netns/$netns ]]; then
  if ((dry)); then
    say "would run: ip netns add $netns"
  else
    ip netns add "$netns" && say "network namespace $netns made" || { say "cannot make namespace $netns"; rc=1; }
  fi
fi

# Worker CPUs the scheduler still uses: a warning, not a failure.
cpus() {  # "2-5,8" -> "2 3 4 5 8"
  local part out=()
  for part in ${1//,/ }; do
    if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
      out+=($(seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"))
    elif [[ $part =~ ^[0-9]+$ ]]; then
      out+=("$part")
    fi
  done
  echo "${out[*]}"
}
if [[ -n $workers ]]; then
  isolated=" $(cpus "$(cat "$sys/devices/system/cpu/isolated" 2>/dev/null)") "
  missing=()
  for c in $(cpus "$workers"); do [[ $isolated == *" $c "* ]] || missing+=("$c"); done
  if ((${#missing[@]})); then
    say "warning: worker CPUs ${missing[*]} are not isolated; add isolcpus=$workers" \
      "nohz_full=$workers to the kernel command line"
  else
    say "worker CPUs $workers are isolated"
  fi
fi
exit $rc
