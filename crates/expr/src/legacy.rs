//! The legacy (pre-expression) conditional parameters, validated as DynamoDB validates
//! them and translated to the same ASTs the expressions produce, so the server has one
//! evaluator: `Expected` and `QueryFilter`/`ScanFilter` → [`Condition`],
//! `AttributeUpdates` → [`Update`], `AttributesToGet` → [`Projection`], `KeyConditions` →
//! [`KeyCondition`].
//!
//! It is not where the "can't mix legacy parameters with expressions" rule lives: that
//! is a request-level check in the server, which sees both.

use serde_json::{Map, Value};
use shoal_types::json::attribute_value_from_json;
use shoal_types::{AttributeValue, KeySchema};

use crate::condition::{Condition, Function, Operand};
use crate::error::{validation, Result};
use crate::key_condition::{assemble, KeyCondition, KeyPart, SortCondition};
use crate::path::Path;
use crate::projection::Projection;
use crate::syntax::CompareOp;
use crate::update::{SetValue, Update, UpdateOperand};
use crate::values::{compare_values, type_code};

const OPERATORS: &str =
    "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]";
const INVALID: &str = "One or more parameter values were invalid:";

/// A ComparisonOperator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "EQ" => Op::Eq,
            "NE" => Op::Ne,
            "LE" => Op::Le,
            "LT" => Op::Lt,
            "GE" => Op::Ge,
            "GT" => Op::Gt,
            "NOT_NULL" => Op::NotNull,
            "NULL" => Op::Null,
            "CONTAINS" => Op::Contains,
            "NOT_CONTAINS" => Op::NotContains,
            "BEGINS_WITH" => Op::BeginsWith,
            "IN" => Op::In,
            "BETWEEN" => Op::Between,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "EQ",
            Op::Ne => "NE",
            Op::Le => "LE",
            Op::Lt => "LT",
            Op::Ge => "GE",
            Op::Gt => "GT",
            Op::NotNull => "NOT_NULL",
            Op::Null => "NULL",
            Op::Contains => "CONTAINS",
            Op::NotContains => "NOT_CONTAINS",
            Op::BeginsWith => "BEGINS_WITH",
            Op::In => "IN",
            Op::Between => "BETWEEN",
        }
    }

    /// Whether `n` arguments are right for this operator.
    fn arity_ok(self, n: usize) -> bool {
        match self {
            Op::Null | Op::NotNull => n == 0,
            Op::Between => n == 2,
            Op::In => n >= 1,
            _ => n == 1,
        }
    }

    /// Whether an argument of this type is allowed.
    fn type_ok(self, v: &AttributeValue) -> bool {
        let scalar = matches!(
            v,
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
        );
        match self {
            Op::Eq | Op::Ne => true,
            Op::BeginsWith => matches!(v, AttributeValue::S(_) | AttributeValue::B(_)),
            _ => scalar,
        }
    }
}

fn value_of(v: &Value) -> Result<AttributeValue> {
    attribute_value_from_json(v).map_err(|e| match e {
        shoal_types::Error::Validation(m) => validation(m),
        other => validation(other.to_string()),
    })
}

fn object<'a>(v: &'a Value, member: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must be a map"
        ))
    })
}

fn operator(member: &str, key: &str, v: Option<&Value>) -> Result<Option<Op>> {
    let Some(v) = v else {
        return Ok(None);
    };
    let s = v.as_str().unwrap_or_default();
    Op::parse(s).map(Some).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{s}' at '{member}.{key}.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: {OPERATORS}"
        ))
    })
}

/// Checks the argument count and types of one operator application.
fn check_args(op: Op, args: &[AttributeValue]) -> Result<()> {
    if !op.arity_ok(args.len()) {
        return Err(validation(format!(
            "{INVALID} Invalid number of argument(s) for the {} ComparisonOperator",
            op.name()
        )));
    }
    for a in args {
        if !op.type_ok(a) {
            return Err(validation(format!(
                "{INVALID} ComparisonOperator {} is not valid for {} AttributeValue type",
                op.name(),
                type_code(a)
            )));
        }
    }
    if let [lo, hi] = args {
        if op == Op::Between {
            match compare_values(lo, hi) {
                None => {
                    return Err(validation(format!(
                        "{INVALID} AttributeValues inside AttributeValueList must be of same type"
                    )))
                }
                Some(o) if o.is_gt() => {
                    return Err(validation(
                        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

fn value_list(cond: &Map<String, Value>) -> Result<Vec<AttributeValue>> {
    match cond.get("AttributeValueList") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(xs)) => xs.iter().map(value_of).collect(),
        Some(_) => Err(validation(
            "1 validation error detected: AttributeValueList must be a list",
        )),
    }
}

/// The condition an operator applied to attribute `name` expresses.
fn apply_op(op: Op, name: &str, args: Vec<AttributeValue>) -> Condition {
    let path = || Operand::Path(Path::attribute(name));
    let mut args = args.into_iter().map(Operand::Value);
    let mut arg = || args.next().unwrap_or(Operand::Value(AttributeValue::Null));
    let cmp = |o, a| Condition::Compare(o, path(), a);
    match op {
        Op::Eq => cmp(CompareOp::Eq, arg()),
        Op::Ne => cmp(CompareOp::Ne, arg()),
        Op::Le => cmp(CompareOp::Le, arg()),
        Op::Lt => cmp(CompareOp::Lt, arg()),
        Op::Ge => cmp(CompareOp::Ge, arg()),
        Op::Gt => cmp(CompareOp::Gt, arg()),
        Op::NotNull => Condition::Function(Function::AttributeExists(Path::attribute(name))),
        Op::Null => Condition::Function(Function::AttributeNotExists(Path::attribute(name))),
        Op::Contains => Condition::Function(Function::Contains(path(), arg())),
        // NOT_CONTAINS needs the attribute to exist, unlike `NOT contains(a, :v)`.
        Op::NotContains => Condition::And(vec![
            Condition::Function(Function::AttributeExists(Path::attribute(name))),
            Condition::Not(Box::new(Condition::Function(Function::Contains(
                path(),
                arg(),
            )))),
        ]),
        Op::BeginsWith => Condition::Function(Function::BeginsWith(path(), arg())),
        Op::In => Condition::In(path(), args.collect()),
        Op::Between => {
            let lo = arg();
            let hi = arg();
            Condition::Between(path(), lo, hi)
        }
    }
}

fn combine(conds: Vec<Condition>, conditional_operator: Option<&str>) -> Result<Condition> {
    let or = match conditional_operator {
        None | Some("AND") => false,
        Some("OR") => true,
        Some(other) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
            )))
        }
    };
    let mut conds = conds;
    Ok(match conds.len() {
        0 => Condition::True,
        1 => conds.pop().unwrap_or(Condition::True),
        _ if or => Condition::Or(conds),
        _ => Condition::And(conds),
    })
}

/// `Expected` (+ `ConditionalOperator`) → [`Condition`].
pub fn expected_to_condition(
    expected: &Value,
    conditional_operator: Option<&str>,
) -> Result<Condition> {
    let mut conds = Vec::new();
    for (name, cond) in object(expected, "expected")? {
        let cond = object(cond, "expected")?;
        let value = match cond.get("Value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(value_of(v)?),
        };
        let exists = match cond.get("Exists") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(validation(format!(
                    "{INVALID} Exists must be a boolean for Attribute: {name}"
                )))
            }
        };
        let has_list = !matches!(cond.get("AttributeValueList"), None | Some(Value::Null));
        if has_list && value.is_some() {
            return Err(validation(format!(
                "{INVALID} Value and AttributeValueList cannot be used together for Attribute: {name}"
            )));
        }
        match operator("expected", name, cond.get("ComparisonOperator"))? {
            None => {
                if has_list {
                    return Err(validation(format!(
                        "{INVALID} AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
                    )));
                }
                conds.push(match (exists, value) {
                    (Some(false), Some(_)) => {
                        return Err(validation(format!(
                        "{INVALID} Value cannot be used when Exists is false for Attribute: {name}"
                    )))
                    }
                    (Some(false), None) => Condition::Function(Function::AttributeNotExists(
                        Path::attribute(name.clone()),
                    )),
                    (_, Some(v)) => apply_op(Op::Eq, name, vec![v]),
                    (e, None) => {
                        return Err(validation(format!(
                        "{INVALID} Value must be provided when Exists is {} for Attribute: {name}",
                        if e.is_some() { "true" } else { "null" }
                    )))
                    }
                });
            }
            Some(op) => {
                if exists.is_some() {
                    return Err(validation(format!(
                        "{INVALID} Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                    )));
                }
                let args = match value {
                    Some(v) => vec![v],
                    None => value_list(cond)?,
                };
                check_args(op, &args)?;
                conds.push(apply_op(op, name, args));
            }
        }
    }
    combine(conds, conditional_operator)
}

/// `QueryFilter` / `ScanFilter` (+ `ConditionalOperator`) → [`Condition`].
pub fn filter_to_condition(
    filter: &Value,
    conditional_operator: Option<&str>,
) -> Result<Condition> {
    filter_to_condition_named("filter", filter, conditional_operator)
}

/// [`filter_to_condition`] naming the member (`queryFilter` or `scanFilter`) in messages.
pub fn filter_to_condition_named(
    member: &str,
    filter: &Value,
    conditional_operator: Option<&str>,
) -> Result<Condition> {
    let mut conds = Vec::new();
    for (name, cond) in object(filter, member)? {
        let cond = object(cond, member)?;
        let Some(op) = operator(member, name, cond.get("ComparisonOperator"))? else {
            return Err(validation(format!(
                "1 validation error detected: Value null at '{member}.{name}.member.comparisonOperator' failed to satisfy constraint: Member must not be null"
            )));
        };
        let args = value_list(cond)?;
        check_args(op, &args)?;
        conds.push(apply_op(op, name, args));
    }
    combine(conds, conditional_operator)
}

/// `AttributeUpdates` → [`Update`].
pub fn attribute_updates_to_update(updates: &Value) -> Result<Update> {
    let mut out = Update {
        legacy: true,
        ..Update::default()
    };
    for (name, upd) in object(updates, "attributeUpdates")? {
        let upd = object(upd, "attributeUpdates")?;
        let action = match upd.get("Action") {
            None | Some(Value::Null) => "PUT",
            Some(v) => v.as_str().unwrap_or_default(),
        };
        if !matches!(action, "PUT" | "ADD" | "DELETE") {
            return Err(validation(format!(
                "1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
            )));
        }
        let value = match upd.get("Value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(value_of(v)?),
        };
        let path = Path::attribute(name.clone());
        match (action, value) {
            ("DELETE", None) => out.remove.push(path),
            (_, None) => {
                return Err(validation(format!(
                    "{INVALID} Only DELETE action is allowed when no attribute value is specified"
                )))
            }
            ("PUT", Some(v)) => out
                .set
                .push((path, SetValue::Operand(UpdateOperand::Value(v)))),
            ("ADD", Some(v)) => {
                if !matches!(
                    v,
                    AttributeValue::N(_)
                        | AttributeValue::Ss(_)
                        | AttributeValue::Ns(_)
                        | AttributeValue::Bs(_)
                        | AttributeValue::L(_)
                ) {
                    return Err(validation(format!(
                        "{INVALID} ADD action is not supported for the type {}",
                        type_code(&v)
                    )));
                }
                out.add.push((path, v));
            }
            (_, Some(v)) => {
                if !matches!(
                    v,
                    AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
                ) {
                    return Err(validation(format!(
                        "{INVALID} DELETE action with value is not supported for the type {}",
                        type_code(&v)
                    )));
                }
                out.delete.push((path, v));
            }
        }
    }
    Ok(out)
}

/// `AttributesToGet` → [`Projection`] of top-level attributes (names are literal).
pub fn attributes_to_get_to_projection(names: &Value) -> Result<Projection> {
    let Some(list) = names.as_array() else {
        return Err(validation(
            "1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: Member must be a list",
        ));
    };
    if list.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let mut paths: Vec<Path> = Vec::with_capacity(list.len());
    for n in list {
        let Some(n) = n.as_str() else {
            return Err(validation(
                "1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: Member must be a list of strings",
            ));
        };
        if paths.iter().any(|p| p.top() == n) {
            return Err(validation(format!(
                "{INVALID} Duplicate value in attribute name: {n}"
            )));
        }
        paths.push(Path::attribute(n));
    }
    Ok(Projection { paths })
}

/// `KeyConditions` → [`KeyCondition`].
pub fn key_conditions_to_key_condition(conds: &Value, schema: &KeySchema) -> Result<KeyCondition> {
    let map = object(conds, "keyConditions")?;
    if map.is_empty() || map.len() > 2 {
        return Err(validation("Conditions can be of length 1 or 2 only"));
    }
    let mut parts = Vec::new();
    for (name, cond) in map {
        let cond = object(cond, "keyConditions")?;
        let Some(op) = operator("keyConditions", name, cond.get("ComparisonOperator"))? else {
            return Err(validation(format!(
                "1 validation error detected: Value null at 'keyConditions.{name}.member.comparisonOperator' failed to satisfy constraint: Member must not be null"
            )));
        };
        let args = value_list(cond)?;
        if !matches!(
            op,
            Op::Eq | Op::Le | Op::Lt | Op::Ge | Op::Gt | Op::BeginsWith | Op::Between
        ) {
            return Err(validation(
                "Attempted conditional constraint is not an indexable operation",
            ));
        }
        check_args(op, &args)?;
        let mut it = args.into_iter();
        let (Some(first), second) = (it.next(), it.next()) else {
            return Err(validation(format!(
                "{INVALID} Invalid number of argument(s) for the {} ComparisonOperator",
                op.name()
            )));
        };
        let condition = match (op, second) {
            (Op::Between, Some(hi)) => SortCondition::Between(first, hi),
            (Op::Le, _) => SortCondition::Le(first),
            (Op::Lt, _) => SortCondition::Lt(first),
            (Op::Ge, _) => SortCondition::Ge(first),
            (Op::Gt, _) => SortCondition::Gt(first),
            (Op::BeginsWith, _) => SortCondition::BeginsWith(first),
            _ => SortCondition::Eq(first),
        };
        parts.push(KeyPart {
            attribute: name.clone(),
            condition,
        });
    }
    assemble(parts, schema)
}
