//! The `shoal` binary: `shoal serve` runs a node; `shoal admin` asks a running node about
//! its tables; `shoal bench` runs the load generator.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use shoal::config::Config;

// Measured: glibc malloc was ~22% of server CPU under a GetItem load (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "shoal",
    version,
    about = "A self-hostable database that speaks the Amazon DynamoDB API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node.
    Serve(ServeArgs),
    /// Ask a running node about its tables.
    Admin(AdminArgs),
    /// YCSB-style load generator for any DynamoDB-compatible endpoint (see bench/README.md).
    Bench(shoal_bench::BenchArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file (see etc/config-template.toml).
    #[arg(long, env = "SHOAL_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8000].
    #[arg(long, env = "SHOAL_LISTEN")]
    listen: Option<String>,
    /// Data directory [default: ./shoal-data].
    #[arg(long, env = "SHOAL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep data in a temporary directory removed at exit.
    #[arg(long, env = "SHOAL_IN_MEMORY")]
    in_memory: bool,
    /// `accept` any access key (default) or `enforce` signatures.
    #[arg(long, env = "SHOAL_AUTH")]
    auth: Option<String>,
    /// AWS shared-credentials file with the keys accepted in enforce mode.
    #[arg(long, env = "SHOAL_CREDENTIALS_FILE")]
    credentials_file: Option<PathBuf>,
    /// Region reported in ARNs.
    #[arg(long, env = "SHOAL_REGION")]
    region: Option<String>,
    /// Seconds between TTL sweeps.
    #[arg(long, env = "SHOAL_TTL_INTERVAL_SECS")]
    ttl_interval_secs: Option<u64>,
    /// Read units the node commits to provisioned tables in total [default: 40000].
    #[arg(long, env = "SHOAL_NODE_READ_UNITS")]
    node_read_units: Option<u64>,
    /// Write units the node commits to provisioned tables in total [default: 40000].
    #[arg(long, env = "SHOAL_NODE_WRITE_UNITS")]
    node_write_units: Option<u64>,
    /// Threads serving requests [default: 0, one fewer than the cores, at least one].
    #[arg(long, env = "SHOAL_HTTP_WORKERS")]
    http_workers: Option<usize>,
}

#[derive(clap::Args)]
struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Print a table's partitions: key ranges, items, bytes, lineage and capacity share.
    Partitions(PartitionsArgs),
}

#[derive(clap::Args)]
struct PartitionsArgs {
    /// Table name.
    table: String,
    /// The node's URL.
    #[arg(long, env = "SHOAL_ENDPOINT", default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    /// Print the node's JSON as received instead of a table.
    #[arg(long)]
    json: bool,
    /// Region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Access key id to sign with (needed when the node runs `--auth enforce`).
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        hide_env_values = true,
        default_value = "shoal"
    )]
    access_key: String,
    /// Secret access key to sign with.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        hide_default_value = true,
        default_value = "shoal"
    )]
    secret_key: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Bench(args) => shoal_bench::run(args),
        Command::Admin(AdminArgs {
            command: AdminCommand::Partitions(args),
        }) => {
            let done = shoal::admin::client::partitions(
                &args.endpoint,
                &args.table,
                &shoal::admin::client::Credentials {
                    access_key: args.access_key,
                    secret_key: args.secret_key,
                    region: args.region,
                },
                args.json,
                &mut std::io::stdout().lock(),
            );
            // An operator command: one line saying what went wrong, never a backtrace.
            if let Err(e) = done {
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Serve(args) => {
            let mut config = match &args.config {
                Some(path) => Config::from_file(path)?,
                None => Config::default(),
            };
            if let Some(v) = args.listen {
                config.listen = v;
            }
            if let Some(v) = args.data_dir {
                config.data_dir = v;
            }
            if args.in_memory {
                config.in_memory = true;
            }
            if let Some(v) = args.auth {
                config.auth.mode = v;
            }
            if let Some(v) = args.credentials_file {
                config.auth.credentials_file = Some(v);
            }
            if let Some(v) = args.region {
                config.region = v;
            }
            if let Some(v) = args.ttl_interval_secs {
                config.workers.ttl_interval_secs = v;
            }
            if let Some(v) = args.node_read_units {
                config.throughput.node_read_units = v;
            }
            if let Some(v) = args.node_write_units {
                config.throughput.node_write_units = v;
            }
            if let Some(v) = args.http_workers {
                config.http.workers = v;
            }
            init_logging(&config.log);
            // Validated here as well as in `run`: the runtime's size comes from it.
            config.validate()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .worker_threads(config.http.workers())
                .thread_name("shoal-worker")
                .build()?;
            runtime.block_on(shoal::serve::run(config))
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
