//! Integration tests for reading many items at once and for secondary indexes (issue 4):
//! Query, Scan (also parallel and while the table changes), BatchGetItem/BatchWriteItem,
//! local and global secondary indexes, and the online backfill of a GSI added with
//! UpdateTable. Each test starts the real `shoal serve --in-memory` on an ephemeral
//! 127.0.0.1 port (the harness of `tests/it/common`) and asserts what an
//! `aws-sdk-dynamodb` client (or, for exact error bodies, a raw HTTP client) observes.
//!
//! - `query`: 10,000 items paged with several page sizes in both directions, DynamoDB's
//!   sort orders for N, S and B sort keys, filters, Select, projections, key conditions.
//! - `scan`: full and parallel scans, paging while the table is being written.
//! - `pages`: the 1 MB page limit and consumed capacity per page.
//! - `batch`: BatchGetItem and BatchWriteItem.
//! - `indexes`: LSI and GSI projections, sparse and non-unique indexes, index errors.
//! - `backfill`: a GSI added to a table holding 50,000 items while writes continue.
//! - `errors`: invalid key conditions, start keys, segments and limits.

// A failed unwrap is a failed test; helpers outside `#[test]` fns panic the same way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../it/common/mod.rs"]
mod common;
mod support;

mod backfill;
mod batch;
mod collections;
mod errors;
mod indexes;
mod pages;
mod query;
mod scan;
