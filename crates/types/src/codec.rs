//! Compact binary encoding of items and attribute values, kept on disk and decoded on
//! every read.
//!
//! It is not: the key encoding (that is [`crate::key`], which must preserve order; this
//! one need not).
//!
//! ## On-disk format, version 1 (never change; add a new version instead)
//!
//! ```text
//! item       := 0x01 varint(attribute count) (name value)*     names strictly increasing
//! standalone := 0x01 value                                     (encode_value/decode_value)
//! name       := varint(byte length) UTF-8 bytes
//! value      := tag payload
//!   0x01 S     varint(len) UTF-8 bytes
//!   0x02 N     number
//!   0x03 B     varint(len) bytes
//!   0x04 BOOL false          0x05 BOOL true          0x06 NULL
//!   0x07 M     varint(count) (name value)*                     names strictly increasing
//!   0x08 L     varint(count) value*
//!   0x09 SS    varint(count) (varint(len) UTF-8 bytes)*        count >= 1
//!   0x0A NS    varint(count) number*                           count >= 1
//!   0x0B BS    varint(count) (varint(len) bytes)*              count >= 1
//! number     := varint((zigzag(exp) << 1) | negative) varint(coefficient)
//!               value = (-1)^negative * coefficient * 10^exp, canonical: the coefficient
//!               has no trailing zeros (zero is coefficient 0, exp 0, not negative)
//! varint     := unsigned LEB128, at most 10 bytes for u64 (19 for a u128 coefficient)
//! ```
//!
//! Decoding is strict: unknown versions and tags, truncation, trailing bytes, invalid
//! UTF-8, non-canonical or out-of-range numbers, empty sets and unsorted or duplicate map
//! names are all [`Error::Corrupt`]. Set members are not re-checked for duplicates (that
//! would cost a hash per member on every read; writers only encode validated values).
//! Decoding recursion is bounded by [`DECODE_DEPTH_LIMIT`], so no input can overflow the
//! stack, and lengths are checked against the remaining input before allocating.

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use crate::size::{number_size, CONTAINER_OVERHEAD, LIST_ELEMENT_OVERHEAD};
use crate::{json, AttributeValue, Error, Item, Number, Result};

/// Format version written as the first byte.
pub const FORMAT_VERSION: u8 = 1;

/// Deepest nesting of maps and lists that decoding accepts. NOTE: deliberately above
/// [`crate::MAX_NESTING_DEPTH`]: it bounds recursion for stack safety, and must not make
/// a value that slipped past validation unreadable.
pub const DECODE_DEPTH_LIMIT: usize = 128;

const TAG_S: u8 = 0x01;
const TAG_N: u8 = 0x02;
const TAG_B: u8 = 0x03;
const TAG_FALSE: u8 = 0x04;
const TAG_TRUE: u8 = 0x05;
const TAG_NULL: u8 = 0x06;
const TAG_M: u8 = 0x07;
const TAG_L: u8 = 0x08;
const TAG_SS: u8 = 0x09;
const TAG_NS: u8 = 0x0A;
const TAG_BS: u8 = 0x0B;

/// Appends the encoding of `item` (version byte first).
pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    out.push(FORMAT_VERSION);
    write_map(item, out);
}

/// Decodes [`encode_item`] output, which must span all of `bytes`.
pub fn decode_item(bytes: &[u8]) -> Result<Item> {
    let mut r = Reader::new(bytes);
    r.version()?;
    let item = r.map(0)?;
    r.finish()?;
    Ok(item)
}

/// Appends the compact JSON of the item that [`encode_item`] wrote in `bytes` (byte for
/// byte what [`json::write_item_json`] appends for [`decode_item`]'s result) and returns
/// its DynamoDB size ([`crate::size::item_size`]), without building the item: GetItem
/// answers this way. Exactly as strict as [`decode_item`]; on an error, `out` holds part
/// of a document and the caller discards it.
pub fn write_item_image_json(bytes: &[u8], out: &mut Vec<u8>) -> Result<usize> {
    let mut r = Reader::new(bytes);
    r.version()?;
    let size = r.map_json(0, out)?;
    r.finish()?;
    Ok(size)
}

/// Appends the standalone encoding of one value (version byte first).
pub fn encode_value(v: &AttributeValue, out: &mut Vec<u8>) {
    out.push(FORMAT_VERSION);
    write_value(v, out);
}

/// Decodes [`encode_value`] output, which must span all of `bytes`.
pub fn decode_value(bytes: &[u8]) -> Result<AttributeValue> {
    let mut r = Reader::new(bytes);
    r.version()?;
    let v = r.value(0)?;
    r.finish()?;
    Ok(v)
}

/// A stored string as a JSON string: [`json::write_json_text`], its UTF-8 checked as it
/// is escaped.
fn write_text_json(text: &[u8], out: &mut Vec<u8>) -> Result<()> {
    if json::write_json_text(text, out) {
        Ok(())
    } else {
        Err(corrupt("string is not UTF-8"))
    }
}

fn write_varint(mut v: u128, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn write_len(n: usize, out: &mut Vec<u8>) {
    write_varint(n as u128, out);
}

fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_len(b.len(), out);
    out.extend_from_slice(b);
}

fn write_map(m: &BTreeMap<String, AttributeValue>, out: &mut Vec<u8>) {
    write_len(m.len(), out);
    for (k, v) in m {
        write_bytes(k.as_bytes(), out);
        write_value(v, out);
    }
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    let (neg, coef, exp) = n.parts();
    let zigzag = ((exp << 1) ^ (exp >> 31)) as u32;
    write_varint((u128::from(zigzag) << 1) | u128::from(neg), out);
    write_varint(coef, out);
}

fn write_value(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            write_bytes(s.as_bytes(), out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            write_number(n, out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            write_bytes(b, out);
        }
        AttributeValue::Bool(false) => out.push(TAG_FALSE),
        AttributeValue::Bool(true) => out.push(TAG_TRUE),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::M(m) => {
            out.push(TAG_M);
            write_map(m, out);
        }
        AttributeValue::L(l) => {
            out.push(TAG_L);
            write_len(l.len(), out);
            for v in l {
                write_value(v, out);
            }
        }
        AttributeValue::Ss(s) => {
            out.push(TAG_SS);
            write_len(s.len(), out);
            for x in s {
                write_bytes(x.as_bytes(), out);
            }
        }
        AttributeValue::Ns(s) => {
            out.push(TAG_NS);
            write_len(s.len(), out);
            for x in s {
                write_number(x, out);
            }
        }
        AttributeValue::Bs(s) => {
            out.push(TAG_BS);
            write_len(s.len(), out);
            for x in s {
                write_bytes(x, out);
            }
        }
    }
}

fn corrupt(m: &str) -> Error {
    Error::Corrupt(m.to_string())
}

/// A cursor over untrusted bytes; every read is bounds-checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn version(&mut self) -> Result<()> {
        match self.byte()? {
            FORMAT_VERSION => Ok(()),
            v => Err(Error::Corrupt(format!("unknown item format version {v}"))),
        }
    }

    fn finish(&self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(corrupt("trailing bytes after item"))
        }
    }

    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| corrupt("truncated"))?;
        self.rest = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.rest.len() {
            return Err(corrupt("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// An unsigned LEB128 of at most `max_bits` bits.
    fn varint(&mut self, max_bits: u32) -> Result<u128> {
        // One byte, the usual case (small numbers' headers and coefficients).
        if let Some((&b, rest)) = self.rest.split_first() {
            if b < 0x80 {
                self.rest = rest;
                return Ok(u128::from(b));
            }
        }
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let bits = u128::from(b & 0x7f);
            if shift >= max_bits || (shift > 0 && bits >> (max_bits - shift).min(127) != 0) {
                return Err(corrupt("varint too long"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    /// A length or count. Every counted element takes at least one byte, so a count
    /// above the remaining input is corrupt (and never drives a huge allocation).
    fn len(&mut self) -> Result<usize> {
        let n = match self.rest.split_first() {
            // One byte, the usual case, without the general varint's 128-bit result.
            Some((&b, rest)) if b < 0x80 => {
                self.rest = rest;
                usize::from(b)
            }
            _ => usize::try_from(self.varint(64)?).map_err(|_| corrupt("length too large"))?,
        };
        if n > self.rest.len() {
            return Err(corrupt("length exceeds input"));
        }
        Ok(n)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| corrupt("string is not UTF-8"))
    }

    fn string(&mut self) -> Result<String> {
        self.str().map(str::to_owned)
    }

    fn number(&mut self) -> Result<Number> {
        let head = u32::try_from(self.varint(32)?).map_err(|_| corrupt("number header"))?;
        let neg = head & 1 == 1;
        let zigzag = head >> 1;
        let exp = i64::from((zigzag >> 1) as i32 ^ -((zigzag & 1) as i32));
        let coef = self.varint(128)?;
        Number::from_canonical_parts(neg, coef, exp)
    }

    fn map(&mut self, depth: usize) -> Result<BTreeMap<String, AttributeValue>> {
        let n = self.len()?;
        let mut entries: Vec<(String, AttributeValue)> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.string()?;
            if entries.last().is_some_and(|(prev, _)| *prev >= k) {
                return Err(corrupt("map names not strictly increasing"));
            }
            let v = self.value(depth)?;
            entries.push((k, v));
        }
        // Already sorted and unique: BTreeMap builds this in linear time.
        Ok(entries.into_iter().collect())
    }

    /// A value inside `depth` maps/lists.
    fn value(&mut self, depth: usize) -> Result<AttributeValue> {
        Ok(match self.byte()? {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.bytes()?.to_vec()),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_NULL => AttributeValue::Null,
            TAG_M => {
                if depth >= DECODE_DEPTH_LIMIT {
                    return Err(corrupt("nesting too deep"));
                }
                AttributeValue::M(self.map(depth + 1)?)
            }
            TAG_L => {
                if depth >= DECODE_DEPTH_LIMIT {
                    return Err(corrupt("nesting too deep"));
                }
                let n = self.len()?;
                let mut l = Vec::with_capacity(n);
                for _ in 0..n {
                    l.push(self.value(depth + 1)?);
                }
                AttributeValue::L(l)
            }
            TAG_SS => {
                let n = self.set_len()?;
                let mut s = Vec::with_capacity(n);
                for _ in 0..n {
                    s.push(self.string()?);
                }
                AttributeValue::Ss(s)
            }
            TAG_NS => {
                let n = self.set_len()?;
                let mut s = Vec::with_capacity(n);
                for _ in 0..n {
                    s.push(self.number()?);
                }
                AttributeValue::Ns(s)
            }
            TAG_BS => {
                let n = self.set_len()?;
                let mut s = Vec::with_capacity(n);
                for _ in 0..n {
                    s.push(self.bytes()?.to_vec());
                }
                AttributeValue::Bs(s)
            }
            t => return Err(Error::Corrupt(format!("unknown value tag {t:#04x}"))),
        })
    }

    /// A map (`{"name":{"S":"x"},...}`) as JSON; returns the size of its entries (names
    /// and values, no container overhead). Mirrors [`Reader::map`].
    fn map_json(&mut self, depth: usize, out: &mut Vec<u8>) -> Result<usize> {
        let n = self.len()?;
        let mut size = 0;
        let mut prev: Option<&[u8]> = None;
        out.push(b'{');
        for i in 0..n {
            // Bytes, not `str`: the JSON writer checks the UTF-8 as it escapes.
            let k = self.bytes()?;
            if prev.is_some_and(|p| p >= k) {
                return Err(corrupt("map names not strictly increasing"));
            }
            prev = Some(k);
            if i > 0 {
                out.push(b',');
            }
            write_text_json(k, out)?;
            out.push(b':');
            size += k.len() + self.value_json(depth, out)?;
        }
        out.push(b'}');
        Ok(size)
    }

    /// A value inside `depth` maps/lists as JSON; returns its size. Mirrors
    /// [`Reader::value`] and [`json::write_value_json`].
    fn value_json(&mut self, depth: usize, out: &mut Vec<u8>) -> Result<usize> {
        let size = match self.byte()? {
            TAG_S => {
                let s = self.bytes()?;
                out.extend_from_slice(b"{\"S\":");
                write_text_json(s, out)?;
                s.len()
            }
            TAG_N => {
                let n = self.number()?;
                out.extend_from_slice(b"{\"N\":\"");
                n.push_text(out);
                out.push(b'"');
                number_size(&n)
            }
            TAG_B => {
                let b = self.bytes()?;
                out.extend_from_slice(b"{\"B\":");
                json::write_base64(b, out);
                b.len()
            }
            TAG_FALSE => {
                out.extend_from_slice(b"{\"BOOL\":false");
                1
            }
            TAG_TRUE => {
                out.extend_from_slice(b"{\"BOOL\":true");
                1
            }
            TAG_NULL => {
                out.extend_from_slice(b"{\"NULL\":true");
                1
            }
            TAG_M => {
                if depth >= DECODE_DEPTH_LIMIT {
                    return Err(corrupt("nesting too deep"));
                }
                out.extend_from_slice(b"{\"M\":");
                CONTAINER_OVERHEAD + self.map_json(depth + 1, out)?
            }
            TAG_L => {
                if depth >= DECODE_DEPTH_LIMIT {
                    return Err(corrupt("nesting too deep"));
                }
                let n = self.len()?;
                let mut size = CONTAINER_OVERHEAD;
                out.extend_from_slice(b"{\"L\":[");
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    size += self.value_json(depth + 1, out)? + LIST_ELEMENT_OVERHEAD;
                }
                out.push(b']');
                size
            }
            TAG_SS => {
                let n = self.set_len()?;
                let mut size = 0;
                out.extend_from_slice(b"{\"SS\":[");
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    let s = self.bytes()?;
                    write_text_json(s, out)?;
                    size += s.len();
                }
                out.push(b']');
                size
            }
            TAG_NS => {
                let n = self.set_len()?;
                let mut size = 0;
                out.extend_from_slice(b"{\"NS\":[");
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    let x = self.number()?;
                    out.push(b'"');
                    x.push_text(out);
                    out.push(b'"');
                    size += number_size(&x);
                }
                out.push(b']');
                size
            }
            TAG_BS => {
                let n = self.set_len()?;
                let mut size = 0;
                out.extend_from_slice(b"{\"BS\":[");
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    let b = self.bytes()?;
                    json::write_base64(b, out);
                    size += b.len();
                }
                out.push(b']');
                size
            }
            t => return Err(Error::Corrupt(format!("unknown value tag {t:#04x}"))),
        };
        out.push(b'}');
        Ok(size)
    }

    fn set_len(&mut self) -> Result<usize> {
        match self.len()? {
            0 => Err(corrupt("empty set")),
            n => Ok(n),
        }
    }
}

#[cfg(test)]
#[path = "codec_test.rs"]
mod tests;
