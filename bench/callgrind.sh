#!/usr/bin/env bash
# Counts the server's instructions per request with valgrind's callgrind (bench/README.md,
# "Eighteenth round"). Instruction counts do not move with the machine's speed or with
# whatever else runs on it, so two builds compare exactly, where timings on a shared
# 2-core machine need alternated runs.
#
# Usage: bench/callgrind.sh [REQUESTS]
#   REQUESTS  PutItems, then GetItems, then workload A operations, to count (default 20000)
# Environment: SHOAL_BIN (default target/release/shoal), OUT (default /tmp/shoal-callgrind).
#
# Starts `shoal serve` under callgrind on 127.0.0.1 with a fresh data directory, warms it
# up, then counts REQUESTS durable PutItems (a load into a fresh table) and REQUESTS
# GetItems (workload C on it), then REQUESTS operations of workload A (half GetItem, half
# UpdateItem), each at 8 connections. Writes one profile per phase to $OUT (read them with
# `callgrind_annotate --inclusive=yes FILE`) and prints the instructions per request of
# each; an UpdateItem's figure is workload A's total less its GetItems at the GetItem
# phase's cost. Needs valgrind.
set -euo pipefail

BIN=${SHOAL_BIN:-target/release/shoal}
REQUESTS=${1:-20000}
OUT=${OUT:-/tmp/shoal-callgrind}
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.out*
DATA=$(mktemp -d /tmp/shoal-callgrind-data.XXXXXX)
printf '[throughput]\nenforce = false\n' >"$DATA/shoal.toml"
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
serve 600 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out"
run() { "$BIN" bench --endpoint "$EP" --concurrency 8 "$@" | grep -E '^(INSERT|READ|UPDATE) '; }

# Warm-up: tables, caches and the allocator's pages exist before anything is counted.
run --workload load --table warmup --records 2000
callgrind_control -z "$PID" >/dev/null 2>&1
run --workload load --table counted --records "$REQUESTS"
callgrind_control -d put "$PID" >/dev/null 2>&1
run --workload c --table counted --records "$REQUESTS" --operations 2000
callgrind_control -z "$PID" >/dev/null 2>&1
run --workload c --table counted --records "$REQUESTS" --operations "$REQUESTS"
callgrind_control -d get "$PID" >/dev/null 2>&1
reads=$(run --workload a --table counted --records "$REQUESTS" --operations "$REQUESTS" |
    tee /dev/stderr | awk '$1 == "READ" { print $2 }')
callgrind_control -d update "$PID" >/dev/null 2>&1

# total PHASE: the phase's instruction count and its profile's file name.
total() {
    local file
    file=$(grep -la "^desc: Trigger: dump $1\$" "$OUT"/callgrind.out.* | head -1)
    echo "$(awk '/^summary:/ { print $2 }' "$file") $file"
}
read -r put put_file < <(total put)
read -r get get_file < <(total get)
read -r mixed a_file < <(total update)
echo "put: $((put / REQUESTS)) instructions per PutItem ($put_file)"
echo "get: $((get / REQUESTS)) instructions per GetItem ($get_file)"
updates=$((REQUESTS - reads))
echo "update: $(((mixed - reads * get / REQUESTS) / updates)) instructions per UpdateItem ($a_file)"
