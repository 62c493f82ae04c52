//! [`Node`]: what every request handler can reach: the catalog, the store, the settings,
//! node-level admission, the request metrics.

use std::sync::Arc;

use parking_lot::Mutex;
use shoal_admission::NodeAdmission;
use shoal_auth::KeyStore;
use shoal_storage::Ticket;
use tokio::sync::Notify;

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::Catalog;
use crate::engine_reads::EngineReads;
use crate::metrics::ApiMetrics;

/// Whether signatures are verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Any access key is accepted; the Authorization header must still be well formed.
    Accept,
    /// Signatures are verified against the configured keys.
    Enforce,
}

/// Settings the request path reads.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Region reported in ARNs and expected nowhere else.
    pub region: String,
    /// What DescribeEndpoints answers.
    pub advertised_address: String,
    /// Partitions of a new on-demand table.
    pub on_demand_partitions: u64,
    /// Largest item collection (tables with local indexes), bytes.
    pub item_collection_limit: u64,
    /// Signature checking.
    pub auth: AuthMode,
    /// Keys for [`AuthMode::Enforce`].
    pub keys: KeyStore,
    /// When partitions split.
    pub split: crate::splits::SplitPolicy,
    /// Node-level admission: the committed capacity the node can reserve for provisioned
    /// tables (`[throughput]` in the configuration) and best-effort load shedding.
    pub admission: shoal_admission::NodeConfig,
    /// How long a connection may sit idle, or a request body take to arrive (`[http]`).
    pub idle_timeout: Option<std::time::Duration>,
}

/// One running node.
pub struct Node {
    /// Tables and partitions.
    pub catalog: Catalog,
    /// Settings.
    pub config: NodeConfig,
    /// Committed capacity reserved by provisioned tables ([`crate::reservation`], changed
    /// only under the catalog's DDL lock) and best-effort load shedding. Never held
    /// across I/O or an `.await`: the request path takes it.
    pub admission: Mutex<NodeAdmission>,
    /// Request counters and latencies (`GET /metrics`).
    pub metrics: ApiMetrics,
    engine_reads: Arc<EngineReads>,
    ttl_wake: Notify,
    purge_wake: Notify,
    index_wake: Notify,
    split_wake: Notify,
}

impl Node {
    /// Wraps an opened catalog and reserves the committed capacity of its tables (never
    /// refusing them; see [`crate::reservation::reserve_existing`]). Fails only on an
    /// invalid admission configuration.
    pub fn new(catalog: Catalog, config: NodeConfig) -> anyhow::Result<Arc<Node>> {
        let admission = Mutex::new(NodeAdmission::new(
            config.admission,
            crate::throughput::now_us(),
        )?);
        crate::reservation::reserve_existing(&admission, &catalog.all());
        Ok(Arc::new(Node {
            catalog,
            config,
            admission,
            metrics: ApiMetrics::default(),
            engine_reads: Arc::default(),
            ttl_wake: Notify::new(),
            purge_wake: Notify::new(),
            index_wake: Notify::new(),
            split_wake: Notify::new(),
        }))
    }

    /// Runs storage work on the blocking pool: storage calls may read the disk or wait
    /// for the journal and must never stall the async workers.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(ApiError::internal)?
    }

    /// Runs a point read that missed the item cache: inline on the request worker while
    /// such reads are quick, on the blocking pool while they wait for the disk
    /// ([`EngineReads`]).
    pub async fn read_engine<T: Send + 'static>(
        &self,
        read: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let read = self.engine_reads.timed(read);
        if self.engine_reads.offload() {
            self.blocking(read).await
        } else {
            read()
        }
    }

    /// Where point reads that missed the item cache ran (for metrics).
    pub fn engine_reads(&self) -> &EngineReads {
        &self.engine_reads
    }

    /// Waits until a write is on disk.
    pub async fn durable(&self, ticket: Ticket) -> ApiResult<()> {
        self.catalog
            .store()
            .durability()
            .wait(ticket)
            .await
            .map_err(ApiError::internal)
    }

    /// Tells the TTL sweeper a table's TTL setting changed.
    pub fn wake_ttl(&self) {
        self.ttl_wake.notify_one();
    }

    /// Tells the purge worker a table was deleted.
    pub fn wake_purge(&self) {
        self.purge_wake.notify_one();
    }

    /// Tells the index worker an index is to be built or dropped.
    pub fn wake_index(&self) {
        self.index_wake.notify_one();
    }

    /// Tells the split worker a table's throughput or partitions changed.
    pub fn wake_split(&self) {
        self.split_wake.notify_one();
    }

    pub(crate) fn split_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.split_wake.notified()
    }

    pub(crate) fn index_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.index_wake.notified()
    }

    pub(crate) fn ttl_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.ttl_wake.notified()
    }

    pub(crate) fn purge_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.purge_wake.notified()
    }
}

/// Seconds since the Unix epoch, with millisecond fraction (DynamoDB's timestamps).
pub fn now_secs() -> f64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}
