#!/usr/bin/env bash
# Integration test (ctest label netns), issue 13: LiveKit's own Rust-based SDK
# (@livekit/rtc-node 1.1.0, unchanged) against edgesfu's /rtc/v1 door in a dev
# topology of the test's own. Before any upgrade: bad, expired, forged and
# wrong-room tokens, a missing or broken join_request are refused with the
# right status and a reason; /rtc (v0) is a clear 404; /rtc/v1/validate says
# "success" to a good token. Then tests/livekit/audio_bots.mjs: a speaker
# publishes a 440 Hz sine, a listener hears it (level and frequency of the
# decoded frames), a late joiner publishes 660 Hz and is heard too; the room
# rules (tests/livekit/room_rules.mjs: metadata, name and attributes seen by
# others and refused without canUpdateOwnMetadata, mute and unmute, publish
# refused without canPublish, nothing received without canSubscribe, a
# duplicate identity replacing the older session, a leave). Then
# livekit-client 2.23.0 (default Room options) in three headless Chromium
# pages with microphone and camera (simulcast, the default): each hears the
# two others (audio energy at playout) and decodes their video at 640x480
# (the fake camera's size: the top layer, forwarded once the publisher's
# bandwidth estimate allows it on edgesfu's transport-wide feedback); one
# leaves, the others are told and keep their media, it comes back and
# everyone has everyone again (tests/livekit/browser_rooms.mjs). The demo
# page's LiveKit mode (tests/livekit/demo_page.mjs): edgesfu's own page, with
# the livekit-client it serves, joins a room where a WHIP page publishes; two
# such pages hear and see the WHIP publisher and each other, and one leaving
# drops from the other's page. Churn (tests/livekit/churn.mjs):
# 20 rtc-node publishers join and leave at random for 60 s while two listeners
# stay; at the end every listener hears every present publisher, every
# present publisher is subscribed to every other, nobody sees a departed one.
# Every session ends with its clients; edgesfu keeps no flow, track or
# subscription and stops cleanly.
#
# usage: netns_livekit.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
BASE=http://198.18.0.2:7880
# Two CPUs run the worker and three Chromium pages that encode and decode
# video: the worker backs off while idle instead of spinning.
esfu_yaml_append="  idle_sleep_us: 200"
start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "refused before the upgrade, with the reason"
JR=$("$py" - <<'PY'
import base64
# WrappedJoinRequest{compression NONE, join_request=JoinRequest{client_info{sdk JS}}}
print(base64.urlsafe_b64encode(b"\x08\x00\x12\x04\x0a\x02\x08\x01").decode())
PY
)
upgrade() {  # upgrade QUERY [HEADER...]: prints the HTTP status; body in $work/body
  local q=$1
  shift
  in_wire curl -s -m 5 -o "$work/body" -w '%{http_code}' -H 'Connection: Upgrade' \
    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@" "$BASE/rtc/v1?$q"
}
expect() {  # expect STATUS TEXT WHAT STATUS_GOT
  [[ $4 == "$1" ]] || fail "$3: HTTP $4, want $1: $(cat "$work/body")"
  grep -q "$2" "$work/body" || fail "$3: no '$2' in: $(cat "$work/body")"
  echo "   $3 -> $4 ($(head -c 90 "$work/body" | tr '\n' ' '))"
}
GOOD=$(mint --room lk --identity alice)
EXPIRED=$(mint --room lk --identity alice --ttl -120)
WRONGKEY=$("$py" "$src/tools/mint-token" --key devkey --secret "not-the-secret-0123456789abcdefXX" \
  --room lk --identity alice)
NOJOIN=$("$py" - "$secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b(json.dumps({"iss": "devkey", "sub": "alice", "exp": int(time.time()) + 600,
                  "video": {"room": "lk", "canPublish": True}}).encode())
s = b(hmac.new(sys.argv[1].encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
print(f"{h}.{p}.{s}")
PY
)
expect 401 "no access token" "no token" "$(upgrade "join_request=$JR")"
expect 401 "invalid token" "expired token" "$(upgrade "access_token=$EXPIRED&join_request=$JR")"
expect 401 "invalid token" "forged token" "$(upgrade "access_token=$WRONGKEY&join_request=$JR")"
expect 403 "roomJoin" "token without roomJoin" "$(upgrade "access_token=$NOJOIN&join_request=$JR")"
expect 400 "join_request is missing" "no join_request" "$(upgrade "access_token=$GOOD")"
expect 400 "join_request" "broken join_request" "$(upgrade "access_token=$GOOD&join_request=AAAA%2A")"
expect 401 "invalid token" "Bearer forged" \
  "$(upgrade "join_request=$JR" -H "Authorization: Bearer $WRONGKEY")"
code=$(in_wire curl -s -m 5 -o "$work/body" -w '%{http_code}' "$BASE/rtc/v1/validate?access_token=$GOOD")
expect 200 "success" "validate" "$code"
code=$(in_wire curl -s -m 5 -o "$work/body" -w '%{http_code}' "$BASE/rtc?access_token=$GOOD")
expect 404 "not supported yet" "v0 /rtc" "$code"

step "80 WebSockets opened and closed one after the other from one address (per-source cap 64)"
in_wire "$py" - "$secret" "$JR" <<'PY' || fail "sequential WebSockets"
import base64, hashlib, hmac, json, socket, sys, time
secret, jr = sys.argv[1], sys.argv[2]
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
def token(identity):  # one identity each: admission counts sessions per identity
    h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    p = b(json.dumps({"iss": "devkey", "sub": identity, "exp": int(time.time()) + 600,
                      "video": {"room": "ws", "roomJoin": True}}).encode())
    return f"{h}.{p}." + b(hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
for i in range(80):
    s = socket.create_connection(("198.18.0.2", 7880), timeout=5)
    s.sendall((f"GET /rtc/v1?access_token={token(f'ws-{i}')}&join_request={jr} HTTP/1.1\r\n"
               "Host: 198.18.0.2\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    got = b""
    while b"\x82" not in got.partition(b"\r\n\r\n")[2][:1]:  # the JoinResponse frame
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    if not got.startswith(b"HTTP/1.1 101"):
        sys.exit(f"connection {i}: {got[:80]!r}")
    s.close()
print("   80 upgrades answered 101, each with a JoinResponse frame")
PY

step "one participant announces 40 tracks: 32 are published, the rest refused LIMIT_EXCEEDED; fast_publish as LiveKit sets it"
in_wire "$py" - "$(mint --room limits --identity hoarder)" "$JR" \
  "$(mint --room limits --identity viewer --no-publish)" <<'PY' || fail "add_track limit"
import os, socket, struct, sys
token, jr, viewer = sys.argv[1], sys.argv[2], sys.argv[3]
def varint(b, i):
    v = shift = 0
    while True:
        v |= (b[i] & 0x7f) << shift
        i += 1
        if b[i - 1] < 0x80: return v, i
        shift += 7
def field(msg, number):  # the last value of a varint or bytes field, or None
    i, got = 0, None
    while i < len(msg):
        key, i = varint(msg, i)
        wt = key & 7
        if wt == 0: v, i = varint(msg, i)
        elif wt == 2:
            n, i = varint(msg, i)
            v, i = msg[i:i + n], i + n
        elif wt in (1, 5): v, i = None, i + (8 if wt == 1 else 4)
        else: raise ValueError(f"wire type {wt}")
        if key >> 3 == number: got = v
    return got
def fast_publish(tok):  # JoinResponse.fast_publish (15) of SignalResponse.join (1)
    c = socket.create_connection(("198.18.0.2", 7880), timeout=5)
    c.sendall((f"GET /rtc/v1?access_token={tok}&join_request={jr} HTTP/1.1\r\n"
               "Host: 198.18.0.2\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    got = b""
    while True:
        head, sep, rest = got.partition(b"\r\n\r\n")
        if sep and not head.startswith(b"HTTP/1.1 101"): sys.exit(f"upgrade refused: {head[:60]!r}")
        if len(rest) >= 10:
            n, o = rest[1] & 0x7f, 2
            if n == 126: n, o = struct.unpack(">H", rest[2:4])[0], 4
            elif n == 127: n, o = struct.unpack(">Q", rest[2:10])[0], 10
            if len(rest) >= o + n: break
        chunk = c.recv(65536)
        if not chunk: sys.exit("no JoinResponse frame")
        got += chunk
    c.close()
    if rest[0] != 0x82: sys.exit(f"first frame: byte 0 {rest[0]:#x}, want a final binary frame")
    join = field(rest[o:o + n], 1)
    if join is None: sys.exit("the first frame is no SignalResponse.join")
    return field(join, 15) == 1
if not fast_publish(token) or fast_publish(viewer):
    sys.exit("fast_publish: want true with canPublish, false without")
print("   JoinResponse.fast_publish: true for a publisher, false for a viewer (as LiveKit)")
s = socket.create_connection(("198.18.0.2", 7880), timeout=5)
s.sendall((f"GET /rtc/v1?access_token={token}&join_request={jr} HTTP/1.1\r\n"
           "Host: 198.18.0.2\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(65536)
head, _, buf = buf.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 101"), head[:60]
def frames():
    global buf
    while True:
        while len(buf) >= 2:
            n, o = buf[1] & 0x7f, 2
            if n == 126:
                if len(buf) < 4: break
                n, o = struct.unpack(">H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10: break
                n, o = struct.unpack(">Q", buf[2:10])[0], 10
            if len(buf) < o + n: break
            op, payload, buf = buf[0] & 0x0f, buf[o:o + n], buf[o + n:]
            if op == 2: yield payload
        chunk = s.recv(65536)
        if not chunk: return
        buf += chunk
def send(payload):  # a masked binary frame
    mask = os.urandom(4)
    s.sendall(bytes([0x82, 0x80 | len(payload)]) + mask +
              bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
it = frames()
next(it)  # JoinResponse
for i in range(40):
    cid = f"t{i}".encode()
    req = b"\x0a" + bytes([len(cid)]) + cid                 # AddTrackRequest{cid}
    send(b"\x22" + bytes([len(req)]) + req)                   # SignalRequest{add_track}
published = refused = 0
while published + refused < 40:
    m = next(it)
    if m[:1] == b"\x32":
        published += 1      # track_published
    elif m[:2] == b"\xb2\x01" and m[3:5] == b"\x10\x03":
        refused += 1        # request_response, LIMIT_EXCEEDED
print(f"   {published} track_published, {refused} refused with LIMIT_EXCEEDED")
sys.exit(0 if (published, refused) == (32, 8) else 1)
PY

step "rtc-node bots: a speaker (440 Hz), a listener, a late speaker (660 Hz)"
(cd "$src/tests/livekit" && in_wire node audio_bots.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room bots --seconds 5) > "$work/bots.json" 2> "$work/bots.err" \
  || { tail -20 "$work/bots.err"; cat "$work/bots.json"; fail "audio bots"; }
tail -1 "$work/bots.json"

step "rtc-node room rules: metadata, mute, grants enforced by the server, duplicate identity, leave"
(cd "$src/tests/livekit" && in_wire node room_rules.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room rules) > "$work/rules.json" 2> "$work/rules.err" \
  || { tail -20 "$work/rules.err"; tail -1 "$work/rules.json"; fail "room rules"; }
tail -1 "$work/rules.json" | cut -c1-400

step "livekit-client 2.23.0 in 3 Chromium pages (default options, microphone, simulcast camera): all hear and see each other at 640x480, one leaves and comes back"
(cd "$src/tests/livekit" && in_wire node browser_rooms.mjs --base "$BASE" --key devkey \
  --secret "$secret" --room pages --pages 3 --seconds 8 --camera 1 --camera-size 640x480 \
  --min-width 640 --min-height 480) > "$work/pages.json" 2> "$work/pages.err" \
  || { grep -v DataChannel "$work/pages.err" | tail -20; cat "$work/pages.json"; fail "browser pages"; }
tail -1 "$work/pages.json" | cut -c1-300

step "the demo page's LiveKit mode: 2 pages join a room with a WHIP publisher, see and hear it and each other"
(cd "$src/tests/livekit" && in_wire node demo_page.mjs --base "$BASE" --key devkey \
  --secret "$secret" --room demo --seconds 8) > "$work/demo.json" 2> "$work/demo.err" \
  || { tail -20 "$work/demo.err"; cat "$work/demo.json"; fail "demo page LiveKit mode"; }
tail -1 "$work/demo.json" | cut -c1-300

step "churn: 20 rtc-node publishers join and leave at random for 60 s (at most 10 at once) while 2 listen"
churn() {  # churn ROOM
  (cd "$src/tests/livekit" && in_wire node churn.mjs --url ws://198.18.0.2:7880 --key devkey \
    --secret "$secret" --room "$1" --bots 20 --seconds 60 --max-connected 10 --seed 13) \
    > "$work/churn.json" 2> "$work/churn.err"
}
churn churn
rc=$?
# rtc-node 1.1.0's native code has aborted on its own heap ("corrupted
# double-linked list", SIGABRT) while rooms come and go: a client crash, not
# ours. Once, with edgesfu still up, the run is repeated in a fresh room.
if ((rc == 134)) && kill -0 "$esfu_pid" 2>/dev/null; then
  echo "   rtc-node aborted (exit 134: $(grep -m1 -i 'corrupted\|abort' "$work/churn.err")); once more"
  churn churn-again
  rc=$?
fi
((rc == 0)) || { tail -30 "$work/churn.err"; tail -1 "$work/churn.json"; fail "churn"; }
tail -1 "$work/churn.json" | cut -c1-300

step "every session ended: no flow, track or subscription left"
last_stats() { grep 'stats:' "$work/err" | tail -1; }
for _ in $(seq 30); do
  last_stats | grep -q 'flows 0 tracks 0 subscriptions 0' && break
  sleep 0.1
done
last_stats | grep -q 'flows 0 tracks 0 subscriptions 0' || fail "left over: $(last_stats)"
for _ in $(seq 50); do
  flows=$(grep -o 'dataplane flows now [0-9]*' "$work/err" | tail -1 | awk '{print $4}')
  [[ -z $flows || $flows == 0 ]] && break
  sleep 0.1
done
[[ -z $flows || $flows == 0 ]] || fail "edgesfu still has $flows flows after the bots left"
grep -q 'livekit: .* joined room bots' "$work/err" || fail "no LiveKit join in the log"

step "edgesfu stops"
stop_edgesfu
bash "$topo" down "$P" >/dev/null 2>&1
assert_nothing_left
echo "PASS"
