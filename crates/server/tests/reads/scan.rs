//! Scan: the whole table with several page sizes, filters, parallel scans whose segments
//! are disjoint and cover the table, and paging that stays exact while the table is
//! written between pages.

use std::collections::{BTreeSet, HashMap, HashSet};

use aws_sdk_dynamodb::types::ScalarAttributeType as T;
use aws_sdk_dynamodb::Client;

use crate::common::*;
use crate::support::*;

/// `(partition, j)` of a numeric data-set item.
fn id(item: &Item) -> (String, i64) {
    (get_s(item, "pk").to_string(), get_i(item, "j"))
}

/// Asserts the items are exactly the numeric data set, each once.
fn assert_exactly_once(items: &[Item], ctx: &str) {
    let mut seen = HashSet::new();
    for it in items {
        assert!(seen.insert(id(it)), "{ctx}: {:?} returned twice", id(it));
    }
    let all: HashSet<(String, i64)> = (0..PKS)
        .flat_map(|p| (0..PER_PK).map(move |j| (pk_name(p), j as i64)))
        .collect();
    let missing: Vec<_> = all.difference(&seen).take(5).collect();
    assert!(
        missing.is_empty(),
        "{ctx}: {} missing, e.g. {missing:?}",
        all.len() - seen.len()
    );
    assert_eq!(
        seen.len(),
        all.len(),
        "{ctx}: items that were never written"
    );
}

/// Scans a segment (or the whole table) to the end with a page size.
async fn scan_segment(c: &Client, seg: Option<(i32, i32)>, limit: Option<i32>) -> Vec<Item> {
    let pages = scan_pages(
        c.scan()
            .table_name("nums")
            .set_limit(limit)
            .set_segment(seg.map(|s| s.0))
            .set_total_segments(seg.map(|s| s.1)),
    )
    .await;
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p.count as usize, p.items().len(), "page {i}: Count");
        assert_eq!(
            p.scanned_count, p.count,
            "page {i}: ScannedCount without a filter"
        );
        if let Some(l) = limit {
            assert!(p.count <= l, "page {i}: {} items over Limit {l}", p.count);
            if p.last_evaluated_key.is_some() {
                assert_eq!(p.count, l, "page {i}: LastEvaluatedKey before Limit");
            }
        }
        if let Some(k) = &p.last_evaluated_key {
            let last = p.items().last().expect("a page with a key has items");
            assert_eq!(
                k,
                &key_of(last, &["pk", "sk"]),
                "page {i}: LastEvaluatedKey"
            );
        }
    }
    scan_items(&pages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_and_parallel_scans_cover_ten_thousand_items() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "nums", ("pk", T::S), Some(("sk", T::N))).await;
    load(&c, "nums", num_items(), 8).await;

    for limit in [Some(97), Some(1000), Some(2500), None] {
        let items = scan_segment(&c, None, limit).await;
        assert_exactly_once(&items, &format!("scan with Limit {limit:?}"));
        // Within one partition key, a scan returns items in sort-key order.
        let mut by_pk: HashMap<String, Vec<usize>> = HashMap::new();
        for it in &items {
            by_pk
                .entry(get_s(it, "pk").to_string())
                .or_default()
                .push(get_i(it, "j") as usize);
        }
        for (pk, js) in by_pk {
            assert_eq!(js, ascending_js(), "scan order within {pk}");
        }
    }

    // A filter: ScannedCount sums to the table, Count to the matches.
    let pages = scan_pages(
        c.scan()
            .table_name("nums")
            .filter_expression("g = :g AND j < :j")
            .expression_attribute_values(":g", n("2"))
            .expression_attribute_values(":j", n("100"))
            .limit(600),
    )
    .await;
    let scanned: i32 = pages.iter().map(|p| p.scanned_count).sum();
    let count: i32 = pages.iter().map(|p| p.count).sum();
    let want = (0..100).filter(|j| j % 3 == 2).count() * PKS;
    assert_eq!(scanned as usize, PKS * PER_PK);
    assert_eq!(count as usize, want);
    assert_eq!(scan_items(&pages).len(), want);
    for p in &pages[..pages.len() - 1] {
        assert_eq!(
            p.scanned_count, 600,
            "a filtered page still reads Limit items"
        );
    }

    // Four segments scanned concurrently: disjoint, and together the table.
    let mut set = tokio::task::JoinSet::new();
    for seg in 0..4 {
        let c = c.clone();
        set.spawn(async move { (seg, scan_segment(&c, Some((seg, 4)), Some(250)).await) });
    }
    let mut union = Vec::new();
    let mut owner: HashMap<(String, i64), i32> = HashMap::new();
    while let Some(r) = set.join_next().await {
        let (seg, items) = r.expect("segment task");
        assert!(
            !items.is_empty(),
            "segment {seg} of 4 is empty over 10,000 items"
        );
        for it in &items {
            if let Some(other) = owner.insert(id(it), seg) {
                panic!("{:?} is in segments {other} and {seg}", id(it));
            }
        }
        union.extend(items);
    }
    assert_exactly_once(&union, "union of 4 segments");
    // Items of one partition key share a hash, so they share a segment.
    let mut seg_of_pk: HashMap<String, BTreeSet<i32>> = HashMap::new();
    for ((pk, _), seg) in &owner {
        seg_of_pk.entry(pk.clone()).or_default().insert(*seg);
    }
    for (pk, segs) in seg_of_pk {
        assert_eq!(
            segs.len(),
            1,
            "partition key {pk} split over segments {segs:?}"
        );
    }
    // One segment of one is the whole table; 7 unpaged segments too.
    assert_exactly_once(
        &scan_segment(&c, Some((0, 1)), None).await,
        "segment 0 of 1",
    );
    let mut union = Vec::new();
    for seg in 0..7 {
        union.extend(scan_segment(&c, Some((seg, 7)), None).await);
    }
    assert_exactly_once(&union, "union of 7 segments");

    // A start key from one segment does not continue another.
    let first = c
        .scan()
        .table_name("nums")
        .segment(1)
        .total_segments(4)
        .limit(1)
        .send()
        .await
        .unwrap();
    let k = first.last_evaluated_key.unwrap();
    let err = c
        .scan()
        .table_name("nums")
        .segment(2)
        .total_segments(4)
        .set_exclusive_start_key(Some(k))
        .send()
        .await;
    let (code, msg) = service_error(err.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("The provided Exclusive start key does not map to the provided segment"),
        "{msg}"
    );
}

/// Out-of-range and inconsistent segment parameters.
#[tokio::test]
async fn segment_parameters_are_validated() {
    let server = Server::start();
    let c = server.client();
    create_hash_table(&c, "tbl").await;
    let scan = |seg: Option<i32>, total: Option<i32>| {
        c.scan()
            .table_name("tbl")
            .set_segment(seg)
            .set_total_segments(total)
            .send()
    };
    assert_validation(
        scan(Some(4), Some(4)).await,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4",
    );
    assert_validation(
        scan(Some(9), Some(2)).await,
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 9 is not less than TotalSegments: 2",
    );
    assert_validation(
        scan(Some(0), None).await,
        "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
    );
    assert_validation(
        scan(None, Some(3)).await,
        "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
    );
    assert_validation(
        scan(Some(-1), Some(2)).await,
        "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
    assert_validation(
        scan(Some(0), Some(0)).await,
        "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_validation(
        scan(Some(0), Some(1_000_001)).await,
        "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000",
    );
    // The largest segment count is valid (and a segment of an empty table is empty).
    let out = scan(Some(999_999), Some(1_000_000)).await.unwrap();
    assert_eq!(out.count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_paging_is_exact_while_the_table_changes() {
    let server = Server::start();
    let c = server.client();
    create_hash_table(&c, "churn").await;
    let stable: Vec<String> = (0..1500).map(|i| format!("stable-{i}")).collect();
    let doomed: Vec<String> = (0..400).map(|i| format!("doomed-{i}")).collect();
    let items: Vec<Item> = stable
        .iter()
        .chain(doomed.iter())
        .map(|k| item([("pk", s(k)), ("v", n("0"))]))
        .collect();
    load(&c, "churn", items, 4).await;

    let mut ever: HashSet<String> = stable.iter().chain(doomed.iter()).cloned().collect();
    let mut returned: HashMap<String, usize> = HashMap::new();
    let mut start: Option<Item> = None;
    let mut page_no = 0usize;
    loop {
        let out = c
            .scan()
            .table_name("churn")
            .limit(40)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for it in out.items() {
            *returned.entry(get_s(it, "pk").to_string()).or_default() += 1;
        }
        // Between pages: delete doomed items, insert new ones (which hash anywhere,
        // before or after the cursor) and rewrite stable ones.
        let mut reqs = Vec::new();
        for k in doomed.iter().skip(page_no * 8).take(8) {
            reqs.push(delete_req(item([("pk", s(k))])));
        }
        for i in 0..8 {
            let k = format!("new-{page_no}-{i}");
            ever.insert(k.clone());
            reqs.push(put_req(item([("pk", s(&k)), ("v", n("1"))])));
        }
        for k in stable.iter().skip((page_no * 31) % stable.len()).take(8) {
            reqs.push(put_req(item([
                ("pk", s(k)),
                ("v", n(&page_no.to_string())),
            ])));
        }
        batch_write(&c, "churn", reqs).await;
        page_no += 1;
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => break,
        }
        assert!(page_no < 1000, "scan never ends");
    }
    assert!(page_no > 40, "the scan took {page_no} pages");
    for (k, times) in &returned {
        assert_eq!(*times, 1, "{k} returned {times} times");
        assert!(ever.contains(k), "{k} was never written");
    }
    let missing: Vec<&String> = stable
        .iter()
        .filter(|k| !returned.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "stable items skipped: {missing:?}");
}

#[tokio::test]
async fn query_paging_is_exact_while_the_partition_changes() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "qchurn", ("pk", T::S), Some(("sk", T::N))).await;
    // Stable items on multiples of 4, doomed ones on 4k+2; inserts go to odd numbers,
    // so they land on both sides of the cursor.
    let stable: Vec<i64> = (0..600).map(|i| i * 4).collect();
    let doomed: Vec<i64> = (0..600).map(|i| i * 4 + 2).collect();
    let items: Vec<Item> = stable
        .iter()
        .chain(doomed.iter())
        .map(|k| item([("pk", s("q")), ("sk", n(&k.to_string()))]))
        .collect();
    load(&c, "qchurn", items, 2).await;

    for forward in [true, false] {
        let mut returned: Vec<i64> = Vec::new();
        let mut start: Option<Item> = None;
        let mut page_no = 0i64;
        loop {
            let out = c
                .query()
                .table_name("qchurn")
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("q"))
                .scan_index_forward(forward)
                .limit(25)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .unwrap();
            returned.extend(out.items().iter().map(|i| get_i(i, "sk")));
            let mut reqs = Vec::new();
            for i in 0..4 {
                let odd = ((page_no * 97 + i * 611) % 2400) | 1;
                reqs.push(put_req(item([("pk", s("q")), ("sk", n(&odd.to_string()))])));
            }
            for k in doomed.iter().skip((page_no as usize * 7) % 600).take(3) {
                reqs.push(delete_req(item([
                    ("pk", s("q")),
                    ("sk", n(&k.to_string())),
                ])));
            }
            // Overlapping windows can name one key twice in a batch: keep one.
            let mut seen = HashSet::new();
            reqs.retain(|r| {
                let k = match (&r.put_request, &r.delete_request) {
                    (Some(p), _) => p.item()["sk"].clone(),
                    (_, Some(d)) => d.key()["sk"].clone(),
                    _ => unreachable!(),
                };
                seen.insert(format!("{k:?}"))
            });
            batch_write(&c, "qchurn", reqs).await;
            page_no += 1;
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => break,
            }
            assert!(page_no < 1000, "query never ends");
        }
        let ordered = returned
            .windows(2)
            .all(|w| if forward { w[0] < w[1] } else { w[0] > w[1] });
        assert!(
            ordered,
            "forward {forward}: not strictly ordered (a repeat or a step back)"
        );
        let got: HashSet<i64> = returned.iter().copied().collect();
        for k in &stable {
            assert!(
                got.contains(k),
                "forward {forward}: stable item {k} skipped"
            );
        }
        // Restore the doomed items for the other direction.
        let items: Vec<Item> = doomed
            .iter()
            .map(|k| item([("pk", s("q")), ("sk", n(&k.to_string()))]))
            .collect();
        load(&c, "qchurn", items, 2).await;
    }
}
