#!/usr/bin/env bash
# The benchmark runner: wirekit against its peers, in one run on this machine, with the peer
# harnesses of ../shared/peers (never modified). Prints each figure and the ratios.
#
#   bench/run.sh [echo] ...       (default: every benchmark)
#   env: ROUNDS=5  rounds; each round runs every peer once, alternating, so that drift of a
#                  shared, noisy machine hits every peer alike; medians are reported
#        PEERS_DIR=../shared/peers   WIREKIT=build/release/apps/wirekit/wirekit
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-$ROOT/build/bench}
mkdir -p "$OUT"

if [[ -z "${WIREKIT:-}" ]]; then
  cmake --preset release >/dev/null && cmake --build --preset release --target wirekit >/dev/null
  WIREKIT=$ROOT/build/release/apps/wirekit/wirekit
fi
[[ -d "$PEERS_DIR/net" ]] || { echo "bench: peer harnesses not found in $PEERS_DIR" >&2; exit 1; }

bench_echo() {
  # TCP echo, 50 connections: rr (64 B ping-pong) and bulk (16 KiB streams); server pinned to
  # CPU 0, load to CPU 1 (bench_tcp_echo.sh). wirekit runs one event loop.
  local raw=$OUT/echo.raw
  : >"$raw"
  local custom="$WIREKIT echo --host 127.0.0.1 --threads 1 --port {PORT}"
  for round in $(seq 1 "$ROUNDS"); do
    for peer in custom c_epoll twisted asyncio; do
      CUSTOM_CMD=$custom RUNS=1 "$PEERS_DIR/net/bench_tcp_echo.sh" "$peer" 2>>"$OUT/echo.commands" \
        | grep '^tcp_echo' >>"$raw" || true
    done
    echo "echo: round $round/$ROUNDS done" >&2
  done
  echo "# server: taskset -c 0 $custom   load: taskset -c 1 echo_load PORT 50 5 rr|bulk"
  /usr/bin/python3 "$ROOT/bench/summarize_echo.py" "$raw"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(echo)
for t in "${targets[@]}"; do
  case $t in
    echo) bench_echo ;;
    *) echo "bench: unknown benchmark '$t' (known: echo)" >&2; exit 2 ;;
  esac
done
