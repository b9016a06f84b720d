#!/usr/bin/env bash
# Integration test (ctest label netns): real headless Chromium publishes with
# WHIP and another page plays with WHEP through edgesfu in the dev topology;
# then werift (npm) does the same from Node with payload bytes compared.
# The player must receive > 200 audio packets with audio energy and decode
# > 50 video frames; edgesfu's counters must show the media went through the
# fast path; DELETE ends both sessions and leaves no flow. Also: every
# rejection (401, 403, 400, 406, 409, 415, 405, 404) and a client that vanishes
# before ICE (removed after limit.first_check_timeout_ms, 10 s).
#
# usage: netns_browser_whip.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880
# status METHOD PATH [curl args...]: prints the HTTP status.
status() {
  local m=$1 path=$2
  shift 2
  in_wire curl -s -o "$work/body" -w '%{http_code}' -X "$m" "$@" "$BASE$path"
}
expect_status() {
  local want=$1 what=$2
  shift 2
  local got
  got=$(status "$@")
  [[ $got == "$want" ]] || { echo "body: $(cat "$work/body")"; fail "$what: HTTP $got, want $want"; }
  echo "   $what -> $got ($(head -c 100 "$work/body" | tr '\n' ' '))"
}

start_topology_and_edgesfu
grep -q 'WHIP/WHEP on' "$work/err" || fail "signalling did not start"

step "a publisher that vanishes mid-handshake (no ICE ever)"
TOK=$(mint --room ghost --identity ghost)
sed -e 's/^a=ice-ufrag:.*/a=ice-ufrag:gh0s/' "$src/tests/integration/offer_opus.sdp" > "$work/ghost.sdp"
expect_status 201 "ghost WHIP" POST /whip/ghost -H "Authorization: Bearer $TOK" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/ghost.sdp"
ghost_at=$SECONDS

step "Chromium: publish (WHIP) and play (WHEP)"
PT=$(mint --room demo --identity publisher)
ST=$(mint --room demo --identity player)
in_wire node "$src/tests/browser/whip_whep.mjs" "$BASE" demo "$PT" "$ST" 40 > "$work/browser.json" 2> "$work/browser.err" \
  || { cat "$work/browser.err" "$work/browser.json"; fail "browser test"; }
cat "$work/browser.json"
grep -q 'deleted; dataplane flows now 0' "$work/err" || {
  sleep 1; grep -q 'deleted; dataplane flows now 0' "$work/err" || fail "DELETE did not leave the dataplane without flows"; }

step "werift (npm): Opus-sized payloads compared byte for byte end to end"
WP=$(mint --room werift --identity werift-pub)
WS=$(mint --room werift --identity werift-sub)
in_wire node "$src/tests/browser/werift_opus.mjs" "$BASE" werift "$WP" "$WS" > "$work/werift.json" 2> "$work/werift.err" \
  || { cat "$work/werift.err" "$work/werift.json"; fail "werift test"; }
cat "$work/werift.json"

step "rejections"
BAD=$(mint --room demo --identity x --secret not-the-secret-but-32-characters-long --key devkey)
EXPIRED=$(mint --room demo --identity x --ttl=-120)
NOPUB=$(mint --room demo --identity x --no-publish)
OFFER=(-H 'Content-Type: application/sdp' --data-binary @"$src/tests/integration/offer_opus.sdp")
expect_status 401 "no token" POST /whip/demo "${OFFER[@]}"
expect_status 401 "forged token" POST /whip/demo -H "Authorization: Bearer $BAD" "${OFFER[@]}"
expect_status 401 "expired token" POST /whip/demo -H "Authorization: Bearer $EXPIRED" "${OFFER[@]}"
expect_status 401 "garbage token" POST /whip/demo -H "Authorization: Bearer a.b.c" "${OFFER[@]}"
NOSUB=$(mint --room demo --identity "")
expect_status 401 "token without identity (sub)" POST /whip/demo -H "Authorization: Bearer $NOSUB" "${OFFER[@]}"
expect_status 403 "token for another room" POST /whip/other -H "Authorization: Bearer $PT" "${OFFER[@]}"
expect_status 403 "no canPublish" POST /whip/demo -H "Authorization: Bearer $NOPUB" "${OFFER[@]}"
expect_status 415 "not application/sdp" POST /whip/demo -H "Authorization: Bearer $PT" --data 'v=0'
expect_status 400 "malformed SDP" POST /whip/demo -H "Authorization: Bearer $PT" \
  -H 'Content-Type: application/sdp' --data 'this is not SDP'
sed -e 's#opus/48000/2#PCMA/8000#' "$src/tests/integration/offer_opus.sdp" > "$work/pcma.sdp"
expect_status 406 "no supported codec" POST /whip/demo -H "Authorization: Bearer $PT" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/pcma.sdp"
sed -e 's/a=sendonly/a=recvonly/' "$src/tests/integration/offer_opus.sdp" > "$work/recv.sdp"
EMPTYTOK=$(mint --room empty --identity x)
expect_status 409 "WHEP on a room with nothing published" POST /whep/empty -H "Authorization: Bearer $EMPTYTOK" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/recv.sdp"
# A room with an Opus track (a publisher answered but never connecting), and
# a viewer that can only receive PCMA.
P2=$(mint --room opusroom --identity opus-pub)
expect_status 201 "an Opus publisher (never connects)" POST /whip/opusroom -H "Authorization: Bearer $P2" \
  "${OFFER[@]}"
sed -e 's#opus/48000/2#PCMA/8000#' "$work/recv.sdp" > "$work/recv-pcma.sdp"
ST2=$(mint --room opusroom --identity pcma-viewer)
expect_status 406 "WHEP receiving none of the room's codecs" POST /whep/opusroom -H "Authorization: Bearer $ST2" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/recv-pcma.sdp"
sed -e 's/a=setup:actpass/a=setup:passive/' "$src/tests/integration/offer_opus.sdp" > "$work/passive.sdp"
expect_status 406 "offer insisting on DTLS server (setup:passive)" POST /whip/demo -H "Authorization: Bearer $PT" \
  -H 'Content-Type: application/sdp' --data-binary @"$work/passive.sdp"
expect_status 405 "trickle PATCH" PATCH /whip/demo/PA_x -H 'Content-Type: application/trickle-ice-sdpfrag' --data 'a=x'
expect_status 404 "DELETE unknown" DELETE /whip/demo/PA_nosuchsession
expect_status 404 "unknown path" GET /nothing
expect_status 204 "CORS preflight" OPTIONS /whip/demo -H 'Origin: http://example.test'
grep -qi 'access-control-allow-origin' <(in_wire curl -s -D - -o /dev/null -X OPTIONS "$BASE/whip/demo") \
  || fail "no CORS header"

step "the vanished client is removed when no ICE check came within limit.first_check_timeout_ms"
while ((SECONDS - ghost_at < 13)); do
  grep -q 'ends: no valid ICE check within 10000 ms' "$work/err" && break
  sleep 1
done
grep -q 'ends: no valid ICE check within 10000 ms' "$work/err" || fail "the ghost session was not ended"

step "stop edgesfu and read its counters"
stop_edgesfu
line=$(grep '^edgesfu counters:' "$work/out") || fail "no counters line"
field() { echo "$line" | tr '|' '\n' | grep -- "$1" | grep -o " $2=[0-9]*" | cut -d= -f2; }
rtp_in=$(field lcore=1 rtp_in)
rtp_out=$(field lcore=1 rtp_out)
echo "   fast path: rtp_in=$rtp_in rtp_out=$rtp_out"
[[ ${rtp_in:-0} -ge 500 && ${rtp_out:-0} -ge 500 ]] || fail "the fast path forwarded too little"
bash "$topo" down "$P" > /dev/null
assert_nothing_left
echo "PASS"
