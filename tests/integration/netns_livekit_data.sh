#!/usr/bin/env bash
# Integration test (ctest label netns), issue 14: LiveKit data through
# edgesfu, with LiveKit's own SDKs unchanged, in a dev topology of the test's
# own. tests/livekit/data_bots.mjs (@livekit/rtc-node 1.1.0): reliable and
# lossy packets with topics and destinations, text and byte streams, RPC both
# ways with an error, 10,000 reliable messages complete, in order and
# byte-exact, a sender without canPublishData reaching nobody, a receiver
# whose process is stopped not delaying another (edgesfu drops for it and
# counts it, and it receives again once it reads). tests/livekit/data_pages.mjs:
# headless Chromium pages on livekit-client 2.23.0 (the demo page's LiveKit
# mode) and an rtc-node bot: publishData, performRpc and text/byte streams in
# both directions, page to page. edgesfu's counters agree, every session
# ends and edgesfu stops cleanly.
#
# usage: netns_livekit_data.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880
esfu_yaml_append="  idle_sleep_us: 200"
start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "rtc-node bots: publishData, text and byte streams, RPC, 10,000 reliable messages, canPublishData, a stopped receiver"
(cd "$src/tests/livekit" && in_wire node data_bots.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room data) > "$work/bots.json" 2> "$work/bots.err" \
  || { grep 'data_bots' "$work/bots.err" | tail -20; tail -1 "$work/bots.json"; fail "data bots"; }
tail -1 "$work/bots.json" | cut -c1-600

step "edgesfu counted the refused sender and the stopped receiver"
# Logged when the room empties: the sink, a child of data_bots.mjs, may still
# be leaving (its disconnect has 3 s) when data_bots.mjs ends.
for _ in $(seq 150); do
  grep -q 'livekit: room data data:' "$work/err" && break
  sleep 0.1
done
line=$(grep 'livekit: room data data:' "$work/err" | tail -1)
echo "   ${line#*livekit: }"
[[ $line =~ not_allowed\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 2)) \
  || fail "the packets of the participant without canPublishData were not counted as not_allowed"
[[ $line =~ slow_receiver_reliable\ ([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) \
  || fail "nothing was dropped for the stopped receiver"

step "livekit-client pages and an rtc-node bot: publishData, RPC, streams both ways, page to page"
(cd "$src/tests/livekit" && in_wire node data_pages.mjs --base "$BASE" --key devkey \
  --secret "$secret" --room data-pages) > "$work/pages.json" 2> "$work/pages.err" \
  || { grep 'data_pages' "$work/pages.err" | tail -20; tail -1 "$work/pages.json"; fail "data pages"; }
tail -1 "$work/pages.json" | cut -c1-600

finish_test
