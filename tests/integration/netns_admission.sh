#!/usr/bin/env bash
# Integration test (ctest label netns), issue 12 #7: admission control.
# WHIP POSTs that never start ICE (curl) hold a port and a participant slot:
#   * one identity gets limit.max_pending_per_identity (3) of them, then 503;
#   * all identities together limit.max_pending_sessions (5), then 503;
#   * sessions without a valid ICE check are ended after
#     limit.first_check_timeout_ms (4 s), and their places come back;
#   * a worker with fastpath.max_participants 5, 2 of them connected
#     (loadgen 1x1) and three connecting, answers the session that would need
#     a sixth slot 503 ("no capacity") before any ICE;
#   * a room at room.max_participants (2) refuses a third, 503;
# and real clients within the limits connect and get media (loadgen 1x1).
#
# usage: netns_admission.sh EDGESFU_BINARY LOADGEN_BINARY SOURCE_DIR
set -u
bin=$1
loadgen=$2
src=$3
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880
esfu_yaml_sed=(-e 's/^  empty_timeout: 300 .*/  empty_timeout: 300\n  max_participants: 2/')
esfu_yaml_append=$'  fastpath:\n    max_participants: 5\nlimit:\n  max_pending_sessions: 5\n  max_pending_per_identity: 3\n  first_check_timeout_ms: 4000'
start_topology_and_edgesfu
grep -q 'max_participants: 2' "$work/edgesfu.yaml" || fail "room.max_participants not in the config"

# post ROOM IDENTITY: prints the HTTP code; the body in $work/body.
post() {
  local tok
  tok=$(mint --room "$1" --identity "$2")
  in_wire curl -s -m 5 -o "$work/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/sdp' --data-binary @"$src/tests/integration/offer_opus.sdp" \
    "$BASE/whip/$1"
}
expect() {  # expect CODE TEXT ROOM IDENTITY
  local code
  code=$(post "$3" "$4")
  [[ $code == "$1" ]] || fail "POST to $3 as $4: HTTP $code, want $1: $(cat "$work/body")"
  [[ -z $2 ]] || grep -q "$2" "$work/body" || fail "POST to $3 as $4: no '$2' in: $(cat "$work/body")"
}
# Waits until no session is left connecting (the first-check deadline).
drain() {
  for _ in $(seq 100); do
    (($(grep -c 'ends: no valid ICE check within 4000 ms' "$work/err") >= $1)) && return 0
    sleep 0.1
  done
  fail "sessions without ICE were not ended after 4 s ($(grep -c 'ends: no valid ICE' "$work/err") of $1)"
}

step "one identity: 3 sessions connecting, the 4th refused"
for i in 1 2 3; do expect 201 "" "r$i" mallory; done
expect 503 "sessions connecting already" r4 mallory
step "all identities: 5 connecting, the 6th refused"
expect 201 "" r5 alice
expect 201 "" r6 bob
expect 503 "too many sessions connecting" r7 carol
step "no ICE check within 4 s: ended, places back"
drain 5
expect 201 "" r8 mallory

step "dataplane capacity (5 slots): 2 connected, 3 connecting, the next refused before its answer"
drain 6
# It holds its 2 slots until told to stop, however long the POSTs take. Not
# through in_wire: $! must be loadgen itself (ip netns exec execs it).
ip netns exec "$P-wire" "$loadgen" --config "$work/edgesfu.yaml" --room cap --publishers 1 \
  --subscribers 1 --seconds 60 --quiet --json "$work/cap.json" > "$work/cap.lg" 2>&1 &
lg=$!
helpers+=("$lg")
for _ in $(seq 100); do
  grep -q 'all up' "$work/cap.lg" && break
  sleep 0.1
done
grep -q 'all up' "$work/cap.lg" || fail "loadgen 1x1 did not come up"
for who in d e f; do expect 201 "" "cap-$who" "$who"; done  # slots 3-5, reserved
expect 503 "no capacity" cap-g g                            # would need a 6th
kill -TERM "$lg"
wait "$lg" || { cat "$work/cap.lg"; fail "loadgen 1x1 exited $?"; }
drain 9

step "room.max_participants 2: the third is refused"
expect 201 "" small one
expect 201 "" small two
expect 503 "the room is full" small three
drain 11

step "real clients within the limits: loadgen 1 publisher x 1 subscriber"
in_wire "$loadgen" --config "$work/edgesfu.yaml" --room ok --publishers 1 --subscribers 1 \
  --seconds 2 --quiet --json "$work/lg.json" > "$work/lg" 2>&1 || { cat "$work/lg"; fail "loadgen exited $?"; }
"$py" - "$work/lg.json" <<'PY' || fail "loadgen within the limits"
import json, sys
j = json.load(open(sys.argv[1]))
print("  publishers up %d, subscribers receiving %d, silent %d" % (j["publishers_up"], j["subscribers_receiving"], j["streams"]["silent"]))
sys.exit(0 if j["publishers_up"] == 1 and j["subscribers_receiving"] == 1 and j["streams"]["silent"] == 0 else 1)
PY
grep -q 'no participant slot left' "$work/err" && fail "a session was ended for want of a slot after its answer"

step "edgesfu stops"
stop_edgesfu
bash "$topo" down "$P" >/dev/null 2>&1
assert_nothing_left
echo "PASS"
