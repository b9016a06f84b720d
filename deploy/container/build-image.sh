#!/usr/bin/env bash
# Builds edgesfu's container image from Debian packages only (no registry):
# a root filesystem made by mmdebstrap from this host's own apt sources and
# release, holding the Debian packages edgesfu's binary links against, DPDK's
# drivers and tools, and `cmake --install` of a Release build; then imported
# into podman as localhost/edgesfu:TAG and saved as an OCI archive that any
# OCI runtime loads (`podman load -i`, `docker load -i`, `skopeo copy`).
#
#   sudo deploy/container/build-image.sh                  tag = git describe
#   sudo deploy/container/build-image.sh --tag dev --build build --out build/image
#
# Run it (deploy/README.md, "Container"): the appliance needs the host's
# hugepages, its network namespace (or the host's), and the privileges DPDK
# and the TAP exception port need:
#
#   podman run --rm --privileged --network host -v /dev/hugepages:/dev/hugepages \
#     -v /etc/edgesfu:/etc/edgesfu:ro localhost/edgesfu:TAG
#
# Options: --build DIR (a Release build; configured and built when missing;
# default build), --tag TAG, --out DIR (default BUILD/image), --no-import
# (rootfs tarball only).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build tag= out= import=1
while (($#)); do
  case $1 in
    --build) build=${2:?}; shift 2 ;;
    --tag) tag=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --no-import) import=0; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "build-image: run as root (mmdebstrap, podman)" >&2; exit 1; }
for tool in mmdebstrap podman cmake dpkg-query; do
  command -v "$tool" > /dev/null ||
    { echo "build-image: $tool is missing (deploy/install-deps.sh installs it)" >&2; exit 1; }
done
tag=${tag:-$(git -C "$root" describe --always --dirty 2> /dev/null || echo dev)}
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "build-image: bad tag '$tag'" >&2; exit 2; }
out=${out:-$build/image}
# shellcheck disable=SC1091
. /etc/os-release
suite=${VERSION_CODENAME:?build-image: /etc/os-release names no release}

if [[ ! -x $build/edgesfu ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build "$build" -j "$(nproc)" --target edgesfu
mkdir -p "$out"
stage=$(mktemp -d)
rootfs=$out/rootfs.tar
trap 'rm -rf "$stage" "$rootfs"' EXIT
DESTDIR=$stage cmake --install "$build" --prefix /usr > /dev/null
mkdir -p "$stage/etc/edgesfu"
cp "$root/config/examples/baremetal.yaml" "$stage/etc/edgesfu/edgesfu.yaml"

# The packages: those owning every shared library the binary loads (so the
# image follows the build); DPDK's drivers, loaded as plugins and never
# linked, as this host has them (every bus, mempool and net driver package
# installed here: EAL loads its whole driver directory); dpdk for
# dpdk-devbind.py; glib-networking for webhooks over https; and what
# edgesfu-ctl and an operator's shell use.
mapfile -t libs < <(ldd "$build/edgesfu" | awk '$3 ~ /^\// {print $3}')
pkgs=$(for l in "${libs[@]}"; do dpkg-query -S "$(readlink -f "$l")" 2> /dev/null || true; done |
  cut -d: -f1 | sort -u | tr '\n' ',')
[[ $pkgs == *librte-eal* ]] || { echo "build-image: could not find the packages of edgesfu's libraries" >&2; exit 1; }
pkgs+=$({ dpkg-query -W -f '${Package} ${Status}\n' 'librte-bus-*' 'librte-common-*' \
  'librte-mempool*' 'librte-net-*' 2> /dev/null || true; } | awk '/install ok installed/ {printf "%s,", $1}')
[[ $pkgs == *librte-net-af-packet* && $pkgs == *librte-mempool-ring* ]] ||
  { echo "build-image: DPDK's drivers are not installed here (deploy/install-deps.sh)" >&2; exit 1; }
pkgs+=dpdk,glib-networking,ca-certificates,iproute2,python3,python3-yaml,procps

# This host's apt sources, so that the image is built from the same mirror
# and release as the binary it carries.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -s $f ]] && sources+=("$f")
done
((${#sources[@]})) || { echo "build-image: no apt sources in /etc/apt" >&2; exit 1; }

echo "build-image: $suite rootfs with $(tr ',' '\n' <<< "$pkgs" | wc -l) packages -> $rootfs"
mmdebstrap --quiet --variant=apt --include="$pkgs" \
  --customize-hook="sync-in $stage /" \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
  "$suite" "$rootfs" "${sources[@]}"

if ((!import)); then
  trap 'rm -rf "$stage"' EXIT
  echo "build-image: $rootfs"
  exit 0
fi
image=localhost/edgesfu:$tag
podman import --quiet \
  --change 'ENTRYPOINT ["/usr/bin/edgesfu"]' \
  --change 'CMD ["--config", "/etc/edgesfu/edgesfu.yaml"]' \
  --change 'STOPSIGNAL SIGTERM' \
  --change "LABEL org.opencontainers.image.title=edgesfu org.opencontainers.image.version=$tag" \
  "$rootfs" "$image" > /dev/null
rm -f "$out/edgesfu-image.tar"
podman save --quiet --format oci-archive -o "$out/edgesfu-image.tar" "$image"
echo "build-image: $image (OCI archive $out/edgesfu-image.tar, $(du -h "$out/edgesfu-image.tar" | cut -f1))"
