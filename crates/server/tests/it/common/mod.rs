//! Test harness: starts real `shoal serve` processes on an ephemeral 127.0.0.1 port and
//! gives tests an `aws-sdk-dynamodb` client and a raw HTTP/1.1 client for them.
//!
//! A [`Server`] owns its child process. Dropping it (also while a test panics) sends
//! SIGTERM, waits a few seconds for a clean exit (so `--in-memory` directories are
//! removed), then SIGKILLs. The child's stderr is drained by a thread for the whole life
//! of the process and kept for failure messages ([`Server::logs`]).

#![allow(dead_code)]

pub mod http;
pub mod sdk;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use http::{RawRequest, RawResponse};
pub use sdk::*;

/// How long a server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a SIGTERMed server may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Environment variables that would change how the server starts; removed from the
/// child's environment unless a test sets them on purpose.
const SHOAL_ENV: &[&str] = &[
    "SHOAL_CONFIG",
    "SHOAL_LISTEN",
    "SHOAL_DATA_DIR",
    "SHOAL_IN_MEMORY",
    "SHOAL_AUTH",
    "SHOAL_CREDENTIALS_FILE",
    "SHOAL_REGION",
    "SHOAL_TTL_INTERVAL_SECS",
    "SHOAL_NODE_READ_UNITS",
    "SHOAL_NODE_WRITE_UNITS",
    "SHOAL_HTTP_WORKERS",
    "SHOAL_ACCESS_KEY_ID",
    "SHOAL_SECRET_ACCESS_KEY",
];

/// How to start a server.
#[derive(Clone, Debug)]
pub struct Launch {
    args: Vec<String>,
    envs: Vec<(String, String)>,
    listen_flag: bool,
}

impl Launch {
    /// `shoal serve --listen 127.0.0.1:0 --in-memory`.
    pub fn in_memory() -> Launch {
        Launch {
            args: vec!["--in-memory".into()],
            envs: Vec::new(),
            listen_flag: true,
        }
    }

    /// `shoal serve --listen 127.0.0.1:0 --data-dir DIR`.
    pub fn data_dir(dir: &Path) -> Launch {
        Launch {
            args: vec!["--data-dir".into(), dir.display().to_string()],
            envs: Vec::new(),
            listen_flag: true,
        }
    }

    /// `shoal serve` with exactly these arguments (no `--listen` added).
    pub fn bare(args: &[&str]) -> Launch {
        Launch {
            args: args.iter().map(|s| s.to_string()).collect(),
            envs: Vec::new(),
            listen_flag: false,
        }
    }

    /// Adds command-line arguments.
    pub fn args(mut self, args: &[&str]) -> Launch {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: &str, value: &str) -> Launch {
        self.envs.push((key.into(), value.into()));
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shoal"));
        cmd.arg("serve");
        if self.listen_flag {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.args(&self.args);
        for k in SHOAL_ENV {
            cmd.env_remove(k);
        }
        cmd.env("RUST_LOG", "info").env("NO_COLOR", "1");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Starts the server and waits for its listening line.
    pub fn start(self) -> Server {
        let mut child = self.command().spawn().expect("spawn shoal");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let log2 = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let line = strip_ansi(&line);
                log2.lock().unwrap().push(line.clone());
                // The receiver is gone once the server is up; keep draining regardless.
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let listening = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(found) = parse_listening(&line) {
                        break found;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "shoal did not report listening within {START_TIMEOUT:?}; output:\n{}",
                        log.lock().unwrap().join("\n")
                    );
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait();
                    panic!(
                        "shoal exited before listening ({status:?}); output:\n{}",
                        log.lock().unwrap().join("\n")
                    );
                }
            }
        };
        Server {
            child: Some(child),
            addr: listening.0,
            url: format!("http://{}", listening.0),
            data_line: listening.1,
            log,
        }
    }

    /// Runs `shoal serve` expecting it to exit by itself; returns its status and stderr.
    pub fn run_to_exit(self, timeout: Duration) -> (ExitStatus, String) {
        let mut cmd = self.command();
        cmd.stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn shoal");
        let stderr = child.stderr.take().expect("piped stderr");
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                out.push_str(&strip_ansi(&line));
                out.push('\n');
            }
            out
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("shoal did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, reader.join().unwrap_or_default())
    }
}

/// Parses `shoal listening on http://127.0.0.1:PORT, data in DIR` into the address and
/// the text after `data in `.
fn parse_listening(line: &str) -> Option<(SocketAddr, String)> {
    let rest = line.split("shoal listening on http://").nth(1)?;
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    let addr = rest[..end].parse().ok()?;
    let data = rest
        .split("data in ")
        .nth(1)
        .map(str::to_string)
        .unwrap_or_default();
    Some((addr, data))
}

/// Removes ANSI escape sequences (`ESC [ ... letter`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// A running `shoal serve` process.
pub struct Server {
    child: Option<Child>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr`.
    pub url: String,
    /// What the listening line said after `data in `.
    pub data_line: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// A server with `--in-memory`.
    pub fn start() -> Server {
        Launch::in_memory().start()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Everything the server wrote to stderr so far.
    pub fn logs(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// An SDK client with the default test credentials.
    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        sdk::client(&self.url, "AKIDTEST", "secret")
    }

    /// An SDK client with the given credentials.
    pub fn client_with(&self, key: &str, secret: &str) -> aws_sdk_dynamodb::Client {
        sdk::client(&self.url, key, secret)
    }

    /// A raw request to this server for `DynamoDB_20120810.<operation>`, with valid
    /// default headers (content type, target, a parseable Authorization, X-Amz-Date, Host).
    pub fn raw(&self, operation: &str) -> RawRequest {
        RawRequest::new(self.addr).target(operation)
    }

    /// Raw POST of a JSON body to an operation.
    pub fn post(&self, operation: &str, body: &serde_json::Value) -> RawResponse {
        self.raw(operation).json(body).send()
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {sig} failed");
    }

    /// Waits for the process to exit by itself.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(s)) = child.try_wait() {
                self.child = None;
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for a clean exit; returns the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        self.stop_with("-TERM")
    }

    /// Sends SIGINT and waits for a clean exit; returns the exit status.
    pub fn interrupt(mut self) -> ExitStatus {
        self.stop_with("-INT")
    }

    fn stop_with(&mut self, sig: &str) -> ExitStatus {
        self.signal(sig);
        match self.wait_exit(STOP_TIMEOUT) {
            Some(s) => s,
            None => panic!(
                "shoal did not exit within {STOP_TIMEOUT:?} of {sig}; output:\n{}",
                self.logs()
            ),
        }
    }

    /// SIGKILLs the process (`kill -9`) and reaps it.
    pub fn kill9(mut self) {
        self.signal("-9");
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            if self.wait_exit(Duration::from_secs(5)).is_some() {
                return;
            }
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A fresh temporary directory for `--data-dir`.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("shoal-it-")
        .tempdir()
        .expect("tempdir")
}

/// Current Unix time in seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Polls `check` every 100 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A path inside a directory, as a string.
pub fn path_str(dir: &Path, name: &str) -> String {
    let p: PathBuf = dir.join(name);
    p.display().to_string()
}
