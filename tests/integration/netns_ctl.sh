#!/usr/bin/env bash
# Integration test (ctest label netns), issue 18 #2: tools/edgesfu-ctl
# against a running edgesfu, as an operator runs it (the config's keys, the
# TAP's namespace entered by the tool itself, the telemetry socket). Media
# flows (loadgen: 1 WHIP publisher, 1 WHEP subscriber, room ctl-media) and
# two rtc-node participants are in room ctl (tests/livekit/impaired_lk.mjs:
# lk-pub publishes a camera and a microphone, lk-sub receives them). Then:
# rooms lists both rooms; participants shows lk-pub's two tracks; mute
# mutes its microphone (seen in participants); remove takes lk-sub out;
# counters and top show the lcore forwarding; removing from a room that
# does not exist and a bad key are clear errors. edgesfu logs JSON here
# (logging.json, issue 18 #3): every line of its stderr must be a JSON
# object, DPDK's own messages too, and every line of the session and
# livekit components about lk-pub or lk-sub's session must carry its room
# and participant id.
#
# usage: netns_ctl.sh EDGESFU_BINARY SOURCE_DIR LOADGEN_BINARY
set -u
bin=$1
src=$2
loadgen=$3
source "$src/tests/integration/lib.sh"
esfu_yaml_append="  idle_sleep_us: 200"
esfu_yaml_sed=(-e 's|^  stats_interval: 1 .*|&\n  json: true\n  component_levels: {dpdk: debug, webhook: warn}|')
ctl() { "$src/tools/edgesfu-ctl" --config "$work/edgesfu.yaml" "$@"; }

start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "media: loadgen in ctl-media, rtc-node in ctl"
# Not through in_wire: $! must be loadgen itself (ip netns exec execs it),
# for SIGTERM at the end to reach it.
ip netns exec "$P-wire" "$loadgen" --config "$work/edgesfu.yaml" --room ctl-media \
  --publishers 1 --subscribers 1 --seconds 120 --quiet > "$work/lg.out" 2>&1 &
helpers+=($!)
mkfifo "$work/lk.in"
ip netns exec "$P-wire" node "$src/tests/livekit/impaired_lk.mjs" --secret "$secret" --room ctl \
  < "$work/lk.in" > "$work/lk.out" 2> "$work/lk.err" &
lk=$!
helpers+=("$lk")
exec 7> "$work/lk.in"
for _ in $(seq 450); do
  grep -q '"ready":true' "$work/lk.out" && break
  grep -q '"error"' "$work/lk.out" && break
  sleep 0.1
done
grep -q '"ready":true' "$work/lk.out" || { tail -20 "$work/lk.err"; cat "$work/lk.out"; fail "rtc-node not ready"; }
wait_for_line "$work/lg.out" 'loadgen: all up' "${helpers[0]}" 30 loadgen

step "rooms"
ctl rooms > "$work/rooms" || { cat "$work/rooms"; fail "edgesfu-ctl rooms"; }
cat "$work/rooms"
grep -Eq '^ctl +RM_[A-Za-z0-9]+ +2 +1 ' "$work/rooms" || fail "room ctl: not 2 participants, 1 publisher"
grep -Eq '^ctl-media +RM_[A-Za-z0-9]+ +2 +1 ' "$work/rooms" || fail "room ctl-media not listed right"

step "participants"
ctl participants ctl > "$work/parts" || fail "edgesfu-ctl participants"
cat "$work/parts"
grep -Eq '^lk-pub +PA_[A-Za-z0-9]+ +STANDARD +TR_[A-Za-z0-9]+' "$work/parts" || fail "lk-pub not listed"
grep -q '^lk-sub ' "$work/parts" || fail "lk-sub not listed"
mic=$(awk '/MICROPHONE/ {for (i = 1; i <= NF; i++) if ($i ~ /^TR_/) print $i}' "$work/parts")
cam=$(awk '/CAMERA/ {for (i = 1; i <= NF; i++) if ($i ~ /^TR_/) print $i}' "$work/parts")
[[ -n $mic && -n $cam ]] || fail "lk-pub's microphone and camera tracks not both listed"

step "mute lk-pub's microphone"
ctl mute ctl lk-pub "$mic" | tee "$work/mute" || fail "edgesfu-ctl mute"
grep -q "is muted" "$work/mute" || fail "mute did not say muted"
ctl participants ctl | grep "$mic" | grep -q muted || fail "the microphone is not shown muted"
ctl participants ctl | grep "$cam" | grep -q muted && fail "the camera was muted too"

step "remove lk-sub"
ctl remove ctl lk-sub || fail "edgesfu-ctl remove"
gone=
for _ in $(seq 30); do
  ctl participants ctl | grep -q '^lk-sub ' || { gone=1; break; }
  sleep 0.1
done
[[ -n $gone ]] || fail "lk-sub still in the room"

step "counters and top"
ctl counters > "$work/counters" || fail "edgesfu-ctl counters"
cat "$work/counters"
awk '$1 == "lcore1" && $2 > 0 && $3 > 0 {ok = 1} END {exit !ok}' "$work/counters" ||
  fail "counters: lcore1 received or forwarded nothing"
ctl top --interval 1 --count 2 > "$work/top" || fail "edgesfu-ctl top"
cat "$work/top"
[[ $(grep -c '^edgesfu [0-9:]* (every 1 s)' "$work/top") -eq 2 ]] || fail "top did not refresh twice"
# loadgen's one stream, 50 packets/s (lk-sub is gone): half of it, for
# samples that a loaded machine takes late.
awk '$1 == "lcore1" && $3 + 0 > 25 {n++} END {exit n < 2}' "$work/top" ||
  fail "top: lcore1 forwarding under 25 pps"
grep -q '^ctl-media ' "$work/top" || fail "top: ctl-media not among the busiest rooms"

step "errors"
ctl remove nosuchroom nobody > "$work/e1" 2>&1
rc=$?
[[ $rc -eq 1 ]] && grep -q 'edgesfu-ctl: RemoveParticipant: not_found' "$work/e1" ||
  { cat "$work/e1"; fail "an unknown room: status $rc"; }
ctl --key nokey rooms > "$work/e2" 2>&1
rc=$?
[[ $rc -eq 2 ]] && grep -q 'no key nokey' "$work/e2" || { cat "$work/e2"; fail "a bad key: status $rc"; }

echo stop >&7
exec 7>&-
wait "$lk"
# Its hold outlasts whatever the steps above took; it ends its sessions.
kill -TERM "${helpers[0]}"
wait "${helpers[0]}" 2>/dev/null

step "JSON logs"
python3 - "$work/err" <<'PY' || fail "logs not JSON as they should be (above)"
import json, sys
bad, n, sessions, components = [], 0, 0, set()
for line in open(sys.argv[1], encoding="utf-8"):
    n += 1
    try:
        j = json.loads(line)
    except ValueError:
        bad.append("not JSON: " + line.strip()[:200])
        continue
    if not all(k in j for k in ("time", "level", "component", "msg")):
        bad.append("fields missing: " + line.strip()[:200])
    components.add(j.get("component"))
    msg = j.get("msg", "")
    if j.get("component") in ("session", "livekit") and ("lk-pub" in msg or "lk-sub" in msg):
        sessions += 1
        if not j.get("room") or not j.get("participant", "").startswith("PA_"):
            bad.append("a session's line without its room and participant: " + line.strip()[:200])
print(f"   {n} lines, components {sorted(c for c in components if c)}, {sessions} about lk-pub/lk-sub")
for b in bad[:10]: print("   BAD:", b)
if sessions == 0: bad.append("no line about lk-pub or lk-sub")
if "dpdk" not in components: bad.append("no DPDK line came through")
sys.exit(1 if bad else 0)
PY
finish_test
