//! [`Condition`]: a resolved ConditionExpression / FilterExpression (or a legacy
//! `Expected` / `QueryFilter` / `ScanFilter`), and its evaluation against an item.
//!
//! Evaluation follows DynamoDB: a missing attribute or a type mismatch makes a comparison
//! false (and `<>` true), never an error. Operand types that can be known before seeing
//! an item (constants) were already checked when the condition was built.

use std::borrow::Cow;

use shoal_types::{AttributeValue, Item, KeySchema, Number};

use crate::path::Path;
use crate::syntax::CompareOp;
use crate::values::{begins_with, compare_values, contains, size_of, type_code, values_equal};
use crate::Result;

/// A value-producing operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The value at a document path (absent if the path does not resolve).
    Path(Path),
    /// A constant from `ExpressionAttributeValues` (or a legacy `AttributeValueList`).
    Value(AttributeValue),
    /// `size(path)`: absent if the path is missing or has no size.
    Size(Path),
}

/// A boolean function.
#[derive(Debug, Clone, PartialEq)]
pub enum Function {
    /// `attribute_exists(path)`
    AttributeExists(Path),
    /// `attribute_not_exists(path)`
    AttributeNotExists(Path),
    /// `attribute_type(path, :t)` with the type code already validated.
    AttributeType(Path, String),
    /// `begins_with(a, b)`
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`
    Contains(Operand, Operand),
}

/// A resolved condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Always true: an empty legacy `Expected` map.
    True,
    /// `c1 OR c2 OR ...` (true if any holds; an empty list is false)
    Or(Vec<Condition>),
    /// `c1 AND c2 AND ...` (true if all hold; an empty list is true)
    And(Vec<Condition>),
    /// `NOT c`
    Not(Box<Condition>),
    /// `l op r`
    Compare(CompareOp, Operand, Operand),
    /// `v BETWEEN lo AND hi`
    Between(Operand, Operand, Operand),
    /// `v IN (...)`
    In(Operand, Vec<Operand>),
    /// A boolean function.
    Function(Function),
}

impl Operand {
    fn eval<'a>(&'a self, item: Option<&'a Item>) -> Option<Cow<'a, AttributeValue>> {
        match self {
            Operand::Path(p) => item.and_then(|i| p.lookup(i)).map(Cow::Borrowed),
            Operand::Value(v) => Some(Cow::Borrowed(v)),
            Operand::Size(p) => {
                let v = item.and_then(|i| p.lookup(i))?;
                let n = i64::try_from(size_of(v)?).ok()?;
                Some(Cow::Owned(AttributeValue::N(Number::from_i64(n))))
            }
        }
    }
}

fn compare(op: CompareOp, a: Option<&AttributeValue>, b: Option<&AttributeValue>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        // A missing operand equals nothing, so only `<>` holds.
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => values_equal(a, b),
        CompareOp::Ne => !values_equal(a, b),
        CompareOp::Lt => compare_values(a, b).is_some_and(|o| o.is_lt()),
        CompareOp::Le => compare_values(a, b).is_some_and(|o| o.is_le()),
        CompareOp::Gt => compare_values(a, b).is_some_and(|o| o.is_gt()),
        CompareOp::Ge => compare_values(a, b).is_some_and(|o| o.is_ge()),
    }
}

impl Condition {
    /// The top-level attribute names the condition reads, each once, in first-use order.
    pub fn referenced_attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_attributes(&mut out);
        out
    }

    fn collect_attributes<'a>(&'a self, out: &mut Vec<&'a str>) {
        let mut push = |p: &'a Path| {
            if !out.contains(&p.top()) {
                out.push(p.top());
            }
        };
        let operand = |o: &'a Operand, push: &mut dyn FnMut(&'a Path)| match o {
            Operand::Path(p) | Operand::Size(p) => push(p),
            Operand::Value(_) => {}
        };
        match self {
            Condition::True => {}
            Condition::Or(xs) | Condition::And(xs) => {
                for x in xs {
                    x.collect_attributes(out);
                }
            }
            Condition::Not(c) => c.collect_attributes(out),
            Condition::Compare(_, l, r) => {
                operand(l, &mut push);
                operand(r, &mut push);
            }
            Condition::Between(v, lo, hi) => {
                for o in [v, lo, hi] {
                    operand(o, &mut push);
                }
            }
            Condition::In(v, list) => {
                operand(v, &mut push);
                for o in list {
                    operand(o, &mut push);
                }
            }
            Condition::Function(f) => match f {
                Function::AttributeExists(p)
                | Function::AttributeNotExists(p)
                | Function::AttributeType(p, _) => push(p),
                Function::BeginsWith(a, b) | Function::Contains(a, b) => {
                    operand(a, &mut push);
                    operand(b, &mut push);
                }
            },
        }
    }

    /// Query filters may not read key attributes. `member` names the parameter in the
    /// message: `"Filter Expression"` for FilterExpression, `"QueryFilter"` for the
    /// legacy parameter. E.g. "Filter Expression can only contain non-primary key
    /// attributes: Primary key attribute: sk".
    pub fn check_filter_key_attributes(&self, schema: &KeySchema, member: &str) -> Result<()> {
        for name in self.referenced_attributes() {
            if schema.partition.name == name || schema.sort.as_ref().is_some_and(|s| s.name == name)
            {
                return Err(crate::error::validation(format!(
                    "{member} can only contain non-primary key attributes: Primary key attribute: {name}"
                )));
            }
        }
        Ok(())
    }

    /// Evaluates against `item` (`None`: the item does not exist, so every path is
    /// missing). Data never makes this fail; the `Result` is for future checks that
    /// depend on data, and callers map `Ok(false)` to ConditionalCheckFailedException.
    pub fn evaluate(&self, item: Option<&Item>) -> Result<bool> {
        Ok(self.eval(item))
    }

    fn eval(&self, item: Option<&Item>) -> bool {
        // NOTE: recursion depth is bounded by the parser's nesting and operator limits.
        match self {
            Condition::True => true,
            Condition::Or(xs) => xs.iter().any(|x| x.eval(item)),
            Condition::And(xs) => xs.iter().all(|x| x.eval(item)),
            Condition::Not(c) => !c.eval(item),
            Condition::Compare(op, l, r) => {
                let a = l.eval(item);
                let b = r.eval(item);
                compare(*op, a.as_deref(), b.as_deref())
            }
            Condition::Between(v, lo, hi) => {
                let (Some(v), Some(lo), Some(hi)) = (v.eval(item), lo.eval(item), hi.eval(item))
                else {
                    return false;
                };
                compare_values(&v, &lo).is_some_and(|o| o.is_ge())
                    && compare_values(&v, &hi).is_some_and(|o| o.is_le())
            }
            Condition::In(v, list) => {
                let Some(v) = v.eval(item) else {
                    return false;
                };
                list.iter()
                    .any(|o| o.eval(item).is_some_and(|w| values_equal(&v, &w)))
            }
            Condition::Function(f) => f.eval(item),
        }
    }
}

impl Function {
    fn eval(&self, item: Option<&Item>) -> bool {
        let lookup = |p: &Path| item.and_then(|i| p.lookup(i));
        match self {
            Function::AttributeExists(p) => lookup(p).is_some(),
            Function::AttributeNotExists(p) => lookup(p).is_none(),
            Function::AttributeType(p, t) => lookup(p).is_some_and(|v| type_code(v) == t),
            Function::BeginsWith(a, b) => match (a.eval(item), b.eval(item)) {
                (Some(a), Some(b)) => begins_with(&a, &b),
                _ => false,
            },
            Function::Contains(a, b) => match (a.eval(item), b.eval(item)) {
                (Some(a), Some(b)) => contains(&a, &b),
                _ => false,
            },
        }
    }
}
