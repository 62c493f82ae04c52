//! shoal's server: configuration, the DynamoDB HTTP API, the catalog, the operations,
//! and the background workers of one node.
//!
//! It is not: the storage engine (`shoal-storage`), the data model (`shoal-types`), the
//! expression language (`shoal-expr`) or SigV4 (`shoal-auth`); it wires them together.
//!
//! Request flow:
//!
//! ```text
//! client ──POST /──▶ api::handle: target, content type, size, gzip, SigV4, JSON
//!                     │
//!                     ▼
//!                ops::dispatch ──▶ ops::{tables, items}: validate everything first
//!                     │
//!                     ▼  (blocking pool)
//!                catalog ──▶ Table::route(point) ──▶ Partition::write / get
//!                     │
//!                     ▼
//!                Durability::wait(ticket)  (group commit) ──▶ response + x-amz-crc32
//! ```
//!
//! Besides `POST /`, the node serves `GET /metrics` (Prometheus, [`metrics`]) and the
//! operator routes of [`admin`] (`shoal admin ...`).

pub mod admin;
pub mod api;
pub mod catalog;
pub mod collection;
pub mod config;
pub mod engine_reads;
pub mod index;
pub mod index_throughput;
pub mod metrics;
pub mod node;
pub mod ops;
pub mod reservation;
pub mod serve;
pub mod shedding;
pub mod splits;
pub mod throughput;
pub mod workers;
