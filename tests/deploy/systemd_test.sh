#!/usr/bin/env bash
# cmake --install and what it installs for a host (ctest install_systemd):
# into a scratch root (DESTDIR), the units must pass systemd-analyze verify
# with no complaint (this host's own units copied beside them, for the
# targets they name), the installed edgesfu must check the installed example
# configs, and the installed host-setup.sh must prepare a made-up /sys and
# /proc: reserve hugepages (globally and on a NUMA node), leave them alone
# the second time, and tell isolated worker CPUs from others.
#
# usage: systemd_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze > /dev/null || fail "no systemd-analyze (Debian: systemd)"

DESTDIR=$root cmake --install "$build" > "$root.log" 2>&1 || { cat "$root.log"; rm -f "$root.log"; fail "cmake --install"; }
rm -f "$root.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
units=$(sed -n 's/^EDGESFU_SYSTEMD_DIR:PATH=//p' "$build/CMakeCache.txt")
for f in "$prefix/bin/edgesfu" "$prefix/bin/edgesfu-ctl" "$prefix/libexec/edgesfu/host-setup.sh" "$prefix/libexec/edgesfu/bind-nic.sh"; do
  [[ -x $root$f ]] || fail "$f not installed executable"
done
for f in "$units/edgesfu.service" "$units/edgesfu-host.service" \
  "$prefix/share/doc/edgesfu/examples/baremetal.yaml" "$prefix/share/doc/edgesfu/examples/host.env" \
  "$prefix/share/doc/edgesfu/deploy/README.md"; do
  [[ -r $root$f ]] || fail "$f not installed"
done
echo "ok: installed under $prefix (units in $units)"

# The units, against this host's units for what they name.
mkdir -p "$root/usr/lib/systemd"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
out=$(systemd-analyze verify --man=no --root="$root" "$root$units/edgesfu.service" \
  "$root$units/edgesfu-host.service" 2>&1)
rc=$?
[[ $rc -eq 0 && -z $out ]] || { echo "$out"; fail "systemd-analyze verify: status $rc"; }
grep -q "^ExecStart=$prefix/bin/edgesfu --config /etc/edgesfu/edgesfu.yaml$" "$root$units/edgesfu.service" ||
  fail "edgesfu.service does not start the installed binary"
grep -q "^ExecStart=$prefix/libexec/edgesfu/host-setup.sh$" "$root$units/edgesfu-host.service" ||
  fail "edgesfu-host.service does not run the installed host-setup.sh"
echo "ok: systemd-analyze verify: no complaint"

# The installed binary checks the installed examples.
for c in baremetal dev; do
  "$root$prefix/bin/edgesfu" --check-config "$root$prefix/share/doc/edgesfu/examples/$c.yaml" > /dev/null ||
    fail "the installed edgesfu refuses the installed $c.yaml"
done
echo "ok: the installed edgesfu checks the installed example configs"
"$root$prefix/bin/edgesfu-ctl" --help | grep -q 'edgesfu-ctl: look at and act on a running edgesfu' ||
  fail "the installed edgesfu-ctl does not run"

# host-setup.sh on a made-up /sys and /proc.
fake=$root/fake
mkdir -p "$fake/proc/sys/vm" "$fake/sys/devices/system/cpu" \
  "$fake/sys/devices/system/node/node1/hugepages/hugepages-2048kB"
echo 0 > "$fake/proc/sys/vm/nr_hugepages"
echo 0 > "$fake/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"
echo "nodev /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0" > "$fake/proc/mounts"
echo "2-3" > "$fake/sys/devices/system/cpu/isolated"
hs() { env EDGESFU_SYSFS="$fake/sys" EDGESFU_PROCFS="$fake/proc" "$@" "$root$prefix/libexec/edgesfu/host-setup.sh"; }
expect() {  # RC PATTERN ENV...
  local rc=$1 pat=$2 got
  shift 2
  out=$(hs "$@" 2>&1)
  got=$?
  [[ $got -eq $rc ]] && grep -q -- "$pat" <<< "$out" || { echo "$out"; fail "host-setup.sh ($*): status $got, wanted $rc and '$pat'"; }
  echo "ok: host-setup.sh ($*): $(grep -- "$pat" <<< "$out" | head -1)"
}
expect 0 "64 hugepages of 2 MiB reserved" EDGESFU_HUGEPAGES=64
[[ $(< "$fake/proc/sys/vm/nr_hugepages") == 64 ]] || fail "nr_hugepages not written"
echo 128 > "$fake/proc/sys/vm/nr_hugepages"
expect 0 "128 hugepages of 2 MiB reserved" EDGESFU_HUGEPAGES=64
[[ $(< "$fake/proc/sys/vm/nr_hugepages") == 128 ]] || fail "a reservation was shrunk"
expect 0 "reserved on node 1" EDGESFU_HUGEPAGES=32 EDGESFU_NUMA_NODE=1
[[ $(< "$fake/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages") == 32 ]] ||
  fail "node 1's pages not written"
expect 1 "no NUMA node 7" EDGESFU_HUGEPAGES=32 EDGESFU_NUMA_NODE=7
expect 1 "is no number" EDGESFU_HUGEPAGES=lots
expect 0 "worker CPUs 2-3 are isolated" EDGESFU_HUGEPAGES=1 EDGESFU_WORKER_CPUS=2-3
expect 0 "worker CPUs 4 5 are not isolated" EDGESFU_HUGEPAGES=1 EDGESFU_WORKER_CPUS=2,4-5
expect 1 "no network port nosuch0" EDGESFU_HUGEPAGES=1 EDGESFU_NIC=nosuch0
out=$(env EDGESFU_SYSFS="$fake/sys" EDGESFU_PROCFS="$fake/proc" EDGESFU_HUGEPAGES=1 \
  EDGESFU_NETNS="esfu-absent-$$" "$root$prefix/libexec/edgesfu/host-setup.sh" --dry-run 2>&1)
grep -q "would run: ip netns add esfu-absent-$$" <<< "$out" || { echo "$out"; fail "no namespace planned"; }
ip netns list | grep -q "esfu-absent-$$" && fail "a dry run made a namespace"
echo "ok: host-setup.sh --dry-run plans the missing namespace and makes nothing"
echo PASS
