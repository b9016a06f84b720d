# Janus 1.1.2 (Debian's janus, videoroom) in its own namespaces, for the
# benchmarks that measure it beside edgesfu (bench/compare, bench/capacity).
# Sourced; the caller sets root (the repo), work (a scratch folder), J (the
# namespaces' prefix) and the array pids, and gets sfu_pid.
#
# The topology: a client namespace as in the dev topology ($J-wire,
# 198.18.0.1), and a server namespace that holds the appliance address
# 198.18.0.2 on the veth's other end ($J-app). Janus runs pinned to CPU 1.

janus_ns_down() {
  for ns in "$J-wire" "$J-app"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      local p; p=$(ip netns pids "$ns" | tr '\n' ' ')
      [[ -n ${p// } ]] && kill -TERM $p 2>/dev/null; sleep 0.5
      p=$(ip netns pids "$ns" | tr '\n' ' ')
      [[ -n ${p// } ]] && kill -KILL $p 2>/dev/null
      ip netns del "$ns"
    fi
  done
  ip link show "$J-cl0" >/dev/null 2>&1 && ip link del "$J-cl0" || true
}

janus_ns_up() {
  ip netns add "$J-wire"; ip netns add "$J-app"
  ip -n "$J-wire" link set lo up; ip -n "$J-app" link set lo up
  ip link add "$J-cl0" type veth peer name "$J-sv0"
  ip link set "$J-cl0" netns "$J-wire"; ip link set "$J-sv0" netns "$J-app"
  ip -n "$J-wire" addr add 198.18.0.1/24 dev "$J-cl0"
  ip -n "$J-app" addr add 198.18.0.2/24 dev "$J-sv0"
  ip -n "$J-wire" link set "$J-cl0" up; ip -n "$J-app" link set "$J-sv0" up
}

start_janus() {
  janus_ns_up
  mkdir -p "$work/janus/none"
  for f in "$root"/bench/janus/*.jcfg.in; do
    sed -e "s|@DIR@|$work/janus|g" -e "s|@IP@|198.18.0.2|g" "$f" > "$work/janus/$(basename "${f%.in}")"
  done
  ip netns exec "$J-app" taskset -c 1 janus -C "$work/janus/janus.jcfg" -F "$work/janus" \
    > "$work/janus.log" 2>&1 &
  sfu_pid=$!; pids+=("$sfu_pid")
  for _ in $(seq 100); do
    ip netns exec "$J-wire" curl -sf -m 1 http://198.18.0.2:8088/janus/info >/dev/null && return 0
    sleep 0.2
  done
  tail -20 "$work/janus.log" >&2; echo "janus did not start" >&2; exit 1
}

stop_janus() {
  kill -TERM "$sfu_pid"; wait "$sfu_pid" 2>/dev/null || true
  janus_ns_down
}
