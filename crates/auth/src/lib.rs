//! AWS Signature Version 4 for shoal's DynamoDB JSON API.
//!
//! Every DynamoDB request is a `POST /` signed with SigV4 for service `dynamodb` in some region.
//! The server uses this crate in two steps:
//!
//! ```text
//! request --> parse_request_auth(headers) --> Authorization
//!                 | (both modes: missing / malformed header is refused as DynamoDB does)
//!                 v
//!             accept mode: done (any access key)
//!             enforce mode: verify(&auth, &keys, method, uri, headers, raw_body, now)
//! ```
//!
//! It is **not**: an HTTP layer (it never builds responses; [`AuthError::type_name`] and the
//! message go into the server's single error type), a request signer (tests sign with the
//! `aws-sigv4` crate), or an implementation of query-string (presigned URL), SigV4a, chunked
//! or S3-flavoured signing. Session tokens are neither required nor checked: keys in a
//! [`KeyStore`] are long-term keys.
//!
//! Key types:
//! - [`Authorization`]: the parsed `Authorization` header.
//! - [`KeyStore`]: access key id → secret, loadable from an AWS shared-credentials file.
//! - [`AuthError`]: one variant per DynamoDB authentication error type, messages verbatim.
//!
//! Invariants:
//! - **Constant-time compare.** The computed signature is compared with `subtle`, never `==`.
//! - **Never log or echo secrets.** `KeyStore`'s `Debug` redacts secrets, credentials-file
//!   errors name lines but not their contents, and no error message contains a secret. Error
//!   messages *do* echo the client's own `Authorization`/date header back, as DynamoDB does.
//! - **No panics on input.** Headers are attacker-controlled: parsing works on bytes with
//!   checked accessors, and non-UTF-8 is handled lossily rather than rejected with a panic.
//! - **Verify what the client hashed.** `verify` takes the body exactly as received, before
//!   any `Content-Encoding` is undone.
//!
//! Related: the server crate maps [`AuthError`] to HTTP 400 bodies
//! `{"__type":"com.amazon.coral.service#<type_name>","message":...}`.

#![deny(missing_docs)]

mod authorization;
pub mod canonical;
pub mod date;
mod error;
mod keys;
mod verify;

pub use authorization::{
    check_request_auth, parse_request_auth, Authorization, ALGORITHM, SERVICE, TERMINATOR,
};
pub use error::{
    AuthError, Result, CORAL_SERVICE_PREFIX, MISSING_TOKEN_MESSAGE, SIGNATURE_MISMATCH_MESSAGE,
    UNRECOGNIZED_CLIENT_MESSAGE,
};
pub use keys::KeyStore;
pub use verify::verify;
