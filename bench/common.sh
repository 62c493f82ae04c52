# Shared by baseline.sh, compare.sh and callgrind.sh. `bench` needs BIN, EP, CONC, VALUE and
# OUT set before it is called.

# endpoint_of LOG TRIES: the http://127.0.0.1:PORT that `shoal serve --listen 127.0.0.1:0`
# announced in LOG, waiting up to TRIES tenths of a second for it; fails if none appears.
endpoint_of() {
    local log=$1 tries=$2 port=
    for _ in $(seq 1 "$tries"); do
        port=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f3 || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "server did not start; see $log" >&2; return 1; }
    echo "http://127.0.0.1:$port"
}

# serve TRIES [WRAPPER...]: starts `shoal serve` ($BIN, run by WRAPPER if given) on an
# ephemeral 127.0.0.1 port, its data in $DATA/data, its config $DATA/shoal.toml, its log
# $OUT/server.log; sets PID and EP (waiting up to TRIES tenths of a second for the port),
# and on exit stops the server and removes $DATA.
serve() {
    local tries=$1
    shift
    "$@" "$BIN" serve --config "$DATA/shoal.toml" --data-dir "$DATA/data" \
        --listen 127.0.0.1:0 2>"$OUT/server.log" &
    PID=$!
    trap stop_server EXIT
    EP=$(endpoint_of "$OUT/server.log" "$tries")
}

stop_server() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    rm -rf "$DATA"
}

# bench NAME ARGS...: one `shoal bench` run against $EP with --reference, its report
# appended to $OUT/summary.txt and its JSON written to $OUT/NAME.json.
bench() {
    local name=$1
    shift
    echo "== $name: shoal bench $*" | tee -a "$OUT/summary.txt"
    "$BIN" bench --endpoint "$EP" --concurrency "$CONC" --value-size "$VALUE" \
        --reference --reference-duration 10 --json "$OUT/$name.json" "$@" | tee -a "$OUT/summary.txt"
}
