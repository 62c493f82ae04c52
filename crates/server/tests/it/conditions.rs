//! Conditional writes through the SDK: ConditionExpression on PutItem, UpdateItem and
//! DeleteItem, legacy Expected, ConditionalCheckFailedException with and without
//! ReturnValuesOnConditionCheckFailure ALL_OLD, and proof that a failed condition
//! changes nothing.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ComparisonOperator, ExpectedAttributeValue, ReturnValuesOnConditionCheckFailure,
};
use aws_sdk_dynamodb::Client;

use crate::common::*;

type Item = HashMap<String, AttributeValue>;

async fn put(c: &Client, table: &str, it: Item) {
    c.put_item()
        .table_name(table)
        .set_item(Some(it))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condition_expressions() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "cond").await;
    let first = item([("pk", s("k")), ("v", n("1"))]);
    c.put_item()
        .table_name("cond")
        .set_item(Some(first.clone()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap();

    // A second create-if-absent fails, with and without the old item.
    let err = c
        .put_item()
        .table_name("cond")
        .set_item(Some(item([("pk", s("k")), ("v", n("2"))])))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        PutItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.message(), Some("The conditional request failed"));
            assert_eq!(e.item(), None);
        }
        other => panic!("{other:?}"),
    }
    let err = c
        .put_item()
        .table_name("cond")
        .set_item(Some(item([("pk", s("k")), ("v", n("2"))])))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        PutItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item(), Some(&first));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(get_pk(&c, "cond", "k").await, Some(first.clone()));

    // Optimistic locking on update.
    c.update_item()
        .table_name("cond")
        .key("pk", s("k"))
        .update_expression("SET v = :new")
        .condition_expression("v = :old")
        .expression_attribute_values(":old", n("1"))
        .expression_attribute_values(":new", n("2"))
        .send()
        .await
        .unwrap();
    let err = c
        .update_item()
        .table_name("cond")
        .key("pk", s("k"))
        .update_expression("SET v = :new")
        .condition_expression("v = :old")
        .expression_attribute_values(":old", n("1"))
        .expression_attribute_values(":new", n("3"))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        UpdateItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item().map(|i| &i["v"]), Some(&n("2")));
        }
        other => panic!("{other:?}"),
    }
    // A conditional update of a missing item fails and creates nothing.
    assert!(matches!(
        c.update_item()
            .table_name("cond")
            .key("pk", s("absent"))
            .update_expression("SET v = :v")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":v", n("1"))
            .send()
            .await
            .unwrap_err()
            .into_service_error(),
        UpdateItemError::ConditionalCheckFailedException(_)
    ));
    assert_eq!(get_pk(&c, "cond", "absent").await, None);

    // Conditional delete.
    let err = c
        .delete_item()
        .table_name("cond")
        .key("pk", s("k"))
        .condition_expression("v > :x AND begins_with(#p, :pre)")
        .expression_attribute_names("#p", "pk")
        .expression_attribute_values(":x", n("5"))
        .expression_attribute_values(":pre", s("k"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(
        err,
        DeleteItemError::ConditionalCheckFailedException(_)
    ));
    assert!(get_pk(&c, "cond", "k").await.is_some());
    c.delete_item()
        .table_name("cond")
        .key("pk", s("k"))
        .condition_expression("v < :x AND begins_with(#p, :pre)")
        .expression_attribute_names("#p", "pk")
        .expression_attribute_values(":x", n("5"))
        .expression_attribute_values(":pre", s("k"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_pk(&c, "cond", "k").await, None);

    assert_validation(
        c.put_item()
            .table_name("cond")
            .set_item(Some(item([("pk", s("z"))])))
            .condition_expression("v = :missing")
            .send()
            .await,
        "Invalid ConditionExpression: An expression attribute value used in expression is not \
         defined; attribute value: :missing",
    );
    assert_validation(
        c.put_item()
            .table_name("cond")
            .set_item(Some(item([("pk", s("z"))])))
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
        "ExpressionAttributeValues can only be specified when using expressions: \
         ConditionExpression is null",
    );
    assert_eq!(get_pk(&c, "cond", "z").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_expected_conditions() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "exp").await;
    let absent = ExpectedAttributeValue::builder().exists(false).build();
    put(&c, "exp", item([("pk", s("k")), ("v", n("10"))])).await;
    let err = c
        .put_item()
        .table_name("exp")
        .set_item(Some(item([("pk", s("k"))])))
        .expected("pk", absent.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        service_error(err),
        (
            "ConditionalCheckFailedException".to_string(),
            "The conditional request failed".to_string()
        )
    );
    let equals = ExpectedAttributeValue::builder().value(n("10")).build();
    c.put_item()
        .table_name("exp")
        .set_item(Some(item([("pk", s("k")), ("v", n("11"))])))
        .expected("v", equals.clone())
        .send()
        .await
        .unwrap();
    let gt = ExpectedAttributeValue::builder()
        .comparison_operator(ComparisonOperator::Gt)
        .attribute_value_list(n("100"))
        .build();
    assert!(matches!(
        c.delete_item()
            .table_name("exp")
            .key("pk", s("k"))
            .expected("v", gt)
            .send()
            .await
            .unwrap_err()
            .into_service_error(),
        DeleteItemError::ConditionalCheckFailedException(_)
    ));
    assert_eq!(get_pk(&c, "exp", "k").await.unwrap()["v"], n("11"));
    assert_validation(
        c.put_item()
            .table_name("exp")
            .set_item(Some(item([("pk", s("k"))])))
            .expected("pk", absent)
            .condition_expression("attribute_exists(pk)")
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    );
}
