#!/usr/bin/env bash
# Reproduces shoal's performance baseline (bench/README.md).
#
# Usage: bench/baseline.sh [RECORDS] [SECONDS]
#   RECORDS  records to load into `usertable` (default 1000000)
#   SECONDS  length of each read/update run (default 30)
# Environment: SHOAL_BIN (default target/release/shoal), OUT (default /tmp/shoal-baseline),
#   CONCURRENCY (default 32), VALUE_SIZE (default 1000).
#
# Starts `shoal serve` on 127.0.0.1 with a fresh data directory (durable: every write is
# acknowledged after the group-commit fsync), runs load, C (twice) and A with --reference,
# records the server's resident set idle and after each step, then stops the server and
# removes the data.
set -euo pipefail

BIN=${SHOAL_BIN:-target/release/shoal}
RECORDS=${1:-1000000}
SECS=${2:-30}
OUT=${OUT:-/tmp/shoal-baseline}
CONC=${CONCURRENCY:-32}
VALUE=${VALUE_SIZE:-1000}
mkdir -p "$OUT"
DATA=$(mktemp -d /tmp/shoal-baseline-data.XXXXXX)

# The baseline measures the server, not DynamoDB's limits: with enforcement on, the
# on-demand bench table would be held to its partitions' 1,000 WCU each (a 1M-record
# load of 2-unit items outruns their burst) and the run would count throttles.
printf '[throughput]\nenforce = false\n' >"$DATA/shoal.toml"
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
serve 100

rss() { echo "rss_kb $1 $(ps -o rss= -p "$PID" | tr -d ' ')" | tee -a "$OUT/rss.txt"; }

: >"$OUT/rss.txt"
: >"$OUT/summary.txt"
sleep 2
rss idle
bench load-10k --workload load --table usertable_10k --records 10000
bench c-10k --workload c --table usertable_10k --records 10000 --duration "$SECS"
rss after-10k
bench load --workload load --records "$RECORDS"
rss after-load
bench c --workload c --records "$RECORDS" --duration "$SECS"
rss after-c
# The same run again: the first starts with an empty item cache right after the load (and
# while its compactions still run); this one shows the steady state.
bench c-warm --workload c --records "$RECORDS" --duration "$SECS"
bench a --workload a --records "$RECORDS" --duration "$SECS"
rss after-a
sleep 5
rss idle-after
echo "results in $OUT"
