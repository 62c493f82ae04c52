//! The crate's errors. Admission outcomes are their own small types ([`Throttled`],
//! [`Shed`], [`CapacityExceeded`]) so that hot paths return exactly what the server maps
//! to one DynamoDB error; [`Error`] wraps them together with invalid-input errors for
//! the calls that can fail in several ways.

/// Which bucket of a partition refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A read bucket.
    Read,
    /// A write bucket.
    Write,
}

/// A token bucket has too little capacity for the request now. The server answers
/// ProvisionedThroughputExceededException; the SDKs retry it with backoff.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("throughput exceeded: requested {requested} units, {available} available")]
pub struct Throttled {
    /// Units the request asked for.
    pub requested: f64,
    /// Units in the bucket when it was refused (negative while the bucket is in debt).
    pub available: f64,
    /// Microseconds until the bucket holds enough, at its current rate; `u64::MAX` for a
    /// bucket with rate 0.
    pub retry_after_us: u64,
    /// The bucket that refused, when the bucket belongs to a partition.
    pub direction: Option<Direction>,
}

/// Why the node shed a best-effort request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShedReason {
    /// Above the node's current maximum best-effort request rate.
    RequestRate,
    /// Best-effort reads would use read capacity the node reserved for committed tables.
    ReadCapacity,
    /// Best-effort writes would use write capacity the node reserved for committed tables.
    WriteCapacity,
}

/// The node shed a best-effort request (US10257288B2). The server answers
/// ThrottlingException; clients retry with backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("node is shedding best-effort load ({reason:?}); retry in {retry_after_us} us")]
pub struct Shed {
    /// What limit the request hit.
    pub reason: ShedReason,
    /// Microseconds until the limit would admit it, at the current rates.
    pub retry_after_us: u64,
}

/// Placing this committed capacity would exceed what the node can serve. The server
/// answers LimitExceededException; the operator raises the node's configured capacity or
/// places the table elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "committed capacity exceeds the node's capacity: requested {requested_rcu} read and \
     {requested_wcu} write units, {available_rcu} read and {available_wcu} write units \
     available"
)]
pub struct CapacityExceeded {
    /// Read units asked for.
    pub requested_rcu: f64,
    /// Write units asked for.
    pub requested_wcu: f64,
    /// Read units the node can still commit (the table's previous reservation included).
    pub available_rcu: f64,
    /// Write units the node can still commit (the table's previous reservation included).
    pub available_wcu: f64,
}

/// Every error of the crate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bucket refused the request; see [`Throttled`].
    #[error(transparent)]
    Throttled(#[from] Throttled),
    /// The node shed the request; see [`Shed`].
    #[error(transparent)]
    Shed(#[from] Shed),
    /// The node cannot commit more capacity; see [`CapacityExceeded`].
    #[error(transparent)]
    CapacityExceeded(#[from] CapacityExceeded),
    /// The partition is not (or no longer) part of the table: the caller's partition map
    /// is stale, e.g. a split finished in between. Look the partition up again.
    #[error("unknown partition {0}")]
    UnknownPartition(u64),
    /// Caller input that cannot describe a table or node: bad shares, negative or NaN
    /// capacity, partitions that do not cover the key space. A bug in the caller.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
