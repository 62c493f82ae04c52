//! Syntax trees of expressions as written: placeholders unresolved, no types checked.
//!
//! These are what the parser produces and the parse cache holds; [`crate::ExpressionContext`]
//! resolves them against one request's placeholders into [`crate::Condition`],
//! [`crate::Update`] and [`crate::Projection`]. Every tree prints (`Display`) as valid
//! expression text that parses back to an equal tree: the printer adds exactly the
//! parentheses precedence needs, and the parser keeps none.
//!
//! What the parser already guarantees about a tree (so resolution need not re-check):
//! function names and arities are valid for where they appear, functions that need a
//! document path have one, no path is deeper than [`crate::MAX_PATH_DEPTH`], no `IN` has
//! more than [`crate::MAX_IN_OPERANDS`] operands, and no bare name is a reserved word.

use std::fmt;

/// A name inside a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NameSyntax {
    /// A bare attribute name, e.g. `price`.
    Ident(String),
    /// An expression attribute name including its `#`, e.g. `#p`.
    Placeholder(String),
}

/// One element of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ElementSyntax {
    /// A map key (or the top-level attribute when first).
    Name(NameSyntax),
    /// A list index, `[n]`.
    Index(u32),
}

/// A document path as written. The first element is always a [`ElementSyntax::Name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathSyntax {
    /// The elements in order.
    pub elements: Vec<ElementSyntax>,
}

/// A function call, e.g. `begins_with(a, :p)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallSyntax {
    /// The function name, case as written (DynamoDB's function names are case-sensitive).
    pub name: String,
    /// The arguments.
    pub args: Vec<OperandSyntax>,
}

/// Something that yields a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperandSyntax {
    /// A document path.
    Path(PathSyntax),
    /// An expression attribute value including its `:`, e.g. `:v`.
    Value(String),
    /// A function call (`size` in conditions; `if_not_exists`, `list_append` in updates).
    Call(CallSyntax),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A condition (ConditionExpression, FilterExpression, KeyConditionExpression).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConditionSyntax {
    /// `c1 OR c2 OR ...`: one chain as written, at least two operands. Chains are flat
    /// (not nested binary nodes) so a 300-operator expression is one level deep.
    Or(Vec<ConditionSyntax>),
    /// `c1 AND c2 AND ...`, flat like [`ConditionSyntax::Or`].
    And(Vec<ConditionSyntax>),
    /// `NOT c`
    Not(Box<ConditionSyntax>),
    /// `l op r`
    Compare(CompareOp, OperandSyntax, OperandSyntax),
    /// `v BETWEEN lo AND hi`
    Between(OperandSyntax, OperandSyntax, OperandSyntax),
    /// `v IN (a, b, ...)`
    In(OperandSyntax, Vec<OperandSyntax>),
    /// A boolean function: `attribute_exists(p)`, `begins_with(p, :v)`, ...
    Call(CallSyntax),
}

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetValueSyntax {
    /// `operand`
    Operand(OperandSyntax),
    /// `l + r`
    Plus(OperandSyntax, OperandSyntax),
    /// `l - r`
    Minus(OperandSyntax, OperandSyntax),
}

/// One clause of an update expression and its actions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClauseSyntax {
    /// `SET p = v, ...`
    Set(Vec<(PathSyntax, SetValueSyntax)>),
    /// `REMOVE p, ...`
    Remove(Vec<PathSyntax>),
    /// `ADD p :v, ...`
    Add(Vec<(PathSyntax, String)>),
    /// `DELETE p :v, ...`
    Delete(Vec<(PathSyntax, String)>),
}

/// An update expression: its clauses in written order (each kind at most once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpdateSyntax {
    /// The clauses.
    pub clauses: Vec<ClauseSyntax>,
}

/// A projection expression: comma-separated paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectionSyntax {
    /// The paths in written order.
    pub paths: Vec<PathSyntax>,
}

impl fmt::Display for NameSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameSyntax::Ident(s) | NameSyntax::Placeholder(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for PathSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.elements.iter().enumerate() {
            match e {
                ElementSyntax::Name(n) if i == 0 => write!(f, "{n}")?,
                ElementSyntax::Name(n) => write!(f, ".{n}")?,
                ElementSyntax::Index(x) => write!(f, "[{x}]")?,
            }
        }
        Ok(())
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for CallSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        write_list(f, &self.args)?;
        f.write_str(")")
    }
}

impl fmt::Display for OperandSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperandSyntax::Path(p) => write!(f, "{p}"),
            OperandSyntax::Value(v) => f.write_str(v),
            OperandSyntax::Call(c) => write!(f, "{c}"),
        }
    }
}

impl ConditionSyntax {
    /// Binding strength: OR 1, AND 2, NOT 3, everything else 4.
    fn precedence(&self) -> u8 {
        match self {
            ConditionSyntax::Or(..) => 1,
            ConditionSyntax::And(..) => 2,
            ConditionSyntax::Not(..) => 3,
            _ => 4,
        }
    }

    /// Prints `self`, parenthesized when it binds looser than `min`.
    fn write_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

fn write_chain(
    f: &mut fmt::Formatter<'_>,
    xs: &[ConditionSyntax],
    sep: &str,
    min: u8,
) -> fmt::Result {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        x.write_at(f, min)?;
    }
    Ok(())
}

impl fmt::Display for ConditionSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The parser flattens a chain, so an operand that is itself a chain of the
            // same operator needs parentheses to keep its shape.
            ConditionSyntax::Or(xs) => write_chain(f, xs, " OR ", 2),
            ConditionSyntax::And(xs) => write_chain(f, xs, " AND ", 3),
            ConditionSyntax::Not(c) => {
                f.write_str("NOT ")?;
                c.write_at(f, 3)
            }
            ConditionSyntax::Compare(op, l, r) => write!(f, "{l} {} {r}", op.symbol()),
            ConditionSyntax::Between(v, lo, hi) => write!(f, "{v} BETWEEN {lo} AND {hi}"),
            ConditionSyntax::In(v, list) => {
                write!(f, "{v} IN (")?;
                write_list(f, list)?;
                f.write_str(")")
            }
            ConditionSyntax::Call(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for SetValueSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetValueSyntax::Operand(o) => write!(f, "{o}"),
            SetValueSyntax::Plus(l, r) => write!(f, "{l} + {r}"),
            SetValueSyntax::Minus(l, r) => write!(f, "{l} - {r}"),
        }
    }
}

impl fmt::Display for ClauseSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = |f: &mut fmt::Formatter<'_>, kw: &str, xs: &[(PathSyntax, String)]| {
            write!(f, "{kw} ")?;
            for (i, (p, v)) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{p} {v}")?;
            }
            Ok(())
        };
        match self {
            ClauseSyntax::Set(xs) => {
                f.write_str("SET ")?;
                for (i, (p, v)) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p} = {v}")?;
                }
                Ok(())
            }
            ClauseSyntax::Remove(xs) => {
                f.write_str("REMOVE ")?;
                write_list(f, xs)
            }
            ClauseSyntax::Add(xs) => pairs(f, "ADD", xs),
            ClauseSyntax::Delete(xs) => pairs(f, "DELETE", xs),
        }
    }
}

impl fmt::Display for UpdateSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ProjectionSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_list(f, &self.paths)
    }
}

/// Parsers producing these trees (uncached; [`crate::ExpressionContext`] caches).
pub use crate::parser::{parse_condition, parse_projection, parse_update};
