//! Query: paging through 10,000 items with several page sizes in both directions, the
//! sort orders of N, S and B sort keys, FilterExpression (Count vs ScannedCount per page),
//! Select, ProjectionExpression, sort-key conditions and legacy KeyConditions.

use aws_sdk_dynamodb::types::{
    AttributeValue, ComparisonOperator, Condition, ScalarAttributeType as T, Select,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;
use crate::support::*;

/// The `j`s of items in query pages.
fn js(items: &[Item]) -> Vec<usize> {
    items.iter().map(|i| get_i(i, "j") as usize).collect()
}

/// Pages through partition `p` with `limit` in one direction and checks every page and
/// the concatenation against DynamoDB's order.
async fn check_partition(c: &Client, p: usize, limit: Option<i32>, forward: bool) {
    let pk = pk_name(p);
    let ctx = format!("partition {pk}, limit {limit:?}, forward {forward}");
    let pages = query_pages(
        c.query()
            .table_name("nums")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s(&pk))
            .scan_index_forward(forward)
            .set_limit(limit),
    )
    .await;
    let mut expect = ascending_js();
    if !forward {
        expect.reverse();
    }
    let got = js(&query_items(&pages));
    assert_eq!(
        got, expect,
        "{ctx}: items out of order, missing or repeated"
    );
    // DynamoDB stops a page at Limit and returns LastEvaluatedKey even when nothing
    // follows, so a limit dividing the item count yields one extra, empty page.
    let expect_pages = match limit {
        Some(l) => PER_PK / l as usize + 1,
        None => 1,
    };
    assert_eq!(pages.len(), expect_pages, "{ctx}: page count");
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(
            page.count as usize,
            page.items().len(),
            "{ctx}: Count, page {i}"
        );
        assert_eq!(
            page.scanned_count, page.count,
            "{ctx}: ScannedCount, page {i}"
        );
        if let Some(l) = limit {
            assert!(
                page.count <= l,
                "{ctx}: page {i} holds {} items",
                page.count
            );
        }
        match &page.last_evaluated_key {
            Some(k) => {
                assert_eq!(
                    Some(page.count),
                    limit,
                    "{ctx}: early LastEvaluatedKey, page {i}"
                );
                let last = page.items().last().expect("a page with a key has items");
                assert_eq!(
                    k,
                    &key_of(last, &["pk", "sk"]),
                    "{ctx}: LastEvaluatedKey, page {i}"
                );
            }
            None => assert_eq!(i, pages.len() - 1, "{ctx}: page {i} ends the query early"),
        }
        for item in page.items() {
            assert_eq!(get_s(item, "pk"), pk, "{ctx}: item of another partition");
        }
    }
}

/// Pages through partition `p` with a filter on `g` and checks Count and ScannedCount of
/// every page against the slice of items the page read.
async fn check_filtered(c: &Client, p: usize, limit: Option<i32>, forward: bool, g: usize) {
    let pk = pk_name(p);
    let ctx = format!("filtered partition {pk}, limit {limit:?}, forward {forward}");
    let pages = query_pages(
        c.query()
            .table_name("nums")
            .key_condition_expression("pk = :p")
            .filter_expression("g = :g")
            .expression_attribute_values(":p", s(&pk))
            .expression_attribute_values(":g", n(&g.to_string()))
            .scan_index_forward(forward)
            .set_limit(limit),
    )
    .await;
    let mut order = ascending_js();
    if !forward {
        order.reverse();
    }
    let mut offset = 0usize;
    for (i, page) in pages.iter().enumerate() {
        let scanned = page.scanned_count as usize;
        let expect_scanned = match limit {
            Some(l) => (l as usize).min(PER_PK - offset),
            None => PER_PK,
        };
        assert_eq!(scanned, expect_scanned, "{ctx}: ScannedCount, page {i}");
        let slice = &order[offset..offset + scanned];
        let matching: Vec<usize> = slice.iter().copied().filter(|j| j % 3 == g).collect();
        assert_eq!(js(page.items()), matching, "{ctx}: items of page {i}");
        assert_eq!(
            page.count as usize,
            matching.len(),
            "{ctx}: Count, page {i}"
        );
        if let Some(k) = &page.last_evaluated_key {
            // The key of the last item read, whether or not it matched the filter.
            let last = *slice.last().expect("a page with a key read items");
            assert_eq!(
                names(k),
                sorted(&["pk", "sk"]),
                "{ctx}: LastEvaluatedKey, page {i}"
            );
            assert_eq!(get_s(k, "pk"), pk);
            let want_sk = sort_value(last).1;
            let got_sk: f64 = k["sk"].as_n().unwrap().parse().unwrap();
            assert_eq!(
                got_sk, want_sk,
                "{ctx}: LastEvaluatedKey sort key, page {i}"
            );
        }
        offset += scanned;
    }
    assert_eq!(offset, PER_PK, "{ctx}: ScannedCount over all pages");
    if limit == Some(1) {
        assert!(
            pages.iter().any(|p| p.count == 0 && p.scanned_count == 1),
            "{ctx}: some page must read an item the filter drops"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_items_page_in_order_both_directions() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "nums", ("pk", T::S), Some(("sk", T::N))).await;
    load(&c, "nums", num_items(), 8).await;
    let d = c.describe_table().table_name("nums").send().await.unwrap();
    assert_eq!(d.table().unwrap().item_count(), Some((PKS * PER_PK) as i64));

    // Every partition key with page sizes 7, 100 and none, both directions; two of them
    // also one item per page (1,000 requests each way).
    let mut set = tokio::task::JoinSet::new();
    for p in 0..PKS {
        let c = c.clone();
        set.spawn(async move {
            let mut limits = vec![Some(7), Some(100), None];
            if p < 2 {
                limits.push(Some(1));
            }
            for limit in limits {
                for forward in [true, false] {
                    check_partition(&c, p, limit, forward).await;
                }
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("partition checks");
    }

    // Filters apply after the read: ScannedCount counts what each page read.
    for (p, limit, forward, g) in [
        (3, Some(1), true, 0),
        (4, Some(7), true, 1),
        (5, Some(7), false, 2),
        (6, Some(100), false, 0),
        (7, None, true, 1),
    ] {
        check_filtered(&c, p, limit, forward, g).await;
    }
}

#[tokio::test]
async fn select_projection_and_count() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "nums", ("pk", T::S), Some(("sk", T::N))).await;
    load(&c, "nums", (0..PER_PK).map(|j| num_item(0, j)).collect(), 2).await;
    let q = || {
        c.query()
            .table_name("nums")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("p00"))
    };

    // COUNT: no Items member, Count of matches, ScannedCount of reads.
    let out = q()
        .select(Select::Count)
        .filter_expression("g = :g")
        .expression_attribute_values(":g", n("1"))
        .send()
        .await
        .unwrap();
    assert!(
        out.items.is_none(),
        "Select COUNT returns no Items: {:?}",
        out.items
    );
    assert_eq!(out.count, (0..PER_PK).filter(|j| j % 3 == 1).count() as i32);
    assert_eq!(out.scanned_count, PER_PK as i32);
    let out = q().select(Select::Count).limit(10).send().await.unwrap();
    assert_eq!((out.count, out.scanned_count), (10, 10));
    assert!(out.last_evaluated_key.is_some());

    // ProjectionExpression (with a name placeholder): exactly the attributes asked for.
    let out = q()
        .projection_expression("j, #g")
        .expression_attribute_names("#g", "g")
        .send()
        .await
        .unwrap();
    assert_eq!(out.items().len(), PER_PK);
    for it in out.items() {
        assert_eq!(names(it), sorted(&["g", "j"]));
    }
    // SPECIFIC_ATTRIBUTES with a projection; ALL_ATTRIBUTES without.
    let out = q()
        .select(Select::SpecificAttributes)
        .projection_expression("#pad")
        .expression_attribute_names("#pad", "pad")
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(out.items().len(), 3);
    for it in out.items() {
        assert_eq!(names(it), sorted(&["pad"]));
    }
    // The start key still holds the whole key although the items do not.
    let k = out.last_evaluated_key.unwrap();
    assert_eq!(names(&k), sorted(&["pk", "sk"]));
    let out = q()
        .select(Select::AllAttributes)
        .consistent_read(true)
        .limit(2)
        .send()
        .await
        .unwrap();
    for it in out.items() {
        assert_eq!(names(it), sorted(&["g", "j", "pad", "pk", "sk"]));
    }

    // Select and projections that do not fit together.
    assert_validation(
        q().select(Select::SpecificAttributes).send().await,
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    );
    assert_validation(
        q().select(Select::AllAttributes)
            .projection_expression("j")
            .send()
            .await,
        "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
    );
    assert_validation(
        q().select(Select::AllProjectedAttributes).send().await,
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    );
}

/// The `j`s a sort-key condition selects, in ascending order.
fn model(pred: impl Fn(f64) -> bool) -> Vec<usize> {
    ascending_js()
        .into_iter()
        .filter(|j| pred(sort_value(*j).1))
        .collect()
}

#[tokio::test]
async fn sort_key_conditions_match_a_model() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "nums", ("pk", T::S), Some(("sk", T::N))).await;
    let mut items: Vec<Item> = (0..PER_PK).map(|j| num_item(0, j)).collect();
    items.extend((0..50).map(|j| num_item(1, j)));
    load(&c, "nums", items, 2).await;

    // Bounds equal to stored values, spelt differently from how they were written.
    let lo = -12.5; // stored as "-12.50" or "-1250E-2"
    let hi = 20.25;
    let lo_s = "-0.125E2";
    let hi_s = "2025e-2";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<usize>);
    let cases: Vec<Case> = vec![
        ("sk = :a", vec![(":a", lo_s)], model(|v| v == lo)),
        ("sk < :a", vec![(":a", lo_s)], model(|v| v < lo)),
        ("sk <= :a", vec![(":a", lo_s)], model(|v| v <= lo)),
        (":a > sk", vec![(":a", lo_s)], model(|v| v < lo)),
        ("sk > :a", vec![(":a", hi_s)], model(|v| v > hi)),
        ("sk >= :a", vec![(":a", hi_s)], model(|v| v >= hi)),
        (":a <= sk", vec![(":a", hi_s)], model(|v| v >= hi)),
        (
            "sk BETWEEN :a AND :b",
            vec![(":a", lo_s), (":b", hi_s)],
            model(|v| (lo..=hi).contains(&v)),
        ),
        ("sk = :a", vec![(":a", "0.125")], vec![]),
        ("sk > :a", vec![(":a", "1E+30")], vec![]),
        ("sk < :a", vec![(":a", "-1E+30")], vec![]),
        ("sk >= :a", vec![(":a", "1E+30")], vec![1]),
    ];
    for (cond, vals, want) in cases {
        assert!(
            want.len() < PER_PK,
            "{cond}: the model selects a strict subset"
        );
        for (forward, limit) in [
            (true, None),
            (false, None),
            (true, Some(9)),
            (false, Some(4)),
        ] {
            let mut b = c
                .query()
                .table_name("nums")
                .key_condition_expression(format!("pk = :p AND {cond}"))
                .expression_attribute_values(":p", s("p00"))
                .scan_index_forward(forward)
                .set_limit(limit);
            for (k, v) in &vals {
                b = b.expression_attribute_values(*k, n(v));
            }
            let got = js(&query_items(&query_pages(b).await));
            let mut want = want.clone();
            if !forward {
                want.reverse();
            }
            assert_eq!(
                got, want,
                "{cond} {vals:?} forward {forward} limit {limit:?}"
            );
        }
    }

    // Legacy KeyConditions select the same items as the expressions.
    let legacy: Vec<(ComparisonOperator, Vec<&str>, Vec<usize>)> = vec![
        (ComparisonOperator::Eq, vec![lo_s], model(|v| v == lo)),
        (ComparisonOperator::Lt, vec![lo_s], model(|v| v < lo)),
        (ComparisonOperator::Le, vec![lo_s], model(|v| v <= lo)),
        (ComparisonOperator::Gt, vec![hi_s], model(|v| v > hi)),
        (ComparisonOperator::Ge, vec![hi_s], model(|v| v >= hi)),
        (
            ComparisonOperator::Between,
            vec![lo_s, hi_s],
            model(|v| (lo..=hi).contains(&v)),
        ),
    ];
    for (op, vals, want) in legacy {
        let pk_cond = Condition::builder()
            .comparison_operator(ComparisonOperator::Eq)
            .attribute_value_list(s("p00"))
            .build()
            .unwrap();
        let mut sk_cond = Condition::builder().comparison_operator(op.clone());
        for v in &vals {
            sk_cond = sk_cond.attribute_value_list(n(v));
        }
        let out = c
            .query()
            .table_name("nums")
            .key_conditions("pk", pk_cond)
            .key_conditions("sk", sk_cond.build().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(js(out.items()), want, "KeyConditions {op:?} {vals:?}");
    }

    // Only the queried partition key's items, however close the other one sorts.
    let out = c
        .query()
        .table_name("nums")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p01"))
        .send()
        .await
        .unwrap();
    let mut want = (0..50).collect::<Vec<usize>>();
    want.sort_by(|a, b| sort_value(*a).1.partial_cmp(&sort_value(*b).1).unwrap());
    assert_eq!(js(out.items()), want);
    let out = c
        .query()
        .table_name("nums")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p0"))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count, out.scanned_count), (0, 0));
    assert!(out.last_evaluated_key.is_none());
}

/// String sort keys in UTF-8 byte order (not UTF-16 or locale order).
fn tricky_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "a",
        "A",
        "Z",
        "aa",
        "a b",
        "a\u{7f}",
        "ab",
        "b",
        "é",
        "e\u{301}",
        "中",
        "😀",
        "ｚ",
        "\u{e000}",
        "10",
        "9",
        "-1",
        "~",
        " ",
        "a\u{0}",
        "a\u{0}\u{0}",
        "a\u{1}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend((0..100).map(|i| format!("k{i}")));
    v
}

#[tokio::test]
async fn string_and_binary_sort_keys_sort_bytewise() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "strs", ("pk", T::S), Some(("sk", T::S))).await;
    create_table(&c, "bins", ("pk", T::S), Some(("sk", T::B))).await;
    let strings = tricky_strings();
    let s_items: Vec<Item> = strings
        .iter()
        .map(|k| item([("pk", s("s")), ("sk", s(k))]))
        .collect();
    load(&c, "strs", s_items, 2).await;
    let mut blobs: Vec<Vec<u8>> = vec![
        vec![0],
        vec![0, 0],
        vec![0, 1],
        vec![1],
        vec![0x7f],
        vec![0x80],
        vec![0xff],
        vec![0xff, 0],
        vec![0xff, 0xff],
        vec![1, 2, 3],
        vec![0x80, 0],
    ];
    blobs.extend((0u8..60).map(|i| vec![i.wrapping_mul(37), i]));
    blobs.sort();
    blobs.dedup();
    let b_items: Vec<Item> = blobs
        .iter()
        .map(|b| {
            item([
                ("pk", s("b")),
                (
                    "sk",
                    AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b.clone())),
                ),
            ])
        })
        .collect();
    load(&c, "bins", b_items, 2).await;

    let mut want_s = strings.clone();
    want_s.sort(); // Rust orders str by UTF-8 bytes, as DynamoDB does.
    let mut want_b = blobs.clone();
    want_b.sort();
    for limit in [Some(1), Some(3), None] {
        for forward in [true, false] {
            let pages = query_pages(
                c.query()
                    .table_name("strs")
                    .key_condition_expression("pk = :p")
                    .expression_attribute_values(":p", s("s"))
                    .scan_index_forward(forward)
                    .set_limit(limit),
            )
            .await;
            let got: Vec<String> = query_items(&pages)
                .iter()
                .map(|i| get_s(i, "sk").to_string())
                .collect();
            let mut want = want_s.clone();
            if !forward {
                want.reverse();
            }
            assert_eq!(got, want, "S order, limit {limit:?} forward {forward}");

            let pages = query_pages(
                c.query()
                    .table_name("bins")
                    .key_condition_expression("pk = :p")
                    .expression_attribute_values(":p", s("b"))
                    .scan_index_forward(forward)
                    .set_limit(limit),
            )
            .await;
            let got: Vec<Vec<u8>> = query_items(&pages)
                .iter()
                .map(|i| i["sk"].as_b().unwrap().as_ref().to_vec())
                .collect();
            let mut want = want_b.clone();
            if !forward {
                want.reverse();
            }
            assert_eq!(got, want, "B order, limit {limit:?} forward {forward}");
        }
    }

    // begins_with, BETWEEN and comparisons on strings and binaries.
    let sq = |cond: &str, vals: Vec<(&str, &str)>| {
        let mut b = c
            .query()
            .table_name("strs")
            .key_condition_expression(format!("pk = :p AND {cond}"))
            .expression_attribute_values(":p", s("s"));
        for (k, v) in vals {
            b = b.expression_attribute_values(k, s(v));
        }
        b
    };
    let got_s = |items: &[Item]| -> Vec<String> {
        items.iter().map(|i| get_s(i, "sk").to_string()).collect()
    };
    let want: Vec<String> = want_s
        .iter()
        .filter(|k| k.starts_with('a'))
        .cloned()
        .collect();
    let out = sq("begins_with(sk, :x)", vec![(":x", "a")])
        .send()
        .await
        .unwrap();
    assert_eq!(got_s(out.items()), want);
    let want: Vec<String> = want_s
        .iter()
        .filter(|k| k.starts_with("k1"))
        .cloned()
        .collect();
    let out = sq("begins_with(sk, :x)", vec![(":x", "k1")])
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got_s(out.items()),
        want.into_iter().rev().collect::<Vec<_>>()
    );
    let want: Vec<String> = want_s
        .iter()
        .filter(|k| k.as_str() >= "a" && k.as_str() <= "b")
        .cloned()
        .collect();
    let out = sq("sk BETWEEN :x AND :y", vec![(":x", "a"), (":y", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(got_s(out.items()), want);
    let want: Vec<String> = want_s
        .iter()
        .filter(|k| k.as_str() > "z")
        .cloned()
        .collect();
    let out = sq("sk > :x", vec![(":x", "z")]).send().await.unwrap();
    assert_eq!(got_s(out.items()), want);

    let blob = |b: &[u8]| AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b.to_vec()));
    let out = c
        .query()
        .table_name("bins")
        .key_condition_expression("pk = :p AND begins_with(sk, :x)")
        .expression_attribute_values(":p", s("b"))
        .expression_attribute_values(":x", blob(&[0xff]))
        .send()
        .await
        .unwrap();
    let got: Vec<Vec<u8>> = out
        .items()
        .iter()
        .map(|i| i["sk"].as_b().unwrap().as_ref().to_vec())
        .collect();
    let want: Vec<Vec<u8>> = want_b
        .iter()
        .filter(|b| b.first() == Some(&0xff))
        .cloned()
        .collect();
    assert_eq!(got, want);
    let out = c
        .query()
        .table_name("bins")
        .key_condition_expression("pk = :p AND sk < :x")
        .expression_attribute_values(":p", s("b"))
        .expression_attribute_values(":x", blob(&[0, 1]))
        .send()
        .await
        .unwrap();
    let got: Vec<Vec<u8>> = out
        .items()
        .iter()
        .map(|i| i["sk"].as_b().unwrap().as_ref().to_vec())
        .collect();
    let want: Vec<Vec<u8>> = want_b
        .iter()
        .filter(|b| b.as_slice() < [0u8, 1].as_slice())
        .cloned()
        .collect();
    assert_eq!(got, want);
}
