//! The partition log record: what one write did, as stored in the `log` keyspace.
//!
//! Format v1 (ON DISK: add a new version rather than change this one):
//!
//! ```text
//! u8  version = 1
//! u8  op: 1 = put, 2 = delete, 3 = delete by TTL
//! u64 LE timestamp, microseconds since the Unix epoch
//! u32 LE key length, key bytes    (point u64 BE | item key suffix)
//! u8  old item present (0/1), u32 LE old item size (DynamoDB bytes)
//! u32 LE new item size (DynamoDB bytes, 0 for deletes)
//! u32 LE new image length, new image bytes (codec::encode_item; empty for deletes, and
//!     empty unless the partition logs new images)
//! u32 LE old image length, old image bytes (empty unless the partition logs old images)
//! ```
//!
//! Sizes are kept so that a partition's item count and byte size can be recomputed from
//! a checkpoint plus the records after it, without decoding images.
//!
//! Every write has its record, whatever the partition logs: the sequence, the key, what
//! happened and the sizes. Images are carried only for the readers that need them
//! ([`crate::PartitionDesc`] says which): a reader that needs images must be configured
//! before the writes it reads, as a DynamoDB stream only shows changes made after it was
//! enabled. Without such a reader the data keyspace holds the only copy of an item, and a
//! write costs one image in the journal, the memtables, flushes and compactions instead
//! of two.

use crate::{Error, Result};

/// What a log record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogOp {
    /// The item at the key was written (created or replaced).
    Put,
    /// The item at the key was deleted by a client.
    Delete,
    /// The item at the key was deleted by the TTL sweeper.
    ExpireDelete,
}

/// One decoded log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The partition-local sequence number.
    pub seq: u64,
    /// What happened.
    pub op: LogOp,
    /// Microseconds since the Unix epoch when the write was applied.
    pub timestamp_micros: u64,
    /// `point u64 BE | item key suffix`.
    pub key: Vec<u8>,
    /// DynamoDB size of the item before the write, if it existed.
    pub old_size: Option<u32>,
    /// DynamoDB size of the item after the write (0 for deletes).
    pub new_size: u32,
    /// Encoded item after the write (empty for deletes).
    pub new_image: Vec<u8>,
    /// Encoded item before the write, when the partition logs old images.
    pub old_image: Vec<u8>,
}

const VERSION: u8 = 1;

/// A record being written, borrowing its parts from the write (the sequence number is
/// its key, not part of the value).
pub(crate) struct NewRecord<'a> {
    pub op: LogOp,
    pub timestamp_micros: u64,
    pub key: &'a [u8],
    pub old_size: Option<u32>,
    pub new_size: u32,
    pub new_image: &'a [u8],
    pub old_image: &'a [u8],
}

impl NewRecord<'_> {
    /// Appends the encoded record to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(32 + self.key.len() + self.new_image.len() + self.old_image.len());
        out.push(VERSION);
        out.push(match self.op {
            LogOp::Put => 1,
            LogOp::Delete => 2,
            LogOp::ExpireDelete => 3,
        });
        out.extend_from_slice(&self.timestamp_micros.to_le_bytes());
        put_bytes(out, self.key);
        out.push(u8::from(self.old_size.is_some()));
        out.extend_from_slice(&self.old_size.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&self.new_size.to_le_bytes());
        put_bytes(out, self.new_image);
        put_bytes(out, self.old_image);
    }
}

impl LogRecord {
    /// Decodes a record stored at sequence `seq`.
    pub fn decode(seq: u64, bytes: &[u8]) -> Result<LogRecord> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u8()?;
        if version != VERSION {
            return Err(Error::Corrupt(format!("log record version {version}")));
        }
        let op = match r.u8()? {
            1 => LogOp::Put,
            2 => LogOp::Delete,
            3 => LogOp::ExpireDelete,
            other => return Err(Error::Corrupt(format!("log record op {other}"))),
        };
        let timestamp_micros = u64::from_le_bytes(r.array()?);
        let key = r.bytes()?.to_vec();
        let old_present = r.u8()? != 0;
        let old_size = u32::from_le_bytes(r.array()?);
        let new_size = u32::from_le_bytes(r.array()?);
        let new_image = r.bytes()?.to_vec();
        let old_image = r.bytes()?.to_vec();
        Ok(LogRecord {
            seq,
            op,
            timestamp_micros,
            key,
            old_size: old_present.then_some(old_size),
            new_size,
            new_image,
            old_image,
        })
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Items are capped at 400 KB and keys at 64 KB, so u32 never truncates.
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| Error::Corrupt("log record length overflow".into()))?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| Error::Corrupt("truncated log record".into()))?;
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = u32::from_le_bytes(self.array()?) as usize;
        self.take(n)
    }
}

/// The `log` keyspace key of a record.
pub(crate) fn log_key(partition_id: u64, seq: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&partition_id.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_and_truncation_is_corrupt() {
        let rec = LogRecord {
            seq: 7,
            op: LogOp::Put,
            timestamp_micros: 1_700_000_000_000_000,
            key: vec![1, 2, 3],
            old_size: Some(12),
            new_size: 40,
            new_image: vec![9; 40],
            old_image: vec![],
        };
        let mut buf = Vec::new();
        NewRecord {
            op: rec.op,
            timestamp_micros: rec.timestamp_micros,
            key: &rec.key,
            old_size: rec.old_size,
            new_size: rec.new_size,
            new_image: &rec.new_image,
            old_image: &rec.old_image,
        }
        .encode(&mut buf);
        assert_eq!(LogRecord::decode(7, &buf).unwrap(), rec);
        for cut in 0..buf.len() {
            assert!(matches!(
                LogRecord::decode(7, &buf[..cut]),
                Err(Error::Corrupt(_))
            ));
        }
    }
}
