#!/usr/bin/env bash
# Smoke test with the AWS CLI: create a table, put, get and delete an item, delete the
# table. Fails on any difference from what DynamoDB answers.
set -euo pipefail
bin=${1:-target/release/shoal}
log=$(mktemp)
"$bin" serve --listen 127.0.0.1:0 --in-memory 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  addr=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -n1)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "${addr:-}" ] || { echo "server did not start:"; cat "$log"; exit 1; }

export AWS_ACCESS_KEY_ID=AKIDSMOKE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
ddb() { aws dynamodb --endpoint-url "$addr" --output json "$@"; }

check() { # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL: $1: expected [$2], got [$3]"; exit 1; fi
  echo "ok: $1"
}

status=$(ddb create-table --table-name smoke \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST --query TableDescription.TableStatus --output text)
check "create-table" CREATING "$status"
ddb wait table-exists --table-name smoke
check "list-tables" smoke "$(ddb list-tables --query 'TableNames[0]' --output text)"

ddb put-item --table-name smoke --item '{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1.50"},"tags":{"SS":["x","y"]}}'
got=$(ddb get-item --table-name smoke --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' --query 'Item.v.N' --output text)
check "get-item normalises numbers" 1.5 "$got"

old=$(ddb delete-item --table-name smoke --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' --return-values ALL_OLD --query 'Attributes.pk.S' --output text)
check "delete-item returns the old item" a "$old"
check "get-item after delete" "" "$(ddb get-item --table-name smoke --key '{"pk":{"S":"a"},"sk":{"N":"1"}}' --output text)"

if ddb put-item --table-name smoke --item '{"pk":{"S":""},"sk":{"N":"1"}}' 2>err.txt; then
  echo "FAIL: empty key accepted"; exit 1
fi
grep -q "ValidationException" err.txt && echo "ok: empty key refused" || { cat err.txt; exit 1; }
rm -f err.txt

check "delete-table" DELETING "$(ddb delete-table --table-name smoke --query TableDescription.TableStatus --output text)"
check "list-tables after delete" "" "$(ddb list-tables --query 'TableNames[0]' --output text | sed 's/None//')"
echo "cli smoke: all passed"
