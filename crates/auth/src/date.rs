//! Request timestamps: parsing `X-Amz-Date` / `Date`, formatting ISO-8601 basic, clock skew.
//!
//! Everything here takes attacker-controlled strings, so parsing is by hand over bytes with
//! checked constructors from `time`; nothing indexes or unwraps.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::error::AuthError;

/// Looked up by a prepared name: a `&str` name is parsed again on every lookup.
static X_AMZ_DATE: http::HeaderName = http::HeaderName::from_static("x-amz-date");

/// How far the request timestamp may be from the server clock, either way (AWS uses 15 minutes).
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// Parses `YYYYMMDD'T'HHMMSS'Z'`, the only form SigV4 accepts in `X-Amz-Date`.
pub fn parse_iso_basic(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 4, 2)?;
    let day = digits(b, 6, 2)?;
    let hour = digits(b, 9, 2)?;
    let minute = digits(b, 11, 2)?;
    let second = digits(b, 13, 2)?;
    build(year, month, day, hour, minute, second)
}

/// Parses an RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form of the HTTP
/// `Date` header. SigV4 also allows the `Date` header to carry ISO-8601 basic, so that is
/// accepted too. The weekday is not cross-checked: it carries no information.
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    if let Some(t) = parse_iso_basic(s) {
        return Some(t);
    }
    let mut parts = s.split_ascii_whitespace();
    let weekday = parts.next()?;
    if !weekday.ends_with(',') {
        return None;
    }
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let clock = parts.next()?;
    let zone = parts.next()?;
    if zone != "GMT" || parts.next().is_some() || day.len() != 2 || year.len() != 4 {
        return None;
    }
    let day = digits(day.as_bytes(), 0, 2)?;
    let year = digits(year.as_bytes(), 0, 4)?;
    let month = match month {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let c = clock.as_bytes();
    if c.len() != 8 || c.get(2) != Some(&b':') || c.get(5) != Some(&b':') {
        return None;
    }
    let hour = digits(c, 0, 2)?;
    let minute = digits(c, 3, 2)?;
    let second = digits(c, 6, 2)?;
    build(year, month, day, hour, minute, second)
}

/// Formats as `YYYYMMDD'T'HHMMSS'Z'` (UTC).
pub fn format_iso_basic(t: OffsetDateTime) -> String {
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

/// Formats Unix seconds as ISO-8601 basic; falls back to the raw number for instants `time`
/// cannot represent, so error messages never panic on a weird server clock.
pub(crate) fn format_unix(secs: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format_iso_basic(t),
        Err(_) => secs.to_string(),
    }
}

/// Seconds since the Unix epoch, saturating instead of panicking on absurd clocks.
pub(crate) fn unix_seconds(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The raw value of the header SigV4 takes the request time from: `X-Amz-Date` wins over
/// `Date`. Returns the header name (lowercase) with it.
pub(crate) fn date_header(headers: &HeaderMap) -> Option<(&'static str, Cow<'_, str>)> {
    if let Some(v) = headers.get(&X_AMZ_DATE) {
        return Some(("x-amz-date", String::from_utf8_lossy(v.as_bytes())));
    }
    headers
        .get(http::header::DATE)
        .map(|v| ("date", String::from_utf8_lossy(v.as_bytes())))
}

/// The request's signing time, from `X-Amz-Date` (ISO-8601 basic only) or else `Date`.
pub fn request_time(headers: &HeaderMap) -> Result<OffsetDateTime, AuthError> {
    let Some((name, value)) = date_header(headers) else {
        return Err(AuthError::IncompleteSignature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_owned(),
        ));
    };
    let parsed = if name == "x-amz-date" {
        parse_iso_basic(&value)
    } else {
        parse_http_date(&value)
    };
    parsed.ok_or_else(|| {
        AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{value}'. See \
             http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })
}

/// Rejects a request whose timestamp is more than [`MAX_CLOCK_SKEW_SECS`] away from `now`,
/// with DynamoDB's exact wording.
pub fn check_clock_skew(request: OffsetDateTime, now: SystemTime) -> Result<(), AuthError> {
    let req = request.unix_timestamp();
    let now = unix_seconds(now);
    let earliest = now.saturating_sub(MAX_CLOCK_SKEW_SECS);
    let latest = now.saturating_add(MAX_CLOCK_SKEW_SECS);
    if req < earliest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            format_iso_basic(request),
            format_unix(earliest),
            format_unix(now)
        )));
    }
    if req > latest {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_iso_basic(request),
            format_unix(latest),
            format_unix(now)
        )));
    }
    Ok(())
}

/// Reads `len` ASCII digits at `start` as a number; `None` on anything else.
fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = b.get(start..start.checked_add(len)?)?;
    slice.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn build(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<OffsetDateTime> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(s: &str) -> SystemTime {
        let t = parse_iso_basic(s).unwrap();
        UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).unwrap())
    }

    #[test]
    fn iso_basic_round_trips() {
        let t = parse_iso_basic("20150830T123600Z").unwrap();
        assert_eq!(format_iso_basic(t), "20150830T123600Z");
        assert_eq!(t.unix_timestamp(), 1_440_938_160);
    }

    #[test]
    fn iso_basic_rejects_other_shapes() {
        for bad in [
            "",
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150830 123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T243600Z",
            "20150830T123660Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
            "20150830T12360ééZ",
        ] {
            assert_eq!(parse_iso_basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date_parses() {
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").unwrap();
        assert_eq!(format_iso_basic(t), "20150830T123600Z");
        assert_eq!(
            parse_http_date("20150830T123600Z")
                .map(format_iso_basic)
                .as_deref(),
            Some("20150830T123600Z")
        );
        for bad in [
            "Sun 30 Aug 2015 12:36:00 GMT",
            "Sun, 30 Aug 2015 12:36:00 PST",
            "Sun, 30 Foo 2015 12:36:00 GMT",
            "Sun, 30 Aug 2015 12:36 GMT",
            "Sun, 30 Aug 2015 12:36:00 GMT extra",
            "Sun, 3 Aug 2015 12:36:00 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn skew_messages_match_aws() {
        let req = parse_iso_basic("20130524T000000Z").unwrap();
        assert_eq!(
            check_clock_skew(req, at("20130524T001500Z")),
            Ok(()),
            "exactly 15 minutes is still accepted"
        );
        assert_eq!(
            check_clock_skew(req, at("20130524T001501Z")),
            Err(AuthError::InvalidSignature(
                "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z \
                 (20130524T001501Z - 15 min.)"
                    .into()
            ))
        );
        assert_eq!(
            check_clock_skew(
                parse_iso_basic("20130524T000000Z").unwrap(),
                at("20130524T003000Z")
            ),
            Err(AuthError::InvalidSignature(
                "Signature expired: 20130524T000000Z is now earlier than 20130524T001500Z \
                 (20130524T003000Z - 15 min.)"
                    .into()
            ))
        );
        let future = parse_iso_basic("20130524T003000Z").unwrap();
        assert_eq!(
            check_clock_skew(future, at("20130524T000000Z")),
            Err(AuthError::InvalidSignature(
                "Signature not yet current: 20130524T003000Z is still later than \
                 20130524T001500Z (20130524T000000Z + 15 min.)"
                    .into()
            ))
        );
        assert_eq!(check_clock_skew(future, at("20130524T001500Z")), Ok(()));
    }

    #[test]
    fn absurd_clocks_do_not_panic() {
        let req = parse_iso_basic("20130524T000000Z").unwrap();
        assert!(check_clock_skew(req, UNIX_EPOCH - Duration::from_secs(1 << 40)).is_err());
        assert!(check_clock_skew(req, UNIX_EPOCH + Duration::from_secs(u64::MAX / 4)).is_err());
        assert_eq!(format_unix(i64::MAX), i64::MAX.to_string());
    }
}
