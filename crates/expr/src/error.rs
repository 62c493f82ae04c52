//! The crate's error type, and the expression kinds whose names prefix its messages.

use std::fmt;

/// Why an expression or legacy parameter was rejected. Every variant becomes a
/// `ValidationException` whose message is the variant's text, verbatim.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// DynamoDB's exact message, e.g. `Invalid ConditionExpression: Syntax error; ...`.
    #[error("{0}")]
    Validation(String),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Which request member an expression came from. DynamoDB names it in messages
/// ("Invalid UpdateExpression: ..."), so parse errors depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// `ConditionExpression`.
    Condition,
    /// `FilterExpression`.
    Filter,
    /// `UpdateExpression`.
    Update,
    /// `ProjectionExpression`.
    Projection,
    /// `KeyConditionExpression`.
    KeyCondition,
}

impl ExprKind {
    /// The request member's name as DynamoDB spells it in messages.
    pub fn member_name(self) -> &'static str {
        match self {
            ExprKind::Condition => "ConditionExpression",
            ExprKind::Filter => "FilterExpression",
            ExprKind::Update => "UpdateExpression",
            ExprKind::Projection => "ProjectionExpression",
            ExprKind::KeyCondition => "KeyConditionExpression",
        }
    }

    /// `Invalid <Member>: <detail>`, DynamoDB's shape for expression errors.
    pub(crate) fn invalid(self, detail: impl fmt::Display) -> Error {
        Error::Validation(format!("Invalid {}: {}", self.member_name(), detail))
    }
}

/// A plain validation error with a message that has no expression prefix.
pub(crate) fn validation(msg: impl Into<String>) -> Error {
    Error::Validation(msg.into())
}
