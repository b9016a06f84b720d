#!/usr/bin/env bash
# Integration test (ctest label netns), issue 12 #1-2: edgesfu under a small
# descriptor limit (prlimit 256) takes a flood of WHIP sessions that never
# start ICE. It answers 201 until its descriptor budget is reached, then 503
# with the reason; it never aborts, keeps serving (GET /, DELETE) and stops
# cleanly. Every response says "Connection: close" and no connection is left
# in CLOSE-WAIT once the clients have closed theirs.
#
# usage: netns_fd_budget.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880

esfu_wrap=(prlimit --nofile=256:256 --)
# Admission's caps on sessions still connecting would refuse these first.
esfu_yaml_append=$'limit:\n  max_pending_sessions: 1000\n  max_pending_per_identity: 1000\n  first_check_timeout_ms: 30000'
start_topology_and_edgesfu
grep -q 'descriptors: limit 256' "$work/err" || fail "the descriptor limit is not the one set"

step "300 WHIP sessions that never start ICE"
TOK=$(mint --room flood --identity flooder)
created=0 refused=0 first=
for i in $(seq 300); do
  code=$(in_wire curl -s -m 5 -o "$work/body" -D "$work/headers" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $TOK" -H 'Content-Type: application/sdp' \
    --data-binary @"$src/tests/integration/offer_opus.sdp" "$BASE/whip/flood")
  case $code in
    # The newest session: older ones may meet limit.first_check_timeout_ms
    # before the loop ends on a slow machine.
    201) ((++created)); first=$(grep -i '^location:' "$work/headers" | tr -d '\r' | cut -d' ' -f2) ;;
    503) ((++refused)); grep -q 'out of file descriptors' "$work/body" || fail "503 without the reason: $(cat "$work/body")" ;;
    *) fail "POST $i: HTTP $code: $(cat "$work/body")" ;;
  esac
  kill -0 "$esfu_pid" 2>/dev/null || fail "edgesfu died at POST $i"
done
echo "   201: $created, 503: $refused"
((created >= 50)) || fail "only $created sessions before the budget"
((refused >= 1)) || fail "the budget never refused (the limit was not approached)"

step "still serving, one request per connection, nothing left half-closed"
code=$(in_wire curl -s -o /dev/null -w '%{http_code}' "$BASE/")
[[ $code == 200 ]] || fail "GET / after the flood: HTTP $code"
in_wire curl -s -D - -o /dev/null "$BASE/" | grep -qi '^connection: close' || fail "no Connection: close"
code=$(in_wire curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE$first")
[[ $code == 200 ]] || fail "DELETE $first after the flood: HTTP $code"
sleep 0.5
waiting=$(ip netns exec "$P-app" ss -Htn state close-wait '( sport = :7880 )' | wc -l)
[[ $waiting -eq 0 ]] || fail "$waiting connections in CLOSE-WAIT"

step "stop edgesfu"
stop_edgesfu
bash "$topo" down "$P" > /dev/null
assert_nothing_left
echo "PASS"
