#!/usr/bin/env bash
# Integration test (ctest label netns), issue 15: LiveKit's webhooks from
# edgesfu, checked by an app's receivers with livekit-server-sdk 2.19.2's
# WebhookReceiver, in a dev topology of the test's own. edgesfu POSTs from
# the appliance address through its exception path to three receivers in the
# client namespace (tests/livekit/webhooks.mjs): one that answers (a room's
# whole life in order, every request verified), one that is down at first
# and comes up (it gets everything later, retried, in order), one that never
# answers (joins and the other receivers do not wait for it; its POSTs time
# out and are retried). edgesfu logs the retries and stops cleanly.
#
# usage: netns_livekit_webhooks.sh EDGESFU_BINARY SOURCE_DIR
set -u
bin=$1
src=$2
source "$src/tests/integration/lib.sh"
hooks="http://198.18.0.1:7101/hook, http://198.18.0.1:7102/late, http://198.18.0.1:7103/stuck"
esfu_yaml_append="  idle_sleep_us: 200
webhook:
  api_key: devkey
  urls: [$hooks]
  request_timeout_ms: 2000"
start_topology_and_edgesfu
secret=$(awk '/devkey:/ {print $2}' "$work/edgesfu.yaml")

step "a room's life, seen by three webhook receivers"
(cd "$src/tests/livekit" && in_wire node webhooks.mjs --url ws://198.18.0.2:7880 --key devkey \
  --secret "$secret" --bind 198.18.0.1 --up-port 7101 --late-port 7102 --stuck-port 7103 \
  --late-after 4000 --room hooks) > "$work/hooks.json" 2> "$work/hooks.err" \
  || { grep 'webhooks' "$work/hooks.err" | tail -30; tail -1 "$work/hooks.json"; fail "webhooks"; }
tail -1 "$work/hooks.json" | cut -c1-1200

step "edgesfu logged the retries"
grep -q 'webhook: room_started to http://198.18.0.1:7102/late will be retried' "$work/err" \
  || fail "no retry logged for the receiver that was down"
grep -q 'webhook: room_started to http://198.18.0.1:7103/stuck will be retried: no answer in time' \
  "$work/err" || fail "no timeout logged for the receiver that never answers"

finish_test
