#!/usr/bin/env bash
# deploy/bind-nic.sh in dry-run mode (ctest bind_nic; root: it makes a
# network namespace). Four NIC ports in a made-up sysfs whose interfaces are
# veths in a namespace of the test's own: a free one, one with an address,
# one that carries the default route, one bound to vfio-pci already. The
# free one may be bound (what would run is printed, nothing changes), the
# others are refused with their reason, vfio-pci's goes back to the driver
# bind recorded. On this host's own sysfs, the port of the default route is
# refused. Nothing is bound for real.
#
# usage: bind_nic_test.sh SOURCE_DIR
set -u
src=$1
script=$src/deploy/bind-nic.sh
ns=bn$(($$ % 1000000))
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The made-up sysfs: PCI functions with class, driver, NUMA node, IOMMU group
# and (for kernel-driven ones) the interface.
sys=$work/sys
mkdir -p "$sys/bus/pci/drivers/"{ixgbe,vfio-pci}
port() {  # PCI DRIVER [IFACE]
  local d=$sys/bus/pci/devices/$1
  mkdir -p "$d" "$sys/kernel/iommu_groups/${1//[:.]/}"
  echo 0x020000 > "$d/class"
  echo 0 > "$d/numa_node"
  ln -s "../../../../bus/pci/drivers/$2" "$d/driver"
  ln -s "../../../../kernel/iommu_groups/${1//[:.]/}" "$d/iommu_group"
  [[ -n ${3:-} ]] && mkdir -p "$d/net/$3"
}
port 0000:3b:00.0 ixgbe esfufree
port 0000:3b:00.1 ixgbe esfuaddr
port 0000:3b:00.2 ixgbe esfuroute
port 0000:3b:00.3 vfio-pci
mkdir -p "$sys/bus/pci/devices/0000:00:1f.0"
echo 0x060100 > "$sys/bus/pci/devices/0000:00:1f.0/class"  # an ISA bridge: not a NIC

ip netns add "$ns" || fail "cannot make namespace $ns"
in_ns() { ip netns exec "$ns" "$@"; }
for i in esfufree esfuaddr esfuroute; do
  in_ns ip link add "$i" type veth peer name "${i}p" || fail "veth $i"
  in_ns ip link set "$i" up
done
in_ns ip addr add 198.18.7.1/24 dev esfuaddr
in_ns ip route add default dev esfuroute
mkdir -p "$work/state"
echo ixgbe > "$work/state/0000:3b:00.3"
bn() { in_ns env EDGESFU_SYSFS="$sys" EDGESFU_BIND_STATE="$work/state" "$script" "$@" > "$work/o" 2>&1; }
# expect RC PATTERN ARGS...: exit status RC and PATTERN in what it printed.
expect() {
  local rc=$1 pat=$2
  shift 2
  bn "$@"
  local got=$?
  [[ $got -eq $rc ]] || { cat "$work/o"; fail "bind-nic.sh $* exited $got, not $rc"; }
  grep -q -- "$pat" "$work/o" || { cat "$work/o"; fail "bind-nic.sh $*: no '$pat'"; }
  echo "ok: bind-nic.sh $* -> $rc: $(grep -- "$pat" "$work/o" | head -1)"
}

expect 0 '0000:3b:00.0 *esfufree *ixgbe *0 *may be bound' show
expect 0 'esfuaddr .*refused: esfuaddr has address 198.18.7.1/24' show
expect 0 'esfuroute .*refused: esfuroute carries the default route' show
expect 0 "0000:3b:00.3 *- *vfio-pci .*DPDK's" show
bn show
grep -q 1f.0 "$work/o" && fail "show lists a device that is no NIC"
expect 0 'would run: dpdk-devbind.py --bind=vfio-pci 0000:3b:00.0' bind esfufree --dry-run
expect 0 'would run: ip link set dev esfufree down' bind 0000:3b:00.0 --dry-run
expect 0 'would record: .*0000:3b:00.0 = ixgbe' bind esfufree --dry-run
expect 1 'refusing 0000:3b:00.1: esfuaddr has address 198.18.7.1/24' bind esfuaddr --dry-run
expect 1 'refusing 0000:3b:00.2: esfuroute carries the default route' bind 0000:3b:00.2 --dry-run
expect 0 'bound to vfio-pci already' bind 0000:3b:00.3 --dry-run
expect 1 'no network port nosuch0' bind nosuch0 --dry-run
expect 1 'is no network device' bind 0000:00:1f.0 --dry-run
expect 1 'no PCI device' bind 0000:99:00.0 --dry-run
expect 0 'would run: dpdk-devbind.py --bind=ixgbe 0000:3b:00.3' unbind 0000:3b:00.3 --dry-run
expect 0 'would run: dpdk-devbind.py --bind=i40e 0000:3b:00.3' unbind 0000:3b:00.3 --driver i40e --dry-run
expect 1 'not bound to a DPDK driver (it has ixgbe)' unbind 0000:3b:00.0 --dry-run
expect 2 'usage:' bind
expect 2 'usage:' frobnicate
[[ -r $work/state/0000:3b:00.3 && ! -e $work/state/0000:3b:00.0 ]] || fail "a dry run changed the state"
# An address that moves: once it is gone, the port may be bound.
in_ns ip addr del 198.18.7.1/24 dev esfuaddr
expect 0 'would run: dpdk-devbind.py --bind=vfio-pci 0000:3b:00.1' bind esfuaddr --dry-run

# This host: the port of the default route, if it is a PCI device, is refused.
dev=$(ip route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
if [[ -n $dev && -e /sys/class/net/$dev/device ]] && readlink -f "/sys/class/net/$dev/device" | grep -q pci; then
  "$script" bind "$dev" --dry-run > "$work/o" 2>&1
  rc=$?
  [[ $rc -eq 1 ]] && grep -q "carries the default route" "$work/o" ||
    { cat "$work/o"; fail "this host's $dev (the default route) was not refused"; }
  echo "ok: this host's $dev refused: $(cat "$work/o")"
else
  echo "skip: this host's default route ($dev) is on no PCI device"
fi
echo PASS
