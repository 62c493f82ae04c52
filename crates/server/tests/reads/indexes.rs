//! Local and global secondary indexes defined at CreateTable: each projection type
//! returns exactly its attributes, local indexes fetch what they do not project, global
//! ones refuse to; sparse and non-unique index keys; writes move items in and out of
//! indexes; DescribeTable counts; index errors.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType as T, Select,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;
use crate::support::*;

/// What an index holds, for the model.
#[derive(Clone, Copy, Debug)]
enum Proj {
    Keys,
    Include(&'static [&'static str]),
    All,
}

/// An index of the test table, for the model.
struct Ix {
    name: &'static str,
    hash: &'static str,
    range: Option<&'static str>,
    proj: Proj,
    local: bool,
}

const INDEXES: &[Ix] = &[
    Ix {
        name: "lsi_keys",
        hash: "pk",
        range: Some("lk"),
        proj: Proj::Keys,
        local: true,
    },
    Ix {
        name: "lsi_incl",
        hash: "pk",
        range: Some("lk"),
        proj: Proj::Include(&["a", "b"]),
        local: true,
    },
    Ix {
        name: "lsi_all",
        hash: "pk",
        range: Some("lk"),
        proj: Proj::All,
        local: true,
    },
    Ix {
        name: "gsi_keys",
        hash: "gp",
        range: Some("gs"),
        proj: Proj::Keys,
        local: false,
    },
    Ix {
        name: "gsi_incl",
        hash: "gp",
        range: Some("gs"),
        proj: Proj::Include(&["a"]),
        local: false,
    },
    Ix {
        name: "gsi_all",
        hash: "gp",
        range: None,
        proj: Proj::All,
        local: false,
    },
];

fn ix(name: &str) -> &'static Ix {
    INDEXES.iter().find(|i| i.name == name).unwrap()
}

impl Ix {
    fn key_names(&self) -> Vec<&'static str> {
        let mut v = vec!["pk", "sk", self.hash];
        v.extend(self.range);
        v.sort();
        v.dedup();
        v
    }

    /// Whether the item is in the index (it has every index key attribute).
    fn holds(&self, item: &Item) -> bool {
        item.contains_key(self.hash) && self.range.is_none_or(|r| item.contains_key(r))
    }

    fn project(&self, item: &Item) -> Item {
        let keys = self.key_names();
        item.iter()
            .filter(|(n, _)| match self.proj {
                Proj::All => true,
                Proj::Keys => keys.contains(&n.as_str()),
                Proj::Include(extra) => keys.contains(&n.as_str()) || extra.contains(&n.as_str()),
            })
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect()
    }

    fn projection(&self) -> Projection {
        match self.proj {
            Proj::Keys => Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
            Proj::All => Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
            Proj::Include(extra) => {
                let mut p = Projection::builder().projection_type(ProjectionType::Include);
                for a in extra {
                    p = p.non_key_attributes(*a);
                }
                p.build()
            }
        }
    }

    fn schema(&self) -> Vec<KeySchemaElement> {
        let mut v = vec![key_elem(self.hash, KeyType::Hash)];
        if let Some(r) = self.range {
            v.push(key_elem(r, KeyType::Range));
        }
        v
    }
}

async fn create_proj_table(c: &Client) {
    let mut req = c
        .create_table()
        .table_name("proj")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem("pk", KeyType::Hash))
        .key_schema(key_elem("sk", KeyType::Range));
    for (n, t) in [
        ("pk", T::S),
        ("sk", T::S),
        ("lk", T::S),
        ("gp", T::S),
        ("gs", T::N),
    ] {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(t)
                .build()
                .unwrap(),
        );
    }
    for i in INDEXES {
        if i.local {
            req = req.local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name(i.name)
                    .set_key_schema(Some(i.schema()))
                    .projection(i.projection())
                    .build()
                    .unwrap(),
            );
        } else {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(i.name)
                    .set_key_schema(Some(i.schema()))
                    .projection(i.projection())
                    .build()
                    .unwrap(),
            );
        }
    }
    req.send().await.expect("create proj table");
}

/// Item `i` of partition `pk`: sparse index keys, non-unique GSI keys.
fn proj_item(pk: &str, i: usize) -> Item {
    let mut it = item([
        ("pk", s(pk)),
        ("sk", s(&format!("s{i:02}"))),
        ("a", s(&format!("a{i}"))),
        ("b", s(&format!("b{i}"))),
        ("c", s(&format!("c{i}"))),
    ]);
    if i.is_multiple_of(2) {
        it.insert("d".into(), s(&format!("d{i}")));
    }
    if i % 4 != 3 {
        // Sorts in the reverse of the table's sort key.
        it.insert("lk".into(), s(&format!("l{:02}", 40 - i)));
    }
    if !i.is_multiple_of(3) {
        it.insert(
            "gp".into(),
            s(if i.is_multiple_of(2) { "even" } else { "odd" }),
        );
    }
    if i % 7 != 6 {
        it.insert("gs".into(), n(&(i % 5).to_string()));
    }
    it
}

/// The table's items by `(pk, sk)`.
type Model = BTreeMap<(String, String), Item>;

fn model_key(it: &Item) -> (String, String) {
    (get_s(it, "pk").to_string(), get_s(it, "sk").to_string())
}

/// Queries an index for one hash value (all pages, `limit` per page) and compares it
/// with the model: the same items, exactly the projected attributes, in index order.
async fn check_index_query(c: &Client, model: &Model, index: &Ix, hash: &str, limit: Option<i32>) {
    let ctx = format!("{} = {hash}, limit {limit:?}", index.name);
    let pages = query_pages(
        c.query()
            .table_name("proj")
            .index_name(index.name)
            .key_condition_expression("#h = :h")
            .expression_attribute_names("#h", index.hash)
            .expression_attribute_values(":h", s(hash))
            .set_limit(limit),
    )
    .await;
    for p in &pages {
        if let Some(k) = &p.last_evaluated_key {
            // A start key of an index names the table's and the index's keys.
            assert_eq!(
                names(k),
                sorted(&index.key_names()),
                "{ctx}: LastEvaluatedKey"
            );
        }
    }
    let got = query_items(&pages);
    check_index_items(model, index, Some(hash), &got, &ctx);
}

/// Compares items read from an index with the model.
fn check_index_items(model: &Model, index: &Ix, hash: Option<&str>, got: &[Item], ctx: &str) {
    let want: HashMap<(String, String), Item> = model
        .values()
        .filter(|it| index.holds(it))
        .filter(|it| hash.is_none_or(|h| get_s(it, index.hash) == h))
        .map(|it| (model_key(it), index.project(it)))
        .collect();
    let mut seen = HashMap::new();
    for it in got {
        let k = model_key(it);
        assert!(
            seen.insert(k.clone(), ()).is_none(),
            "{ctx}: {k:?} returned twice"
        );
        let w = want
            .get(&k)
            .unwrap_or_else(|| panic!("{ctx}: {k:?} is not in the index"));
        assert_eq!(it, w, "{ctx}: attributes of {k:?}");
    }
    assert_eq!(
        seen.len(),
        want.len(),
        "{ctx}: items missing from the index"
    );
    if let (Some(_), Some(r)) = (hash, index.range) {
        // Index order: by the index sort key (ties in any order).
        let sort: Vec<String> = got
            .iter()
            .map(|i| match &i[r] {
                aws_sdk_dynamodb::types::AttributeValue::N(v) => format!("{v:0>5}"),
                aws_sdk_dynamodb::types::AttributeValue::S(v) => v.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(
            sort.windows(2).all(|w| w[0] <= w[1]),
            "{ctx}: not in index order: {sort:?}"
        );
    }
}

async fn check_all_indexes(c: &Client, model: &Model, limit: Option<i32>) {
    for i in INDEXES {
        let hashes: &[&str] = if i.local {
            &["u1", "u2", "none"]
        } else {
            &["even", "odd", "none"]
        };
        for h in hashes {
            check_index_query(c, model, i, h, limit).await;
        }
        // Scan of the index: every item that has the index keys, projected.
        let pages = scan_pages(
            c.scan()
                .table_name("proj")
                .index_name(i.name)
                .set_limit(limit),
        )
        .await;
        check_index_items(
            model,
            i,
            None,
            &scan_items(&pages),
            &format!("scan {}", i.name),
        );
    }
}

#[tokio::test]
async fn projections_return_exactly_the_projected_attributes() {
    let server = Server::start();
    let c = server.client();
    create_proj_table(&c).await;
    let mut model = Model::new();
    for it in (0..21)
        .map(|i| proj_item("u1", i))
        .chain((0..6).map(|i| proj_item("u2", i)))
    {
        model.insert(model_key(&it), it);
    }
    load(&c, "proj", model.values().cloned().collect(), 1).await;

    check_all_indexes(&c, &model, None).await;
    check_all_indexes(&c, &model, Some(1)).await;
    check_all_indexes(&c, &model, Some(4)).await;

    // Local indexes fetch what they do not project, and allow strongly consistent reads.
    let q = |index: &str| {
        c.query()
            .table_name("proj")
            .index_name(index)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("u1"))
    };
    let in_lsi: Vec<&Item> = model
        .values()
        .filter(|i| ix("lsi_keys").holds(i) && get_s(i, "pk") == "u1")
        .collect();
    let out = q("lsi_keys")
        .select(Select::AllAttributes)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.items().len(), in_lsi.len());
    for it in out.items() {
        assert_eq!(
            it,
            &model[&model_key(it)],
            "ALL_ATTRIBUTES through a KEYS_ONLY LSI"
        );
    }
    let out = q("lsi_incl")
        .projection_expression("c, d, a, pk, sk")
        .send()
        .await
        .unwrap();
    assert_eq!(out.items().len(), in_lsi.len());
    for it in out.items() {
        let full = &model[&model_key(it)];
        let want: Item = ["a", "c", "d", "pk", "sk"]
            .iter()
            .filter_map(|n| full.get(*n).map(|v| (n.to_string(), v.clone())))
            .collect();
        assert_eq!(it, &want, "non-projected attributes fetched from the table");
    }
    // The LSI's order (by lk, the reverse of sk) is kept when fetching.
    let sks: Vec<String> = out.items().iter().map(|i| model_key(i).1).collect();
    assert!(
        sks.is_empty() || sks.windows(2).all(|w| w[0] > w[1]),
        "{sks:?}"
    );
    let out = q("lsi_keys")
        .key_condition_expression("pk = :p AND lk > :l")
        .expression_attribute_values(":l", s("l30"))
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    let lks: Vec<String> = out
        .items()
        .iter()
        .map(|i| get_s(i, "lk").to_string())
        .collect();
    let mut want: Vec<String> = in_lsi
        .iter()
        .map(|i| get_s(i, "lk").to_string())
        .filter(|l| l.as_str() > "l30")
        .collect();
    want.sort();
    want.reverse();
    assert_eq!(lks, want);
    let out = q("lsi_all")
        .select(Select::Count)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count as usize, in_lsi.len());

    // Global indexes: ALL_ATTRIBUTES only with projection ALL, never consistent reads,
    // and a projection of non-projected attributes yields only what the index holds.
    let g = |index: &str| {
        c.query()
            .table_name("proj")
            .index_name(index)
            .key_condition_expression("gp = :g")
            .expression_attribute_values(":g", s("even"))
    };
    for index in ["gsi_keys", "gsi_incl"] {
        assert_validation(
            g(index).select(Select::AllAttributes).send().await,
            &format!("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {index} because its projection type is not ALL"),
        );
    }
    let out = g("gsi_all")
        .select(Select::AllAttributes)
        .send()
        .await
        .unwrap();
    for it in out.items() {
        assert_eq!(it, &model[&model_key(it)]);
    }
    for index in ["gsi_keys", "gsi_incl", "gsi_all"] {
        assert_validation(
            g(index).consistent_read(true).send().await,
            "Consistent reads are not supported on global secondary indexes",
        );
        assert_validation(
            c.scan()
                .table_name("proj")
                .index_name(index)
                .consistent_read(true)
                .send()
                .await,
            "Consistent reads are not supported on global secondary indexes",
        );
    }
    let out = g("gsi_incl")
        .projection_expression("a, c")
        .send()
        .await
        .unwrap();
    assert!(!out.items().is_empty());
    for it in out.items() {
        assert_eq!(
            names(it),
            sorted(&["a"]),
            "a GSI does not fetch from the table"
        );
    }
    // Non-unique index keys: every item with gp = even, gs = 2.
    let out = c
        .query()
        .table_name("proj")
        .index_name("gsi_keys")
        .key_condition_expression("gp = :g AND gs = :s")
        .expression_attribute_values(":g", s("even"))
        .expression_attribute_values(":s", n("2"))
        .send()
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = out.items().iter().map(model_key).collect();
    got.sort();
    let want: Vec<(String, String)> = model
        .values()
        .filter(|i| ix("gsi_keys").holds(i) && get_s(i, "gp") == "even" && i["gs"] == n("2"))
        .map(model_key)
        .collect();
    assert!(want.len() >= 2, "the data set has a repeated index key");
    assert_eq!(got, want);

    // DescribeTable: per-index item counts, and sizes that grow with the projection.
    let d = c.describe_table().table_name("proj").send().await.unwrap();
    let t = d.table().unwrap();
    let mut sizes = HashMap::new();
    for l in t.local_secondary_indexes() {
        let i = ix(l.index_name().unwrap());
        let want = model.values().filter(|it| i.holds(it)).count() as i64;
        assert_eq!(l.item_count(), Some(want), "{} ItemCount", i.name);
        sizes.insert(i.name, l.index_size_bytes().unwrap());
    }
    for gsi in t.global_secondary_indexes() {
        let i = ix(gsi.index_name().unwrap());
        let want = model.values().filter(|it| i.holds(it)).count() as i64;
        assert_eq!(gsi.item_count(), Some(want), "{} ItemCount", i.name);
        assert_eq!(gsi.index_status().map(|s| s.as_str()), Some("ACTIVE"));
        assert!(gsi.backfilling().is_none_or(|b| !b));
        sizes.insert(i.name, gsi.index_size_bytes().unwrap());
    }
    assert_eq!(sizes.len(), 6);
    assert!(sizes["lsi_keys"] > 0);
    assert!(
        sizes["lsi_keys"] < sizes["lsi_incl"] && sizes["lsi_incl"] < sizes["lsi_all"],
        "{sizes:?}"
    );
    assert!(
        sizes["gsi_keys"] > 0 && sizes["gsi_keys"] < sizes["gsi_incl"],
        "{sizes:?}"
    );

    // Writes move items in and out of every index.
    let key = |pk: &str, i: usize| item([("pk", s(pk)), ("sk", s(&format!("s{i:02}")))]);
    // Delete: gone everywhere.
    c.delete_item()
        .table_name("proj")
        .set_key(Some(key("u1", 4)))
        .send()
        .await
        .unwrap();
    model.remove(&("u1".into(), "s04".into()));
    // Change both LSI and GSI keys: the item moves.
    c.update_item()
        .table_name("proj")
        .set_key(Some(key("u1", 5)))
        .update_expression("SET lk = :l, gp = :g, gs = :s")
        .expression_attribute_values(":l", s("l99"))
        .expression_attribute_values(":g", s("even"))
        .expression_attribute_values(":s", n("9"))
        .send()
        .await
        .unwrap();
    let m = model.get_mut(&("u1".into(), "s05".into())).unwrap();
    m.insert("lk".into(), s("l99"));
    m.insert("gp".into(), s("even"));
    m.insert("gs".into(), n("9"));
    // Remove an index key: the item leaves that index (sparse).
    c.update_item()
        .table_name("proj")
        .set_key(Some(key("u1", 8)))
        .update_expression("REMOVE gp, lk")
        .send()
        .await
        .unwrap();
    let m = model.get_mut(&("u1".into(), "s08".into())).unwrap();
    m.remove("gp");
    m.remove("lk");
    // Add index keys to an item that had none; change a projected non-key attribute.
    c.update_item()
        .table_name("proj")
        .set_key(Some(key("u2", 3)))
        .update_expression("SET lk = :l, gp = :g, a = :a")
        .expression_attribute_values(":l", s("l00"))
        .expression_attribute_values(":g", s("odd"))
        .expression_attribute_values(":a", s("changed"))
        .send()
        .await
        .unwrap();
    let m = model.get_mut(&("u2".into(), "s03".into())).unwrap();
    m.insert("lk".into(), s("l00"));
    m.insert("gp".into(), s("odd"));
    m.insert("a".into(), s("changed"));
    // Replace an item with PutItem without its index keys.
    let plain = item([("pk", s("u1")), ("sk", s("s10")), ("a", s("plain"))]);
    c.put_item()
        .table_name("proj")
        .set_item(Some(plain.clone()))
        .send()
        .await
        .unwrap();
    model.insert(model_key(&plain), plain);
    check_all_indexes(&c, &model, None).await;
    check_all_indexes(&c, &model, Some(3)).await;
    let d = c.describe_table().table_name("proj").send().await.unwrap();
    let t = d.table().unwrap();
    for gsi in t.global_secondary_indexes() {
        let i = ix(gsi.index_name().unwrap());
        let want = model.values().filter(|it| i.holds(it)).count() as i64;
        assert_eq!(
            gsi.item_count(),
            Some(want),
            "{} ItemCount after writes",
            i.name
        );
    }
}

#[tokio::test]
async fn index_errors() {
    let server = Server::start();
    let c = server.client();
    create_proj_table(&c).await;
    load(&c, "proj", (0..6).map(|i| proj_item("u1", i)).collect(), 1).await;

    assert_validation(
        c.query()
            .table_name("proj")
            .index_name("nope")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("u1"))
            .send()
            .await,
        "The table does not have the specified index: nope",
    );
    assert_validation(
        c.scan().table_name("proj").index_name("nope").send().await,
        "The table does not have the specified index: nope",
    );
    // The key condition refers to the index's keys, not the table's.
    assert_validation(
        c.query()
            .table_name("proj")
            .index_name("gsi_keys")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("u1"))
            .send()
            .await,
        "Query condition missed key schema element: gp",
    );
    assert_validation(
        c.query()
            .table_name("proj")
            .index_name("lsi_keys")
            .key_condition_expression("pk = :p AND sk = :s")
            .expression_attribute_values(":p", s("u1"))
            .expression_attribute_values(":s", s("s01"))
            .send()
            .await,
        "Query condition missed key schema element: lk",
    );
    // An index key attribute of the wrong type or empty is refused on every write path.
    let bad = item([("pk", s("u1")), ("sk", s("bad")), ("gs", s("x"))]);
    let mismatch =
        "One or more parameter values were invalid: Type mismatch for Index Key gs Expected: N Actual: S IndexName: gsi_keys";
    assert_validation(
        c.put_item()
            .table_name("proj")
            .set_item(Some(bad.clone()))
            .send()
            .await,
        mismatch,
    );
    assert_validation(
        c.batch_write_item()
            .request_items("proj", vec![put_req(bad)])
            .send()
            .await,
        mismatch,
    );
    assert_validation(
        c.update_item()
            .table_name("proj")
            .key("pk", s("u1"))
            .key("sk", s("s01"))
            .update_expression("SET gs = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        mismatch,
    );
    assert_validation(
        c.put_item()
            .table_name("proj")
            .set_item(Some(item([("pk", s("u1")), ("sk", s("e")), ("lk", s(""))])))
            .send()
            .await,
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: lsi_keys, IndexKey: lk",
    );
    // Nothing of the refused writes reached the table or an index.
    let out = c.scan().table_name("proj").send().await.unwrap();
    assert_eq!(out.count, 6);
    let out = c
        .scan()
        .table_name("proj")
        .index_name("gsi_all")
        .send()
        .await
        .unwrap();
    assert!(out.items().iter().all(|i| get_s(i, "sk") != "bad"));
    let got = c
        .get_item()
        .table_name("proj")
        .key("pk", s("u1"))
        .key("sk", s("s01"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap(), &proj_item("u1", 1));
    // A start key for an index must carry the index's keys.
    assert_validation(
        c.query()
            .table_name("proj")
            .index_name("gsi_keys")
            .key_condition_expression("gp = :g")
            .expression_attribute_values(":g", s("odd"))
            .exclusive_start_key("pk", s("u1"))
            .exclusive_start_key("sk", s("s01"))
            .send()
            .await,
        "The provided starting key is invalid: The provided key element does not match the schema",
    );
}

#[tokio::test]
async fn index_reads_in_reverse_in_segments_and_with_filters() {
    let server = Server::start();
    let c = server.client();
    create_proj_table(&c).await;
    let mut model = Model::new();
    for it in (0..40).map(|i| proj_item("u1", i)) {
        model.insert(model_key(&it), it);
    }
    load(&c, "proj", model.values().cloned().collect(), 1).await;

    // Reverse paging through an LSI and a GSI: each entry once, in descending order.
    for (index, hash, limit) in [
        ("lsi_keys", "u1", 3),
        ("gsi_incl", "odd", 2),
        ("gsi_all", "even", 1),
    ] {
        let i = ix(index);
        let pages = query_pages(
            c.query()
                .table_name("proj")
                .index_name(index)
                .key_condition_expression("#h = :h")
                .expression_attribute_names("#h", i.hash)
                .expression_attribute_values(":h", s(hash))
                .scan_index_forward(false)
                .limit(limit),
        )
        .await;
        let got = query_items(&pages);
        let mut fwd = got.clone();
        fwd.reverse();
        check_index_items(&model, i, Some(hash), &fwd, &format!("{index} reversed"));
    }

    // A parallel scan of a GSI: disjoint segments that together are the index.
    let mut union = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for seg in 0..3 {
        let pages = scan_pages(
            c.scan()
                .table_name("proj")
                .index_name("gsi_keys")
                .segment(seg)
                .total_segments(3)
                .limit(2),
        )
        .await;
        for it in scan_items(&pages) {
            assert!(
                seen.insert(model_key(&it)),
                "{:?} in two segments",
                model_key(&it)
            );
            union.push(it);
        }
    }
    check_index_items(&model, ix("gsi_keys"), None, &union, "gsi_keys segments");

    // On a GSI the attribute is simply absent from the entry.
    let out = c
        .query()
        .table_name("proj")
        .index_name("gsi_keys")
        .key_condition_expression("gp = :g")
        .filter_expression("attribute_exists(c)")
        .expression_attribute_values(":g", s("odd"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 0);
    assert!(out.scanned_count > 0);
}

/// DynamoDB fetches from the table the attributes a local index does not project, for a
/// FilterExpression as for a projection; shoal evaluates the filter on the index entry,
/// where the attribute is missing, and so drops every item.
#[tokio::test]
async fn lsi_filter_on_a_non_projected_attribute_fetches() {
    let server = Server::start();
    let c = server.client();
    create_proj_table(&c).await;
    let mut model = Model::new();
    for it in (0..10).map(|i| proj_item("u1", i)) {
        model.insert(model_key(&it), it);
    }
    load(&c, "proj", model.values().cloned().collect(), 1).await;
    // A filter on an attribute a local index does not project: DynamoDB fetches the
    // item to evaluate it, and returns the projected attributes of the matches.
    let out = c
        .query()
        .table_name("proj")
        .index_name("lsi_keys")
        .key_condition_expression("pk = :p")
        .filter_expression("c = :c")
        .expression_attribute_values(":p", s("u1"))
        .expression_attribute_values(":c", s("c5"))
        .send()
        .await
        .unwrap();
    let want = ix("lsi_keys").project(&model[&("u1".to_string(), "s05".to_string())]);
    assert_eq!(
        out.items(),
        [want],
        "filter on a non-projected LSI attribute"
    );
}
