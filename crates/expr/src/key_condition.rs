//! [`KeyCondition`]: a resolved KeyConditionExpression (or legacy `KeyConditions`):
//! equality on the partition key and at most one condition on the sort key.
//!
//! It is not a general condition: anything DynamoDB cannot serve from the key order
//! (OR, NOT, `<>`, IN, other functions, non-key attributes) is rejected when it is built.

use std::cmp::Ordering;

use shoal_types::{AttributeValue, KeySchema, ScalarType};

use crate::error::{validation, Result};
use crate::resolve::Resolver;
use crate::syntax::{CompareOp, ConditionSyntax, OperandSyntax};
use crate::values::{begins_with, compare_values, type_code};

/// The condition on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortCondition {
    /// `sk = v`
    Eq(AttributeValue),
    /// `sk < v`
    Lt(AttributeValue),
    /// `sk <= v`
    Le(AttributeValue),
    /// `sk > v`
    Gt(AttributeValue),
    /// `sk >= v`
    Ge(AttributeValue),
    /// `sk BETWEEN lo AND hi` (validated: same type, `lo <= hi`)
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, v)` (S or B)
    BeginsWith(AttributeValue),
}

impl SortCondition {
    /// Whether a sort key value satisfies the condition.
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |w: &AttributeValue| compare_values(v, w);
        match self {
            SortCondition::Eq(w) => cmp(w) == Some(Ordering::Equal),
            SortCondition::Lt(w) => cmp(w).is_some_and(|o| o.is_lt()),
            SortCondition::Le(w) => cmp(w).is_some_and(|o| o.is_le()),
            SortCondition::Gt(w) => cmp(w).is_some_and(|o| o.is_gt()),
            SortCondition::Ge(w) => cmp(w).is_some_and(|o| o.is_ge()),
            SortCondition::Between(lo, hi) => {
                cmp(lo).is_some_and(|o| o.is_ge()) && cmp(hi).is_some_and(|o| o.is_le())
            }
            SortCondition::BeginsWith(w) => begins_with(v, w),
        }
    }
}

/// A resolved key condition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// The partition key value (type matches the schema).
    pub partition_value: AttributeValue,
    /// The sort key condition, if any (value types match the schema).
    pub sort: Option<SortCondition>,
}

const ONE_PER_KEY: &str = "KeyConditionExpressions must only contain one condition per key";
const TYPE_MISMATCH: &str =
    "One or more parameter values were invalid: Condition parameter type does not match schema type";

/// One key-attribute condition before it is matched to the schema.
pub(crate) struct KeyPart {
    pub attribute: String,
    /// The comparison; for the partition key only `Eq` is accepted by [`assemble`].
    pub condition: SortCondition,
}

fn scalar_matches(ty: &ScalarType, v: &AttributeValue) -> bool {
    matches!(
        (ty, v),
        (ScalarType::S, AttributeValue::S(_))
            | (ScalarType::N, AttributeValue::N(_))
            | (ScalarType::B, AttributeValue::B(_))
    )
}

/// Matches parts to the schema with DynamoDB's messages. Shared with legacy
/// `KeyConditions`.
pub(crate) fn assemble(parts: Vec<KeyPart>, schema: &KeySchema) -> Result<KeyCondition> {
    let pk = &schema.partition;
    let mut partition = None;
    let mut sort = None;
    let mut unknown = false;
    for part in parts {
        if part.attribute == pk.name {
            if partition.is_some() {
                return Err(validation(ONE_PER_KEY));
            }
            let SortCondition::Eq(v) = part.condition else {
                return Err(validation("Query key condition not supported"));
            };
            if !scalar_matches(&pk.ty, &v) {
                return Err(validation(TYPE_MISMATCH));
            }
            partition = Some(v);
        } else if let Some(sk) = schema.sort.as_ref().filter(|s| s.name == part.attribute) {
            if sort.is_some() {
                return Err(validation(ONE_PER_KEY));
            }
            let ok = match &part.condition {
                SortCondition::Between(a, b) => {
                    scalar_matches(&sk.ty, a) && scalar_matches(&sk.ty, b)
                }
                SortCondition::Eq(v)
                | SortCondition::Lt(v)
                | SortCondition::Le(v)
                | SortCondition::Gt(v)
                | SortCondition::Ge(v)
                | SortCondition::BeginsWith(v) => scalar_matches(&sk.ty, v),
            };
            if !ok {
                return Err(validation(TYPE_MISMATCH));
            }
            sort = Some(part.condition);
        } else {
            unknown = true;
        }
    }
    let Some(partition_value) = partition else {
        return Err(validation(format!(
            "Query condition missed key schema element: {}",
            pk.name
        )));
    };
    if unknown {
        let name = schema.sort.as_ref().map_or(&pk.name, |s| &s.name);
        return Err(validation(format!(
            "Query condition missed key schema element: {name}"
        )));
    }
    Ok(KeyCondition {
        partition_value,
        sort,
    })
}

fn invalid_operator(what: &str) -> crate::Error {
    validation(format!(
        "Invalid operator used in KeyConditionExpression: {what}"
    ))
}

fn flatten<'c>(c: &'c ConditionSyntax, out: &mut Vec<&'c ConditionSyntax>) -> Result<()> {
    match c {
        ConditionSyntax::And(xs) => xs.iter().try_for_each(|x| flatten(x, out)),
        ConditionSyntax::Or(..) => Err(invalid_operator("OR")),
        ConditionSyntax::Not(..) => Err(invalid_operator("NOT")),
        ConditionSyntax::In(..) => Err(invalid_operator("IN")),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

impl Resolver<'_> {
    fn key_attribute(&mut self, o: &OperandSyntax) -> Result<Option<String>> {
        match o {
            OperandSyntax::Path(p) => {
                let path = self.path(p)?;
                if path.elements().len() != 1 {
                    return Err(self.kind.invalid(
                        "KeyConditionExpressions cannot have conditions on nested attributes",
                    ));
                }
                Ok(Some(path.top().to_owned()))
            }
            OperandSyntax::Call(c) => Err(invalid_operator(&c.name)),
            OperandSyntax::Value(_) => Ok(None),
        }
    }

    fn key_value(&mut self, o: &OperandSyntax) -> Result<AttributeValue> {
        match o {
            OperandSyntax::Value(v) => self.value(v),
            OperandSyntax::Call(c) => Err(invalid_operator(&c.name)),
            OperandSyntax::Path(_) => Err(self.kind.invalid(
                "A key condition must compare a key attribute with an expression attribute value",
            )),
        }
    }

    pub fn key_condition(
        &mut self,
        c: &ConditionSyntax,
        schema: &KeySchema,
    ) -> Result<KeyCondition> {
        let mut conjuncts = Vec::new();
        flatten(c, &mut conjuncts)?;
        if conjuncts.len() > 2 {
            return Err(validation(ONE_PER_KEY));
        }
        let mut parts = Vec::new();
        for conj in conjuncts {
            let (attribute, condition) = match conj {
                ConditionSyntax::Compare(op, l, r) => {
                    if *op == CompareOp::Ne {
                        return Err(invalid_operator("<>"));
                    }
                    // Either side may hold the attribute; flip the operator if it is right.
                    let (attr, value, op) = match self.key_attribute(l)? {
                        Some(a) => (a, self.key_value(r)?, *op),
                        None => {
                            let Some(a) = self.key_attribute(r)? else {
                                return Err(self.kind.invalid(
                                    "A key condition must compare a key attribute with an expression attribute value",
                                ));
                            };
                            let flipped = match op {
                                CompareOp::Lt => CompareOp::Gt,
                                CompareOp::Le => CompareOp::Ge,
                                CompareOp::Gt => CompareOp::Lt,
                                CompareOp::Ge => CompareOp::Le,
                                other => *other,
                            };
                            (a, self.key_value(l)?, flipped)
                        }
                    };
                    let cond = match op {
                        CompareOp::Lt => SortCondition::Lt(value),
                        CompareOp::Le => SortCondition::Le(value),
                        CompareOp::Gt => SortCondition::Gt(value),
                        CompareOp::Ge => SortCondition::Ge(value),
                        _ => SortCondition::Eq(value),
                    };
                    (attr, cond)
                }
                ConditionSyntax::Between(v, lo, hi) => {
                    let Some(attr) = self.key_attribute(v)? else {
                        return Err(self.kind.invalid(
                            "A key condition must compare a key attribute with an expression attribute value",
                        ));
                    };
                    let lo = self.key_value(lo)?;
                    let hi = self.key_value(hi)?;
                    self.check_between_bounds(&lo, &hi)?;
                    (attr, SortCondition::Between(lo, hi))
                }
                ConditionSyntax::Call(call) if call.name == "begins_with" => {
                    let (Some(a), Some(b)) = (call.args.first(), call.args.get(1)) else {
                        return Err(invalid_operator(&call.name));
                    };
                    let Some(attr) = self.key_attribute(a)? else {
                        return Err(self.kind.invalid(format!(
                            "Operator or function requires a document path; operator or function: {}",
                            call.name
                        )));
                    };
                    let prefix = self.key_value(b)?;
                    if !matches!(prefix, AttributeValue::S(_) | AttributeValue::B(_)) {
                        return Err(self.kind.invalid(format!(
                            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                            type_code(&prefix)
                        )));
                    }
                    (attr, SortCondition::BeginsWith(prefix))
                }
                ConditionSyntax::Call(call) => return Err(invalid_operator(&call.name)),
                _ => return Err(invalid_operator("OR")),
            };
            parts.push(KeyPart {
                attribute,
                condition,
            });
        }
        assemble(parts, schema)
    }
}
