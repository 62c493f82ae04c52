//! ConditionExpression / FilterExpression: resolution errors and evaluation semantics.

mod common;

use common::{ctx, eval, item, msg};
use serde_json::{json, Value};

fn sample() -> shoal_types::Item {
    item(json!({
        "s": {"S": "hello world"},
        "n": {"N": "42"},
        "b": {"B": "AQID"},
        "t": {"BOOL": true},
        "z": {"NULL": true},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "l": {"L": [{"S": "x"}, {"N": "7"}, {"M": {"k": {"S": "v"}}}]},
        "m": {"M": {"deep": {"N": "5"}, "lst": {"L": [{"N": "1"}]}}}
    }))
}

#[test]
fn comparisons_with_types() {
    let it = sample();
    assert!(eval("n = :v", json!({":v": {"N": "42.0"}}), &it));
    assert!(eval("n < :v", json!({":v": {"N": "100"}}), &it));
    assert!(!eval("n < :v", json!({":v": {"N": "-1"}}), &it));
    // Type mismatch is false, and `<>` true.
    assert!(!eval("n = :v", json!({":v": {"S": "42"}}), &it));
    assert!(eval("n <> :v", json!({":v": {"S": "42"}}), &it));
    assert!(!eval("n < :v", json!({":v": {"S": "42"}}), &it));
    assert!(eval("s >= :v", json!({":v": {"S": "hello"}}), &it));
    assert!(eval("b > :v", json!({":v": {"B": "AQ=="}}), &it));
    // Missing attributes.
    assert!(!eval("nope = :v", json!({":v": {"N": "1"}}), &it));
    assert!(eval("nope <> :v", json!({":v": {"N": "1"}}), &it));
    assert!(!eval("nope < :v", json!({":v": {"N": "1"}}), &it));
    // Sets compare unordered, nested paths resolve.
    assert!(eval("ss = :v", json!({":v": {"SS": ["b", "a"]}}), &it));
    assert!(eval("m.deep = :v", json!({":v": {"N": "5"}}), &it));
    assert!(eval("l[1] = :v", json!({":v": {"N": "7"}}), &it));
    assert!(eval("l[2].k = :v", json!({":v": {"S": "v"}}), &it));
    assert!(!eval("l[9] = :v", json!({":v": {"N": "7"}}), &it));
    assert!(!eval("s[0] = :v", json!({":v": {"S": "h"}}), &it));
    assert!(eval("t = :v", json!({":v": {"BOOL": true}}), &it));
    assert!(eval("z = :v", json!({":v": {"NULL": true}}), &it));
    // Path vs path.
    assert!(eval("m.deep < n", Value::Null, &it));
}

#[test]
fn between_and_in() {
    let it = sample();
    assert!(eval(
        "n BETWEEN :a AND :b",
        json!({":a": {"N": "42"}, ":b": {"N": "50"}}),
        &it
    ));
    assert!(!eval(
        "n BETWEEN :a AND :b",
        json!({":a": {"N": "43"}, ":b": {"N": "50"}}),
        &it
    ));
    assert!(!eval(
        "s BETWEEN :a AND :b",
        json!({":a": {"N": "1"}, ":b": {"N": "50"}}),
        &it
    ));
    assert!(eval(
        "n IN (:a, :b)",
        json!({":a": {"S": "42"}, ":b": {"N": "42"}}),
        &it
    ));
    assert!(!eval("n IN (:a)", json!({":a": {"S": "42"}}), &it));
    assert!(!eval("nope IN (:a)", json!({":a": {"S": "42"}}), &it));
}

#[test]
fn between_bound_errors() {
    let mut c = ctx(Value::Null, json!({":a": {"N": "2"}, ":b": {"N": "1"}}));
    assert_eq!(
        msg(c.parse_condition("n BETWEEN :a AND :b")),
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower operand: AttributeValue: {N:2}, upper operand: AttributeValue: {N:1}"
    );
    let mut c = ctx(Value::Null, json!({":a": {"N": "2"}, ":b": {"S": "x"}}));
    assert_eq!(
        msg(c.parse_condition("n BETWEEN :a AND :b")),
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {S:x}"
    );
}

#[test]
fn functions() {
    let it = sample();
    assert!(eval("attribute_exists(m.deep)", Value::Null, &it));
    assert!(!eval("attribute_exists(m.nope)", Value::Null, &it));
    assert!(eval("attribute_not_exists(nope)", Value::Null, &it));
    assert!(eval(
        "attribute_type(ns, :t)",
        json!({":t": {"S": "NS"}}),
        &it
    ));
    assert!(!eval(
        "attribute_type(ns, :t)",
        json!({":t": {"S": "SS"}}),
        &it
    ));
    assert!(eval(
        "begins_with(s, :p)",
        json!({":p": {"S": "hell"}}),
        &it
    ));
    assert!(!eval("begins_with(n, :p)", json!({":p": {"S": "4"}}), &it));
    assert!(eval(
        "begins_with(b, :p)",
        json!({":p": {"B": "AQI="}}),
        &it
    ));
    assert!(eval("contains(s, :p)", json!({":p": {"S": "o w"}}), &it));
    assert!(eval("contains(ss, :p)", json!({":p": {"S": "b"}}), &it));
    assert!(!eval("contains(ss, :p)", json!({":p": {"S": "c"}}), &it));
    assert!(eval("contains(ns, :p)", json!({":p": {"N": "2"}}), &it));
    assert!(eval("contains(l, :p)", json!({":p": {"N": "7"}}), &it));
    assert!(eval(
        "contains(l, :p)",
        json!({":p": {"M": {"k": {"S": "v"}}}}),
        &it
    ));
    assert!(!eval("contains(n, :p)", json!({":p": {"N": "4"}}), &it));
    assert!(eval("size(s) = :v", json!({":v": {"N": "11"}}), &it));
    assert!(eval("size(b) = :v", json!({":v": {"N": "3"}}), &it));
    assert!(eval("size(l) = :v", json!({":v": {"N": "3"}}), &it));
    assert!(eval("size(m) = :v", json!({":v": {"N": "2"}}), &it));
    assert!(eval("size(ss) = :v", json!({":v": {"N": "2"}}), &it));
    assert!(!eval("size(n) = :v", json!({":v": {"N": "2"}}), &it));
    assert!(!eval("size(nope) >= :v", json!({":v": {"N": "0"}}), &it));
    assert!(eval("size(nope) <> :v", json!({":v": {"N": "0"}}), &it));
    assert!(eval(
        "NOT (size(s) < :v OR contains(s, :w))",
        json!({":v": {"N": "2"}, ":w": {"S": "zz"}}),
        &it
    ));
}

#[test]
fn absent_item() {
    let mut c = ctx(Value::Null, json!({":v": {"S": "x"}}));
    let cond = c
        .parse_condition("attribute_not_exists(pk) OR pk = :v")
        .unwrap();
    assert!(cond.evaluate(None).unwrap());
    let cond = c.parse_condition("attribute_exists(pk)").unwrap();
    assert!(!cond.evaluate(None).unwrap());
}

#[test]
fn operand_type_errors() {
    let mut c = ctx(
        Value::Null,
        json!({":n": {"N": "1"}, ":m": {"M": {}}, ":b": {"BOOL": true}, ":t": {"S": "XX"}}),
    );
    assert_eq!(
        msg(c.parse_condition("begins_with(a, :n)")),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        msg(c.parse_condition("a < :m")),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: M"
    );
    assert_eq!(
        msg(c.parse_condition("a BETWEEN :b AND :n")),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"
    );
    assert_eq!(
        msg(c.parse_condition("attribute_type(a, :n)")),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"
    );
    assert_eq!(
        msg(c.parse_condition("attribute_type(a, :t)")),
        "Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }"
    );
    // Equality accepts every type.
    assert!(c.parse_condition("a = :m").is_ok());
}

#[test]
fn placeholders() {
    let mut c = ctx(
        json!({"#a": "status", "#u": "unused"}),
        json!({":v": {"S": "x"}, ":w": {"S": "y"}}),
    );
    assert_eq!(
        msg(c.parse_condition("#nope = :v")),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope"
    );
    assert_eq!(
        msg(c.parse_condition("#a = :nope")),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"
    );
    let cond = c.parse_condition("#a = :v").unwrap();
    assert!(cond
        .evaluate(Some(&item(json!({"status": {"S": "x"}}))))
        .unwrap());
    assert_eq!(
        msg(c.finish()),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
    );

    let mut c = ctx(
        Value::Null,
        json!({":v": {"S": "x"}, ":w": {"S": "y"}, ":x": {"S": "z"}}),
    );
    c.parse_condition("a = :v").unwrap();
    assert_eq!(
        msg(c.finish()),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :x}"
    );
    // Used across several expressions of one request.
    let mut c = ctx(json!({"#a": "a"}), json!({":v": {"S": "x"}}));
    c.parse_condition("attribute_exists(#a)").unwrap();
    c.parse_projection("b").unwrap();
    c.parse_update("SET c = :v").unwrap();
    c.finish().unwrap();
}

#[test]
fn filter_kind_names_itself() {
    let mut c = ctx(Value::Null, Value::Null);
    assert_eq!(
        msg(c.parse_filter("a = ")),
        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"=\""
    );
}

#[test]
fn context_validation() {
    let new = |n: Option<Value>, v: Option<Value>| {
        shoal_expr::ExpressionContext::new(n.as_ref(), v.as_ref()).map(|_| ())
    };
    assert_eq!(
        msg(new(Some(json!({})), None)),
        "ExpressionAttributeNames must not be empty"
    );
    assert_eq!(
        msg(new(None, Some(json!({})))),
        "ExpressionAttributeValues must not be empty"
    );
    assert_eq!(
        msg(new(Some(json!({"a": "b"})), None)),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
    );
    assert_eq!(
        msg(new(None, Some(json!({"v": {"S": "x"}})))),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""
    );
    let m = msg(new(None, Some(json!({":v": {"Q": "x"}}))));
    assert!(
        m.starts_with("ExpressionAttributeValues contains invalid value: "),
        "{m}"
    );
    assert!(m.ends_with(" for key :v"), "{m}");
}

#[test]
fn cache_serves_different_placeholders() {
    // The same text resolved against different contexts must use each context's values.
    for v in ["1", "2", "3"] {
        let mut c = ctx(Value::Null, json!({":v": {"N": v}}));
        let cond = c.parse_condition("n = :v").unwrap();
        assert!(cond.evaluate(Some(&item(json!({"n": {"N": v}})))).unwrap());
    }
    let uncached = ctx(Value::Null, json!({":v": {"N": "1"}})).with_cache(false);
    let mut uncached = uncached;
    assert!(uncached.parse_condition("n = :v").is_ok());
}

#[test]
fn first_operand_must_be_distinct() {
    let mut c = ctx(json!({"#a": "a"}), json!({":v": {"N": "1"}}));
    assert_eq!(
        msg(c.parse_condition("a = #a")),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"
    );
    assert_eq!(
        msg(c.parse_condition("a.b BETWEEN :v AND a.b")),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: [a, b]"
    );
    assert!(msg(c.parse_condition("a IN (:v, a)")).contains("operator: IN, first operand: [a]"));
    assert!(c.parse_condition("a = a.b").is_ok());
}

#[test]
fn referenced_attributes_and_filter_keys() {
    let mut c = ctx(json!({"#s": "sk"}), json!({":v": {"N": "1"}}));
    let cond = c
        .parse_filter("a.b = :v AND (size(c) > :v OR NOT begins_with(#s, d)) AND a[0] = :v")
        .unwrap();
    assert_eq!(cond.referenced_attributes(), vec!["a", "c", "sk", "d"]);
    assert_eq!(
        msg(cond.check_filter_key_attributes(&common::schema(Some("N")), "Filter Expression")),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    );
    let cond = c.parse_filter("x = :v").unwrap();
    cond.check_filter_key_attributes(&common::schema(Some("N")), "Filter Expression")
        .unwrap();
}

#[test]
fn concurrent_parsing_through_the_cache() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..200 {
                    let mut c = ctx(Value::Null, json!({":v": {"N": i.to_string()}}));
                    let text = format!("n{} = :v", (i + t) % 17);
                    let cond = c.parse_condition(&text).unwrap();
                    let it = item(json!({format!("n{}", (i + t) % 17): {"N": i.to_string()}}));
                    assert!(cond.evaluate(Some(&it)).unwrap());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn cache_stays_bounded() {
    // Many distinct texts: the cache clears itself instead of growing without bound, and
    // results stay correct across the clear.
    for i in 0..5000 {
        let mut c = ctx(Value::Null, json!({":v": {"N": "1"}}));
        let cond = c.parse_condition(&format!("attr{i} = :v")).unwrap();
        assert!(cond
            .evaluate(Some(&item(json!({format!("attr{i}"): {"N": "1"}}))))
            .unwrap());
    }
}
