//! The 1 MB page limit (measured before the filter) and read capacity counted per page:
//! item sizes summed over the page and rounded up to 4 KB once, halved when eventually
//! consistent.

use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, Select};

use crate::common::*;
use crate::support::*;

const MB: usize = 1024 * 1024;
/// Payload length of a big item.
const BIG: usize = 100_000;
/// DynamoDB size of a big item: `pk`="big" (2+3), `sk`=4 chars (2+4), `payload` (7+BIG).
const BIG_SIZE: usize = 2 + 3 + 2 + 4 + 7 + BIG;

fn big_item(pk: &str, i: usize) -> Item {
    let fill = char::from(b'a' + (i % 26) as u8).to_string().repeat(BIG);
    item([
        ("pk", s(pk)),
        ("sk", s(&format!("{i:04}"))),
        ("payload", s(&fill)),
    ])
}

/// Units for reading `count` items of `size` bytes in one page.
fn page_units(count: usize, size: usize, consistent: bool) -> f64 {
    let u = (count * size).div_ceil(4096).max(1) as f64;
    if consistent {
        u
    } else {
        u / 2.0
    }
}

/// A page of big items must stop at the first item that reaches 1 MB.
fn assert_one_mb_page(count: usize, has_next: bool, ctx: &str) {
    // 10 items are 1,000,180 bytes, 11 items 1,100,198: DynamoDB stops once the page
    // reaches 1 MB, so a full page holds 10 or 11 of them, never more.
    assert!(
        (10..=11).contains(&count),
        "{ctx}: a 1 MB page held {count} items"
    );
    assert!(
        has_next,
        "{ctx}: a page cut at 1 MB must carry LastEvaluatedKey"
    );
    assert!(count * BIG_SIZE >= MB - BIG_SIZE && count * BIG_SIZE <= MB + BIG_SIZE);
}

#[tokio::test]
async fn pages_stop_near_one_megabyte() {
    let server = Server::start();
    let c = server.client();
    create_hash_range_table(&c, "big").await;
    for chunk in (0..25).collect::<Vec<_>>().chunks(5) {
        let reqs = chunk.iter().map(|i| put_req(big_item("big", *i))).collect();
        batch_write(&c, "big", reqs).await;
    }
    for i in 0..8 {
        batch_write(&c, "big", vec![put_req(big_item(&format!("other{i}"), i))]).await;
    }

    // Query: pages of ~1 MB, each item once, in order.
    for forward in [true, false] {
        let pages = query_pages(
            c.query()
                .table_name("big")
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("big"))
                .scan_index_forward(forward)
                .return_consumed_capacity(ReturnConsumedCapacity::Total),
        )
        .await;
        assert!(
            pages.len() >= 3,
            "25 items of 100 KB need 3 pages, got {}",
            pages.len()
        );
        for (i, p) in pages.iter().enumerate() {
            let ctx = format!("query forward {forward} page {i}");
            if i + 1 < pages.len() {
                assert_one_mb_page(p.count as usize, p.last_evaluated_key.is_some(), &ctx);
            }
            let units = p.consumed_capacity().unwrap().capacity_units();
            assert_eq!(
                units,
                Some(page_units(p.count as usize, BIG_SIZE, false)),
                "{ctx}"
            );
        }
        let mut got: Vec<String> = query_items(&pages)
            .iter()
            .map(|i| get_s(i, "sk").to_string())
            .collect();
        if !forward {
            got.reverse();
        }
        let want: Vec<String> = (0..25).map(|i| format!("{i:04}")).collect();
        assert_eq!(got, want, "forward {forward}");
    }

    // The limit applies before the filter: a page that matches nothing still stops.
    let out = c
        .query()
        .table_name("big")
        .key_condition_expression("pk = :p")
        .filter_expression("attribute_not_exists(payload)")
        .expression_attribute_values(":p", s("big"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 0);
    assert_one_mb_page(
        out.scanned_count as usize,
        out.last_evaluated_key.is_some(),
        "filtered query",
    );
    assert_eq!(
        out.consumed_capacity().unwrap().capacity_units(),
        Some(page_units(out.scanned_count as usize, BIG_SIZE, true))
    );
    // Select COUNT reads (and stops) the same way.
    let out = c
        .query()
        .table_name("big")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("big"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_one_mb_page(
        out.count as usize,
        out.last_evaluated_key.is_some(),
        "count",
    );
    // A smaller Limit wins.
    let out = c
        .query()
        .table_name("big")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("big"))
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 3);

    // Scan: the same limit over the whole table, every item once.
    let pages = scan_pages(c.scan().table_name("big")).await;
    for (i, p) in pages.iter().enumerate().take(pages.len() - 1) {
        assert_one_mb_page(
            p.count as usize,
            p.last_evaluated_key.is_some(),
            &format!("scan page {i}"),
        );
    }
    let mut keys: Vec<(String, String)> = scan_items(&pages)
        .iter()
        .map(|i| (get_s(i, "pk").to_string(), get_s(i, "sk").to_string()))
        .collect();
    keys.sort();
    let mut want: Vec<(String, String)> = (0..25)
        .map(|i| ("big".to_string(), format!("{i:04}")))
        .collect();
    want.extend((0..8).map(|i| (format!("other{i}"), format!("{i:04}"))));
    want.sort();
    assert_eq!(keys, want);
}

#[tokio::test]
async fn consumed_capacity_is_counted_per_page() {
    let server = Server::start();
    let c = server.client();
    create_hash_range_table(&c, "cap").await;
    // Each item is 2+1 (pk "c") + 2+4 (sk) + 4+1000 (data) = 1,013 bytes.
    let items: Vec<Item> = (0..40)
        .map(|i| {
            item([
                ("pk", s("c")),
                ("sk", s(&format!("{i:04}"))),
                ("data", s(&"x".repeat(1000))),
            ])
        })
        .collect();
    load(&c, "cap", items, 1).await;
    let q = |limit: i32, consistent: bool| {
        c.query()
            .table_name("cap")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("c"))
            .limit(limit)
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
    };
    // 10 items: 10,130 bytes -> 3 units (per-item rounding would give 10).
    for (limit, consistent, units) in [
        (10, true, 3.0),
        (10, false, 1.5),
        (4, true, 1.0),
        (4, false, 0.5),
        (5, true, 2.0),
        (40, true, 10.0),
        (40, false, 5.0),
    ] {
        let out = q(limit, consistent).send().await.unwrap();
        let cc = out.consumed_capacity().unwrap();
        assert_eq!(cc.table_name(), Some("cap"));
        assert_eq!(
            cc.capacity_units(),
            Some(units),
            "limit {limit} consistent {consistent}"
        );
    }
    // Counted on what was read, before the filter.
    let out = q(10, true)
        .filter_expression("attribute_not_exists(#d)")
        .expression_attribute_names("#d", "data")
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 0);
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(3.0));
    // Each page of a paged query is counted by itself: 40 items in pages of 10.
    let pages = query_pages(q(10, false)).await;
    let per_page: Vec<Option<f64>> = pages
        .iter()
        .map(|p| p.consumed_capacity().unwrap().capacity_units())
        .collect();
    assert_eq!(per_page[..4], [Some(1.5); 4]);
    // Scan counts the same way.
    let out = c
        .scan()
        .table_name("cap")
        .limit(10)
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.consumed_capacity().unwrap().capacity_units(), Some(3.0));
    // INDEXES adds the table breakdown.
    let out = q(10, true)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let cc = out.consumed_capacity().unwrap();
    assert_eq!(cc.capacity_units(), Some(3.0));
    assert_eq!(cc.table().and_then(|t| t.capacity_units()), Some(3.0));
    // Not asked for: not returned.
    let out = c
        .query()
        .table_name("cap")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("c"))
        .send()
        .await
        .unwrap();
    assert!(out.consumed_capacity.is_none());
}
