#!/usr/bin/env bash
# Integration test (ctest label netns), issue 18 #1: Prometheus metrics on
# prometheus_port while media flows. edgesfu on dev.yaml with
# prometheus_port 6789 (as it has); tools/loadgen runs 1 WHIP publisher x 2 WHEP
# subscribers; /metrics is scraped from the client namespace (the appliance
# address, through the exception path) twice under load and once after.
# Each scrape must parse with the Prometheus client library's own parser;
# between the two under load the packets forwarded, received and decrypted
# must grow; the gauges must show the room, its 3 participants and 2
# subscriptions, the sessions' connect and DTLS histograms 3 observations;
# once everyone left, the gauges fall back to 0. Every metric the Grafana
# dashboard (deploy/grafana/edgesfu.json) queries is among them. Another
# path is a 404. Besides (dataplane.exception.gateways), the appliance's
# namespace has its default route via the client side, and an address
# beyond the wire's subnet answers through it. (Here, not in a test with
# Python's http.server in that namespace: its reverse DNS lookup would then
# wait for a resolver it cannot reach.)
#
# usage: netns_metrics.sh EDGESFU_BINARY SOURCE_DIR LOADGEN_BINARY
set -u
bin=$1
src=$2
loadgen=$3
source "$src/tests/integration/lib.sh"
# dev.yaml has prometheus_port 6789. A webhook URL nobody answers: the
# webhook families are there too.
esfu_yaml_append=$'  idle_sleep_us: 200\nwebhook:\n  api_key: devkey\n  urls: [http://198.18.0.1:7199/hook]'
URL=http://198.18.0.2:6789

esfu_yaml_sed=(-e 's|^    addresses: \["198.18.0.2/24"\]|&\n    gateways: [198.18.0.1]|')
start_topology_and_edgesfu
grep -q "prometheus: metrics on http://198.18.0.2:6789/metrics" "$work/err" || fail "no metrics server"

step "the default route via the gateway"
ip -n "$P-app" route show default | grep -q "via 198.18.0.1 dev $P-tap0" ||
  fail "no default route via 198.18.0.1 on $P-tap0: $(ip -n "$P-app" route show)"
ip -n "$P-wire" addr add 198.19.0.9/32 dev "$P-cl0" || fail "cannot add 198.19.0.9 to the client side"
ip netns exec "$P-app" ping -c 3 -i 0.2 -W 2 198.19.0.9 > "$work/ping_far" ||
  { cat "$work/ping_far"; fail "no answer from 198.19.0.9 through the gateway"; }
ip -n "$P-wire" addr del 198.19.0.9/32 dev "$P-cl0"

step "media flows: 1 publisher x 2 subscribers for 8 s"
in_wire "$loadgen" --config "$work/edgesfu.yaml" --room metrics --publishers 1 --subscribers 2 \
  --seconds 8 --quiet --json "$work/lg.json" > "$work/lg.out" 2>&1 &
lg=$!
helpers+=("$lg")
wait_for_line "$work/lg.out" 'loadgen: all up' "$lg" 30 loadgen
sleep 1
in_wire curl -sf -m 5 "$URL/metrics" > "$work/m1" || fail "scrape 1"
sleep 4
in_wire curl -sf -m 5 "$URL/metrics" > "$work/m2" || fail "scrape 2"
code=$(in_wire curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/nothing")
[[ $code == 404 ]] || fail "GET /nothing answered $code"
wait "$lg" || { tail -5 "$work/lg.out"; fail "loadgen failed"; }
for _ in $(seq 50); do
  grep -q 'dataplane flows now 0' "$work/err" && break
  sleep 0.1
done
in_wire curl -sf -m 5 "$URL/metrics" > "$work/m3" || fail "scrape 3"

step "the scrapes"
"$py" - "$work/m1" "$work/m2" "$work/m3" "$src/deploy/grafana/edgesfu.json" <<'PY' || fail "metrics wrong (above)"
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families

def load(path):
    """{(sample name, sorted labels): value}, through the client library's parser."""
    out = {}
    for fam in text_string_to_metric_families(open(path).read()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out

def total(m, name, **want):
    return sum(v for (n, labels), v in m.items()
               if n == name and all(dict(labels).get(k) == w for k, w in want.items()))

m1, m2, m3 = (load(p) for p in sys.argv[1:4])
bad = []
def check(ok, what):
    print(("   ok: " if ok else "   BAD: ") + what)
    if not ok: bad.append(what)

for name, kw in [("edgesfu_lcore_forwarded_packets_total", {}),
                 ("edgesfu_lcore_received_packets_total", {}),
                 ("edgesfu_fastpath_packets_total", {"event": "rtp_in"}),
                 ("edgesfu_fastpath_packets_total", {"event": "rtp_out"}),
                 ("edgesfu_port_received_packets_total", {"port": "wire"})]:
    a, b = total(m1, name, **kw), total(m2, name, **kw)
    check(b > a > 0, f"{name}{kw or ''} grows under load: {a:.0f} -> {b:.0f}")
fwd = total(m2, "edgesfu_lcore_forwarded_packets_total") - total(m1, "edgesfu_lcore_forwarded_packets_total")
check(fwd >= 2 * 50 * 3, f"~2 x 50 packets/s forwarded between the scrapes: {fwd:.0f}")
check(total(m2, "edgesfu_rooms") >= 1, "a room open")
check(total(m2, "edgesfu_participants") == 3, f"3 participants: {total(m2, 'edgesfu_participants')}")
check(total(m2, "edgesfu_subscriptions") == 2, f"2 subscriptions: {total(m2, 'edgesfu_subscriptions')}")
check(total(m2, "edgesfu_flows") == 3, "3 flows")
check(total(m2, "edgesfu_srtp_sessions") >= 6, "SRTP sessions held")
check(total(m2, "edgesfu_session_connect_seconds_count") == 3, "3 connect times observed")
check(total(m2, "edgesfu_dtls_handshake_seconds_count") == 3, "3 DTLS handshakes observed")
check(total(m2, "edgesfu_session_connect_seconds_bucket", le="10") == 3, "each connected within 10 s")
check(total(m2, "edgesfu_mempool_mbufs_in_use") > 0, "mbufs in use")
busy = total(m2, "edgesfu_lcore_busy_seconds_total")
check(busy > 0, f"busy seconds counted: {busy:.4f}")
check(total(m2, "edgesfu_lcore_dropped_packets_total", reason="srtp_auth_fail") == 0,
      "no SRTP authentication failure")
for g in ("edgesfu_participants", "edgesfu_flows", "edgesfu_subscriptions", "edgesfu_tracks"):
    check(total(m3, g) == 0, f"{g} back to 0 after: {total(m3, g)}")
check(total(m3, "edgesfu_sessions_ended_total") == 3, "3 sessions ended")
names = {n for n, _ in m2}
dash = json.load(open(sys.argv[4]))
used = {x for p in dash["panels"] for t in p["targets"] for x in re.findall(r"edgesfu_[a-z_]+", t["expr"])}
missing = sorted(u for u in used if u not in names)
check(not missing, f"the dashboard's {len(used)} metrics are all exposed (missing: {missing})")
sys.exit(1 if bad else 0)
PY

finish_test
