#!/usr/bin/env bash
# The benchmark runner: wirekit against its peers, in one run on this machine, with the peer
# harnesses of ../shared/peers (never modified). Prints each figure and the ratios.
#
#   bench/run.sh [echo] [http] [tokens] [client] [conns] [tls] [capture] [ws] [slow]   (default: every benchmark)
#   env: ROUNDS=5  rounds; each round runs every peer once, alternating, so that drift of a
#                  shared, noisy machine hits every peer alike; medians are reported
#        PEERS_DIR=../shared/peers   WIREKIT=build/release/apps/wirekit/wirekit
#        slow: SLOW_ROUNDS=1 rounds of the slow-client soak (about 11 minutes each; the scans,
#              4 more minutes, in the first only); SLOW_ONLY=REGEX its lines (slowloris slowbody
#              slowread range tls_idle tls_half_hello tls_renegotiation tls_sni_256 tls_sni_64k
#              tls_legacy tls_scan_ecdsa tls_scan_rsa); SLOW_SCANS=0 skips testssl and sslscan
#        ws: UWS_BROADCAST_CMD='/path/chat_broadcast {PORT}' adds uWebSockets to the broadcast;
#            WS_CONNS=500 WS_SECONDS=5 WS_IDLE=9000 (connections, seconds, idle connections);
#            WS_BIN=DIR takes ws_load, ws_echo_lws and ws_echo_beast from DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-$ROOT/build/bench}
mkdir -p "$OUT"

if [[ -z "${WIREKIT:-}" ]]; then
  cmake --preset release >/dev/null && cmake --build --preset release --target wirekit token_bench client_bench ws_load >/dev/null
  WIREKIT=$ROOT/build/release/apps/wirekit/wirekit
fi
TOKEN_BENCH=${TOKEN_BENCH:-$(dirname "$WIREKIT")/../../bench/token_bench}
CLIENT_BENCH=${CLIENT_BENCH:-$(dirname "$WIREKIT")/../../bench/client_bench}
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

bench_http() {
  # HTTP: the hello app (keep-alive, then pipelined 16 deep) against nginx (1 worker,
  # `return 200`) and the tutorial's aiohttp app; static 1 KiB / 1 MiB files against nginx with
  # sendfile; then RSS per idle keep-alive connection with 10,000 of them.
  local raw=$OUT/http.raw
  : >"$raw"
  local hello="$WIREKIT hello --host 127.0.0.1 --threads 1 --port {PORT}"
  local files="$WIREKIT http serve {ROOT} --bind 127.0.0.1 --threads 1 --port {PORT}"
  for round in $(seq 1 "$ROUNDS"); do
    for peer in custom nginx aiohttp; do
      CUSTOM_CMD=$hello CUSTOM_PATH=/World RUNS=1 "$PEERS_DIR/net/bench_http_hello.sh" "$peer" \
        2>>"$OUT/http.commands" | grep '^http_hello' >>"$raw" || true
    done
    for peer in custom nginx; do
      PIPELINE=16 CUSTOM_CMD=$hello CUSTOM_PATH=/World RUNS=1 "$PEERS_DIR/net/bench_http_hello.sh" \
        "$peer" 2>>"$OUT/http.commands" | grep '^http_hello' >>"$raw" || true
      CUSTOM_CMD=$files RUNS=1 "$PEERS_DIR/net/bench_static.sh" "$peer" 2>>"$OUT/http.commands" \
        | grep '^static' >>"$raw" || true
    done
    echo "http: round $round/$ROUNDS done" >&2
  done
  echo "# hello: taskset -c 0 $hello   load: taskset -c 1 wrk -t1 -c64 -d5s --latency http://127.0.0.1:PORT/World"
  echo "# static: taskset -c 0 $files   load: taskset -c 1 wrk -t1 -c16 -d5s http://127.0.0.1:PORT/1k.bin|1m.bin"
  /usr/bin/python3 "$ROOT/bench/summarize_http.py" "$raw"
  idle_memory
}

idle_memory() {
  # 10,000 idle keep-alive connections (20,000 descriptors would pass this machine's cap of
  # 20,000 per process for the client, so the client holds 10,000 and the server 10,000).
  local port=18390 pid
  taskset -c 0 "$WIREKIT" hello --host 127.0.0.1 --threads 1 --port "$port" >/dev/null 2>&1 &
  pid=$!
  sleep 0.5
  echo "# idle memory: wirekit hello, /usr/bin/python3 bench/idle_memory.py PID $port 10000"
  taskset -c 1 /usr/bin/python3 "$ROOT/bench/idle_memory.py" "$pid" "$port" 10000 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/logs"
  cat >"$tmp/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1; error_log $tmp/error.log warn; pid $tmp/nginx.pid;
events { worker_connections 12000; }
http { access_log off; keepalive_timeout 300s; keepalive_requests 1000000;
  client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f; uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$((port + 1)); location / { return 200 "Hello"; } } }
NGX
  taskset -c 0 nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
  pid=$!
  sleep 0.5
  echo "# idle memory: nginx (1 worker), same probe"
  taskset -c 1 /usr/bin/python3 "$ROOT/bench/idle_memory.py" "$pid" $((port + 1)) 10000 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}

bench_tokens() {
  # Fernet and JWT on one pinned core: wirekit's token_bench, the peer harness (cryptography,
  # PyJWT) and `openssl speed` for RSA-2048 and P-256, the ceiling of RS256 and ES256.
  local raw=$OUT/tokens.raw
  : >"$raw"
  for round in $(seq 1 "$ROUNDS"); do
    taskset -c 0 "$TOKEN_BENCH" 2 >>"$raw"
    taskset -c 0 /usr/bin/python3 "$PEERS_DIR/misc/bench_tokens.py" 2 >>"$raw"
    taskset -c 0 openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null \
      | awk '/^rsa 2048/ {print "openssl_speed alg=rsa2048 sign_s=" $6 " verify_s=" $7}
             /ecdsa \(nistp256\)/ {print "openssl_speed alg=ecdsap256 sign_s=" $7 " verify_s=" $8}' >>"$raw"
    echo "tokens: round $round/$ROUNDS done" >&2
  done
  echo "# taskset -c 0 $TOKEN_BENCH 2 | taskset -c 0 /usr/bin/python3 bench_tokens.py 2 | taskset -c 0 openssl speed -seconds 2 rsa2048 ecdsap256"
  /usr/bin/python3 "$ROOT/bench/summarize_tokens.py" "$raw"
}

# Seconds (wall clock) that "$@" takes; fails if the command does.
wall_time() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || return 1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

bench_client() {
  # The HTTP client against nginx (1 worker, CPU 0), clients on CPU 1: the tutorial's 300 URLs
  # (3 paths x 100) with 20 connections — wirekit fetch, the §11.1 aiohttp program, curl
  # --parallel — then one Session's keep-alive request rate against wrk's on the same nginx.
  local raw=$OUT/client.raw tmp port=18395 pid
  : >"$raw"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/root" "$tmp/logs"
  for page in com org net; do
    head -c 1256 /dev/zero | tr '\0' 'x' >"$tmp/root/example.$page.html"
  done
  for i in $(seq 1 100); do
    for page in com org net; do echo "http://127.0.0.1:$port/example.$page.html"; done
  done >"$tmp/urls.txt"
  {
    while read -r url; do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done <"$tmp/urls.txt"
  } >"$tmp/curl.cfg"
  cat >"$tmp/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1; error_log $tmp/error.log warn; pid $tmp/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; default_type text/html; sendfile on;
  client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f; uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$port; root $tmp/root; location = /hello { return 200 "Hello, World!"; } } }
NGX
  taskset -c 0 nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" &
  pid=$!
  sleep 0.5
  for round in $(seq 1 "$ROUNDS"); do
    echo "client_fetch peer=wirekit seconds=$(wall_time taskset -c 1 "$WIREKIT" fetch -i "$tmp/urls.txt" -c 20)" >>"$raw"
    echo "client_fetch peer=aiohttp seconds=$(wall_time taskset -c 1 /usr/bin/python3 "$ROOT/bench/fetch_aiohttp.py" "$tmp/urls.txt")" >>"$raw"
    echo "client_fetch peer=curl seconds=$(wall_time taskset -c 1 curl --parallel --parallel-max 20 -s -K "$tmp/curl.cfg")" >>"$raw"
    taskset -c 1 "$CLIENT_BENCH" "http://127.0.0.1:$port/hello" 64 5 >>"$raw"
    taskset -c 1 wrk -t1 -c64 -d5s "http://127.0.0.1:$port/hello" \
      | awk '/Requests\/sec/ {print "client_rate peer=wrk requests_s=" $2}' >>"$raw"
    echo "client: round $round/$ROUNDS done" >&2
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
  echo "# nginx: taskset -c 0 (1 worker); fetch: taskset -c 1 wirekit fetch -i urls.txt -c 20 | python3 bench/fetch_aiohttp.py urls.txt | curl --parallel --parallel-max 20 -K curl.cfg"
  echo "# rate: taskset -c 1 client_bench http://127.0.0.1:PORT/hello 64 5 | taskset -c 1 wrk -t1 -c64 -d5s http://127.0.0.1:PORT/hello"
  /usr/bin/python3 "$ROOT/bench/summarize_client.py" "$raw"
}

bench_conns() {
  # Listing the machine's TCP sockets while 9,000 loopback connections are held open (18,000
  # sockets; bench_conns.sh holds them): wirekit conns against ss, netstat and psutil. Each round
  # runs the harness twice, with and without pids, and everything on CPU 0. Each run leaves
  # 9,000 TIME_WAIT sockets for 60 s; the next run waits for them to go, so that every run lists
  # the 18,000 sockets of the issue's figures rather than a growing table.
  local raw=$OUT/conns.raw mode cmd wait
  : >"$raw"
  for round in $(seq 1 "$ROUNDS"); do
    for mode in plain pid; do
      cmd="$WIREKIT conns --tcp"
      [[ $mode == pid ]] && cmd+=" --pid"
      sleep 3  # the previous run's holder may still be closing its sockets
      for wait in $(seq 1 90); do
        (( $(ss -Htan state time-wait | wc -l) < 500 )) && break
        sleep 1
      done
      CUSTOM_CMD=$cmd taskset -c 0 "$PEERS_DIR/misc/bench_conns.sh" 9000 2>>"$OUT/conns.commands" \
        | sed -e "s/^conns /conns round=$round mode=$mode /" \
              -e "s/peer=\"custom\"/peer=\"wirekit ${cmd#"$WIREKIT "}\"/" >>"$raw" || true
    done
    echo "conns: round $round/$ROUNDS done" >&2
  done
  echo "# taskset -c 0 ../shared/peers/misc/bench_conns.sh 9000, CUSTOM_CMD='$WIREKIT conns --tcp' and '... --tcp --pid'"
  /usr/bin/python3 "$ROOT/bench/summarize_conns.py" "$raw"
}

bench_tls() {
  # HTTPS hello against nginx with the same ECDSA P-256 certificate, TLS 1.2 and 1.3 allowed on
  # both (same OpenSSL, so the same TLS 1.3 cipher): keep-alive (wrk -t1 -c64), then a full
  # handshake per request (wrk with "Connection: close": a new connection each time; wrk does
  # not resume sessions). Servers on CPU 0 with one event loop / worker, wrk on CPU 1; the
  # server's CPU time per request is read from /proc/PID/stat around each run.
  local raw=$OUT/tls.raw tmp port=18443 pid
  : >"$raw"
  tmp=$(mktemp -d)
  "$WIREKIT" tls selfsigned -o "$tmp/pki" >/dev/null
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1; error_log $tmp/nginx/error.log warn; pid $tmp/nginx/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; default_type text/plain;
  client_body_temp_path $tmp/nginx/b; proxy_temp_path $tmp/nginx/p; fastcgi_temp_path $tmp/nginx/f; uwsgi_temp_path $tmp/nginx/u; scgi_temp_path $tmp/nginx/s;
  server { listen 127.0.0.1:$port ssl; ssl_certificate $tmp/pki/cert.pem; ssl_certificate_key $tmp/pki/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { return 200 "Hello, World!"; } } }
NGX
  local ticks
  ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
  for round in $(seq 1 "$ROUNDS"); do
    for peer in wirekit nginx; do
      if [[ $peer == wirekit ]]; then
        taskset -c 0 "$WIREKIT" hello --host 127.0.0.1 --port "$port" --threads 1 \
          --tls-cert "$tmp/pki/cert.pem" --tls-key "$tmp/pki/key.pem" >/dev/null 2>&1 &
      else
        taskset -c 0 nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
      fi
      pid=$!
      sleep 0.5
      [[ $round == 1 ]] && echo "tls_cipher peer=$peer $("$WIREKIT" tls probe "127.0.0.1:$port" -k \
        | awk '/^Connected/ {v=$3} /^Cipher/ {c=$2} END {print "version=" v " cipher=" c}')" >>"$raw"
      taskset -c 1 wrk -t1 -c64 -d1s "https://127.0.0.1:$port/World" >/dev/null 2>&1  # warm-up
      for mode in keepalive handshake; do
        local extra=() before after rps
        [[ $mode == handshake ]] && extra=(-H "Connection: close")
        before=$(ticks "$pid")
        rps=$(taskset -c 1 wrk -t1 -c64 -d5s "${extra[@]}" "https://127.0.0.1:$port/World" \
          | awk '/Requests\/sec/ {print $2}')
        after=$(ticks "$pid")
        echo "tls mode=$mode peer=$peer req_s=$rps server_ticks=$((after - before)) seconds=5" >>"$raw"
      done
      kill "$pid"; wait "$pid" 2>/dev/null || true
    done
    echo "tls: round $round/$ROUNDS done" >&2
  done
  rm -rf "$tmp"
  echo "# server: taskset -c 0 wirekit hello --threads 1 --tls-cert cert.pem --tls-key key.pem | taskset -c 0 nginx (1 worker, ssl, same cert)"
  echo "# load: taskset -c 1 wrk -t1 -c64 -d5s https://127.0.0.1:PORT/World [-H 'Connection: close']"
  /usr/bin/python3 "$ROOT/bench/summarize_tls.py" "$raw" "$(getconf CLK_TCK)"
}

bench_capture() {
  # Reading the 1,000,000-packet pcapgen capture (381 MB, page cache warm), everything on CPU 0:
  # `wirekit pcap stats` against tshark's conversation table, `wirekit pcap list` against
  # tshark's fields and tcpdump. Each round runs every command once, alternating.
  local raw=$OUT/capture.raw capture=$OUT/m1.pcap
  : >"$raw"
  [[ -f $capture ]] || /usr/bin/python3 "$PEERS_DIR/misc/pcapgen.py" "$capture" 1000000 1
  cat "$capture" >/dev/null
  local -A commands=(
    ["stats wirekit"]="$WIREKIT pcap stats $capture"
    ["stats_all wirekit"]="$WIREKIT pcap stats $capture --top 0"
    ["stats tshark"]="tshark -r $capture -q -z conv,tcp"
    ["list wirekit"]="$WIREKIT pcap list $capture"
    ["list tshark"]="tshark -r $capture -T fields -e ip.src -e ip.dst -e _ws.col.Protocol"
    ["list tcpdump"]="tcpdump -r $capture -nn"
  )
  local order=("stats wirekit" "stats tshark" "stats_all wirekit" "list wirekit" "list tshark"
               "list tcpdump")
  for round in $(seq 1 "$ROUNDS"); do
    for key in "${order[@]}"; do
      # shellcheck disable=SC2086  # the command is split into its words on purpose
      echo "capture op=${key% *} peer=${key#* } seconds=$(wall_time taskset -c 0 ${commands[$key]})" >>"$raw"
    done
    echo "capture: round $round/$ROUNDS done" >&2
  done
  for key in "${order[@]}"; do echo "# taskset -c 0 ${commands[$key]} >/dev/null"; done
  /usr/bin/python3 "$ROOT/bench/summarize_capture.py" "$raw"
}

ws_port_wait() {  # ws_port_wait PORT PID: until something listens on PORT (10 s), or PID dies
  local _
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

ws_stop() {  # ws_stop PID: SIGTERM, then SIGKILL after 5 s
  local _
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

bench_ws() {
  # WebSocket (issue 14), three figures:
  # 1. broadcast: the chat room of bench_ws_broadcast.sh (100 clients, client 0 sends 2,000
  #    messages, each delivered to all 100) against the Python websockets 10.4 server and, when
  #    UWS_BROADCAST_CMD names one, a uWebSockets server; the server's CPU time in the measured
  #    run comes from bench/cpu_trace.py, which wraps the server's command.
  # 2. echo: bench/ws_load (500 connections, one message in flight on each, 512 B and 16 KiB,
  #    no compression) against libwebsockets 4.1.6 and Boost.Beast 1.74 echo servers; server on
  #    CPU 0 (one thread), load on CPU 1; ws_load reads the server's CPU time from /proc.
  # 3. memory: RSS per idle connection with 9,000 open (one message echoed on each), without and
  #    with permessage-deflate, against a websockets 10.4 echo server (bench/ws_echo_websockets.py).
  local raw=$OUT/ws.raw cmds=$OUT/ws.commands bin_dir pid line peer size round mode
  : >"$raw"
  : >"$cmds"
  : >"$OUT/ws.servers.log"  # the servers' own messages
  local conns=${WS_CONNS:-500} seconds=${WS_SECONDS:-5} idle=${WS_IDLE:-9000} port=19150
  # the load client and the echo peers: bench/ of WIREKIT's build tree (built there when missing),
  # or WS_BIN, a directory holding ws_load, ws_echo_lws and ws_echo_beast
  local build_dir
  build_dir=$(cd "$(dirname "$WIREKIT")/../.." && pwd)
  bin_dir=${WS_BIN:-$build_dir/bench}
  local missing=()
  for t in ws_load ws_echo_lws ws_echo_beast; do
    [[ -x $bin_dir/$t ]] || missing+=("$t")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ -n ${WS_BIN:-} ]] || ! cmake --build "$build_dir" --target "${missing[@]}" >/dev/null; then
      echo "bench: ${missing[*]} missing from $bin_dir and not built (scripts/deps.sh bench installs libwebsockets-dev and libboost-dev)" >&2
      return 1
    fi
  fi
  local ws_load=$bin_dir/ws_load

  # 1. broadcast
  local -A bcast=(
    [wirekit]="$WIREKIT chat serve --host 127.0.0.1 --port {PORT} --threads 1"
    [websockets]="/usr/bin/python3 $PEERS_DIR/net/ws_chat_server.py {PORT}"
  )
  local bpeers=(wirekit websockets)
  if [[ -n ${UWS_BROADCAST_CMD:-} ]]; then
    bcast[uws]=$UWS_BROADCAST_CMD
    bpeers+=(uws)
  fi
  for round in $(seq 1 "$ROUNDS"); do
    for peer in "${bpeers[@]}"; do
      local trace=$OUT/ws_broadcast.$peer.trace
      rm -f "$trace"
      echo "# broadcast $peer: ${bcast[$peer]}" >>"$cmds"
      line=$(CUSTOM_CMD="/usr/bin/python3 $ROOT/bench/cpu_trace.py $trace -- ${bcast[$peer]}" LOADS=c RUNS=1 PORT=19140 \
        "$PEERS_DIR/net/bench_ws_broadcast.sh" custom 2>>"$cmds" | grep '^ws_broadcast' || true)
      [[ -n $line ]] || line="ws_broadcast peer=custom FAILED (no result)"
      if [[ -s $trace ]] && [[ $line != *FAILED* ]]; then
        line+=" $(/usr/bin/python3 "$ROOT/bench/cpu_trace.py" --burst "$trace" 2>>"$cmds" || echo cpu=FAILED)"
      fi
      echo "${line/peer=custom/peer=$peer}" >>"$raw"
    done
    echo "ws broadcast: round $round/$ROUNDS done" >&2
  done

  # 2. echo
  local -A echo_cmd=(
    [wirekit]="$WIREKIT ws echo --host 127.0.0.1 --port $port --threads 1 --no-compression"
    [lws]="$bin_dir/ws_echo_lws $port 127.0.0.1"
    [beast]="$bin_dir/ws_echo_beast $port 127.0.0.1"
  )
  for round in $(seq 1 "$ROUNDS"); do
    for size in 512 16384; do
      for peer in wirekit lws beast; do
        # shellcheck disable=SC2086  # the command is split into its words on purpose
        taskset -c 0 ${echo_cmd[$peer]} >/dev/null 2>>"$OUT/ws.servers.log" &
        pid=$!
        if ! ws_port_wait "$port" "$pid"; then
          echo "ws_echo peer=$peer size=$size FAILED_TO_START" >>"$raw"
          ws_stop "$pid"
          continue
        fi
        line=$(taskset -c 1 timeout $((seconds + 60)) "$ws_load" --port "$port" --connections "$conns" \
          --size "$size" --duration "$seconds" --warmup 1 --server-pid "$pid" --label "$peer" 2>>"$cmds") \
          || line="ws_echo peer=$peer size=$size FAILED ${line}"
        echo "$line" >>"$raw"
        ws_stop "$pid"
      done
    done
    echo "ws echo: round $round/$ROUNDS done" >&2
  done

  # 3. memory (once: RSS is not noisy)
  local -A mem_cmd=(
    [wirekit]="$WIREKIT ws echo --host 127.0.0.1 --port $port --threads 1"
    [websockets]="/usr/bin/python3 $ROOT/bench/ws_echo_websockets.py $port"
  )
  for peer in wirekit websockets; do
    for mode in off on; do
      local server=${mem_cmd[$peer]} probe=()
      if [[ $mode == off ]]; then server+=" --no-compression"; else probe=(--deflate); fi
      # shellcheck disable=SC2086
      taskset -c 0 $server >/dev/null 2>>"$OUT/ws.servers.log" &
      pid=$!
      if ws_port_wait "$port" "$pid"; then
        line=$(taskset -c 1 timeout 300 /usr/bin/python3 "$ROOT/bench/idle_memory.py" "$pid" "$port" "$idle" \
          --ws "${probe[@]}" --label "$peer" 2>>"$cmds") \
          || line="ws_idle_memory peer=$peer compression=$mode FAILED ${line}"
      else
        line="ws_idle_memory peer=$peer compression=$mode FAILED_TO_START"
      fi
      echo "$line" >>"$raw"
      ws_stop "$pid"
    done
  done
  echo "ws memory: done" >&2

  {
    echo "# broadcast: ../shared/peers/net/bench_ws_broadcast.sh custom, LOADS=c RUNS=1, CUSTOM_CMD='python3 bench/cpu_trace.py TRACE -- SERVER'"
    for peer in "${bpeers[@]}"; do echo "#   $peer: taskset -c 0 ${bcast[$peer]}"; done
    echo "#   load: taskset -c 1 ws_load PORT 100 2000 60 (../shared/peers/net/ws_load.c)"
    echo "# echo: taskset -c 1 $ws_load --port PORT --connections $conns --size 512|16384 --duration $seconds --warmup 1 --server-pid PID"
    for peer in wirekit lws beast; do echo "#   $peer: taskset -c 0 ${echo_cmd[$peer]}"; done
    echo "# memory: taskset -c 1 /usr/bin/python3 bench/idle_memory.py PID PORT $idle --ws [--deflate]"
    for peer in wirekit websockets; do echo "#   $peer: taskset -c 0 ${mem_cmd[$peer]} [--no-compression]"; done
  } | tee -a "$cmds"
  /usr/bin/python3 "$ROOT/bench/summarize_ws.py" "$raw"
}

bench_slow() {
  # Slow and abusive clients (hardening issue, items 10 and 11), wirekit http serve --threads 1
  # against nginx (1 worker), each line on fresh servers (CPU 0) with attacks and the normal
  # client on CPU 1: slowhttptest (slowloris, slow body, slow read, range; 1,000 connections),
  # abandoned TLS handshakes, renegotiation, oversize SNI, TLS 1.0/1.1-only clients, and
  # testssl.sh and sslscan (bench/slow_clients.py says how each is measured).
  local raw=$OUT/slow.raw round scans
  : >"$raw"
  : >"$OUT/slow.commands"
  rm -f "$OUT/slow_scans.json"
  for round in $(seq 1 "${SLOW_ROUNDS:-1}"); do
    scans=()
    [[ $round == 1 && ${SLOW_SCANS:-1} == 1 ]] && scans=(--scans)
    /usr/bin/python3 "$ROOT/bench/slow_clients.py" --wirekit "$WIREKIT" --out "$OUT" \
      --round "$round" --only "${SLOW_ONLY:-}" "${scans[@]}" >>"$raw"
    echo "slow: round $round/${SLOW_ROUNDS:-1} done" >&2
  done
  sort -u "$OUT/slow.commands" | sed 's/^/# /'
  /usr/bin/python3 "$ROOT/bench/summarize_slow.py" "$raw" "$OUT/slow_scans.json"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(echo http tokens client conns tls capture ws slow)
for t in "${targets[@]}"; do
  case $t in
    echo) bench_echo ;;
    http) bench_http ;;
    tokens) bench_tokens ;;
    client) bench_client ;;
    conns) bench_conns ;;
    tls) bench_tls ;;
    capture) bench_capture ;;
    ws) bench_ws ;;
    slow) bench_slow ;;
    *) echo "bench: unknown benchmark '$t' (known: echo, http, tokens, client, conns, tls, capture, ws, slow)" >&2; exit 2 ;;
  esac
done
