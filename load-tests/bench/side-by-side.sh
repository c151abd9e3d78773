#!/usr/bin/env bash
# Side-by-side cache-hit throughput: Outpost edge-node vs nginx serving the same files.
#
# nginx is both the ceiling (a static file server) and the edge's origin; with --with-proxy-cache a
# second nginx, a caching reverse proxy (proxy_cache) in front of the same origin, competes too. The
# servers run on CPU 0 (one at a time under load), wrk on CPU 1, everything on 127.0.0.1.
# It installs nothing. See load-tests/bench/README.md.
#
# Usage: load-tests/bench/side-by-side.sh [--build] [--with-proxy-cache] [--fixed-rate] [--profile]
#   --build             run ./mvnw -B -q -DskipTests package first (otherwise the jar must exist)
#   --with-proxy-cache  also measure nginx proxy_cache (cache on disk in the temp dir, see PROXY_CACHE_DIR)
#   --fixed-rate        then, per row, measure latency at the same fixed request rate for
#                       every server (each RATE_SHARE of the slowest server's median requests/s), with
#                       h2load (apt-get install -y nghttp2-client): p99 at equal load, not at saturation
#   --profile           after the benchmark, record a JFR profile of the edge during a 1 KiB hit run
#                       and print the hottest frames (needs jcmd and jfr from the JDK)
#
# Environment (defaults in brackets):
#   SIZES="1k 16k 256k 4m zipf"  rows to test: one file of 1k, 16k, 256k or 4m bytes requested over and
#                             over, or zipf: ZIPF_OBJECTS files whose paths wrk draws from a Zipf law
#   ZIPF_OBJECTS=10000 ZIPF_EXPONENT=0.99 ZIPF_MIN=1024 ZIPF_MAX=32768
#                             the zipf row: object count, exponent, sizes in bytes (log-uniform)
#   ROUNDS=3                  interleaved rounds of [nginx, edge(, proxy)] per row
#   DURATION=10s              length of each measured wrk run
#   WARMUP=10s                edge warm-up run per size (JIT); nginx gets 3s
#   JIT_PASSES=4              before measuring, warm the edge on every row (WARMUP each) up to this many
#                             passes, until a whole pass used at most JIT_QUIET % of a CPU in JIT compiler
#   JIT_QUIET=1               threads (0 passes: no such pre-warm)
#   CHURN=5s                  each JIT pass also opens and closes connections for this long (wrk with
#                             Connection: close on the first row), so that the edge's connection set-up and
#                             teardown are compiled before the fixed-rate runs open theirs (0s: none)
#   CONNECTIONS=64            wrk -c
#   WRK_THREADS=1             wrk -t
#   SERVER_CPU=0 CLIENT_CPU=1 taskset CPU lists for the servers and for wrk
#   EDGE_JVM_OPTS="-Xms512m -Xmx512m -XX:+UseParallelGC"
#   EDGE_EXTRA_JVM_OPTS=""    appended to EDGE_JVM_OPTS
#   FAST_MEMORY_HITS=true     the edge's server.fast-memory-hits (false: every hit through the full lifecycle)
#   MEMORY_FILE_MIN_SIZE=128KiB   the edge's cache.memory.file-min-size: bodies from it up in files of
#                             /dev/shm, sent with sendfile (0: every body in direct buffers)
#   MEMORY_FILE_DIR=          the edge's cache.memory.file-dir (empty: its default, /dev/shm), e.g. a
#                             tmpfs mounted with huge=within_size (see README, "Large folios")
#   NOISE_LIMIT=10            a run is "noisy" when other processes or steal took more than this
#                             % of the server CPU or the client CPU during it
#   QUIET_WAIT=30             before each run, wait up to this many seconds for both CPUs to be
#                             quieter than NOISE_LIMIT (0 disables the wait)
#   RETRIES=1                 re-run a noisy run up to this many times; the least noisy attempt counts
#   RATE_SHARE="0.5 0.9" RATE_DURATION=10s   --fixed-rate: shares of the slowest server's median req/s
#                             (one table row per share), length of each run in seconds (10s, 10 or 1m)
#   RATE_PACING=spread        --fixed-rate: spread (h2load starts one connection a millisecond, so their
#                             timers do not fire together) or lockstep (all at once: bursts of 64 requests)
#   RATE_ROUNDS=$ROUNDS       --fixed-rate: interleaved rounds of [nginx, edge(, proxy)] per row (median reported)
#   TAIL_LIMIT=10             --fixed-rate: warn that the machine stalls when the ceiling's p99 at the first
#                             share is at least this many times its p50 (spread pacing only; quiet VMs: 2-3)
#   PROFILE_SECONDS=30        length of the --profile run
#   JFR_FILE=$TMP/edge.jfr    where --profile writes the recording (kept after exit)
#   KEEP_TMP=0                1 keeps the temp dir (configs, logs, wrk outputs)
#   PROXY_CACHE_DIR=$TMP/proxy-cache  where nginx proxy_cache keeps its files (e.g. a tmpfs)
#   NGINX_PORT=18081 EDGE_PORT=18080 ADMIN_PORT=19080 PROXY_PORT=18082
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/edge-node/target/edge-node.jar"

SIZES="${SIZES:-1k 16k 256k 4m zipf}"
ZIPF_OBJECTS="${ZIPF_OBJECTS:-10000}"
ZIPF_EXPONENT="${ZIPF_EXPONENT:-0.99}"
ZIPF_MIN="${ZIPF_MIN:-1024}"
ZIPF_MAX="${ZIPF_MAX:-32768}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-10s}"
JIT_PASSES="${JIT_PASSES:-4}"
JIT_QUIET="${JIT_QUIET:-1}"
CHURN="${CHURN:-5s}"
CONNECTIONS="${CONNECTIONS:-64}"
WRK_THREADS="${WRK_THREADS:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
EDGE_JVM_OPTS="${EDGE_JVM_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}"
EDGE_EXTRA_JVM_OPTS="${EDGE_EXTRA_JVM_OPTS:-}"
FAST_MEMORY_HITS="${FAST_MEMORY_HITS:-true}"
MEMORY_FILE_MIN_SIZE="${MEMORY_FILE_MIN_SIZE:-128KiB}"
MEMORY_FILE_DIR="${MEMORY_FILE_DIR:-}"
PROFILE_SECONDS="${PROFILE_SECONDS:-30}"
RATE_SHARE="${RATE_SHARE:-0.5 0.9}"
RATE_PACING="${RATE_PACING:-spread}"
RATE_DURATION="${RATE_DURATION:-10s}"
RATE_ROUNDS="${RATE_ROUNDS:-$ROUNDS}"
TAIL_LIMIT="${TAIL_LIMIT:-10}"
NOISE_LIMIT="${NOISE_LIMIT:-10}"
QUIET_WAIT="${QUIET_WAIT:-30}"
RETRIES="${RETRIES:-1}"
KEEP_TMP="${KEEP_TMP:-0}"
NGINX_PORT="${NGINX_PORT:-18081}"
EDGE_PORT="${EDGE_PORT:-18080}"
ADMIN_PORT="${ADMIN_PORT:-19080}"
PROXY_PORT="${PROXY_PORT:-18082}"

BUILD=0
PROFILE=0
PROXY=0
FIXED_RATE=0
for arg in "$@"; do
    case "$arg" in
        --build) BUILD=1 ;;
        --profile) PROFILE=1 ;;
        --with-proxy-cache) PROXY=1 ;;
        --fixed-rate) FIXED_RATE=1 ;;
        -h|--help) sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $arg (try --help)" >&2; exit 64 ;;
    esac
done

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "side-by-side: $*" >&2; exit 1; }

# ---- prerequisites (nothing is installed here) -----------------------------------------------
missing=0
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "missing: $1  (install: $2)" >&2
        missing=1
    fi
}
need wrk     "apt-get install -y wrk"
need nginx   "apt-get install -y nginx   # then stop/disable its system service; this script runs its own"
need taskset "apt-get install -y util-linux"
need curl    "apt-get install -y curl"
need perl    "apt-get install -y perl-base"
need java    "a JDK 17, e.g. apt-get install -y openjdk-17-jdk-headless"
[[ $FIXED_RATE == 0 ]] || need h2load "apt-get install -y nghttp2-client"
if [[ $PROFILE == 1 ]]; then
    need jcmd "a full JDK 17 (jcmd), e.g. apt-get install -y openjdk-17-jdk-headless"
    need jfr  "a full JDK 17 (jfr), e.g. apt-get install -y openjdk-17-jdk-headless"
fi
[[ $missing == 0 ]] || die "install the missing tools above and re-run"

# New TCP connections use the system's congestion control. BBR paces every response at the bandwidth it
# has estimated for the connection; on loopback some estimates fall to tens of Mbit/s (the receiver's
# scheduling delays look like a slow path), and a 256 KiB response then takes ~35 ms to leave, for every
# server alike. The script changes no system setting; it says which one it measured with.
TCP_CC="$(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo unknown)"
if [[ $TCP_CC == bbr* ]]; then
    log "note: TCP congestion control is $TCP_CC: on loopback its pacing adds tens of ms to some large"
    log "      responses of every server (see README, 'Latency'); Linux's default is cubic:"
    log "      sysctl -w net.ipv4.tcp_congestion_control=cubic (and back to $TCP_CC afterwards)"
fi

if [[ $BUILD == 1 ]]; then
    log "building: ./mvnw -B -q -DskipTests package"
    (cd "$ROOT" && ./mvnw -B -q -DskipTests package)
fi
[[ -f "$JAR" ]] || die "$JAR not found; build it with: (cd $ROOT && ./mvnw -B -q -DskipTests package), or pass --build"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$NGINX_PORT" "$EDGE_PORT" "$ADMIN_PORT" $([[ $PROXY == 1 ]] && echo "$PROXY_PORT"); do
    if port_busy "$p"; then die "port $p on 127.0.0.1 is already in use"; fi
done

size_bytes() {
    case "$1" in
        1k) echo 1024 ;; 16k) echo 16384 ;; 256k) echo 262144 ;; 4m) echo 4194304 ;;
        zipf) echo 0 ;;
        *) die "unknown row '$1' (known: 1k 16k 256k 4m zipf)" ;;
    esac
}
for s in $SIZES; do size_bytes "$s" >/dev/null; done
[[ "$ZIPF_OBJECTS" =~ ^[1-9][0-9]*$ && "$ZIPF_MIN" =~ ^[1-9][0-9]*$ && "$ZIPF_MAX" =~ ^[1-9][0-9]*$ ]] \
    && (( ZIPF_MIN <= ZIPF_MAX )) || die "ZIPF_OBJECTS, ZIPF_MIN and ZIPF_MAX must be whole numbers, ZIPF_MIN <= ZIPF_MAX"
[[ "$JIT_PASSES" =~ ^[0-9]+$ && "$JIT_QUIET" =~ ^[0-9]+$ ]] || die "JIT_PASSES and JIT_QUIET must be whole numbers"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$RATE_ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and RATE_ROUNDS must be whole numbers above 0"
[[ "$TAIL_LIMIT" =~ ^[1-9][0-9]*$ ]] || die "TAIL_LIMIT must be a whole number above 0, not '$TAIL_LIMIT'"
[[ "$FAST_MEMORY_HITS" == true || "$FAST_MEMORY_HITS" == false ]] || die "FAST_MEMORY_HITS must be true or false"
for share in $RATE_SHARE; do
    [[ "$share" =~ ^(0?\.[0-9]*[1-9][0-9]*|1(\.0*)?)$ ]] || die "RATE_SHARE must be numbers above 0 and at most 1 (e.g. \"0.5 0.9\"), not '$share'"
done
[[ -n "${RATE_SHARE// /}" ]] || die "RATE_SHARE must name at least one share (e.g. 0.5)"
[[ "$RATE_PACING" == spread || "$RATE_PACING" == lockstep ]] || die "RATE_PACING must be spread or lockstep, not '$RATE_PACING'"
seconds_of() {   # seconds_of DURATION: 10s, 10 or 2m -> whole seconds (h2load's -n is counted from it)
    [[ "$1" =~ ^([1-9][0-9]*)(s?|m)$ ]] || return 1
    if [[ ${BASH_REMATCH[2]} == m ]]; then echo $(( BASH_REMATCH[1] * 60 )); else echo "${BASH_REMATCH[1]}"; fi
}
if [[ "$CHURN" =~ ^0+(s|m)?$ ]]; then CHURN_S=0
else CHURN_S="$(seconds_of "$CHURN")" || die "CHURN must be whole seconds or minutes (5s, 5 or 1m; 0 for none), not '$CHURN'"; fi
if [[ $FIXED_RATE == 1 ]]; then
    seconds_of "$RATE_DURATION" >/dev/null || die "RATE_DURATION must be whole seconds or minutes (10s, 10 or 1m), not '$RATE_DURATION'"
    seconds_of "$WARMUP" >/dev/null || die "with --fixed-rate, WARMUP must be whole seconds or minutes (10s, 10 or 1m), not '$WARMUP'"
fi

# ---- temp dir, cleanup ---------------------------------------------------------------------
TMP="$(mktemp -d /tmp/outpost-bench.XXXXXX)"
chmod 755 "$TMP"          # nginx workers run as an unprivileged user when started as root
JFR_FILE="${JFR_FILE:-$TMP/edge.jfr}"
# h2load writes a line per request; on a disk, its writes stall the client now and then for tens of ms,
# which then shows as every server's tail (measured: max 50-68 ms with the log on ext4, 5-9 ms on tmpfs).
RATE_LOG_DIR=""
if [[ $FIXED_RATE == 1 ]]; then
    RATE_LOG_DIR="$(mktemp -d /dev/shm/outpost-bench-h2.XXXXXX 2>/dev/null || mktemp -d "$TMP/h2load-logs.XXXXXX")"
fi
NGINX_PID=""
EDGE_PID=""
PROXY_PID=""
PROXY_CACHE_DIR="${PROXY_CACHE_DIR:-$TMP/proxy-cache}"

stop_pid() {   # stop_pid PID: TERM, wait up to 10 s, then KILL
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid did not stop after 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$EDGE_PID"
    stop_pid "$PROXY_PID"
    stop_pid "$NGINX_PID"
    if [[ $KEEP_TMP == 1 ]]; then
        log "kept $TMP"
    else
        if [[ $PROFILE == 1 && -f "$JFR_FILE" && "$JFR_FILE" == "$TMP"/* ]]; then
            mv "$JFR_FILE" /tmp/edge-side-by-side.jfr && log "JFR recording kept at /tmp/edge-side-by-side.jfr"
        fi
        rm -rf "$TMP"
    fi
    [[ -z "$RATE_LOG_DIR" ]] || rm -rf "$RATE_LOG_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- content --------------------------------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/nginx/logs" "$TMP/nginx/tmp"
for s in $SIZES; do
    [[ $s == zipf ]] || head -c "$(size_bytes "$s")" /dev/urandom > "$TMP/www/$s.bin"
done
if [[ " $SIZES " == *" zipf "* ]]; then
    # ZIPF_OBJECTS files z/0.bin ...; sizes log-uniform in [ZIPF_MIN, ZIPF_MAX], the same on every run
    log "writing $ZIPF_OBJECTS files for the zipf row"
    mkdir -p "$TMP/www/z"
    perl -e '
        my ($dir, $n, $min, $max) = @ARGV;
        srand(42);
        open(my $r, "<:raw", "/dev/urandom") or die; read($r, my $bytes, $max) == $max or die; close($r);
        my $total = 0;
        for my $i (0 .. $n - 1) {
            my $size = int(exp(log($min) + rand() * (log($max + 1) - log($min))));
            $size = $max if $size > $max;
            open(my $f, ">:raw", "$dir/$i.bin") or die "$dir/$i.bin: $!"; print $f substr($bytes, 0, $size); close($f);
            $total += $size;
        }
        printf STDERR "[bench] zipf files: %d, %.1f MiB in total\n", $n, $total / 1048576;
    ' "$TMP/www/z" "$ZIPF_OBJECTS" "$ZIPF_MIN" "$ZIPF_MAX"
    # wrk script: draws each request's path from the Zipf law
    cat > "$TMP/zipf.lua" <<'LUA'
local n = tonumber(os.getenv("ZIPF_OBJECTS"))
local s = tonumber(os.getenv("ZIPF_EXPONENT"))
local cdf, requests = {}, {}
local sum = 0
for k = 1, n do sum = sum + 1 / k ^ s; cdf[k] = sum end
for k = 1, n do cdf[k] = cdf[k] / sum end
math.randomseed(42)
init = function(args)
    for k = 1, n do requests[k] = wrk.format("GET", "/z/" .. (k - 1) .. ".bin") end
end
request = function()   -- the object of rank k (path /z/<k-1>.bin) with probability 1/k^s / H(n, s)
    local u, lo, hi = math.random(), 1, n
    while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if cdf[mid] < u then lo = mid + 1 else hi = mid end
    end
    return requests[lo]
end
LUA
    export ZIPF_OBJECTS ZIPF_EXPONENT
    # h2load (--fixed-rate) cannot draw paths: it walks a list. 100,000 paths drawn from the same law.
    perl -e '
        my ($n, $s) = @ARGV; my @cdf; my $sum = 0;
        for my $k (1 .. $n) { $sum += 1 / $k ** $s; push @cdf, $sum }
        srand(42);
        for (1 .. 100000) {
            my $u = rand() * $sum; my ($lo, $hi) = (0, $n - 1);
            while ($lo < $hi) { my $mid = int(($lo + $hi) / 2); if ($cdf[$mid] < $u) { $lo = $mid + 1 } else { $hi = $mid } }
            print "/z/$lo.bin\n";
        }
    ' "$ZIPF_OBJECTS" "$ZIPF_EXPONENT" > "$TMP/zipf-paths.txt"
fi
chmod -R a+rX "$TMP/www"

# ---- nginx: the ceiling and the edge's origin -------------------------------------------------
nginx_conf_head() {   # nginx_conf_head DIR: what both nginx configs share, up to the inside of http {
    cat <<EOF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path       $1/tmp/proxy;
    fastcgi_temp_path     $1/tmp/fastcgi;
    uwsgi_temp_path       $1/tmp/uwsgi;
    scgi_temp_path        $1/tmp/scgi;
EOF
}
{ nginx_conf_head "$TMP/nginx"; cat <<EOF
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
        location / {
            add_header Cache-Control "public, max-age=3600";
        }
    }
}
EOF
} > "$TMP/nginx/nginx.conf"

log "starting nginx on 127.0.0.1:$NGINX_PORT (CPU $SERVER_CPU)"
taskset -c "$SERVER_CPU" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
    > "$TMP/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!

# ---- edge -------------------------------------------------------------------------------------
cat > "$TMP/edge.yaml" <<EOF
node:
  id: bench-edge
server:
  host: 127.0.0.1
  port: $EDGE_PORT
  shutdown-timeout: 1s
  fast-memory-hits: $FAST_MEMORY_HITS
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
origins:
  - host: "*"
    url: http://127.0.0.1:$NGINX_PORT
cache:
  memory:
    max-size: 256MiB
    file-min-size: $MEMORY_FILE_MIN_SIZE
${MEMORY_FILE_DIR:+    file-dir: $MEMORY_FILE_DIR}
access-log:
  enabled: false
EOF

# shellcheck disable=SC2206
JVM_ARGS=($EDGE_JVM_OPTS $EDGE_EXTRA_JVM_OPTS)
log "starting edge on 127.0.0.1:$EDGE_PORT (CPU $SERVER_CPU): java ${JVM_ARGS[*]} -jar edge-node.jar"
taskset -c "$SERVER_CPU" java "${JVM_ARGS[@]}" -jar "$JAR" --config "$TMP/edge.yaml" \
    > "$TMP/edge.out.log" 2> "$TMP/edge.err.log" &
EDGE_PID=$!

wait_http() {   # wait_http URL PID NAME
    local i
    for i in $(seq 1 300); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "---- $3 exited early; its logs:" >&2
            cat "$TMP"/edge.err.log "$TMP"/nginx/logs/*.log 2>/dev/null | tail -40 >&2
            die "$3 did not start"
        fi
        if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
        sleep 0.1
    done
    die "$3 did not answer $1 within 30 s"
}
# ---- nginx proxy_cache: the competitor (--with-proxy-cache) -----------------------------------
if [[ $PROXY == 1 ]]; then
    mkdir -p "$TMP/proxy/logs" "$TMP/proxy/tmp" "$PROXY_CACHE_DIR"
    chmod 777 "$PROXY_CACHE_DIR" "$TMP/proxy/tmp"   # nginx workers may run as an unprivileged user
    { nginx_conf_head "$TMP/proxy"; cat <<EOF
    proxy_cache_path $PROXY_CACHE_DIR levels=1:2 keys_zone=bench:64m max_size=4g inactive=1h use_temp_path=off;
    upstream origin {
        server 127.0.0.1:$NGINX_PORT;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
            proxy_cache_lock on;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
    }
}
EOF
    } > "$TMP/proxy/nginx.conf"
    log "starting nginx proxy_cache on 127.0.0.1:$PROXY_PORT (CPU $SERVER_CPU), cache in $PROXY_CACHE_DIR"
    taskset -c "$SERVER_CPU" nginx -p "$TMP/proxy" -c "$TMP/proxy/nginx.conf" > "$TMP/proxy/logs/stdout.log" 2>&1 &
    PROXY_PID=$!
fi

FIRST_PATH="/${SIZES%% *}.bin"; [[ $FIRST_PATH == /zipf.bin ]] && FIRST_PATH=/z/0.bin
wait_http "http://127.0.0.1:$NGINX_PORT$FIRST_PATH" "$NGINX_PID" nginx
wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" "$EDGE_PID" edge
NGINX_WORKER_PID="$(pgrep -P "$NGINX_PID" | head -n1 || true)"
[[ -n "$NGINX_WORKER_PID" ]] || die "could not find the nginx worker process"
PROXY_WORKER_PID=""
SERVERS=(nginx edge)
if [[ $PROXY == 1 ]]; then
    wait_http "http://127.0.0.1:$PROXY_PORT$FIRST_PATH" "$PROXY_PID" "nginx proxy_cache"
    PROXY_WORKER_PID="$(pgrep -P "$PROXY_PID" | head -n1 || true)"
    [[ -n "$PROXY_WORKER_PID" ]] || die "could not find the nginx proxy_cache worker process"
    SERVERS+=(proxy)
fi

server_port() { case "$1" in nginx) echo "$NGINX_PORT" ;; edge) echo "$EDGE_PORT" ;; proxy) echo "$PROXY_PORT" ;; esac; }
server_pids() { case "$1" in nginx) echo "$NGINX_PID $NGINX_WORKER_PID" ;; edge) echo "$EDGE_PID" ;; proxy) echo "$PROXY_PID $PROXY_WORKER_PID" ;; esac; }
server_label() { case "$1" in nginx) echo "nginx (ceiling)" ;; edge) echo "edge" ;; proxy) echo "nginx proxy_cache" ;; esac; }

# ---- fill the caches, check that they answer hits with the right bytes --------------------------
is_hit() {   # is_hit SERVER HEADERS: the response was served from that server's cache
    if [[ $1 == edge ]]; then
        grep -i '^cache-status:' <<<"$2" | grep -qiE ';[[:space:]]*hit'
    else
        grep -qiE '^x-cache-status:[[:space:]]*HIT' <<<"$2"
    fi
}
check_hit() {   # check_hit SERVER PATH FILE
    local headers
    headers="$(curl -s -D - -o "$TMP/check.bin" "http://127.0.0.1:$(server_port "$1")$2")"
    if ! is_hit "$1" "$headers"; then
        echo "$headers" >&2
        die "$2 is not a cache hit at $(server_label "$1")"
    fi
    cmp -s "$TMP/check.bin" "$3" || die "$2 from $(server_label "$1") differs from the file"
}
for v in "${SERVERS[@]}"; do
    [[ $v != nginx ]] || continue
    for s in $SIZES; do
        if [[ $s == zipf ]]; then
            log "filling $(server_label "$v") with the $ZIPF_OBJECTS zipf files"
            # one request per file, 16 at a time (curl's URL globbing), each answer's status on its own line
            taskset -c "$CLIENT_CPU" curl -s --no-progress-meter -Z --parallel-max 16 -o /dev/null -w '%{http_code}\n' \
                "http://127.0.0.1:$(server_port "$v")/z/[0-$((ZIPF_OBJECTS - 1))].bin" > "$TMP/fill-$v.txt" \
                || die "filling $(server_label "$v") failed (curl exit $?)"
            filled="$(grep -c '^200$' "$TMP/fill-$v.txt" || true)"
            [[ $filled == "$ZIPF_OBJECTS" ]] || die "filling $(server_label "$v"): $filled of $ZIPF_OBJECTS answers were 200"
            for i in 0 1 $((ZIPF_OBJECTS / 2)) $((ZIPF_OBJECTS - 1)); do
                check_hit "$v" "/z/$i.bin" "$TMP/www/z/$i.bin"
            done
        else
            code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(server_port "$v")/$s.bin")"
            [[ "$code" == 200 ]] || die "$(server_label "$v") answered $code for /$s.bin while filling its cache"
            check_hit "$v" "/$s.bin" "$TMP/www/$s.bin"
        fi
    done
    log "$(server_label "$v"): every row's objects are cache hits with the right bytes"
done
rm -f "$TMP/check.bin"

# ---- measurement helpers ----------------------------------------------------------------------
CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() {   # utime+stime of the given pids, in clock ticks
    local total=0 pid f
    for pid in "$@"; do
        # fields after the "(comm)" field: state is $1, utime is $12, stime is $13
        f="$(sed 's/^.*) //' "/proc/$pid/stat")"
        total=$(( total + $(awk '{print $12 + $13}' <<<"$f") ))
    done
    echo "$total"
}
cpu_line() {   # cpu_line CPU: "busy steal" ticks of one CPU from /proc/stat (busy excludes steal)
    if [[ "$1" =~ ^[0-9]+$ ]]; then
        awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat
    else
        echo "0 0"
    fi
}
jit_ns() {   # CPU time of the edge's JIT compiler threads (C1/C2 CompilerThread) so far, in nanoseconds
    local total=0 t v
    for t in /proc/"$EDGE_PID"/task/*; do
        [[ "$(cat "$t/comm" 2>/dev/null)" == C[12]\ Compiler* ]] || continue
        # the JVM starts and stops compiler threads as needed: one may be gone by now (and its time with it);
        # schedstat counts nanoseconds (a C2 compile of a few ms is invisible in /proc's 10 ms ticks)
        if ! v="$(awk '{print $1}' "$t/schedstat" 2>/dev/null)"; then
            v="$( { sed 's/^.*) //' "$t/stat" 2>/dev/null || true; } | awk -v hz="$CLK_TCK" '{printf "%.0f", ($12 + $13) * 1e9 / hz}')"
        fi
        total=$(( total + ${v:-0} ))
    done
    echo "$total"
}
ms_of_ns() { awk -v n="$1" 'BEGIN {x = n / 1e6; printf "%.0f", (x < 0 ? 0 : x)}'; }
child_ticks() {   # child_ticks FILE: user+sys CPU of the shell's reaped children, from `times > FILE`, in ticks
    awk -v hz="$CLK_TCK" 'NR == 2 {
        t = 0; for (i = 1; i <= 2; i++) { v = $i; m = v; sub(/m.*$/, "", m); sub(/^[0-9]+m/, "", v); sub(/s$/, "", v); t += m * 60 + v }
        printf "%.0f", t * hz }' "$1"
}
pct() { awk -v c="$1" -v hz="$CLK_TCK" -v a="$2" -v b="$3" 'BEGIN {x = 100 * c / hz / (b - a); printf "%.0f", (x < 0 ? 0 : x)}'; }
wait_quiet() {   # wait up to QUIET_WAIT s until other load + steal on both CPUs is under NOISE_LIMIT %
    local waited=0 sb0 ss0 cb0 cs0 sb1 ss1 cb1 cs1 sv0 sv1 srv cli
    while :; do
        read -r sb0 ss0 <<<"$(cpu_line "$SERVER_CPU")"; read -r cb0 cs0 <<<"$(cpu_line "$CLIENT_CPU")"
        sv0="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"
        sleep 1
        read -r sb1 ss1 <<<"$(cpu_line "$SERVER_CPU")"; read -r cb1 cs1 <<<"$(cpu_line "$CLIENT_CPU")"
        sv1="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"
        srv=$(( (sb1 - sb0) - (sv1 - sv0) + (ss1 - ss0) )); cli=$(( (cb1 - cb0) + (cs1 - cs0) ))
        srv=$(( srv * 100 / CLK_TCK )); cli=$(( cli * 100 / CLK_TCK ))
        if (( srv <= NOISE_LIMIT && cli <= NOISE_LIMIT )); then
            (( waited == 0 )) || log "CPUs quiet again after ${waited}s"
            return 0
        fi
        if (( waited >= QUIET_WAIT )); then
            log "CPUs still busy with other work (server CPU ${srv}%, client CPU ${cli}%); measuring anyway"
            return 0
        fi
        (( waited == 0 )) && log "waiting for other work to calm down (server CPU ${srv}%, client CPU ${cli}%)"
        waited=$(( waited + 1 ))
    done
}
to_ms() {   # wrk latency (e.g. 812.00us, 1.23ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n = n / 1000; else if (u == "s") n = n * 1000; else if (u == "m") n = n * 60000;
        printf "%.3f", n }'
}

RESULTS="$TMP/results.tsv"   # row server round rps p50ms p99ms srvcpu% errors srvnoise% wrkcpu% clinoise% cpu-us/req jit-ms
ALL_SERVER_PIDS=("$NGINX_PID" "$NGINX_WORKER_PID" "$EDGE_PID")
[[ $PROXY == 0 ]] || ALL_SERVER_PIDS+=("$PROXY_PID" "$PROXY_WORKER_PID")
: > "$RESULTS"

run_wrk() {   # run_wrk SERVER ROW ROUND DURATION [HEADER] -> one result line in $TMP/last.tsv (ROUND "-" = warm-up)
    local server="$1" size="$2" round="$3" dur="$4" port out t0 t1 c0 c1 j0 j1 target
    local -a pids script=()
    [[ -z "${5:-}" ]] || script=(-H "$5")
    port="$(server_port "$server")"; read -r -a pids <<<"$(server_pids "$server")"
    if [[ $size == zipf ]]; then target="http://127.0.0.1:$port"; script+=(-s "$TMP/zipf.lua")
    else target="http://127.0.0.1:$port/$size.bin"; fi
    out="$TMP/wrk-$server-$size-$round.txt"
    [[ $round == - || $QUIET_WAIT == 0 ]] || wait_quiet
    j0="$(jit_ns)"
    c0="$(cpu_ticks "${pids[@]}")"; a0="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"; read -r b0 s0 <<<"$(cpu_line "$SERVER_CPU")"; read -r k0 q0 <<<"$(cpu_line "$CLIENT_CPU")"
    times > "$TMP/times0"   # in this shell, not a subshell: counts wrk once it is reaped
    t0="$(date +%s.%N)"
    taskset -c "$CLIENT_CPU" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$dur" --timeout 5s --latency "${script[@]}" \
        "$target" > "$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
    t1="$(date +%s.%N)"; times > "$TMP/times1"; read -r b1 s1 <<<"$(cpu_line "$SERVER_CPU")"; read -r k1 q1 <<<"$(cpu_line "$CLIENT_CPU")"
    c1="$(cpu_ticks "${pids[@]}")"; a1="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"
    j1="$(jit_ns)"; LAST_JIT_MS="$(ms_of_ns "$((j1 - j0))")"   # the edge's JIT threads, any server's run
    w0="$(child_ticks "$TMP/times0")"; w1="$(child_ticks "$TMP/times1")"
    [[ $round == - ]] && return 0
    local rps p50 p99 cpu errs noise wcpu cnoise requests us
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    requests="$(awk '/ requests in / {print $1}' "$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
    cpu="$(pct "$((c1 - c0))" "$t0" "$t1")"
    # server CPU time (user + system, from /proc/PID/stat) per request, microseconds
    us="$(awk -v t="$((c1 - c0))" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')"
    noise="$(pct "$(( (b1 - b0) - (a1 - a0) + (s1 - s0) ))" "$t0" "$t1")"      # others + steal on the server CPU
    wcpu="$(pct "$((w1 - w0))" "$t0" "$t1")"
    cnoise="$(pct "$(( (k1 - k0) - (w1 - w0) + (q1 - q0) ))" "$t0" "$t1")"   # others + steal on the client CPU
    errs="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")"
    [[ -n "$rps" && -n "$requests" ]] || { cat "$out" >&2; die "could not parse wrk output"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$server" "$round" "$rps" "$p50" "$p99" "$cpu" "$errs" \
        "$noise" "$wcpu" "$cnoise" "$us" "$LAST_JIT_MS" > "$TMP/last.tsv"
    log "$(printf '%-5s %-5s round %s: %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  server cpu %3s%% (%6s us/req)  wrk cpu %3s%%  noise srv %2s%% cli %2s%%  errors %s%s' \
        "$size" "$server" "$round" "$rps" "$p50" "$p99" "$cpu" "$us" "$wcpu" "$noise" "$cnoise" "$errs" \
        "$([[ $server == edge ]] && echo "  edge JIT ${LAST_JIT_MS} ms")")"
}

least_noisy() {   # least_noisy RESULTS LAST SRV_COL CLI_COL LABEL CMD...: run CMD (it writes LAST), re-run it
                  # while noisy (RETRIES), append the least noisy attempt to RESULTS
    local results="$1" last="$2" scol="$3" ccol="$4" label="$5" attempt best="" best_noise=1000 n
    shift 5
    for attempt in $(seq 0 "$RETRIES"); do
        (( attempt == 0 )) || log "$label was noisy; retry $attempt of $RETRIES"
        "$@"
        n="$(awk -F'\t' -v s="$scol" -v c="$ccol" '{print ($s > $c ? $s : $c)}' "$last")"
        if (( n < best_noise )); then best_noise=$n; best="$(cat "$last")"; fi
        (( best_noise > NOISE_LIMIT )) || break
    done
    echo "$best" >> "$results"
}
measure() {   # measure SERVER ROW ROUND: run_wrk, re-run when noisy (RETRIES), keep the least noisy attempt
    least_noisy "$RESULTS" "$TMP/last.tsv" 9 11 "$2 $1 round $3" run_wrk "$1" "$2" "$3" "$DURATION"
}

# ---- benchmark --------------------------------------------------------------------------------
log "rows: $SIZES; servers: ${SERVERS[*]}; $ROUNDS interleaved rounds x $DURATION (noisy runs retried up to $RETRIES times); wrk -t$WRK_THREADS -c$CONNECTIONS on CPU $CLIENT_CPU"
# The edge's JIT compiler threads run on the server CPU too: while they still compile, they take the core
# from the event loop for milliseconds at a time, which shows as p99 (not as steady-state behaviour).
# Warm the edge on every row until a whole pass leaves them (nearly) idle.
if [[ " ${SERVERS[*]} " == *" edge "* ]] && (( JIT_PASSES > 0 )); then
    for pass in $(seq 1 "$JIT_PASSES"); do
        p0="$(jit_ns)"; pt0="$(date +%s.%N)"
        for s in $SIZES; do run_wrk edge "$s" - "$WARMUP"; done
        # a fixed-rate run opens its connections anew: their set-up and teardown must be compiled too
        [[ $CHURN_S == 0 ]] || run_wrk edge "${SIZES%% *}" - "$CHURN" "Connection: close"
        jit="$(awk -v n="$(( $(jit_ns) - p0 ))" -v a="$pt0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", 100 * n / 1e9 / (b - a)}')"
        log "edge JIT warm-up pass $pass: every row ${WARMUP}$([[ $CHURN_S == 0 ]] || echo ", new connections ${CHURN}"), JIT compiler threads used ${jit}% of a CPU"
        (( jit > JIT_QUIET )) || break
    done
fi
for s in $SIZES; do
    log "warm-up $s: nginx 3s, edge $WARMUP$([[ $PROXY == 1 ]] && echo ', nginx proxy_cache 3s')"
    run_wrk nginx "$s" - 3s
    run_wrk edge "$s" - "$WARMUP"
    [[ $PROXY == 0 ]] || run_wrk proxy "$s" - 3s
    for r in $(seq 1 "$ROUNDS"); do
        for v in "${SERVERS[@]}"; do
            measure "$v" "$s" "$r"
        done
    done
done

# every measured edge request must have been a hit: compare the edge's own counters
METRICS="$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" || true)"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
rss_of() {   # rss_of SERVER: KiB summed over its processes
    local total=0 pid
    for pid in $(server_pids "$1"); do total=$(( total + $(rss_kib "$pid") )); done
    echo "$total"
}
declare -A RSS
for v in "${SERVERS[@]}"; do RSS[$v]="$(rss_of "$v")"; done

# ---- report -----------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() {   # col ROW SERVER FIELD -> values of that field, one per round
    awk -F'\t' -v s="$1" -v v="$2" -v f="$3" '$1 == s && $2 == v {print $f}' "$RESULTS"
}
row_label() { [[ $1 == zipf ]] && echo "zipf $ZIPF_OBJECTS" || echo "$1"; }

echo
echo "## Cache-hit throughput: edge$([[ $PROXY == 1 ]] && echo ' and nginx proxy_cache') vs nginx serving files (the ceiling)"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), TCP congestion control $TCP_CC"
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(java -version 2>&1 | head -n1), edge JVM: \`${JVM_ARGS[*]}\`"
echo "servers on CPU $SERVER_CPU, \`wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency\` on CPU $CLIENT_CPU; median of $ROUNDS interleaved rounds"
if [[ " $SIZES " == *" zipf "* ]]; then
    echo "zipf row: $ZIPF_OBJECTS files of $ZIPF_MIN-$ZIPF_MAX bytes (log-uniform), paths drawn by wrk from a Zipf law (exponent $ZIPF_EXPONENT), all cached before measuring"
fi
echo
echo "| row | server | requests/s | × ceiling | p50 ms | p99 ms | CPU µs/req | server CPU % | wrk CPU % | noisy rounds | rounds req/s |"
echo "|-----|--------|-----------:|----------:|-------:|-------:|-----------:|-------------:|----------:|-------------:|--------------|"
for s in $SIZES; do
    n_rps="$(col "$s" nginx 4 | median)"
    for v in "${SERVERS[@]}"; do
        rps="$(col "$s" "$v" 4 | median)"
        p50="$(col "$s" "$v" 5 | median)"
        p99="$(col "$s" "$v" 6 | median)"
        cpu="$(col "$s" "$v" 7 | median)"
        wcpu="$(col "$s" "$v" 10 | median)"
        us="$(col "$s" "$v" 12 | median)"
        noisy="$(awk -F'\t' -v s="$s" -v v="$v" -v l="$NOISE_LIMIT" '$1 == s && $2 == v {n++; if ($9 > l || $11 > l) k++} END {printf "%d/%d", k, n}' "$RESULTS")"
        all="$(col "$s" "$v" 4 | awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}')"
        if [[ $v != nginx ]]; then
            ratio="$(awk -v a="$rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a / b}')"
            # the same, paired within each round (the servers ran back to back), then the median
            pr="$(paste <(col "$s" nginx 4) <(col "$s" "$v" 4) | awk '{print $2 / $1}' | median)"
            ratio="$ratio ($(awk -v r="$pr" 'BEGIN {printf "%.2f", r}'))"
        else ratio="1"; fi
        printf '| %s | %s | %.0f | %s | %.3f | %.3f | %.1f | %s | %s | %s | %s |\n' "$(row_label "$s")" "$(server_label "$v")" \
            "$rps" "$ratio" "$p50" "$p99" "$us" "$cpu" "$wcpu" "$noisy" "$all"
    done
done
errors="$(awk -F'\t' '{n += $8} END {print n + 0}' "$RESULTS")"
echo
echo "× ceiling: requests/s over nginx's (ratio of the medians; in brackets, the median of the per-round ratios)."
echo "CPU µs/req: the server's user + system CPU time (/proc/PID/stat, all its processes) per request served."
echo "Non-2xx responses and socket errors over all measured runs: $errors"
echo
echo "RSS at the end (VmRSS, all processes of the server):"
echo
echo "| server | RSS MiB | RSS KiB |"
echo "|--------|--------:|--------:|"
for v in "${SERVERS[@]}"; do
    printf '| %s | %d | %d |\n' "$(server_label "$v")" "$(( RSS[$v] / 1024 ))" "${RSS[$v]}"
done
echo
echo "A run is noisy when other processes or VM steal took more than ${NOISE_LIMIT}% of CPU $SERVER_CPU or CPU $CLIENT_CPU"
echo "(noisy runs were re-run up to $RETRIES times, the least noisy attempt kept; 'noisy rounds' counts those still noisy);"
echo "per-run detail: server CPU, wrk CPU, noise on each CPU, and for the edge the CPU time its JIT compiler"
echo "threads took during the run (on the server CPU, so from the event loop):"
echo '```'
awk -F'\t' '{printf "%-5s %-5s round %s  %8.0f req/s  p50 %.3f ms  p99 %.3f ms  server %3d%% %7.1f us/req  wrk %3d%%  noise srv %2d%% cli %2d%%%s\n", $1, $2, $3, $4, $5, $6, $7, $12, $10, $9, $11, ($2 == "edge" ? sprintf("  JIT %d ms", $13) : "")}' "$RESULTS"
echo '```'
hits_line="$(grep -E '^outpost_requests_total\{' <<<"$METRICS" | awk '$NF + 0 > 0' || true)"
edge_misses="$(grep -E '^outpost_requests_total\{' <<<"$METRICS" | grep -v 'cache="hit"' | awk '{n += $NF} END {printf "%.0f", n}')"
expected_misses=0
for s in $SIZES; do
    if [[ $s == zipf ]]; then expected_misses=$(( expected_misses + ZIPF_OBJECTS )); else expected_misses=$(( expected_misses + 1 )); fi
done
echo
if [[ "$edge_misses" == "$expected_misses" ]]; then
    echo "Every request the edge answered after filling its cache was a hit ($edge_misses non-hits: one per object, the fill)."
else
    echo "WARNING: the edge answered $edge_misses requests other than hits; filling its cache takes $expected_misses. Its numbers include misses."
fi
fast_hits="$(grep -E '^outpost_requests_fast_total' <<<"$METRICS" | awk '{printf "%.0f", $NF}' || true)"
echo "Hits answered on the connection (server.fast-memory-hits: $FAST_MEMORY_HITS): ${fast_hits:-0}."
file_bytes="$(grep -E '^outpost_cache_file_bytes' <<<"$METRICS" | awk '{printf "%.0f", $NF}' || true)"
echo "Memory tier bodies from cache.memory.file-min-size $MEMORY_FILE_MIN_SIZE up in files of ${MEMORY_FILE_DIR:-/dev/shm}, sent with sendfile (0: all in direct buffers): ${file_bytes:-0} bytes in files at the end."
if [[ -n "$hits_line" ]]; then
    echo
    echo "Edge request counters, non-zero (from /metrics; includes the fill and warm-up runs):"
    echo '```'
    echo "$hits_line"
    echo '```'
fi

# ---- optional latency at a fixed request rate (--fixed-rate) ------------------------------------
# wrk keeps 64 connections busy, so its p99 at saturation is mostly queueing behind the server's own
# throughput (and, once a server outruns the client, inside the client). Here every server gets the same
# offered load, a share of what the slowest of them sustains.
# h2load paces each connection with its own timer, which fires every max(10 ms, 1/rate) and then sends
# what is due back to back. Started together (lockstep), the 64 timers fire together: every tick is a burst
# of 64 requests or more, and the latency measured is how long a burst takes to drain through the client's
# one core (a 16 KiB hit at 640 req/s "took" 1.1 ms at the median). Started one a millisecond (spread:
# -r 1 --rate-period=1ms, which needs a request count -n instead of -D), the timers' phases spread over the
# tick, as independent clients' arrivals would be.
percentiles() {   # percentiles H2LOAD_LOG -> "n p50 p99 p999 max errors" (ms) from its per-request lines (µs)
    sort -t$'\t' -k3 -n "$1" | awk -F'\t' '{v[NR] = $3 / 1000; if ($2 != 200) e++}
        END {n = NR; if (n == 0) {print "0 0 0 0 0 0"; exit}
             printf "%d %.3f %.3f %.3f %.3f %d\n", n, v[int((n - 1) * 0.5) + 1], v[int((n - 1) * 0.99) + 1], v[int((n - 1) * 0.999) + 1], v[n], e + 0}'
}
run_h2load() {   # run_h2load SERVER ROW SHARE ROUND PER_CONN [DURATION] -> one result line in $TMP/last-rate.tsv (ROUND "-" = warm-up)
    local server="$1" size="$2" share="$3" round="$4" per_conn="$5" dur="${6:-$RATE_DURATION}" hlog out t0 t1 a0 a1 b0 b1 s0 s1 k0 k1 q0 q1 w0 w1 j0 j1
    hlog="$RATE_LOG_DIR/h2load-$server-$size-$share-$round.log"; out="$TMP/h2load-$server-$size-$share-$round.out"; rm -f "$hlog"
    [[ $round == - || $QUIET_WAIT == 0 ]] || wait_quiet
    j0="$(jit_ns)"
    a0="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"; read -r b0 s0 <<<"$(cpu_line "$SERVER_CPU")"; read -r k0 q0 <<<"$(cpu_line "$CLIENT_CPU")"
    times > "$TMP/times0"; t0="$(date +%s.%N)"
    local -a target=("http://127.0.0.1:$(server_port "$server")/$size.bin")
    if [[ $size == zipf ]]; then   # every connection walks the same list of Zipf-drawn paths (-i), from its start
        sed "s|^|http://127.0.0.1:$(server_port "$server")|" "$TMP/zipf-paths.txt" > "$TMP/zipf-uris-$server.txt"
        target=(-i "$TMP/zipf-uris-$server.txt")
    fi
    local -a pacing=(-D "$dur" --warm-up-time=2s)
    if [[ $RATE_PACING == spread ]]; then   # no warm-up time with -n: the untimed warm-up run per row covers it
        pacing=(-r 1 --rate-period=1ms -n "$(( per_conn * CONNECTIONS * $(seconds_of "$dur") ))")
    fi
    taskset -c "$CLIENT_CPU" h2load --h1 -t1 -c"$CONNECTIONS" --rps="$per_conn" "${pacing[@]}" \
        --log-file="$hlog" "${target[@]}" > "$out" 2>&1 \
        || { cat "$out" >&2; die "h2load failed"; }
    t1="$(date +%s.%N)"; times > "$TMP/times1"; read -r b1 s1 <<<"$(cpu_line "$SERVER_CPU")"; read -r k1 q1 <<<"$(cpu_line "$CLIENT_CPU")"
    a1="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"; w0="$(child_ticks "$TMP/times0")"; w1="$(child_ticks "$TMP/times1")"
    j1="$(jit_ns)"; LAST_JIT_MS="$(ms_of_ns "$((j1 - j0))")"
    [[ $round == - ]] && { rm -f "$hlog"; return 0; }
    local n p50 p99 p999 pmax errs noise cnoise
    read -r n p50 p99 p999 pmax errs <<<"$(percentiles "$hlog")"
    if [[ $KEEP_TMP == 1 ]]; then mv "$hlog" "$TMP/"; else rm -f "$hlog"; fi   # ~15 MB a run: not left in RAM
    noise="$(pct "$(( (b1 - b0) - (a1 - a0) + (s1 - s0) ))" "$t0" "$t1")"      # others + steal on the server CPU
    cnoise="$(pct "$(( (k1 - k0) - (w1 - w0) + (q1 - q0) ))" "$t0" "$t1")"   # others + steal on the client CPU
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size@$share" "$server" "$round" "$(( per_conn * CONNECTIONS ))" \
        "$n" "$p50" "$p99" "$p999" "$pmax" "$errs" "$noise" "$cnoise" "$LAST_JIT_MS" > "$TMP/last-rate.tsv"
    log "$(printf 'fixed rate %-5s x%-4s %-5s round %s: %d req/s  p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  max %8.3f ms  noise srv %2s%% cli %2s%%%s' \
        "$size" "$share" "$server" "$round" "$(( per_conn * CONNECTIONS ))" "$p50" "$p99" "$p999" "$pmax" "$noise" "$cnoise" \
        "$([[ $server == edge ]] && echo "  edge JIT ${LAST_JIT_MS} ms")")"
}
RATE_RESULTS="$TMP/rate-results.tsv"   # row@share server round rate requests p50 p99 p999 max errors srvnoise% clinoise% jit-ms
median3() { median | awk '{printf "%.3f", $1}'; }
# p99_above ROW SERVER -> whether SERVER's rounds' p99s are higher than the ceiling's, by a one-sided Mann-Whitney
# test over the rounds (normal approximation, continuity-corrected): "not higher (p 0.17)" or "HIGHER (p 0.01)" at
# the 5 % level; "-" with fewer than 3 rounds each. Rounds are independent runs, so this asks whether the
# difference is larger than what two identical servers would show run to run.
p99_above() {
    awk -F'\t' -v s="$1" -v v="$2" '
        function erfc(x,   t, y, neg) { neg = x < 0; if (neg) x = -x
            t = 1 / (1 + 0.3275911 * x)
            y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * exp(-x * x)
            return neg ? 2 - y : y }
        $1 == s && $2 == v {a[++na] = $7} $1 == s && $2 == "nginx" {b[++nb] = $7}
        END { if (na < 3 || nb < 3) { print "-"; exit }
            for (i = 1; i <= na; i++) for (j = 1; j <= nb; j++) u += (a[i] > b[j]) ? 1 : (a[i] == b[j] ? 0.5 : 0)
            z = (u - na * nb / 2 - 0.5) / sqrt(na * nb * (na + nb + 1) / 12); p = 0.5 * erfc(z / sqrt(2))
            printf "%s (p %.2f)", p < 0.05 ? "HIGHER" : "not higher", p }' "$RATE_RESULTS"
}
rcol() { awk -F'\t' -v s="$1" -v v="$2" -v f="$3" '$1 == s && $2 == v {print $f}' "$RATE_RESULTS"; }
per_connection() {   # per_connection REQ_PER_S SHARE -> h2load's --rps for each of the CONNECTIONS (at least 1)
    awk -v r="$1" -v f="$2" -v c="$CONNECTIONS" 'BEGIN {x = int(r * f / c); print (x < 1 ? 1 : x)}'
}
if [[ $FIXED_RATE == 1 ]]; then
    : > "$RATE_RESULTS"
    read -r first_share _ <<<"$RATE_SHARE"   # the warm-up runs at the first share
    for s in $SIZES; do
        slowest="$(for v in "${SERVERS[@]}"; do col "$s" "$v" 4 | median; done | sort -g | head -n1)"
        per_conn="$(per_connection "$slowest" "$first_share")"
        # h2load's requests are not wrk's (other fields): the edge's JIT compiles new paths on their first
        # run, on the server's core (measured: 0.4 s of C2 in the first 10 s run, p99 4.8 ms and max 62 ms
        # against 1.5-1.7 ms and 7 ms in the runs after). Every server gets the same untimed run first.
        for v in "${SERVERS[@]}"; do
            log "fixed rate warm-up $s: $v ${WARMUP}"
            run_h2load "$v" "$s" "$first_share" - "$per_conn" "$WARMUP"
        done
        for share in $RATE_SHARE; do
            per_conn="$(per_connection "$slowest" "$share")"
            for round in $(seq 1 "$RATE_ROUNDS"); do
                for v in "${SERVERS[@]}"; do   # interleaved like the wrk rounds; a noisy run is re-run (RETRIES)
                    least_noisy "$RATE_RESULTS" "$TMP/last-rate.tsv" 11 12 "fixed rate $s x$share $v round $round" \
                        run_h2load "$v" "$s" "$share" "$round" "$per_conn"
                done
            done
        done
    done
    echo
    echo "### Latency at a fixed request rate (h2load)"
    echo
    echo "Every server offered the same load: each share in RATE_SHARE=\"$RATE_SHARE\" of the slowest server's median requests/s"
    if [[ $RATE_PACING == spread ]]; then
        echo "above, \`h2load --h1 -t1 -c$CONNECTIONS --rps=<rate/$CONNECTIONS> -r 1 --rate-period=1ms -n <rate × $RATE_DURATION>\` (connections"
        echo "started a millisecond apart, so that their timers do not fire together) on CPU $CLIENT_CPU,"
    else
        echo "above, \`h2load --h1 -t1 -c$CONNECTIONS --rps=<rate/$CONNECTIONS>\` for $RATE_DURATION after 2 s of warm-up (RATE_PACING=lockstep:"
        echo "the connections' timers fire together, bursts of $CONNECTIONS requests) on CPU $CLIENT_CPU,"
    fi
    echo "$RATE_ROUNDS interleaved rounds; percentiles over every request of a run (h2load's per-request log), then the"
    echo "median over rounds. 'p99 ≤ ceiling' counts the rounds in which a server's p99 was at most the ceiling's p99 of"
    echo "the same round; 'p99 above ceiling?' asks whether its rounds' p99s are higher than the ceiling's beyond what"
    echo "run-to-run spread explains (one-sided Mann-Whitney test over the rounds, 5 % level; README, \"Reading the numbers\")."
    echo
    echo "| row | share | rate req/s | server | p50 ms | p99 ms | p99.9 ms | max ms | p99 ≤ ceiling | p99 above ceiling? | noisy rounds | rounds p99 ms | errors |"
    echo "|-----|------:|-----------:|--------|-------:|-------:|---------:|-------:|--------------:|--------------------|-------------:|---------------|-------:|"
    for s in $SIZES; do for share in $RATE_SHARE; do
        r="$s@$share"
        for v in "${SERVERS[@]}"; do
            better="$(awk -F'\t' -v s="$r" -v v="$v" '$1 == s && $2 == "nginx" {c[$3] = $7} $1 == s && $2 == v {m[$3] = $7}
                END {for (r in m) {n++; if (m[r] <= c[r]) k++}; printf "%d/%d", k, n}' "$RATE_RESULTS")"
            noisy="$(awk -F'\t' -v s="$r" -v v="$v" -v l="$NOISE_LIMIT" '$1 == s && $2 == v {n++; if ($11 > l || $12 > l) k++} END {printf "%d/%d", k, n}' "$RATE_RESULTS")"
            printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$share" "$(rcol "$r" "$v" 4 | head -n1)" \
                "$(server_label "$v")" "$(rcol "$r" "$v" 6 | median3)" "$(rcol "$r" "$v" 7 | median3)" \
                "$(rcol "$r" "$v" 8 | median3)" "$(rcol "$r" "$v" 9 | median3)" \
                "$([[ $v == nginx ]] && echo - || echo "$better")" "$([[ $v == nginx ]] && echo - || p99_above "$r" "$v")" \
                "$noisy" "$(rcol "$r" "$v" 7 | paste -sd, - | sed 's/,/, /g')" \
                "$(rcol "$r" "$v" 10 | awk '{n += $1} END {print n + 0}')"
        done
    done; done
    if [[ " ${SERVERS[*]} " == *" edge "* ]]; then
        echo
        awk -F'\t' '$2 == "edge" {n++; t += $13; if ($13 > m) m = $13; if ($13 > 0) k++}
            END {printf "The edge'"'"'s JIT compiler threads during its %d measured fixed-rate runs: %d ms in all, at most %d ms in one run, %d runs with any.\n", n, t, m, k}' "$RATE_RESULTS"
    fi
    # How quiet the machine was: on a quiet VM the ceiling's p99 at the first share is 2-3x its p50; on a VM
    # with stall episodes (README, "Current" results) it is tens of times, and every server's p99 is the VM's.
    stalled=""
    [[ $RATE_PACING == spread ]] && for s in $SIZES; do
        r="$s@$first_share"
        x="$(awk -v a="$(rcol "$r" nginx 6 | median3)" -v b="$(rcol "$r" nginx 7 | median3)" 'BEGIN {if (a > 0) printf "%.0f", b / a}')"
        if [[ -n $x ]] && (( x >= TAIL_LIMIT )); then stalled+=" $s (${x}x)"; fi
    done
    if [[ -n $stalled ]]; then
        echo
        echo "WARNING: the ceiling's own p99 at x$first_share was at least ${TAIL_LIMIT}x its p50 in:$stalled. This machine stalls"
        echo "(nginx alone at half load should be a few tenths of a millisecond at p99); the p99 columns rank its stall"
        echo "episodes more than the servers. Compare p99 on a quieter machine (load-tests/bench/README.md, \"Reading the numbers\")."
    fi
fi

# ---- optional JFR profile of the 1 KiB hit path -----------------------------------------------
if [[ $PROFILE == 1 ]]; then
    psize=1k
    if [[ ! -f "$TMP/www/$psize.bin" ]]; then
        for psize in $SIZES; do [[ $psize == zipf ]] || break; done
        [[ $psize != zipf ]] || die "--profile needs a row of one size (1k, 16k, 256k or 4m) in SIZES"
    fi
    log "profiling the edge with JFR during a ${PROFILE_SECONDS}s /$psize.bin run"
    jcmd "$EDGE_PID" JFR.start name=bench settings=profile > /dev/null
    taskset -c "$CLIENT_CPU" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${PROFILE_SECONDS}s" --timeout 5s --latency \
        "http://127.0.0.1:$EDGE_PORT/$psize.bin" > "$TMP/wrk-profile.txt" 2>&1
    jcmd "$EDGE_PID" JFR.stop name=bench filename="$JFR_FILE" > /dev/null
    echo
    echo "Profile run: $(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk-profile.txt") req/s with JFR on (settings=profile)"
    "$ROOT/load-tests/bench/jfr-top.sh" "$JFR_FILE"
fi
