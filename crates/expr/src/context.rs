//! [`ExpressionContext`]: one request's placeholders, through which every expression of
//! the request is parsed and resolved.

use std::sync::Arc;

use serde_json::Value;
use shoal_types::json::attribute_value_from_json;
use shoal_types::KeySchema;

use crate::cache::{get_or_parse, Parsed};
use crate::condition::Condition;
use crate::error::{validation, ExprKind, Result};
use crate::key_condition::KeyCondition;
use crate::projection::Projection;
use crate::resolve::{Placeholders, Resolver, Table};
use crate::update::Update;

/// One request's `ExpressionAttributeNames` and `ExpressionAttributeValues`.
///
/// Build it once per request with [`ExpressionContext::new`], parse each expression the
/// request carries through it, then call [`ExpressionContext::finish`] so placeholders
/// no expression used are reported, as DynamoDB does.
#[derive(Debug)]
pub struct ExpressionContext {
    ph: Placeholders,
    use_cache: bool,
}

fn valid_placeholder(key: &str, sigil: char) -> bool {
    let mut chars = key.chars();
    chars.next() == Some(sigil)
        && key.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl ExpressionContext {
    /// Validates the raw request members (`None` when absent) with DynamoDB's messages.
    pub fn new(names: Option<&Value>, values: Option<&Value>) -> Result<Self> {
        let mut ph = Placeholders::default();
        if let Some(names) = names {
            let Some(map) = names.as_object() else {
                return Err(validation("ExpressionAttributeNames must be a map"));
            };
            if map.is_empty() {
                return Err(validation("ExpressionAttributeNames must not be empty"));
            }
            let mut names = Vec::with_capacity(map.len());
            for (k, v) in map {
                if !valid_placeholder(k, '#') {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let Some(name) = v.as_str() else {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid value: Attribute name must be a string for key {k}"
                    )));
                };
                if name.is_empty() {
                    return Err(validation(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                    )));
                }
                names.push((k.clone(), name.to_owned()));
            }
            ph.names = Table::new(names);
        }
        if let Some(values) = values {
            let Some(map) = values.as_object() else {
                return Err(validation("ExpressionAttributeValues must be a map"));
            };
            if map.is_empty() {
                return Err(validation("ExpressionAttributeValues must not be empty"));
            }
            let mut values = Vec::with_capacity(map.len());
            for (k, v) in map {
                if !valid_placeholder(k, ':') {
                    return Err(validation(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let value = attribute_value_from_json(v).map_err(|e| {
                    let msg = match e {
                        shoal_types::Error::Validation(m) => m,
                        other => other.to_string(),
                    };
                    validation(format!(
                        "ExpressionAttributeValues contains invalid value: {msg} for key {k}"
                    ))
                })?;
                values.push((k.clone(), value));
            }
            ph.values = Table::new(values);
        }
        Ok(ExpressionContext {
            ph,
            use_cache: true,
        })
    }

    /// Turns the process-wide parse cache on (the default) or off, e.g. for benchmarks.
    pub fn with_cache(mut self, use_cache: bool) -> Self {
        self.use_cache = use_cache;
        self
    }

    fn parsed(&self, kind: ExprKind, text: &str) -> Result<Arc<Parsed>> {
        get_or_parse(kind, text, self.use_cache)
    }

    fn condition_of(&mut self, kind: ExprKind, text: &str) -> Result<Condition> {
        let parsed = self.parsed(kind, text)?;
        let Parsed::Condition(c) = &*parsed else {
            return Err(kind.invalid("internal: cached tree of the wrong kind"));
        };
        Resolver {
            ph: &mut self.ph,
            kind,
        }
        .condition(c)
    }

    /// Parses a ConditionExpression.
    pub fn parse_condition(&mut self, text: &str) -> Result<Condition> {
        self.condition_of(ExprKind::Condition, text)
    }

    /// Parses a FilterExpression: a condition whose errors say "Invalid FilterExpression".
    pub fn parse_filter(&mut self, text: &str) -> Result<Condition> {
        self.condition_of(ExprKind::Filter, text)
    }

    /// Parses an UpdateExpression.
    pub fn parse_update(&mut self, text: &str) -> Result<Update> {
        let kind = ExprKind::Update;
        let parsed = self.parsed(kind, text)?;
        let Parsed::Update(u) = &*parsed else {
            return Err(kind.invalid("internal: cached tree of the wrong kind"));
        };
        Resolver {
            ph: &mut self.ph,
            kind,
        }
        .update(u)
    }

    /// Parses a ProjectionExpression.
    pub fn parse_projection(&mut self, text: &str) -> Result<Projection> {
        let kind = ExprKind::Projection;
        let parsed = self.parsed(kind, text)?;
        let Parsed::Projection(p) = &*parsed else {
            return Err(kind.invalid("internal: cached tree of the wrong kind"));
        };
        Resolver {
            ph: &mut self.ph,
            kind,
        }
        .projection(p)
    }

    /// Parses a KeyConditionExpression against the table's (or index's) key schema.
    pub fn parse_key_condition(&mut self, text: &str, schema: &KeySchema) -> Result<KeyCondition> {
        let kind = ExprKind::KeyCondition;
        let parsed = self.parsed(kind, text)?;
        let Parsed::Condition(c) = &*parsed else {
            return Err(kind.invalid("internal: cached tree of the wrong kind"));
        };
        Resolver {
            ph: &mut self.ph,
            kind,
        }
        .key_condition(c, schema)
    }

    /// Reports placeholders no expression used (names first, as DynamoDB checks them).
    pub fn finish(self) -> Result<()> {
        // Each table is sorted, so the keys are listed in order.
        let names = self.ph.names.unused().collect::<Vec<_>>().join(", ");
        if !names.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{names}}}"
            )));
        }
        let values = self.ph.values.unused().collect::<Vec<_>>().join(", ");
        if !values.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{values}}}"
            )));
        }
        Ok(())
    }
}
