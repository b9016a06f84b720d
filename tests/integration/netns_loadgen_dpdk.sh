#!/usr/bin/env bash
# Integration test (ctest label netns): tools/loadgen --dpdk against edgesfu
# on a net_memif wire. Signalling, ICE and DTLS cross each side's TAP; the
# media of every session goes through loadgen's DPDK lcore, protected and
# verified with the project's SRTP engine, in a two-step ramp (50 then 200
# audio packets a second per publisher). Both steps must deliver what was
# sent x the subscribers of each room with no SRTP error; the verified half
# of the subscribers must have latency samples; the kernel's packets must
# have crossed the lcore both ways. Then no flow may be left, both DPDK
# processes must stop cleanly and leave nothing behind.
#  - one worker (netns_loadgen_dpdk): 3 publishers (one with video) x 4
#    subscribers in one room, every second subscriber decrypting everything
#    it gets and the others counting by sequence number;
#  - two workers (netns_loadgen_dpdk_2w): edgesfu's two worker lcores share
#    the machine's CPUs (dataplane.lcore_map); 2 rooms of 2 publishers (one
#    with video) x 2 subscribers, which edgesfu puts on one worker each;
#    loadgen sends on two memif queues by a hash of each session's ports, as
#    RSS would. Both workers must forward media and hand packets over.
#
# usage: netns_loadgen_dpdk.sh EDGESFU_BINARY LOADGEN_BINARY SOURCE_DIR [WORKERS]
set -u
bin=$1
loadgen=$2
src=$3
workers=${4:-1}
source "$src/tests/integration/lib.sh"
LG=$P-lg

trap 'ip netns del "$LG" 2>/dev/null; cleanup' EXIT
esfu_yaml_sed=(-e "s|vdev: net_af_packet0.*|vdev: net_memif0,role=server,socket=$work/memif.sock,socket-abstract=no|")
lg_args=(--publishers 3 --video-publishers 1 --subscribers 4)
if ((workers == 2)); then
  # Three polling lcores (two workers, loadgen's) on what may be two CPUs:
  # idle ones sleep.
  esfu_yaml_sed+=(-e "s|worker_lcores: \[1\]|worker_lcores: [1, 2]\n  lcore_map: '0@(0-1),1@0,2@1'\n  idle_sleep_us: 50|"
                  -e "s|mbufs: 8191|mbufs: 16383|" -e "s|memory_mb: 128|memory_mb: 256|")
  lg_args=(--publishers 4 --video-publishers 2 --subscribers 4 --rooms 2 --dpdk-queues 2
           --dpdk-idle-sleep-us 50)
fi
start_topology_and_edgesfu
ip netns add "$LG" || fail "netns $LG"
ip -n "$LG" link set lo up

step "loadgen --dpdk, $workers worker(s): ${lg_args[*]}, ramp 50, 200 packets/s"
ip netns exec "$LG" "$loadgen" --config "$work/edgesfu.yaml" --dpdk "$work/memif.sock" \
  --dpdk-tap "$P-lg0" --dpdk-prefix "$P-lg" "${lg_args[@]}" \
  --verify-every 2 --seconds 3 --ramp 50,200 --ramp-p99-ms 50 --json "$work/dpdk.json" \
  > "$work/lg" 2>&1 || { cat "$work/lg"; fail "loadgen exited $?"; }
grep '^loadgen: step\|^loadgen: media' "$work/lg"
"$py" - "$work/dpdk.json" "$workers" <<'PY' || { cat "$work/lg"; fail "DPDK run out of bounds"; }
import json, sys
j = json.load(open(sys.argv[1]))
workers = int(sys.argv[2])
d = j["dpdk"]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
pubs, subs = j["publishers"], j["subscribers"]
per_room = subs // j["rooms"]  # subscribers of a room: each gets its room's publishers
# Streams a subscriber receives: its room's publishers' audio, and video of one.
streams = subs * (pubs // j["rooms"] + 1)
want(j["publishers_up"] == pubs, "publishers up %d, want %d" % (j["publishers_up"], pubs))
want(j["subscribers_receiving"] == subs, "subscribers receiving %d, want %d" % (j["subscribers_receiving"], subs))
want(j["streams"]["answered"] == streams and j["streams"]["receiving"] == streams,
     "streams %s, want %d/%d" % (j["streams"], streams, streams))
want(j["failed"]["publishers"] == 0 and j["failed"]["subscribers"] == 0, "failed %s" % j["failed"])
steps = j.get("ramp", [])
want(len(steps) == 2, "%d ramp steps, want 2" % len(steps))
if len(steps) == 2:
    a, b = steps
    # At rate 50: 50 audio packets/s per publisher, 120 video packets/s per
    # video publisher (video frames scale with the rate).
    sent = 50 * pubs + 120 * j["video_publishers"]
    want(0.93 * sent <= a["sent_pps"] <= 1.07 * sent, "step 1 sent %.0f pps, want ~%d" % (a["sent_pps"], sent))
    want(3.6 * a["sent_pps"] <= b["sent_pps"] <= 4.4 * a["sent_pps"],
         "step 2 sent %.0f pps, want ~4 x step 1" % b["sent_pps"])
    for i, s in enumerate(steps):
        want(s["recv_pps"] >= 0.97 * per_room * s["sent_pps"],
             "step %d received %.0f pps of %d x %.0f" % (i + 1, s["recv_pps"], per_room, s["sent_pps"]))
        want(s["loss_ratio"] <= 0.01, "step %d loss %.4f" % (i + 1, s["loss_ratio"]))
        want(s["srtp_errors"] == 0 and s["send_errors"] == 0 and s["wire_drops"] == 0, "step %d errors %s" % (i + 1, s))
        want(s["latency_ms"]["samples"] > 0 and 0 < s["latency_ms"]["p50"] < 50, "step %d latency %s" % (i + 1, s["latency_ms"]))
        want(s["pass"], "step %d did not pass" % (i + 1))
want(j["srtp_errors"] == 0 and j["bad_packets"] == 0, "srtp errors %d, bad packets %d" % (j["srtp_errors"], j["bad_packets"]))
# Half the subscribers verify: their packets are a part of all received, not all.
want(0.3 * d["recv_pkts_total"] < d["verified_pkts"] < 0.7 * d["recv_pkts_total"],
     "verified %d of %d received" % (d["verified_pkts"], d["recv_pkts_total"]))
want(d["to_kernel"] > 0 and d["from_kernel"] > 0 and d["kernel_drops"] == 0, "kernel path %s" % d)
want(d["rtcp_pkts"] > 0, "no RTCP from the SFU")
want("AEAD_AES_128_GCM" in next(iter(j["srtp_profiles"]), ""), "profiles %s" % j["srtp_profiles"])
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY

if ((workers == 2)); then
  step "both workers forwarded media, and packets were handed over between them"
  "$py" - "$src/tools" "$P" <<'PY' || fail "the two workers did not share the rooms, or nothing was handed over"
import sys
sys.path.insert(0, sys.argv[1])
from telemetry import query
lc, md = [r.get(c) or {} for c, r in zip(("/edgesfu/lcores", "/edgesfu/media"),
                                         query(sys.argv[2], ["/edgesfu/lcores", "/edgesfu/media"]))]
tx = [v["media_tx_pkts"] for v in lc.values()]
handed = [v["handed_off"] for v in md.values()]
print("  media sent per worker %s, handed over per worker %s" % (tx, handed))
sys.exit(0 if len(tx) == 2 and min(tx) > 1000 and sum(handed) > 100 else 1)
PY
fi

step "loadgen left no DPDK runtime files"
[[ ! -e /var/run/dpdk/$P-lg ]] || fail "/var/run/dpdk/$P-lg left behind"
compgen -G "/dev/hugepages/$P-lgmap_*" > /dev/null && fail "hugepage files of $P-lg left"
ip netns del "$LG"
finish_test
