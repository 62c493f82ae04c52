//! Full SigV4 verification for enforce mode.
//!
//! ```text
//! Authorization --> scope checks --> request date --> scope date == request date
//!        --> clock skew (±15 min) --> key lookup --> payload hash --> canonical request
//!        --> string to sign --> signing key --> HMAC --> constant-time compare
//! ```
//!
//! The cheap, key-independent checks come first so an unknown key with a stale date reports
//! the date problem, and no secret is touched before the request is otherwise plausible.

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method, Uri};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::authorization::{check_host_signed, Authorization, ALGORITHM, SERVICE, TERMINATOR};
use crate::canonical::{canonical_request, sha256_hex};
use crate::date::{check_clock_skew, format_iso_basic, request_time};
use crate::error::{AuthError, UNRECOGNIZED_CLIENT_MESSAGE};
use crate::keys::KeyStore;

/// Full verification (enforce mode): key known, canonical request, string to sign, derived
/// signing key, constant-time compare (subtle), 15-minute clock skew on X-Amz-Date (or Date),
/// signed headers must include host and be present.
///
/// `body` is the raw body as received, before any `Content-Encoding` is undone: that is what
/// the client hashed.
///
/// If the request carries `x-amz-content-sha256`, that value is what goes into the canonical
/// request (the client signed it), and it must also equal the SHA-256 of `body`. DynamoDB
/// clients do not send the header; requiring the match stops a captured signature from being
/// replayed with a different body under the same header, and refuses `UNSIGNED-PAYLOAD`.
pub fn verify(
    auth: &Authorization,
    keys: &KeyStore,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), AuthError> {
    if auth.service != SERVICE {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    verify_signature(auth, keys, method, uri, headers, body, now)
}

/// [`verify`] without the service-name check, so the generic AWS SigV4 test suite (signed for
/// service `service`) can run against the same code path.
pub(crate) fn verify_signature(
    auth: &Authorization,
    keys: &KeyStore,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), AuthError> {
    check_host_signed(auth.signed_headers.iter().map(String::as_str))?;

    let request_time = request_time(headers)?;
    let amz_date = format_iso_basic(request_time);
    let http_day = amz_date.get(..8).unwrap_or_default();
    if auth.date != http_day {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{http_day}', from '{amz_date}'.",
            auth.date
        )));
    }
    check_clock_skew(request_time, now)?;

    let Some(secret) = keys.secret(&auth.access_key) else {
        return Err(AuthError::UnrecognizedClient(
            UNRECOGNIZED_CLIENT_MESSAGE.to_owned(),
        ));
    };

    let body_hash = sha256_hex(body);
    let payload_hash = match headers.get("x-amz-content-sha256") {
        Some(claimed) => {
            let claimed = String::from_utf8_lossy(claimed.as_bytes()).into_owned();
            if !claimed.eq_ignore_ascii_case(&body_hash) {
                return Err(AuthError::mismatch());
            }
            claimed
        }
        None => body_hash,
    };

    let creq = canonical_request(method, uri, headers, &auth.signed_headers, &payload_hash)
        .map_err(|_| AuthError::mismatch())?;
    let string_to_sign = string_to_sign(&amz_date, &auth.scope(), &creq);
    let expected = signature(
        secret,
        &auth.date,
        &auth.region,
        &auth.service,
        &string_to_sign,
    )?;

    // Constant time, so response timing does not reveal how many leading characters of a forged
    // signature were right. Length differences return false without comparing contents.
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(())
    } else {
        Err(AuthError::mismatch())
    }
}

/// `AWS4-HMAC-SHA256 \n <amz date> \n <scope> \n hex(sha256(canonical request))`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

/// The SigV4 signing key: HMAC chain over date, region, service and `aws4_request`.
pub(crate) fn signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Result<Vec<u8>, AuthError> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())?;
    let k_region = hmac(&k_date, region.as_bytes())?;
    let k_service = hmac(&k_region, service.as_bytes())?;
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// The hex signature of `string_to_sign` under the key derived from `secret` and the scope.
pub(crate) fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> Result<String, AuthError> {
    let key = signing_key(secret, date, region, service)?;
    Ok(hex::encode(hmac(&key, string_to_sign.as_bytes())?))
}

fn hmac(key: &[u8], data: &[u8]) -> Result<Vec<u8>, AuthError> {
    // HMAC takes keys of any length, so this cannot fail; if it somehow did, fail closed.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| AuthError::mismatch())?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
#[path = "verify_test.rs"]
mod tests;
