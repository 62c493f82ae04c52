# Shared by baseline.sh and compare.sh; source it after setting BIN, EP, CONC, VALUE, OUT.

# bench NAME ARGS...: one `shoal bench` run against $EP with --reference, its report
# appended to $OUT/summary.txt and its JSON written to $OUT/NAME.json.
bench() {
    local name=$1
    shift
    echo "== $name: shoal bench $*" | tee -a "$OUT/summary.txt"
    "$BIN" bench --endpoint "$EP" --concurrency "$CONC" --value-size "$VALUE" \
        --reference --reference-duration 10 --json "$OUT/$name.json" "$@" | tee -a "$OUT/summary.txt"
}
