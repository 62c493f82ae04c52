//! A minimal HTTP/1.1 client over `std::net::TcpStream` for requests the SDK cannot
//! send: malformed JSON, wrong content types, missing or broken auth, gzip bodies,
//! oversized bodies. Also parses responses for the SDK's connector ([`super::sdk`]) and
//! signs requests with SigV4 for enforce-mode tests.
//!
//! Every response read here is checked for `x-amzn-RequestId` and a correct
//! `x-amz-crc32` (DynamoDB's SDKs verify the CRC), so every raw test checks both.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A dummy Authorization header that parses (accept mode takes any key).
pub const DUMMY_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";
/// The date matching [`DUMMY_AUTH`].
pub const DUMMY_DATE: &str = "20240101T000000Z";

/// A raw request being built.
#[derive(Clone, Debug)]
pub struct RawRequest {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A parsed response.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers in order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// `POST /` with DynamoDB's content type, a dummy Authorization, X-Amz-Date and Host.
    pub fn new(addr: SocketAddr) -> RawRequest {
        RawRequest {
            addr,
            method: "POST".into(),
            path: "/".into(),
            headers: vec![
                ("Host".into(), addr.to_string()),
                ("Content-Type".into(), "application/x-amz-json-1.0".into()),
                ("X-Amz-Date".into(), DUMMY_DATE.into()),
                ("Authorization".into(), DUMMY_AUTH.into()),
            ],
            body: b"{}".to_vec(),
        }
    }

    /// Sets `X-Amz-Target: DynamoDB_20120810.<op>`.
    pub fn target(self, op: &str) -> RawRequest {
        self.header("X-Amz-Target", &format!("DynamoDB_20120810.{op}"))
    }

    /// Sets the method.
    pub fn method(mut self, m: &str) -> RawRequest {
        self.method = m.into();
        self
    }

    /// Sets the path.
    pub fn path(mut self, p: &str) -> RawRequest {
        self.path = p.into();
        self
    }

    /// Sets (replacing, case-insensitively) a header.
    pub fn header(mut self, name: &str, value: &str) -> RawRequest {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Removes a header.
    pub fn without(mut self, name: &str) -> RawRequest {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }

    /// Sets the body bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RawRequest {
        self.body = body.into();
        self
    }

    /// Sets a JSON body.
    pub fn json(self, v: &serde_json::Value) -> RawRequest {
        self.body(serde_json::to_vec(v).expect("serialize json"))
    }

    /// Gzips the current body and sets `Content-Encoding: gzip`.
    pub fn gzip(self) -> RawRequest {
        let gz = gzip(&self.body);
        self.body(gz).header("Content-Encoding", "gzip")
    }

    /// Signs the request as it is now with SigV4 (service dynamodb, region us-east-1) at
    /// the current time, signing every header it carries.
    pub fn sign(self, key: &str, secret: &str) -> RawRequest {
        let now = time::OffsetDateTime::now_utc();
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let amz_date = now.format(fmt).expect("format date");
        self.sign_at(key, secret, &amz_date)
    }

    /// Signs with SigV4 using the given `X-Amz-Date` (`yyyymmddThhmmssZ`).
    pub fn sign_at(self, key: &str, secret: &str, amz_date: &str) -> RawRequest {
        let req = self.without("Authorization").header("X-Amz-Date", amz_date);
        let day = &amz_date[..8];
        let mut hs: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        hs.sort();
        let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let canonical = format!(
            "{}\n{}\n\n{canonical_headers}\n{signed}\n{}",
            req.method,
            req.path,
            hex::encode(Sha256::digest(&req.body))
        );
        let scope = format!("{day}/us-east-1/dynamodb/aws4_request");
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, b"us-east-1");
        let k_service = hmac(&k_region, b"dynamodb");
        let k_signing = hmac(&k_service, b"aws4_request");
        let sig = hex::encode(hmac(&k_signing, to_sign.as_bytes()));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}"
        );
        req.header("Authorization", &auth)
    }

    /// The request head as sent (with a Content-Length if none was set, and
    /// `Connection: close`).
    pub fn head(&self) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        head.into_bytes()
    }

    /// Sends the request and reads the response; checks request id and CRC headers.
    pub fn send(self) -> RawResponse {
        let resp = self.send_unchecked();
        resp.check_common_headers();
        resp
    }

    /// Sends the request without checking the response headers.
    pub fn send_unchecked(self) -> RawResponse {
        let expect_continue = self.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue")
        });
        let mut stream = TcpStream::connect(self.addr).expect("connect to shoal");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("set timeout");
        stream.write_all(&self.head()).expect("write head");
        if expect_continue {
            // Read the interim response first: a server refusing the request answers
            // without asking for the body.
            let mut buf = Vec::new();
            let head_end = read_until_head(&mut stream, &mut buf);
            let status = parse_status(&buf[..head_end]);
            if status != 100 {
                read_to_end_lenient(&mut stream, &mut buf);
                return parse_response(&buf).expect("parse response");
            }
            buf.drain(..head_end);
            stream.write_all(&self.body).expect("write body");
            read_to_end_lenient(&mut stream, &mut buf);
            return parse_response(&buf).expect("parse response");
        }
        // The server may answer (and close) before reading all of a large body.
        let _ = stream.write_all(&self.body);
        let mut buf = Vec::new();
        read_to_end_lenient(&mut stream, &mut buf);
        parse_response(&buf).expect("parse response")
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("hmac key");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Gzips bytes.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip finish")
}

fn read_until_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            return i + 4;
        }
        let n = stream.read(&mut chunk).expect("read response head");
        assert!(n > 0, "connection closed before a response head");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends a health check on an open connection and asserts it was answered (the
/// connection stays open: keep-alive).
pub fn health_check_on(stream: &mut TcpStream, what: &str) {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write health check");
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).expect("read health check");
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        "{what}: {}",
        String::from_utf8_lossy(&buf[..n])
    );
}

fn read_to_end_lenient(stream: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 65536];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            // A reset after the response arrived (the server did not read our whole body).
            Err(e) if !buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("reading response: {e}"),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_status(head: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(head);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Parses a whole HTTP/1.1 response (head and body; content-length or chunked).
pub fn parse_response(buf: &[u8]) -> Result<RawResponse, String> {
    let head_end = find(buf, b"\r\n\r\n").ok_or("no end of response head")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end - 4]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &buf[head_end..];
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let body = if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = get("content-length").and_then(|l| l.parse::<usize>().ok()) {
        if rest.len() < len {
            return Err(format!("body truncated: {} of {len} bytes", rest.len()));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n").ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("chunk truncated".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

impl RawResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.text()))
    }

    /// Asserts an error response: status, full `__type` and message.
    pub fn assert_error(&self, status: u16, type_: &str, message: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        let v = self.json();
        assert_eq!(v["__type"], type_, "__type; body: {}", self.text());
        assert_eq!(v["message"], message, "message; body: {}", self.text());
    }

    /// Every DynamoDB response carries a request id and the CRC32 of its body.
    pub fn check_common_headers(&self) {
        let id = self
            .header("x-amzn-RequestId")
            .unwrap_or_else(|| panic!("no x-amzn-RequestId in {:?}", self.headers));
        assert!(!id.is_empty(), "empty request id");
        let crc = self
            .header("x-amz-crc32")
            .unwrap_or_else(|| panic!("no x-amz-crc32 in {:?}", self.headers));
        assert_eq!(
            crc,
            crc32fast::hash(&self.body).to_string(),
            "x-amz-crc32 does not match the body {:?}",
            self.text()
        );
    }
}
