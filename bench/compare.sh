#!/usr/bin/env bash
# Measures shoal side by side with other DynamoDB-compatible servers on this machine, in
# one run, with the same load generator and its reference server (bench/README.md,
# "Side by side with other servers").
#
# Usage: bench/compare.sh [RECORDS] [SECONDS]
#   RECORDS  records to load into `usertable` (default 100000)
#   SECONDS  length of each read/update run (default 15)
# Environment: SHOAL_BIN (default target/release/shoal), OUT (default /tmp/shoal-compare),
#   TOOLS (where the other servers are installed, default /tmp/shoal-compare-tools),
#   SERVERS (default "shoal dynalite dynalite-disk moto"), MOTO_RECORDS (default 10000:
#   moto answers a few hundred requests a second, so a 100k-record load would take
#   minutes), CONCURRENCY (default 32), VALUE_SIZE (default 1000).
#
# The other servers come from the package registries, pinned: dynalite (npm; in memory,
# or `--path` for LevelDB on disk, which does not fsync a write before answering it) and
# moto's server mode (PyPI; in memory). DynamoDB Local is not among them: it is
# downloaded from AWS, not from a registry.
#
# Each server starts fresh on 127.0.0.1, gets a load, workload C and workload A (each with
# --reference), and is stopped; its resident set is recorded after each step.
set -euo pipefail

BIN=${SHOAL_BIN:-target/release/shoal}
RECORDS=${1:-100000}
SECS=${2:-15}
OUT=${OUT:-/tmp/shoal-compare}
TOOLS=${TOOLS:-/tmp/shoal-compare-tools}
SERVERS=${SERVERS:-shoal dynalite dynalite-disk moto}
MOTO_RECORDS=${MOTO_RECORDS:-10000}
CONC=${CONCURRENCY:-32}
VALUE=${VALUE_SIZE:-1000}
DYNALITE_VERSION=4.0.0
MOTO_VERSION=5.2.6
BIN=$(realpath "$BIN")
mkdir -p "$OUT" "$TOOLS"

install_tools() {
    case " $SERVERS " in *" dynalite"*)
        if [ ! -e "$TOOLS/node_modules/dynalite/cli.js" ]; then
            echo "installing dynalite $DYNALITE_VERSION into $TOOLS"
            (cd "$TOOLS" && npm install --silent --no-audit --no-fund "dynalite@$DYNALITE_VERSION")
        fi
        ;;
    esac
    case " $SERVERS " in *" moto "*)
        if [ ! -x "$TOOLS/venv/bin/moto_server" ]; then
            echo "installing moto $MOTO_VERSION into $TOOLS/venv"
            python3 -m venv "$TOOLS/venv"
            "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
        fi
        ;;
    esac
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PID=
DATA=
stop_server() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    PID=
    [ -z "$DATA" ] || rm -rf "$DATA"
    DATA=
}
trap stop_server EXIT

# Starts server $1 and sets PID and EP.
start_server() {
    local name=$1 port
    DATA=$(mktemp -d /tmp/shoal-compare-data.XXXXXX)
    port=$(free_port)
    case $name in
    shoal)
        # Throughput enforcement off, as in baseline.sh: the run measures the server.
        printf '[throughput]\nenforce = false\n' >"$DATA/shoal.toml"
        "$BIN" serve --config "$DATA/shoal.toml" --data-dir "$DATA/data" \
            --listen "127.0.0.1:$port" 2>"$OUT/$name.log" &
        ;;
    dynalite)
        node "$TOOLS/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
            >"$OUT/$name.log" 2>&1 &
        ;;
    dynalite-disk)
        node "$TOOLS/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
            --path "$DATA" >"$OUT/$name.log" 2>&1 &
        ;;
    moto)
        "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$OUT/$name.log" 2>&1 &
        ;;
    *)
        echo "unknown server $name" >&2
        exit 2
        ;;
    esac
    PID=$!
    EP=http://127.0.0.1:$port
    for _ in $(seq 1 100); do
        # Any HTTP answer will do: the server is listening.
        if curl -s -o /dev/null "$EP/"; then return 0; fi
        sleep 0.2
    done
    echo "$name did not start; see $OUT/$name.log" >&2
    exit 1
}

rss() { echo "rss_kb $1 $2 $(ps -o rss= -p "$PID" | tr -d ' ')" | tee -a "$OUT/rss.txt"; }

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

install_tools
: >"$OUT/rss.txt"
: >"$OUT/summary.txt"
for server in $SERVERS; do
    records=$RECORDS
    [ "$server" != moto ] || records=$MOTO_RECORDS
    start_server "$server"
    sleep 1
    rss "$server" idle
    bench "$server-load" --workload load --records "$records"
    rss "$server" after-load
    bench "$server-c" --workload c --records "$records" --duration "$SECS"
    bench "$server-a" --workload a --records "$records" --duration "$SECS"
    rss "$server" after-a
    stop_server
done

python3 - "$OUT" $SERVERS <<'PY'
import json, os, sys
out, servers = sys.argv[1], sys.argv[2:]
rss = {}
for line in open(os.path.join(out, "rss.txt")):
    _, server, step, kb = line.split()
    rss[(server, step)] = int(kb) // 1024 if kb.isdigit() else "?"
print(f"\n{'server':<14} {'load ops/s':>10} {'ratio':>6} {'C ops/s':>8} {'ratio':>6} "
      f"{'C p99 ms':>8} {'A ops/s':>8} {'ratio':>6} {'RSS MB idle / after A':>22}")
for s in servers:
    row = []
    for w in ("load", "c", "a"):
        path = os.path.join(out, f"{s}-{w}.json")
        if not os.path.exists(path):
            row.append(None)
            continue
        row.append(json.load(open(path))["run"])
    def tput(r):
        return f"{r['total']['throughput']:>10,.0f}" if r else f"{'-':>10}"
    def ratio(r):
        v = r and r["total"].get("ratio_to_reference")
        return f"{v:>6.3f}" if v else f"{'-':>6}"
    c = row[1]
    p99 = c["operations"].get("READ", {}).get("latency_ms", {}).get("p99") if c else None
    mem = f"{rss.get((s, 'idle'), '?')} / {rss.get((s, 'after-a'), '?')}"
    print(f"{s:<14} {tput(row[0])} {ratio(row[0])} {tput(row[1])[2:]} {ratio(row[1])} "
          f"{(f'{p99:.2f}' if p99 else '-'):>8} {tput(row[2])[2:]} {ratio(row[2])} {mem:>22}")
PY
echo "results in $OUT"
