//! The data keyspace's keys: `owner | point | suffix`.
//!
//! `owner` is the id of the table or index an entry belongs to, `point` the 64-bit point
//! big-endian, `suffix` the encoded item key (or index entry key). The owner is written in
//! a variable-length code rather than as 8 bytes big-endian:
//!
//! ```text
//! id < 2^7    0xxxxxxx
//! id < 2^14   10xxxxxx xxxxxxxx
//! id < 2^21   110xxxxx + 2 bytes
//!   ...       (n leading one bits: n more bytes, 7 - n value bits in the first)
//! id < 2^56   11111110 + 7 bytes
//! otherwise   11111111 + 8 bytes
//! ```
//!
//! Why: the engine's memtable compares keys by their first four bytes, kept inside the
//! skiplist node, before it follows a pointer to the rest; with an 8-byte id those four
//! bytes were the same zeros in every key, so every comparison of a lookup or an insert
//! cost a cache miss more. With the short owner, the first bytes are mostly the point, a
//! hash, and a lookup's comparisons mostly end in the node (measured on 2 cores, durable
//! 300k-record loads: memtable lookups 13-14% → 7% of the request worker's samples).
//!
//! Invariants a reader must keep:
//! 1. Prefix-free: the first byte gives the code's length, so the keys of one owner are
//!    exactly the keys that start with its code, and a range over them cannot reach
//!    another owner's keys.
//! 2. Order-preserving: codes compare bytewise as their ids compare numerically (every
//!    id has one code, the shortest), so owners keep the order they had with 8-byte ids.
//! 3. The code of every id from 1 up starts with a nonzero byte, while every key of the
//!    first layout (8-byte big-endian ids below 2^56) starts with a zero byte: that is
//!    how `Store::open` finds the keys of a data directory written before this layout
//!    (store.rs, `migrate_keys`). Ids start at 1.

/// The longest owner code.
pub const MAX_OWNER_LEN: usize = 9;

/// An owner's code, as bytes.
#[derive(Clone, Copy)]
pub struct Owner {
    bytes: [u8; MAX_OWNER_LEN],
    len: u8,
}

impl Owner {
    /// The code of `id`.
    pub fn new(id: u64) -> Owner {
        // Extra bytes after the first: the fewest whose 7n + 7 value bits hold the id.
        let bits = 64 - id.leading_zeros() as usize;
        let extra = if bits <= 56 {
            bits.saturating_sub(1) / 7
        } else {
            8
        };
        let mut bytes = [0u8; MAX_OWNER_LEN];
        let be = id.to_be_bytes();
        bytes[1..=extra].copy_from_slice(&be[8 - extra..]);
        if extra < 8 {
            // The value's bits above the extra bytes, under the length's leading ones;
            // `bits <= 7 * extra + 7` leaves them clear of the marker bits.
            let high = (id >> (8 * extra)) as u8;
            let marker = !(0xffu8 >> extra);
            bytes[0] = marker | high;
        } else {
            bytes[0] = 0xff;
        }
        Owner {
            bytes,
            len: (extra + 1) as u8,
        }
    }
}

impl std::ops::Deref for Owner {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Owner({:02x?})", &**self)
    }
}

/// The id at the start of `key` and the length of its code, or `None` when the key is
/// shorter than the code its first byte announces.
pub fn parse_owner(key: &[u8]) -> Option<(u64, usize)> {
    let first = *key.first()?;
    let extra = first.leading_ones() as usize;
    let rest = key.get(1..=extra)?;
    let mut id = if extra < 8 {
        u64::from(first & 0xffu8.checked_shr(extra as u32 + 1).unwrap_or(0))
    } else {
        0
    };
    for &b in rest {
        id = (id << 8) | u64::from(b);
    }
    Some((id, extra + 1))
}

/// `owner | point`: the prefix every key of the owner's entries at `point` starts with.
pub fn point_prefix(owner: u64, point: u64) -> Vec<u8> {
    data_key(owner, point, &[])
}

/// The full key of an entry.
pub fn data_key(owner: u64, point: u64, suffix: &[u8]) -> Vec<u8> {
    let code = Owner::new(owner);
    let mut k = Vec::with_capacity(code.len() + 8 + suffix.len());
    k.extend_from_slice(&code);
    k.extend_from_slice(&point.to_be_bytes());
    k.extend_from_slice(suffix);
    k
}

/// A data key's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataKey<'a> {
    pub owner: u64,
    pub point: u64,
    /// The encoded item key (or index entry key).
    pub suffix: &'a [u8],
    /// `point | suffix`: the key without its owner (what a log record keeps).
    pub within_owner: &'a [u8],
}

/// Splits a data key into its parts; `None` for a key too short to be one.
pub fn split_data_key(key: &[u8]) -> Option<DataKey<'_>> {
    let (owner, n) = parse_owner(key)?;
    let within_owner = key.get(n..)?;
    let point = u64::from_be_bytes(within_owner.get(..8)?.try_into().ok()?);
    Some(DataKey {
        owner,
        point,
        suffix: &within_owner[8..],
        within_owner,
    })
}

/// The point of a data key.
pub fn point_of_data_key(key: &[u8]) -> Option<u64> {
    split_data_key(key).map(|k| k.point)
}

#[cfg(test)]
#[path = "keys_test.rs"]
mod tests;
