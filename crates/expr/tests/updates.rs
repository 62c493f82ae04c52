//! UpdateExpression: semantics of SET/REMOVE/ADD/DELETE and DynamoDB's rejections.

#![allow(clippy::unwrap_used)]

mod common;

use common::{ctx, item, msg, schema};
use serde_json::{json, Value};
use shoal_expr::{project_paths, Path};
use shoal_types::json::item_to_json;

/// Applies `expr` to `start`, returning the new item as JSON and the changed paths.
fn run(
    expr: &str,
    names: Value,
    values: Value,
    start: Value,
) -> Result<(Value, Vec<Path>), String> {
    let mut c = ctx(names, values);
    let u = c.parse_update(expr).map_err(|e| e.to_string())?;
    c.finish().map_err(|e| e.to_string())?;
    let mut it = item(start);
    let changed = u.apply(&mut it).map_err(|e| e.to_string())?;
    Ok((item_to_json(&it), changed))
}

fn ok(expr: &str, values: Value, start: Value) -> Value {
    run(expr, Value::Null, values, start).unwrap().0
}

fn fail(expr: &str, values: Value, start: Value) -> String {
    run(expr, Value::Null, values, start).unwrap_err()
}

#[test]
fn set_values_and_arithmetic() {
    let out = ok(
        "SET a = :s, n = n + :one, m = :one - n, c = b",
        json!({":s": {"S": "x"}, ":one": {"N": "1"}}),
        json!({"n": {"N": "41"}, "b": {"BOOL": true}}),
    );
    assert_eq!(
        out,
        json!({"a": {"S": "x"}, "n": {"N": "42"}, "m": {"N": "-40"}, "c": {"BOOL": true}, "b": {"BOOL": true}})
    );
}

#[test]
fn set_reads_the_original_item() {
    // `b = a` sees a's old value even though a is set first.
    let out = ok(
        "SET a = :v, b = a",
        json!({":v": {"N": "2"}}),
        json!({"a": {"N": "1"}}),
    );
    assert_eq!(out, json!({"a": {"N": "2"}, "b": {"N": "1"}}));
}

#[test]
fn if_not_exists_and_list_append() {
    let v = json!({":z": {"N": "0"}, ":l": {"L": [{"S": "y"}]}, ":e": {"L": []}});
    let out = ok(
        "SET c = if_not_exists(c, :z), d = if_not_exists(n, :z), l = list_append(l, :l), k = list_append(if_not_exists(k, :e), :l)",
        v,
        json!({"n": {"N": "5"}, "l": {"L": [{"S": "x"}]}}),
    );
    assert_eq!(out["c"], json!({"N": "0"}));
    assert_eq!(out["d"], json!({"N": "5"}));
    assert_eq!(out["l"], json!({"L": [{"S": "x"}, {"S": "y"}]}));
    assert_eq!(out["k"], json!({"L": [{"S": "y"}]}));
    let out = ok(
        "SET l = list_append(:l, l)",
        json!({":l": {"L": [{"S": "y"}]}}),
        json!({"l": {"L": [{"S": "x"}]}}),
    );
    assert_eq!(out["l"], json!({"L": [{"S": "y"}, {"S": "x"}]}));
}

#[test]
fn nested_paths_and_lists() {
    let start = json!({"m": {"M": {"l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}}}});
    let (out, changed) = run(
        "SET m.l[1] = :v, m.l[10] = :v, m.k = :v",
        Value::Null,
        json!({":v": {"S": "x"}}),
        start.clone(),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"m": {"M": {"k": {"S": "x"}, "l": {"L": [{"N": "0"}, {"S": "x"}, {"N": "2"}, {"S": "x"}]}}}})
    );
    // SET past the end reports where the value landed.
    assert_eq!(changed[1].to_string(), "[m, l, [3]]");
    // REMOVE of list elements shifts the rest; indexes name the original elements.
    let out = ok("REMOVE m.l[0], m.l[2]", Value::Null, start.clone());
    assert_eq!(out, json!({"m": {"M": {"l": {"L": [{"N": "1"}]}}}}));
    // REMOVE of something missing is fine.
    let out = ok("REMOVE nope, m.nope, m.l[9]", Value::Null, start.clone());
    assert_eq!(out, start);
}

#[test]
fn invalid_document_paths() {
    let start = json!({"s": {"S": "x"}, "m": {"M": {}}});
    let invalid = "The document path provided in the update expression is invalid for update";
    assert_eq!(
        fail("SET nope.a = :v", json!({":v": {"S": "x"}}), start.clone()),
        invalid
    );
    assert_eq!(
        fail("SET s.a = :v", json!({":v": {"S": "x"}}), start.clone()),
        invalid
    );
    assert_eq!(
        fail("SET m[0] = :v", json!({":v": {"S": "x"}}), start.clone()),
        invalid
    );
    assert_eq!(
        fail("SET m.a.b = :v", json!({":v": {"S": "x"}}), start.clone()),
        invalid
    );
    assert_eq!(
        fail("ADD m.a.b :v", json!({":v": {"N": "1"}}), start.clone()),
        invalid
    );
    assert_eq!(
        fail("SET a = nope", Value::Null, start.clone()),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(
        fail("SET a = nope + :v", json!({":v": {"N": "1"}}), start),
        "The provided expression refers to an attribute that does not exist in the item"
    );
}

#[test]
fn runtime_type_mismatches() {
    let bad = "An operand in the update expression has an incorrect data type";
    let start = json!({"s": {"S": "x"}, "n": {"N": "1"}, "ss": {"SS": ["a"]}});
    assert_eq!(
        fail("SET a = s + :n", json!({":n": {"N": "1"}}), start.clone()),
        bad
    );
    assert_eq!(
        fail(
            "SET a = list_append(s, :l)",
            json!({":l": {"L": []}}),
            start.clone()
        ),
        bad
    );
    assert_eq!(
        fail("ADD s :n", json!({":n": {"N": "1"}}), start.clone()),
        bad
    );
    assert_eq!(
        fail("ADD ss :n", json!({":n": {"NS": ["1"]}}), start.clone()),
        bad
    );
    assert_eq!(
        fail("DELETE n :n", json!({":n": {"NS": ["1"]}}), start),
        bad
    );
}

#[test]
fn static_operand_type_errors() {
    let mut c = ctx(
        Value::Null,
        json!({":s": {"S": "x"}, ":n": {"N": "1"}, ":m": {"M": {}}}),
    );
    assert_eq!(
        msg(c.parse_update("ADD a :s")),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"
    );
    assert_eq!(
        msg(c.parse_update("DELETE a :n")),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"
    );
    assert_eq!(
        msg(c.parse_update("SET a = b + :s")),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"
    );
    assert_eq!(
        msg(c.parse_update("SET a = list_append(b, :m)")),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: M"
    );
}

#[test]
fn add_and_delete() {
    let start = json!({"n": {"N": "1"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1"]}});
    let v = json!({":n": {"N": "2.5"}, ":ss": {"SS": ["b", "c"]}, ":ns": {"NS": ["2"]}});
    let out = ok(
        "ADD n :n, ss :ss, ns :ns, fresh :n",
        v.clone(),
        start.clone(),
    );
    assert_eq!(out["n"], json!({"N": "3.5"}));
    assert_eq!(out["ss"], json!({"SS": ["a", "b", "c"]}));
    assert_eq!(out["ns"], json!({"NS": ["1", "2"]}));
    assert_eq!(out["fresh"], json!({"N": "2.5"}));
    let out = ok(
        "DELETE ss :ss, ns :ns, nope :ss",
        json!({":ss": {"SS": ["b", "c"]}, ":ns": {"NS": ["1"]}}),
        start,
    );
    assert_eq!(out["ss"], json!({"SS": ["a"]}));
    // A set emptied by DELETE disappears.
    assert!(out.get("ns").is_none());
    assert!(out.get("nope").is_none());
}

#[test]
fn number_overflow() {
    let big = "9E+125";
    let e = fail(
        "ADD n :n",
        json!({":n": {"N": big}}),
        json!({"n": {"N": big}}),
    );
    assert!(e.contains("Number overflow"), "{e}");
    let e = fail(
        "SET n = n + :n",
        json!({":n": {"N": big}}),
        json!({"n": {"N": big}}),
    );
    assert!(e.contains("Number overflow"), "{e}");
}

#[test]
fn overlapping_and_conflicting_paths() {
    let mut c = ctx(json!({"#a": "a"}), json!({":v": {"S": "x"}}));
    assert_eq!(
        msg(c.parse_update("SET a = :v REMOVE #a.b")),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        msg(c.parse_update("SET a.b = :v, a[0] = :v")),
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
    );
    assert_eq!(
        msg(c.parse_update("SET a = :v, a = :v")),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
    );
    assert!(c
        .parse_update("SET a.b = :v, a.c = :v, a.d[1] = :v REMOVE a.d[0]")
        .is_ok());
    // Reading a path that is also written is fine.
    assert!(c.parse_update("SET a = if_not_exists(a, :v)").is_ok());
}

#[test]
fn key_attributes_cannot_be_updated() {
    let mut c = ctx(Value::Null, json!({":v": {"S": "x"}}));
    let u = c.parse_update("SET sk = :v").unwrap();
    assert_eq!(
        msg(u.check_key_attributes(&schema(Some("S")))),
        "Cannot update attribute sk. This attribute is part of the key"
    );
    let u = c.parse_update("REMOVE pk").unwrap();
    assert_eq!(
        msg(u.check_key_attributes(&schema(None))),
        "Cannot update attribute pk. This attribute is part of the key"
    );
    let u = c.parse_update("SET x = :v").unwrap();
    u.check_key_attributes(&schema(Some("S"))).unwrap();
}

#[test]
fn changed_paths_project_old_and_new() {
    let start = json!({"a": {"N": "1"}, "b": {"M": {"c": {"N": "2"}, "d": {"N": "3"}}}, "e": {"S": "keep"}});
    let mut c = ctx(Value::Null, json!({":v": {"N": "9"}}));
    let u = c.parse_update("SET b.c = :v, f = :v REMOVE a").unwrap();
    let old = item(start);
    let mut new = old.clone();
    let changed = u.apply(&mut new).unwrap();
    assert_eq!(
        item_to_json(&project_paths(&old, &changed)),
        json!({"a": {"N": "1"}, "b": {"M": {"c": {"N": "2"}}}})
    );
    assert_eq!(
        item_to_json(&project_paths(&new, &changed)),
        json!({"b": {"M": {"c": {"N": "9"}}}, "f": {"N": "9"}})
    );
}
