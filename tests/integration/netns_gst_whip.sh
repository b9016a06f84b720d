#!/usr/bin/env bash
# Integration test (ctest label netns): a stock GStreamer 1.22 webrtcbin (Debian)
# publishes Opus + VP8 over WHIP as a max-bundle client sends it — the video
# m-line with port 0 and a=bundle-only, no MID header extension, SSRCs only in
# a=ssrc — while a headless Chromium plays the room over WHEP through the DPDK
# fast path. Both tracks must reach the player (audio with energy, VP8 frames
# decoded), and edgesfu's ICE-lite agent must have answered the publisher.
#
# usage: netns_gst_whip.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880

/usr/bin/python3 "$src/tests/gst/whip_publish.py" --print-offer > "$work/offer.sdp" \
  || fail "GStreamer's webrtcbin does not make an offer (gstreamer1.0-plugins-bad, gstreamer1.0-nice, python3-gst-1.0)"
grep -q '^a=bundle-only' "$work/offer.sdp" || fail "this GStreamer's offer has no bundle-only m-line: the test would prove nothing"
grep -q '^a=extmap' "$work/offer.sdp" && fail "this GStreamer's offer negotiates header extensions: the test would prove less"

start_topology_and_edgesfu

step "GStreamer webrtcbin publishes over WHIP (max-bundle, bundle-only video)"
PT=$(mint --room gst --identity gst-publisher)
ST=$(mint --room gst --identity player)
in_wire /usr/bin/python3 "$src/tests/gst/whip_publish.py" "$BASE" gst "$PT" 30 \
  > "$work/gst.json" 2> "$work/gst.err" &
gst_pid=$!
helpers+=("$gst_pid")
for _ in $(seq 150); do
  grep -q 'connected .* after the answer' "$work/gst.err" && break
  kill -0 "$gst_pid" 2>/dev/null || { cat "$work/gst.err"; fail "the GStreamer publisher ended before connecting"; }
  sleep 0.1
done
grep -q 'connected .* after the answer' "$work/gst.err" || { cat "$work/gst.err"; fail "the GStreamer publisher did not connect"; }
grep 'connected .* after the answer' "$work/gst.err"

step "Chromium plays the room over WHEP"
in_wire node "$src/tests/browser/whip_whep.mjs" "$BASE" gst - "$ST" 20 > "$work/browser.json" 2> "$work/browser.err" \
  || { cat "$work/browser.err" "$work/browser.json" "$work/gst.err"; fail "the player did not get audio and video from GStreamer"; }
cat "$work/browser.json"

step "the publisher ends cleanly and reports what it sent"
wait "$gst_pid"; rc=$?
[[ $rc -eq 0 ]] || { cat "$work/gst.err"; fail "whip_publish.py exited $rc"; }
cat "$work/gst.json"
grep -q '"offer_bundle_only": true' "$work/gst.json" || fail "the publisher's offer was not bundle-only"

step "stop edgesfu"
stop_edgesfu
bash "$topo" down "$P" > /dev/null
assert_nothing_left
echo "PASS"
