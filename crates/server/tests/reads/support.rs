//! Helpers shared by the read tests: bulk loading with BatchWriteItem, paging loops that
//! keep every page, the numeric-sort-key data set, and item accessors.

#![allow(dead_code)]

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;

use crate::common::{n, s};

/// An item as the SDK holds it.
pub type Item = HashMap<String, AttributeValue>;

/// Most pages a paging loop follows before it decides the server loops forever.
const MAX_PAGES: usize = 200_000;

/// A put request.
pub fn put_req(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

/// A delete request.
pub fn delete_req(key: Item) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(DeleteRequest::builder().set_key(Some(key)).build().unwrap())
        .build()
}

/// Writes requests to one table with BatchWriteItem, 25 per call, resending anything
/// returned as unprocessed.
pub async fn batch_write(c: &Client, table: &str, reqs: Vec<WriteRequest>) {
    for chunk in reqs.chunks(25) {
        let mut pending = chunk.to_vec();
        for attempt in 0.. {
            assert!(attempt < 100, "BatchWriteItem never processed {pending:?}");
            let out = c
                .batch_write_item()
                .request_items(table, pending.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("BatchWriteItem on {table}: {e:?}"));
            match out.unprocessed_items.and_then(|mut u| u.remove(table)) {
                Some(left) if !left.is_empty() => pending = left,
                _ => break,
            }
        }
    }
}

/// Puts items with BatchWriteItem from `tasks` concurrent tasks.
pub async fn load(c: &Client, table: &str, items: Vec<Item>, tasks: usize) {
    let reqs: Vec<WriteRequest> = items.into_iter().map(put_req).collect();
    let per_task = reqs.len().div_ceil(tasks.max(1)).div_ceil(25).max(1) * 25;
    let mut set = tokio::task::JoinSet::new();
    for part in reqs.chunks(per_task) {
        let c = c.clone();
        let table = table.to_string();
        let part = part.to_vec();
        set.spawn(async move { batch_write(&c, &table, part).await });
    }
    while let Some(r) = set.join_next().await {
        r.expect("load task");
    }
}

/// Follows a Query's pages to the end (`LastEvaluatedKey` absent), keeping every page.
pub async fn query_pages(base: QueryFluentBuilder) -> Vec<QueryOutput> {
    let mut pages = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let out = base
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("query page {}: {e:?}", pages.len()));
        let next = out.last_evaluated_key.clone();
        pages.push(out);
        assert!(pages.len() < MAX_PAGES, "query never ends");
        match next {
            Some(k) => {
                assert!(!k.is_empty(), "empty LastEvaluatedKey");
                start = Some(k);
            }
            None => return pages,
        }
    }
}

/// Follows a Scan's pages to the end, keeping every page.
pub async fn scan_pages(base: ScanFluentBuilder) -> Vec<ScanOutput> {
    let mut pages = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let out = base
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan page {}: {e:?}", pages.len()));
        let next = out.last_evaluated_key.clone();
        pages.push(out);
        assert!(pages.len() < MAX_PAGES, "scan never ends");
        match next {
            Some(k) => {
                assert!(!k.is_empty(), "empty LastEvaluatedKey");
                start = Some(k);
            }
            None => return pages,
        }
    }
}

/// Every item of a list of query pages, in order.
pub fn query_items(pages: &[QueryOutput]) -> Vec<Item> {
    pages.iter().flat_map(|p| p.items().to_vec()).collect()
}

/// Every item of a list of scan pages, in order.
pub fn scan_items(pages: &[ScanOutput]) -> Vec<Item> {
    pages.iter().flat_map(|p| p.items().to_vec()).collect()
}

/// An `S` attribute's value.
pub fn get_s<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v,
        other => panic!("attribute {name} is not S in {item:?}: {other:?}"),
    }
}

/// An `N` attribute's value as an integer.
pub fn get_i(item: &Item, name: &str) -> i64 {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .unwrap_or_else(|e| panic!("attribute {name}={v} is not an integer: {e}")),
        other => panic!("attribute {name} is not N in {item:?}: {other:?}"),
    }
}

/// The sorted attribute names of an item.
pub fn names(item: &Item) -> Vec<String> {
    let mut v: Vec<String> = item.keys().cloned().collect();
    v.sort();
    v
}

/// Sorted owned strings.
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The key attributes `names` of an item.
pub fn key_of(item: &Item, names: &[&str]) -> Item {
    names
        .iter()
        .map(|n| {
            let v = item
                .get(*n)
                .unwrap_or_else(|| panic!("no key attribute {n} in {item:?}"))
                .clone();
            (n.to_string(), v)
        })
        .collect()
}

// ---- The numeric-sort-key data set: PKS partition keys of PER_PK items each. ----

/// Partition keys of the numeric data set.
pub const PKS: usize = 20;
/// Items per partition key of the numeric data set.
pub const PER_PK: usize = 500;

/// The partition key value of partition `p`.
pub fn pk_name(p: usize) -> String {
    format!("p{p:02}")
}

/// The sort key of item `j` as sent (in several spellings: plain decimals, exponent
/// notation, trailing zeros, very large and very small magnitudes) and its numeric value.
pub fn sort_value(j: usize) -> (String, f64) {
    match j {
        1 => return ("1E+30".into(), 1e30),
        2 => return ("-1E+30".into(), -1e30),
        3 => return ("1E-30".into(), 1e-30),
        4 => return ("-0.1E-29".into(), -1e-30),
        _ => {}
    }
    // A permutation of 0..500, centred on zero, in hundredths.
    let h = ((j * 7919) % PER_PK) as i64 * 25 - 6250;
    (hundredths(h, j.is_multiple_of(5)), h as f64 / 100.0)
}

/// `h / 100` as a DynamoDB number string, either as `<h>E-2` or as a decimal with two
/// fraction digits (trailing zeros kept on purpose).
pub fn hundredths(h: i64, exponent: bool) -> String {
    if exponent {
        return format!("{h}E-2");
    }
    let sign = if h < 0 { "-" } else { "" };
    let a = h.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Item `j` of partition `p`: `pk`, `sk` (N), `j`, `g` = j mod 3, and a short pad.
pub fn num_item(p: usize, j: usize) -> Item {
    let mut it = Item::new();
    it.insert("pk".into(), s(&pk_name(p)));
    it.insert("sk".into(), n(&sort_value(j).0));
    it.insert("j".into(), n(&j.to_string()));
    it.insert("g".into(), n(&(j % 3).to_string()));
    it.insert("pad".into(), s(&format!("item {p}/{j}")));
    it
}

/// Every item of the numeric data set.
pub fn num_items() -> Vec<Item> {
    (0..PKS)
        .flat_map(|p| (0..PER_PK).map(move |j| num_item(p, j)))
        .collect()
}

/// The `j`s of one partition in DynamoDB's ascending sort-key order.
pub fn ascending_js() -> Vec<usize> {
    let mut js: Vec<usize> = (0..PER_PK).collect();
    js.sort_by(|a, b| sort_value(*a).1.partial_cmp(&sort_value(*b).1).unwrap());
    js
}
