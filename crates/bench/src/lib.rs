//! `shoal bench`: a YCSB-style load generator for any DynamoDB-compatible endpoint.
//!
//! It runs the YCSB core workloads (`load`, `a`..`f`) as SigV4-signed DynamoDB JSON requests
//! over keep-alive HTTP/1.1 connections (one per worker task), shows a progress bar, and reports
//! per-operation throughput, HDR latency percentiles and errors by type, as text and optionally
//! as JSON. With `--reference` it also measures an in-process bare hyper server
//! ([`mod@reference`]) right before and after the real endpoint, and prints every throughput as a
//! ratio to it, so that figures from different machines compare.
//!
//! ```text
//! run(args) --> runtime --> [reference phase] --> setup (load: create table; else: check)
//!                       --> real phase --> [reference phase] --> report (text, --json)
//! ```
//!
//! It is **not**: a correctness checker (responses are classified, not validated beyond the
//! status, the `__type` and `x-amz-crc32`), a TLS client (plain `http://` only), or a retrying
//! client (failures are counted, as YCSB does). It does not depend on shoal: it speaks only
//! the public DynamoDB wire protocol.
//!
//! Invariants:
//! - **Bounded, never hangs.** Connect and request timeouts on every call; a phase ends at its
//!   operation count, its `--duration`, on Ctrl-C, or when a connection sees
//!   [`runner::MAX_CONSECUTIVE_FAILURES`] transport failures in a row (endpoint gone). Table
//!   creation polls for at most [`TABLE_ACTIVE_TIMEOUT`].
//! - **Never panics on bad servers.** Every response is classified into ok / DynamoDB error
//!   type / transport error and counted; an aborted run still prints its report, then
//!   [`run`] returns an error.
//! - The reference server listens on 127.0.0.1 only and is stopped when its phase ends.
//!
//! Modules: [`sigv4`] (request signing), [`generator`] (RNG, zipfian/latest, keys, values),
//! [`workload`] (mixes and request bodies, the table layout), [`client`] (connection),
//! [`runner`] (workers, histograms), [`report`] (text and JSON), [`mod@reference`].

#![deny(missing_docs)]

pub mod client;
pub mod generator;
pub mod reference;
pub mod report;
pub mod runner;
pub mod sigv4;
pub mod workload;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::client::{ClientConfig, Conn, Endpoint, Outcome};
use crate::generator::Distribution;
use crate::report::{Report, RunInfo};
use crate::runner::{PhaseConfig, PhaseResult};
use crate::sigv4::Signer;
use crate::workload::{Requests, Workload};

/// How long `load` waits for a table it created to become ACTIVE.
pub const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Command-line arguments of `shoal bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// DynamoDB endpoint (plain http).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub endpoint: String,
    /// YCSB workload: load inserts --records records; a..f run against a loaded table.
    #[arg(long, value_enum, default_value = "c")]
    pub workload: Workload,
    /// Number of records (load: to insert; a..f: present in the table).
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Operations to run [default: --records for load, 100000 otherwise; unlimited with
    /// --duration].
    #[arg(long)]
    pub operations: Option<u64>,
    /// Concurrent connections (one worker task each).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Stop after this many seconds even if operations remain.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Bytes of field data per item, split over 10 fields.
    #[arg(long, default_value_t = 1000)]
    pub value_size: usize,
    /// Request distribution [default: the workload's: latest for d, zipfian otherwise].
    #[arg(long, value_enum)]
    pub distribution: Option<Distribution>,
    /// Also measure an in-process bare HTTP server before and after, and print ratios to it.
    #[arg(long)]
    pub reference: bool,
    /// Seconds each reference measurement lasts at most.
    #[arg(long, default_value_t = 5.0)]
    pub reference_duration: f64,
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Table name.
    #[arg(long, default_value = "usertable")]
    pub table: String,
    /// Region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Access key id to sign with.
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        hide_env_values = true,
        default_value = "shoalbench"
    )]
    pub access_key: String,
    /// Secret access key to sign with.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        hide_default_value = true,
        default_value = "shoalbench"
    )]
    pub secret_key: String,
    /// Seconds to wait for a TCP connection.
    #[arg(long, default_value_t = 3.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for one request's complete response.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Client threads, each driving its share of the connections [default: available cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed for the generators (same seed, same key sequence per worker).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl BenchArgs {
    fn operations(&self) -> u64 {
        match (self.operations, self.duration) {
            (Some(n), _) => n,
            (None, Some(_)) => u64::MAX,
            (None, None) if self.workload == Workload::Load => self.records,
            (None, None) => 100_000,
        }
    }

    fn distribution(&self) -> Distribution {
        self.distribution
            .unwrap_or_else(|| self.workload.default_distribution())
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        if self.records == 0 {
            bail!("--records must be at least 1");
        }
        for (name, v) in [
            ("--connect-timeout", self.connect_timeout),
            ("--timeout", self.timeout),
            ("--reference-duration", self.reference_duration),
        ] {
            if !(v.is_finite() && v > 0.0) {
                bail!("{name} must be a positive number of seconds");
            }
        }
        if let Some(d) = self.duration {
            if !(d.is_finite() && d > 0.0) {
                bail!("--duration must be a positive number of seconds");
            }
        }
        Ok(())
    }
}

/// Runs the benchmark, prints the report to stdout and writes `--json`. Returns an error if
/// the arguments are invalid, the JSON cannot be written, or the run was aborted (the report is
/// printed first).
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let json_path = args.json.clone();
    let report = run_report(args)?;
    print!("{}", report.to_text());
    if let Some(path) = json_path {
        let text = serde_json::to_string_pretty(&report.to_json())?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(why) = &report.run.aborted {
        bail!("benchmark aborted: {why}");
    }
    Ok(())
}

/// Runs the benchmark and returns the measurements without printing the report.
pub fn run_report(args: BenchArgs) -> anyhow::Result<Report> {
    args.validate()?;
    // The workers run on their own threads (see `runner`); this runtime only orchestrates.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("client runtime")?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: BenchArgs) -> anyhow::Result<Report> {
    let interrupt = Arc::new(AtomicBool::new(false));
    {
        let interrupt = Arc::clone(&interrupt);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupt.store(true, Ordering::Relaxed);
            }
        });
    }
    let client = ClientConfig {
        connect_timeout: Duration::from_secs_f64(args.connect_timeout),
        request_timeout: Duration::from_secs_f64(args.timeout),
    };
    let signer = Signer::new(&args.access_key, &args.secret_key, &args.region);
    let endpoint = Endpoint::resolve(&args.endpoint).await?;
    let base = PhaseConfig {
        workload: args.workload,
        records: args.records,
        operations: args.operations(),
        duration: args.duration.map(Duration::from_secs_f64),
        concurrency: args.concurrency,
        distribution: args.distribution(),
        requests: Requests::new(&args.table, args.value_size),
        endpoint: endpoint.clone(),
        client: client.clone(),
        signer: signer.clone(),
        progress: (!args.no_progress).then(|| format!("{} {}", args.workload.name(), "real")),
        seed: args.seed,
        threads: args.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }),
    };

    let reference_before = if args.reference {
        Some(reference_phase(&base, &args, "reference (before)", &interrupt).await?)
    } else {
        None
    };

    let mut setup = Conn::new(endpoint, client, signer);
    if args.workload == Workload::Load {
        if let Err(e) = ensure_table(&mut setup, &args.table).await {
            eprintln!("warning: table set-up failed: {e:#}; running the load anyway");
        }
    } else if let Err(e) = check_table(&mut setup, &args.table).await {
        eprintln!("warning: {e:#}");
    }
    drop(setup);

    let mut real = base.clone();
    real.progress = real
        .progress
        .map(|_| format!("{} {}", args.workload.name(), args.endpoint));
    let run = runner::run_phase(real, Arc::clone(&interrupt)).await;

    let reference = match reference_before {
        Some(before) => {
            let after = reference_phase(&base, &args, "reference (after)", &interrupt).await?;
            Some((before, after))
        }
        None => None,
    };
    Ok(Report {
        info: RunInfo {
            workload: args.workload.name().to_owned(),
            endpoint: args.endpoint.clone(),
            table: args.table.clone(),
            records: args.records,
            operations: Some(base.operations).filter(|n| *n != u64::MAX),
            concurrency: args.concurrency,
            value_size: args.value_size,
            distribution: args.distribution().name().to_owned(),
        },
        run,
        reference,
    })
}

/// Runs the same workload against a fresh in-process reference server.
async fn reference_phase(
    base: &PhaseConfig,
    args: &BenchArgs,
    label: &str,
    interrupt: &Arc<AtomicBool>,
) -> anyhow::Result<PhaseResult> {
    let server = reference::ReferenceServer::start()?;
    let mut cfg = base.clone();
    cfg.endpoint = Endpoint::resolve(&server.url()).await?;
    let cap = Duration::from_secs_f64(args.reference_duration);
    cfg.duration = Some(cfg.duration.map_or(cap, |d| d.min(cap)));
    cfg.progress = cfg.progress.map(|_| label.to_owned());
    let result = runner::run_phase(cfg, Arc::clone(interrupt)).await;
    // Stopping joins the server's thread: do it off the async workers.
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .context("stopping the reference server")?;
    Ok(result)
}

/// `DescribeTable`, returning the table status if the table exists.
async fn describe(conn: &mut Conn, table: &str) -> anyhow::Result<Option<String>> {
    let body = json!({ "TableName": table }).to_string();
    match conn.call("DescribeTable", body).await {
        Outcome::Ok(bytes) => {
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).context("DescribeTable: response is not JSON")?;
            // NOTE: an endpoint that omits TableStatus is taken as ACTIVE rather than polled
            // until the timeout: there is nothing better to wait for.
            Ok(Some(
                v["Table"]["TableStatus"]
                    .as_str()
                    .unwrap_or("ACTIVE")
                    .to_owned(),
            ))
        }
        Outcome::Service(kind) if kind == "ResourceNotFoundException" => Ok(None),
        Outcome::Service(kind) => bail!("DescribeTable {table} failed: {kind}"),
        Outcome::Transport(what) => bail!("DescribeTable {table} failed: {what}"),
    }
}

/// Warns early if the table a transaction workload needs is missing.
async fn check_table(conn: &mut Conn, table: &str) -> anyhow::Result<()> {
    match describe(conn, table).await? {
        Some(_) => Ok(()),
        None => bail!(
            "table {table} does not exist: run `--workload load` first; every operation will \
             fail with ResourceNotFoundException"
        ),
    }
}

/// Creates the table (hash key `pk` S, on-demand) if it is missing and waits until ACTIVE.
async fn ensure_table(conn: &mut Conn, table: &str) -> anyhow::Result<()> {
    if describe(conn, table).await?.is_none() {
        let body = json!({
            "TableName": table,
            "AttributeDefinitions": [{ "AttributeName": "pk", "AttributeType": "S" }],
            "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
            "BillingMode": "PAY_PER_REQUEST",
        })
        .to_string();
        match conn.call("CreateTable", body).await {
            Outcome::Ok(_) => eprintln!("created table {table}"),
            // Someone else created it meanwhile: wait for it like for ours.
            Outcome::Service(kind) if kind == "ResourceInUseException" => {}
            Outcome::Service(kind) => bail!("CreateTable {table} failed: {kind}"),
            Outcome::Transport(what) => bail!("CreateTable {table} failed: {what}"),
        }
    }
    let start = Instant::now();
    loop {
        if let Some(status) = describe(conn, table).await? {
            if status == "ACTIVE" {
                return Ok(());
            }
        }
        if start.elapsed() > TABLE_ACTIVE_TIMEOUT {
            bail!(
                "table {table} did not become ACTIVE within {}s",
                TABLE_ACTIVE_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests;
