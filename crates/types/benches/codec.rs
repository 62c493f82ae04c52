//! Hot paths of shoal-types: request JSON to item, item to response JSON, the on-disk
//! item codec and the item key encoding. Inputs are a ~1 KB item with ~10 attributes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shoal_types::codec::{decode_item, encode_item};
use shoal_types::json::{item_from_json, write_item_json};
use shoal_types::key::{encode_item_key, KeyAttr};
use shoal_types::{KeySchema, ScalarType};

fn request_json() -> serde_json::Value {
    serde_json::json!({
        "pk": {"S": "customer#00000000-0000-0000-0000-000000001234"},
        "sk": {"N": "1718000000123"},
        "name": {"S": "A reasonably long customer display name for benchmarking"},
        "email": {"S": "someone.with.a.long.address@example.com"},
        "balance": {"N": "-12345.6789"},
        "active": {"BOOL": true},
        "avatar": {"B": "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGXRFWHRTb2Z0d2FyZQBBZG9iZSBJbWFnZVJlYWR5ccllPAAAAZ1JREFUeNqkU8tKw0AUPZM0JSZtahvBilVBXIjg"},
        "tags": {"SS": ["alpha", "beta", "gamma", "delta", "epsilon"]},
        "scores": {"NS": ["1", "2.5", "300", "-4", "5E+10"]},
        "address": {"M": {
            "street": {"S": "123 Example Street, Apartment 456"},
            "city": {"S": "Springfield"},
            "zip": {"S": "12345-6789"},
            "geo": {"L": [{"N": "40.7128"}, {"N": "-74.0060"}]}
        }},
        "history": {"L": [
            {"M": {"at": {"N": "1717000000000"}, "what": {"S": "created the account"}}},
            {"M": {"at": {"N": "1717500000000"}, "what": {"S": "changed the email address"}}},
            {"M": {"at": {"N": "1718000000000"}, "what": {"S": "updated the billing details"}}},
            {"NULL": true}
        ]}
    })
}

fn bench(c: &mut Criterion) {
    let json = request_json();
    let text = serde_json::to_vec(&json).unwrap_or_default();
    let item = item_from_json(&json).unwrap_or_default();
    let mut encoded = Vec::new();
    encode_item(&item, &mut encoded);
    let schema = KeySchema {
        partition: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        sort: Some(KeyAttr {
            name: "sk".into(),
            ty: ScalarType::N,
        }),
    };

    let mut g = c.benchmark_group("types");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("json_to_item", |b| {
        b.iter(|| item_from_json(black_box(&json)))
    });
    g.bench_function("write_item_json", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            write_item_json(black_box(&item), &mut out);
            out.len()
        })
    });
    g.bench_function("encode_item", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            encode_item(black_box(&item), &mut out);
            out.len()
        })
    });
    g.bench_function("decode_item", |b| {
        b.iter(|| decode_item(black_box(&encoded)))
    });
    g.bench_function("encode_item_key", |b| {
        b.iter(|| encode_item_key(&schema, black_box(&item)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
