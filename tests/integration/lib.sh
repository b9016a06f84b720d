# Shared by the netns integration tests: a dev topology of the test's own
# (prefix t<pid>), edgesfu started in it on dev.yaml, and a cleanup that runs on
# every exit. Source it after setting bin (edgesfu binary) and src (source dir).
P=t$(($$ % 1000000))
topo=$src/deploy/dev-topology.sh
py=/usr/bin/python3
work=$(mktemp -d)
esfu_pid=
helpers=()

cleanup() {
  for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; done
  if [[ -n $esfu_pid ]] && kill -0 "$esfu_pid" 2>/dev/null; then
    kill -TERM "$esfu_pid"; wait "$esfu_pid" 2>/dev/null
  fi
  bash "$topo" down "$P" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# A command in the client namespace; a token minted with the running config.
in_wire() { ip netns exec "$P-wire" "$@"; }
mint() { "$py" "$src/tools/mint-token" --config "$work/edgesfu.yaml" "$@"; }

fail() {
  echo "FAIL: $*"
  echo "--- edgesfu stderr"; cat "$work/err" 2>/dev/null
  echo "--- edgesfu stdout"; cat "$work/out" 2>/dev/null
  exit 1
}
step() { echo "== $*"; }

# Brings the topology up and starts edgesfu on dev.yaml renamed to this prefix
# (with the sed expressions in `esfu_yaml_sed`, an array of -e EXPR, and the
# text in `esfu_yaml_append` added at its end: dataplane is its last section,
# so indented keys land there, unindented ones at the top level); returns
# once edgesfu says it runs.
esfu_yaml_sed=()
esfu_yaml_append=
start_topology_and_edgesfu() {
  step "topology $P up"
  bash "$topo" up "$P" || fail "dev-topology up"
  sed -e "s/esfu-/$P-/g" -e "s/file_prefix: esfu/file_prefix: $P/" \
      "${esfu_yaml_sed[@]}" "$src/config/dev.yaml" > "$work/edgesfu.yaml"
  [[ -n $esfu_yaml_append ]] && printf '%s\n' "$esfu_yaml_append" >> "$work/edgesfu.yaml"
  "$bin" --check-config "$work/edgesfu.yaml" >/dev/null || fail "derived config invalid"
  start_edgesfu
}

# Starts edgesfu in the topology that is up; `esfu_wrap` (an array) may hold
# a command to run it under (prlimit, ...). Returns once it says it runs.
esfu_wrap=()
start_edgesfu() {
  step "edgesfu starts in $P-dp"
  ip netns exec "$P-dp" "${esfu_wrap[@]}" "$bin" --config "$work/edgesfu.yaml" > "$work/out" 2> "$work/err" &
  esfu_pid=$!
  for _ in $(seq 300); do
    grep -q 'edgesfu running' "$work/err" && return 0
    kill -0 "$esfu_pid" 2>/dev/null || fail "edgesfu exited during start-up"
    sleep 0.1
  done
  fail "edgesfu did not start within 30 s"
}

# Waits up to SECONDS for PATTERN in FILE while process PID runs; fails
# (showing FILE) if PID ends first or the time passes. WHAT names it.
wait_for_line() {  # FILE PATTERN PID SECONDS WHAT
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    grep -q -- "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1"; fail "$5 ended early"; }
    sleep 0.1
  done
  cat "$1"
  fail "$5: no '$2' within $4 s"
}

# Stops edgesfu with SIGTERM; fails unless it exits 0.
stop_edgesfu() {
  kill -TERM "$esfu_pid"
  wait "$esfu_pid"
  local rc=$?
  esfu_pid=
  [[ $rc -eq 0 ]] || fail "edgesfu exited $rc on SIGTERM"
}

# The end of a test whose clients have left: waits up to 5 s for edgesfu's
# last "dataplane flows now N" to say 0, stops edgesfu (exit 0 required),
# runs the test's after_stop function if it has one, takes the topology down
# and checks nothing is left; prints PASS.
finish_test() {
  local flows=
  step "every session ended"
  for _ in $(seq 50); do
    flows=$(grep -o 'dataplane flows now [0-9]*' "$work/err" | tail -1 | awk '{print $4}')
    [[ -z $flows || $flows == 0 ]] && break
    sleep 0.1
  done
  [[ -z $flows || $flows == 0 ]] || fail "edgesfu still has $flows flows after the clients left"
  step "edgesfu stops"
  stop_edgesfu
  if declare -F after_stop > /dev/null; then after_stop; fi
  bash "$topo" down "$P" >/dev/null 2>&1
  assert_nothing_left
  echo "PASS"
}

# Fails unless no namespace, link or DPDK runtime file of this prefix is left.
assert_nothing_left() {
  ip netns list | grep -q "^$P-" && fail "namespaces left: $(ip netns list | grep "^$P-")"
  ip -o link show | grep -q " $P-" && fail "links left"
  [[ ! -e /var/run/dpdk/$P ]] || fail "runtime dir /var/run/dpdk/$P left behind"
  compgen -G "/dev/hugepages/${P}map_*" > /dev/null && fail "hugepage files of $P left"
  return 0
}
