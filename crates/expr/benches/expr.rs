//! Parse + evaluate a typical condition and a typical update, with the parse cache on
//! (the steady state of a service sending the same expressions) and off (first sight).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use shoal_expr::ExpressionContext;
use shoal_types::json::item_from_json;

const CONDITION: &str =
    "attribute_exists(pk) AND #st = :active AND (price BETWEEN :lo AND :hi OR begins_with(sku, :p)) AND size(tags) > :zero";
const UPDATE: &str =
    "SET #st = :active, price = price + :delta, history = list_append(if_not_exists(history, :empty), :entry) REMOVE stale ADD visits :one";

fn bench(c: &mut Criterion) {
    let item = item_from_json(&json!({
        "pk": {"S": "item#1"},
        "status": {"S": "active"},
        "price": {"N": "19.99"},
        "sku": {"S": "ABC-123"},
        "tags": {"SS": ["a", "b"]},
        "history": {"L": [{"S": "created"}]},
        "stale": {"BOOL": true},
        "visits": {"N": "10"}
    }))
    .unwrap_or_default();
    let names = json!({"#st": "status"});
    let cond_values = json!({
        ":active": {"S": "active"}, ":lo": {"N": "10"}, ":hi": {"N": "20"},
        ":p": {"S": "ABC"}, ":zero": {"N": "0"}
    });
    let upd_values = json!({
        ":active": {"S": "active"}, ":delta": {"N": "-1.5"}, ":empty": {"L": []},
        ":entry": {"L": [{"S": "updated"}]}, ":one": {"N": "1"}
    });

    // The samples must be valid, or the loops would measure the error path.
    let check = ExpressionContext::new(Some(&names), Some(&upd_values))
        .and_then(|mut c| c.parse_update(UPDATE).map(|_| ()))
        .and_then(|_| {
            ExpressionContext::new(Some(&names), Some(&cond_values))
                .and_then(|mut c| c.parse_condition(CONDITION).map(|_| ()))
        });
    if let Err(e) = check {
        eprintln!("benchmark expressions are invalid: {e}");
        return;
    }
    for cached in [true, false] {
        let label = if cached { "cached" } else { "uncached" };
        // One context per benchmark: placeholder decoding is per request and the same
        // either way, so it stays out of the measured loop.
        let Ok(ctx) = ExpressionContext::new(Some(&names), Some(&cond_values)) else {
            return;
        };
        let mut ctx = ctx.with_cache(cached);
        c.bench_function(&format!("condition/{label}"), |b| {
            b.iter(|| {
                let Ok(cond) = ctx.parse_condition(black_box(CONDITION)) else {
                    return false;
                };
                cond.evaluate(Some(&item)).unwrap_or(false)
            })
        });
        let Ok(ctx) = ExpressionContext::new(Some(&names), Some(&upd_values)) else {
            return;
        };
        let mut ctx = ctx.with_cache(cached);
        c.bench_function(&format!("update/{label}"), |b| {
            b.iter(|| {
                let Ok(update) = ctx.parse_update(black_box(UPDATE)) else {
                    return 0;
                };
                let mut copy = item.clone();
                update.apply(&mut copy).map(|p| p.len()).unwrap_or(0)
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
