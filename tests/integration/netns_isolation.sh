#!/usr/bin/env bash
# Integration test (ctest label netns), issue 16 #4: one participant
# misbehaves in a room of healthy ones, and the healthy ones do not notice.
# Healthy: a WHIP publisher and two WHEP subscribers (tools/loadgen: every
# packet counted) and a LiveKit participant on a raw WebSocket timing ping_req
# -> pong_resp every 50 ms for 28 s. After they are up, for 22 s, MODE:
#   garbage_frames      frames that are no SignalRequest, ~10,000/s
#                       (isolation_client.py garbage)
#   garbage_media       a WHIP publisher that sends, besides its media, 4,000
#                       packets/s on its own authenticated flow: forged and
#                       replayed SRTP and SRTCP, truncated and random packets
#                       (loadgen --garbage-pps); edgesfu's counters must show
#                       them refused
#   many_sockets        WebSockets opened in a loop with one token, held
#                       unread (isolation_client.py sockets)
#   data_flood          data messages as fast as rtc-node sends them
#                       (misbehave.mjs flood)
#   renegotiation_loop  a track published and unpublished every 300 ms
#                       (misbehave.mjs reneg)
#   stalled_reader      a subscriber that stops (SIGSTOP) while another
#                       sends it 200 reliable messages a second: its data
#                       channel fills (misbehave.mjs sink + feeder)
#   no_consent          a participant that stops (SIGSTOP), once edgesfu's
#                       fast path has its flow, and so answers nothing:
#                       removed after dataplane.fastpath.idle_timeout_ms (8 s)
# Passes when the healthy media lost nothing, every ping was answered within
# 100 ms, edgesfu still runs and exits cleanly, and the misbehaviour was real
# (its own counts; for no_consent, its removal).
#
# usage: netns_isolation.sh EDGESFU_BINARY SOURCE_DIR LOADGEN_BINARY MODE
set -u
bin=$1
src=$2
loadgen=$3
mode=$4
source "$src/tests/integration/lib.sh"
URL=ws://198.18.0.2:7880
# The pinger has no media transport: it may stay 30 s without an ICE check.
esfu_yaml_append=$'  idle_sleep_us: 200\n  fastpath:\n    idle_timeout_ms: 8000\nlimit:\n  first_check_timeout_ms: 30000'
case $mode in
  garbage_frames | garbage_media | many_sockets | data_flood | renegotiation_loop | stalled_reader | no_consent) ;;
  *) echo "netns_isolation: unknown mode $mode" >&2; exit 2 ;;
esac

start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")
lk() { in_wire node "$src/tests/livekit/misbehave.mjs" --url "$URL" --secret "$secret" --room iso "$@"; }
raw() { in_wire python3 "$src/tests/livekit/isolation_client.py" 198.18.0.2 7880 "$secret" iso "$@"; }

step "healthy participants"
in_wire "$loadgen" --config "$work/edgesfu.yaml" --room iso --publishers 1 --subscribers 2 \
  --seconds 40 --quiet --json "$work/healthy.json" > "$work/loadgen.out" 2>&1 &
lg=$!
helpers+=("$lg")
wait_for_line "$work/loadgen.out" 'loadgen: all up' "$lg" 30 loadgen
raw ping 28 > "$work/ping.json" 2> "$work/ping.err" &
pinger=$!
helpers+=("$pinger")
sleep 3

step "misbehaving: $mode for 22 s"
mis_ok=1
case $mode in
  garbage_frames) raw garbage 22 > "$work/mis.json" 2> "$work/mis.err" || mis_ok=0 ;;
  garbage_media)
    in_wire "$loadgen" --config "$work/edgesfu.yaml" --room iso --publishers 1 --subscribers 0 \
      --garbage-pps 4000 --seconds 22 --quiet --json "$work/mis_lg.json" > "$work/mis.err" 2>&1 || mis_ok=0
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
print(json.dumps({k: j[k] for k in ("garbage_sent", "sent_pkts", "publishers_up")}))' \
      "$work/mis_lg.json" > "$work/mis.json" || mis_ok=0
    ;;
  many_sockets) raw sockets 22 > "$work/mis.json" 2> "$work/mis.err" || mis_ok=0 ;;
  data_flood) lk --mode flood --seconds 22 > "$work/mis.out" 2> "$work/mis.err" || mis_ok=0 ;;
  renegotiation_loop) lk --mode reneg --seconds 22 > "$work/mis.out" 2> "$work/mis.err" || mis_ok=0 ;;
  stalled_reader | no_consent)
    # Not through a shell function: $! must be node itself (ip netns exec
    # execs it), for SIGSTOP to stop the client and not a subshell.
    ip netns exec "$P-wire" node "$src/tests/livekit/misbehave.mjs" --url "$URL" --secret "$secret" \
      --room iso --mode sink --seconds 60 > "$work/sink.out" 2> "$work/mis.err" &
    sink=$!
    helpers+=("$sink")
    for _ in $(seq 150); do grep -q joined "$work/sink.out" && break; sleep 0.1; done
    grep -q joined "$work/sink.out" || { cat "$work/mis.err"; fail "the sink did not join"; }
    echo "   the sink says it joined at $(date -u +%H:%M:%S.%3N)"
    # rtc-node's connect returns once its side is up; edgesfu takes the flow
    # when the nominating check arrives, which may come a moment later. The
    # stop must come after that, or there is no consent to lose (the session
    # would end on the handshake timeout instead).
    sink_sid=$(sed -n 's/.*livekit: \(PA_[A-Za-z0-9]*\) (misbehaving-sink) joined.*/\1/p' "$work/err" | head -1)
    [[ -n $sink_sid ]] || fail "edgesfu did not log the sink's join"
    owned="session $sink_sid in iso: fast path owns the flow"
    wait_for_line "$work/err" "$owned" "$esfu_pid" 15 "the sink's flow"
    grep "$owned" "$work/err" | cut -c12-23,29- | sed 's/^/   /'
    if [[ $mode == stalled_reader ]]; then
      lk --mode feeder --seconds 22 > "$work/mis.json" 2> "$work/feeder.err" &
      feeder=$!
      helpers+=("$feeder")
    fi
    # The whole process stops: rtc-node reads nothing and sends nothing.
    kill -STOP "$sink"
    sleep 22
    if [[ $mode == stalled_reader ]]; then
      wait "$feeder" || mis_ok=0
      tail -1 "$work/mis.json" > "$work/mis.last" && mv "$work/mis.last" "$work/mis.json"  # rtc-node logs first
    else
      echo '{"stopped_s": 22}' > "$work/mis.json"
    fi
    kill -CONT "$sink"
    kill -TERM "$sink" 2>/dev/null
    ;;
esac
((mis_ok)) || { tail -20 "$work/mis.err"; fail "the misbehaving client failed to run"; }
# rtc-node's own logs share its stdout: the result is the last line.
[[ -f $work/mis.out ]] && tail -1 "$work/mis.out" > "$work/mis.json"
echo "   misbehaving: $(cat "$work/mis.json")"

step "the healthy ones"
wait "$pinger" || { cat "$work/ping.err"; fail "pinger failed"; }
wait "$lg" || { tail -20 "$work/loadgen.out"; fail "loadgen failed"; }
python3 - "$work/healthy.json" "$work/ping.json" <<'EOF' || fail "the healthy participants were disturbed"
import json, sys
m, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"   media: {m['recv_pkts']} packets received, loss {m['loss_ratio']:.5f}, "
      f"silent streams {m['streams']['silent']}, failed {m['failed']}")
print(f"   signalling: {p['n']} pings, round trip p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, "
      f"max {p['max_ms']} ms, unanswered {p['lost']}")
bad = []
if m["loss_ratio"] != 0 or m["streams"]["silent"] != 0: bad.append("media lost")
if m["failed"]["publishers"] or m["failed"]["subscribers"]: bad.append("sessions failed")
if p["lost"] != 0 or p["max_ms"] >= 100: bad.append("signalling round trip >= 100 ms or unanswered")
if p["n"] < 250: bad.append("too few pings")
for b in bad: print("   BAD:", b)
sys.exit(1 if bad else 0)
EOF
if [[ $mode == no_consent ]]; then
  grep -q 'misbehaving-sink' "$work/err" || fail "the sink never joined"
  grep -q 'consent lost' "$work/err" || fail "the stopped participant was not removed for want of consent"
  grep 'consent lost' "$work/err" | head -2
fi
if [[ $mode == garbage_media ]]; then
  # Once edgesfu stopped: its counters, against what the publisher sent.
  after_stop() {
    local counters sent
    counters=$(grep -o 'edgesfu counters.*' "$work/out")
    c() { tr ' ' '\n' <<< "$counters" | awk -F= -v k="$1" '$1 == k {s += $2} END {print s + 0}'; }
    sent=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["garbage_sent"])' "$work/mis.json")
    echo "   garbage sent $sent; edgesfu: srtp_auth_fail $(c drop_srtp_auth_fail)," \
      "srtp_replay $(c drop_srtp_replay), srtp_malformed $(c drop_srtp_malformed)," \
      "rtp_malformed $(c drop_rtp_malformed), punt_rate_limited $(c drop_punt_rate_limited)," \
      "stun_refused $(c drop_stun_refused), flow_not_media $(c drop_flow_not_media)," \
      "punted_data $(c punted_data)"
    ((sent >= 22 * 4000 * 8 / 10)) || fail "the publisher sent only $sent garbage packets"
    # A sixth each: forged RTP, forged RTCP and strangers fail authentication,
    # replays are replays, truncated packets are malformed or no media (too
    # short to be RTP); the random sixth spreads over all of these.
    (($(c drop_srtp_auth_fail) >= sent * 3 / 6 * 9 / 10)) || fail "forged packets were not refused as such"
    (($(c drop_srtp_replay) >= sent / 6 * 9 / 10)) || fail "replayed packets were not refused as such"
    (($(c drop_srtp_malformed) + $(c drop_rtp_malformed) + $(c drop_flow_not_media) >= sent / 6 * 9 / 10)) ||
      fail "truncated packets were not refused as such"
  }
fi
kill -0 "$esfu_pid" || fail "edgesfu died"
finish_test
