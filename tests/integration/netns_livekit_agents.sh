#!/usr/bin/env bash
# Integration test (ctest label netns), issue 15: LiveKit agent workers
# dispatched by edgesfu, in a dev topology of the test's own.
# tests/livekit/agents.mjs runs two workers of examples/voice-agent
# (@livekit/agents 1.9.0; one for LiveKit's automatic dispatch, one named
# "helper") and @livekit/rtc-node 1.1.0 callers: an agent joins a new room as
# kind AGENT and the caller hears it; "helper" joins through a token's room
# configuration and through CreateDispatch (DeleteDispatch removes it); a
# worker killed mid-job takes its agent away and the room carries on; a room
# left with only its agent closes after its departure timeout (2 s here),
# the agent removed and its job ended.
# edgesfu logs the registrations, offers and assignments, and stops cleanly.
#
# usage: netns_livekit_agents.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
esfu_yaml_sed=(-e 's/departure_timeout: 20 /departure_timeout: 2 /')
esfu_yaml_append="  idle_sleep_us: 200"
start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "agent workers dispatched into rooms of rtc-node callers"
(cd "$src/tests/livekit" && in_wire node agents.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room agents) > "$work/agents.json" 2> "$work/agents.err" \
  || { grep 'agents' "$work/agents.err" | tail -40; tail -1 "$work/agents.json"; fail "agents"; }
tail -1 "$work/agents.json" | cut -c1-1500

step "edgesfu logged the workers and their jobs"
grep -q "agents: worker AW_.* registered: agent name 'helper', JT_ROOM jobs" "$work/err" \
  || fail "no registration of the named worker logged"
grep -q 'agents: job AJ_.* assigned to AW_.*: joins room agents-auto as agent-AJ_' "$work/err" \
  || fail "no assignment logged"
grep -q 'removed from room agents-token by its closing (ROOM_CLOSED)' "$work/err" \
  || fail "the agent left alone in its room was not removed when the room closed"
grep -q 'agents: job AJ_.* in room agents-token ends' "$work/err" \
  || fail "no job termination logged for the closed room"

finish_test
