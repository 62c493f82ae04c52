//! `shoal serve` configuration: defaults, then a TOML file (`--config`), then
//! environment variables (`SHOAL_*`), then command-line flags, each overriding the last.
//!
//! Unknown keys in the file are refused with their names, so a typo never silently
//! falls back to a default. Secrets (access keys) come from a credentials file or the
//! environment, never from the TOML file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory for the database.
    pub data_dir: PathBuf,
    /// Keep data in a temporary directory removed at exit.
    pub in_memory: bool,
    /// Region reported in ARNs and health checks.
    pub region: String,
    /// Log filter (`tracing` env-filter syntax), overridden by `RUST_LOG`.
    pub log: String,
    /// Authentication.
    pub auth: AuthConfig,
    /// Storage.
    pub storage: StorageConfig,
    /// Background workers.
    pub workers: WorkersConfig,
    /// Committed and best-effort throughput of the node.
    pub throughput: ThroughputConfig,
    /// Client connections.
    pub http: HttpConfig,
}

/// `[auth]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `accept` (any key, as DynamoDB Local) or `enforce` (verify signatures).
    pub mode: String,
    /// AWS shared-credentials file with the accepted keys (enforce mode).
    pub credentials_file: Option<PathBuf>,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Block cache, MiB.
    pub cache_mb: u64,
    /// Cache of the encoded items point reads returned, MiB (0 disables it).
    pub item_cache_mb: u64,
    /// Partitions of a new on-demand table.
    pub on_demand_partitions: u64,
    /// How long applied log records are kept for streams, exports and restores.
    pub log_retention_secs: u64,
    /// Largest item collection of a table with local secondary indexes (DynamoDB: 10 GB).
    pub item_collection_limit_bytes: u64,
    /// A partition larger than this splits (DynamoDB: 10 GB).
    pub partition_split_bytes: u64,
    /// An on-demand partition consuming at least this fraction of its ceiling...
    pub heat_split_fraction: f64,
    /// ...for this many seconds in a row splits for heat.
    pub heat_split_secs: u32,
}

/// `[workers]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkersConfig {
    /// Seconds between TTL sweeps.
    pub ttl_interval_secs: u64,
    /// Seconds between statistics checkpoints and log trims.
    pub maintenance_interval_secs: u64,
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds without a read or a request in progress after which a connection is
    /// closed (within twice that), and the longest a request's body may take to arrive.
    /// 0: no limit.
    pub idle_timeout_secs: u64,
    /// Threads serving client connections and their requests (the async runtime's
    /// workers). 0: one fewer than the cores this process may use, at least one; see
    /// [`HttpConfig::workers`].
    pub workers: usize,
}

/// The most request workers a configuration may ask for.
const MAX_WORKERS: usize = 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            idle_timeout_secs: 60,
            workers: 0,
        }
    }
}

impl HttpConfig {
    /// The idle timeout, if there is one.
    pub fn idle_timeout(&self) -> Option<std::time::Duration> {
        (self.idle_timeout_secs > 0).then(|| std::time::Duration::from_secs(self.idle_timeout_secs))
    }

    /// How many request workers to run: `workers` if set, otherwise one fewer than the
    /// cores this process may use (at least one).
    ///
    /// Why not one per core: the node has threads of its own besides the request
    /// workers (the group committer, the engine's flushes and compactions), and its
    /// clients often share the machine (tests, development, the edge). Two request
    /// workers on two cores stacked on one core while the other idled (a worker woken
    /// to steal work is put on its waker's core and stays there; bench/README.md,
    /// fifteenth round). Measured on 2 cores with the load generator on the same
    /// machine, three alternated pairs per workload, one worker against two: GetItem
    /// at the same rate with a p99 of 1.3-1.9 ms instead of 2.3-3.1 ms and 6% less
    /// server CPU per request (relative to the client's), durable PutItem as fast or
    /// faster with 4% less, workload A at the same rate with 5% more.
    pub fn workers(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        cores.saturating_sub(1).max(1)
    }
}

/// `[throughput]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThroughputConfig {
    /// Read units per second the node commits to provisioned tables, in total (tables plus
    /// their global secondary indexes). DynamoDB's default per-table quota: 40,000.
    pub node_read_units: u64,
    /// Write units per second, likewise.
    pub node_write_units: u64,
    /// Admission control on (DynamoDB's behaviour) or off (every request admitted, as
    /// DynamoDB Local does; capacity is still counted and reported).
    pub enforce: bool,
    /// Capacity units per second the node aims to complete; above it the best-effort
    /// request rate is lowered and on-demand requests beyond it are shed.
    pub target_work_units: u64,
    /// Best-effort (on-demand) requests per second admitted at start.
    pub best_effort_initial_rate: u64,
}

impl Default for ThroughputConfig {
    fn default() -> Self {
        ThroughputConfig {
            node_read_units: 40_000,
            node_write_units: 40_000,
            enforce: true,
            target_work_units: 80_000,
            best_effort_initial_rate: 100_000,
        }
    }
}

impl ThroughputConfig {
    /// The node-level admission settings: the configured capacity, the rest defaults.
    pub fn admission(&self) -> shoal_admission::NodeConfig {
        shoal_admission::NodeConfig {
            capacity: shoal_admission::Throughput::new(
                self.node_read_units as f64,
                self.node_write_units as f64,
            ),
            target_work_per_sec: self.target_work_units as f64,
            initial_rate: self.best_effort_initial_rate as f64,
            min_rate: (self.best_effort_initial_rate as f64).min(100.0),
            ..shoal_admission::NodeConfig::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8000".into(),
            data_dir: PathBuf::from("./shoal-data"),
            in_memory: false,
            region: "us-east-1".into(),
            log: "info".into(),
            auth: AuthConfig::default(),
            storage: StorageConfig::default(),
            workers: WorkersConfig::default(),
            throughput: ThroughputConfig::default(),
            http: HttpConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: "accept".into(),
            credentials_file: None,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            cache_mb: 64,
            item_cache_mb: 256,
            // DynamoDB's new on-demand tables serve 4,000 write and 12,000 read units:
            // four partitions at the per-partition ceilings.
            on_demand_partitions: 4,
            log_retention_secs: 24 * 3600,
            item_collection_limit_bytes: 10 << 30,
            partition_split_bytes: 10 << 30,
            heat_split_fraction: 0.8,
            heat_split_secs: 30,
        }
    }
}

impl Default for WorkersConfig {
    fn default() -> Self {
        WorkersConfig {
            ttl_interval_secs: 30,
            maintenance_interval_secs: 60,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (names the key and line).
        message: String,
    },
    /// A value is out of range or fields contradict each other.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses TOML text; unknown keys are an error naming every one of them.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
        let mut unknown = Vec::new();
        let lenient: Result<LenientConfig, _> =
            serde_ignored::deserialize(de, |path| unknown.push(path.to_string()));
        if !unknown.is_empty() {
            return Err(format!("unknown keys: {}", unknown.join(", ")));
        }
        lenient.map_err(|e| e.to_string())?;
        toml::from_str::<Config>(text).map_err(|e| e.to_string())
    }

    /// Checks values against each other.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        if self.auth.mode != "accept" && self.auth.mode != "enforce" {
            return Err(ConfigError::Invalid(format!(
                "auth.mode must be \"accept\" or \"enforce\", not {:?}",
                self.auth.mode
            )));
        }
        if self.storage.on_demand_partitions == 0 || self.storage.on_demand_partitions > 4096 {
            return Err(ConfigError::Invalid(
                "storage.on_demand_partitions must be between 1 and 4096".into(),
            ));
        }
        if self.storage.partition_split_bytes < 1 << 20 {
            return Err(ConfigError::Invalid(
                "storage.partition_split_bytes must be at least 1 MiB".into(),
            ));
        }
        if !(self.storage.heat_split_fraction > 0.0 && self.storage.heat_split_fraction <= 1.0)
            || self.storage.heat_split_secs == 0
        {
            return Err(ConfigError::Invalid(
                "storage.heat_split_fraction must be in (0, 1] and storage.heat_split_secs at least 1"
                    .into(),
            ));
        }
        if self.throughput.target_work_units == 0 || self.throughput.best_effort_initial_rate == 0 {
            return Err(ConfigError::Invalid(
                "throughput.target_work_units and throughput.best_effort_initial_rate must be at least 1"
                    .into(),
            ));
        }
        if self.http.workers > MAX_WORKERS {
            return Err(ConfigError::Invalid(format!(
                "http.workers must be at most {MAX_WORKERS} (0: one fewer than the cores), not {}",
                self.http.workers
            )));
        }
        if self.workers.ttl_interval_secs == 0 || self.workers.maintenance_interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "worker intervals must be at least 1 second".into(),
            ));
        }
        self.throughput
            .admission()
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Ok(())
    }

    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("listen {:?}: {e}", self.listen)))
    }
}

/// The same shape as [`Config`] without `deny_unknown_fields`, so `serde_ignored` can
/// list every unknown key at once instead of failing at the first.
#[derive(Deserialize)]
#[serde(default)]
#[allow(dead_code)]
struct LenientConfig {
    listen: String,
    data_dir: PathBuf,
    in_memory: bool,
    region: String,
    log: String,
    auth: LenientAuth,
    storage: LenientStorage,
    workers: LenientWorkers,
    throughput: LenientThroughput,
    http: LenientHttp,
}

impl Default for LenientConfig {
    fn default() -> Self {
        let c = Config::default();
        LenientConfig {
            listen: c.listen,
            data_dir: c.data_dir,
            in_memory: c.in_memory,
            region: c.region,
            log: c.log,
            auth: LenientAuth::default(),
            storage: LenientStorage::default(),
            workers: LenientWorkers::default(),
            throughput: LenientThroughput::default(),
            http: LenientHttp::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct LenientAuth {
    mode: String,
    credentials_file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct LenientStorage {
    cache_mb: u64,
    item_cache_mb: u64,
    on_demand_partitions: u64,
    log_retention_secs: u64,
    item_collection_limit_bytes: u64,
    partition_split_bytes: u64,
    heat_split_fraction: f64,
    heat_split_secs: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct LenientWorkers {
    ttl_interval_secs: u64,
    maintenance_interval_secs: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct LenientThroughput {
    node_read_units: u64,
    node_write_units: u64,
    enforce: bool,
    target_work_units: u64,
    best_effort_initial_rate: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
#[allow(dead_code)]
struct LenientHttp {
    idle_timeout_secs: u64,
    workers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../../etc/config-template.toml");

    #[test]
    fn template_parses_and_equals_default() {
        let c = Config::from_toml(TEMPLATE).unwrap();
        assert_eq!(c, Config::default());
        c.validate().unwrap();
    }

    #[test]
    fn unknown_keys_are_named() {
        let err =
            Config::from_toml("listen = \"127.0.0.1:1\"\nlisten_port = 3\n[storage]\ncache = 1\n")
                .unwrap_err();
        assert!(err.contains("listen_port"), "{err}");
        assert!(err.contains("storage.cache"), "{err}");
    }

    #[test]
    fn invalid_values_are_refused() {
        let c = Config {
            listen: "nowhere".into(),
            ..Config::default()
        };
        assert!(matches!(c.validate(), Err(ConfigError::Invalid(_))));
        let mut c = Config::default();
        c.auth.mode = "maybe".into();
        assert!(matches!(c.validate(), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn http_section_sets_the_idle_timeout() {
        assert_eq!(
            Config::default().http.idle_timeout(),
            Some(std::time::Duration::from_secs(60))
        );
        let c = Config::from_toml("[http]\nidle_timeout_secs = 0\n").unwrap();
        assert_eq!(c.http.idle_timeout(), None, "0: no limit");
        let err = Config::from_toml("[http]\nidle_timeout = 5\n").unwrap_err();
        assert!(err.contains("http.idle_timeout"), "{err}");
    }

    #[test]
    fn http_workers_default_to_one_fewer_than_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(
            Config::default().http.workers(),
            cores.saturating_sub(1).max(1)
        );
        let c = Config::from_toml("[http]\nworkers = 3\n").unwrap();
        assert_eq!(c.http.workers(), 3);
        c.validate().unwrap();
        let c = Config::from_toml("[http]\nworkers = 5000\n").unwrap();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("http.workers must be at most 1024"), "{err}");
    }

    #[test]
    fn throughput_section_sets_the_node_capacity() {
        let c = Config::from_toml("[throughput]\nnode_read_units = 1000\nnode_write_units = 0\n")
            .unwrap();
        assert_eq!(
            c.throughput.admission().capacity,
            shoal_admission::Throughput::new(1000.0, 0.0)
        );
        // A node may commit nothing (on-demand tables only).
        c.validate().unwrap();
        let err = Config::from_toml("[throughput]\nnode_read = 1\n").unwrap_err();
        assert!(err.contains("throughput.node_read"), "{err}");
    }
}
