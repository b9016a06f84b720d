#!/usr/bin/env bash
# Integration test (ctest label netns): tools/loadgen --dpdk against edgesfu
# on a net_memif wire. Signalling, ICE and DTLS cross each side's TAP; the
# media of every session goes through loadgen's DPDK lcore, protected and
# verified with the project's SRTP engine. 3 publishers (one with video) x 4
# subscribers, every second subscriber decrypting everything it gets and the
# others counting by sequence number, in a two-step ramp (50 then 200 audio
# packets a second per publisher). Both steps must deliver what was sent x 4
# with no SRTP error; the verified half must have latency samples; the
# kernel's packets must have crossed the lcore both ways. Then no flow may be
# left, both DPDK processes must stop cleanly and leave nothing behind.
#
# usage: netns_loadgen_dpdk.sh EDGESFU_BINARY LOADGEN_BINARY SOURCE_DIR
set -u
bin=$1
loadgen=$2
src=$3
source "$src/tests/integration/lib.sh"
LG=$P-lg

trap 'ip netns del "$LG" 2>/dev/null; cleanup' EXIT
esfu_yaml_sed=(-e "s|vdev: net_af_packet0.*|vdev: net_memif0,role=server,socket=$work/memif.sock,socket-abstract=no|")
start_topology_and_edgesfu
ip netns add "$LG" || fail "netns $LG"
ip -n "$LG" link set lo up

step "loadgen --dpdk: 3 publishers (1 with video) x 4 subscribers, ramp 50, 200 packets/s"
ip netns exec "$LG" "$loadgen" --config "$work/edgesfu.yaml" --dpdk "$work/memif.sock" \
  --dpdk-tap "$P-lg0" --dpdk-prefix "$P-lg" --publishers 3 --video-publishers 1 --subscribers 4 \
  --verify-every 2 --seconds 3 --ramp 50,200 --ramp-p99-ms 50 --json "$work/dpdk.json" \
  > "$work/lg" 2>&1 || { cat "$work/lg"; fail "loadgen exited $?"; }
grep '^loadgen: step\|^loadgen: media' "$work/lg"
"$py" - "$work/dpdk.json" <<'PY' || { cat "$work/lg"; fail "DPDK run out of bounds"; }
import json, sys
j = json.load(open(sys.argv[1]))
d = j["dpdk"]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
want(j["publishers_up"] == 3, "publishers up %d, want 3" % j["publishers_up"])
want(j["subscribers_receiving"] == 4, "subscribers receiving %d, want 4" % j["subscribers_receiving"])
want(j["streams"]["answered"] == 16 and j["streams"]["receiving"] == 16, "streams %s, want 16/16" % j["streams"])
want(j["failed"]["publishers"] == 0 and j["failed"]["subscribers"] == 0, "failed %s" % j["failed"])
steps = j.get("ramp", [])
want(len(steps) == 2, "%d ramp steps, want 2" % len(steps))
if len(steps) == 2:
    a, b = steps
    # 3 x 50 audio + 120 video packets/s at rate 50 (video frames scale with the rate).
    want(250 <= a["sent_pps"] <= 290, "step 1 sent %.0f pps, want ~270" % a["sent_pps"])
    want(3.6 * a["sent_pps"] <= b["sent_pps"] <= 4.4 * a["sent_pps"],
         "step 2 sent %.0f pps, want ~4 x step 1" % b["sent_pps"])
    for i, s in enumerate(steps):
        want(s["recv_pps"] >= 0.97 * 4 * s["sent_pps"], "step %d received %.0f pps of 4 x %.0f" % (i + 1, s["recv_pps"], s["sent_pps"]))
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

step "loadgen left no DPDK runtime files"
[[ ! -e /var/run/dpdk/$P-lg ]] || fail "/var/run/dpdk/$P-lg left behind"
compgen -G "/dev/hugepages/$P-lgmap_*" > /dev/null && fail "hugepage files of $P-lg left"
ip netns del "$LG"
finish_test
