#!/usr/bin/env bash
# Installs every build and test dependency of edgesfu from Debian packages,
# reserves hugepages and mounts hugetlbfs when it can. Idempotent: a second run
# installs nothing and changes nothing. Run as root.
#
#   deploy/install-deps.sh            packages + hugepages
#   EDGESFU_HUGEPAGES=N deploy/install-deps.sh   reserve N 2 MiB pages (default 256)
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get, hugepages)" >&2
  exit 1
fi

# Build: compiler, CMake, DPDK and the libraries of the slow path (protobuf:
# LiveKit's signalling messages; usrsctp: data channels).
# Test: GoogleTest, Google Benchmark, clang (libFuzzer), and the tools the
# netns integration tests drive (iproute2, ethtool, ping, curl, python3;
# iptables and libnetfilter-queue for tools/impair, the impaired networks;
# prometheus_client, whose parser checks /metrics in netns_metrics).
# Bench: gnuplot for the plots, janus as bench/compare's reference SFU.
# Deploy: mmdebstrap and podman build and run the container image.
packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  dpdk libdpdk-dev libnuma-dev
  libsrtp2-dev libipsec-mb-dev libssl-dev libnice-dev libglib2.0-dev libopus-dev libsoup-3.0-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev zlib1g-dev
  protobuf-compiler libprotobuf-dev libusrsctp-dev
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 ethtool iputils-ping curl python3 procps gnuplot-nox chromium
  iptables libnetfilter-queue-dev python3-prometheus-client python3-yaml
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice
  python3-gst-1.0 gir1.2-gst-plugins-bad-1.0
  janus
  mmdebstrap podman runc
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# Node.js for the npm test clients: the machine's own when it has one (it may
# come from another apt source), else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi

# Real test clients from npm (pinned in tests/*/package-lock.json),
# installed offline-safe with `npm ci` when the lock changed or nothing is there.
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -d $root/tests/browser/node_modules/playwright-core ]]; then
  echo "install-deps: npm ci in tests/browser"
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
# LiveKit's own SDKs (pinned in tests/livekit/package-lock.json).
if [[ ! -d $root/tests/livekit/node_modules/@livekit/rtc-node ]]; then
  echo "install-deps: npm ci in tests/livekit"
  (cd "$root/tests/livekit" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The voice agent example: @livekit/agents pins its own @livekit/rtc-node, so
# it has its own folder (examples/voice-agent/package-lock.json).
if [[ ! -d $root/examples/voice-agent/node_modules/@livekit/agents ]]; then
  echo "install-deps: npm ci in examples/voice-agent"
  (cd "$root/examples/voice-agent" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Hugepages: DPDK wants them; edgesfu falls back to --no-huge when there are none
# (config dataplane.hugepages: auto). Reserve, never shrink what is there.
want=${EDGESFU_HUGEPAGES:-256}
nr=/proc/sys/vm/nr_hugepages
if [[ -w $nr ]]; then
  have=$(cat "$nr")
  if ((have < want)); then
    echo "$want" > "$nr" 2>/dev/null || true
    have=$(cat "$nr")
  fi
  if ((have < want)); then
    echo "install-deps: only $have of $want hugepages could be reserved;" \
         "edgesfu will use them if enough are free, else --no-huge" >&2
  else
    echo "install-deps: $have hugepages reserved"
  fi
else
  echo "install-deps: cannot write $nr; edgesfu will run with --no-huge" >&2
fi

if ! mount | grep -q ' type hugetlbfs '; then
  mkdir -p /dev/hugepages
  if mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
    echo "install-deps: mounted hugetlbfs on /dev/hugepages"
  else
    echo "install-deps: could not mount hugetlbfs; edgesfu will run with --no-huge" >&2
  fi
fi
