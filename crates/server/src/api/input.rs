//! Reading request members with DynamoDB's validation messages.
//!
//! DynamoDB validates a request in two passes: first every member against its declared
//! shape and constraints, collecting all violations into one message
//! (`"2 validation errors detected: Value ... at 'tableName' failed to satisfy
//! constraint: ...; ..."`), then the operation's own semantic checks, which fail one at
//! a time. [`Input`] is the first pass; handlers call [`Input::finish`] before the second.
//! A JSON value of the wrong type is a `SerializationException`, as with DynamoDB's
//! deserializer; an explicit `null` is treated as absent.

use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};

/// One request's members, with the constraint violations found so far.
pub struct Input<'a> {
    obj: &'a Map<String, Value>,
    violations: Vec<String>,
}

/// The serializer's message for a JSON value of the wrong type.
pub fn wrong_type(v: &Value, expected: &str) -> ApiError {
    let msg = match v {
        Value::Object(_) => "Start of structure or map found where not expected".to_string(),
        Value::Array(_) => "Start of list found where not expected".to_string(),
        Value::String(_) => format!("STRING_VALUE can not be converted to {expected}"),
        Value::Number(_) => format!("NUMBER_VALUE can not be converted to {expected}"),
        Value::Bool(true) => format!("TRUE_VALUE can not be converted to {expected}"),
        Value::Bool(false) => format!("FALSE_VALUE can not be converted to {expected}"),
        Value::Null => format!("NULL_VALUE can not be converted to {expected}"),
    };
    ApiError::Serialization(msg)
}

/// How DynamoDB prints a member's value inside a validation message.
pub fn show(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("'{s}'"),
        None => "null".into(),
    }
}

impl<'a> Input<'a> {
    /// The request body must be a JSON object.
    pub fn new(body: &'a Value) -> ApiResult<Input<'a>> {
        match body {
            Value::Object(obj) => Ok(Input {
                obj,
                violations: Vec::new(),
            }),
            other => Err(wrong_type(other, "Structure")),
        }
    }

    /// A member, `None` when absent or null.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// A string member.
    pub fn str(&self, name: &str) -> ApiResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(wrong_type(v, "String")),
        }
    }

    /// A boolean member.
    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(wrong_type(v, "Boolean")),
        }
    }

    /// An integer member (DynamoDB `Integer`/`Long`).
    pub fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                // A fractional or huge number is what the deserializer cannot take.
                None => Err(ApiError::Serialization(format!(
                    "NUMBER_VALUE can not be converted to Long: {n}"
                ))),
            },
            Some(v) => Err(wrong_type(v, "Long")),
        }
    }

    /// An object member.
    pub fn map(&self, name: &str) -> ApiResult<Option<&'a Map<String, Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(v) => Err(wrong_type(v, "Structure")),
        }
    }

    /// An array member.
    pub fn list(&self, name: &str) -> ApiResult<Option<&'a Vec<Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(wrong_type(v, "List")),
        }
    }

    /// Records a constraint violation for the member at `path`.
    pub fn violation(&mut self, value: String, path: &str, constraint: &str) {
        self.violations.push(format!(
            "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required table (or index) name member with DynamoDB's name constraints.
    pub fn table_name(&mut self, name: &str, path: &str) -> ApiResult<Option<&'a str>> {
        let v = self.str(name)?;
        match v {
            None => self.violation("null".into(), path, "Member must not be null"),
            Some(s) => self.check_name(s, path, 255),
        }
        Ok(v)
    }

    /// An optional table name (e.g. `ExclusiveStartTableName`).
    pub fn optional_table_name(&mut self, name: &str, path: &str) -> ApiResult<Option<&'a str>> {
        let v = self.str(name)?;
        if let Some(s) = v {
            self.check_name(s, path, 255);
        }
        Ok(v)
    }

    /// Table and index names: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
    pub fn check_name(&mut self, s: &str, path: &str, max: usize) {
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            self.violation(
                show(Some(s)),
                path,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            );
        }
        let n = s.chars().count();
        if n < 3 {
            self.violation(
                show(Some(s)),
                path,
                "Member must have length greater than or equal to 3",
            );
        }
        if n > max {
            self.violation(
                show(Some(s)),
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// An optional enum member; records a violation when the value is not allowed.
    pub fn enum_value(
        &mut self,
        name: &str,
        path: &str,
        allowed: &[&str],
    ) -> ApiResult<Option<&'a str>> {
        let v = self.str(name)?;
        if let Some(s) = v {
            if !allowed.contains(&s) {
                self.violation(
                    show(Some(s)),
                    path,
                    &format!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Ok(v)
    }

    /// Fails with every violation recorded, in DynamoDB's format.
    pub fn finish(&mut self) -> ApiResult<()> {
        if self.violations.is_empty() {
            return Ok(());
        }
        let n = self.violations.len();
        let msg = format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            self.violations.join("; ")
        );
        self.violations.clear();
        Err(ApiError::Validation(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_violations_like_dynamodb() {
        let body = json!({"TableName": "a!"});
        let mut input = Input::new(&body).unwrap();
        input.table_name("TableName", "tableName").unwrap();
        assert_eq!(
            input.finish().unwrap_err(),
            ApiError::Validation(
                "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
                 Value 'a!' at 'tableName' failed to satisfy constraint: Member must have \
                 length greater than or equal to 3"
                    .into()
            )
        );
        let body = json!({});
        let mut input = Input::new(&body).unwrap();
        input.table_name("TableName", "tableName").unwrap();
        assert_eq!(
            input.finish().unwrap_err(),
            ApiError::Validation(
                "1 validation error detected: Value null at 'tableName' failed to satisfy \
                 constraint: Member must not be null"
                    .into()
            )
        );
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let body = json!({"TableName": 5});
        let input = Input::new(&body).unwrap();
        assert!(matches!(
            input.str("TableName"),
            Err(ApiError::Serialization(_))
        ));
        assert!(matches!(
            Input::new(&json!([1])),
            Err(ApiError::Serialization(_))
        ));
    }
}
