#!/usr/bin/env bash
# The whole example on the dev topology, as an app would run it: edgesfu on
# config/dev.yaml with webhooks to webhook_receiver.mjs, an agent worker
# (worker.mjs + agent.mjs) that edgesfu dispatches into every new room, and a
# caller (caller.mjs) that joins room 'demo', speaks, and says what it hears
# from the agent. Prints the webhook log, then takes everything down.
#
#   sudo examples/voice-agent/run-demo.sh               # 20 s of call
#   sudo examples/voice-agent/run-demo.sh --seconds 60
#
# Needs the Release build from the README (build/edgesfu) and the npm
# packages of this folder (deploy/install-deps.sh installs both kinds of
# dependency; cmake builds edgesfu).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=20
[[ ${1:-} == --seconds ]] && seconds=${2:?--seconds N}
bin=${EDGESFU_BIN:-$root/build/edgesfu}
[[ -x $bin ]] || { echo "run-demo: $bin missing: build it first (README: Running it yourself)"; exit 2; }
[[ -d $here/node_modules/@livekit/agents ]] || { echo "run-demo: run deploy/install-deps.sh first"; exit 2; }
P=esfu
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash "$root/deploy/dev-topology.sh" down "$P" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

secret=$(awk '/devkey:/ {print $2}' "$root/config/dev.yaml")
cp "$root/config/dev.yaml" "$work/edgesfu.yaml"
cat >> "$work/edgesfu.yaml" <<'YAML'
webhook:
  api_key: devkey
  urls: ['http://198.18.0.1:7101/hook']
YAML
bash "$root/deploy/dev-topology.sh" up "$P"
ip netns exec "$P-dp" "$bin" --config "$work/edgesfu.yaml" 2> "$work/edgesfu.log" &
pids+=($!)
for _ in $(seq 300); do grep -q 'edgesfu running' "$work/edgesfu.log" && break; sleep 0.1; done
grep -q 'edgesfu running' "$work/edgesfu.log" || { cat "$work/edgesfu.log"; exit 1; }

cd "$here"
ip netns exec "$P-wire" node webhook_receiver.mjs --key devkey --secret "$secret" \
  --bind 198.18.0.1 --port 7101 > "$work/webhooks.log" 2>&1 &
pids+=($!)
ip netns exec "$P-wire" node worker.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" > "$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q 'registered worker' "$work/worker.log" && break; sleep 0.1; done
echo "== the agent worker registered; a caller joins room 'demo' for $seconds s"
ip netns exec "$P-wire" node caller.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --room demo --seconds "$seconds"
sleep 2
echo "== edgesfu on agents"
grep 'agents:' "$work/edgesfu.log" || true
echo "== the webhook receiver's log"
cat "$work/webhooks.log"
