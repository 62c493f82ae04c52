//! Integration tests for `shoal serve`: each test starts the real binary on an ephemeral
//! 127.0.0.1 port and drives it with the official `aws-sdk-dynamodb` client or with raw
//! HTTP requests, asserting what a DynamoDB client observes (issue 2, items 2-9).
//!
//! - `tables`: CreateTable/DescribeTable/ListTables/DeleteTable and their validation
//!   messages; `table_settings`: UpdateTable, tags, TTL settings, limits, endpoints.
//! - `items`: PutItem/GetItem/DeleteItem/UpdateItem, projections, update expressions,
//!   return values; `conditions`: conditional writes; `capacity`: consumed capacity;
//!   `index_capacity`: index write and read units, GSI throughput.
//! - `types`: the ten attribute types and DynamoDB's value and size limits.
//! - `protocol`: the wire protocol seen by a raw client (headers, error bodies, content
//!   types, gzip, body limits, auth header parsing).
//! - `auth`: `--auth enforce` with SDK-signed requests.
//! - `durability`: restart, `kill -9` during acknowledged writes, configuration.
//! - `ttl`: the background sweeper deletes expired items.
//! - `capacity_rules`: DynamoDB's limits on changing capacity and billing mode, and the
//!   node's capacity reservations for provisioned tables.
//! - `metrics`: `GET /metrics` counters after known operations; `shoal admin partitions`.

// A failed unwrap is a failed test; helpers outside `#[test]` fns panic the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod auth;
mod capacity;
mod capacity_rules;
mod conditions;
mod durability;
mod index_capacity;
mod items;
mod metrics;
mod protocol;
mod splits;
mod table_settings;
mod tables;
mod throughput;
mod ttl;
mod types;

mod expressions;
mod legacy;
