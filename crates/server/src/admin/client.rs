//! The client side of `shoal admin`: one signed GET to a node, then a table for people or
//! the JSON as received for scripts.
//!
//! Requests are signed with the bench crate's SigV4 signer (credentials from the usual
//! `AWS_*` variables), so they pass a node running `--auth enforce`. Every call is bounded
//! (connect and request timeouts); an unreachable node, a refused signature or an unknown
//! table is an error, which makes the binary exit non-zero.

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Context};
use shoal_bench::client::{error_type, ClientConfig, Conn, Endpoint};
use shoal_bench::sigv4::Signer;

use super::TablePartitions;

/// Who signs the requests.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Region in the signature's scope.
    pub region: String,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// DynamoDB's table-name rule. Checked here because the name goes into the request path
/// as is (these characters need no escaping, so the signed path is the sent one).
fn check_table_name(name: &str) -> anyhow::Result<()> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok {
        bail!(
            "invalid table name {name:?}: table names are 3 to 255 characters among a-z, A-Z, \
             0-9, '_', '-' and '.'"
        );
    }
    Ok(())
}

/// `shoal admin partitions`: fetches a table's partitions from the node at `endpoint` and
/// writes them to `out`, as a table or (`json`) as the node's JSON.
pub fn partitions(
    endpoint: &str,
    table: &str,
    credentials: &Credentials,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    check_table_name(table)?;
    let path = format!("/admin/tables/{table}/partitions");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let body = runtime.block_on(get(endpoint, &path, credentials))?;
    if json {
        out.write_all(&body)?;
        writeln!(out)?;
        return Ok(());
    }
    let report: TablePartitions = serde_json::from_slice(&body)
        .with_context(|| format!("{endpoint} answered with an unexpected body"))?;
    print_partitions(&report, out)?;
    Ok(())
}

/// One signed GET; the body of a 200, or an error naming the endpoint and what it said.
async fn get(endpoint: &str, path: &str, credentials: &Credentials) -> anyhow::Result<Vec<u8>> {
    let resolved = Endpoint::resolve(endpoint).await?;
    let mut conn = Conn::new(
        resolved,
        ClientConfig {
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        },
        Signer::new(
            &credentials.access_key,
            &credentials.secret_key,
            &credentials.region,
        ),
    );
    let (status, body) = conn
        .get(path)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {endpoint}: {e}"))?;
    if status == http::StatusCode::OK {
        return Ok(body.to_vec());
    }
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_default();
    bail!(
        "{endpoint} refused GET {path}: {} (HTTP {}){}{message}",
        error_type(status, &body),
        status.as_u16(),
        if message.is_empty() { "" } else { ": " },
    )
}

/// Writes the report as an aligned table: a summary line, then one row per partition.
/// The capacity columns show the partition's bucket rates when the table's capacity is
/// enforced and `-` otherwise; SHARE is always its fraction of the key space.
pub fn print_partitions(r: &TablePartitions, out: &mut dyn Write) -> std::io::Result<()> {
    let capacity = if r.billing_mode == "PROVISIONED" {
        format!(
            "{} RCU / {} WCU",
            r.read_capacity_units, r.write_capacity_units
        )
    } else {
        "on demand".to_string()
    };
    writeln!(
        out,
        "table {}: {} ({capacity}), partitions: {}, items: {}, bytes: {}",
        r.table_name,
        r.billing_mode,
        r.partitions.len(),
        r.item_count,
        r.table_size_bytes
    )?;
    let rate = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    let rows: Vec<[String; 10]> = r
        .partitions
        .iter()
        .map(|p| {
            [
                p.partition_id.to_string(),
                p.start.clone(),
                p.end.clone(),
                p.item_count.to_string(),
                p.size_bytes.to_string(),
                p.generation.to_string(),
                p.parent
                    .map_or_else(|| "-".to_string(), |id| id.to_string()),
                format!("{:.2}%", p.key_space_share * 100.0),
                rate(p.read_units_per_second),
                rate(p.write_units_per_second),
            ]
        })
        .collect();
    let head = [
        "ID", "START", "END", "ITEMS", "BYTES", "GEN", "PARENT", "SHARE", "RCU/S", "WCU/S",
    ];
    let mut widths = head.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            // Text left-aligned, numbers right-aligned (ID, START and END are text-like).
            if i < 3 || i == 6 {
                s.push_str(&format!("{cell:<w$}"));
            } else {
                s.push_str(&format!("{cell:>w$}"));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(&head))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::PartitionInfo;

    #[test]
    fn table_names_are_checked_before_they_reach_a_path() {
        assert!(check_table_name("orders.v2-x_y").is_ok());
        for bad in ["ab", "a/b/c", "a b c", "../x", "tabl%65", &"x".repeat(256)] {
            assert!(check_table_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_print_as_an_aligned_table() {
        let p = |id, start: u64, end: u64, items, rate: Option<f64>| PartitionInfo {
            partition_id: id,
            start: crate::admin::hex_point(start),
            end: crate::admin::hex_point(end),
            item_count: items,
            size_bytes: items * 10,
            generation: 0,
            parent: None,
            key_space_share: 0.5,
            read_units_per_second: rate,
            write_units_per_second: rate.map(|r| r * 2.0),
        };
        let report = TablePartitions {
            table_name: "t1".into(),
            billing_mode: "PROVISIONED".into(),
            read_capacity_units: 10,
            write_capacity_units: 20,
            item_count: 12,
            table_size_bytes: 120,
            partitions: vec![
                p(7, 0, u64::MAX / 2, 2, Some(5.0)),
                p(8, u64::MAX / 2 + 1, u64::MAX, 10, Some(5.0)),
            ],
        };
        let mut out = Vec::new();
        print_partitions(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "table t1: PROVISIONED (10 RCU / 20 WCU), partitions: 2, items: 12, bytes: 120\n\
             ID  START             END               ITEMS  BYTES  GEN  PARENT   SHARE  RCU/S  WCU/S\n\
             7   0000000000000000  7fffffffffffffff      2     20    0  -       50.00%   5.00  10.00\n\
             8   8000000000000000  ffffffffffffffff     10    100    0  -       50.00%   5.00  10.00\n"
        );
    }
}
