//! The legacy (pre-expression) parameters through the SDK (issue 3, items 5 and 6):
//! `Expected` with `Exists`, `Value`, every ComparisonOperator and `ConditionalOperator`;
//! `AttributeUpdates` PUT/ADD/DELETE; `AttributesToGet` on every read; `KeyConditions`;
//! `QueryFilter` and `ScanFilter`; and the rule that a request may not mix legacy
//! parameters with expressions, on every operation. `conditions` and `items` already
//! cover the basic Expected and AttributeUpdates cases.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue, AttributeValueUpdate, ComparisonOperator, Condition,
    ConditionalOperator, ExpectedAttributeValue, KeysAndAttributes, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

const MIXED: &str = "Can not use both expression and non-expression parameters in the same \
                     request: ";

fn ss(v: &[&str]) -> AttributeValue {
    AttributeValue::Ss(v.iter().map(|s| s.to_string()).collect())
}

fn bin(b: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(b.to_vec()))
}

fn sorted(v: &AttributeValue) -> Vec<String> {
    let mut out = match v {
        AttributeValue::Ss(x) | AttributeValue::Ns(x) => x.clone(),
        other => panic!("not a set: {other:?}"),
    };
    out.sort();
    out
}

async fn put(c: &Client, table: &str, it: &Item) {
    c.put_item()
        .table_name(table)
        .set_item(Some(it.clone()))
        .send()
        .await
        .unwrap();
}

/// `ComparisonOperator` with an `AttributeValueList`.
fn op(o: ComparisonOperator, args: &[AttributeValue]) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder()
        .comparison_operator(o)
        .set_attribute_value_list((!args.is_empty()).then(|| args.to_vec()))
        .build()
}

fn cond(o: ComparisonOperator, args: &[AttributeValue]) -> Condition {
    Condition::builder()
        .comparison_operator(o)
        .set_attribute_value_list((!args.is_empty()).then(|| args.to_vec()))
        .build()
        .unwrap()
}

/// Re-puts `it` under `expected`: `Ok(true)` if it held, `Ok(false)` on
/// ConditionalCheckFailedException, `Err((code, message))` otherwise.
async fn holds(
    c: &Client,
    table: &str,
    it: &Item,
    expected: Vec<(&str, ExpectedAttributeValue)>,
    conditional: Option<ConditionalOperator>,
) -> Result<bool, (String, String)> {
    let mut req = c
        .put_item()
        .table_name(table)
        .set_item(Some(it.clone()))
        .set_conditional_operator(conditional);
    for (k, v) in expected {
        req = req.expected(k, v);
    }
    match req.send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let (code, msg) = service_error(e);
            if code == "ConditionalCheckFailedException" {
                Ok(false)
            } else {
                Err((code, msg))
            }
        }
    }
}

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

fn legacy_doc() -> Item {
    item([
        ("pk", s("k")),
        ("n", n("5")),
        ("s", s("hello")),
        ("b", bin(&[1, 2])),
        ("ss", ss(&["a", "b"])),
        ("l", AttributeValue::L(vec![n("1"), s("x")])),
        ("t", AttributeValue::Bool(true)),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_every_comparison_operator() {
    use ComparisonOperator as Op;
    let srv = Server::start();
    let c = srv.client();
    let t = "l_exp";
    create_hash_table(&c, t).await;
    let d = legacy_doc();
    put(&c, t, &d).await;
    let cases: Vec<(&str, ExpectedAttributeValue, bool)> = vec![
        ("n", op(Op::Eq, &[n("5")]), true),
        ("n", op(Op::Eq, &[n("5.0")]), true),
        ("n", op(Op::Eq, &[n("6")]), false),
        ("n", op(Op::Eq, &[s("5")]), false),
        ("ss", op(Op::Eq, &[ss(&["b", "a"])]), true),
        ("t", op(Op::Eq, &[AttributeValue::Bool(true)]), true),
        ("missing", op(Op::Eq, &[n("5")]), false),
        ("n", op(Op::Ne, &[n("6")]), true),
        ("n", op(Op::Ne, &[n("5")]), false),
        ("n", op(Op::Ne, &[s("5")]), true),
        ("n", op(Op::Le, &[n("5")]), true),
        ("n", op(Op::Le, &[n("4")]), false),
        ("n", op(Op::Lt, &[n("6")]), true),
        ("n", op(Op::Lt, &[n("5")]), false),
        ("n", op(Op::Ge, &[n("5")]), true),
        ("n", op(Op::Ge, &[n("6")]), false),
        ("n", op(Op::Gt, &[n("4")]), true),
        ("n", op(Op::Gt, &[n("5")]), false),
        ("n", op(Op::Gt, &[s("1")]), false),
        ("s", op(Op::Lt, &[s("world")]), true),
        ("s", op(Op::Ge, &[s("help")]), false),
        ("b", op(Op::Gt, &[bin(&[1])]), true),
        ("missing", op(Op::Lt, &[n("100")]), false),
        ("n", op(Op::NotNull, &[]), true),
        ("missing", op(Op::NotNull, &[]), false),
        ("missing", op(Op::Null, &[]), true),
        ("n", op(Op::Null, &[]), false),
        ("s", op(Op::Contains, &[s("ell")]), true),
        ("s", op(Op::Contains, &[s("xyz")]), false),
        ("ss", op(Op::Contains, &[s("a")]), true),
        ("ss", op(Op::Contains, &[s("z")]), false),
        ("l", op(Op::Contains, &[n("1")]), true),
        ("b", op(Op::Contains, &[bin(&[2])]), true),
        ("n", op(Op::Contains, &[n("5")]), false),
        ("s", op(Op::NotContains, &[s("xyz")]), true),
        ("s", op(Op::NotContains, &[s("ell")]), false),
        ("ss", op(Op::NotContains, &[s("z")]), true),
        ("ss", op(Op::NotContains, &[s("a")]), false),
        ("s", op(Op::BeginsWith, &[s("he")]), true),
        ("s", op(Op::BeginsWith, &[s("lo")]), false),
        ("b", op(Op::BeginsWith, &[bin(&[1])]), true),
        ("n", op(Op::BeginsWith, &[s("5")]), false),
        ("n", op(Op::In, &[n("1"), n("5")]), true),
        ("n", op(Op::In, &[n("1"), n("2")]), false),
        ("s", op(Op::In, &[s("hello")]), true),
        ("n", op(Op::In, &[s("5")]), false),
        ("n", op(Op::Between, &[n("1"), n("5")]), true),
        ("n", op(Op::Between, &[n("5"), n("5")]), true),
        ("n", op(Op::Between, &[n("6"), n("9")]), false),
        ("s", op(Op::Between, &[s("a"), s("z")]), true),
        ("n", op(Op::Between, &[s("a"), s("z")]), false),
        // Value with and without Exists.
        (
            "n",
            ExpectedAttributeValue::builder().value(n("5")).build(),
            true,
        ),
        (
            "n",
            ExpectedAttributeValue::builder().value(n("6")).build(),
            false,
        ),
        (
            "missing",
            ExpectedAttributeValue::builder().value(n("5")).build(),
            false,
        ),
        (
            "n",
            ExpectedAttributeValue::builder()
                .exists(true)
                .value(n("5"))
                .build(),
            true,
        ),
        (
            "n",
            ExpectedAttributeValue::builder()
                .exists(true)
                .value(n("6"))
                .build(),
            false,
        ),
        (
            "missing",
            ExpectedAttributeValue::builder().exists(false).build(),
            true,
        ),
        (
            "n",
            ExpectedAttributeValue::builder().exists(false).build(),
            false,
        ),
    ];
    for (name, e, want) in cases {
        let shown = format!("{name} {e:?}");
        assert_eq!(
            holds(&c, t, &d, vec![(name, e)], None).await,
            Ok(want),
            "{shown}"
        );
    }

    // Several conditions: AND by default, OR on request.
    let f = || ("n", op(Op::Eq, &[n("6")]));
    let tr = || ("s", op(Op::Eq, &[s("hello")]));
    assert_eq!(holds(&c, t, &d, vec![f(), tr()], None).await, Ok(false));
    assert_eq!(
        holds(&c, t, &d, vec![f(), tr()], Some(ConditionalOperator::And)).await,
        Ok(false)
    );
    assert_eq!(
        holds(&c, t, &d, vec![f(), tr()], Some(ConditionalOperator::Or)).await,
        Ok(true)
    );
    assert_eq!(
        holds(
            &c,
            t,
            &d,
            vec![f(), ("missing", op(Op::NotNull, &[]))],
            Some(ConditionalOperator::Or)
        )
        .await,
        Ok(false)
    );
    assert_eq!(
        holds(
            &c,
            t,
            &d,
            vec![
                tr(),
                (
                    "missing",
                    ExpectedAttributeValue::builder().exists(false).build()
                )
            ],
            None
        )
        .await,
        Ok(true)
    );

    // Validation of the parameter.
    let bad: Vec<(ExpectedAttributeValue, &str)> =
        vec![
        (
            ExpectedAttributeValue::builder().exists(true).build(),
            "Value must be provided when Exists is true",
        ),
        (
            ExpectedAttributeValue::builder().exists(false).value(n("5")).build(),
            "Value cannot be used when Exists is false",
        ),
        (
            op(Op::Eq, &[n("1"), n("2")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ \
             ComparisonOperator",
        ),
        (
            op(Op::Eq, &[]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ \
             ComparisonOperator",
        ),
        (
            op(Op::Null, &[n("1")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the \
             NULL ComparisonOperator",
        ),
        (
            op(Op::NotNull, &[n("1")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the \
             NOT_NULL ComparisonOperator",
        ),
        (
            op(Op::Between, &[n("1")]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the \
             BETWEEN ComparisonOperator",
        ),
        (
            op(Op::In, &[]),
            "One or more parameter values were invalid: Invalid number of argument(s) for the IN \
             ComparisonOperator",
        ),
        (
            op(Op::Lt, &[ss(&["a"])]),
            "One or more parameter values were invalid: ComparisonOperator LT is not valid for \
             SS AttributeValue type",
        ),
        (
            op(Op::BeginsWith, &[n("1")]),
            "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not \
             valid for N AttributeValue type",
        ),
        (
            op(Op::Contains, &[AttributeValue::Bool(true)]),
            "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid \
             for BOOL AttributeValue type",
        ),
        (op(Op::Between, &[n("9"), n("1")]), "lower bound"),
        (op(Op::Between, &[n("1"), s("9")]), "same type"),
        (
            ExpectedAttributeValue::builder()
                .exists(true)
                .comparison_operator(Op::Eq)
                .attribute_value_list(n("5"))
                .build(),
            "Exists",
        ),
        (
            ExpectedAttributeValue::builder()
                .value(n("5"))
                .comparison_operator(Op::Eq)
                .attribute_value_list(n("5"))
                .build(),
            "Value and AttributeValueList cannot be used together",
        ),
        (
            ExpectedAttributeValue::builder()
                .attribute_value_list(n("5"))
                .build(),
            "AttributeValueList can only be used with a ComparisonOperator",
        ),
    ];
    for (e, part) in bad {
        assert_validation_contains(holds(&c, t, &d, vec![("n", e)], None).await, part);
    }
    // ConditionalOperator needs Expected.
    assert_validation_contains(
        holds(&c, t, &d, vec![], Some(ConditionalOperator::Or)).await,
        "ConditionalOperator",
    );
    assert_eq!(get_pk(&c, t, "k").await, Some(d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_on_update_and_delete_with_all_old() {
    use ComparisonOperator as Op;
    let srv = Server::start();
    let c = srv.client();
    let t = "l_expud";
    create_hash_table(&c, t).await;
    let d = legacy_doc();
    put(&c, t, &d).await;
    // UpdateItem with Expected and AttributeUpdates (both legacy).
    let err = c
        .update_item()
        .table_name(t)
        .key("pk", s("k"))
        .attribute_updates(
            "n",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("1"))
                .build(),
        )
        .expected("n", op(Op::Gt, &[n("5")]))
        .expected("s", op(Op::BeginsWith, &[s("he")]))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        UpdateItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.message(), Some("The conditional request failed"));
            assert_eq!(e.item(), Some(&d));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(get_pk(&c, t, "k").await, Some(d.clone()));
    let out = c
        .update_item()
        .table_name(t)
        .key("pk", s("k"))
        .attribute_updates(
            "n",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("1"))
                .build(),
        )
        .expected("n", op(Op::Gt, &[n("5")]))
        .expected("s", op(Op::BeginsWith, &[s("he")]))
        .conditional_operator(ConditionalOperator::Or)
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, Some(item([("n", n("6"))])));
    // Expected with an UpdateExpression is mixing styles.
    assert_validation(
        c.update_item()
            .table_name(t)
            .key("pk", s("k"))
            .update_expression("SET n = :v")
            .expression_attribute_values(":v", n("0"))
            .expected("n", op(Op::Eq, &[n("6")]))
            .send()
            .await,
        &format!("{MIXED}Non-expression parameters: {{Expected}} Expression parameters: {{UpdateExpression}}"),
    );
    // DeleteItem under Expected, with ALL_OLD on failure.
    let now = get_pk(&c, t, "k").await.unwrap();
    let err = c
        .delete_item()
        .table_name(t)
        .key("pk", s("k"))
        .expected(
            "t",
            ExpectedAttributeValue::builder()
                .value(AttributeValue::Bool(false))
                .build(),
        )
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        DeleteItemError::ConditionalCheckFailedException(e) => assert_eq!(e.item(), Some(&now)),
        other => panic!("{other:?}"),
    }
    assert_eq!(get_pk(&c, t, "k").await, Some(now.clone()));
    let out = c
        .delete_item()
        .table_name(t)
        .key("pk", s("k"))
        .expected(
            "t",
            ExpectedAttributeValue::builder()
                .value(AttributeValue::Bool(true))
                .build(),
        )
        .expected("ss", op(Op::Contains, &[s("b")]))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(out.attributes, Some(now));
    assert_eq!(get_pk(&c, t, "k").await, None);
    // Expected on a missing item: only absence checks hold.
    let fresh = item([("pk", s("k")), ("v", n("1"))]);
    assert_eq!(
        holds(&c, t, &fresh, vec![("pk", op(Op::NotNull, &[]))], None).await,
        Ok(false)
    );
    assert_eq!(get_pk(&c, t, "k").await, None);
    assert_eq!(
        holds(&c, t, &fresh, vec![("pk", op(Op::Null, &[]))], None).await,
        Ok(true)
    );
    assert_eq!(get_pk(&c, t, "k").await, Some(fresh));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_updates_actions_and_errors() {
    let srv = Server::start();
    let c = srv.client();
    let t = "l_au";
    create_hash_range_table(&c, t).await;
    let key = item([("pk", s("k")), ("sk", s("s"))]);
    let base = item([
        ("pk", s("k")),
        ("sk", s("s")),
        ("n", n("1")),
        ("str", s("text")),
        ("tags", ss(&["a", "b"])),
        ("nums", AttributeValue::Ns(vec!["1".into()])),
        ("l", AttributeValue::L(vec![n("1")])),
    ]);
    put(&c, t, &base).await;
    let au = |action: AttributeAction, v: Option<AttributeValue>| {
        AttributeValueUpdate::builder()
            .action(action)
            .set_value(v)
            .build()
    };
    let upd = || c.update_item().table_name(t).set_key(Some(key.clone()));
    let read = || async {
        c.get_item()
            .table_name(t)
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap()
    };

    let out = upd()
        .attribute_updates("n", au(AttributeAction::Add, Some(n("-3.5"))))
        .attribute_updates("newnum", au(AttributeAction::Add, Some(n("7"))))
        .attribute_updates("tags", au(AttributeAction::Add, Some(ss(&["c", "a"]))))
        .attribute_updates("newset", au(AttributeAction::Add, Some(ss(&["z"]))))
        .attribute_updates(
            "l",
            au(
                AttributeAction::Add,
                Some(AttributeValue::L(vec![s("two")])),
            ),
        )
        .attribute_updates(
            "nums",
            au(
                AttributeAction::Delete,
                Some(AttributeValue::Ns(vec!["1".into(), "9".into()])),
            ),
        )
        .attribute_updates(
            "str",
            au(
                AttributeAction::Put,
                Some(AttributeValue::M(item([("x", n("1"))]))),
            ),
        )
        .attribute_updates("gone", au(AttributeAction::Delete, None))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    // UPDATED_OLD has the old values of the attributes that existed.
    assert_eq!(out["n"], n("1"));
    assert_eq!(out["str"], s("text"));
    assert_eq!(sorted(&out["tags"]), ["a", "b"]);
    assert!(!out.contains_key("newnum"));
    let now = read().await;
    assert_eq!(now["n"], n("-2.5"));
    assert_eq!(now["newnum"], n("7"));
    assert_eq!(sorted(&now["tags"]), ["a", "b", "c"]);
    assert_eq!(sorted(&now["newset"]), ["z"]);
    assert_eq!(now["l"], AttributeValue::L(vec![n("1"), s("two")]));
    assert!(
        !now.contains_key("nums"),
        "deleting every member removes the set"
    );
    assert_eq!(now["str"], AttributeValue::M(item([("x", n("1"))])));
    // Action defaults to PUT.
    upd()
        .attribute_updates("p", AttributeValueUpdate::builder().value(s("put")).build())
        .send()
        .await
        .unwrap();
    assert_eq!(read().await["p"], s("put"));
    let before = read().await;

    for (name, update, part) in [
        (
            "str",
            au(AttributeAction::Add, Some(n("1"))),
            "Type mismatch for attribute to update",
        ),
        (
            "tags",
            au(AttributeAction::Add, Some(n("1"))),
            "Type mismatch for attribute to update",
        ),
        (
            "n",
            au(AttributeAction::Delete, Some(ss(&["a"]))),
            "Type mismatch for attribute to update",
        ),
        (
            "x",
            au(AttributeAction::Add, Some(s("s"))),
            "ADD action is not supported for the type S",
        ),
        (
            "x",
            au(AttributeAction::Add, Some(AttributeValue::Bool(true))),
            "ADD action is not supported for the type BOOL",
        ),
        (
            "x",
            au(AttributeAction::Delete, Some(n("1"))),
            "DELETE action with value is not supported for the type N",
        ),
        (
            "x",
            au(AttributeAction::Put, None),
            "Only DELETE action is allowed when no attribute value is specified",
        ),
        (
            "x",
            au(AttributeAction::Add, None),
            "Only DELETE action is allowed when no attribute value is specified",
        ),
        (
            "pk",
            au(AttributeAction::Put, Some(s("other"))),
            "Cannot update attribute pk",
        ),
        (
            "sk",
            au(AttributeAction::Delete, None),
            "Cannot update attribute sk",
        ),
    ] {
        let (code, msg) = service_error(
            upd()
                .attribute_updates(name, update)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(code, "ValidationException", "{name}: {msg}");
        assert!(msg.contains(part), "{name}: {msg:?} lacks {part:?}");
    }
    assert_eq!(
        read().await,
        before,
        "rejected AttributeUpdates changed nothing"
    );
    // AttributeUpdates with a ConditionExpression is mixing styles.
    assert_validation(
        upd()
            .attribute_updates("p", au(AttributeAction::Put, Some(s("x"))))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await,
        &format!(
            "{MIXED}Non-expression parameters: {{AttributeUpdates}} Expression parameters: \
             {{ConditionExpression}}"
        ),
    );
    assert_eq!(read().await, before);
}

async fn read_table(c: &Client, t: &str) {
    create_hash_range_table(c, t).await;
    for p in ["a", "b"] {
        for i in 1..=6 {
            let mut it = item([
                ("pk", s(p)),
                ("sk", s(&format!("{i:02}"))),
                ("v", n(&i.to_string())),
                ("w", s(if i % 2 == 0 { "even" } else { "odd" })),
                ("dotted.name", s("literal")),
            ]);
            if i == 3 {
                it.insert("tags".into(), ss(&["x", "y"]));
            }
            put(c, t, &it).await;
        }
    }
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["sk"].as_s().unwrap().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_to_get_on_every_read() {
    let srv = Server::start();
    let c = srv.client();
    let t = "l_atg";
    read_table(&c, t).await;
    let want = item([("v", n("1")), ("dotted.name", s("literal"))]);
    let out = c
        .query()
        .table_name(t)
        .key_conditions("pk", cond(ComparisonOperator::Eq, &[s("a")]))
        .key_conditions("sk", cond(ComparisonOperator::Eq, &[s("01")]))
        .attributes_to_get("v")
        .attributes_to_get("dotted.name")
        .attributes_to_get("nothing")
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), std::slice::from_ref(&want));
    let out = c
        .scan()
        .table_name(t)
        .attributes_to_get("v")
        .attributes_to_get("dotted.name")
        .select(Select::SpecificAttributes)
        .scan_filter("v", cond(ComparisonOperator::Eq, &[n("1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.items(), [want.clone(), want.clone()]);
    let ka = KeysAndAttributes::builder()
        .keys(item([("pk", s("a")), ("sk", s("01"))]))
        .keys(item([("pk", s("b")), ("sk", s("01"))]))
        .attributes_to_get("v")
        .attributes_to_get("dotted.name")
        .build()
        .unwrap();
    let out = c
        .batch_get_item()
        .request_items(t, ka)
        .send()
        .await
        .unwrap();
    assert_eq!(out.responses().unwrap()[t], [want.clone(), want]);

    // Duplicates, and AttributesToGet with another Select.
    let (code, msg) = service_error(
        c.get_item()
            .table_name(t)
            .key("pk", s("a"))
            .key("sk", s("01"))
            .attributes_to_get("v")
            .attributes_to_get("v")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("Duplicate value in attribute name: v"),
        "{msg}"
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .attributes_to_get("v")
            .select(Select::AllAttributes)
            .send()
            .await,
        "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
    );
    let (code, msg) = service_error(
        c.scan()
            .table_name(t)
            .attributes_to_get("v")
            .select(Select::Count)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("AttributesToGet"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_conditions_every_operator() {
    use ComparisonOperator as Op;
    let srv = Server::start();
    let c = srv.client();
    let t = "l_kc";
    read_table(&c, t).await;
    create_table(
        &c,
        "l_kcb",
        ("pk", ScalarAttributeType::S),
        Some(("sk", ScalarAttributeType::B)),
    )
    .await;
    for k in [&[0x01u8][..], &[0x01, 0x02], &[0x02]] {
        put(&c, "l_kcb", &item([("pk", s("p")), ("sk", bin(k))])).await;
    }
    let q = |sk: Option<Condition>| {
        c.query()
            .table_name(t)
            .set_key_conditions({
                let mut m = HashMap::from([("pk".to_string(), cond(Op::Eq, &[s("a")]))]);
                if let Some(sk) = sk {
                    m.insert("sk".into(), sk);
                }
                Some(m)
            })
            .consistent_read(true)
    };
    for (sk, want) in [
        (None, vec!["01", "02", "03", "04", "05", "06"]),
        (Some(cond(Op::Eq, &[s("03")])), vec!["03"]),
        (Some(cond(Op::Lt, &[s("03")])), vec!["01", "02"]),
        (Some(cond(Op::Le, &[s("03")])), vec!["01", "02", "03"]),
        (Some(cond(Op::Gt, &[s("04")])), vec!["05", "06"]),
        (Some(cond(Op::Ge, &[s("04")])), vec!["04", "05", "06"]),
        (
            Some(cond(Op::Between, &[s("02"), s("04")])),
            vec!["02", "03", "04"],
        ),
        (
            Some(cond(Op::BeginsWith, &[s("0")])),
            vec!["01", "02", "03", "04", "05", "06"],
        ),
        (Some(cond(Op::BeginsWith, &[s("05")])), vec!["05"]),
        (Some(cond(Op::BeginsWith, &[s("1")])), vec![]),
    ] {
        let shown = format!("{sk:?}");
        let out = q(sk).send().await.unwrap();
        assert_eq!(sks(out.items()), want, "{shown}");
    }
    let out = c
        .query()
        .table_name("l_kcb")
        .key_conditions("pk", cond(Op::Eq, &[s("p")]))
        .key_conditions("sk", cond(Op::BeginsWith, &[bin(&[0x01])]))
        .send()
        .await
        .unwrap();
    let got: Vec<AttributeValue> = out.items().iter().map(|i| i["sk"].clone()).collect();
    assert_eq!(got, [bin(&[0x01]), bin(&[0x01, 0x02])]);

    let exact: Vec<(Option<Condition>, Option<Condition>, &str)> = vec![
        (
            Some(cond(Op::Eq, &[s("a")])),
            Some(cond(Op::Ne, &[s("01")])),
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            Some(cond(Op::Eq, &[s("a")])),
            Some(cond(Op::Contains, &[s("01")])),
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            Some(cond(Op::Eq, &[s("a")])),
            Some(cond(Op::NotNull, &[])),
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            Some(cond(Op::Gt, &[s("a")])),
            None,
            "Query key condition not supported",
        ),
        (
            None,
            Some(cond(Op::Eq, &[s("01")])),
            "Query condition missed key schema element: pk",
        ),
        (
            Some(cond(Op::Eq, &[n("1")])),
            None,
            "One or more parameter values were invalid: Condition parameter type does not match \
             schema type",
        ),
        (
            Some(cond(Op::Eq, &[s("a")])),
            Some(cond(Op::Lt, &[n("1")])),
            "One or more parameter values were invalid: Condition parameter type does not match \
             schema type",
        ),
        (
            Some(cond(Op::Eq, &[s("a")])),
            Some(cond(Op::Between, &[s("1")])),
            "One or more parameter values were invalid: Invalid number of argument(s) for the \
             BETWEEN ComparisonOperator",
        ),
    ];
    for (pk, sk, msg) in exact {
        let mut m = HashMap::new();
        if let Some(pk) = pk {
            m.insert("pk".to_string(), pk);
        }
        if let Some(sk) = sk {
            m.insert("sk".to_string(), sk);
        }
        assert_validation(
            c.query()
                .table_name(t)
                .set_key_conditions(Some(m))
                .send()
                .await,
            msg,
        );
    }
    let (code, msg) = service_error(
        c.query()
            .table_name(t)
            .key_conditions("pk", cond(Op::Eq, &[s("a")]))
            .key_conditions("sk", cond(Op::Eq, &[s("01")]))
            .key_conditions("v", cond(Op::Eq, &[n("1")]))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("Conditions can be of length 1 or 2 only"),
        "{msg}"
    );
    let (code, msg) = service_error(
        c.query()
            .table_name(t)
            .key_conditions("pk", cond(Op::Eq, &[s("a")]))
            .key_conditions("v", cond(Op::Eq, &[n("1")]))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("Query condition missed key schema element"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_filter_and_scan_filter() {
    use ComparisonOperator as Op;
    let srv = Server::start();
    let c = srv.client();
    let t = "l_flt";
    read_table(&c, t).await;
    let q = || {
        c.query()
            .table_name(t)
            .key_conditions("pk", cond(Op::Eq, &[s("a")]))
    };
    let out = q()
        .query_filter("v", cond(Op::Gt, &[n("4")]))
        .send()
        .await
        .unwrap();
    assert_eq!(sks(out.items()), ["05", "06"]);
    assert_eq!((out.count(), out.scanned_count()), (2, 6));
    // AND by default, OR on request.
    let out = q()
        .query_filter("v", cond(Op::Gt, &[n("4")]))
        .query_filter("tags", cond(Op::Contains, &[s("x")]))
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (0, 6));
    let out = q()
        .query_filter("v", cond(Op::Gt, &[n("4")]))
        .query_filter("tags", cond(Op::Contains, &[s("x")]))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .unwrap();
    assert_eq!(sks(out.items()), ["03", "05", "06"]);
    let out = q()
        .query_filter("w", cond(Op::Eq, &[s("even")]))
        .query_filter("tags", cond(Op::Null, &[]))
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(sks(out.items()), ["02"]);
    assert_eq!((out.count(), out.scanned_count()), (1, 3));
    let out = q()
        .query_filter("tags", cond(Op::NotNull, &[]))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (1, 6));
    assert!(out.items().is_empty());
    // A query filter may not name a key attribute.
    let (code, msg) = service_error(
        q().query_filter("sk", cond(Op::Gt, &[s("01")]))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.contains("can only contain non-primary key attributes") && msg.contains("sk"),
        "{msg}"
    );

    // ScanFilter over both partitions; key attributes are allowed.
    let out = c
        .scan()
        .table_name(t)
        .scan_filter("pk", cond(Op::Eq, &[s("b")]))
        .scan_filter("v", cond(Op::Between, &[n("2"), n("3")]))
        .send()
        .await
        .unwrap();
    let mut got = sks(out.items());
    got.sort();
    assert_eq!(got, ["02", "03"]);
    assert_eq!((out.count(), out.scanned_count()), (2, 12));
    let out = c
        .scan()
        .table_name(t)
        .scan_filter("v", cond(Op::In, &[n("1"), n("6")]))
        .scan_filter("w", cond(Op::BeginsWith, &[s("od")]))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count(), out.scanned_count()), (8, 12));
    let out = c
        .scan()
        .table_name(t)
        .scan_filter("tags", cond(Op::NotContains, &[s("x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 0, "NOT_CONTAINS needs the attribute");
    let out = c
        .scan()
        .table_name(t)
        .scan_filter("tags", cond(Op::NotContains, &[s("z")]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 2);
    // Filter validation.
    for (f, part) in [
        (
            cond(Op::Eq, &[n("1"), n("2")]),
            "Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
        (
            cond(Op::Gt, &[AttributeValue::Bool(true)]),
            "ComparisonOperator GT is not valid for BOOL AttributeValue type",
        ),
        (cond(Op::Between, &[n("5"), n("1")]), "lower bound"),
    ] {
        let (code, msg) = service_error(
            c.scan()
                .table_name(t)
                .scan_filter("v", f)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(code, "ValidationException");
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    let (code, msg) = service_error(
        c.scan()
            .table_name(t)
            .conditional_operator(ConditionalOperator::Or)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("ConditionalOperator"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixing_legacy_and_expressions_is_refused_everywhere() {
    use ComparisonOperator as Op;
    let srv = Server::start();
    let c = srv.client();
    let t = "l_mix";
    read_table(&c, t).await;
    let key = item([("pk", s("a")), ("sk", s("01"))]);
    let orig = c
        .get_item()
        .table_name(t)
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let exists = || {
        ExpectedAttributeValue::builder()
            .exists(true)
            .value(n("1"))
            .build()
    };
    let mixed = |legacy: &str, modern: &str| {
        format!(
            "{MIXED}Non-expression parameters: {{{legacy}}} Expression parameters: {{{modern}}}"
        )
    };

    // PutItem: Expected + ConditionExpression is in `conditions`; ConditionalOperator too.
    let (code, msg) = service_error(
        c.put_item()
            .table_name(t)
            .set_item(Some(key.clone()))
            .expected("v", exists())
            .expected("w", exists())
            .conditional_operator(ConditionalOperator::Or)
            .condition_expression("attribute_exists(v)")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(MIXED) && msg.contains("ConditionalOperator"),
        "{msg}"
    );
    // DeleteItem.
    assert_validation(
        c.delete_item()
            .table_name(t)
            .set_key(Some(key.clone()))
            .expected("v", exists())
            .condition_expression("attribute_exists(v)")
            .send()
            .await,
        &mixed("Expected", "ConditionExpression"),
    );
    // UpdateItem: every pairing of its two legacy and two expression members.
    let au = AttributeValueUpdate::builder()
        .action(AttributeAction::Put)
        .value(s("x"))
        .build();
    assert_validation(
        c.update_item()
            .table_name(t)
            .set_key(Some(key.clone()))
            .expected("v", exists())
            .condition_expression("attribute_exists(v)")
            .send()
            .await,
        &mixed("Expected", "ConditionExpression"),
    );
    assert_validation(
        c.update_item()
            .table_name(t)
            .set_key(Some(key.clone()))
            .attribute_updates("x", au.clone())
            .update_expression("REMOVE y")
            .send()
            .await,
        &mixed("AttributeUpdates", "UpdateExpression"),
    );
    let (code, msg) = service_error(
        c.update_item()
            .table_name(t)
            .set_key(Some(key.clone()))
            .attribute_updates("x", au)
            .expected("v", exists())
            .update_expression("REMOVE y")
            .condition_expression("attribute_exists(v)")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    for part in [
        MIXED,
        "AttributeUpdates",
        "Expected",
        "UpdateExpression",
        "ConditionExpression",
    ] {
        assert!(msg.contains(part), "{msg:?} lacks {part}");
    }
    // Query.
    let kc = || cond(Op::Eq, &[s("a")]);
    assert_validation(
        c.query()
            .table_name(t)
            .key_conditions("pk", kc())
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("a"))
            .send()
            .await,
        &mixed("KeyConditions", "KeyConditionExpression"),
    );
    for (req, legacy, modern) in [
        (
            c.query()
                .table_name(t)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("a"))
                .query_filter("v", cond(Op::Gt, &[n("1")])),
            "QueryFilter",
            "KeyConditionExpression",
        ),
        (
            c.query()
                .table_name(t)
                .key_conditions("pk", kc())
                .filter_expression("v > :one")
                .expression_attribute_values(":one", n("1")),
            "KeyConditions",
            "FilterExpression",
        ),
        (
            c.query()
                .table_name(t)
                .key_conditions("pk", kc())
                .projection_expression("v"),
            "KeyConditions",
            "ProjectionExpression",
        ),
        (
            c.query()
                .table_name(t)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("a"))
                .attributes_to_get("v"),
            "AttributesToGet",
            "KeyConditionExpression",
        ),
    ] {
        let (code, msg) = service_error(req.send().await.unwrap_err());
        assert_eq!(code, "ValidationException");
        assert!(
            msg.starts_with(MIXED) && msg.contains(legacy) && msg.contains(modern),
            "{msg}"
        );
    }
    // Scan.
    assert_validation(
        c.scan()
            .table_name(t)
            .scan_filter("v", cond(Op::Gt, &[n("1")]))
            .filter_expression("v > :one")
            .expression_attribute_values(":one", n("1"))
            .send()
            .await,
        &mixed("ScanFilter", "FilterExpression"),
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .attributes_to_get("v")
            .projection_expression("v")
            .send()
            .await,
        &mixed("AttributesToGet", "ProjectionExpression"),
    );
    let (code, msg) = service_error(
        c.scan()
            .table_name(t)
            .scan_filter("v", cond(Op::Gt, &[n("1")]))
            .projection_expression("v")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(MIXED) && msg.contains("ScanFilter"),
        "{msg}"
    );
    // BatchGetItem.
    let ka = KeysAndAttributes::builder()
        .keys(key.clone())
        .attributes_to_get("v")
        .projection_expression("v")
        .build()
        .unwrap();
    assert_validation(
        c.batch_get_item().request_items(t, ka).send().await,
        &mixed("AttributesToGet", "ProjectionExpression"),
    );
    // Nothing was written by any refused request.
    let now = c
        .get_item()
        .table_name(t)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(now, orig);
}

/// DynamoDB names the request member in enum errors of a filter condition:
/// `'scanFilter.v.member.comparisonOperator'` / `'queryFilter.v...'`, as for `expected`
/// and `keyConditions`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_enum_errors_name_their_member() {
    let srv = Server::start();
    let c = srv.client();
    let t = "l_fenum";
    create_hash_range_table(&c, t).await;
    let bogus = || {
        Condition::builder()
            .comparison_operator(ComparisonOperator::from("BOGUS"))
            .attribute_value_list(n("1"))
            .build()
            .unwrap()
    };
    let enum_msg = |member: &str| {
        format!(
            "1 validation error detected: Value 'BOGUS' at '{member}.v.member.comparisonOperator' \
             failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, \
             BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
        )
    };
    // The members shoal already names correctly.
    assert_validation(
        c.put_item()
            .table_name(t)
            .set_item(Some(item([("pk", s("a")), ("sk", s("1"))])))
            .expected(
                "v",
                ExpectedAttributeValue::builder()
                    .comparison_operator(ComparisonOperator::from("BOGUS"))
                    .attribute_value_list(n("1"))
                    .build(),
            )
            .send()
            .await,
        &enum_msg("expected"),
    );
    assert_validation(
        c.scan()
            .table_name(t)
            .scan_filter("v", bogus())
            .send()
            .await,
        &enum_msg("scanFilter"),
    );
    assert_validation(
        c.query()
            .table_name(t)
            .key_conditions("pk", cond(ComparisonOperator::Eq, &[s("a")]))
            .query_filter("v", bogus())
            .send()
            .await,
        &enum_msg("queryFilter"),
    );
}
