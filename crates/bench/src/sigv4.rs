//! A minimal AWS Signature Version 4 signer for DynamoDB JSON requests.
//!
//! It signs exactly the request shape the load generator sends and nothing else:
//!
//! ```text
//! POST /  (no query string)
//! content-type: application/x-amz-json-1.0
//! host: <authority>
//! x-amz-date: <YYYYMMDDTHHMMSSZ>
//! x-amz-target: DynamoDB_20120810.<Op>
//! ```
//!
//! - canonical request: `POST\n/\n\n`, the four headers above (lowercase, sorted,
//!   `name:value\n`), `\n`, `content-type;host;x-amz-date;x-amz-target\n`, hex(sha256(body));
//! - string to sign: `AWS4-HMAC-SHA256\n<date>\n<scope>\nhex(sha256(canonical request))`;
//! - key: the HMAC chain over day, region, service and `aws4_request` (AWS "Create a signed
//!   AWS API request"). Checked against `shoal_auth::verify` and botocore in the tests.
//!
//! [`Signer::sign_get`] signs the one other shape shoal's operator routes take: `GET <path>`
//! with only `host` and `x-amz-date` signed and an empty body.
//!
//! It is **not** a general signer: no query strings, no path normalization, no session tokens,
//! no presigning. Header values must already be trimmed (they are: the generator produces them).
//!
//! Invariant: the derived signing key depends only on (secret, day, region, service), so it is
//! cached per day; everything else is recomputed per request.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The JSON 1.0 content type every DynamoDB request carries.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const SIGNED_HEADERS: &str = "content-type;host;x-amz-date;x-amz-target";
const GET_SIGNED_HEADERS: &str = "host;x-amz-date";
const SERVICE: &str = "dynamodb";

/// Signs requests for one access key in one region. Cheap to clone; one per worker.
#[derive(Clone)]
pub struct Signer {
    access_key: String,
    secret: String,
    region: String,
    /// `(YYYYMMDD, derived key)` for the last day signed.
    cached_key: Option<(String, [u8; 32])>,
}

/// The headers a signed request must carry in addition to content-type, host and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Value of `x-amz-date`.
    pub amz_date: String,
    /// Value of `Authorization`.
    pub authorization: String,
}

impl Signer {
    /// A signer for `access_key`/`secret` in `region`.
    pub fn new(access_key: &str, secret: &str, region: &str) -> Self {
        Self {
            access_key: access_key.to_owned(),
            secret: secret.to_owned(),
            region: region.to_owned(),
            cached_key: None,
        }
    }

    /// Signs `POST /` with the given host (authority), target and body at time `now`.
    pub fn sign(
        &mut self,
        host: &str,
        target: &str,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Signature {
        let amz_date = format_amz_date(now);
        let canonical = format!(
            "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\n\
             x-amz-target:{target}\n\n{SIGNED_HEADERS}\n{}",
            hex::encode(Sha256::digest(body))
        );
        self.finish(amz_date, &canonical, SIGNED_HEADERS)
    }

    /// Signs `GET <path>` (no query string, empty body) with `host` and `x-amz-date`
    /// signed. `path` is used as the canonical URI as is, so it must consist of unreserved
    /// characters (`A-Z a-z 0-9 - . _ ~`) and `/` only, without `.`/`..` or empty segments.
    pub fn sign_get(&mut self, host: &str, path: &str, now: OffsetDateTime) -> Signature {
        let amz_date = format_amz_date(now);
        let canonical = format!(
            "GET\n{path}\n\nhost:{host}\nx-amz-date:{amz_date}\n\n{GET_SIGNED_HEADERS}\n{}",
            hex::encode(Sha256::digest(b""))
        );
        self.finish(amz_date, &canonical, GET_SIGNED_HEADERS)
    }

    /// The Authorization header for a canonical request.
    fn finish(&mut self, amz_date: String, canonical: &str, signed_headers: &str) -> Signature {
        let day = amz_date.get(..8).unwrap_or_default().to_owned();
        let scope = format!("{day}/{}/{SERVICE}/aws4_request", self.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let key = self.signing_key(&day);
        let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        Signature {
            authorization: format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
                 Signature={signature}",
                self.access_key
            ),
            amz_date,
        }
    }

    fn signing_key(&mut self, day: &str) -> [u8; 32] {
        if let Some((cached_day, key)) = &self.cached_key {
            if cached_day == day {
                return *key;
            }
        }
        let k_date = hmac(format!("AWS4{}", self.secret).as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, SERVICE.as_bytes());
        let key = hmac(&k_service, b"aws4_request");
        self.cached_key = Some((day.to_owned(), key));
        key
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // NOTE: HMAC accepts keys of any length, so `new_from_slice` cannot fail; the fallback
    // (an all-zero MAC) only exists to avoid an unwrap and would produce a rejected signature.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn headers(host: &str, target: &str, sig: &Signature) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("content-type", CONTENT_TYPE.parse().unwrap());
        h.insert("host", host.parse().unwrap());
        h.insert("x-amz-date", sig.amz_date.parse().unwrap());
        h.insert("x-amz-target", target.parse().unwrap());
        h.insert("authorization", sig.authorization.parse().unwrap());
        h
    }

    fn check(host: &str, body: &[u8], secret_known: &str) -> Result<(), shoal_auth::AuthError> {
        let now = OffsetDateTime::now_utc();
        let mut signer = Signer::new("AKIDBENCH", "s3cr3t/Key+", "eu-west-3");
        let target = "DynamoDB_20120810.GetItem";
        let sig = signer.sign(host, target, body, now);
        let h = headers(host, target, &sig);
        let auth = shoal_auth::parse_request_auth(&h)?;
        let mut keys = shoal_auth::KeyStore::new();
        keys.insert("AKIDBENCH".to_owned(), secret_known.to_owned());
        let uri: http::Uri = "/".parse().unwrap();
        shoal_auth::verify(
            &auth,
            &keys,
            &http::Method::POST,
            &uri,
            &h,
            body,
            SystemTime::now(),
        )
    }

    #[test]
    fn signature_verifies_with_shoal_auth() {
        let body = br#"{"TableName":"usertable","Key":{"pk":{"S":"user1"}}}"#;
        check("127.0.0.1:8000", body, "s3cr3t/Key+").unwrap();
        check("localhost", b"{}", "s3cr3t/Key+").unwrap();
        // Signing twice on the same day reuses the cached key and still verifies.
        check("localhost:1", &[b'x'; 4096], "s3cr3t/Key+").unwrap();
    }

    #[test]
    fn get_signature_verifies_with_shoal_auth() {
        let host = "127.0.0.1:8000";
        let path = "/admin/tables/my_table.v-2/partitions";
        let verify = |secret: &str| {
            let mut signer = Signer::new("AKIDBENCH", "s3cr3t/Key+", "eu-west-3");
            let sig = signer.sign_get(host, path, OffsetDateTime::now_utc());
            let mut h = http::HeaderMap::new();
            h.insert("host", host.parse().unwrap());
            h.insert("x-amz-date", sig.amz_date.parse().unwrap());
            h.insert("authorization", sig.authorization.parse().unwrap());
            let auth = shoal_auth::parse_request_auth(&h)?;
            let mut keys = shoal_auth::KeyStore::new();
            keys.insert("AKIDBENCH".to_owned(), secret.to_owned());
            let uri: http::Uri = path.parse().unwrap();
            shoal_auth::verify(
                &auth,
                &keys,
                &http::Method::GET,
                &uri,
                &h,
                b"",
                SystemTime::now(),
            )
        };
        verify("s3cr3t/Key+").unwrap();
        assert!(verify("other").is_err());
    }

    #[test]
    fn wrong_secret_is_rejected() {
        assert!(check("127.0.0.1:8000", b"{}", "other").is_err());
    }

    #[test]
    fn matches_botocore() {
        // Expected value produced by botocore 1.43 `SigV4Auth` for the same request (POST /,
        // host dynamodb.us-east-1.amazonaws.com, body `{}`, content-type and x-amz-target
        // headers, 2015-08-30T12:36:00Z), cross-checked when this test was written.
        let mut signer = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
        );
        let t = OffsetDateTime::from_unix_timestamp(1_440_938_160).unwrap();
        let sig = signer.sign(
            "dynamodb.us-east-1.amazonaws.com",
            "DynamoDB_20120810.ListTables",
            b"{}",
            t,
        );
        assert_eq!(sig.amz_date, "20150830T123600Z");
        assert_eq!(
            sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=75214f17608dbd636679e18f6f89744844ae96fcd228b8147167152488d817de"
        );
    }
}
