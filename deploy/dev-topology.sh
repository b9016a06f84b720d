#!/usr/bin/env bash
# The dev topology of DEVTOPOLOGY.md: three network namespaces and one veth.
#
#   <P>-wire  clients: <P>-cl0 198.18.0.1/24, mac 02:00:c6:12:00:01, TX checksum
#             offload off (DPDK hands the kernel behind the TAP what it gets)
#      | veth
#   <P>-dp    edgesfu runs here; it takes <P>-dp0 with af_packet. No IPs, no routes.
#   <P>-app   edgesfu creates its TAP <P>-tap0 here and gives it 198.18.0.2/24:
#             the appliance IP, where the slow path's sockets live.
#
# usage: deploy/dev-topology.sh up|down|status [PREFIX]
#   PREFIX (default: $EDGESFU_TOPO_PREFIX or "esfu") names everything, so two runs
#   with different prefixes never collide. At most 10 characters.
# `down` removes everything `up` made, even after edgesfu crashed: it ends the
# processes still inside the namespaces (by PID), deletes the namespaces and
# links, and removes DPDK runtime files of the file prefix <P>.
set -euo pipefail

cmd=${1:-}
P=${2:-${EDGESFU_TOPO_PREFIX:-esfu}}
if [[ ! $P =~ ^[a-z][a-z0-9]{0,9}$ ]]; then
  echo "dev-topology: prefix '$P' must be 1-10 lowercase letters/digits, starting with a letter" >&2
  exit 2
fi
WIRE=$P-wire DP=$P-dp APP=$P-app
CL_IF=$P-cl0 DP_IF=$P-dp0
CLIENT_IP=198.18.0.1/24
CLIENT_MAC=02:00:c6:12:00:01
DP_MAC=02:00:c6:12:00:10

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

up() {
  if [[ $(id -u) -ne 0 ]]; then echo "dev-topology: must run as root" >&2; exit 1; fi
  for ns in "$WIRE" "$DP" "$APP"; do
    if ns_exists "$ns"; then
      echo "dev-topology: namespace $ns exists already; run '$0 down $P' first" >&2
      exit 1
    fi
  done
  # Undo a half-made topology if anything below fails.
  trap 'down >/dev/null 2>&1 || true' ERR
  for ns in "$WIRE" "$DP" "$APP"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip link add "$CL_IF" type veth peer name "$DP_IF"
  ip link set "$CL_IF" netns "$WIRE"
  ip link set "$DP_IF" netns "$DP"

  ip -n "$WIRE" link set "$CL_IF" address "$CLIENT_MAC"
  ip -n "$WIRE" addr add "$CLIENT_IP" dev "$CL_IF"
  ip -n "$WIRE" link set "$CL_IF" up
  ip netns exec "$WIRE" ethtool -K "$CL_IF" tx off >/dev/null

  # The DPDK side: no addresses, no IPv6 autoconf chatter, promiscuous.
  ip netns exec "$DP" sysctl -qw "net.ipv6.conf.$DP_IF.disable_ipv6=1"
  ip -n "$DP" link set "$DP_IF" address "$DP_MAC"
  ip -n "$DP" link set "$DP_IF" promisc on
  ip -n "$DP" link set "$DP_IF" up
  trap - ERR
  echo "dev-topology: up ($WIRE $CLIENT_IP on $CL_IF; edgesfu in $DP on $DP_IF; TAP into $APP)"
}

kill_ns_procs() {
  local ns=$1 pids
  ns_exists "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
  [[ -n ${pids// } ]] || return 0
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [[ -n ${pids// } ]] || return 0
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null || true
  sleep 0.2
}

down() {
  for ns in "$DP" "$APP" "$WIRE"; do kill_ns_procs "$ns"; done
  for ns in "$WIRE" "$DP" "$APP"; do
    ns_exists "$ns" && ip netns del "$ns"
  done
  # Links left in the root namespace if `up` died between add and move.
  for l in "$CL_IF" "$DP_IF"; do
    ip link show "$l" >/dev/null 2>&1 && ip link del "$l"
  done
  # DPDK runtime files of this prefix (normally removed by edgesfu itself).
  rm -rf "/var/run/dpdk/$P"
  rm -f /dev/hugepages/"$P"map_* 2>/dev/null || true
  echo "dev-topology: down ($P)"
}

status() {
  local rc=0
  for ns in "$WIRE" "$DP" "$APP"; do
    if ns_exists "$ns"; then
      echo "== $ns"
      ip -n "$ns" -br addr
      local pids
      pids=$(ip netns pids "$ns" | tr '\n' ' ')
      [[ -n ${pids// } ]] && echo "processes: $pids"
    else
      echo "== $ns: absent"; rc=1
    fi
  done
  [[ -d /var/run/dpdk/$P ]] && echo "DPDK runtime dir: /var/run/dpdk/$P"
  return $rc
}

case $cmd in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status [PREFIX]" >&2; exit 2 ;;
esac
