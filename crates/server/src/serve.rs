//! `shoal serve`: open storage and catalog, start workers, serve HTTP, shut down cleanly.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use shoal_auth::KeyStore;
use shoal_storage::{Store, StoreConfig};
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::node::{AuthMode, Node, NodeConfig};
use crate::shedding::LoadWorker;
use crate::splits::{SplitPolicy, SplitWorker};
use crate::workers::{self, IndexWorker, MaintenanceWorker, PurgeWorker, TtlWorker, Wake};

/// Runs a node until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate()?;
    let addr = config.listen_addr()?;
    // `--in-memory` keeps everything in a temporary directory dropped (removed) at exit.
    let temp = if config.in_memory {
        Some(tempfile::Builder::new().prefix("shoal-mem-").tempdir()?)
    } else {
        None
    };
    let data_dir = match &temp {
        Some(t) => t.path().to_path_buf(),
        None => config.data_dir.clone(),
    };
    let keys = load_keys(&config)?;
    let auth = if config.auth.mode == "enforce" {
        if keys.is_empty() {
            anyhow::bail!(
                "auth mode enforce needs keys: set auth.credentials_file / --credentials-file \
                 or SHOAL_ACCESS_KEY_ID and SHOAL_SECRET_ACCESS_KEY"
            );
        }
        AuthMode::Enforce
    } else {
        AuthMode::Accept
    };

    let store = Store::open(StoreConfig {
        path: data_dir.join("db"),
        cache_bytes: config.storage.cache_mb * 1024 * 1024,
        item_cache_bytes: config.storage.item_cache_mb * 1024 * 1024,
    })
    .with_context(|| format!("opening data directory {}", data_dir.display()))?;
    let catalog = Catalog::open(store.clone(), config.region.clone())?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    crate::throughput::set_enforced(config.throughput.enforce);
    let node = Node::new(
        catalog,
        NodeConfig {
            region: config.region.clone(),
            advertised_address: local.to_string(),
            on_demand_partitions: config.storage.on_demand_partitions,
            item_collection_limit: config.storage.item_collection_limit_bytes,
            auth,
            keys,
            split: SplitPolicy {
                max_bytes: config.storage.partition_split_bytes,
                heat_fraction: config.storage.heat_split_fraction,
                heat_intervals: config.storage.heat_split_secs,
                ..SplitPolicy::default()
            },
            admission: config.throughput.admission(),
            idle_timeout: config.http.idle_timeout(),
        },
    )?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(workers::run(
            Arc::clone(&node),
            TtlWorker::default(),
            Duration::from_secs(config.workers.ttl_interval_secs),
            Wake::Ttl,
            stop_rx.clone(),
        )),
        tokio::spawn(workers::run(
            Arc::clone(&node),
            MaintenanceWorker {
                retention: Duration::from_secs(config.storage.log_retention_secs),
            },
            Duration::from_secs(config.workers.maintenance_interval_secs),
            Wake::None,
            stop_rx.clone(),
        )),
        tokio::spawn(workers::run(
            Arc::clone(&node),
            IndexWorker::default(),
            Duration::from_secs(config.workers.maintenance_interval_secs),
            Wake::Index,
            stop_rx.clone(),
        )),
        tokio::spawn(workers::run(
            Arc::clone(&node),
            SplitWorker::new(node.config.split),
            // Heat is measured per interval: one second.
            Duration::from_secs(1),
            Wake::Split,
            stop_rx.clone(),
        )),
        tokio::spawn(workers::run(
            Arc::clone(&node),
            LoadWorker::default(),
            // The best-effort rate moves once per measured second.
            Duration::from_secs(1),
            Wake::None,
            stop_rx.clone(),
        )),
        tokio::spawn(workers::run(
            Arc::clone(&node),
            PurgeWorker,
            Duration::from_secs(config.workers.maintenance_interval_secs),
            Wake::Purge,
            stop_rx.clone(),
        )),
    ];

    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    tracing::info!(
        "shoal listening on http://{local} ({workers} request worker{}), data in {}{}",
        if workers == 1 { "" } else { "s" },
        data_dir.display(),
        if config.in_memory {
            " (in memory: removed at exit)"
        } else {
            ""
        }
    );
    crate::api::serve_http(listener, Arc::clone(&node), shutdown_signal()).await;

    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let store = node.catalog.store().clone();
    let node2 = Arc::clone(&node);
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for table in node2.catalog.all() {
            for p in &table.partitions {
                store.checkpoint(p)?;
            }
        }
        store.close()?;
        Ok(())
    })
    .await??;
    drop(temp);
    tracing::info!("stopped");
    Ok(())
}

fn load_keys(config: &Config) -> anyhow::Result<KeyStore> {
    let mut keys = KeyStore::new();
    if let Some(path) = &config.auth.credentials_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading credentials file {}", path.display()))?;
        keys.load_credentials_file(&text)
            .map_err(|e| anyhow::anyhow!("credentials file {}: {e}", path.display()))?;
    }
    if let (Ok(id), Ok(secret)) = (
        std::env::var("SHOAL_ACCESS_KEY_ID"),
        std::env::var("SHOAL_SECRET_ACCESS_KEY"),
    ) {
        keys.insert(id, secret);
    }
    Ok(keys)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
