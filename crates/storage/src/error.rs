//! The storage error type.

/// What can go wrong below the request layer. Every variant is an internal error for the
/// client (a 500); none is retried in place.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine failed (I/O, corruption detected by the engine, poisoned after a fatal
    /// error). Operators: check the disk and the log lines above this one.
    #[error("storage engine: {0}")]
    Engine(#[from] fjall::Error),
    /// Bytes on disk that shoal cannot decode. Operators: the data directory was written
    /// by an incompatible version or damaged outside shoal.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The group committer failed to fsync; no further write can be acknowledged.
    #[error("journal sync failed; node is read-only until restarted: {0}")]
    SyncFailed(String),
}

impl From<shoal_types::Error> for Error {
    fn from(e: shoal_types::Error) -> Self {
        Error::Corrupt(e.to_string())
    }
}

/// Result of storage operations.
pub type Result<T> = std::result::Result<T, Error>;
