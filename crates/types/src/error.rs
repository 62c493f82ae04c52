//! The crate's error type. Messages of [`Error::Validation`] are DynamoDB's exact text:
//! the server sends them to clients verbatim.

/// What went wrong while building, validating or decoding a value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request is well-formed JSON but breaks a DynamoDB rule. The server maps it to
    /// `ValidationException`; the string is DynamoDB's exact message.
    #[error("{0}")]
    Validation(String),
    /// The JSON has the wrong shape (e.g. `N` given as a JSON number). The server maps it
    /// to `SerializationException`.
    #[error("{0}")]
    Serialization(String),
    /// Bytes read from disk do not decode. This is data corruption or a format version
    /// this binary does not know: operators should check the replica, not retry.
    #[error("corrupt encoding: {0}")]
    Corrupt(String),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
