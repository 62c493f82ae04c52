//! [`Number`]: DynamoDB's decimal number type, with at most 38 significant digits and a
//! magnitude of 1E-130 to 9.9999999999999999999999999999999999999E+125 (or zero).
//!
//! A `Number` is always normalised: the coefficient has no trailing zeros and zero has
//! a single representation, so the derived `Eq`/`Hash` are numeric equality and hash.
//! `Ord` is numeric order (`-1 < 0 < 0.5 < 1 < 10`).
//!
//! It is not: a general decimal arithmetic library. Only what DynamoDB needs exists:
//! parse, canonical text, exact add/subtract, ordering and the ordered key encoding.
//!
//! ## On disk: the ordered encoding ([`Number::encode_ordered`])
//!
//! Used for sort keys and partition keys (and thereby [`crate::key::point`]). Comparing
//! two encodings bytewise gives the same answer as comparing the numbers. It is on
//! disk: never change it.
//!
//! Let `adj` be the adjusted exponent (the power of ten of the most significant digit,
//! -130..=125, so `adj + 130` fits one byte exactly) and `d1 d2 ... dk` the coefficient's
//! decimal digits (d1 != 0, dk != 0, k <= 38), grouped into pairs `(d1 d2) (d3 d4) ...`
//! with a trailing 0 added when k is odd. Each pair is the byte `10*a + b` (0..=99).
//!
//! ```text
//! zero:      0x02
//! positive:  0x03, adj + 130,         pair bytes...
//! negative:  0x01, 255 - (adj + 130), (99 - pair) bytes..., 0xFF
//! ```
//!
//! Why it orders: the class byte orders negative < zero < positive. For positives a larger
//! `adj` is a larger number, then digits compare left to right; a pair string that is a
//! prefix of another is the smaller number because the longer one has more nonzero digits.
//! Negatives invert every byte so larger magnitudes sort first, and the 0xFF terminator
//! (above every inverted pair byte, 0..=99) makes a prefix sort *after* its extensions,
//! since a shorter digit string is the smaller magnitude, i.e. the larger negative number.
//! The encoding is not self-delimiting for positives: callers put it last or prefix its
//! length. Decoding accepts only canonical bytes (it re-encodes and compares).

#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Most significant digits a number may have.
pub const MAX_DIGITS: u32 = 38;
/// Largest adjusted exponent (power of ten of the leading digit): 9.99..E+125.
pub const MAX_ADJUSTED_EXPONENT: i64 = 125;
/// Smallest adjusted exponent of a nonzero number: 1E-130.
pub const MIN_ADJUSTED_EXPONENT: i64 = -130;

pub(crate) const MSG_NOT_NUMERIC: &str = "The parameter cannot be converted to a numeric value";
pub(crate) const MSG_OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
pub(crate) const MSG_UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
pub(crate) const MSG_PRECISION: &str =
    "Attempting to store more than 38 significant digits in a Number";

const CLASS_NEGATIVE: u8 = 0x01;
const CLASS_ZERO: u8 = 0x02;
const CLASS_POSITIVE: u8 = 0x03;
const NEGATIVE_TERMINATOR: u8 = 0xFF;

/// Powers of ten that fit a u128 (10^0 ..= 10^38).
// Evaluated at compile time: an out-of-bounds index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

fn pow10(n: u32) -> Option<u128> {
    POW10.get(n as usize).copied()
}

/// Number of decimal digits of `c` (1 for zero).
fn digit_count(c: u128) -> u32 {
    c.checked_ilog10().map_or(1, |l| l + 1)
}

/// A DynamoDB number: `(-1)^neg * coef * 10^exp`, normalised.
///
/// Invariants: `coef < 10^38`; `coef % 10 != 0` unless `coef == 0`; zero is
/// `{neg: false, coef: 0, exp: 0}`; the adjusted exponent is within
/// [`MIN_ADJUSTED_EXPONENT`]..=[`MAX_ADJUSTED_EXPONENT`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    coef: u128,
    exp: i32,
}

impl Number {
    /// Parses DynamoDB number syntax: optional sign, digits with an optional `.`
    /// (at least one digit overall), optional `e`/`E` exponent with optional sign.
    ///
    /// Check order: syntax, then significant digits, then range.
    pub fn parse(s: &str) -> Result<Number> {
        let b = s.as_bytes();
        let mut i = 0usize;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut coef: u128 = 0;
        let mut sig: u32 = 0; // significant digits accumulated into `coef`
        let mut pending_zeros: u64 = 0; // zeros after the last nonzero digit
        let mut frac_len: u64 = 0;
        let mut any_digit = false;
        let mut seen_nonzero = false;
        let mut seen_point = false;
        let mut too_many = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    any_digit = true;
                    if seen_point {
                        frac_len += 1;
                    }
                    let d = c - b'0';
                    if d == 0 {
                        if seen_nonzero {
                            pending_zeros += 1;
                        }
                    } else if !too_many {
                        let needed = u64::from(sig) + pending_zeros + 1;
                        if needed > u64::from(MAX_DIGITS) {
                            too_many = true;
                        } else {
                            // `needed` <= 38, so the multiplications stay below 10^38.
                            for _ in 0..pending_zeros {
                                coef *= 10;
                            }
                            coef = coef * 10 + u128::from(d);
                            sig = needed as u32;
                            pending_zeros = 0;
                            seen_nonzero = true;
                        }
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any_digit {
            return Err(not_numeric());
        }
        let mut e: i64 = 0;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while let Some(&c) = b.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                // Saturate: any exponent this large is out of range for a nonzero value.
                e = (e * 10 + i64::from(c - b'0')).min(1_000_000_000_000_000);
                i += 1;
            }
            if i == start {
                return Err(not_numeric());
            }
            if eneg {
                e = -e;
            }
        }
        if i != b.len() {
            return Err(not_numeric());
        }
        if too_many {
            return Err(Error::Validation(MSG_PRECISION.to_string()));
        }
        if !seen_nonzero {
            return Ok(Number::zero());
        }
        let pz = i64::try_from(pending_zeros).unwrap_or(i64::MAX);
        let fl = i64::try_from(frac_len).unwrap_or(i64::MAX);
        let exp = pz.saturating_sub(fl).saturating_add(e);
        Number::from_parts(neg, coef, exp)
    }

    /// Builds a number from parts, normalising trailing zeros and checking digits and
    /// range (in that order), with DynamoDB's messages.
    pub(crate) fn from_parts(neg: bool, mut coef: u128, mut exp: i64) -> Result<Number> {
        if coef == 0 {
            return Ok(Number::zero());
        }
        while coef.is_multiple_of(10) {
            coef /= 10;
            exp = exp.saturating_add(1);
        }
        let digits = digit_count(coef);
        if digits > MAX_DIGITS {
            return Err(Error::Validation(MSG_PRECISION.to_string()));
        }
        let adj = exp.saturating_add(i64::from(digits) - 1);
        if adj > MAX_ADJUSTED_EXPONENT {
            return Err(Error::Validation(MSG_OVERFLOW.to_string()));
        }
        if adj < MIN_ADJUSTED_EXPONENT {
            return Err(Error::Validation(MSG_UNDERFLOW.to_string()));
        }
        // In range: -130 - 37 <= exp <= 125, so it fits i32.
        let exp = i32::try_from(exp).map_err(|_| Error::Validation(MSG_OVERFLOW.to_string()))?;
        Ok(Number { neg, coef, exp })
    }

    /// Like [`Number::from_parts`] but for bytes read from disk: non-canonical or out of
    /// range parts are [`Error::Corrupt`].
    pub(crate) fn from_canonical_parts(neg: bool, coef: u128, exp: i64) -> Result<Number> {
        if coef == 0 {
            if neg || exp != 0 {
                return Err(Error::Corrupt("non-canonical zero".to_string()));
            }
            return Ok(Number::zero());
        }
        if coef.is_multiple_of(10) {
            return Err(Error::Corrupt(
                "number coefficient has trailing zeros".to_string(),
            ));
        }
        Number::from_parts(neg, coef, exp)
            .map_err(|e| Error::Corrupt(format!("number out of range: {e}")))
    }

    /// Zero.
    pub fn zero() -> Number {
        Number {
            neg: false,
            coef: 0,
            exp: 0,
        }
    }

    /// The exact value of `v` (19 digits at most, always in range).
    pub fn from_i64(v: i64) -> Number {
        let mut coef = u128::from(v.unsigned_abs());
        if coef == 0 {
            return Number::zero();
        }
        let mut exp = 0;
        while coef.is_multiple_of(10) {
            coef /= 10;
            exp += 1;
        }
        Number {
            neg: v < 0,
            coef,
            exp,
        }
    }

    /// The value as an `i64` if it is an integer that fits.
    pub fn to_i64(&self) -> Option<i64> {
        if self.exp < 0 {
            return None;
        }
        let mag = self
            .coef
            .checked_mul(pow10(u32::try_from(self.exp).ok()?)?)?;
        if self.neg {
            let m = i128::try_from(mag).ok()?;
            i64::try_from(-m).ok()
        } else {
            i64::try_from(mag).ok()
        }
    }

    /// The nearest `f64` (correctly rounded by the standard library's parser).
    pub fn to_f64(&self) -> f64 {
        let mag = format!("{}e{}", self.coef, self.exp)
            .parse::<f64>()
            .unwrap_or(0.0);
        if self.neg {
            -mag
        } else {
            mag
        }
    }

    /// True when the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.exp >= 0
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.coef == 0
    }

    /// True for values below zero.
    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// Number of significant digits (1 for zero). Used by the item size rules.
    pub fn significant_digits(&self) -> u32 {
        digit_count(self.coef)
    }

    /// `self + other`, exactly.
    ///
    /// NOTE: DynamoDB never rounds. A result that needs more than 38 significant digits
    /// fails with the 38-digits message; a result whose magnitude is out of range fails
    /// with the overflow (or underflow) message. Precision is checked first, as in
    /// [`Number::parse`].
    pub fn checked_add(&self, other: &Number) -> Result<Number> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let e = self.exp.min(other.exp);
        let precision = || Error::Validation(MSG_PRECISION.to_string());
        // Align both coefficients to exponent `e`. Only one of them is shifted. If the
        // shift overflows a u128, the exact sum has a nonzero last digit (from the
        // unshifted operand, which has no trailing zeros) and a magnitude above 10^38, so
        // it needs more than 38 digits.
        let shift = |n: &Number| -> Result<u128> {
            let s = u32::try_from(i64::from(n.exp) - i64::from(e)).map_err(|_| precision())?;
            n.coef
                .checked_mul(pow10(s).ok_or_else(precision)?)
                .ok_or_else(precision)
        };
        let a = shift(self)?;
        let b = shift(other)?;
        let (neg, r) = if self.neg == other.neg {
            (self.neg, a.checked_add(b).ok_or_else(precision)?)
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.neg, a - b),
                Ordering::Less => (other.neg, b - a),
            }
        };
        Number::from_parts(neg, r, i64::from(e))
    }

    /// `self - other`, exactly; errors as [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number> {
        self.checked_add(&other.negate())
    }

    /// `-self` (zero stays zero).
    pub fn negate(&self) -> Number {
        if self.is_zero() {
            return self.clone();
        }
        Number {
            neg: !self.neg,
            coef: self.coef,
            exp: self.exp,
        }
    }

    /// Adjusted exponent: the power of ten of the most significant digit.
    fn adjusted(&self) -> i64 {
        i64::from(self.exp) + i64::from(digit_count(self.coef)) - 1
    }

    /// The coefficient, sign and exponent: `(-1)^neg * coef * 10^exp`.
    pub fn parts(&self) -> (bool, u128, i32) {
        (self.neg, self.coef, self.exp)
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match self.adjusted().cmp(&other.adjusted()) {
            Ordering::Equal => {}
            o => return o,
        }
        // Same leading position: align the digit strings (both <= 38 digits, so the
        // scaled value stays below 10^38).
        let da = digit_count(self.coef);
        let db = digit_count(other.coef);
        let (a, b) = if da < db {
            (
                self.coef.saturating_mul(pow10(db - da).unwrap_or(1)),
                other.coef,
            )
        } else {
            (
                self.coef,
                other.coef.saturating_mul(pow10(da - db).unwrap_or(1)),
            )
        };
        a.cmp(&b)
    }

    fn class(&self) -> i8 {
        if self.coef == 0 {
            0
        } else if self.neg {
            -1
        } else {
            1
        }
    }

    /// Appends the order-preserving encoding (see the module docs). ON DISK.
    pub fn encode_ordered(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(CLASS_ZERO);
            return;
        }
        // In range by invariant: 0..=255.
        let e = u8::try_from(self.adjusted() - MIN_ADJUSTED_EXPONENT).unwrap_or(u8::MAX);
        let mut digits = Vec::with_capacity(40);
        push_digits(self.coef, &mut digits);
        out.push(if self.neg {
            CLASS_NEGATIVE
        } else {
            CLASS_POSITIVE
        });
        out.push(if self.neg { 255 - e } else { e });
        for p in digits.chunks(2) {
            let a = p.first().map_or(0, |d| d - b'0');
            let b = p.get(1).map_or(0, |d| d - b'0');
            let pair = a * 10 + b;
            out.push(if self.neg { 99 - pair } else { pair });
        }
        if self.neg {
            out.push(NEGATIVE_TERMINATOR);
        }
    }

    /// Decodes [`Number::encode_ordered`] output; exactly `bytes`, canonical only.
    pub fn decode_ordered(bytes: &[u8]) -> Result<Number> {
        let corrupt = |m: &str| Error::Corrupt(format!("ordered number: {m}"));
        let (&class, rest) = bytes.split_first().ok_or_else(|| corrupt("empty"))?;
        let (neg, e, pairs) = match class {
            CLASS_ZERO if rest.is_empty() => return Ok(Number::zero()),
            CLASS_ZERO => return Err(corrupt("bytes after zero")),
            CLASS_POSITIVE => {
                let (&e, pairs) = rest.split_first().ok_or_else(|| corrupt("truncated"))?;
                (false, e, pairs)
            }
            CLASS_NEGATIVE => {
                let (&e, tail) = rest.split_first().ok_or_else(|| corrupt("truncated"))?;
                let (&term, pairs) = tail.split_last().ok_or_else(|| corrupt("truncated"))?;
                if term != NEGATIVE_TERMINATOR {
                    return Err(corrupt("missing terminator"));
                }
                (true, 255 - e, pairs)
            }
            _ => return Err(corrupt("unknown class byte")),
        };
        if pairs.is_empty() || pairs.len() > 19 {
            return Err(corrupt("bad digit count"));
        }
        let mut coef: u128 = 0;
        for &p in pairs {
            let p = if neg { 99u8.checked_sub(p) } else { Some(p) };
            let p = p
                .filter(|p| *p <= 99)
                .ok_or_else(|| corrupt("bad digit pair"))?;
            coef = coef * 100 + u128::from(p);
        }
        let ndigits = i64::try_from(pairs.len() * 2).unwrap_or(0);
        let adj = i64::from(e) + MIN_ADJUSTED_EXPONENT;
        let exp = adj - (ndigits - 1);
        let n = Number::from_parts(neg, coef, exp).map_err(|_| corrupt("out of range"))?;
        // Reject anything that is not exactly what the encoder writes (leading zero
        // digits, padding pairs, ...), so that equal numbers have equal bytes.
        let mut check = Vec::with_capacity(bytes.len());
        n.encode_ordered(&mut check);
        if check != bytes {
            return Err(corrupt("non-canonical"));
        }
        Ok(n)
    }

    /// Appends the canonical text (what DynamoDB returns): no exponent notation, no
    /// leading or trailing zeros, `-` only for negative values.
    pub fn push_text(&self, out: &mut Vec<u8>) {
        if self.neg {
            out.push(b'-');
        }
        let start = out.len();
        push_digits(self.coef, out);
        let nd = out.len() - start;
        if self.exp >= 0 {
            out.extend(std::iter::repeat_n(b'0', self.exp.unsigned_abs() as usize));
            return;
        }
        let frac = self.exp.unsigned_abs() as usize;
        if nd > frac {
            // nd - frac < nd, so the index is within `out`.
            out.insert(start + nd - frac, b'.');
        } else {
            let mut prefix = Vec::with_capacity(frac - nd + 2);
            prefix.extend_from_slice(b"0.");
            prefix.extend(std::iter::repeat_n(b'0', frac - nd));
            out.splice(start..start, prefix);
        }
    }
}

/// Appends the decimal digits of `c`.
fn push_digits(mut c: u128, out: &mut Vec<u8>) {
    let start = out.len();
    // Peel 19-digit chunks so most divisions are u64 divisions.
    loop {
        let mut chunk = (c % 10_000_000_000_000_000_000) as u64;
        c /= 10_000_000_000_000_000_000;
        let mut n = 0;
        loop {
            out.push(b'0' + (chunk % 10) as u8);
            chunk /= 10;
            n += 1;
            if c == 0 && chunk == 0 {
                break;
            }
            if c != 0 && n == 19 {
                break;
            }
        }
        if c == 0 {
            break;
        }
    }
    if let Some(s) = out.get_mut(start..) {
        s.reverse();
    }
}

fn not_numeric() -> Error {
    Error::Validation(MSG_NOT_NUMERIC.to_string())
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match self.class().cmp(&other.class()) {
            Ordering::Equal => {}
            o => return o,
        }
        match self.class() {
            0 => Ordering::Equal,
            1 => self.cmp_magnitude(other),
            _ => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(48);
        self.push_text(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

impl FromStr for Number {
    type Err = Error;
    fn from_str(s: &str) -> Result<Number> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}

#[cfg(test)]
#[path = "number_test.rs"]
mod tests;
