#!/usr/bin/env bash
# Integration test (ctest label netns), issue 15: LiveKit's server-side API
# through edgesfu, with LiveKit's own SDKs unchanged, in a dev topology of the
# test's own. tests/livekit/room_service.mjs: livekit-server-sdk 2.19.2's
# RoomServiceClient drives every RoomService method against a room of
# @livekit/rtc-node 1.1.0 bots and checks the effect on them (refusals with
# LiveKit's Twirp codes, rooms made and listed, participants listed, room and
# participant metadata, a track muted, data to one identity, a subscription
# dropped and taken again, publishing revoked, a participant removed, the
# room deleted). edgesfu logs the calls, every session ends and edgesfu stops
# cleanly.
#
# usage: netns_livekit_api.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
esfu_yaml_append="  idle_sleep_us: 200"
start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "livekit-server-sdk's RoomServiceClient against a room of rtc-node bots"
(cd "$src/tests/livekit" && in_wire node room_service.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room svc) > "$work/svc.json" 2> "$work/svc.err" \
  || { grep 'room_service' "$work/svc.err" | tail -20; tail -1 "$work/svc.json"; fail "room service"; }
tail -1 "$work/svc.json" | cut -c1-900

step "edgesfu logged the removal and the deleted room"
grep -q 'removed from room svc by the RoomService (PARTICIPANT_REMOVED)' "$work/err" \
  || fail "no log of the removed participant"
grep -q 'roomservice: room svc deleted' "$work/err" || fail "no log of the deleted room"

finish_test
