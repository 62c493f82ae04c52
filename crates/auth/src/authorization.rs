//! Parsing the SigV4 `Authorization` header, with DynamoDB's exact refusal messages.
//!
//! This runs on every request in both server modes, so it only checks *shape*: the algorithm,
//! the three parameters, the credential scope, that `host` is signed and that the request has
//! a well-formed date header. Whether the signature is right is left to
//! [`verify`](crate::verify()).

use std::borrow::Cow;

use http::HeaderMap;

use crate::date;
use crate::error::{AuthError, MISSING_TOKEN_MESSAGE};

/// The only signing algorithm DynamoDB accepts in the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service name in the credential scope of every DynamoDB (and DynamoDB Streams) request.
pub const SERVICE: &str = "dynamodb";
/// The last element of every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// Parsed `Authorization: AWS4-HMAC-SHA256
/// Credential=AKID/20240101/us-east-1/dynamodb/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=hex`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id, the first element of the credential.
    pub access_key: String,
    /// Credential scope date, `yyyymmdd` as sent (checked against the request date in
    /// [`verify`](crate::verify()), not here).
    pub date: String,
    /// Credential scope region. Any non-empty region is accepted.
    pub region: String,
    /// Credential scope service; always `dynamodb` after [`parse_request_auth`].
    pub service: String,
    /// Signed header names in the order the client listed them, lowercased.
    pub signed_headers: Vec<String>,
    /// The signature as sent (normally 64 lowercase hex digits).
    pub signature: String,
}

impl Authorization {
    /// The credential scope string, `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// Checks the request's Authorization header and X-Amz-Date shape (used in both modes).
///
/// Order of checks, each returning the first failure: header present → algorithm →
/// `Credential`/`Signature`/`SignedHeaders` and a date header all present (reported together,
/// as DynamoDB does) → credential has five elements → region/service/terminator (reported
/// together) → `host` is signed → the date header parses.
pub fn parse_request_auth(headers: &HeaderMap) -> Result<Authorization, AuthError> {
    parse_for_service(headers, SERVICE)
}

/// [`parse_request_auth`] for a server that will not verify the signature: the same checks
/// and errors, without building the owned [`Authorization`] (it runs on every request, and
/// the owned form cost 15 of a GetItem's 60 allocations).
pub fn check_request_auth(headers: &HeaderMap) -> Result<(), AuthError> {
    let value = header_value(headers)?;
    parse_value(&value, headers, SERVICE).map(|_| ())
}

/// [`parse_request_auth`] for an arbitrary service name, so the generic AWS test suite (signed
/// for service `service`) runs through the same parser.
pub(crate) fn parse_for_service(
    headers: &HeaderMap,
    expected_service: &str,
) -> Result<Authorization, AuthError> {
    let value = header_value(headers)?;
    let p = parse_value(&value, headers, expected_service)?;
    Ok(Authorization {
        access_key: p.access_key.to_owned(),
        date: p.date.to_owned(),
        region: p.region.to_owned(),
        service: p.service.to_owned(),
        signed_headers: p
            .signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: p.signature.to_owned(),
    })
}

/// The parts of the header, borrowed from it.
struct Parts<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    /// As sent: `;`-separated, in any case.
    signed_headers: &'a str,
    signature: &'a str,
}

/// The Authorization header as text.
fn header_value(headers: &HeaderMap) -> Result<Cow<'_, str>, AuthError> {
    let Some(raw) = headers.get(http::header::AUTHORIZATION) else {
        return Err(AuthError::MissingAuthenticationToken(
            MISSING_TOKEN_MESSAGE.to_owned(),
        ));
    };
    // NOTE: header bytes are attacker-controlled and may not be UTF-8; lossy conversion keeps the
    // echo in error messages readable and cannot fail. Valid text, the usual case, is
    // borrowed after `from_utf8`'s word-at-a-time check: the lossy decoder's own scan of
    // valid text cost three times as much.
    let raw = raw.as_bytes();
    Ok(match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(raw),
    })
}

/// Every check of [`parse_request_auth`], on the header's text.
fn parse_value<'a>(
    value: &'a str,
    headers: &HeaderMap,
    expected_service: &str,
) -> Result<Parts<'a>, AuthError> {
    if value.trim().is_empty() {
        return Err(AuthError::MissingAuthenticationToken(
            MISSING_TOKEN_MESSAGE.to_owned(),
        ));
    }

    // Like DynamoDB, split on commas and spaces: the first token is the algorithm and the rest
    // are `key=value` parameters. Unknown parameters are ignored; a repeated one keeps the last.
    let mut tokens = tokens(value);
    let algorithm = tokens.next().unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let (mut credential, mut signature, mut signed_headers) = (None, None, None);
    for token in tokens {
        let key = split_at_byte(token, b'=').next().unwrap_or_default();
        // After the first '=', if any.
        let val = token.get(key.len() + 1..).unwrap_or_default();
        let slot = match key {
            "Credential" => &mut credential,
            "Signature" => &mut signature,
            "SignedHeaders" => &mut signed_headers,
            _ => continue,
        };
        // An empty value counts as missing, as in DynamoDB.
        *slot = (!val.is_empty()).then_some(val);
    }

    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date::date_header(headers).is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers)) =
        (credential, signature, signed_headers)
    else {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Authorization={value}"
        )));
    };
    if !missing.is_empty() {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Authorization={value}"
        )));
    }

    let mut parts = split_at_byte(credential, b'/');
    let (Some(access_key), Some(scope_date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. \
             keyid/date/region/service/term, got '{credential}'"
        )));
    };
    // AWS appends one sentence per scope problem, each ending in ". ", so they concatenate.
    let mut scope_errors = String::new();
    if region.is_empty() {
        scope_errors.push_str("Credential should be scoped to a valid region. ");
    }
    if service != expected_service {
        scope_errors.push_str(&format!(
            "Credential should be scoped to correct service: '{expected_service}'. "
        ));
    }
    if terminator != TERMINATOR {
        scope_errors.push_str(&format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', \
             not '{terminator}'. "
        ));
    }
    if !scope_errors.is_empty() {
        return Err(AuthError::IncompleteSignature(scope_errors));
    }

    check_host_signed(split_at_byte(signed_headers, b';'))?;

    date::request_time(headers)?;

    Ok(Parts {
        access_key,
        date: scope_date,
        region,
        service,
        signed_headers,
        signature,
    })
}

/// The header's tokens: its text split on commas, spaces and tabs, without empty ones.
///
/// A scan over bytes: the separators are ASCII, so every cut falls on a char boundary.
/// `str::split` with a set of chars decodes and compares char by char, about 15
/// instructions a byte: 3.5k of the 7.9k instructions the header check cost per request
/// (bench/README.md, "Eighteenth round"). The tokens are found with `memchr3`, a vector
/// scan, rather than byte by byte: the header is ~200 bytes on every request.
fn tokens(value: &str) -> impl Iterator<Item = &str> {
    let is_separator = |b: &u8| matches!(b, b',' | b' ' | b'\t');
    let bytes = value.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = bytes.get(at..)?;
        let start = at + rest.iter().position(|b| !is_separator(b))?;
        let rest = bytes.get(start..)?;
        let len = memchr::memchr3(b',', b' ', b'\t', rest).unwrap_or(rest.len());
        at = start + len;
        value.get(start..at)
    })
}

/// `text.split(sep)` for an ASCII `sep`, by the same scan as [`tokens`]: the header's few
/// short pieces each paid `str::split`'s searcher set-up, ~150 instructions.
fn split_at_byte(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut next = Some(0);
    std::iter::from_fn(move || {
        let start = next?;
        let rest = bytes.get(start..)?;
        match memchr::memchr(sep, rest) {
            Some(len) => {
                next = Some(start + len + 1);
                text.get(start..start + len)
            }
            None => {
                next = None;
                text.get(start..)
            }
        }
    })
}

/// SigV4 requires the host to be signed, otherwise a signature could be replayed against any
/// endpoint that shares the key.
pub(crate) fn check_host_signed<'a>(
    signed_headers: impl IntoIterator<Item = &'a str>,
) -> Result<(), AuthError> {
    if signed_headers
        .into_iter()
        .any(|h| h.eq_ignore_ascii_case("host") || h.eq_ignore_ascii_case(":authority"))
    {
        Ok(())
    } else {
        Err(AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ))
    }
}

#[cfg(test)]
#[path = "authorization_test.rs"]
mod tests;
