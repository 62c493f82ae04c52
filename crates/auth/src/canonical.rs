//! The SigV4 canonical request, built the way AWS SDKs build it for a non-S3 service.
//!
//! ```text
//! METHOD \n CANONICAL_URI \n CANONICAL_QUERY \n (name:value \n)* \n SIGNED_HEADERS \n PAYLOAD_HASH
//! ```
//!
//! Choices that must match the clients byte for byte (checked against the `aws-sigv4` crate
//! and the AWS SigV4 test suite in this crate's tests):
//! - **Path:** the raw (still percent-encoded) path from the request line has its dot segments
//!   and empty segments removed (RFC 3986 §5.2.4, as every SDK does for non-S3 services), then
//!   every byte except unreserved characters and `/` is percent-encoded. A `%` therefore becomes
//!   `%25`: relative to the decoded path this is the "double encoding" AWS documents for all
//!   services but S3, and it is what the Rust SDK, botocore and the Java SDK send. DynamoDB
//!   only serves `/`, so in practice the canonical URI is `/`.
//! - **Query:** split on `&`, percent-decoded (`+` is a space) and re-encoded with only
//!   unreserved characters left bare, `name=value` (`=` even when the value is empty), sorted by
//!   encoded name then value.
//! - **Headers:** the signed names, lowercased, in the order the client listed them; each value
//!   trimmed and runs of spaces collapsed; repeated headers joined with `,` in arrival order.

use http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};

/// A signed header that the request does not carry, so no canonical request can be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingHeader(pub String);

/// Builds the canonical request bytes. `payload_hash` is the hex SHA-256 the client signed.
pub fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<Vec<u8>, MissingHeader> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(uri.path()).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(uri.query().unwrap_or("")).as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        let name = name.to_ascii_lowercase();
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        canonical_header_value(&name, uri, headers, &mut out)?;
        out.push(b'\n');
    }
    out.push(b'\n');
    let joined: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    out.extend_from_slice(joined.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok(out)
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Appends the canonical value of header `name` (already lowercase).
fn canonical_header_value(
    name: &str,
    uri: &Uri,
    headers: &HeaderMap,
    out: &mut Vec<u8>,
) -> Result<(), MissingHeader> {
    // NOTE: `HeaderMap::get_all` takes a string and matches it case-insensitively; a name that
    // is not a valid header name (e.g. contains a space) simply matches nothing.
    let mut any = false;
    if http::HeaderName::from_bytes(name.as_bytes()).is_ok() {
        for (i, value) in headers.get_all(name).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            trim_all(value.as_bytes(), out);
            any = true;
        }
    }
    if any {
        return Ok(());
    }
    // HTTP/2 carries the host in the `:authority` pseudo-header, which the http crate keeps in
    // the URI rather than the header map; clients sign it as `host`.
    if name == "host" || name == ":authority" {
        if let Some(authority) = uri.authority() {
            trim_all(authority.as_str().as_bytes(), out);
            return Ok(());
        }
    }
    Err(MissingHeader(name.to_owned()))
}

/// Trims leading/trailing spaces and collapses runs of spaces to one (spaces only, as the
/// SDKs do; tabs and other whitespace are kept).
fn trim_all(value: &[u8], out: &mut Vec<u8>) {
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |p| p + 1);
    let mut prev_space = false;
    for &b in value.get(start..end).unwrap_or_default() {
        if b == b' ' {
            if prev_space {
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        out.push(b);
    }
}

/// The canonical URI for a raw request path (see the module docs).
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    let mut out = String::with_capacity(normalized.len());
    for &b in normalized.as_bytes() {
        if b == b'/' || is_unreserved(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b);
        }
    }
    out
}

/// RFC 3986 §5.2.4 dot-segment removal, plus dropping empty segments (`//`), keeping a trailing
/// slash. Mirrors `aws-sigv4`'s `normalize_uri_path`.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if !path.contains('.') && !path.contains("//") {
        return path;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut result = format!("/{}", segments.join("/"));
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|suffix| path.ends_with(suffix));
    if ends_with_slash && !result.ends_with('/') {
        result.push('/');
    }
    result
}

/// The canonical query string for a raw query (without the `?`).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&form_decode(k)), uri_encode(&form_decode(v)))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` is a byte, a `%` not
/// followed by two hex digits is kept literally; invalid UTF-8 becomes U+FFFD (as in the
/// `form_urlencoded` crate the Rust SDK uses).
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = b.get(i + 1).and_then(|&h| char::from(h).to_digit(16));
                let lo = b.get(i + 2).and_then(|&l| char::from(l).to_digit(16));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    // Both digits are < 16, so this fits in a byte.
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'%'));
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// SigV4 URI encoding: everything but unreserved characters as uppercase `%XX`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b);
        }
    }
    out
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn push_pct(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/../c/.", "/a/c/"),
            ("/../../x", "/x"),
            ("/example%20space/", "/example%2520space/"),
            ("/a:b@c", "/a%3Ab%40c"),
            ("/-._~AZaz09", "/-._~AZaz09"),
            ("/%E1%88%B4", "/%25E1%2588%25B4"),
        ] {
            assert_eq!(canonical_uri(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn queries() {
        for (raw, want) in [
            ("", ""),
            ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
            ("Param1=value1", "Param1=value1"),
            ("Param1=", "Param1="),
            ("Param1", "Param1="),
            ("b=2&a=2&a=1", "a=1&a=2&b=2"),
            (
                "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
                "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            ),
            ("a=b+c&d=e%20f", "a=b%20c&d=e%20f"),
            ("a=%zz&b=%4", "a=%25zz&b=%254"),
            ("a=%2F%2f", "a=%2F%2F"),
            ("&&a=1&", "a=1"),
            ("x=%FF", "x=%EF%BF%BD"),
            ("k=v=w", "k=v%3Dw"),
        ] {
            assert_eq!(canonical_query(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut h = HeaderMap::new();
        h.append("my-header", "  a   b  c ".parse().unwrap());
        h.append("my-header", "d".parse().unwrap());
        h.insert("host", "example.com".parse().unwrap());
        let uri: Uri = "/".parse().unwrap();
        let creq = canonical_request(
            &Method::POST,
            &uri,
            &h,
            &["host".into(), "My-Header".into()],
            "HASH",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(creq).unwrap(),
            "POST\n/\n\nhost:example.com\nmy-header:a b c,d\n\nhost;my-header\nHASH"
        );
    }

    #[test]
    fn host_falls_back_to_the_uri_authority() {
        let uri: Uri = "http://localhost:8000/".parse().unwrap();
        let creq = canonical_request(
            &Method::POST,
            &uri,
            &HeaderMap::new(),
            &["host".into()],
            "H",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(creq).unwrap(),
            "POST\n/\n\nhost:localhost:8000\n\nhost\nH"
        );
    }

    #[test]
    fn missing_signed_header_is_reported() {
        let uri: Uri = "/".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", "x".parse().unwrap());
        for name in ["x-amz-target", "bad name", "", ":authority-ish"] {
            assert_eq!(
                canonical_request(&Method::POST, &uri, &h, &["host".into(), name.into()], "H"),
                Err(MissingHeader(name.to_owned()))
            );
        }
    }

    #[test]
    fn trim_all_edge_cases() {
        for (input, want) in [
            ("", ""),
            ("   ", ""),
            (" a ", "a"),
            ("a  b", "a b"),
            ("a\t b", "a\t b"),
        ] {
            let mut out = Vec::new();
            trim_all(input.as_bytes(), &mut out);
            assert_eq!(out, want.as_bytes(), "{input:?}");
        }
    }
}
