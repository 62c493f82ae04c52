//! [`ApiError`]: every error shoal sends to a client, one variant per DynamoDB error type.
//!
//! Internal errors are converted here and nowhere else (`From` impls at the bottom); an
//! internal error becomes `InternalServerError` with a generic message and is logged with
//! its detail where it is handled.

use serde_json::{json, Value};
use shoal_types::Item;

/// A DynamoDB error response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// Request parameters fail validation.
    #[error("{0}")]
    Validation(String),
    /// The body is not the JSON shape the operation takes.
    #[error("{0}")]
    Serialization(String),
    /// `X-Amz-Target` names no operation shoal knows, or the content type is wrong.
    #[error("{message}")]
    UnknownOperation {
        /// Message text.
        message: String,
        /// 400 for an unknown target, 404 for a request that is not DynamoDB JSON.
        status: u16,
    },
    /// Missing Authorization header.
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// Malformed Authorization header.
    #[error("{0}")]
    IncompleteSignature(String),
    /// Signature does not verify, or is expired.
    #[error("{0}")]
    InvalidSignature(String),
    /// Unknown access key.
    #[error("{0}")]
    UnrecognizedClient(String),
    /// Table or index does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// Table exists already, or is being created or deleted.
    #[error("{0}")]
    ResourceInUse(String),
    /// A condition was false; carries the item when the request asked for it.
    #[error("{message}")]
    ConditionalCheckFailed {
        /// Message text.
        message: String,
        /// The item at the time of the check, for `ReturnValuesOnConditionCheckFailure`.
        item: Option<Item>,
    },
    /// A partition key's item collection would exceed the limit (tables with LSIs).
    #[error("{0}")]
    ItemCollectionSizeLimitExceeded(String),
    /// A limit on tables, indexes or capacity was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The table or partition capacity is used up.
    #[error("{0}")]
    ProvisionedThroughputExceeded(String),
    /// Node load shedding or control-plane rate limit.
    #[error("{0}")]
    Throttling(String),
    /// The request body exceeds 16 MB.
    #[error("request entity too large")]
    RequestTooLarge,
    /// No leader, no quorum, shutting down.
    #[error("{0}")]
    ServiceUnavailable(String),
    /// Everything else; the detail was logged, the client gets a generic message.
    #[error("{0}")]
    InternalServerError(String),
}

/// Result of API operations.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

const DDB: &str = "com.amazonaws.dynamodb.v20120810#";
const CORAL_SERVICE: &str = "com.amazon.coral.service#";
const CORAL_VALIDATE: &str = "com.amazon.coral.validate#";

impl ApiError {
    /// DynamoDB's name of the error type (the part after `#`).
    pub fn type_name(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "ValidationException",
            ApiError::Serialization(_) => "SerializationException",
            ApiError::UnknownOperation { .. } => "UnknownOperationException",
            ApiError::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            ApiError::IncompleteSignature(_) => "IncompleteSignatureException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::UnrecognizedClient(_) => "UnrecognizedClientException",
            ApiError::ResourceNotFound(_) => "ResourceNotFoundException",
            ApiError::ResourceInUse(_) => "ResourceInUseException",
            ApiError::ConditionalCheckFailed { .. } => "ConditionalCheckFailedException",
            ApiError::ItemCollectionSizeLimitExceeded(_) => {
                "ItemCollectionSizeLimitExceededException"
            }
            ApiError::LimitExceeded(_) => "LimitExceededException",
            ApiError::ProvisionedThroughputExceeded(_) => "ProvisionedThroughputExceededException",
            ApiError::Throttling(_) => "ThrottlingException",
            ApiError::RequestTooLarge => "RequestEntityTooLarge",
            ApiError::ServiceUnavailable(_) => "ServiceUnavailableException",
            ApiError::InternalServerError(_) => "InternalServerError",
        }
    }

    /// The namespace DynamoDB puts before `#` for this type.
    pub fn type_prefix(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => CORAL_VALIDATE,
            ApiError::Serialization(_)
            | ApiError::UnknownOperation { .. }
            | ApiError::MissingAuthenticationToken(_)
            | ApiError::IncompleteSignature(_)
            | ApiError::InvalidSignature(_)
            | ApiError::UnrecognizedClient(_)
            | ApiError::RequestTooLarge
            | ApiError::ServiceUnavailable(_) => CORAL_SERVICE,
            ApiError::Throttling(_) => CORAL_SERVICE,
            _ => DDB,
        }
    }

    /// HTTP status DynamoDB answers with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::UnknownOperation { status, .. } => *status,
            ApiError::MissingAuthenticationToken(_)
            | ApiError::IncompleteSignature(_)
            | ApiError::InvalidSignature(_)
            | ApiError::UnrecognizedClient(_) => 400,
            ApiError::RequestTooLarge => 413,
            ApiError::ServiceUnavailable(_) => 503,
            ApiError::InternalServerError(_) => 500,
            _ => 400,
        }
    }

    /// The response body.
    pub fn body(&self) -> Vec<u8> {
        if let ApiError::RequestTooLarge = self {
            return b"<html><body><b>Http/1.1 Request Entity Too Large</b></body></html>".to_vec();
        }
        let mut v = json!({
            "__type": format!("{}{}", self.type_prefix(), self.type_name()),
            "message": self.to_string(),
        });
        if let ApiError::ConditionalCheckFailed {
            item: Some(item), ..
        } = self
        {
            if let Value::Object(o) = &mut v {
                o.insert("Item".into(), shoal_types::json::item_to_json(item));
            }
        }
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// The condition-failed error with DynamoDB's message.
    pub fn condition_failed(item: Option<Item>) -> ApiError {
        ApiError::ConditionalCheckFailed {
            message: "The conditional request failed".into(),
            item,
        }
    }

    /// An internal error: logged here with its detail, generic for the client.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::InternalServerError("Internal server error".into())
    }
}

impl From<shoal_types::Error> for ApiError {
    fn from(e: shoal_types::Error) -> Self {
        match e {
            shoal_types::Error::Validation(m) => ApiError::Validation(m),
            shoal_types::Error::Serialization(m) => ApiError::Serialization(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<shoal_expr::Error> for ApiError {
    fn from(e: shoal_expr::Error) -> Self {
        match e {
            shoal_expr::Error::Validation(m) => ApiError::Validation(m),
            #[allow(unreachable_patterns)]
            other => ApiError::internal(other),
        }
    }
}

impl From<shoal_storage::Error> for ApiError {
    fn from(e: shoal_storage::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<shoal_auth::AuthError> for ApiError {
    fn from(e: shoal_auth::AuthError) -> Self {
        use shoal_auth::AuthError as A;
        match e {
            A::MissingAuthenticationToken(m) => ApiError::MissingAuthenticationToken(m),
            A::IncompleteSignature(m) => ApiError::IncompleteSignature(m),
            A::InvalidSignature(m) => ApiError::InvalidSignature(m),
            A::UnrecognizedClient(m) => ApiError::UnrecognizedClient(m),
            #[allow(unreachable_patterns)]
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type name shoal can send, checked against DynamoDB's list so that a typo
    /// cannot reach an SDK (which keys its exception classes on these names).
    #[test]
    fn type_names_are_dynamodb_names() {
        let allowed = [
            "ValidationException",
            "SerializationException",
            "UnknownOperationException",
            "MissingAuthenticationTokenException",
            "IncompleteSignatureException",
            "InvalidSignatureException",
            "UnrecognizedClientException",
            "ResourceNotFoundException",
            "ResourceInUseException",
            "ConditionalCheckFailedException",
            "ItemCollectionSizeLimitExceededException",
            "LimitExceededException",
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestEntityTooLarge",
            "ServiceUnavailableException",
            "InternalServerError",
        ];
        let all = [
            ApiError::Validation(String::new()),
            ApiError::Serialization(String::new()),
            ApiError::UnknownOperation {
                message: String::new(),
                status: 400,
            },
            ApiError::MissingAuthenticationToken(String::new()),
            ApiError::IncompleteSignature(String::new()),
            ApiError::InvalidSignature(String::new()),
            ApiError::UnrecognizedClient(String::new()),
            ApiError::ResourceNotFound(String::new()),
            ApiError::ResourceInUse(String::new()),
            ApiError::condition_failed(None),
            ApiError::ItemCollectionSizeLimitExceeded(String::new()),
            ApiError::LimitExceeded(String::new()),
            ApiError::ProvisionedThroughputExceeded(String::new()),
            ApiError::Throttling(String::new()),
            ApiError::RequestTooLarge,
            ApiError::ServiceUnavailable(String::new()),
            ApiError::InternalServerError(String::new()),
        ];
        for e in &all {
            assert!(allowed.contains(&e.type_name()), "{}", e.type_name());
        }
        assert_eq!(
            String::from_utf8(ApiError::Validation("bad".into()).body()).unwrap(),
            r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#
        );
        assert_eq!(
            String::from_utf8(ApiError::ResourceNotFound("x".into()).body()).unwrap(),
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#
        );
    }
}
