#!/usr/bin/env bash
# Gives a NIC port to DPDK (vfio-pci) and back, refusing a port the host
# still uses: one that carries the default route or has an address (IPv4, or
# IPv6 other than link-local). dpdk-devbind.py (Debian's dpdk package) does
# the binding; this script adds the refusals, the IOMMU check and a memory
# of the port's kernel driver for the way back.
#
#   deploy/bind-nic.sh [show]                       the network ports, each
#                                                   with its verdict
#   deploy/bind-nic.sh bind PCI|IFACE [--dry-run]   to vfio-pci
#   deploy/bind-nic.sh unbind PCI [--driver D] [--dry-run]
#                                                   back to its kernel driver
#                                                   (the one bind recorded, or D)
#
# --dry-run prints what would run and changes nothing. EDGESFU_SYSFS (default
# /sys) and EDGESFU_BIND_STATE (default /var/lib/edgesfu/bind-nic) exist for
# the test (tests/deploy/bind_nic_test.sh). Exit: 0 done (or would be),
# 1 refused or failed, 2 bad command line.
set -uo pipefail
sys=${EDGESFU_SYSFS:-/sys}
state=${EDGESFU_BIND_STATE:-/var/lib/edgesfu/bind-nic}
dpdk_drivers=" vfio-pci uio_pci_generic igb_uio "
usage() {
  echo "usage: $0 [show] | bind PCI|IFACE [--dry-run] | unbind PCI [--driver D] [--dry-run]" >&2
  exit 2
}
die() { echo "bind-nic: $*" >&2; exit 1; }

# Network-class PCI functions (class 0x02....).
ports() {
  local d
  for d in "$sys"/bus/pci/devices/*; do
    [[ -r $d/class && $(< "$d/class") == 0x02* ]] && basename "$d"
  done
}
driver_of() { local l; l=$(readlink "$sys/bus/pci/devices/$1/driver" 2>/dev/null) && basename "$l"; }
# Its kernel interface, if it has one (virtio puts it one level down).
iface_of() {
  local n
  for n in "$sys/bus/pci/devices/$1"/net/* "$sys/bus/pci/devices/$1"/virtio*/net/*; do
    [[ -e $n ]] && { basename "$n"; return; }
  done
}
numa_of() { cat "$sys/bus/pci/devices/$1/numa_node" 2>/dev/null || echo -1; }
# Addresses the host uses on IFACE: IPv4, and IPv6 but link-local.
addresses_of() {
  ip -o addr show dev "$1" 2>/dev/null | awk '$3 == "inet" || ($3 == "inet6" && $4 !~ /^fe80:/) {print $4}' |
    paste -sd, -
}
# Interfaces the default routes (IPv4, IPv6) leave by.
default_devs() {
  { ip route show default; ip -6 route show default; } 2>/dev/null |
    awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}'
}

# Why PCI may not be given to DPDK ("" when it may).
refusal() {
  local pci=$1 ifc addrs
  ifc=$(iface_of "$pci")
  [[ -z $ifc ]] && return 0
  if default_devs | grep -qx "$ifc"; then echo "$ifc carries the default route"; return; fi
  addrs=$(addresses_of "$ifc")
  [[ -n $addrs ]] && echo "$ifc has address $addrs"
}

show() {
  local pci drv ifc why
  printf '%-14s %-12s %-16s %-5s %s\n' PCI INTERFACE DRIVER NUMA VERDICT
  for pci in $(ports); do
    drv=$(driver_of "$pci"); ifc=$(iface_of "$pci")
    if [[ $dpdk_drivers == *" ${drv:-none} "* ]]; then
      why="DPDK's (unbind gives it back)"
    else
      why=$(refusal "$pci")
      why=${why:+refused: $why}
      why=${why:-may be bound}
    fi
    printf '%-14s %-12s %-16s %-5s %s\n' "$pci" "${ifc:--}" "${drv:-none}" "$(numa_of "$pci")" "$why"
  done
}

# PCI or IFACE -> PCI address of a network port.
resolve() {
  local want=$1 pci
  if [[ $want =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
    [[ -d $sys/bus/pci/devices/$want ]] || die "no PCI device $want"
    [[ $(< "$sys/bus/pci/devices/$want/class") == 0x02* ]] || die "$want is no network device"
    echo "$want"; return
  fi
  for pci in $(ports); do
    [[ $(iface_of "$pci") == "$want" ]] && { echo "$pci"; return; }
  done
  die "no network port $want (PCI address or interface name; see: $0 show)"
}

run() {
  if ((dry)); then echo "would run: $*"; else echo "+ $*"; "$@" || die "failed: $*"; fi
}

do_bind() {
  local pci drv ifc why
  pci=$(resolve "$1") || exit 1
  drv=$(driver_of "$pci"); ifc=$(iface_of "$pci")
  [[ $drv == vfio-pci ]] && { echo "bind-nic: $pci is bound to vfio-pci already"; return 0; }
  why=$(refusal "$pci")
  [[ -n $why ]] && die "refusing $pci: $why (the host uses it; move that off first)"
  [[ -e $sys/bus/pci/devices/$pci/iommu_group ]] ||
    die "$pci has no IOMMU group: enable the IOMMU (VT-d or AMD-Vi in the firmware," \
      "intel_iommu=on or amd_iommu=on on the kernel command line) and reboot"
  run modprobe vfio-pci
  [[ -n $ifc ]] && run ip link set dev "$ifc" down
  if [[ -n $drv ]]; then
    if ((dry)); then
      echo "would record: $state/$pci = $drv"
    else
      mkdir -p "$state" && echo "$drv" > "$state/$pci" || die "cannot record $pci's driver in $state"
    fi
  fi
  run dpdk-devbind.py --bind=vfio-pci "$pci"
  ((dry)) || echo "bind-nic: $pci (was ${ifc:-no interface}, ${drv:-no driver}) is vfio-pci's;" \
    "it goes in the config as dataplane.wire.pci"
}

do_unbind() {
  local pci=$1 to=$2 drv
  pci=$(resolve "$pci") || exit 1
  drv=$(driver_of "$pci")
  [[ $dpdk_drivers == *" ${drv:-none} "* ]] || die "$pci is not bound to a DPDK driver (it has ${drv:-none})"
  [[ -z $to && -r $state/$pci ]] && to=$(< "$state/$pci")
  [[ -n $to ]] || die "no recorded kernel driver for $pci: say which with --driver (e.g. ixgbe, i40e, ice, mlx5_core)"
  run dpdk-devbind.py --bind="$to" "$pci"
  if ((dry)); then
    echo "would remove: $state/$pci"
  else
    rm -f "$state/$pci"
    echo "bind-nic: $pci is back with $to"
  fi
}

dry=0
args=()
driver=
while (($#)); do
  case $1 in
    --dry-run) dry=1 ;;
    --driver) [[ -n ${2:-} ]] || usage; driver=$2; shift ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) args+=("$1") ;;
  esac
  shift
done
case ${args[0]:-show} in
  show) ((${#args[@]} <= 1)) || usage; show ;;
  bind) ((${#args[@]} == 2)) && [[ -z $driver ]] || usage; do_bind "${args[1]}" ;;
  unbind) ((${#args[@]} == 2)) || usage; do_unbind "${args[1]}" "$driver" ;;
  *) usage ;;
esac
