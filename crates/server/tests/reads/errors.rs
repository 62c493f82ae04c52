//! Bad Query and Scan input: invalid key conditions, start keys that do not belong to
//! the table or the query, Limit 0, and the exact error bodies on the wire.

use aws_sdk_dynamodb::types::{
    AttributeValue, ComparisonOperator, Condition, ScalarAttributeType as T,
};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn invalid_key_conditions_are_validation_errors() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "tbl", ("pk", T::S), Some(("sk", T::N))).await;
    c.put_item()
        .table_name("tbl")
        .set_item(Some(item([("pk", s("a")), ("sk", n("1")), ("x", n("5"))])))
        .send()
        .await
        .unwrap();

    let missed_sk = "Query condition missed key schema element: sk";
    let one_per_key = "KeyConditionExpressions must only contain one condition per key";
    type Case<'a> = (&'a str, Vec<(&'a str, AttributeValue)>, &'a str);
    let cases: Vec<Case> = vec![
        // A condition on a non-key attribute.
        ("pk = :p AND x = :x", vec![(":p", s("a")), (":x", n("5"))], missed_sk),
        // No partition key condition.
        ("sk = :s", vec![(":s", n("1"))], "Query condition missed key schema element: pk"),
        ("x = :x", vec![(":x", n("1"))], "Query condition missed key schema element: pk"),
        // Operators a key condition does not take.
        (
            "pk = :p OR sk = :s",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            "pk = :p AND NOT sk = :s",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid operator used in KeyConditionExpression: NOT",
        ),
        (
            "pk = :p AND sk IN (:s)",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid operator used in KeyConditionExpression: IN",
        ),
        (
            "pk = :p AND sk <> :s",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid operator used in KeyConditionExpression: <>",
        ),
        (
            "pk = :p AND attribute_exists(sk)",
            vec![(":p", s("a"))],
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        (
            "pk = :p AND contains(sk, :s)",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid operator used in KeyConditionExpression: contains",
        ),
        // Two conditions on one key.
        (
            "pk = :p AND sk > :s AND sk < :t",
            vec![(":p", s("a")), (":s", n("1")), (":t", n("9"))],
            one_per_key,
        ),
        ("pk = :p AND pk = :p", vec![(":p", s("a"))], one_per_key),
        // A partition key condition other than equality.
        ("pk < :p", vec![(":p", s("a"))], "Query key condition not supported"),
        (
            "begins_with(pk, :p)",
            vec![(":p", s("a"))],
            "Query key condition not supported",
        ),
        // Values of the wrong type.
        (
            "pk = :p",
            vec![(":p", n("1"))],
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND sk > :s",
            vec![(":p", s("a")), (":s", s("1"))],
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        // begins_with does not apply to numbers.
        (
            "pk = :p AND begins_with(sk, :s)",
            vec![(":p", s("a")), (":s", n("1"))],
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        // Placeholders.
        (
            "pk = :nope",
            vec![(":p", s("a"))],
            "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
        (
            "pk = :p",
            vec![(":p", s("a")), (":unused", s("b"))],
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
        ),
        // Two attributes compared with each other.
        (
            "pk = sk",
            vec![],
            "Invalid KeyConditionExpression: A key condition must compare a key attribute with an expression attribute value",
        ),
    ];
    for (expr, vals, msg) in cases {
        let mut q = c.query().table_name("tbl").key_condition_expression(expr);
        for (k, v) in vals {
            q = q.expression_attribute_values(k, v);
        }
        let r = q.send().await;
        match r {
            Ok(v) => panic!("{expr}: expected {msg}, got {v:?}"),
            Err(e) => {
                let (code, m) = service_error(e);
                assert_eq!(
                    (code.as_str(), m.as_str()),
                    ("ValidationException", msg),
                    "{expr}"
                );
            }
        }
    }

    // BETWEEN with the bounds the wrong way round.
    let r = c
        .query()
        .table_name("tbl")
        .key_condition_expression("pk = :p AND sk BETWEEN :hi AND :lo")
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":hi", n("9"))
        .expression_attribute_values(":lo", n("1"))
        .send()
        .await;
    let (code, msg) = service_error(r.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound"),
        "{msg}"
    );

    // Legacy KeyConditions: the same rules.
    let cond = |op: ComparisonOperator, v: Vec<AttributeValue>| {
        Condition::builder()
            .comparison_operator(op)
            .set_attribute_value_list(Some(v))
            .build()
            .unwrap()
    };
    assert_validation(
        c.query()
            .table_name("tbl")
            .key_conditions("sk", cond(ComparisonOperator::Eq, vec![n("1")]))
            .send()
            .await,
        "Query condition missed key schema element: pk",
    );
    assert_validation(
        c.query()
            .table_name("tbl")
            .key_conditions("pk", cond(ComparisonOperator::Eq, vec![s("a")]))
            .key_conditions("x", cond(ComparisonOperator::Eq, vec![n("5")]))
            .send()
            .await,
        missed_sk,
    );
    // Expressions and legacy parameters do not mix.
    assert_validation(
        c.query()
            .table_name("tbl")
            .key_conditions("pk", cond(ComparisonOperator::Eq, vec![s("a")]))
            .filter_expression("x = :x")
            .expression_attribute_values(":x", n("5"))
            .send()
            .await,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {FilterExpression}",
    );
    // No key condition at all.
    assert_validation(
        c.query().table_name("tbl").send().await,
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    );
    // A table that does not exist.
    assert_err(
        c.query()
            .table_name("nope")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("a"))
            .send()
            .await,
        "ResourceNotFoundException",
        "Requested resource not found",
    );
    assert_err(
        c.scan().table_name("nope").send().await,
        "ResourceNotFoundException",
        "Requested resource not found",
    );
}

#[tokio::test]
async fn start_keys_and_limits_are_validated() {
    let server = Server::start();
    let c = server.client();
    create_table(&c, "tbl", ("pk", T::S), Some(("sk", T::N))).await;
    for i in 0..5 {
        c.put_item()
            .table_name("tbl")
            .set_item(Some(item([("pk", s("a")), ("sk", n(&i.to_string()))])))
            .send()
            .await
            .unwrap();
    }
    let q = || {
        c.query()
            .table_name("tbl")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("a"))
    };
    let invalid =
        "The provided starting key is invalid: The provided key element does not match the schema";
    // Missing the sort key, wrong type, an extra attribute, an unknown attribute.
    for bad in [
        item([("pk", s("a"))]),
        item([("pk", s("a")), ("sk", s("1"))]),
        item([("pk", n("1")), ("sk", n("1"))]),
        item([("pk", s("a")), ("sk", n("1")), ("x", n("1"))]),
        item([("id", s("a")), ("sk", n("1"))]),
    ] {
        let r = q().set_exclusive_start_key(Some(bad.clone())).send().await;
        let (code, msg) = service_error(r.unwrap_err());
        assert_eq!(code, "ValidationException", "{bad:?}");
        assert!(
            msg.starts_with("The provided starting key is invalid"),
            "{bad:?}: {msg}"
        );
        let r = c
            .scan()
            .table_name("tbl")
            .set_exclusive_start_key(Some(bad.clone()))
            .send()
            .await;
        let (code, msg) = service_error(r.unwrap_err());
        assert_eq!(code, "ValidationException", "scan {bad:?}");
        assert!(
            msg.starts_with("The provided starting key is invalid"),
            "scan {bad:?}: {msg}"
        );
    }
    assert_validation(
        q().set_exclusive_start_key(Some(item([("pk", s("a")), ("sk", n("1")), ("x", n("1"))])))
            .send()
            .await,
        invalid,
    );
    // A start key of another partition key is outside the query.
    assert_validation(
        q().set_exclusive_start_key(Some(item([("pk", s("b")), ("sk", n("1"))])))
            .send()
            .await,
        "The provided starting key is outside query boundaries based on provided conditions",
    );
    // A valid start key of an item that does not exist continues after it.
    let out = q()
        .set_exclusive_start_key(Some(item([("pk", s("a")), ("sk", n("1.5"))])))
        .send()
        .await
        .unwrap();
    let sks: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["sk"].as_n().unwrap().as_str())
        .collect();
    assert_eq!(sks, ["2", "3", "4"]);
    let out = q()
        .scan_index_forward(false)
        .set_exclusive_start_key(Some(item([("pk", s("a")), ("sk", n("1.5"))])))
        .send()
        .await
        .unwrap();
    let sks: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["sk"].as_n().unwrap().as_str())
        .collect();
    assert_eq!(sks, ["1", "0"]);

    // Limit must be at least 1.
    let limit0 = "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1";
    assert_validation(q().limit(0).send().await, limit0);
    assert_validation(c.scan().table_name("tbl").limit(0).send().await, limit0);
    assert_validation(
        c.scan().table_name("tbl").limit(-3).send().await,
        "1 validation error detected: Value '-3' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );

    // The exact bodies on the wire.
    let r = server.post(
        "Query",
        &json!({
            "TableName": "tbl",
            "KeyConditionExpression": "pk = :p OR sk = :s",
            "ExpressionAttributeValues": {":p": {"S": "a"}, ":s": {"N": "1"}}
        }),
    );
    r.assert_error(
        400,
        "com.amazon.coral.validate#ValidationException",
        "Invalid operator used in KeyConditionExpression: OR",
    );
    let r = server.post("Scan", &json!({"TableName": "tbl", "Limit": 0}));
    r.assert_error(400, "com.amazon.coral.validate#ValidationException", limit0);
    let r = server.post(
        "Scan",
        &json!({"TableName": "tbl", "Segment": 3, "TotalSegments": 2}),
    );
    r.assert_error(
        400,
        "com.amazon.coral.validate#ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 2",
    );
}
