//! DynamoDB's expression language: lexer, parser, AST and evaluator for
//! ConditionExpression, FilterExpression, UpdateExpression, ProjectionExpression and
//! KeyConditionExpression, plus the legacy parameters (`Expected`, `AttributeUpdates`,
//! `AttributesToGet`, `QueryFilter`/`ScanFilter`, `KeyConditions`) translated to the same AST.
//!
//! It is not: a request parser (the server hands us the raw JSON members), a storage
//! layer, or async. Everything here is pure and synchronous, and no input — however long,
//! deep or malformed — panics, overflows the stack or runs unbounded: expressions are
//! capped at 4 KB and 300 operators, nesting (parentheses, `NOT`, nested calls) is capped
//! at [`MAX_NESTING`], `AND`/`OR` chains are flat lists rather than deep binary trees, and
//! every error is an [`Error::Validation`] carrying DynamoDB's exact message.
//!
//! Key types:
//! - [`ExpressionContext`]: one request's `ExpressionAttributeNames`/`Values`. Every
//!   expression of the request is parsed through it, and [`ExpressionContext::finish`]
//!   reports placeholders no expression used.
//! - [`Condition`] (conditions and filters), [`Update`], [`Projection`], [`KeyCondition`]:
//!   resolved ASTs (placeholders substituted) that the server evaluates or applies.
//! - [`syntax`]: the unresolved syntax trees. They print back as valid expression text
//!   (`Display`) and are what the parse cache holds.
//! - [`Path`]: a resolved document path such as `a.b[3].c`.
//!
//! Invariants:
//! - Parsing is a function of the text alone; resolution (placeholders, operand types)
//!   is a function of text and context. So the cache is keyed by text and expression kind.
//! - Evaluation never errors on data mismatches: comparing values of different types is
//!   false, as in DynamoDB. Updates do error on data mismatches, with DynamoDB's messages,
//!   and leave the caller's copy of the item to be discarded.
//!
//! Related crates: `shoal-types` (the data model this evaluates over).

#![deny(clippy::indexing_slicing)]
#![deny(missing_docs)]

mod cache;
mod condition;
mod context;
mod error;
mod key_condition;
pub mod legacy;
mod lexer;
mod parser;
mod path;
mod projection;
mod reserved;
mod resolve;
pub mod syntax;
mod update;
mod values;

pub use condition::{Condition, Function, Operand};
pub use context::ExpressionContext;
pub use error::{Error, ExprKind, Result};
pub use key_condition::{KeyCondition, SortCondition};
pub use path::{Path, PathElement};
pub use projection::{project_paths, Projection};
pub use reserved::is_reserved_word;
pub use syntax::CompareOp;
pub use update::{SetValue, Update, UpdateOperand};

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_SIZE: usize = 4096;
/// Most operators and functions one expression may contain.
pub const MAX_OPERATORS: usize = 300;
/// Most operands of one `IN`.
pub const MAX_IN_OPERANDS: usize = 100;
/// Most elements in one document path, matching the item nesting limit.
pub const MAX_PATH_DEPTH: usize = shoal_types::MAX_NESTING_DEPTH;
/// Deepest nesting of parentheses and `NOT`s the parser follows. DynamoDB's own limit is
/// not documented; this bound exists so recursion can never exhaust the stack.
pub const MAX_NESTING: usize = 100;
