#!/usr/bin/env bash
# Summarises a JFR recording (settings=profile) of the edge: where CPU samples, allocations and
# GC pauses go. Only needs the JDK's `jfr` tool and awk.
#
# Usage: load-tests/bench/jfr-top.sh FILE.jfr [TOP]
#   TOP (default 20) rows per table. Method names drop their parameter lists and line numbers.
#
# Tables:
#   self        innermost frame of each jdk.ExecutionSample (where the CPU was when sampled)
#   inclusive   every method on the stack, counted once per sample (stacks up to 64 frames)
#   edge frame  innermost dev.outpost frame of each sample: which edge code a sample is under
#   package     innermost frame grouped by its first three package components
#   native      innermost frame of jdk.NativeMethodSample (threads in JNI / syscalls, not on-CPU Java)
#   allocation  jdk.ObjectAllocationSample weight by class, by allocating frame, by innermost edge frame
#   gc          jdk.GCPhasePause count and total
# ExecutionSample only sees threads running Java code: time in the kernel (socket writes, epoll)
# shows up in the native table instead, which counts waiting threads too.
set -euo pipefail

FILE="${1:?usage: jfr-top.sh FILE.jfr [TOP]}"
TOP="${2:-20}"
command -v jfr >/dev/null 2>&1 || { echo "jfr-top: needs 'jfr' from a JDK 17" >&2; exit 1; }

TMPD="$(mktemp -d)"
trap 'rm -rf "$TMPD"' EXIT

# One line per sample: thread <TAB> frame1 <TAB> frame2 ... (innermost first)
stacks() {   # stacks EVENT
    jfr print --events "$1" --stack-depth 64 "$FILE" | awk '
        /^jdk\./                 { thread = ""; n = 0; in_st = 0; next }
        /^  (sampledThread|eventThread) = / {
            t = $0; sub(/^[^"]*"/, "", t); sub(/".*$/, "", t); gsub(/[0-9]+$/, "#", t); thread = t; next }
        /^  stackTrace = \[/     { in_st = 1; next }
        in_st && /^  \]/         { line = thread; for (i = 1; i <= n; i++) line = line "\t" f[i]; print line; in_st = 0; next }
        in_st                    { s = $0; sub(/^ +/, "", s); if (s == "...") next; sub(/\(.*$/, "", s); f[++n] = s }
    '
}

stacks jdk.ExecutionSample > "$TMPD/exec"
stacks jdk.NativeMethodSample > "$TMPD/native"

table() {   # table TITLE TOTAL < "count<TAB>name" lines (unsorted, may repeat names)
    local title="$1" total="$2"
    echo
    echo "### $title"
    echo
    echo "| % | samples | frame |"
    echo "|--:|--------:|-------|"
    awk -F'\t' '{c[$2] += $1} END {for (k in c) printf "%d\t%s\n", c[k], k}' |
        sort -t$'\t' -k1,1nr | awk -v n="$TOP" 'NR <= n' |
        awk -F'\t' -v t="$total" '{printf "| %.1f | %d | `%s` |\n", 100 * $1 / t, $1, $2}'
}

EXEC_N="$(wc -l < "$TMPD/exec")"
echo
echo "## JFR profile: $(basename "$FILE")"
echo
jfr summary "$FILE" | awk '/^ *(Start|Duration):/ {sub(/^ +/, ""); printf "%s  ", $0} END {print ""}'
echo
echo "jdk.ExecutionSample: $EXEC_N samples; by thread:"
echo
awk -F'\t' '{c[$1]++} END {for (k in c) printf "%d\t%s\n", c[k], k}' "$TMPD/exec" | sort -k1,1nr | awk 'NR <= 6' |
    awk -F'\t' -v t="$EXEC_N" '{printf "- %s: %d (%.1f%%)\n", $2, $1, 100 * $1 / t}'

if [[ $EXEC_N -gt 0 ]]; then
    awk -F'\t' 'NF > 1 {print 1 "\t" $2}' "$TMPD/exec" | table "Self (innermost frame), % of execution samples" "$EXEC_N"
    awk -F'\t' '{delete seen; for (i = 2; i <= NF; i++) if (!($i in seen)) {seen[$i] = 1; print 1 "\t" $i}}' "$TMPD/exec" |
        table "Inclusive (method anywhere on the stack), % of execution samples" "$EXEC_N"
    awk -F'\t' '{delete seen; for (i = 2; i <= NF; i++) if ($i ~ /^dev\.outpost\./ && !($i in seen)) {seen[$i] = 1; print 1 "\t" $i}}' "$TMPD/exec" |
        table "Inclusive, edge (dev.outpost) methods only, % of execution samples" "$EXEC_N"
    awk -F'\t' '{e = "(no dev.outpost frame on the stack)"; for (i = 2; i <= NF; i++) if ($i ~ /^dev\.outpost\./) {e = $i; break}; print 1 "\t" e}' "$TMPD/exec" |
        table "Innermost edge (dev.outpost) frame, % of execution samples" "$EXEC_N"
    awk -F'\t' 'NF > 1 {p = $2; sub(/\.[^.]*\.[^.]*$/, "", p); n = split(p, a, "."); q = a[1]; for (i = 2; i <= (n < 3 ? n : 3); i++) q = q "." a[i]; print 1 "\t" q}' "$TMPD/exec" |
        table "Self by package, % of execution samples" "$EXEC_N"
fi

NAT_N="$(wc -l < "$TMPD/native")"
if [[ $NAT_N -gt 0 ]]; then
    echo
    echo "jdk.NativeMethodSample: $NAT_N samples (includes threads blocked in native code)"
    awk -F'\t' 'NF > 1 {print 1 "\t" $1 " :: " $2}' "$TMPD/native" | table "Native (thread :: innermost frame)" "$NAT_N"
fi

# Allocation samples: weight in bytes by class and by innermost frame.
jfr print --events jdk.ObjectAllocationSample --stack-depth 64 "$FILE" | awk '
    /^jdk\./                { cls = ""; w = 0; fr = ""; ed = ""; in_st = 0; th = ""; next }
    /^  eventThread = /     { th = $0; next }
    /^  objectClass = /     { cls = $0; sub(/^  objectClass = /, "", cls); sub(/ \(classLoader.*$/, "", cls); next }
    /^  weight = /          { v = $3 + 0; u = $4; m = (u == "kB" ? 1e3 : u == "MB" ? 1e6 : u == "GB" ? 1e9 : 1); w = v * m; next }
    /^  stackTrace = \[/    { in_st = 1; next }
    in_st && /^  \]/        { if (ed == "") ed = "(no dev.outpost frame on the stack)"; in_st = 0
                              # the first sample of a thread carries everything it allocated before the
                              # recording started (e.g. JFR.start during a run): skip it
                              if (!(th in seen_thread)) { seen_thread[th] = 1; next }
                              printf "%.0f\t%s\t%s\t%s\n", w, cls, fr, ed; next }
    in_st                   { s = $0; sub(/^ +/, "", s); if (s == "...") next; sub(/\(.*$/, "", s);
                              if (fr == "") fr = s; if (ed == "" && s ~ /^dev\.outpost\./) ed = s }
' > "$TMPD/alloc"
if [[ -s "$TMPD/alloc" ]]; then
    ALLOC_TOTAL="$(awk -F'\t' '{s += $1} END {printf "%.0f", s}' "$TMPD/alloc")"
    echo
    echo "jdk.ObjectAllocationSample (first sample of each thread skipped): estimated $(awk -v b="$ALLOC_TOTAL" 'BEGIN {printf "%.1f", b / 1048576}') MiB allocated (sample weights)"
    alloc_table() {
        echo
        echo "### $1"
        echo
        echo "| % of bytes | MiB | $2 |"
        echo "|-----------:|----:|------|"
        awk -F'\t' -v f="$3" '{c[$f] += $1} END {for (k in c) printf "%.0f\t%s\n", c[k], k}' "$TMPD/alloc" |
            sort -t$'\t' -k1,1nr | awk -v n="$TOP" 'NR <= n' |
            awk -F'\t' -v t="$ALLOC_TOTAL" '{printf "| %.1f | %.1f | `%s` |\n", 100 * $1 / t, $1 / 1048576, $2}'
    }
    alloc_table "Allocation by class" class 2
    alloc_table "Allocation by allocating frame" frame 3
    alloc_table "Allocation by innermost edge (dev.outpost) frame" "edge frame" 4
fi

echo
jfr print --events jdk.GCPhasePause "$FILE" | awk '
    /^  duration = / { v = $3 + 0; u = $4; ms = (u == "s" ? v * 1000 : u == "us" ? v / 1000 : u == "ns" ? v / 1e6 : v); n++; t += ms; if (ms > mx) mx = ms }
    END { printf "GC pauses: %d, total %.1f ms, longest %.1f ms\n", n, t, mx }'
