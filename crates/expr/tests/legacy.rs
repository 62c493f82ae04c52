//! Legacy parameters: Expected, QueryFilter/ScanFilter, AttributeUpdates,
//! AttributesToGet, KeyConditions.

mod common;

use common::{item, msg, schema};
use serde_json::json;
use shoal_expr::legacy::*;
use shoal_expr::SortCondition;
use shoal_types::json::item_to_json;
use shoal_types::AttributeValue;

#[test]
fn expected_exists_and_value() {
    let it = item(json!({"a": {"S": "x"}, "n": {"N": "5"}}));
    let check = |e: serde_json::Value, op: Option<&str>| {
        expected_to_condition(&e, op)
            .unwrap()
            .evaluate(Some(&it))
            .unwrap()
    };
    assert!(check(json!({"a": {"Value": {"S": "x"}}}), None));
    assert!(check(
        json!({"a": {"Exists": true, "Value": {"S": "x"}}}),
        None
    ));
    assert!(check(json!({"b": {"Exists": false}}), None));
    assert!(!check(json!({"a": {"Exists": false}}), None));
    assert!(check(json!({}), None));
    assert!(check(
        json!({"a": {"Exists": false}, "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}}),
        Some("OR")
    ));
    assert!(!check(
        json!({"a": {"Exists": false}, "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}}),
        Some("AND")
    ));
}

#[test]
fn expected_operators() {
    let it = item(json!({"s": {"S": "hello"}, "n": {"N": "5"}, "ss": {"SS": ["a"]}}));
    let check = |name: &str, op: &str, args: serde_json::Value| {
        let e = json!({name: {"ComparisonOperator": op, "AttributeValueList": args}});
        expected_to_condition(&e, None)
            .unwrap()
            .evaluate(Some(&it))
            .unwrap()
    };
    assert!(check("n", "EQ", json!([{"N": "5"}])));
    assert!(check("n", "NE", json!([{"N": "6"}])));
    assert!(check("nope", "NE", json!([{"N": "6"}])));
    assert!(check("n", "LE", json!([{"N": "5"}])));
    assert!(check("n", "LT", json!([{"N": "6"}])));
    assert!(check("n", "GE", json!([{"N": "5"}])));
    assert!(!check("n", "GT", json!([{"N": "5"}])));
    assert!(check("n", "NOT_NULL", json!([])));
    assert!(check("nope", "NULL", json!([])));
    assert!(check("s", "CONTAINS", json!([{"S": "ell"}])));
    assert!(check("ss", "CONTAINS", json!([{"S": "a"}])));
    assert!(check("s", "NOT_CONTAINS", json!([{"S": "z"}])));
    assert!(!check("nope", "NOT_CONTAINS", json!([{"S": "z"}])));
    assert!(check("s", "BEGINS_WITH", json!([{"S": "he"}])));
    assert!(check("n", "IN", json!([{"N": "1"}, {"N": "5"}])));
    assert!(check("n", "BETWEEN", json!([{"N": "1"}, {"N": "5"}])));
}

#[test]
fn expected_validation() {
    let m = |e: serde_json::Value| msg(expected_to_condition(&e, None));
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}})),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "x"}]}})),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "x"}]}})),
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}})),
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}})),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]}})),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"S": "1"}]}})),
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    );
    assert_eq!(
        m(json!({"a": {"Exists": true}})),
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"
    );
    assert_eq!(
        m(json!({"a": {}})),
        "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"
    );
    assert_eq!(
        m(json!({"a": {"Exists": false, "Value": {"S": "x"}}})),
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"
    );
    assert_eq!(
        m(json!({"a": {"ComparisonOperator": "FOO"}})),
        "1 validation error detected: Value 'FOO' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
    );
    assert_eq!(
        msg(expected_to_condition(&json!({}), Some("XOR"))),
        "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
    );
}

#[test]
fn filters() {
    let it = item(json!({"n": {"N": "5"}}));
    let f = json!({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}});
    assert!(filter_to_condition(&f, None)
        .unwrap()
        .evaluate(Some(&it))
        .unwrap());
    assert_eq!(
        msg(filter_to_condition_named("scanFilter", &json!({"n": {}}), None)),
        "1 validation error detected: Value null at 'scanFilter.n.member.comparisonOperator' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn attribute_updates() {
    let u = attribute_updates_to_update(&json!({
        "a": {"Action": "PUT", "Value": {"S": "x"}},
        "b": {"Value": {"S": "y"}},
        "n": {"Action": "ADD", "Value": {"N": "2"}},
        "r": {"Action": "DELETE"},
        "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}}
    }))
    .unwrap();
    let mut it = item(json!({"n": {"N": "1"}, "r": {"S": "gone"}, "ss": {"SS": ["a", "b"]}}));
    u.apply(&mut it).unwrap();
    assert_eq!(
        item_to_json(&it),
        json!({"a": {"S": "x"}, "b": {"S": "y"}, "n": {"N": "3"}, "ss": {"SS": ["b"]}})
    );
    assert_eq!(
        msg(attribute_updates_to_update(&json!({"a": {"Action": "PUT"}}))),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        msg(attribute_updates_to_update(
            &json!({"a": {"Action": "ADD", "Value": {"S": "x"}}})
        )),
        "One or more parameter values were invalid: ADD action is not supported for the type S"
    );
    assert_eq!(
        msg(attribute_updates_to_update(&json!({"a": {"Action": "DELETE", "Value": {"N": "1"}}}))),
        "One or more parameter values were invalid: DELETE action with value is not supported for the type N"
    );
    let u =
        attribute_updates_to_update(&json!({"s": {"Action": "ADD", "Value": {"N": "1"}}})).unwrap();
    let mut it = item(json!({"s": {"S": "x"}}));
    assert_eq!(
        msg(u.apply(&mut it)),
        "Type mismatch for attribute to update"
    );
    let u = attribute_updates_to_update(&json!({"pk": {"Value": {"S": "x"}}})).unwrap();
    assert_eq!(
        msg(u.check_key_attributes(&schema(None))),
        "Cannot update attribute pk. This attribute is part of the key"
    );
}

#[test]
fn attributes_to_get() {
    let p = attributes_to_get_to_projection(&json!(["a", "b.c"])).unwrap();
    let it =
        item(json!({"a": {"S": "x"}, "b.c": {"S": "literal"}, "b": {"M": {"c": {"S": "nested"}}}}));
    assert_eq!(
        item_to_json(&p.apply(&it)),
        json!({"a": {"S": "x"}, "b.c": {"S": "literal"}})
    );
    assert_eq!(
        msg(attributes_to_get_to_projection(&json!([]))),
        "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    assert_eq!(
        msg(attributes_to_get_to_projection(&json!(["a", "a"]))),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}

#[test]
fn key_conditions() {
    let sch = schema(Some("N"));
    let k = key_conditions_to_key_condition(
        &json!({
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}
        }),
        &sch,
    )
    .unwrap();
    assert_eq!(k.partition_value, AttributeValue::S("p".into()));
    assert!(matches!(k.sort, Some(SortCondition::Between(..))));
    let m = |v: serde_json::Value| msg(key_conditions_to_key_condition(&v, &sch));
    assert_eq!(
        m(json!({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        m(json!({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}})),
        "Attempted conditional constraint is not an indexable operation"
    );
    assert_eq!(
        m(json!({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "p"}]}})),
        "Query key condition not supported"
    );
    assert_eq!(
        m(json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(m(json!({})), "Conditions can be of length 1 or 2 only");
}
