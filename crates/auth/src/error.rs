//! The one error type of `shoal-auth`.
//!
//! Each variant is one DynamoDB authentication error type. The message inside is exactly what
//! DynamoDB puts in the `message` field of its error body, so the server can forward it as is.
//! Messages may echo the request's own `Authorization` header or date header back to the client
//! (DynamoDB does this too), but never contain a secret access key.

/// The type prefix DynamoDB uses for every authentication error body
/// (`{"__type":"com.amazon.coral.service#<Name>", ...}`).
pub const CORAL_SERVICE_PREFIX: &str = "com.amazon.coral.service";

/// The message DynamoDB sends for any signature that does not verify.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match \
the signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
service documentation for details.";

/// The message DynamoDB sends when the access key id is unknown.
pub const UNRECOGNIZED_CLIENT_MESSAGE: &str =
    "The security token included in the request is invalid.";

/// The message DynamoDB sends when a request carries no authentication at all.
pub const MISSING_TOKEN_MESSAGE: &str = "Request is missing Authentication Token";

/// Why a request failed authentication. All variants map to HTTP 400.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// `com.amazon.coral.service#MissingAuthenticationTokenException`.
    ///
    /// No `Authorization` header at all. The client is not signing requests: check that it has
    /// credentials configured (any dummy key works unless the server enforces signatures).
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// `com.amazon.coral.service#IncompleteSignatureException`.
    ///
    /// The `Authorization` header (or the date header) is present but malformed or incomplete.
    #[error("{0}")]
    IncompleteSignature(String),
    /// `com.amazon.coral.service#InvalidSignatureException`.
    ///
    /// The signature does not verify: wrong secret, altered request, clock skew or a scope
    /// that does not match the request date.
    #[error("{0}")]
    InvalidSignature(String),
    /// `com.amazon.coral.service#UnrecognizedClientException`.
    ///
    /// The access key id is not in the server's key store (enforce mode only).
    #[error("{0}")]
    UnrecognizedClient(String),
}

impl AuthError {
    /// The DynamoDB error type name, the part after `#` in `__type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken(_) => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::UnrecognizedClient(_) => "UnrecognizedClientException",
        }
    }

    /// The full `__type` value DynamoDB sends, e.g.
    /// `com.amazon.coral.service#InvalidSignatureException`.
    pub fn qualified_type(&self) -> String {
        format!("{CORAL_SERVICE_PREFIX}#{}", self.type_name())
    }

    /// The HTTP status DynamoDB answers with. Every authentication failure is a 400.
    pub fn http_status(&self) -> u16 {
        400
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        match self {
            AuthError::MissingAuthenticationToken(m)
            | AuthError::IncompleteSignature(m)
            | AuthError::InvalidSignature(m)
            | AuthError::UnrecognizedClient(m) => m,
        }
    }

    pub(crate) fn mismatch() -> Self {
        AuthError::InvalidSignature(SIGNATURE_MISMATCH_MESSAGE.to_owned())
    }
}

/// `Result` with [`AuthError`] as the default error.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    // Registry test (STYLE §3b): every type name this crate can emit, pinned.
    #[test]
    fn type_names_are_pinned() {
        let all = [
            (
                AuthError::MissingAuthenticationToken(String::new()),
                "MissingAuthenticationTokenException",
            ),
            (
                AuthError::IncompleteSignature(String::new()),
                "IncompleteSignatureException",
            ),
            (
                AuthError::InvalidSignature(String::new()),
                "InvalidSignatureException",
            ),
            (
                AuthError::UnrecognizedClient(String::new()),
                "UnrecognizedClientException",
            ),
        ];
        for (err, name) in all {
            assert_eq!(err.type_name(), name);
            assert_eq!(
                err.qualified_type(),
                format!("com.amazon.coral.service#{name}")
            );
            assert_eq!(err.http_status(), 400);
        }
    }

    #[test]
    fn display_is_the_message() {
        let err = AuthError::InvalidSignature("boom".into());
        assert_eq!(err.to_string(), "boom");
        assert_eq!(err.message(), "boom");
        assert_eq!(
            AuthError::mismatch().message(),
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
        );
    }
}
