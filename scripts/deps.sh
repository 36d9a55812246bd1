#!/usr/bin/env bash
# Installs the Debian 12 packages wirekit needs. Idempotent: quiet and quick when all are present.
#   scripts/deps.sh          build + test dependencies (what `make run` and `make test` need)
#   scripts/deps.sh bench    also the benchmark peers (bench/run.sh)
# Then `npm ci` in tests/browser (playwright-core for the chat page's browser test) when its
# node_modules is missing or older than its package-lock.json: the only registry download.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(
  cmake ninja-build ccache g++ pkg-config make
  libc-ares-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  zlib1g-dev libdeflate-dev libbrotli-dev libzstd-dev   # HTTP content-encoding
  libssl-dev openssl   # Fernet, JWT (EVP API); TLS
  libpcap-dev          # capture: live and offline packets, BPF filters
  dpkg-dev file        # make package: CPack's .deb finds the tool's run-time libraries with these
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev python3-pytest
  clang libclang-rt-14-dev   # libFuzzer targets and their corpus replay
  python3-twisted            # the tutorial's §8.1 Twisted echo, run against wirekit in interop tests
  python3-requests python3-aiohttp curl   # HTTP clients of the interop tests
  nginx                                   # an HTTP server the client tests fetch from
  zstd gzip brotli python3-brotli   # other implementations the codec tests compare against
  python3-cryptography python3-jwt   # Fernet and PyJWT peers of the token tests
  iproute2 procps
  tshark tcpdump   # differential references of the capture tests
  python3-psutil   # the tutorial's §9.2 library, a reference of the connection-listing tests
  python3-websockets python3-wsproto   # §10: the tutorial's chat server and client, a strict peer
  python3-autobahn   # §10: a second WebSocket peer (client and server), deflate offers of every kind
  chromium           # §10: the chat page in a real browser (tests/interop/test_chat_browser.py)
)
bench_pkgs=(wrk socat time bc gcc nginx python3-aiohttp python3-cryptography python3-jwt openssl libwebsockets-dev libboost-dev python3-websockets
            slowhttptest testssl.sh sslscan)   # the slow-client soak (bench/run.sh slow)

wanted=("${build_pkgs[@]}" "${test_pkgs[@]}")
[[ "${1:-}" == bench ]] && wanted+=("${bench_pkgs[@]}")
# Node.js drives the browser. Any node and npm on PATH will do (NodeSource's nodejs carries npm
# and conflicts with Debian's npm package); otherwise Debian's.
command -v node >/dev/null || wanted+=(nodejs)
command -v npm >/dev/null || wanted+=(npm)

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo $0 $*)" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

browser="$root/tests/browser"
if [[ ! -f "$browser/node_modules/.package-lock.json" ||
      "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]]; then
  echo "deps.sh: npm ci in tests/browser" >&2
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
