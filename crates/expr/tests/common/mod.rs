//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use shoal_expr::{Error, ExpressionContext};
use shoal_types::json::item_from_json;
use shoal_types::key::KeyAttr;
use shoal_types::{Item, KeySchema, ScalarType};

/// A context from JSON literals (`Value::Null` means the member is absent).
pub fn ctx(names: Value, values: Value) -> ExpressionContext {
    let n = (!names.is_null()).then_some(&names);
    let v = (!values.is_null()).then_some(&values);
    ExpressionContext::new(n, v).unwrap()
}

/// An item from DynamoDB JSON.
pub fn item(v: Value) -> Item {
    item_from_json(&v).unwrap()
}

/// The message of a validation error.
pub fn msg<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Validation(m)) => m,
        Err(e) => panic!("unexpected error kind: {e:?}"),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

/// Evaluates `expr` with values `values` against `it`.
pub fn eval(expr: &str, values: Value, it: &Item) -> bool {
    let mut c = ctx(Value::Null, values);
    let cond = c.parse_condition(expr).unwrap();
    c.finish().unwrap();
    cond.evaluate(Some(it)).unwrap()
}

/// A key schema `pk` (S) + optional `sk` of type `sk_ty` ("S", "N" or "B").
pub fn schema(sk_ty: Option<&str>) -> KeySchema {
    let attr = |name: &str, ty: &str| KeyAttr {
        name: name.to_owned(),
        ty: ScalarType::parse(ty).unwrap(),
    };
    KeySchema {
        partition: attr("pk", "S"),
        sort: sk_ty.map(|t| attr("sk", t)),
    }
}
