//! shoal's data model: DynamoDB attribute values, 38-digit decimal numbers, items, key
//! schemas, and the byte encodings that the storage layer keeps on disk.
//!
//! It is not: an I/O layer, an expression evaluator (`shoal-expr`), or a request
//! parser (`shoal` parses requests and calls into [`json`] for attribute values, or
//! deserializes a request's item with [`direct::DirectItem`]).
//!
//! Key types:
//! - [`Number`]: a decimal with at most 38 significant digits and DynamoDB's range,
//!   always normalised, ordered numerically.
//! - [`AttributeValue`] and [`Item`]: the ten DynamoDB types.
//! - [`KeySchema`] / [`KeyType`]: which attributes form the primary key.
//!
//! Invariants a reader must keep:
//! - A value that exists as an `AttributeValue` has passed validation: sets are
//!   non-empty and without duplicates, numbers are in range and normalised.
//! - [`key::encode_key_value`] is order-preserving: comparing encodings bytewise is
//!   comparing values as DynamoDB orders sort keys. It is on disk: never change it.
//! - [`key::point`] is a stable hash of the partition key. It is on disk: never change it.
//! - [`codec`] encodings carry a version byte; decoding rejects what it does not know.

pub mod codec;
pub mod direct;
pub mod error;
pub mod hash;
pub mod json;
pub mod key;
pub mod number;
pub mod size;
pub mod value;

pub use error::{Error, Result};
pub use key::{KeySchema, KeyType, ScalarType};
pub use number::Number;
pub use value::{AttributeValue, Item};

/// Largest item DynamoDB stores: 400 KB, attribute names included.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// Largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_SORT_KEY_SIZE: usize = 1024;
/// Deepest nesting of lists and maps DynamoDB accepts.
pub const MAX_NESTING_DEPTH: usize = 32;
