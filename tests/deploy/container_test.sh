#!/usr/bin/env bash
# The container image (ctest container_image, issue 18 #4): builds it from
# Debian packages with deploy/container/build-image.sh around this build's
# edgesfu, checks what is in it (the binary starts and checks the example
# config it carries, DPDK's drivers are there), then runs the demo with
# edgesfu in the container: Chromium publishes and plays through the
# container's DPDK ports, and the test reads the media it forwarded and the
# player received. Removes its image and archive.
#
# usage: container_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
tag=ctest-$$
image=localhost/edgesfu:$tag
work=$(mktemp -d)
cleanup() {
  podman rmi -f "$image" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # ctest's timeout: still clean up
fail() { echo "FAIL: $*"; exit 1; }

start=$(date +%s)
bash "$src/deploy/container/build-image.sh" --build "$build" --tag "$tag" --out "$work/image" \
  > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "build-image.sh"; }
grep 'build-image:' "$work/build.log"
echo "ok: image built in $(($(date +%s) - start)) s"
podman image exists "$image" || fail "podman has no $image"
[[ -s $work/image/edgesfu-image.tar ]] || fail "no OCI archive"
tar -tf "$work/image/edgesfu-image.tar" | grep -qx 'index.json' || fail "the archive is not an OCI layout"

mapfile -t args < <(bash "$src/deploy/container/run-args.sh")
run() { podman run --rm "${args[@]}" --network none "$@"; }
# The binary in the image links and runs, and checks the config the image carries.
run "$image" --version > "$work/version" 2>&1 ||
  { cat "$work/version"; fail "edgesfu --version in the image"; }
run "$image" --check-config /etc/edgesfu/edgesfu.yaml > "$work/check" 2>&1 ||
  { cat "$work/check"; fail "edgesfu --check-config of the image's own config"; }
echo "ok: $(head -1 "$work/version") runs in the image and accepts /etc/edgesfu/edgesfu.yaml"
pmds=$(run --entrypoint /bin/sh "$image" -c \
  'ls /usr/lib/*/dpdk/pmds-*/ 2>/dev/null')
for pmd in librte_net_af_packet librte_net_tap librte_net_ixgbe librte_net_i40e librte_net_ice librte_net_mlx5; do
  grep -q "^$pmd\.so" <<< "$pmds" || fail "DPDK driver $pmd missing from the image"
done
run --entrypoint /bin/sh "$image" -c \
  'dpdk-devbind.py --help > /dev/null && edgesfu-ctl --help > /dev/null' ||
  fail "dpdk-devbind.py or edgesfu-ctl does not run in the image"
echo "ok: DPDK drivers (af_packet, tap, ixgbe, i40e, ice, mlx5), dpdk-devbind.py and edgesfu-ctl in the image"

# The demo, with edgesfu in the container.
EDGESFU_BUILD_DIR=$build timeout 240 "$src/tools/demo" --image "$image" --seconds 25 \
  > "$work/demo.log" 2>&1
rc=$?
[[ $rc -eq 0 ]] || { tail -60 "$work/demo.log"; fail "tools/demo --image exited $rc"; }
grep -q 'edgesfu running' "$work/demo.log" || { tail -60 "$work/demo.log"; fail "edgesfu did not start in the container"; }
# The last ten stats lines: media forwarded by the fast path and received by the player.
fwd=$(grep ' stats: ' "$work/demo.log" | tail -10 | sed -nE 's/.*stats: media in [0-9]+ pps, forwarded ([0-9]+) pps.*/\1/p' |
  sort -n | head -1)
echo "demo stats (last lines):"
grep ' stats: ' "$work/demo.log" | tail -3
[[ -n $fwd ]] || fail "no stats line with media in the demo's output"
((fwd > 0)) || fail "the container's fast path forwarded nothing in the last 10 s"
grep -q '^edgesfu counters:' "$work/demo.log" || fail "no counters at the container's exit (not a clean stop)"
podman ps -a --format '{{.Names}}' | grep -q '^esfu-demo-' && fail "the demo left its container behind"
echo "ok: the demo ran with edgesfu in the container, forwarding >= $fwd media packets/s"
