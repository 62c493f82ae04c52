//! DynamoDB JSON wire form (`{"S": "x"}`, `{"N": "1"}`, ...) to and from
//! [`AttributeValue`] and [`Item`].
//!
//! It is not: a request parser. The server parses whole requests with `serde_json` and
//! calls these functions on the attribute-value parts.
//!
//! Decoding validates everything DynamoDB validates about a single value, with its exact
//! messages: exactly one type member, non-empty sets without duplicates, numbers in range,
//! `NULL` true, base64 binaries, nesting depth. Key rules live in [`crate::key`].
//!
//! Error precedence mirrors DynamoDB, which deserializes the whole request before
//! validating it: a wrong JSON shape anywhere ([`Error::Serialization`]) wins over a
//! validation failure ([`Error::Validation`]). Decoding builds and validates in one pass
//! and, only when validation fails, scans the input for a shape error to report instead.
//!
//! Members whose value is JSON `null` count as absent (as the AWS JSON protocol does), and
//! unknown members are ignored, so `{"X": "1"}` is an empty attribute value.
//!
//! Nesting: a map or list at the top level of an item is at level 1; a container inside
//! it at level 2, and so on. Containers deeper than [`MAX_NESTING_DEPTH`] are rejected.
//! Decoding recurses at most `MAX_NESTING_DEPTH + 1` levels and the fallback shape scan is
//! iterative, so no input can overflow the stack.

use std::collections::{BTreeMap, HashSet};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::{Map, Value};

use crate::{AttributeValue, Error, Item, Number, Result, MAX_NESTING_DEPTH};

const MSG_EMPTY: &str =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
const MSG_MULTIPLE: &str = "Supplied AttributeValue has more than one datatypes set, \
     must contain exactly one of the supported datatypes";
const MSG_NULL_FALSE: &str =
    "One or more parameter values were invalid: Null attribute value types must have the value of true";
const MSG_NESTING: &str = "Nesting Levels have exceeded supported limits";

/// Standard alphabet with padding required (DynamoDB rejects lengths that are not a
/// multiple of 4) but tolerant of nonzero trailing bits, like Java's decoder.
const BASE64_DECODE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);
const BASE64_ENCODE: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The ten type members of an attribute value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Member {
    S,
    N,
    B,
    Bool,
    Null,
    M,
    L,
    Ss,
    Ns,
    Bs,
}

pub(crate) fn member(key: &str) -> Option<Member> {
    Some(match key {
        "S" => Member::S,
        "N" => Member::N,
        "B" => Member::B,
        "BOOL" => Member::Bool,
        "NULL" => Member::Null,
        "M" => Member::M,
        "L" => Member::L,
        "SS" => Member::Ss,
        "NS" => Member::Ns,
        "BS" => Member::Bs,
        _ => return None,
    })
}

fn validation(m: impl Into<String>) -> Error {
    Error::Validation(m.into())
}

fn serialization(m: impl Into<String>) -> Error {
    Error::Serialization(m.into())
}

/// Error for a JSON value where a string was expected (Jackson-style, as DynamoDB says it).
fn not_a_string(v: &Value) -> Error {
    match v {
        Value::Number(_) => serialization("NUMBER_VALUE cannot be converted to String"),
        Value::Bool(true) => serialization("TRUE_VALUE cannot be converted to String"),
        Value::Bool(false) => serialization("FALSE_VALUE cannot be converted to String"),
        Value::Object(_) => serialization("Start of structure or map found where not expected"),
        Value::Array(_) => serialization("Start of list found where not expected"),
        Value::Null | Value::String(_) => serialization("Unexpected value type in payload"),
    }
}

fn not_a_bool(v: &Value) -> Error {
    match v {
        Value::String(_) => serialization("STRING_VALUE cannot be converted to Boolean"),
        Value::Number(_) => serialization("NUMBER_VALUE cannot be converted to Boolean"),
        Value::Object(_) => serialization("Start of structure or map found where not expected"),
        Value::Array(_) => serialization("Start of list found where not expected"),
        Value::Null | Value::Bool(_) => serialization("Unexpected value type in payload"),
    }
}

fn not_an_object(v: &Value) -> Error {
    match v {
        Value::Array(_) => serialization("Start of list found where not expected"),
        _ => serialization("Unexpected value type in payload"),
    }
}

fn not_an_array(v: &Value) -> Error {
    match v {
        Value::Object(_) => serialization("Start of structure or map found where not expected"),
        _ => serialization("Unexpected value type in payload"),
    }
}

fn null_set_member() -> Error {
    serialization("Unexpected null value in set")
}

fn as_str(v: &Value) -> Result<&str> {
    v.as_str().ok_or_else(|| not_a_string(v))
}

fn as_object(v: &Value) -> Result<&Map<String, Value>> {
    v.as_object().ok_or_else(|| not_an_object(v))
}

fn as_array(v: &Value) -> Result<&Vec<Value>> {
    v.as_array().ok_or_else(|| not_an_array(v))
}

/// Decodes one attribute value (`{"S": "x"}` etc.), validating it.
pub fn attribute_value_from_json(v: &Value) -> Result<AttributeValue> {
    match build_value(v, 0) {
        Err(Error::Validation(m)) => Err(shape_error(std::iter::once(v)).unwrap_or(validation(m))),
        r => r,
    }
}

/// Decodes an item: a JSON object of attribute name to attribute value.
pub fn item_from_json(v: &Value) -> Result<Item> {
    let obj = as_object(v)?;
    let built: Result<Item> = obj
        .iter()
        .map(|(k, av)| Ok((k.clone(), build_value(av, 0)?)))
        .collect();
    match built {
        Err(Error::Validation(m)) => Err(shape_error(obj.values()).unwrap_or(validation(m))),
        r => r,
    }
}

/// Builds and validates the attribute value `v`, which sits inside `depth` containers.
fn build_value(v: &Value, depth: usize) -> Result<AttributeValue> {
    let obj = match v {
        // A null attribute value is an attribute value with no members.
        Value::Null => return Err(validation(MSG_EMPTY)),
        _ => as_object(v)?,
    };
    let mut found: Option<(Member, &Value)> = None;
    let mut count = 0usize;
    for (k, mv) in obj {
        if mv.is_null() {
            continue;
        }
        if let Some(m) = member(k) {
            count += 1;
            found = Some((m, mv));
        }
    }
    let (m, mv) = match (count, found) {
        (1, Some(f)) => f,
        (0, _) | (_, None) => return Err(validation(MSG_EMPTY)),
        _ => return Err(validation(MSG_MULTIPLE)),
    };
    Ok(match m {
        Member::S => AttributeValue::S(as_str(mv)?.to_string()),
        Member::N => AttributeValue::N(Number::parse(as_str(mv)?)?),
        Member::B => AttributeValue::B(decode_base64(as_str(mv)?)?),
        Member::Bool => AttributeValue::Bool(mv.as_bool().ok_or_else(|| not_a_bool(mv))?),
        Member::Null => {
            if !mv.as_bool().ok_or_else(|| not_a_bool(mv))? {
                return Err(validation(MSG_NULL_FALSE));
            }
            AttributeValue::Null
        }
        Member::M => {
            let o = as_object(mv)?;
            if depth >= MAX_NESTING_DEPTH {
                return Err(validation(MSG_NESTING));
            }
            let mut map = BTreeMap::new();
            for (k, child) in o {
                map.insert(k.clone(), build_value(child, depth + 1)?);
            }
            AttributeValue::M(map)
        }
        Member::L => {
            let a = as_array(mv)?;
            if depth >= MAX_NESTING_DEPTH {
                return Err(validation(MSG_NESTING));
            }
            let list: Result<Vec<_>> = a.iter().map(|c| build_value(c, depth + 1)).collect();
            AttributeValue::L(list?)
        }
        Member::Ss => {
            let given = set_members(mv)?;
            if given.is_empty() {
                return Err(empty_set("string"));
            }
            let mut seen = HashSet::with_capacity(given.len());
            if !given.iter().all(|s| seen.insert(*s)) {
                return Err(duplicates(&given));
            }
            AttributeValue::Ss(given.iter().map(|s| s.to_string()).collect())
        }
        Member::Ns => {
            let given = set_members(mv)?;
            if given.is_empty() {
                return Err(empty_set("number"));
            }
            let nums: Vec<Number> = given
                .iter()
                .map(|s| Number::parse(s))
                .collect::<Result<_>>()?;
            let mut seen = HashSet::with_capacity(nums.len());
            if !nums.iter().all(|n| seen.insert(n)) {
                return Err(duplicates(&given));
            }
            AttributeValue::Ns(nums)
        }
        Member::Bs => {
            let given = set_members(mv)?;
            if given.is_empty() {
                return Err(empty_set("binary"));
            }
            let bins: Vec<Vec<u8>> = given
                .iter()
                .map(|s| decode_base64(s))
                .collect::<Result<_>>()?;
            let mut seen = HashSet::with_capacity(bins.len());
            if !bins.iter().all(|b| seen.insert(b.as_slice())) {
                return Err(duplicates(&given));
            }
            AttributeValue::Bs(bins)
        }
    })
}

fn set_members(v: &Value) -> Result<Vec<&str>> {
    as_array(v)?
        .iter()
        .map(|m| {
            if m.is_null() {
                Err(null_set_member())
            } else {
                as_str(m)
            }
        })
        .collect()
}

fn empty_set(kind: &str) -> Error {
    // NOTE: the double space is DynamoDB's.
    validation(format!(
        "One or more parameter values were invalid: An {kind} set  may not be empty"
    ))
}

fn duplicates(given: &[&str]) -> Error {
    validation(format!(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        given.join(", ")
    ))
}

pub(crate) fn decode_base64(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return Err(serialization(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            s.len()
        )));
    }
    BASE64_DECODE
        .decode(s)
        .map_err(|e| serialization(format!("Invalid Base64 encoded value: {e}")))
}

/// Finds the first wrong JSON shape in the given attribute values, anywhere in their
/// nesting, without recursion (the input may be arbitrarily deep).
fn shape_error<'a>(roots: impl Iterator<Item = &'a Value>) -> Option<Error> {
    let mut stack: Vec<&Value> = roots.collect();
    stack.reverse();
    while let Some(v) = stack.pop() {
        let obj = match v {
            Value::Null => continue,
            Value::Object(o) => o,
            other => return Some(not_an_object(other)),
        };
        for (k, mv) in obj {
            if mv.is_null() {
                continue;
            }
            let Some(m) = member(k) else { continue };
            let err = match m {
                Member::S => as_str(mv).err(),
                Member::N => as_str(mv).err(),
                Member::B => as_str(mv).and_then(decode_base64).err(),
                Member::Bool | Member::Null => mv.as_bool().is_none().then(|| not_a_bool(mv)),
                Member::M => match as_object(mv) {
                    Ok(o) => {
                        stack.extend(o.values());
                        None
                    }
                    Err(e) => Some(e),
                },
                Member::L => match as_array(mv) {
                    Ok(a) => {
                        stack.extend(a.iter());
                        None
                    }
                    Err(e) => Some(e),
                },
                Member::Ss | Member::Ns => set_members(mv).err(),
                Member::Bs => set_members(mv)
                    .and_then(|ms| ms.into_iter().try_for_each(|s| decode_base64(s).map(drop)))
                    .err(),
            };
            if err.is_some() {
                return err;
            }
        }
    }
    None
}

/// The wire form of one attribute value.
pub fn attribute_value_to_json(v: &AttributeValue) -> Value {
    let (k, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.to_string())),
        AttributeValue::B(b) => ("B", Value::String(BASE64_ENCODE.encode(b))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null => ("NULL", Value::Bool(true)),
        AttributeValue::M(m) => ("M", item_to_json(m)),
        AttributeValue::L(l) => (
            "L",
            Value::Array(l.iter().map(attribute_value_to_json).collect()),
        ),
        AttributeValue::Ss(s) => (
            "SS",
            Value::Array(s.iter().map(|x| Value::String(x.clone())).collect()),
        ),
        AttributeValue::Ns(s) => (
            "NS",
            Value::Array(s.iter().map(|x| Value::String(x.to_string())).collect()),
        ),
        AttributeValue::Bs(s) => (
            "BS",
            Value::Array(
                s.iter()
                    .map(|x| Value::String(BASE64_ENCODE.encode(x)))
                    .collect(),
            ),
        ),
    };
    let mut obj = Map::new();
    obj.insert(k.to_string(), inner);
    Value::Object(obj)
}

/// The wire form of an item (or of a map value's contents).
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attribute_value_to_json(v)))
            .collect(),
    )
}

/// Appends the compact JSON of `item` to `out`: byte for byte what
/// `serde_json::to_vec(&item_to_json(item))` produces, without building a `Value`.
pub fn write_item_json(item: &Item, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    for (k, v) in item {
        if !first {
            out.push(b',');
        }
        first = false;
        write_json_str(k, out);
        out.push(b':');
        write_value_json(v, out);
    }
    out.push(b'}');
}

/// Appends the compact JSON of one attribute value (`{"S":"x"}`).
pub fn write_value_json(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => {
            out.extend_from_slice(b"{\"S\":");
            write_json_str(s, out);
        }
        AttributeValue::N(n) => {
            out.extend_from_slice(b"{\"N\":\"");
            n.push_text(out);
            out.push(b'"');
        }
        AttributeValue::B(b) => {
            out.extend_from_slice(b"{\"B\":");
            write_base64(b, out);
        }
        AttributeValue::Bool(true) => out.extend_from_slice(b"{\"BOOL\":true"),
        AttributeValue::Bool(false) => out.extend_from_slice(b"{\"BOOL\":false"),
        AttributeValue::Null => out.extend_from_slice(b"{\"NULL\":true"),
        AttributeValue::M(m) => {
            out.extend_from_slice(b"{\"M\":");
            write_item_json(m, out);
        }
        AttributeValue::L(l) => {
            out.extend_from_slice(b"{\"L\":");
            write_array(l, out, write_value_json);
        }
        AttributeValue::Ss(s) => {
            out.extend_from_slice(b"{\"SS\":");
            write_array(s, out, |s, out| write_json_str(s, out));
        }
        AttributeValue::Ns(s) => {
            out.extend_from_slice(b"{\"NS\":");
            write_array(s, out, |n, out| {
                out.push(b'"');
                n.push_text(out);
                out.push(b'"');
            });
        }
        AttributeValue::Bs(s) => {
            out.extend_from_slice(b"{\"BS\":");
            write_array(s, out, |b, out| write_base64(b, out));
        }
    }
    out.push(b'}');
}

fn write_array<T>(xs: &[T], out: &mut Vec<u8>, mut f: impl FnMut(&T, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f(x, out);
    }
    out.push(b']');
}

pub(crate) fn write_base64(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let start = out.len();
    let n = base64::encoded_len(b.len(), true).unwrap_or(0);
    out.resize(start + n, 0);
    let written = match out.get_mut(start..) {
        Some(dst) => BASE64_ENCODE.encode_slice(b, dst).unwrap_or(0),
        None => 0,
    };
    out.truncate(start + written);
    out.push(b'"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal, escaping as serde_json does: `"` and `\`, the
/// short forms `\b \f \n \r \t`, other control characters as `\u00xx`; everything else
/// (including non-ASCII and `/`) verbatim.
pub(crate) fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Already `str`: there is no UTF-8 left to check, so this cannot fail.
    let _ = write_escaped(s.as_bytes(), true, out);
}

/// [`write_json_str`] for stored bytes that must be UTF-8 (the strings of an item image),
/// checked as they are escaped: returns false, having written part of them, if they are
/// not. The escape scan already looks at every byte, so ASCII text, the usual case,
/// costs no second pass; text with a byte above 0x7f is checked from that byte on. (A
/// separate `str::from_utf8` of every string was 5% of a GetItem's instructions.)
pub(crate) fn write_json_text(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    write_escaped(bytes, false, out)
}

fn write_escaped(bytes: &[u8], mut utf8_checked: bool, out: &mut Vec<u8>) -> bool {
    out.push(b'"');
    let mut run_start = 0;
    let mut from = 0;
    while let Some(i) = next_special(bytes, from, !utf8_checked) {
        let c = bytes.get(i).copied().unwrap_or_default();
        if c >= 0x80 {
            // Everything before `i` is ASCII, so `i` starts a char (or is not UTF-8).
            if std::str::from_utf8(bytes.get(i..).unwrap_or_default()).is_err() {
                return false;
            }
            utf8_checked = true;
            from = i;
            continue;
        }
        out.extend_from_slice(bytes.get(run_start..i).unwrap_or_default());
        run_start = i + 1;
        from = i + 1;
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => {
                let hi = HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(c & 0xf)).copied().unwrap_or(b'0');
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
                continue;
            }
        };
        out.extend_from_slice(esc);
    }
    out.extend_from_slice(bytes.get(run_start..).unwrap_or_default());
    out.push(b'"');
    true
}

/// Position of the first byte at or after `from` that JSON requires escaped (a control
/// character, `"` or `\`), or with `non_ascii` also of the first byte above 0x7f. Item
/// strings are mostly long runs with nothing to escape, and every GetItem response writes
/// each of them, so whole 8-byte words are tested at once: `(w - splat(n)) & !w &
/// splat(0x80)` is nonzero exactly when some byte of `w` is below n (n <= 128), and a byte
/// equal to `b` is a zero byte of `w ^ splat(b)`.
///
/// Long runs go 32 bytes at a time first: a test of each byte of a fixed-size chunk,
/// or-ed together without a branch, which the compiler turns into vector compares (two
/// 16-byte vectors with SSE2), about three times fewer instructions per byte than the
/// words.
fn next_special(bytes: &[u8], from: usize, non_ascii: bool) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let high = if non_ascii { HIGH } else { 0 };
    let high_byte = high as u8;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 32) {
        let hit = chunk.iter().fold(0u8, |hit, &b| {
            hit | u8::from((b < 0x20) | (b == b'"') | (b == b'\\') | (b & high_byte != 0))
        });
        if hit != 0 {
            break;
        }
        i += 32;
    }
    while let Some(word) = bytes.get(i..i + 8) {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(word);
        let w = u64::from_ne_bytes(buf);
        // The three tests share their `& !w & HIGH` (xor with bytes below 0x80 keeps each
        // byte's high bit), so they are one mask and one branch.
        let below = w.wrapping_sub(ONES * 0x20)
            | (w ^ (ONES * 0x22)).wrapping_sub(ONES)
            | (w ^ (ONES * 0x5c)).wrapping_sub(ONES);
        if (below & !w & HIGH) | (w & high) != 0 {
            break;
        }
        i += 8;
    }
    bytes
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\' || (non_ascii && c >= 0x80))
        .map(|p| i + p)
}

#[cfg(test)]
#[path = "json_test.rs"]
mod tests;
