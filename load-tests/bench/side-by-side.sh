#!/usr/bin/env bash
# Side-by-side cache-hit throughput: Outpost edge-node vs nginx serving the same files.
#
# nginx is both the ceiling (a static file server) and the edge's origin. Both servers run on
# CPU 0, wrk on CPU 1, everything on 127.0.0.1. See load-tests/bench/README.md.
#
# Usage: load-tests/bench/side-by-side.sh [--build] [--profile]
#   --build      run ./mvnw -B -q -DskipTests package first (otherwise the jar must exist)
#   --profile    after the benchmark, record a JFR profile of the edge during a 1 KiB hit run
#                and print the hottest frames (needs jcmd and jfr from the JDK)
#
# Environment (defaults in brackets):
#   SIZES="1k 16k"            file sizes to test; known: 1k 16k 256k 4m
#   ROUNDS=3                  interleaved rounds of [nginx, edge] per size
#   DURATION=10s              length of each measured wrk run
#   WARMUP=10s                edge warm-up run per size (JIT); nginx gets 3s
#   CONNECTIONS=64            wrk -c
#   WRK_THREADS=1             wrk -t
#   SERVER_CPU=0 CLIENT_CPU=1 taskset CPU lists for the servers and for wrk
#   EDGE_JVM_OPTS="-Xms512m -Xmx512m -XX:+UseParallelGC"
#   EDGE_EXTRA_JVM_OPTS=""    appended to EDGE_JVM_OPTS
#   NOISE_LIMIT=10            a run is "noisy" when other processes or steal took more than this
#                             % of the server CPU or the client CPU during it
#   QUIET_WAIT=30             before each run, wait up to this many seconds for both CPUs to be
#                             quieter than NOISE_LIMIT (0 disables the wait)
#   RETRIES=1                 re-run a noisy run up to this many times; the least noisy attempt counts
#   PROFILE_SECONDS=30        length of the --profile run
#   JFR_FILE=$TMP/edge.jfr    where --profile writes the recording (kept after exit)
#   KEEP_TMP=0                1 keeps the temp dir (configs, logs, wrk outputs)
#   NGINX_PORT=18081 EDGE_PORT=18080 ADMIN_PORT=19080
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$ROOT/edge-node/target/edge-node.jar"

SIZES="${SIZES:-1k 16k}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
WRK_THREADS="${WRK_THREADS:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
CLIENT_CPU="${CLIENT_CPU:-1}"
EDGE_JVM_OPTS="${EDGE_JVM_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}"
EDGE_EXTRA_JVM_OPTS="${EDGE_EXTRA_JVM_OPTS:-}"
PROFILE_SECONDS="${PROFILE_SECONDS:-30}"
NOISE_LIMIT="${NOISE_LIMIT:-10}"
QUIET_WAIT="${QUIET_WAIT:-30}"
RETRIES="${RETRIES:-1}"
KEEP_TMP="${KEEP_TMP:-0}"
NGINX_PORT="${NGINX_PORT:-18081}"
EDGE_PORT="${EDGE_PORT:-18080}"
ADMIN_PORT="${ADMIN_PORT:-19080}"

BUILD=0
PROFILE=0
for arg in "$@"; do
    case "$arg" in
        --build) BUILD=1 ;;
        --profile) PROFILE=1 ;;
        -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
need java    "a JDK 17, e.g. apt-get install -y openjdk-17-jdk-headless"
if [[ $PROFILE == 1 ]]; then
    need jcmd "a full JDK 17 (jcmd), e.g. apt-get install -y openjdk-17-jdk-headless"
    need jfr  "a full JDK 17 (jfr), e.g. apt-get install -y openjdk-17-jdk-headless"
fi
[[ $missing == 0 ]] || die "install the missing tools above and re-run"

if [[ $BUILD == 1 ]]; then
    log "building: ./mvnw -B -q -DskipTests package"
    (cd "$ROOT" && ./mvnw -B -q -DskipTests package)
fi
[[ -f "$JAR" ]] || die "$JAR not found; build it with: (cd $ROOT && ./mvnw -B -q -DskipTests package), or pass --build"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$NGINX_PORT" "$EDGE_PORT" "$ADMIN_PORT"; do
    if port_busy "$p"; then die "port $p on 127.0.0.1 is already in use"; fi
done

size_bytes() {
    case "$1" in
        1k) echo 1024 ;; 16k) echo 16384 ;; 256k) echo 262144 ;; 4m) echo 4194304 ;;
        *) die "unknown size '$1' (known: 1k 16k 256k 4m)" ;;
    esac
}
for s in $SIZES; do size_bytes "$s" >/dev/null; done

# ---- temp dir, cleanup ---------------------------------------------------------------------
TMP="$(mktemp -d /tmp/outpost-bench.XXXXXX)"
chmod 755 "$TMP"          # nginx workers run as an unprivileged user when started as root
JFR_FILE="${JFR_FILE:-$TMP/edge.jfr}"
NGINX_PID=""
EDGE_PID=""

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
    stop_pid "$NGINX_PID"
    if [[ $KEEP_TMP == 1 ]]; then
        log "kept $TMP"
    else
        if [[ $PROFILE == 1 && -f "$JFR_FILE" && "$JFR_FILE" == "$TMP"/* ]]; then
            mv "$JFR_FILE" /tmp/edge-side-by-side.jfr && log "JFR recording kept at /tmp/edge-side-by-side.jfr"
        fi
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- content --------------------------------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/nginx/logs" "$TMP/nginx/tmp"
for s in $SIZES; do
    head -c "$(size_bytes "$s")" /dev/urandom > "$TMP/www/$s.bin"
done
chmod -R a+rX "$TMP/www"

# ---- nginx: the ceiling and the edge's origin -------------------------------------------------
cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
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
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path       $TMP/nginx/tmp/proxy;
    fastcgi_temp_path     $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path       $TMP/nginx/tmp/uwsgi;
    scgi_temp_path        $TMP/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
        location / {
            add_header Cache-Control "public, max-age=3600";
        }
    }
}
EOF

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
admin:
  host: 127.0.0.1
  port: $ADMIN_PORT
origins:
  - host: "*"
    url: http://127.0.0.1:$NGINX_PORT
cache:
  memory:
    max-size: 256MiB
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
FIRST_SIZE="${SIZES%% *}"
wait_http "http://127.0.0.1:$NGINX_PORT/$FIRST_SIZE.bin" "$NGINX_PID" nginx
wait_http "http://127.0.0.1:$ADMIN_PORT/readyz" "$EDGE_PID" edge
NGINX_WORKER_PID="$(pgrep -P "$NGINX_PID" | head -n1 || true)"
[[ -n "$NGINX_WORKER_PID" ]] || die "could not find the nginx worker process"

# ---- fill the cache, check that the edge answers hits -----------------------------------------
for s in $SIZES; do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EDGE_PORT/$s.bin")"
    [[ "$code" == 200 ]] || die "edge answered $code for /$s.bin while filling the cache"
done
for s in $SIZES; do
    headers="$(curl -s -D - -o "$TMP/check.bin" "http://127.0.0.1:$EDGE_PORT/$s.bin")"
    status_line="$(grep -i '^cache-status:' <<<"$headers" | tr -d '\r' || true)"
    if ! grep -qiE ';[[:space:]]*hit' <<<"$status_line"; then
        echo "$headers" >&2
        die "/$s.bin is not a cache hit at the edge (Cache-Status: '${status_line#*: }')"
    fi
    cmp -s "$TMP/check.bin" "$TMP/www/$s.bin" || die "/$s.bin from the edge differs from the file"
    log "/$s.bin: ${status_line}"
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
secs() { awk -v d="$1" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; print n }'; }

RESULTS="$TMP/results.tsv"   # size server round rps p50ms p99ms srvcpu% errors srvnoise% wrkcpu% clinoise%
ALL_SERVER_PIDS=("$NGINX_PID" "$NGINX_WORKER_PID" "$EDGE_PID")
: > "$RESULTS"

run_wrk() {   # run_wrk SERVER SIZE ROUND DURATION -> writes one result line to $TMP/last.tsv (ROUND "-" = warm-up)
    local server="$1" size="$2" round="$3" dur="$4" port pids out t0 t1 c0 c1
    if [[ $server == nginx ]]; then port=$NGINX_PORT; pids=("$NGINX_PID" "$NGINX_WORKER_PID")
    else port=$EDGE_PORT; pids=("$EDGE_PID"); fi
    out="$TMP/wrk-$server-$size-$round.txt"
    [[ $round == - || $QUIET_WAIT == 0 ]] || wait_quiet
    c0="$(cpu_ticks "${pids[@]}")"; a0="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"; read -r b0 s0 <<<"$(cpu_line "$SERVER_CPU")"; read -r k0 q0 <<<"$(cpu_line "$CLIENT_CPU")"
    times > "$TMP/times0"   # in this shell, not a subshell: counts wrk once it is reaped
    t0="$(date +%s.%N)"
    taskset -c "$CLIENT_CPU" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$dur" --timeout 5s --latency \
        "http://127.0.0.1:$port/$size.bin" > "$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
    t1="$(date +%s.%N)"; times > "$TMP/times1"; read -r b1 s1 <<<"$(cpu_line "$SERVER_CPU")"; read -r k1 q1 <<<"$(cpu_line "$CLIENT_CPU")"
    c1="$(cpu_ticks "${pids[@]}")"; a1="$(cpu_ticks "${ALL_SERVER_PIDS[@]}")"
    w0="$(child_ticks "$TMP/times0")"; w1="$(child_ticks "$TMP/times1")"
    [[ $round == - ]] && return 0
    local rps p50 p99 cpu errs noise wcpu cnoise
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
    cpu="$(pct "$((c1 - c0))" "$t0" "$t1")"
    noise="$(pct "$(( (b1 - b0) - (a1 - a0) + (s1 - s0) ))" "$t0" "$t1")"      # others + steal on the server CPU
    wcpu="$(pct "$((w1 - w0))" "$t0" "$t1")"
    cnoise="$(pct "$(( (k1 - k0) - (w1 - w0) + (q1 - q0) ))" "$t0" "$t1")"   # others + steal on the client CPU
    errs="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")"
    [[ -n "$rps" ]] || { cat "$out" >&2; die "could not parse wrk output"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$server" "$round" "$rps" "$p50" "$p99" "$cpu" "$errs" \
        "$noise" "$wcpu" "$cnoise" > "$TMP/last.tsv"
    log "$(printf '%-5s %-5s round %s: %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  server cpu %3s%%  wrk cpu %3s%%  noise srv %2s%% cli %2s%%  errors %s' \
        "$size" "$server" "$round" "$rps" "$p50" "$p99" "$cpu" "$wcpu" "$noise" "$cnoise" "$errs")"
}

measure() {   # measure SERVER SIZE ROUND: run_wrk, re-run when noisy (RETRIES), keep the least noisy attempt
    local attempt best="" best_noise=1000 n
    for attempt in $(seq 0 "$RETRIES"); do
        (( attempt == 0 )) || log "$2 $1 round $3 was noisy; retry $attempt of $RETRIES"
        run_wrk "$1" "$2" "$3" "$DURATION"
        n="$(awk -F'\t' '{print ($9 > $11 ? $9 : $11)}' "$TMP/last.tsv")"
        if (( n < best_noise )); then best_noise=$n; best="$(cat "$TMP/last.tsv")"; fi
        (( best_noise > NOISE_LIMIT )) || break
    done
    echo "$best" >> "$RESULTS"
}

# ---- benchmark --------------------------------------------------------------------------------
log "sizes: $SIZES; $ROUNDS rounds x [nginx, edge] x $DURATION (noisy runs retried up to $RETRIES times); wrk -t$WRK_THREADS -c$CONNECTIONS on CPU $CLIENT_CPU"
for s in $SIZES; do
    log "warm-up $s: nginx 3s, edge $WARMUP"
    run_wrk nginx "$s" - 3s
    run_wrk edge "$s" - "$WARMUP"
    for r in $(seq 1 "$ROUNDS"); do
        measure nginx "$s" "$r"
        measure edge "$s" "$r"
    done
done

# every measured edge request must have been a hit: compare the edge's own counters
METRICS="$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" || true)"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
EDGE_RSS="$(rss_kib "$EDGE_PID")"
NGINX_MASTER_RSS="$(rss_kib "$NGINX_PID")"
NGINX_WORKER_RSS="$(rss_kib "$NGINX_WORKER_PID")"

# ---- report -----------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() {   # col SIZE SERVER FIELD -> values of that field, one per round
    awk -F'\t' -v s="$1" -v v="$2" -v f="$3" '$1 == s && $2 == v {print $f}' "$RESULTS"
}

echo
echo "## Cache-hit throughput, edge vs nginx"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr)"
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(java -version 2>&1 | head -n1), edge JVM: \`${JVM_ARGS[*]}\`"
echo "servers on CPU $SERVER_CPU, \`wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency\` on CPU $CLIENT_CPU; median of $ROUNDS interleaved rounds"
echo
echo "| size | server | requests/s | p50 ms | p99 ms | server CPU % | wrk CPU % | edge/nginx | noisy rounds | rounds req/s |"
echo "|------|--------|-----------:|-------:|-------:|-------------:|----------:|-----------:|-------------:|--------------|"
for s in $SIZES; do
    n_rps="$(col "$s" nginx 4 | median)"
    for v in nginx edge; do
        rps="$(col "$s" "$v" 4 | median)"
        p50="$(col "$s" "$v" 5 | median)"
        p99="$(col "$s" "$v" 6 | median)"
        cpu="$(col "$s" "$v" 7 | median)"
        wcpu="$(col "$s" "$v" 10 | median)"
        noisy="$(awk -F'\t' -v s="$s" -v v="$v" -v l="$NOISE_LIMIT" '$1 == s && $2 == v {n++; if ($9 > l || $11 > l) k++} END {printf "%d/%d", k, n}' "$RESULTS")"
        all="$(col "$s" "$v" 4 | awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}')"
        if [[ $v == edge ]]; then
            ratio="$(awk -v a="$rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a / b}')"
            # the same, paired within each round (nginx and edge ran back to back), then the median
            pr="$(paste <(col "$s" nginx 4) <(col "$s" edge 4) | awk '{print $2 / $1}' | median)"
            ratio="$ratio (rounds: $(awk -v r="$pr" 'BEGIN {printf "%.2f", r}'))"
        else ratio=""; fi
        printf '| %s | %s | %.0f | %.3f | %.3f | %s | %s | %s | %s | %s |\n' "$s" "$v" "$rps" "$p50" "$p99" "$cpu" "$wcpu" "$ratio" "$noisy" "$all"
    done
done
errors="$(awk -F'\t' '{n += $8} END {print n + 0}' "$RESULTS")"
echo
echo "Non-2xx responses and socket errors over all measured runs: $errors"
echo
echo "Medians over rounds. edge/nginx: ratio of the medians (in brackets: median of the per-round ratios)."
echo "A run is noisy when other processes or VM steal took more than ${NOISE_LIMIT}% of CPU $SERVER_CPU or CPU $CLIENT_CPU"
echo "(noisy runs were re-run up to $RETRIES times, the least noisy attempt kept; 'noisy rounds' counts those still noisy);"
echo "per-run detail: server CPU, wrk CPU, noise on each CPU:"
echo '```'
awk -F'\t' '{printf "%-5s %-5s round %s  %8.0f req/s  p50 %.3f ms  p99 %.3f ms  server %3d%%  wrk %3d%%  noise srv %2d%% cli %2d%%\n", $1, $2, $3, $4, $5, $6, $7, $10, $9, $11}' "$RESULTS"
echo '```'
echo
echo "RSS at the end: edge JVM $((EDGE_RSS / 1024)) MiB (${EDGE_RSS} KiB); nginx worker $((NGINX_WORKER_RSS / 1024)) MiB (${NGINX_WORKER_RSS} KiB) + master $((NGINX_MASTER_RSS / 1024)) MiB (${NGINX_MASTER_RSS} KiB)"
hits_line="$(grep -E '^outpost_requests_total\{' <<<"$METRICS" | awk '$NF + 0 > 0' || true)"
if [[ -n "$hits_line" ]]; then
    echo
    echo "Edge request counters, non-zero (from /metrics; includes warm-up runs):"
    echo '```'
    echo "$hits_line"
    echo '```'
fi

# ---- optional JFR profile of the 1 KiB hit path -----------------------------------------------
if [[ $PROFILE == 1 ]]; then
    psize=1k
    if [[ ! -f "$TMP/www/$psize.bin" ]]; then psize="${SIZES%% *}"; fi
    log "profiling the edge with JFR during a ${PROFILE_SECONDS}s /$psize.bin run"
    jcmd "$EDGE_PID" JFR.start name=bench settings=profile > /dev/null
    taskset -c "$CLIENT_CPU" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${PROFILE_SECONDS}s" --timeout 5s --latency \
        "http://127.0.0.1:$EDGE_PORT/$psize.bin" > "$TMP/wrk-profile.txt" 2>&1
    jcmd "$EDGE_PID" JFR.stop name=bench filename="$JFR_FILE" > /dev/null
    echo
    echo "Profile run: $(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk-profile.txt") req/s with JFR on (settings=profile)"
    "$ROOT/load-tests/bench/jfr-top.sh" "$JFR_FILE"
fi
