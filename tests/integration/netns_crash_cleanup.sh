#!/usr/bin/env bash
# Integration test (ctest label netns): after edgesfu dies without cleaning up
# (SIGKILL), `deploy/dev-topology.sh down` still removes every namespace, link
# and DPDK runtime file of the topology; a helper process left running inside a
# namespace is ended too.
#
# usage: netns_crash_cleanup.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"

start_topology_and_edgesfu
ip netns exec "$P-app" sleep 300 &
sleeper=$!

step "SIGKILL edgesfu"
kill -KILL "$esfu_pid"
wait "$esfu_pid" 2>/dev/null
esfu_pid=
[[ -d /var/run/dpdk/$P ]] || fail "expected the killed edgesfu to leave /var/run/dpdk/$P"

step "topology down after the crash"
bash "$topo" down "$P" || fail "dev-topology down"
kill -0 "$sleeper" 2>/dev/null && fail "process inside $P-app survived down"
assert_nothing_left

step "down again is harmless"
bash "$topo" down "$P" > /dev/null || fail "second down failed"
echo "PASS"
