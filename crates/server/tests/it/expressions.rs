//! The expression language end to end through the SDK (issue 3, items 1-4, 6 and 7):
//! every comparator, BETWEEN, IN, AND/OR/NOT precedence and the six functions on every
//! type they accept, as ConditionExpression and as FilterExpression on Query and Scan;
//! UpdateExpression actions on nested paths and every rejection class; projections on
//! every read operation; KeyConditionExpression forms; placeholder rules; failed
//! conditions with ALL_OLD; and a corpus of hostile expressions that must each get a
//! ValidationException while the server keeps serving. Legacy parameters are in `legacy`.
//!
//! Conditions are evaluated by re-putting an item under the condition: success means
//! the condition held, ConditionalCheckFailedException means it did not, and the item
//! never changes either way.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;

type Item = HashMap<String, AttributeValue>;
type Vals = [(&'static str, AttributeValue)];
type Names = [(&'static str, &'static str)];

// ---- helpers ----

fn bin(b: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(b.to_vec()))
}

fn ss(v: &[&str]) -> AttributeValue {
    AttributeValue::Ss(v.iter().map(|s| s.to_string()).collect())
}

fn ns(v: &[&str]) -> AttributeValue {
    AttributeValue::Ns(v.iter().map(|s| s.to_string()).collect())
}

fn bs(v: &[&[u8]]) -> AttributeValue {
    AttributeValue::Bs(v.iter().map(|b| Blob::new(b.to_vec())).collect())
}

fn list(v: Vec<AttributeValue>) -> AttributeValue {
    AttributeValue::L(v)
}

fn map<const K: usize>(pairs: [(&str, AttributeValue); K]) -> AttributeValue {
    AttributeValue::M(item(pairs))
}

/// Whether `key` occurs in `expr` as a whole placeholder (not a prefix of a longer one).
fn mentions(expr: &str, key: &str) -> bool {
    expr.match_indices(key).any(|(i, _)| {
        !expr[i + key.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The placeholders of `all` that `exprs` mention, so no request carries unused ones.
fn vals_for(exprs: &[&str], all: &Vals) -> Option<HashMap<String, AttributeValue>> {
    let m: HashMap<String, AttributeValue> = all
        .iter()
        .filter(|(k, _)| exprs.iter().any(|e| mentions(e, k)))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    (!m.is_empty()).then_some(m)
}

fn names_for(exprs: &[&str], all: &Names) -> Option<HashMap<String, String>> {
    let m: HashMap<String, String> = all
        .iter()
        .filter(|(k, _)| exprs.iter().any(|e| mentions(e, k)))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (!m.is_empty()).then_some(m)
}

async fn put(c: &Client, table: &str, it: &Item) {
    c.put_item()
        .table_name(table)
        .set_item(Some(it.clone()))
        .send()
        .await
        .unwrap();
}

/// Re-puts `it` under `expr`: `Ok(true)` if the condition held, `Ok(false)` on
/// ConditionalCheckFailedException, `Err((code, message))` on any other error.
async fn holds(
    c: &Client,
    table: &str,
    it: &Item,
    expr: &str,
    names: &Names,
    vals: &Vals,
) -> Result<bool, (String, String)> {
    let r = c
        .put_item()
        .table_name(table)
        .set_item(Some(it.clone()))
        .condition_expression(expr)
        .set_expression_attribute_names(names_for(&[expr], names))
        .set_expression_attribute_values(vals_for(&[expr], vals))
        .send()
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) => {
            let (code, msg) = service_error(e);
            if code == "ConditionalCheckFailedException" {
                assert_eq!(msg, "The conditional request failed");
                Ok(false)
            } else {
                Err((code, msg))
            }
        }
    }
}

fn validation(msg: &str) -> Result<bool, (String, String)> {
    Err(("ValidationException".to_string(), msg.to_string()))
}

/// Asserts a ValidationException whose message contains `part`.
#[track_caller]
fn assert_validation_contains(r: Result<bool, (String, String)>, part: &str) {
    match r {
        Err((code, msg)) => {
            assert_eq!(code, "ValidationException", "{msg}");
            assert!(msg.contains(part), "{msg:?} does not contain {part:?}");
        }
        Ok(v) => panic!("expected a ValidationException containing {part:?}, got {v}"),
    }
}

/// A document holding every attribute type.
fn doc() -> Item {
    item([
        ("pk", s("doc")),
        ("s", s("hello world")),
        ("n", n("10")),
        ("neg", n("-2.5")),
        ("b", bin(&[1, 2, 3])),
        ("t", AttributeValue::Bool(true)),
        ("z", AttributeValue::Null(true)),
        ("ss", ss(&["a", "b"])),
        ("ns", ns(&["1", "2", "3"])),
        ("bs", bs(&[&[1], &[2]])),
        (
            "l",
            list(vec![s("x"), n("1"), map([("k", s("v"))]), list(vec![])]),
        ),
        ("m", map([("k", s("v")), ("inr", map([("deep", n("5"))]))])),
        ("e", s("")),
    ])
}

/// Every value the condition tests use; each request carries only those it mentions.
fn doc_values() -> Vec<(&'static str, AttributeValue)> {
    vec![
        (":n0", n("0")),
        (":n1", n("1")),
        (":n2", n("2")),
        (":n3", n("3")),
        (":n4", n("4")),
        (":n5", n("5")),
        (":n9", n("9")),
        (":n10", n("10")),
        (":n10f", n("10.000")),
        (":n11", n("11")),
        (":n12", n("12")),
        (":n100", n("100")),
        (":nneg", n("-3")),
        (":s10", s("10")),
        (":s1", s("1")),
        (":sx", s("x")),
        (":sv", s("v")),
        (":sa", s("a")),
        (":sb", s("b")),
        (":sz", s("z")),
        (":sempty", s("")),
        (":hw", s("hello world")),
        (":hello", s("hello")),
        (":world", s("world")),
        (":low", s("lo w")),
        (":hex", s("hex")),
        (":b123", bin(&[1, 2, 3])),
        (":b124", bin(&[1, 2, 4])),
        (":b12", bin(&[1, 2])),
        (":b23", bin(&[2, 3])),
        (":b1", bin(&[1])),
        (":b9", bin(&[9])),
        (":true", AttributeValue::Bool(true)),
        (":false", AttributeValue::Bool(false)),
        (":null", AttributeValue::Null(true)),
        (":ssab", ss(&["a", "b"])),
        (":ssba", ss(&["b", "a"])),
        (":ssa", ss(&["a"])),
        (":ns321", ns(&["3", "2", "1"])),
        (":bs21", bs(&[&[2], &[1]])),
        (":mkv", map([("k", s("v"))])),
        (":minr", map([("deep", n("5"))])),
        (":lempty", list(vec![])),
        (":lx1", list(vec![s("x"), n("1")])),
        (
            ":lfull",
            list(vec![s("x"), n("1"), map([("k", s("v"))]), list(vec![])]),
        ),
        (":tS", s("S")),
        (":tN", s("N")),
        (":tB", s("B")),
        (":tBOOL", s("BOOL")),
        (":tNULL", s("NULL")),
        (":tSS", s("SS")),
        (":tNS", s("NS")),
        (":tBS", s("BS")),
        (":tL", s("L")),
        (":tM", s("M")),
        (":tbad", s("STRING")),
        (":tlower", s("s")),
    ]
}

async fn doc_table(c: &Client, table: &str) -> Item {
    create_hash_table(c, table).await;
    let d = doc();
    put(c, table, &d).await;
    d
}

/// Runs condition cases against the document and asserts each outcome, then proves
/// the document never changed.
async fn run_cases(c: &Client, table: &str, d: &Item, cases: &[(&str, bool)]) {
    let values = doc_values();
    for (expr, want) in cases {
        let got = holds(c, table, d, expr, &[], &values).await;
        assert_eq!(got, Ok(*want), "condition {expr}");
    }
    assert_eq!(get_pk(c, table, "doc").await.as_ref(), Some(d));
}

// ---- 1. conditions ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comparators_on_every_ordered_type() {
    let srv = Server::start();
    let c = srv.client();
    let d = doc_table(&c, "x_cmp").await;
    run_cases(
        &c,
        "x_cmp",
        &d,
        &[
            // Numbers compare numerically, whatever their spelling.
            ("n = :n10", true),
            ("n = :n10f", true),
            ("n = :n9", false),
            ("n <> :n9", true),
            ("n <> :n10", false),
            ("n < :n11", true),
            ("n < :n10", false),
            ("n <= :n10", true),
            ("n <= :n9", false),
            ("n > :n9", true),
            ("n > :n10", false),
            ("n >= :n10", true),
            ("n >= :n11", false),
            ("neg < :n0", true),
            ("neg > :nneg", true),
            ("n > :n9 AND neg < :n0", true),
            // Strings compare by code point.
            ("s = :hw", true),
            ("s < :world", true),
            ("s > :hello", true),
            ("s >= :hw", true),
            ("s <= :hello", false),
            ("s <> :hello", true),
            ("e = :sempty", true),
            ("e < :sa", true),
            // Binary compares as unsigned bytes.
            ("b = :b123", true),
            ("b < :b124", true),
            ("b > :b12", true),
            ("b <= :b12", false),
            ("b >= :b123", true),
            ("b < :b9", true),
            // Equality on every other type: sets are unordered, lists ordered.
            ("t = :true", true),
            ("t = :false", false),
            ("t <> :false", true),
            ("z = :null", true),
            ("ss = :ssba", true),
            ("ss = :ssab", true),
            ("ss = :ssa", false),
            ("ns = :ns321", true),
            ("bs = :bs21", true),
            ("m.inr = :minr", true),
            ("l[2] = :mkv", true),
            ("l = :lfull", true),
            ("l = :lx1", false),
            ("l[3] = :lempty", true),
            // Two paths: l[1] is 1, m.inner.deep is 5.
            ("n > l[1]", true),
            ("m.inr.deep > l[1]", true),
            ("m.inr.deep = n", false),
            ("m.k = l[2].k", true),
            // Values of different types are unequal and unordered, never an error.
            ("n = :s10", false),
            ("n <> :s10", true),
            ("n < :s10", false),
            ("n >= :s10", false),
            ("s > :n1", false),
            ("s <= :n1", false),
            ("b = :s1", false),
            ("b > :s1", false),
            ("t = :s1", false),
            ("ss = :ssa", false),
            ("s < l[1]", false),
            ("m > n", false),
            ("t > n", false),
            ("m = :mkv", false),
            // A missing attribute equals nothing, so only <> holds.
            ("nothere = :n1", false),
            ("nothere <> :n1", true),
            ("nothere < :n1", false),
            ("nothere >= :n1", false),
            ("l[9] = :sx", false),
            ("m.nope.deeper <> :sx", true),
            ("n.k = :sx", false),
            ("s[0] = :sx", false),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn between_and_in() {
    let srv = Server::start();
    let c = srv.client();
    let d = doc_table(&c, "x_btw").await;
    run_cases(
        &c,
        "x_btw",
        &d,
        &[
            ("n BETWEEN :n9 AND :n11", true),
            ("n BETWEEN :n10 AND :n10", true),
            ("n BETWEEN :n10 AND :n12", true),
            ("n BETWEEN :n11 AND :n12", false),
            ("n BETWEEN :n0 AND :n9", false),
            ("neg BETWEEN :nneg AND :n0", true),
            ("s BETWEEN :hello AND :world", true),
            ("s BETWEEN :sa AND :hello", false),
            ("b BETWEEN :b12 AND :b124", true),
            ("b BETWEEN :b124 AND :b9", false),
            ("m.inr.deep BETWEEN :n5 AND l[1]", false),
            ("m.inr.deep BETWEEN l[1] AND n", true),
            // Different type from the bounds: false, not an error.
            ("s BETWEEN :n0 AND :n100", false),
            ("n BETWEEN :sa AND :sz", false),
            ("nothere BETWEEN :n0 AND :n100", false),
            ("NOT nothere BETWEEN :n0 AND :n100", true),
            ("n IN (:n1, :n10)", true),
            ("n IN (:n10)", true),
            ("n IN (:n1, :n2, :n3)", false),
            ("n IN (:s10, :n10f)", true),
            ("n IN (:s10)", false),
            ("s IN (:hello, :hw)", true),
            ("ss IN (:ssa, :ssba)", true),
            ("ns IN (:ns321)", true),
            ("t IN (:false, :true)", true),
            ("z IN (:null)", true),
            ("m.inr IN (:mkv, :minr)", true),
            ("l[2] IN (:mkv)", true),
            ("l[1] IN (:n0, m.inr.deep, n)", false),
            ("m.inr.deep IN (:n0, l[1], :n5)", true),
            ("nothere IN (:n1, :null)", false),
        ],
    )
    .await;

    // 100 IN operands are accepted; 101 are not.
    let values: Vec<(&'static str, AttributeValue)> = (0..101)
        .map(|i| {
            let k: &'static str = Box::leak(format!(":v{i}").into_boxed_str());
            (k, n(&(i + 100).to_string()))
        })
        .collect();
    let ops = |k: usize| {
        (0..k)
            .map(|i| format!(":v{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let hundred = format!("n IN ({})", ops(100));
    assert_eq!(
        holds(&c, "x_btw", &d, &hundred, &[], &values).await,
        Ok(false)
    );
    let hundred_hit = format!("n IN ({}, :n10)", ops(99));
    let mut with_ten = values.clone();
    with_ten.push((":n10", n("10")));
    assert_eq!(
        holds(&c, "x_btw", &d, &hundred_hit, &[], &with_ten).await,
        Ok(true)
    );
    let too_many = format!("n IN ({})", ops(101));
    assert_eq!(
        holds(&c, "x_btw", &d, &too_many, &[], &values).await,
        validation(
            "Invalid ConditionExpression: The IN operator is provided with too many operands; \
             number of operands: 101"
        )
    );
    assert_eq!(get_pk(&c, "x_btw", "doc").await, Some(d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn and_or_not_precedence() {
    let srv = Server::start();
    let c = srv.client();
    let d = doc_table(&c, "x_prec").await;
    // T1, T2 hold; F1, F2 do not.
    let t1 = "n = :n10";
    let t2 = "s = :hw";
    let f1 = "n = :n9";
    let f2 = "s = :hello";
    let cases: Vec<(String, bool)> = vec![
        // AND binds tighter than OR.
        (format!("{t1} OR {t2} AND {f1}"), true),
        (format!("({t1} OR {t2}) AND {f1}"), false),
        (format!("{f1} AND {t1} OR {t2}"), true),
        (format!("{f1} AND ({t1} OR {t2})"), false),
        (format!("{f1} OR {f2} AND {t1} OR {t2}"), true),
        (format!("{f1} OR {f2} AND ({t1} OR {t2})"), false),
        // NOT binds tighter than AND and OR.
        (format!("NOT {f1} AND {f2}"), false),
        (format!("NOT ({f1} AND {f2})"), true),
        (format!("NOT {t1} OR {t2}"), true),
        (format!("NOT ({t1} OR {t2})"), false),
        (format!("NOT {f1} AND NOT {f2}"), true),
        (format!("NOT NOT {t1}"), true),
        (format!("NOT NOT NOT {t1}"), false),
        // NOT applies to a whole comparison, BETWEEN or IN.
        ("NOT n BETWEEN :n0 AND :n5".into(), true),
        ("NOT n IN (:n10)".into(), false),
        ("NOT attribute_exists(nothere)".into(), true),
        // Long flat chains.
        (format!("{t1} AND {t2} AND {t1} AND {t2} AND {f1}"), false),
        (format!("{f1} OR {f2} OR {f1} OR {f2} OR {t1}"), true),
        // Keywords are case-insensitive.
        (format!("{f1} or {t1} and not {f2}"), true),
        ("n between :n9 and :n11".into(), true),
        ("n in (:n1, :n10)".into(), true),
        // Whitespace and nesting.
        (format!("(({t1}) AND ({f1} OR ({t2})))"), true),
        (format!("\n\t{t1}\r\n AND\t{t2} "), true),
    ];
    let values = doc_values();
    for (expr, want) in &cases {
        assert_eq!(
            holds(&c, "x_prec", &d, expr, &[], &values).await,
            Ok(*want),
            "{expr}"
        );
    }
    assert_eq!(get_pk(&c, "x_prec", "doc").await, Some(d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_on_every_type() {
    let srv = Server::start();
    let c = srv.client();
    let d = doc_table(&c, "x_fn").await;
    let mut cases: Vec<(String, bool)> = vec![
        ("attribute_exists(s)".into(), true),
        ("attribute_exists(z)".into(), true),
        ("attribute_exists(e)".into(), true),
        ("attribute_exists(nothere)".into(), false),
        ("attribute_exists(m.inr.deep)".into(), true),
        ("attribute_exists(m.inr.nope)".into(), false),
        ("attribute_exists(l[3])".into(), true),
        ("attribute_exists(l[4])".into(), false),
        ("attribute_exists(l[2].k)".into(), true),
        ("attribute_exists(s.k)".into(), false),
        ("attribute_not_exists(nothere)".into(), true),
        ("attribute_not_exists(s)".into(), false),
        ("attribute_not_exists(l[9])".into(), true),
        ("attribute_not_exists(m.inr)".into(), false),
        // begins_with on S and B only.
        ("begins_with(s, :hello)".into(), true),
        ("begins_with(s, :hw)".into(), true),
        ("begins_with(s, :world)".into(), false),
        ("begins_with(s, :sempty)".into(), true),
        ("begins_with(b, :b12)".into(), true),
        ("begins_with(b, :b123)".into(), true),
        ("begins_with(b, :b23)".into(), false),
        ("begins_with(l[0], :sx)".into(), true),
        ("begins_with(m.k, l[0])".into(), false),
        ("begins_with(s, m.k)".into(), false),
        // An attribute of another type, or a mismatched prefix type: false.
        ("begins_with(n, :s1)".into(), false),
        ("begins_with(ss, :sa)".into(), false),
        ("begins_with(s, :b1)".into(), false),
        ("begins_with(b, :s1)".into(), false),
        ("begins_with(nothere, :sa)".into(), false),
        // contains: substrings of S and B, members of sets, elements of lists.
        ("contains(s, :low)".into(), true),
        ("contains(s, :hex)".into(), false),
        ("contains(s, :hw)".into(), true),
        ("contains(b, :b23)".into(), true),
        ("contains(b, :b9)".into(), false),
        ("contains(ss, :sa)".into(), true),
        ("contains(ss, :sz)".into(), false),
        ("contains(ss, :n1)".into(), false),
        ("contains(ns, :n2)".into(), true),
        ("contains(ns, :n4)".into(), false),
        ("contains(ns, :s1)".into(), false),
        ("contains(bs, :b1)".into(), true),
        ("contains(bs, :b9)".into(), false),
        ("contains(l, :sx)".into(), true),
        ("contains(l, :n1)".into(), true),
        ("contains(l, :s1)".into(), false),
        ("contains(l, :mkv)".into(), true),
        ("contains(l, :lempty)".into(), true),
        ("contains(l, :sv)".into(), false),
        ("contains(ss, l[0])".into(), false),
        ("contains(l, l[0])".into(), true),
        // contains on a type that holds nothing: false.
        ("contains(n, :n1)".into(), false),
        ("contains(m, :sv)".into(), false),
        ("contains(t, :true)".into(), false),
        ("contains(nothere, :sa)".into(), false),
        ("NOT contains(nothere, :sa)".into(), true),
    ];
    // attribute_type for every type: the right code holds, every other does not.
    let types = [
        ("s", "S"),
        ("n", "N"),
        ("b", "B"),
        ("t", "BOOL"),
        ("z", "NULL"),
        ("ss", "SS"),
        ("ns", "NS"),
        ("bs", "BS"),
        ("l", "L"),
        ("m", "M"),
    ];
    for (attr, code) in types {
        for (_, other) in types {
            cases.push((format!("attribute_type({attr}, :t{other})"), code == other));
        }
    }
    cases.push(("attribute_type(m.inr.deep, :tN)".into(), true));
    cases.push(("attribute_type(l[2], :tM)".into(), true));
    cases.push(("attribute_type(nothere, :tS)".into(), false));
    cases.push(("NOT attribute_type(nothere, :tS)".into(), true));
    // size of every sized type: bytes of S (UTF-8) and B, elements of sets, lists, maps.
    for (expr, want) in [
        ("size(s) = :n11", true),
        ("size(e) = :n0", true),
        ("size(b) = :n3", true),
        ("size(ss) = :n2", true),
        ("size(ns) = :n3", true),
        ("size(bs) = :n2", true),
        ("size(l) = :n4", true),
        ("size(m) = :n2", true),
        ("size(m.inr) = :n1", true),
        ("size(l[2]) = :n1", true),
        ("size(l[3]) = :n0", true),
        ("size(s) > :n10", true),
        ("size(s) < size(l)", false),
        ("size(l) > size(ss)", true),
        ("size(ns) BETWEEN :n2 AND :n3", true),
        ("size(ss) IN (:n1, :n2)", true),
        ("size(l) >= m.inr.deep", false),
        ("size(nothere) = :n0", false),
        ("size(nothere) > :n0", false),
        // Numbers, booleans and nulls have no size: comparisons with it are false.
        ("size(n) >= :n0", false),
        ("size(t) >= :n0", false),
        ("size(z) >= :n0", false),
    ] {
        cases.push((expr.into(), want));
    }
    let values = doc_values();
    for (expr, want) in &cases {
        assert_eq!(
            holds(&c, "x_fn", &d, expr, &[], &values).await,
            Ok(*want),
            "{expr}"
        );
    }
    assert_eq!(get_pk(&c, "x_fn", "doc").await, Some(d));

    // size counts UTF-8 bytes, not characters.
    let uni = item([("pk", s("uni")), ("u", s("h\u{e9}\u{1f600}"))]);
    put(&c, "x_fn", &uni).await;
    assert_eq!(
        holds(&c, "x_fn", &uni, "size(u) = :n", &[], &[(":n", n("7"))]).await,
        Ok(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condition_misuse_errors() {
    let srv = Server::start();
    let c = srv.client();
    let d = doc_table(&c, "x_bad").await;
    let v = doc_values();
    let cond = |expr: &'static str| {
        let c = c.clone();
        let d = d.clone();
        let v = v.clone();
        async move { holds(&c, "x_bad", &d, expr, &[], &v).await }
    };
    let p = "Invalid ConditionExpression: ";
    let exact: &[(&str, String)] = &[
        (
            "size(s)",
            format!(
                "{p}The function is not allowed to be used this way in an expression; \
                 function: size"
            ),
        ),
        (
            "attribute_exists(s) = :true",
            format!(
                "{p}The function is not allowed to be used this way in an expression; \
                 function: attribute_exists"
            ),
        ),
        (
            "n > contains(s, :sa)",
            format!(
                "{p}The function is not allowed to be used this way in an expression; \
                 function: contains"
            ),
        ),
        (
            "begins_with(s, :sa) IN (:true)",
            format!(
                "{p}The function is not allowed to be used this way in an expression; \
                 function: begins_with"
            ),
        ),
        (
            "nosuch(s)",
            format!("{p}Invalid function name; function: nosuch"),
        ),
        (
            "attribute_exists(s, n)",
            format!(
                "{p}Incorrect number of operands for operator or function; operator or \
                 function: attribute_exists, number of operands: 2"
            ),
        ),
        (
            "attribute_not_exists()",
            format!(
                "{p}Incorrect number of operands for operator or function; operator or \
                 function: attribute_not_exists, number of operands: 0"
            ),
        ),
        (
            "begins_with(s)",
            format!(
                "{p}Incorrect number of operands for operator or function; operator or \
                 function: begins_with, number of operands: 1"
            ),
        ),
        (
            "contains(s, :sa, :sb)",
            format!(
                "{p}Incorrect number of operands for operator or function; operator or \
                 function: contains, number of operands: 3"
            ),
        ),
        (
            "size(s, n) > :n1",
            format!(
                "{p}Incorrect number of operands for operator or function; operator or \
                 function: size, number of operands: 2"
            ),
        ),
        (
            "attribute_exists(:sa)",
            format!(
                "{p}Operator or function requires a document path; operator or function: \
                 attribute_exists"
            ),
        ),
        (
            "attribute_type(:sa, :tS)",
            format!(
                "{p}Operator or function requires a document path; operator or function: \
                 attribute_type"
            ),
        ),
        (
            "attribute_type(s, :tbad)",
            format!(
                "{p}Invalid attribute type name found; type: STRING, valid types: \
                 {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
            ),
        ),
        (
            "attribute_type(s, :tlower)",
            format!(
                "{p}Invalid attribute type name found; type: s, valid types: \
                 {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
            ),
        ),
        (
            "attribute_type(s, :n1)",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 attribute_type, operand type: N"
            ),
        ),
        (
            "begins_with(s, :n1)",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 begins_with, operand type: N"
            ),
        ),
        (
            "begins_with(s, :ssa)",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 begins_with, operand type: SS"
            ),
        ),
        (
            "n < :ssa",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 <, operand type: SS"
            ),
        ),
        (
            "n >= :true",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 >=, operand type: BOOL"
            ),
        ),
        (
            ":mkv > n",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 >, operand type: M"
            ),
        ),
        (
            "n BETWEEN :lempty AND :lx1",
            format!(
                "{p}Incorrect operand type for operator or function; operator or function: \
                 BETWEEN, operand type: L"
            ),
        ),
        (
            "n BETWEEN :n5 AND :n1",
            format!(
                "{p}The BETWEEN operator requires upper bound to be greater than or equal \
                 to lower bound; lower operand: AttributeValue: {{N:5}}, upper operand: \
                 AttributeValue: {{N:1}}"
            ),
        ),
        (
            "n BETWEEN :n1 AND :sx",
            format!(
                "{p}The BETWEEN operator requires same data type for lower and upper \
                 bounds; lower bound operand: AttributeValue: {{N:1}}, upper bound operand: \
                 AttributeValue: {{S:x}}"
            ),
        ),
        (
            "s BETWEEN :world AND :hello",
            format!(
                "{p}The BETWEEN operator requires upper bound to be greater than or equal \
                 to lower bound; lower operand: AttributeValue: {{S:world}}, upper operand: \
                 AttributeValue: {{S:hello}}"
            ),
        ),
        ("", format!("{p}The expression can not be empty;")),
        ("   ", format!("{p}The expression can not be empty;")),
    ];
    for (expr, msg) in exact {
        assert_eq!(cond(expr).await, validation(msg), "{expr:?}");
    }
    // Messages whose exact DynamoDB text is less certain: code and the distinctive part.
    for (expr, part) in [
        ("n = if_not_exists(n, :n1)", "if_not_exists"),
        ("l = list_append(l, :lx1)", "list_append"),
        ("contains(size(s), :n1)", "function: size"),
        ("n = n", "first operand must be distinct"),
        ("n IN (:n1, n)", "first operand must be distinct"),
        ("n", "Syntax error; token: \"<EOF>\""),
        ("n = ", "Syntax error; token: \"<EOF>\""),
        ("n == :n1", "Syntax error; token: \"=\""),
        ("n = :n1 AND", "Syntax error; token: \"<EOF>\""),
        ("n = :n1 :n2", "Syntax error; token: \":n2\""),
        ("n BETWEEN :n1 OR :n2", "Syntax error; token: \"OR\""),
        ("n IN ()", "Syntax error; token: \")\""),
        ("n IN :n1", "Syntax error; token: \":n1\""),
        ("(n = :n1", "Syntax error; token: \"<EOF>\""),
        ("n = :n1)", "Syntax error; token: \")\""),
        ("n != :n1", "Syntax error; token: \"!\""),
        ("n = :n1 && s = :hw", "Syntax error; token: \"&\""),
        ("l[x] = :sx", "Syntax error; token: \"x\""),
        ("l[-1] = :sx", "Syntax error; token: \"-\""),
        ("m. = :sx", "Syntax error"),
        ("1n = :n1", "Syntax error; token: \"1\""),
        ("n = # ", "Syntax error; token: \"#\""),
        ("AND = :n1", "Syntax error; token: \"AND\""),
    ] {
        assert_validation_contains(cond(expr).await, part);
    }
    assert_eq!(get_pk(&c, "x_bad", "doc").await, Some(d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditions_on_update_and_delete() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "x_cud").await;
    let base = item([
        ("pk", s("p")),
        ("sk", s("s")),
        ("ver", n("3")),
        ("tags", ss(&["red", "blue"])),
        ("doc", map([("state", s("open"))])),
    ]);
    put(&c, "x_cud", &base).await;
    let get = || async {
        c.get_item()
            .table_name("x_cud")
            .key("pk", s("p"))
            .key("sk", s("s"))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    };
    // UpdateItem: condition combining functions, nested paths and a reserved word.
    let upd = |cond: &str, ver: &str| {
        c.update_item()
            .table_name("x_cud")
            .key("pk", s("p"))
            .key("sk", s("s"))
            .update_expression("SET ver = :next")
            .condition_expression(cond)
            .expression_attribute_values(":next", n(ver))
    };
    let err = upd(
        "ver = :v AND contains(tags, :red) AND doc.#st = :closed",
        "4",
    )
    .expression_attribute_names("#st", "state")
    .expression_attribute_values(":v", n("3"))
    .expression_attribute_values(":red", s("red"))
    .expression_attribute_values(":closed", s("closed"))
    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    .send()
    .await
    .unwrap_err()
    .into_service_error();
    match err {
        UpdateItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.message(), Some("The conditional request failed"));
            assert_eq!(e.item(), Some(&base));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(get().await, Some(base.clone()));
    let out = upd(
        "ver = :v AND contains(tags, :red) AND (doc.#st = :closed OR size(tags) = :two)",
        "4",
    )
    .expression_attribute_names("#st", "state")
    .expression_attribute_values(":v", n("3"))
    .expression_attribute_values(":red", s("red"))
    .expression_attribute_values(":closed", s("closed"))
    .expression_attribute_values(":two", n("2"))
    .return_values(ReturnValue::UpdatedNew)
    .send()
    .await
    .unwrap();
    assert_eq!(out.attributes, Some(item([("ver", n("4"))])));
    // The key attributes are visible to the condition.
    upd("sk = :s AND begins_with(pk, :p)", "5")
        .expression_attribute_values(":s", s("s"))
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap();
    // UpdateItem on a missing item: the condition sees no attributes at all, and with
    // ALL_OLD the exception carries no item.
    let err = c
        .update_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("absent"))
        .update_expression("SET ver = :v")
        .condition_expression("attribute_exists(sk) OR ver = :v")
        .expression_attribute_values(":v", n("1"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        UpdateItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item(), None),
        other => panic!("{other:?}"),
    }
    c.update_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("absent"))
        .update_expression("SET ver = :v")
        .condition_expression("attribute_not_exists(pk) AND ver <> :v")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap();

    // DeleteItem with ALL_OLD on failure, then success.
    let now = get().await.unwrap();
    assert_eq!(now["ver"], n("5"));
    let err = c
        .delete_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .condition_expression("ver < :v")
        .expression_attribute_values(":v", n("5"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        DeleteItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.message(), Some("The conditional request failed"));
            assert_eq!(e.item(), Some(&now));
        }
        other => panic!("{other:?}"),
    }
    let err = c
        .delete_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .condition_expression("ver < :v")
        .expression_attribute_values(":v", n("5"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        DeleteItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item(), None),
        other => panic!("{other:?}"),
    }
    assert_eq!(get().await, Some(now.clone()));
    // A delete of a missing item under attribute_exists fails; ALL_OLD has nothing.
    let err = c
        .delete_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("nothing"))
        .condition_expression("attribute_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        DeleteItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item(), None),
        other => panic!("{other:?}"),
    }
    let out = c
        .delete_item()
        .table_name("x_cud")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .condition_expression("ver <= :v AND attribute_type(tags, :ss)")
        .expression_attribute_values(":v", n("5"))
        .expression_attribute_values(":ss", s("SS"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, Some(now));
    assert_eq!(get().await, None);

    // PutItem ALL_OLD on failure returns the whole stored item, including sets and maps.
    let stored = item([
        ("pk", s("q")),
        ("sk", s("s")),
        ("n", n("1")),
        ("nested", map([("l", list(vec![n("1"), s("two")]))])),
    ]);
    put(&c, "x_cud", &stored).await;
    let err = c
        .put_item()
        .table_name("x_cud")
        .set_item(Some(item([("pk", s("q")), ("sk", s("s"))])))
        .condition_expression("nested.l[1] = :x")
        .expression_attribute_values(":x", s("three"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        PutItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item(), Some(&stored)),
        other => panic!("{other:?}"),
    }
    let got = c
        .get_item()
        .table_name("x_cud")
        .key("pk", s("q"))
        .key("sk", s("s"))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item;
    assert_eq!(got, Some(stored));
}

// ---- 1. filters on Query and Scan ----

async fn filter_table(c: &Client, table: &str) {
    create_hash_range_table(c, table).await;
    for p in ["a", "b"] {
        for i in 1..=10 {
            let mut it = item([
                ("pk", s(p)),
                ("sk", s(&format!("{i:02}"))),
                ("v", n(&i.to_string())),
                ("parity", s(if i % 2 == 0 { "even" } else { "odd" })),
            ]);
            if i % 3 == 0 {
                it.insert("tags".into(), ss(&["three", p]));
            }
            if i == 7 {
                it.insert("status".into(), s("lucky"));
            }
            put(c, table, &it).await;
        }
    }
}

fn sk_list(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["sk"].as_s().unwrap().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_expressions_on_query() {
    let srv = Server::start();
    let c = srv.client();
    filter_table(&c, "x_fq").await;
    let q = |filter: &str| {
        c.query()
            .table_name("x_fq")
            .key_condition_expression("pk = :p")
            .filter_expression(filter)
            .expression_attribute_values(":p", s("a"))
    };
    let out = q("v > :five")
        .expression_attribute_values(":five", n("5"))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (5, 10));
    assert_eq!(sk_list(out.items()), ["06", "07", "08", "09", "10"]);

    let out = q("parity = :e AND NOT contains(tags, :three) OR #st = :lucky")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":e", s("even"))
        .expression_attribute_values(":three", s("three"))
        .expression_attribute_values(":lucky", s("lucky"))
        .send()
        .await
        .unwrap();
    assert_eq!(sk_list(out.items()), ["02", "04", "07", "08", "10"]);
    assert_eq!((out.count(), out.scanned_count()), (5, 10));

    // The filter runs after Limit: ScannedCount is what was read.
    let out = q("attribute_exists(tags)").limit(4).send().await.unwrap();
    assert_eq!((out.count(), out.scanned_count()), (1, 4));
    assert_eq!(sk_list(out.items()), ["03"]);
    assert!(out.last_evaluated_key().is_some());

    // Select COUNT with a filter returns counts only.
    let out = q("size(tags) = :two AND v BETWEEN :lo AND :hi")
        .expression_attribute_values(":two", n("2"))
        .expression_attribute_values(":lo", n("4"))
        .expression_attribute_values(":hi", n("9"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (2, 10));
    assert!(out.items().is_empty());

    // A filter matching nothing: empty page, full scanned count.
    let out = q("v IN (:x, :y)")
        .expression_attribute_values(":x", s("1"))
        .expression_attribute_values(":y", n("11"))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (0, 10));

    // Filter with a projection: the filter sees the whole item.
    let out = q("v = :one")
        .expression_attribute_values(":one", n("1"))
        .projection_expression("parity")
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), [item([("parity", s("odd"))])]);

    // A query filter may not read the key attributes.
    assert_validation(
        q("sk > :x")
            .expression_attribute_values(":x", s("05"))
            .send()
            .await,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: \
         sk",
    );
    assert_validation(
        q("v > :x OR begins_with(pk, :x)")
            .expression_attribute_values(":x", s("a"))
            .send()
            .await,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: \
         pk",
    );
    // Filter errors name the FilterExpression.
    assert_validation(
        q("v > :undefined").send().await,
        "Invalid FilterExpression: An expression attribute value used in expression is not \
         defined; attribute value: :undefined",
    );
    assert_validation(
        q("size(v)").send().await,
        "Invalid FilterExpression: The function is not allowed to be used this way in an \
         expression; function: size",
    );
    let (code, msg) = service_error(q("v >").send().await.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("Invalid FilterExpression: Syntax error; token: \"<EOF>\""),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_expressions_on_scan() {
    let srv = Server::start();
    let c = srv.client();
    filter_table(&c, "x_fs").await;
    let scan = |filter: &str| {
        c.scan()
            .table_name("x_fs")
            .filter_expression(filter)
            .consistent_read(true)
    };
    let keys = |items: &[Item]| {
        let mut v: Vec<String> = items
            .iter()
            .map(|i| format!("{}{}", i["pk"].as_s().unwrap(), i["sk"].as_s().unwrap()))
            .collect();
        v.sort();
        v
    };
    // Scan filters may read key attributes.
    let out = scan("pk = :b AND sk >= :x")
        .expression_attribute_values(":b", s("b"))
        .expression_attribute_values(":x", s("09"))
        .send()
        .await
        .unwrap();
    assert_eq!(keys(out.items()), ["b09", "b10"]);
    assert_eq!((out.count(), out.scanned_count()), (2, 20));

    let out = scan("contains(tags, :a) OR (v < :two AND attribute_not_exists(tags))")
        .expression_attribute_values(":a", s("a"))
        .expression_attribute_values(":two", n("2"))
        .send()
        .await
        .unwrap();
    assert_eq!(keys(out.items()), ["a01", "a03", "a06", "a09", "b01"]);
    assert_eq!((out.count(), out.scanned_count()), (5, 20));

    let out = scan("attribute_type(tags, :ss) AND NOT begins_with(pk, :a)")
        .expression_attribute_values(":ss", s("SS"))
        .expression_attribute_values(":a", s("a"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (3, 20));
    assert!(out.items().is_empty());

    // Count vs ScannedCount across pages with a Limit.
    let mut start = None;
    let (mut count, mut scanned, mut pages) = (0, 0, 0);
    loop {
        let out = scan("parity = :odd")
            .expression_attribute_values(":odd", s("odd"))
            .limit(7)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        assert!(out.scanned_count() <= 7);
        assert_eq!(out.count() as usize, out.items().len());
        count += out.count();
        scanned += out.scanned_count();
        pages += 1;
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!((count, scanned), (10, 20));
    assert!(pages >= 3, "{pages} pages");

    // Filter with projection and names on Scan.
    let out = scan("#s = :l")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":l", s("lucky"))
        .projection_expression("pk, #s")
        .send()
        .await
        .unwrap();
    let mut got = out.items().to_vec();
    got.sort_by_key(|i| i["pk"].as_s().unwrap().clone());
    assert_eq!(
        got,
        [
            item([("pk", s("a")), ("status", s("lucky"))]),
            item([("pk", s("b")), ("status", s("lucky"))])
        ]
    );

    assert_validation(
        scan("v BETWEEN :hi AND :lo")
            .expression_attribute_values(":hi", n("9"))
            .expression_attribute_values(":lo", n("1"))
            .send()
            .await,
        "Invalid FilterExpression: The BETWEEN operator requires upper bound to be greater than \
         or equal to lower bound; lower operand: AttributeValue: {N:9}, upper operand: \
         AttributeValue: {N:1}",
    );
    assert_validation(
        scan("status = :l")
            .expression_attribute_values(":l", s("lucky"))
            .send()
            .await,
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: \
         status",
    );
}

// ---- 2. updates ----

async fn upd_table(c: &Client, table: &str) -> Item {
    create_hash_range_table(c, table).await;
    let base = item([
        ("pk", s("k")),
        ("sk", s("s")),
        (
            "a",
            map([(
                "b",
                list(vec![
                    map([("c", n("0"))]),
                    map([("c", n("1"))]),
                    map([("c", n("2"))]),
                    map([("c", n("3")), ("d", s("keep"))]),
                ]),
            )]),
        ),
        ("l", list(vec![n("0"), n("1"), n("2"), n("3"), n("4")])),
        ("n", n("5")),
        ("str", s("text")),
        ("ss", ss(&["a", "b"])),
        ("ns", ns(&["1", "2"])),
        ("bs", bs(&[&[1], &[2]])),
        ("big", n("9E+125")),
        ("lng", n("12345678901234567890123456789012345678")),
    ]);
    put(c, table, &base).await;
    base
}

fn key_ks() -> Item {
    item([("pk", s("k")), ("sk", s("s"))])
}

async fn read(c: &Client, table: &str) -> Item {
    c.get_item()
        .table_name(table)
        .set_key(Some(key_ks()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

fn sorted_set(v: &AttributeValue) -> Vec<String> {
    let mut out: Vec<String> = match v {
        AttributeValue::Ss(x) | AttributeValue::Ns(x) => x.clone(),
        AttributeValue::Bs(x) => x.iter().map(|b| format!("{:?}", b.as_ref())).collect(),
        other => panic!("not a set: {other:?}"),
    };
    out.sort();
    out
}

/// UpdateItem on the `key_ks()` item with `expr` and the placeholders it mentions.
async fn update(
    c: &Client,
    table: &str,
    expr: &str,
    vals: &Vals,
    rv: ReturnValue,
) -> Result<Option<Item>, (String, String)> {
    c.update_item()
        .table_name(table)
        .set_key(Some(key_ks()))
        .update_expression(expr)
        .set_expression_attribute_values(vals_for(&[expr], vals))
        .return_values(rv)
        .send()
        .await
        .map(|o| o.attributes)
        .map_err(service_error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_actions_on_nested_paths() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_upd";
    let base = upd_table(&c, t).await;
    let v: Vec<(&'static str, AttributeValue)> = vec![
        (":v", s("new")),
        (":x", s("x")),
        (":y", s("y")),
        (":one", n("1")),
        (":two", n("2")),
        (":neg", n("-7.5")),
        (":z", n("0")),
        (":l", list(vec![s("p"), s("q")])),
        (":e", list(vec![])),
        (":ssc", ss(&["c", "a"])),
        (":nsadd", ns(&["3", "1"])),
        (":bsadd", bs(&[&[3]])),
        (":ssa", ss(&["a", "zzz"])),
        (":ns12", ns(&["1", "2"])),
        (":bs1", bs(&[&[1]])),
        (":m", map([("x", list(vec![n("1")]))])),
    ];

    // SET on a nested path, with UPDATED_OLD and UPDATED_NEW.
    let old = update(&c, t, "SET a.b[3].c = :v", &v, ReturnValue::UpdatedOld)
        .await
        .unwrap();
    assert_eq!(
        old,
        Some(item([(
            "a",
            map([("b", list(vec![map([("c", n("3"))])]))])
        )]))
    );
    let new = update(&c, t, "SET a.b[3].c = :x", &v, ReturnValue::UpdatedNew)
        .await
        .unwrap();
    assert_eq!(
        new,
        Some(item([(
            "a",
            map([("b", list(vec![map([("c", s("x"))])]))])
        )]))
    );
    let now = read(&c, t).await;
    assert_eq!(
        now["a"],
        map([(
            "b",
            list(vec![
                map([("c", n("0"))]),
                map([("c", n("1"))]),
                map([("c", n("2"))]),
                map([("c", s("x")), ("d", s("keep"))]),
            ])
        )])
    );

    // Several nested targets at once; new map keys; UPDATED_NEW lists only those.
    let new = update(
        &c,
        t,
        "SET a.b[0].c = a.b[1].c + :two, a.b[1].added = :m, a.fresh = :y",
        &v,
        ReturnValue::UpdatedNew,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        new,
        item([(
            "a",
            map([
                (
                    "b",
                    list(vec![
                        map([("c", n("3"))]),
                        map([("added", map([("x", list(vec![n("1")]))]))]),
                    ])
                ),
                ("fresh", s("y")),
            ])
        )])
    );
    // A deeper read of what was just written, through a list inside a map inside a list.
    let got = c
        .get_item()
        .table_name(t)
        .set_key(Some(key_ks()))
        .projection_expression("a.b[1].added.x[0]")
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        got,
        item([(
            "a",
            map([(
                "b",
                list(vec![map([("added", map([("x", list(vec![n("1")]))]))])])
            )])
        )])
    );

    // SET past the end of a list appends; UPDATED_NEW shows where it landed.
    let new = update(&c, t, "SET l[100] = :x", &v, ReturnValue::UpdatedNew)
        .await
        .unwrap();
    assert_eq!(new, Some(item([("l", list(vec![s("x")]))])));
    assert_eq!(
        read(&c, t).await["l"],
        list(vec![n("0"), n("1"), n("2"), n("3"), n("4"), s("x")])
    );
    // Two appends past the end in one update both land, in order.
    update(&c, t, "SET l[50] = :x, l[60] = :y", &v, ReturnValue::None)
        .await
        .unwrap();
    assert_eq!(
        read(&c, t).await["l"],
        list(vec![
            n("0"),
            n("1"),
            n("2"),
            n("3"),
            n("4"),
            s("x"),
            s("x"),
            s("y")
        ])
    );

    // REMOVE of list elements shifts the rest; indexes name the original elements.
    let old = update(
        &c,
        t,
        "REMOVE l[1], l[3], l[99]",
        &v,
        ReturnValue::UpdatedOld,
    )
    .await
    .unwrap();
    assert_eq!(old, Some(item([("l", list(vec![n("1"), n("3")]))])));
    assert_eq!(
        read(&c, t).await["l"],
        list(vec![n("0"), n("2"), n("4"), s("x"), s("x"), s("y")])
    );
    update(
        &c,
        t,
        "REMOVE l[0], a.b[3].d, a.fresh",
        &v,
        ReturnValue::None,
    )
    .await
    .unwrap();
    let now = read(&c, t).await;
    assert_eq!(now["l"], list(vec![n("2"), n("4"), s("x"), s("x"), s("y")]));
    assert_eq!(
        now["a"],
        map([(
            "b",
            list(vec![
                map([("c", n("3"))]),
                map([("c", n("1")), ("added", map([("x", list(vec![n("1")]))]))]),
                map([("c", n("2"))]),
                map([("c", s("x"))]),
            ])
        )])
    );

    // Arithmetic, if_not_exists and list_append, all reading the item before the update.
    let new = update(
        &c,
        t,
        "SET n = n - :two, m1 = :two - n, m2 = n + n, dflt = if_not_exists(nothing, :neg), \
         kept = if_not_exists(n, :z), inc = if_not_exists(cnt, :z) + :one, \
         front = list_append(:l, l), tail = list_append(l, :l), \
         fresh = list_append(if_not_exists(fresh, :e), :l)",
        &v,
        ReturnValue::UpdatedNew,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(new["n"], n("3"));
    assert_eq!(new["m1"], n("-3"));
    assert_eq!(new["m2"], n("10"));
    assert_eq!(new["dflt"], n("-7.5"));
    assert_eq!(new["kept"], n("5"));
    assert_eq!(new["inc"], n("1"));
    assert_eq!(
        new["front"],
        list(vec![s("p"), s("q"), n("2"), n("4"), s("x"), s("x"), s("y")])
    );
    assert_eq!(
        new["tail"],
        list(vec![n("2"), n("4"), s("x"), s("x"), s("y"), s("p"), s("q")])
    );
    assert_eq!(new["fresh"], list(vec![s("p"), s("q")]));
    assert_eq!(new.len(), 9);

    // ADD numbers (creating missing ones) and sets; DELETE from sets.
    let new = update(
        &c,
        t,
        "ADD n :neg, newnum :two, ss :ssc, ns :nsadd, bs :bsadd, newset :ssa, a.b[2].c :one",
        &v,
        ReturnValue::UpdatedNew,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(new["n"], n("-4.5"));
    assert_eq!(new["newnum"], n("2"));
    assert_eq!(sorted_set(&new["ss"]), ["a", "b", "c"]);
    assert_eq!(sorted_set(&new["ns"]), ["1", "2", "3"]);
    assert_eq!(sorted_set(&new["bs"]), ["[1]", "[2]", "[3]"]);
    assert_eq!(sorted_set(&new["newset"]), ["a", "zzz"]);
    assert_eq!(new["a"], map([("b", list(vec![map([("c", n("3"))])]))]));
    let old = update(
        &c,
        t,
        "DELETE ss :ssa, ns :ns12, bs :bs1, absent :ssa",
        &v,
        ReturnValue::UpdatedOld,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(sorted_set(&old["ss"]), ["a", "b", "c"]);
    assert_eq!(sorted_set(&old["ns"]), ["1", "2", "3"]);
    let now = read(&c, t).await;
    assert_eq!(sorted_set(&now["ss"]), ["b", "c"]);
    assert_eq!(sorted_set(&now["ns"]), ["3"]);
    assert_eq!(sorted_set(&now["bs"]), ["[2]", "[3]"]);
    assert!(!now.contains_key("absent"));
    // Deleting the last members removes the attribute.
    update(&c, t, "DELETE ns :nsadd", &v, ReturnValue::None)
        .await
        .unwrap();
    assert!(!read(&c, t).await.contains_key("ns"));

    // All four clauses in one expression, in any order.
    let new = update(
        &c,
        t,
        "DELETE ss :ssc ADD n :one REMOVE str SET str2 = str",
        &v,
        ReturnValue::AllNew,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(new["n"], n("-3.5"));
    assert_eq!(new["str2"], s("text"));
    assert!(!new.contains_key("str"));
    assert_eq!(sorted_set(&new["ss"]), ["b"]);
    assert_eq!(new["pk"], base["pk"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_rejections_change_nothing() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_urej";
    upd_table(&c, t).await;
    // As stored (shoal may spell numbers differently from how they were written).
    let base = read(&c, t).await;
    let v: Vec<(&'static str, AttributeValue)> = vec![
        (":v", s("v")),
        (":one", n("1")),
        (":tenth", n("0.1")),
        (":s", s("str")),
        (":l", list(vec![n("1")])),
        (":m", map([("k", s("v"))])),
        (":bool", AttributeValue::Bool(true)),
        (":null", AttributeValue::Null(true)),
        (":b", bin(&[1])),
        (":ss", ss(&["x"])),
        (":ns", ns(&["1"])),
        (":big", n("9E+125")),
        (":negbig", n("-9E+125")),
    ];
    let u = "Invalid UpdateExpression: ";
    let exact: Vec<(&str, String)> = vec![
        // Overlapping and conflicting paths.
        (
            "SET a.b = :v REMOVE a",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of \
                 these paths; path one: [a, b], path two: [a]"
            ),
        ),
        (
            "SET a.b[3].c = :v, a.b[3] = :v",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of \
                 these paths; path one: [a, b, [3], c], path two: [a, b, [3]]"
            ),
        ),
        (
            "SET n = :one ADD n :one",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of \
                 these paths; path one: [n], path two: [n]"
            ),
        ),
        (
            "ADD ss :ss DELETE ss :ss",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of \
                 these paths; path one: [ss], path two: [ss]"
            ),
        ),
        (
            "REMOVE l[1], l[1]",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of \
                 these paths; path one: [l, [1]], path two: [l, [1]]"
            ),
        ),
        (
            "SET a.b = :v, a[0] = :v",
            format!(
                "{u}Two document paths conflict with each other; must remove or rewrite one of \
                 these paths; path one: [a, b], path two: [a, [0]]"
            ),
        ),
        (
            "SET l[0] = :v REMOVE l.x",
            format!(
                "{u}Two document paths conflict with each other; must remove or rewrite one of \
                 these paths; path one: [l, [0]], path two: [l, x]"
            ),
        ),
        // A clause given twice.
        (
            "SET x = :v SET y = :v",
            format!("{u}The \"SET\" section can only be used once in an update expression;"),
        ),
        (
            "REMOVE x REMOVE y",
            format!("{u}The \"REMOVE\" section can only be used once in an update expression;"),
        ),
        (
            "ADD n :one SET x = :v ADD m :one",
            format!("{u}The \"ADD\" section can only be used once in an update expression;"),
        ),
        (
            "DELETE ss :ss DELETE bs :ss",
            format!("{u}The \"DELETE\" section can only be used once in an update expression;"),
        ),
        // Key attributes, in every clause and through a nested path.
        (
            "REMOVE sk",
            "Cannot update attribute sk. This attribute is part of the key".into(),
        ),
        (
            "ADD pk :one",
            "Cannot update attribute pk. This attribute is part of the key".into(),
        ),
        (
            "SET x = :v, sk = :v",
            "Cannot update attribute sk. This attribute is part of the key".into(),
        ),
        (
            "DELETE pk :ss",
            "Cannot update attribute pk. This attribute is part of the key".into(),
        ),
        // Parent paths that are missing or of the wrong type.
        (
            "SET nope.x = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET nope[0] = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET a.nope.x = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET a.b[9].c = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET l[0].x = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET a[0] = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET l.x = :v",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "ADD nope.x :one",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "DELETE a.nope.x :ss",
            "The document path provided in the update expression is invalid for update".into(),
        ),
        (
            "SET x = nothere",
            "The provided expression refers to an attribute that does not exist in the item".into(),
        ),
        (
            "SET x = list_append(nothere, :l)",
            "The provided expression refers to an attribute that does not exist in the item".into(),
        ),
        (
            "SET x = a.b[9].c",
            "The provided expression refers to an attribute that does not exist in the item".into(),
        ),
        // Operands of the wrong type found in the item.
        (
            "SET x = str + :one",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "SET x = :one - ss",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "SET x = list_append(n, :l)",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "SET x = list_append(:l, a)",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "ADD str :one",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "ADD n :ss",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "ADD ss :ns",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "ADD l :ss",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "DELETE ss :ns",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        (
            "DELETE n :ns",
            "An operand in the update expression has an incorrect data type".into(),
        ),
        // Constant operands of the wrong type, known before reading the item.
        (
            "SET x = n + :s",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: +, \
                 operand type: S"
            ),
        ),
        (
            "SET x = :l - n",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: -, \
                 operand type: L"
            ),
        ),
        (
            "SET x = list_append(l, :one)",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: \
                 list_append, operand type: N"
            ),
        ),
        (
            "SET x = list_append(:m, l)",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: \
                 list_append, operand type: M"
            ),
        ),
        (
            "ADD x :s",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: STRING"
            ),
        ),
        (
            "ADD x :l",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: LIST"
            ),
        ),
        (
            "ADD x :m",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: MAP"
            ),
        ),
        (
            "ADD x :bool",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: BOOLEAN"
            ),
        ),
        (
            "ADD x :b",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: BINARY"
            ),
        ),
        (
            "ADD x :null",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand \
                 type: NULL"
            ),
        ),
        (
            "DELETE ss :one",
            format!(
                "{u}Incorrect operand type for operator or function; operator: DELETE, operand \
                 type: NUMBER"
            ),
        ),
        (
            "DELETE ss :s",
            format!(
                "{u}Incorrect operand type for operator or function; operator: DELETE, operand \
                 type: STRING"
            ),
        ),
        (
            "DELETE l :l",
            format!(
                "{u}Incorrect operand type for operator or function; operator: DELETE, operand \
                 type: LIST"
            ),
        ),
        // Functions that are not update functions, or used wrongly.
        (
            "SET x = nosuch(l)",
            format!("{u}Invalid function name; function: nosuch"),
        ),
        (
            "SET x = if_not_exists(n)",
            format!(
                "{u}Incorrect number of operands for operator or function; operator or \
                 function: if_not_exists, number of operands: 1"
            ),
        ),
        (
            "SET x = list_append(l, :l, :l)",
            format!(
                "{u}Incorrect number of operands for operator or function; operator or \
                 function: list_append, number of operands: 3"
            ),
        ),
        (
            "SET x = if_not_exists(:one, n)",
            format!(
                "{u}Operator or function requires a document path; operator or function: \
                 if_not_exists"
            ),
        ),
        // Placeholders and reserved words.
        (
            "SET x = :undefined",
            format!(
                "{u}An expression attribute value used in expression is not defined; \
                 attribute value: :undefined"
            ),
        ),
        (
            "SET #undefined = :v",
            format!(
                "{u}An expression attribute name used in the document path is not defined; \
                 attribute name: #undefined"
            ),
        ),
        (
            "SET size = :v",
            format!("{u}Attribute name is a reserved keyword; reserved keyword: size"),
        ),
        (
            "REMOVE a.status",
            format!("{u}Attribute name is a reserved keyword; reserved keyword: status"),
        ),
        ("", format!("{u}The expression can not be empty;")),
    ];
    for (expr, msg) in &exact {
        assert_eq!(
            update(&c, t, expr, &v, ReturnValue::AllNew).await,
            Err(("ValidationException".into(), msg.clone())),
            "{expr:?}"
        );
    }
    // Number range: a result beyond 38 significant digits or 1E+126 is refused.
    for (expr, part) in [
        ("ADD big :big", "Number overflow"),
        ("SET x = big + :big", "Number overflow"),
        ("SET x = :negbig - big", "Number overflow"),
        ("SET x = lng + :tenth", "38 significant digits"),
        ("SET x = size(l)", "size"),
        ("ADD lng :tenth", "38 significant digits"),
    ] {
        match update(&c, t, expr, &v, ReturnValue::None).await {
            Err((code, msg)) => {
                assert_eq!(code, "ValidationException", "{expr}: {msg}");
                assert!(msg.contains(part), "{expr}: {msg:?} lacks {part:?}");
            }
            Ok(o) => panic!("{expr} succeeded: {o:?}"),
        }
    }
    // Syntax errors.
    for expr in [
        "SET",
        "SET x",
        "SET x =",
        "SET x = :v,",
        "SET x = :v + ",
        "SET x = :v + :one + :one",
        "REMOVE",
        "REMOVE x = :v",
        "ADD x",
        "ADD x :one :one",
        "DELETE x",
        "DELETE x y",
        "UPDATE x = :v",
        "SET x = :v AND y = :v",
        "x = :v",
        "SET x[a] = :v",
    ] {
        match update(&c, t, expr, &v, ReturnValue::None).await {
            Err((code, msg)) => {
                assert_eq!(code, "ValidationException", "{expr}: {msg}");
                assert!(
                    msg.starts_with("Invalid UpdateExpression: Syntax error; token: "),
                    "{expr}: {msg}"
                );
            }
            Ok(o) => panic!("{expr} succeeded: {o:?}"),
        }
    }
    assert_eq!(
        read(&c, t).await,
        base,
        "no rejected update changed the item"
    );
    // Just inside the range is fine.
    update(&c, t, "SET x = lng + :one", &v, ReturnValue::None)
        .await
        .unwrap();
    assert_eq!(
        read(&c, t).await["x"],
        n("12345678901234567890123456789012345679")
    );
}

// ---- 3. projections ----

async fn proj_table(c: &Client, table: &str) -> Item {
    create_hash_range_table(c, table).await;
    let full = item([
        ("pk", s("p")),
        ("sk", s("1")),
        (
            "a",
            map([(
                "b",
                list(vec![
                    map([("c", n("0")), ("d", s("d0"))]),
                    map([("c", n("1")), ("d", s("d1"))]),
                    map([("c", n("2")), ("d", s("d2"))]),
                ]),
            )]),
        ),
        ("l", list(vec![s("l0"), s("l1"), s("l2"), s("l3")])),
        ("top", s("T")),
        ("name", s("reserved")),
        ("dotted.name", s("literal dot")),
    ]);
    put(c, table, &full).await;
    let mut second = full.clone();
    second.insert("sk".into(), s("2"));
    second.insert("top".into(), s("T2"));
    put(c, table, &second).await;
    full
}

/// What `a.b[1].c, l[0], l[2], l[9], #n, #dn, a.b[2].nope` yields from the first item.
fn projected(top: &str) -> Item {
    item([
        ("a", map([("b", list(vec![map([("c", n("1"))])]))])),
        ("l", list(vec![s("l0"), s("l2")])),
        ("name", s("reserved")),
        ("dotted.name", s("literal dot")),
        ("top", s(top)),
    ])
}

const PROJ: &str = "a.b[1].c, l[2], l[0], l[9], #n, #dn, a.b[2].nope, top";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_on_every_read() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_proj";
    let full = proj_table(&c, t).await;
    let names = |b: HashMap<String, String>| Some(b);
    let pnames: HashMap<String, String> = [("#n", "name"), ("#dn", "dotted.name")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();

    let got = c
        .get_item()
        .table_name(t)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .projection_expression(PROJ)
        .set_expression_attribute_names(names(pnames.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got, projected("T"));

    let out = c
        .query()
        .table_name(t)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .projection_expression(PROJ)
        .set_expression_attribute_names(names(pnames.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), [projected("T"), projected("T2")]);

    let out = c
        .scan()
        .table_name(t)
        .projection_expression(PROJ)
        .set_expression_attribute_names(names(pnames.clone()))
        .send()
        .await
        .unwrap();
    let mut items = out.items().to_vec();
    items.sort_by_key(|i| i["top"].as_s().unwrap().clone());
    assert_eq!(items, [projected("T"), projected("T2")]);

    let ka = KeysAndAttributes::builder()
        .keys(item([("pk", s("p")), ("sk", s("1"))]))
        .keys(item([("pk", s("p")), ("sk", s("2"))]))
        .keys(item([("pk", s("p")), ("sk", s("nothere"))]))
        .projection_expression(PROJ)
        .set_expression_attribute_names(names(pnames.clone()))
        .build()
        .unwrap();
    let out = c
        .batch_get_item()
        .request_items(t, ka)
        .send()
        .await
        .unwrap();
    let mut items = out.responses().unwrap()[t].clone();
    items.sort_by_key(|i| i["top"].as_s().unwrap().clone());
    assert_eq!(items, [projected("T"), projected("T2")]);

    // A path through the wrong type yields nothing; whole containers come back whole.
    let got = c
        .get_item()
        .table_name(t)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .projection_expression("top.x, l[0].x, a.b, sk")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        got,
        item([
            ("a", map([("b", full["a"].as_m().unwrap()["b"].clone())])),
            ("sk", s("1"))
        ])
    );
    // Without a placeholder the dot is a path separator, not part of a name.
    let got = c
        .get_item()
        .table_name(t)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .projection_expression("dotted.#x")
        .expression_attribute_names("#x", "name")
        .send()
        .await
        .unwrap()
        .item;
    assert!(got.unwrap_or_default().is_empty());

    // Overlapping and conflicting projection paths, on every read.
    let overlap = "Invalid ProjectionExpression: Two document paths overlap with each other; must \
                   remove or rewrite one of these paths; path one: [a, b], path two: [a, b, [1], \
                   c]";
    let conflict = "Invalid ProjectionExpression: Two document paths conflict with each other; \
                    must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, \
                    x]";
    for (expr, msg) in [("a.b, a.b[1].c", overlap), ("l[0], l.x", conflict)] {
        assert_validation(
            c.get_item()
                .table_name(t)
                .key("pk", s("p"))
                .key("sk", s("1"))
                .projection_expression(expr)
                .send()
                .await,
            msg,
        );
        assert_validation(
            c.query()
                .table_name(t)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("p"))
                .projection_expression(expr)
                .send()
                .await,
            msg,
        );
        assert_validation(
            c.scan()
                .table_name(t)
                .projection_expression(expr)
                .send()
                .await,
            msg,
        );
        let ka = KeysAndAttributes::builder()
            .keys(item([("pk", s("p")), ("sk", s("1"))]))
            .projection_expression(expr)
            .build()
            .unwrap();
        assert_validation(c.batch_get_item().request_items(t, ka).send().await, msg);
    }
    let ka = KeysAndAttributes::builder()
        .keys(item([("pk", s("p")), ("sk", s("1"))]))
        .projection_expression("top, #u")
        .expression_attribute_names("#u", "top2")
        .expression_attribute_names("#unused", "x")
        .build()
        .unwrap();
    assert_validation(
        c.batch_get_item().request_items(t, ka).send().await,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
    );
    let ka = KeysAndAttributes::builder()
        .keys(item([("pk", s("p")), ("sk", s("1"))]))
        .projection_expression("#nope")
        .build()
        .unwrap();
    assert_validation(
        c.batch_get_item().request_items(t, ka).send().await,
        "Invalid ProjectionExpression: An expression attribute name used in the document path \
         is not defined; attribute name: #nope",
    );
    let (code, msg) = service_error(
        c.scan()
            .table_name(t)
            .projection_expression("a,,b")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("Invalid ProjectionExpression: Syntax error; token: \",\""),
        "{msg}"
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .projection_expression("nosuch(a)")
            .send()
            .await,
        "Invalid ProjectionExpression: Syntax error; token: \"(\", near: \"nosuch(a\"",
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .projection_expression("size(a)")
            .send()
            .await,
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: \
         size",
    );
}

// ---- 3. key conditions ----

fn key_values(items: &[Item]) -> Vec<AttributeValue> {
    items.iter().map(|i| i["sk"].clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_condition_forms() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "x_kcs").await;
    create_table(
        &c,
        "x_kcb",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::B)),
    )
    .await;
    create_table(
        &c,
        "x_kcn",
        ("pk", ScalarAttributeType::N),
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;
    let s_keys = ["a", "ab", "abc", "abd", "b", "ba", "c"];
    for k in s_keys {
        put(&c, "x_kcs", &item([("pk", s("p")), ("sk", s(k))])).await;
        put(&c, "x_kcs", &item([("pk", s("other")), ("sk", s(k))])).await;
    }
    let b_keys: [&[u8]; 6] = [
        &[0x00],
        &[0x01],
        &[0x01, 0x02],
        &[0x01, 0xff],
        &[0x02],
        &[0xff],
    ];
    for k in b_keys {
        put(&c, "x_kcb", &item([("pk", s("p")), ("sk", bin(k))])).await;
    }
    for k in ["-5", "0", "1", "2", "10", "10.5"] {
        put(&c, "x_kcn", &item([("pk", n("1")), ("sk", n(k))])).await;
    }

    let q = |table: &str, expr: &str, vals: Vec<(&'static str, AttributeValue)>| {
        let mut m: HashMap<String, AttributeValue> =
            vals.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if !m.contains_key(":p") && mentions(expr, ":p") {
            m.insert(":p".into(), if table == "x_kcn" { n("1") } else { s("p") });
        }
        c.query()
            .table_name(table)
            .key_condition_expression(expr)
            .set_expression_attribute_values(Some(m))
            .consistent_read(true)
    };
    let sv = |v: &[&str]| v.iter().map(|x| s(x)).collect::<Vec<_>>();
    type Case = (
        &'static str,
        Vec<(&'static str, AttributeValue)>,
        Vec<AttributeValue>,
    );
    let cases: Vec<Case> = vec![
        ("pk = :p", vec![], sv(&s_keys)),
        ("pk = :p AND sk = :v", vec![(":v", s("abc"))], sv(&["abc"])),
        ("pk = :p AND sk = :v", vec![(":v", s("zz"))], vec![]),
        (
            "pk = :p AND sk < :v",
            vec![(":v", s("abd"))],
            sv(&["a", "ab", "abc"]),
        ),
        (
            "pk = :p AND sk <= :v",
            vec![(":v", s("abd"))],
            sv(&["a", "ab", "abc", "abd"]),
        ),
        (
            "pk = :p AND sk > :v",
            vec![(":v", s("b"))],
            sv(&["ba", "c"]),
        ),
        (
            "pk = :p AND sk >= :v",
            vec![(":v", s("b"))],
            sv(&["b", "ba", "c"]),
        ),
        (
            "pk = :p AND sk BETWEEN :lo AND :hi",
            vec![(":lo", s("ab")), (":hi", s("b"))],
            sv(&["ab", "abc", "abd", "b"]),
        ),
        (
            "pk = :p AND sk BETWEEN :lo AND :hi",
            vec![(":lo", s("abc")), (":hi", s("abc"))],
            sv(&["abc"]),
        ),
        (
            "pk = :p AND begins_with(sk, :v)",
            vec![(":v", s("ab"))],
            sv(&["ab", "abc", "abd"]),
        ),
        (
            "pk = :p AND begins_with(sk, :v)",
            vec![(":v", s("b"))],
            sv(&["b", "ba"]),
        ),
        (
            "pk = :p AND begins_with(sk, :v)",
            vec![(":v", s("abcd"))],
            vec![],
        ),
        // Order of conjuncts, parentheses and placeholders for names do not matter.
        ("sk = :v AND pk = :p", vec![(":v", s("c"))], sv(&["c"])),
        (
            "(pk = :p) AND (sk > :v)",
            vec![(":v", s("b"))],
            sv(&["ba", "c"]),
        ),
        // Binary sort keys order and match as unsigned bytes.
        (
            "pk = :p AND begins_with(sk, :v)",
            vec![(":v", bin(&[0x01]))],
            vec![bin(&[0x01]), bin(&[0x01, 0x02]), bin(&[0x01, 0xff])],
        ),
        (
            "pk = :p AND sk > :v",
            vec![(":v", bin(&[0x01, 0x02]))],
            vec![bin(&[0x01, 0xff]), bin(&[0x02]), bin(&[0xff])],
        ),
        (
            "pk = :p AND sk < :v",
            vec![(":v", bin(&[0x01]))],
            vec![bin(&[0x00])],
        ),
        (
            "pk = :p AND sk BETWEEN :lo AND :hi",
            vec![(":lo", bin(&[0x01, 0x00])), (":hi", bin(&[0x02]))],
            vec![bin(&[0x01, 0x02]), bin(&[0x01, 0xff]), bin(&[0x02])],
        ),
        (
            "pk = :p AND begins_with(sk, :v)",
            vec![(":v", bin(&[0xff]))],
            vec![bin(&[0xff])],
        ),
        // Number sort keys order numerically.
        (
            "pk = :p AND sk < :v",
            vec![(":v", n("2"))],
            vec![n("-5"), n("0"), n("1")],
        ),
        (
            "pk = :p AND sk >= :v",
            vec![(":v", n("1E+1"))],
            vec![n("10"), n("10.5")],
        ),
        (
            "pk = :p AND sk BETWEEN :lo AND :hi",
            vec![(":lo", n("-10")), (":hi", n("0.5"))],
            vec![n("-5"), n("0")],
        ),
        (
            "pk = :p AND sk = :v",
            vec![(":v", n("10.50"))],
            vec![n("10.5")],
        ),
    ];
    for (expr, vals, want) in cases {
        let table = match want.first() {
            Some(AttributeValue::B(_)) => "x_kcb",
            Some(AttributeValue::N(_)) => "x_kcn",
            _ if vals.iter().any(|(_, v)| matches!(v, AttributeValue::B(_))) => "x_kcb",
            _ => "x_kcs",
        };
        let out = q(table, expr, vals.clone()).send().await.unwrap();
        assert_eq!(key_values(out.items()), want, "{table}: {expr} {vals:?}");
        assert_eq!(out.count() as usize, want.len());
        // Backwards gives the reverse order.
        let out = q(table, expr, vals.clone())
            .scan_index_forward(false)
            .send()
            .await
            .unwrap();
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(key_values(out.items()), rev, "backwards {table}: {expr}");
    }
    let out = q("x_kcs", "#k = :p AND #s < :v", vec![(":v", s("ab"))])
        .expression_attribute_names("#k", "pk")
        .expression_attribute_names("#s", "sk")
        .send()
        .await
        .unwrap();
    assert_eq!(key_values(out.items()), sv(&["a"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_condition_rejections() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_range_table(&c, "x_kcr").await;
    create_table(
        &c,
        "x_kcrn",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::N)),
    )
    .await;
    let values: Vec<(&'static str, AttributeValue)> = vec![
        (":p", s("p")),
        (":q", s("q")),
        (":v", s("v")),
        (":w", s("w")),
        (":a", s("a")),
        (":c", s("c")),
        (":n", n("1")),
        (":ss", ss(&["x"])),
    ];
    let q = |table: &'static str, expr: &'static str| {
        c.query()
            .table_name(table)
            .key_condition_expression(expr)
            .set_expression_attribute_values(vals_for(&[expr], &values))
            .send()
    };
    let op = "Invalid operator used in KeyConditionExpression: ";
    let exact: Vec<(&str, String)> = vec![
        ("pk = :p OR sk = :v", format!("{op}OR")),
        ("pk = :p AND NOT sk = :v", format!("{op}NOT")),
        ("pk = :p AND sk IN (:v, :w)", format!("{op}IN")),
        ("pk = :p AND sk <> :v", format!("{op}<>")),
        ("pk < :p", "Query key condition not supported".into()),
        (
            "pk = :p AND pk = :q",
            "KeyConditionExpressions must only contain one condition per key".into(),
        ),
        (
            "pk = :p AND sk > :a AND sk < :c",
            "KeyConditionExpressions must only contain one condition per key".into(),
        ),
        (
            "sk = :v",
            "Query condition missed key schema element: pk".into(),
        ),
        (
            "pk = :n",
            "One or more parameter values were invalid: Condition parameter type does not match \
             schema type"
                .into(),
        ),
        (
            "pk = :p AND sk = :n",
            "One or more parameter values were invalid: Condition parameter type does not match \
             schema type"
                .into(),
        ),
        (
            "pk = :p AND sk BETWEEN :c AND :a",
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be \
             greater than or equal to lower bound; lower operand: AttributeValue: {S:c}, upper \
             operand: AttributeValue: {S:a}"
                .into(),
        ),
        (
            "pk = :undefined",
            "Invalid KeyConditionExpression: An expression attribute value used in expression is \
             not defined; attribute value: :undefined"
                .into(),
        ),
        (
            "",
            "Invalid KeyConditionExpression: The expression can not be empty;".into(),
        ),
    ];
    for (expr, msg) in &exact {
        assert_validation(q("x_kcr", expr).await, msg);
    }
    // Rejections whose exact DynamoDB text is less certain.
    for (table, expr, part) in [
        (
            "x_kcr",
            "pk = :p AND extra = :v",
            "Query condition missed key schema element",
        ),
        (
            "x_kcr",
            "extra = :v",
            "Query condition missed key schema element",
        ),
        ("x_kcr", "pk = :p AND contains(sk, :v)", "contains"),
        (
            "x_kcr",
            "pk = :p AND attribute_exists(sk)",
            "attribute_exists",
        ),
        ("x_kcr", "pk = :p AND sk.x = :v", "nested attributes"),
        ("x_kcr", "pk = :p AND sk = pk", "key attribute"),
        ("x_kcr", "pk = :p AND size(sk) = :n", "size"),
        ("x_kcr", "pk = :p AND begins_with(sk, :ss)", "begins_with"),
        ("x_kcrn", "pk = :p AND begins_with(sk, :n)", "begins_with"),
        (
            "x_kcr",
            "begins_with(pk, :p)",
            "Query key condition not supported",
        ),
        ("x_kcr", "pk = :p AND", "Syntax error; token: \"<EOF>\""),
        (
            "x_kcr",
            "pk BETWEEN :a AND :c",
            "Query key condition not supported",
        ),
        ("x_kcr", "pk = :p AND sk BETWEEN :a AND :n", "BETWEEN"),
    ] {
        let (code, msg) = service_error(q(table, expr).await.unwrap_err());
        assert_eq!(code, "ValidationException", "{expr}: {msg}");
        assert!(msg.contains(part), "{expr}: {msg:?} lacks {part:?}");
    }
    // A Query needs a key condition.
    assert_validation(
        c.query().table_name("x_kcr").send().await,
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the \
         request.",
    );
}

// ---- 4. placeholders ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholder_rules() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_ph";
    create_hash_table(&c, t).await;
    let base = item([
        ("pk", s("k")),
        ("status", s("on")),
        ("size", n("3")),
        ("name", s("N")),
    ]);
    put(&c, t, &base).await;

    // Reserved words work through names, in every expression kind.
    let out = c
        .update_item()
        .table_name(t)
        .key("pk", s("k"))
        .update_expression("SET #st = :off, #sz = #sz + :one REMOVE #nm")
        .condition_expression("#st = :on AND #sz < :ten AND attribute_exists(#nm)")
        .expression_attribute_names("#st", "status")
        .expression_attribute_names("#sz", "size")
        .expression_attribute_names("#nm", "name")
        .expression_attribute_values(":on", s("on"))
        .expression_attribute_values(":off", s("off"))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":ten", n("10"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.attributes,
        Some(item([
            ("pk", s("k")),
            ("status", s("off")),
            ("size", n("4"))
        ]))
    );
    // One name placeholder may serve several expressions and several uses.
    let out = c
        .scan()
        .table_name(t)
        .filter_expression("#st = :off AND size(#st) = :three")
        .projection_expression("#st")
        .expression_attribute_names("#st", "status")
        .expression_attribute_values(":off", s("off"))
        .expression_attribute_values(":three", n("3"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), [item([("status", s("off"))])]);
    // Keywords are reserved whatever their case.
    let base = get_pk(&c, t, "k").await.unwrap();
    let cond = |expr: &str| {
        c.put_item()
            .table_name(t)
            .set_item(Some(base.clone()))
            .condition_expression(expr)
    };
    for (expr, word) in [
        ("status = :v", "status"),
        ("Status = :v", "Status"),
        ("size = :v", "size"),
        ("name = :v", "name"),
        ("m.#ok.value = :v", "value"),
        ("attribute_exists(data)", "data"),
        ("contains(l[0].user, :v)", "user"),
    ] {
        assert_validation(
            cond(expr)
                .set_expression_attribute_names(names_for(&[expr], &[("#ok", "ok")]))
                .set_expression_attribute_values(vals_for(&[expr], &[(":v", s("x"))]))
                .send()
                .await,
            &format!(
                "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved \
                 keyword: {word}"
            ),
        );
    }
    // Non-reserved words and placeholders that look like keywords are fine.
    cond("attribute_exists(pk) AND #status <> :size AND statuses <> :size")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":size", s("x"))
        .send()
        .await
        .unwrap();

    // Unused names and values, on every operation that takes them.
    let unused_name =
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}";
    let unused_value =
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}";
    assert_validation(
        cond("attribute_exists(pk)")
            .expression_attribute_names("#x", "x")
            .send()
            .await,
        unused_name,
    );
    // Names are checked before values.
    assert_validation(
        cond("attribute_exists(pk)")
            .expression_attribute_names("#x", "x")
            .expression_attribute_values(":x", s("x"))
            .send()
            .await,
        unused_name,
    );
    assert_validation(
        c.delete_item()
            .table_name(t)
            .key("pk", s("k"))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":x", s("x"))
            .send()
            .await,
        unused_value,
    );
    assert_validation(
        c.update_item()
            .table_name(t)
            .key("pk", s("k"))
            .update_expression("REMOVE gone")
            .expression_attribute_names("#x", "x")
            .send()
            .await,
        unused_name,
    );
    assert_validation(
        c.query()
            .table_name(t)
            .key_condition_expression("pk = :k")
            .expression_attribute_values(":k", s("k"))
            .expression_attribute_values(":x", s("x"))
            .send()
            .await,
        unused_value,
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .filter_expression("attribute_exists(pk)")
            .expression_attribute_names("#x", "x")
            .send()
            .await,
        unused_name,
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .projection_expression("pk")
            .expression_attribute_values(":x", s("x"))
            .send()
            .await,
        unused_value,
    );
    // Placeholders without any expression.
    assert_validation(
        c.scan()
            .table_name(t)
            .expression_attribute_names("#x", "x")
            .send()
            .await,
        "ExpressionAttributeNames can only be specified when using expressions",
    );
    assert_validation(
        c.delete_item()
            .table_name(t)
            .key("pk", s("nothing"))
            .expression_attribute_values(":x", s("x"))
            .send()
            .await,
        "ExpressionAttributeValues can only be specified when using expressions: \
         ConditionExpression is null",
    );
    assert_validation(
        c.update_item()
            .table_name(t)
            .key("pk", s("nothing"))
            .expression_attribute_names("#x", "x")
            .send()
            .await,
        "ExpressionAttributeNames can only be specified when using expressions: \
         UpdateExpression and ConditionExpression are null",
    );

    // Undefined placeholders name the expression they appear in.
    assert_validation(
        cond("#nope = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "Invalid ConditionExpression: An expression attribute name used in the document path is \
         not defined; attribute name: #nope",
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .filter_expression("pk = :nope")
            .send()
            .await,
        "Invalid FilterExpression: An expression attribute value used in expression is not \
         defined; attribute value: :nope",
    );
    assert_validation(
        c.query()
            .table_name(t)
            .key_condition_expression("#k = :k")
            .expression_attribute_values(":k", s("k"))
            .send()
            .await,
        "Invalid KeyConditionExpression: An expression attribute name used in the document \
         path is not defined; attribute name: #k",
    );

    // Empty maps.
    assert_validation(
        cond("attribute_exists(pk)")
            .set_expression_attribute_values(Some(HashMap::new()))
            .send()
            .await,
        "ExpressionAttributeValues must not be empty",
    );
    assert_validation(
        cond("attribute_exists(pk)")
            .set_expression_attribute_names(Some(HashMap::new()))
            .send()
            .await,
        "ExpressionAttributeNames must not be empty",
    );
    // Keys that are not placeholders.
    assert_validation(
        cond("attribute_exists(pk)")
            .expression_attribute_names("x", "x")
            .send()
            .await,
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"x\"",
    );
    assert_validation(
        cond("attribute_exists(pk)")
            .expression_attribute_values("v", s("x"))
            .send()
            .await,
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"",
    );
    let (code, msg) = service_error(
        cond("pk = :v")
            .expression_attribute_values(":v", n("not a number"))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("ExpressionAttributeValues contains invalid value: ") && msg.contains(":v"),
        "{msg}"
    );

    // The 4 KB expression limit: 4096 bytes are accepted, 4097 are not.
    let names: Vec<String> = (0..2000).map(|i| format!("a{i:03}")).collect();
    let mut proj = String::new();
    for nm in &names {
        let next = if proj.is_empty() {
            nm.clone()
        } else {
            format!("{proj},{nm}")
        };
        if next.len() > 4096 {
            break;
        }
        proj = next;
    }
    while proj.len() < 4096 {
        proj.push(' ');
    }
    assert_eq!(proj.len(), 4096);
    c.get_item()
        .table_name(t)
        .key("pk", s("k"))
        .projection_expression(&proj)
        .send()
        .await
        .unwrap();
    proj.push(' ');
    let (code, msg) = service_error(
        c.get_item()
            .table_name(t)
            .key("pk", s("k"))
            .projection_expression(&proj)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(
            "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size"
        ),
        "{msg}"
    );
    let long_cond = format!(
        "attribute_exists(pk) OR attribute_exists({})",
        "x".repeat(4100)
    );
    let (code, msg) = service_error(cond(&long_cond).send().await.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size"
        ),
        "{msg}"
    );
    assert_eq!(get_pk(&c, t, "k").await, Some(base));
}

// ---- 7. hostile expressions ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_expressions_get_validation_errors() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_host";
    create_hash_range_table(&c, t).await;
    let base = item([("pk", s("p")), ("sk", s("s")), ("a", n("1"))]);
    put(&c, t, &base).await;

    let mut corpus: Vec<String> = vec![
        format!("{}a = :v{}", "(".repeat(1000), ")".repeat(1000)),
        format!("{}a = :v", "(".repeat(1000)),
        format!("a = :v{}", ")".repeat(1000)),
        format!("{}a = :v", "NOT ".repeat(1022)),
        format!("{}a = :v", "NOT ".repeat(5000)),
        format!("{}a = :v", "NOT (".repeat(500)),
        format!("{}a{} = :v", "size(".repeat(600), ")".repeat(600)),
        format!("contains({}a{}, :v)", "size(".repeat(300), ")".repeat(300)),
        format!(
            "a = {}:v{}",
            "if_not_exists(a, ".repeat(300),
            ")".repeat(300)
        ),
        format!(
            "a = {}:v{}",
            "list_append(".repeat(300),
            ", :v)".repeat(300)
        ),
        format!("a{} = :v", ".a".repeat(1000)),
        format!("a{} = :v", "[0]".repeat(1000)),
        format!("a[{}] = :v", "9".repeat(100)),
        format!("a = :v{}", " AND a = :v".repeat(400)),
        format!("a = :v{}", " OR a = :v".repeat(400)),
        format!("a IN ({})", vec![":v"; 1000].join(",")),
        "a = :v AND".repeat(300),
        "((((((((((".repeat(200),
        "))))))))))".repeat(200),
        "a".repeat(5000),
        "#".repeat(4000),
        ":".repeat(4000),
        "[".repeat(4000),
        ",".repeat(4000),
        "é".repeat(2000),
        "\u{0}\u{1}\u{7f}".into(),
        "a = :v \u{0}".into(),
        "\u{1f600} = :v".into(),
        "a = :v;".into(),
        "a = :v -- comment".into(),
        "a.'b' = :v".into(),
        "a[1.5] = :v".into(),
        "a[] = :v".into(),
        "a[-1] = :v".into(),
        ". = :v".into(),
        "a. = :v".into(),
        "a..b = :v".into(),
        "#= :v".into(),
        ": = a".into(),
        "BETWEEN".into(),
        "a BETWEEN".into(),
        "a BETWEEN :v".into(),
        "a BETWEEN :v AND".into(),
        "a IN".into(),
        "a IN (".into(),
        "a IN (:v".into(),
        "a IN (:v,)".into(),
        "NOT".into(),
        "()".into(),
        "(a = :v))".into(),
        "a = :v) OR (a = :v".into(),
        "attribute_exists(".into(),
        "attribute_exists(a".into(),
        "attribute_exists(a))".into(),
        "size()".into(),
        "size(a) size(a)".into(),
        "< :v".into(),
        "a <".into(),
        "a < > :v".into(),
        "a <<= :v".into(),
        "a >== :v".into(),
    ];
    // A document path of 40 elements (the limit is 32), and 681 operators (the limit is
    // 300) in well under 4 KB.
    corpus.push(format!("a{} = :v", ".b".repeat(39)));
    corpus.push(format!("a=:v{}", " OR a=:v".repeat(340)));
    let kinds = [
        "ConditionExpression",
        "UpdateExpression",
        "FilterExpression",
        "ProjectionExpression",
        "KeyConditionExpression",
    ];
    let vals = Some(HashMap::from([(":v".to_string(), n("1"))]));
    for expr in &corpus {
        for kind in kinds {
            let result = match kind {
                "ConditionExpression" => c
                    .put_item()
                    .table_name(t)
                    .set_item(Some(base.clone()))
                    .condition_expression(expr)
                    .set_expression_attribute_values(vals.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(service_error),
                "UpdateExpression" => c
                    .update_item()
                    .table_name(t)
                    .key("pk", s("p"))
                    .key("sk", s("s"))
                    .update_expression(expr)
                    .set_expression_attribute_values(vals.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(service_error),
                "FilterExpression" => c
                    .scan()
                    .table_name(t)
                    .filter_expression(expr)
                    .set_expression_attribute_values(vals.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(service_error),
                "ProjectionExpression" => c
                    .get_item()
                    .table_name(t)
                    .key("pk", s("p"))
                    .key("sk", s("s"))
                    .projection_expression(expr)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(service_error),
                _ => c
                    .query()
                    .table_name(t)
                    .key_condition_expression(expr)
                    .set_expression_attribute_values(vals.clone())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(service_error),
            };
            let shown: String = expr.chars().take(60).collect();
            match result {
                Err((code, msg)) => {
                    assert_eq!(code, "ValidationException", "{kind} {shown:?}: {msg}");
                    assert!(
                        msg.len() < 10_000 && !msg.is_empty(),
                        "{kind} {shown:?}: message of {} bytes",
                        msg.len()
                    );
                }
                Ok(()) => panic!("{kind} {shown:?} was accepted"),
            }
        }
    }
    // A 4 KB chain of NOTs is refused for its nesting or operator count, not its size.
    let nots = format!("{}a = :v", "NOT ".repeat(1022));
    assert!(nots.len() <= 4096);
    let (code, msg) = service_error(
        c.put_item()
            .table_name(t)
            .set_item(Some(base.clone()))
            .condition_expression(&nots)
            .set_expression_attribute_values(vals.clone())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(msg.starts_with("Invalid ConditionExpression: "), "{msg}");
    assert!(!msg.contains("Expression size"), "{msg}");

    // The server is still up, unchanged, and logged no panic.
    assert_eq!(
        c.get_item()
            .table_name(t)
            .key("pk", s("p"))
            .key("sk", s("s"))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item,
        Some(base.clone())
    );
    c.put_item()
        .table_name(t)
        .set_item(Some(base.clone()))
        .condition_expression("a = :v")
        .set_expression_attribute_values(vals)
        .send()
        .await
        .unwrap();
    let logs = srv.logs();
    assert!(!logs.contains("panicked"), "server logged a panic:\n{logs}");

    // The same through raw HTTP, with nesting the SDK would also send.
    let deep = format!("{}a = :v{}", "(".repeat(20_000), ")".repeat(20_000));
    let resp = srv.post(
        "Scan",
        &serde_json::json!({
            "TableName": t,
            "FilterExpression": deep,
            "ExpressionAttributeValues": {":v": {"N": "1"}},
        }),
    );
    assert_eq!(resp.status, 400, "{}", resp.text());
    let ty = resp.json()["__type"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(ty.ends_with("#ValidationException"), "{ty}");
    assert!(c.list_tables().send().await.is_ok());
}

/// `ADD l[10] :one` on a three-element list: DynamoDB either refuses the action or
/// reports what it wrote (UPDATED_NEW); it never writes silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_past_list_end_is_reported_or_refused() {
    let srv = Server::start();
    let c = srv.client();
    let t = "x_addl";
    create_hash_range_table(&c, t).await;
    let base = item([
        ("pk", s("k")),
        ("sk", s("s")),
        ("l", list(vec![n("0"), n("1"), n("2")])),
    ]);
    put(&c, t, &base).await;
    match update(
        &c,
        t,
        "ADD l[10] :one",
        &[(":one", n("1"))],
        ReturnValue::UpdatedNew,
    )
    .await
    {
        Ok(attrs) => {
            let now = read(&c, t).await;
            assert_eq!(now["l"], list(vec![n("0"), n("1"), n("2"), n("1")]));
            assert_eq!(attrs, Some(item([("l", list(vec![n("1")]))])));
        }
        Err((code, _)) => {
            assert_eq!(code, "ValidationException");
            assert_eq!(read(&c, t).await, base);
        }
    }
}
