//! Primary keys: the key schema, key validation with DynamoDB's messages, and the key
//! byte encodings the storage layer keeps on disk.
//!
//! It is not: the table catalog (which stores a [`KeySchema`] per table) or the storage
//! key layout around the suffix produced here.
//!
//! ## On disk (never change)
//!
//! - [`encode_key_value`]: order-preserving bytes of a scalar key value. `S`: its UTF-8
//!   bytes (bytewise order is DynamoDB's string order); `B`: its raw bytes; `N`:
//!   [`Number::encode_ordered`]. Not self-delimiting.
//! - [`encode_item_key`]: `u16 big-endian length of the partition bytes`, the partition
//!   bytes, then the sort key bytes unprefixed (absent when the table has no sort key).
//!   Within one partition, item keys therefore sort by sort key.
//! - [`point`]: `xxh3_64(encode_key_value(partition key))`, the partition key's position
//!   on the hash ring.

#![deny(clippy::indexing_slicing)]

use crate::size::attribute_size;
use crate::{AttributeValue, Error, Item, Number, Result};
use crate::{MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE};

const MSG_KEY_MISMATCH: &str = "The provided key element does not match the schema";

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// `"S"`, `"N"` or `"B"` (the `AttributeType` of `AttributeDefinitions`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Inverse of [`ScalarType::as_str`].
    pub fn parse(s: &str) -> Option<ScalarType> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    /// True when `v` is of this type.
    pub fn matches(&self, v: &AttributeValue) -> bool {
        matches!(
            (self, v),
            (ScalarType::S, AttributeValue::S(_))
                | (ScalarType::N, AttributeValue::N(_))
                | (ScalarType::B, AttributeValue::B(_))
        )
    }
}

/// The role of a key attribute in `KeySchema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Partition key.
    Hash,
    /// Sort key.
    Range,
}

impl KeyType {
    /// `"HASH"` or `"RANGE"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyType::Hash => "HASH",
            KeyType::Range => "RANGE",
        }
    }

    /// Inverse of [`KeyType::as_str`].
    pub fn parse(s: &str) -> Option<KeyType> {
        match s {
            "HASH" => Some(KeyType::Hash),
            "RANGE" => Some(KeyType::Range),
            _ => None,
        }
    }
}

/// One key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttr {
    /// Attribute name.
    pub name: String,
    /// Attribute type.
    pub ty: ScalarType,
}

/// A table's (or index's) primary key: a partition key and an optional sort key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySchema {
    /// The partition (`HASH`) key.
    pub partition: KeyAttr,
    /// The sort (`RANGE`) key, if any.
    pub sort: Option<KeyAttr>,
}

impl KeySchema {
    /// The key attributes, partition first.
    pub fn attrs(&self) -> impl Iterator<Item = (&KeyAttr, KeyType)> {
        std::iter::once((&self.partition, KeyType::Hash))
            .chain(self.sort.iter().map(|s| (s, KeyType::Range)))
    }

    /// PutItem: the item must contain every key attribute with the right type, non-empty
    /// and within the key size limits.
    pub fn validate_item_key(&self, item: &Item) -> Result<()> {
        for (attr, kt) in self.attrs() {
            let Some(v) = item.get(&attr.name) else {
                return Err(Error::Validation(format!(
                    "One or more parameter values were invalid: Missing the key {} in the item",
                    attr.name
                )));
            };
            if !attr.ty.matches(v) {
                return Err(Error::Validation(format!(
                    "One or more parameter values were invalid: Type mismatch for key {} \
                     expected: {} actual: {}",
                    attr.name,
                    attr.ty.as_str(),
                    v.type_name()
                )));
            }
            check_key_value(&attr.name, kt, v)?;
        }
        Ok(())
    }

    /// GetItem/DeleteItem/UpdateItem `Key`: exactly the key attributes, of the right
    /// types, non-empty and within the key size limits.
    pub fn validate_key(&self, key: &Item) -> Result<()> {
        let expected = if self.sort.is_some() { 2 } else { 1 };
        if key.len() != expected {
            return Err(Error::Validation(MSG_KEY_MISMATCH.to_string()));
        }
        for (attr, _) in self.attrs() {
            match key.get(&attr.name) {
                Some(v) if attr.ty.matches(v) => {}
                _ => return Err(Error::Validation(MSG_KEY_MISMATCH.to_string())),
            }
        }
        for (attr, kt) in self.attrs() {
            if let Some(v) = key.get(&attr.name) {
                check_key_value(&attr.name, kt, v)?;
            }
        }
        Ok(())
    }

    /// The key attributes of `item` (those present; a validated item has all).
    pub fn key_of(&self, item: &Item) -> Item {
        self.attrs()
            .filter_map(|(a, _)| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect()
    }

    /// True when `name` is the partition or sort key attribute.
    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.partition.name == name || self.sort.as_ref().is_some_and(|s| s.name == name)
    }
}

/// Checks a key value of the right type: non-empty and within its size limit.
fn check_key_value(name: &str, kt: KeyType, v: &AttributeValue) -> Result<()> {
    let empty_kind = match v {
        AttributeValue::S(s) if s.is_empty() => Some("string"),
        AttributeValue::B(b) if b.is_empty() => Some("binary"),
        _ => None,
    };
    if let Some(kind) = empty_kind {
        return Err(Error::Validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty {kind} value. Key: {name}"
        )));
    }
    let size = attribute_size(v);
    match kt {
        KeyType::Hash if size > MAX_PARTITION_KEY_SIZE => Err(Error::Validation(format!(
            "One or more parameter values were invalid: Size of hashkey has exceeded the \
             maximum size limit of {MAX_PARTITION_KEY_SIZE} bytes"
        ))),
        KeyType::Range if size > MAX_SORT_KEY_SIZE => Err(Error::Validation(format!(
            "One or more parameter values were invalid: Aggregated size of all range keys has \
             exceeded the size limit of {MAX_SORT_KEY_SIZE} bytes"
        ))),
        _ => Ok(()),
    }
}

/// Appends the order-preserving encoding of a scalar key value (see the module docs).
///
/// Non-key types never reach here after validation; for robustness they are written with
/// the [`crate::codec`] value encoding, which keeps distinct values distinct.
pub fn encode_key_value(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => out.extend_from_slice(s.as_bytes()),
        AttributeValue::B(b) => out.extend_from_slice(b),
        AttributeValue::N(n) => n.encode_ordered(out),
        other => crate::codec::encode_value(other, out),
    }
}

/// The item's storage key suffix (see the module docs). Assumes a validated key; a
/// missing attribute encodes as empty bytes.
pub fn encode_item_key(schema: &KeySchema, key: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0, 0]);
    if let Some(pk) = key.get(&schema.partition.name) {
        encode_key_value(pk, &mut out);
    }
    // Validated partition keys are at most 2048 bytes (22 for numbers), so this fits.
    let len = u16::try_from(out.len() - 2).unwrap_or(u16::MAX);
    if let Some(prefix) = out.get_mut(..2) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
    if let Some(sk) = schema.sort.as_ref().and_then(|s| key.get(&s.name)) {
        encode_key_value(sk, &mut out);
    }
    out
}

/// Stable 64-bit point of a partition key: `xxh3_64` of its [`encode_key_value`] bytes.
/// ON DISK: never change.
pub fn point(partition_key: &AttributeValue) -> u64 {
    let mut buf = Vec::with_capacity(64);
    encode_key_value(partition_key, &mut buf);
    xxhash_rust::xxh3::xxh3_64(&buf)
}

/// Inverse of [`encode_item_key`]; [`Error::Corrupt`] on malformed bytes.
pub fn decode_item_key(schema: &KeySchema, bytes: &[u8]) -> Result<Item> {
    let corrupt = |m: &str| Error::Corrupt(format!("item key: {m}"));
    let (len, rest) = bytes
        .split_first_chunk::<2>()
        .ok_or_else(|| corrupt("truncated"))?;
    let len = usize::from(u16::from_be_bytes(*len));
    let pk_bytes = rest
        .get(..len)
        .ok_or_else(|| corrupt("truncated partition key"))?;
    let sk_bytes = rest.get(len..).unwrap_or_default();
    let mut item = Item::new();
    item.insert(
        schema.partition.name.clone(),
        decode_key_value(schema.partition.ty, pk_bytes)?,
    );
    match &schema.sort {
        Some(sk) => {
            item.insert(sk.name.clone(), decode_key_value(sk.ty, sk_bytes)?);
        }
        None if !sk_bytes.is_empty() => return Err(corrupt("bytes after partition key")),
        None => {}
    }
    Ok(item)
}

/// Inverse of [`encode_key_value`] for a value of type `ty` occupying all of `bytes`.
pub fn decode_key_value(ty: ScalarType, bytes: &[u8]) -> Result<AttributeValue> {
    Ok(match ty {
        ScalarType::S => AttributeValue::S(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| Error::Corrupt("item key: string key is not UTF-8".to_string()))?,
        ),
        ScalarType::B => AttributeValue::B(bytes.to_vec()),
        ScalarType::N => AttributeValue::N(Number::decode_ordered(bytes)?),
    })
}

#[cfg(test)]
#[path = "key_test.rs"]
mod tests;
