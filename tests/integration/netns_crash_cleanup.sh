#!/usr/bin/env bash
# Integration test (ctest label netns): after edgesfu dies without cleaning up
# (SIGKILL), a new edgesfu with the same file prefix removes the stale DPDK
# runtime directory and starts (while one that a live process holds is
# refused), and `deploy/dev-topology.sh down` still removes every namespace,
# link and DPDK runtime file of the topology; a helper process left running
# inside a namespace is ended too.
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

step "a new edgesfu with the same prefix cleans the stale runtime directory"
start_edgesfu
grep -q "removed /var/run/dpdk/$P left by an instance" "$work/err" || fail "the stale directory was not reported removed"
second=$esfu_pid
step "a third one, while the second runs, is refused (the prefix is in use)"
ip netns exec "$P-dp" "$bin" --config "$work/edgesfu.yaml" > "$work/out3" 2> "$work/err3"; rc=$?
[[ $rc -ne 0 ]] || fail "a second instance on a live prefix started"
grep -q "is in use by a running DPDK process" "$work/err3" || { cat "$work/err3"; fail "no clear reason for the refusal"; }
kill -0 "$second" 2>/dev/null || fail "the running instance died"
[[ -d /var/run/dpdk/$P ]] || fail "the running instance's runtime directory was removed"
step "SIGKILL it too"
kill -KILL "$second"
wait "$second" 2>/dev/null
esfu_pid=

step "topology down after the crash"
bash "$topo" down "$P" || fail "dev-topology down"
kill -0 "$sleeper" 2>/dev/null && fail "process inside $P-app survived down"
assert_nothing_left

step "down again is harmless"
bash "$topo" down "$P" > /dev/null || fail "second down failed"
echo "PASS"
