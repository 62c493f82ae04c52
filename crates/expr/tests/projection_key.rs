//! ProjectionExpression and KeyConditionExpression.

mod common;

use common::{ctx, item, msg, schema};
use serde_json::{json, Value};
use shoal_expr::SortCondition;
use shoal_types::json::item_to_json;
use shoal_types::AttributeValue;

#[test]
fn projection_keeps_shape() {
    let it = item(json!({
        "a": {"S": "x"},
        "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}},
        "l": {"L": [{"N": "0"}, {"M": {"k": {"S": "v"}, "j": {"S": "w"}}}, {"N": "2"}, {"N": "3"}]},
        "z": {"S": "dropped"}
    }));
    let mut c = ctx(json!({"#b": "b"}), Value::Null);
    let p = c
        .parse_projection("a, #b.c, l[3], l[1].k, l[9], nope, a2.x")
        .unwrap();
    c.finish().unwrap();
    assert_eq!(
        item_to_json(&p.apply(&it)),
        json!({
            "a": {"S": "x"},
            "b": {"M": {"c": {"N": "1"}}},
            "l": {"L": [{"M": {"k": {"S": "v"}}}, {"N": "3"}]}
        })
    );
    assert_eq!(p.paths().len(), 7);
    // A path through a value of the wrong type yields nothing.
    let p = ctx(Value::Null, Value::Null)
        .parse_projection("a.b, l.x")
        .unwrap();
    assert_eq!(item_to_json(&p.apply(&it)), json!({}));
}

#[test]
fn projection_overlaps() {
    let mut c = ctx(Value::Null, Value::Null);
    assert_eq!(
        msg(c.parse_projection("a, a.b")),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        msg(c.parse_projection("a[0], a.b")),
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"
    );
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

#[test]
fn key_conditions() {
    let vals = json!({":p": {"S": "p"}, ":a": {"S": "a"}, ":b": {"S": "b"}, ":n": {"N": "1"}});
    let sch = schema(Some("S"));
    let kc = |text: &str| ctx(Value::Null, vals.clone()).parse_key_condition(text, &sch);
    let k = kc("pk = :p").unwrap();
    assert_eq!(k.partition_value, s("p"));
    assert_eq!(k.sort, None);
    assert_eq!(
        kc("pk = :p AND sk < :a").unwrap().sort,
        Some(SortCondition::Lt(s("a")))
    );
    assert_eq!(
        kc(":a < sk AND pk = :p").unwrap().sort,
        Some(SortCondition::Gt(s("a")))
    );
    assert_eq!(
        kc("pk = :p AND sk BETWEEN :a AND :b").unwrap().sort,
        Some(SortCondition::Between(s("a"), s("b")))
    );
    assert_eq!(
        kc("(pk = :p) AND (begins_with(sk, :a))").unwrap().sort,
        Some(SortCondition::BeginsWith(s("a")))
    );
    let m = |text: &str| msg(kc(text));
    assert_eq!(
        m("pk = :p OR sk = :a"),
        "Invalid operator used in KeyConditionExpression: OR"
    );
    assert_eq!(
        m("NOT pk = :p"),
        "Invalid operator used in KeyConditionExpression: NOT"
    );
    assert_eq!(
        m("pk = :p AND sk <> :a"),
        "Invalid operator used in KeyConditionExpression: <>"
    );
    assert_eq!(
        m("pk IN (:p)"),
        "Invalid operator used in KeyConditionExpression: IN"
    );
    assert_eq!(
        m("pk = :p AND attribute_exists(sk)"),
        "Invalid operator used in KeyConditionExpression: attribute_exists"
    );
    assert_eq!(
        m("sk = :a"),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(m("pk < :p"), "Query key condition not supported");
    assert_eq!(
        m("pk = :p AND sk = :a AND sk = :b"),
        "KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(
        m("pk = :p AND pk = :a"),
        "KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(
        m("pk = :p AND x = :a"),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        m("pk = :n"),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(
        m("pk = :p AND sk BETWEEN :b AND :a"),
        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: AttributeValue: {S:b}, upper operand: AttributeValue: {S:a}"
    );
    assert_eq!(
        m("pk = :p AND begins_with(sk, :n)"),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        m("pk = :p AND "),
        "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""
    );
}

#[test]
fn sort_condition_matches() {
    let n = |x: i64| AttributeValue::N(shoal_types::Number::from_i64(x));
    assert!(SortCondition::Between(n(1), n(3)).matches(&n(3)));
    assert!(!SortCondition::Between(n(1), n(3)).matches(&n(4)));
    assert!(SortCondition::BeginsWith(s("ab")).matches(&s("abc")));
    assert!(!SortCondition::Lt(s("a")).matches(&n(0)));
}
