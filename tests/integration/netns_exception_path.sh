#!/usr/bin/env bash
# Integration test (ctest label netns): brings up a dev topology of its own,
# runs edgesfu on dev.yaml in it, and proves through the dataplane: ARP and ICMP
# from the wire namespace to the appliance IP, a TCP connection (HTTP GET to a
# server in the app namespace), and UDP both ways. edgesfu's final counters must
# show the packets crossing both DPDK ports, and the stop must leave no runtime
# files. Everything is removed on failure too.
#
# usage: netns_exception_path.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
probe=$src/tools/udp_probe.py
APP_IP=198.18.0.2
CLIENT_IP=198.18.0.1
in_app() { ip netns exec "$P-app" "$@"; }

start_topology_and_edgesfu
ip -n "$P-app" -br addr show dev "$P-tap0" | grep -q "$APP_IP/24" \
  || fail "TAP $P-tap0 lacks $APP_IP in $P-app"

step "ARP and ICMP: wire -> appliance IP"
in_wire ping -c 5 -i 0.2 -W 2 "$APP_IP" > "$work/ping" || { cat "$work/ping"; fail "ping"; }
grep -q ' 0% packet loss' "$work/ping" || { cat "$work/ping"; fail "ping lost packets"; }
ip -n "$P-wire" neigh show "$APP_IP" | grep -q 'lladdr 02:00:c6:12:00:02' \
  || fail "ARP did not resolve $APP_IP to the TAP's fixed MAC"

step "TCP: HTTP GET from wire to a server in $P-app"
mkdir -p "$work/www"
head -c 300000 /dev/urandom > "$work/www/blob"
(cd "$work/www" && exec ip netns exec "$P-app" "$py" -m http.server 8080 --bind "$APP_IP") \
  > /dev/null 2>&1 &
helpers+=($!)
ok=
for _ in $(seq 50); do
  if in_wire curl -sf -m 5 -o "$work/got" "http://$APP_IP:8080/blob"; then ok=1; break; fi
  sleep 0.1
done
[[ -n $ok ]] || fail "HTTP GET failed"
cmp -s "$work/www/blob" "$work/got" || fail "HTTP body differs from the served file"

step "UDP: wire -> app, echoed back"
in_app "$py" "$probe" echo "$APP_IP" 5000 20 &
helpers+=($!)
sleep 0.3
in_wire "$py" "$probe" ping "$APP_IP" 5000 50 || fail "UDP wire->app echo"

step "UDP: app -> wire"
in_wire "$py" "$probe" recv "$CLIENT_IP" 5001 50 15 > "$work/udprecv" &
recv_pid=$!
sleep 0.3
in_app "$py" "$probe" send "$CLIENT_IP" 5001 80
wait "$recv_pid" || { cat "$work/udprecv"; fail "UDP app->wire"; }

step "telemetry: /edgesfu/lcores, /edgesfu/media, /edgesfu/drops"
tel=$("$py" "$src/tools/telemetry.py" "$P" /edgesfu/lcores /edgesfu/media /edgesfu/drops 2>&1) \
  || { echo "$tel"; fail "tools/telemetry.py failed"; }
echo "$tel" | grep -q '"rx_non_udp_pkts"' || { echo "$tel"; fail "telemetry lacks /edgesfu/lcores"; }
echo "$tel" | grep -q '"punted"' || { echo "$tel"; fail "telemetry lacks /edgesfu/media"; }
echo "$tel" | grep -q '"srtp_auth_fail"' || { echo "$tel"; fail "telemetry lacks /edgesfu/drops"; }

step "stop edgesfu (SIGTERM) and read its counters"
stop_edgesfu
line=$(grep '^edgesfu counters:' "$work/out") || fail "no counters line"
echo "$line"
# field PORT_OR_LCORE_SECTION KEY: the number after KEY= in that section.
field() { echo "$line" | tr '|' '\n' | grep -- "$1" | grep -o "$2=[0-9]*" | cut -d= -f2; }
check_min() {
  local v
  v=$(field "$1" "$2")
  [[ -n $v && $v -ge $3 ]] || fail "$1 $2=$v, want >= $3"
}
# 5 ICMP + ~250 TCP segments + 50 UDP each way + 80 UDP app->wire.
check_min port=wire rx_pkts 100
check_min port=wire tx_pkts 150
check_min port=exception rx_pkts 150
check_min port=exception tx_pkts 100
check_min lcore=1 wire_rx 100
check_min lcore=1 wire_tx 150
[[ $(field lcore=1 drop_exception_tx_full) -eq 0 ]] || fail "drops at the exception TX"

[[ ! -e /var/run/dpdk/$P ]] || fail "runtime dir /var/run/dpdk/$P left behind by a clean stop"
ip -n "$P-app" link show "$P-tap0" >/dev/null 2>&1 && fail "TAP survived edgesfu"

step "topology down leaves nothing"
bash "$topo" down "$P" > /dev/null || fail "dev-topology down"
assert_nothing_left
echo "PASS"
