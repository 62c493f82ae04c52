//! Turns phase results into the printed table and the `--json` document.
//!
//! JSON shape (all throughputs in operations per second, latencies in milliseconds):
//!
//! ```text
//! { "workload", "endpoint", "table", "records", "operations", "concurrency", "value_size",
//!   "distribution",
//!   "run": PHASE,
//!   "reference": null | { "before": PHASE, "after": PHASE, "throughput": mean of both } }
//! PHASE = { "elapsed_secs", "aborted": null | "why", "read_misses",
//!           "total": { "count", "errors", "throughput", "ratio_to_reference" },
//!           "operations": { "<READ|UPDATE|INSERT|SCAN|READ-MODIFY-WRITE>": {
//!               "count", "errors", "throughput", "ratio_to_reference",
//!               "latency_ms": { "mean", "p50", "p90", "p99", "p99_9", "max" },
//!               "errors_by_type": { "<type>": n } } } }
//! ```
//!
//! `count` is successful operations; `ratio_to_reference` is `throughput` divided by the
//! reference server's overall throughput for the same workload (null without `--reference`).

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::runner::{per_second, OpStats, PhaseResult};
use crate::workload::Op;

/// What the run was, for the report header.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Workload name.
    pub workload: String,
    /// Endpoint URL.
    pub endpoint: String,
    /// Table name.
    pub table: String,
    /// Records.
    pub records: u64,
    /// Operations requested (`None` = until the deadline).
    pub operations: Option<u64>,
    /// Connections.
    pub concurrency: usize,
    /// Bytes of field data per item.
    pub value_size: usize,
    /// Distribution name.
    pub distribution: String,
}

/// Everything measured in one invocation.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was run.
    pub info: RunInfo,
    /// The real endpoint.
    pub run: PhaseResult,
    /// The reference server before and after, with `--reference`.
    pub reference: Option<(PhaseResult, PhaseResult)>,
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn ratio(throughput: f64, reference: Option<f64>) -> Value {
    match reference {
        Some(r) if r > 0.0 => json!(round3(throughput / r)),
        _ => Value::Null,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The latencies of every operation of a phase in one histogram (`None` if it has none).
fn all_operations(phase: &PhaseResult) -> Option<hdrhistogram::Histogram<u64>> {
    let mut hists = phase.ops.iter().flatten().map(|s| &s.hist);
    let mut all = hists.next()?.clone();
    for h in hists {
        // Every histogram of a run has the same bounds, so adding cannot fail.
        let _ = all.add(h);
    }
    (!all.is_empty()).then_some(all)
}

fn op_json(stats: &OpStats, phase: &PhaseResult, reference: Option<f64>) -> Value {
    let h = &stats.hist;
    let tput = per_second(h.len(), phase.elapsed);
    let latency = if h.is_empty() {
        Value::Null
    } else {
        json!({
            "mean": round3(h.mean() / 1000.0),
            "p50": ms(h.value_at_quantile(0.50)),
            "p90": ms(h.value_at_quantile(0.90)),
            "p99": ms(h.value_at_quantile(0.99)),
            "p99_9": ms(h.value_at_quantile(0.999)),
            "max": ms(h.max()),
        })
    };
    json!({
        "count": h.len(),
        "errors": stats.error_count(),
        "throughput": round1(tput),
        "ratio_to_reference": ratio(tput, reference),
        "latency_ms": latency,
        "errors_by_type": stats.errors,
    })
}

/// The JSON document of one phase.
pub fn phase_json(phase: &PhaseResult, reference: Option<f64>) -> Value {
    let mut ops = Map::new();
    for op in Op::ALL {
        if let Some(stats) = &phase.ops[op.index()] {
            ops.insert(op.name().to_owned(), op_json(stats, phase, reference));
        }
    }
    json!({
        "elapsed_secs": round3(phase.elapsed.as_secs_f64()),
        "aborted": phase.aborted,
        "read_misses": phase.read_misses,
        "total": {
            "count": phase.total_ok,
            "errors": phase.total_errors,
            "throughput": round1(phase.throughput()),
            "ratio_to_reference": ratio(phase.throughput(), reference),
        },
        "operations": ops,
    })
}

impl Report {
    /// Mean overall throughput of the two reference runs, if any.
    pub fn reference_throughput(&self) -> Option<f64> {
        self.reference
            .as_ref()
            .map(|(before, after)| (before.throughput() + after.throughput()) / 2.0)
    }

    /// The `--json` document.
    pub fn to_json(&self) -> Value {
        let r = self.reference_throughput();
        let i = &self.info;
        json!({
            "workload": i.workload,
            "endpoint": i.endpoint,
            "table": i.table,
            "records": i.records,
            "operations": i.operations,
            "concurrency": i.concurrency,
            "value_size": i.value_size,
            "distribution": i.distribution,
            "run": phase_json(&self.run, r),
            "reference": self.reference.as_ref().map(|(before, after)| json!({
                "before": phase_json(before, None),
                "after": phase_json(after, None),
                "throughput": r.map(round1),
            })),
        })
    }

    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let i = &self.info;
        let r = self.reference_throughput();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "workload {} against {} (table {}, {} records, {} connections, {} B values, {})",
            i.workload, i.endpoint, i.table, i.records, i.concurrency, i.value_size, i.distribution
        );
        if let Some((before, after)) = &self.reference {
            let _ = writeln!(
                out,
                "reference server: {:.0} ops/s before, {:.0} ops/s after (mean {:.0})",
                before.throughput(),
                after.throughput(),
                r.unwrap_or_default()
            );
        }
        let _ = writeln!(
            out,
            "{:<18} {:>10} {:>8} {:>10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "operation",
            "count",
            "errors",
            "ops/s",
            "ratio",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms"
        );
        let ratio_text = |t: f64| match r {
            Some(r) if r > 0.0 => format!("{:.3}", t / r),
            _ => "-".to_owned(),
        };
        let run = &self.run;
        for op in Op::ALL {
            let Some(stats) = &run.ops[op.index()] else {
                continue;
            };
            let h = &stats.hist;
            let t = per_second(h.len(), run.elapsed);
            let lat = |q: f64| {
                if h.is_empty() {
                    "-".to_owned()
                } else {
                    format!("{:.3}", ms(h.value_at_quantile(q)))
                }
            };
            let max = if h.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.3}", ms(h.max()))
            };
            let _ = writeln!(
                out,
                "{:<18} {:>10} {:>8} {:>10.0} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
                op.name(),
                h.len(),
                stats.error_count(),
                t,
                ratio_text(t),
                lat(0.5),
                lat(0.9),
                lat(0.99),
                lat(0.999),
                max
            );
        }
        let _ = writeln!(
            out,
            "{:<18} {:>10} {:>8} {:>10.0} {:>6}   in {:.2} s",
            "TOTAL",
            run.total_ok,
            run.total_errors,
            run.throughput(),
            ratio_text(run.throughput()),
            run.elapsed.as_secs_f64()
        );
        // The reference server's own latencies: what the load generator and this
        // machine alone put into a percentile, the floor to read the endpoint's against.
        if let Some((before, after)) = &self.reference {
            for (name, phase) in [("reference before", before), ("reference after", after)] {
                let Some(h) = all_operations(phase) else {
                    continue;
                };
                let q = |q: f64| ms(h.value_at_quantile(q));
                let _ = writeln!(
                    out,
                    "{:<18} {:>10} {:>8} {:>10.0} {:>6} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
                    name,
                    h.len(),
                    phase.total_errors,
                    phase.throughput(),
                    "-",
                    q(0.5),
                    q(0.9),
                    q(0.99),
                    q(0.999),
                    ms(h.max())
                );
            }
        }
        if run.read_misses > 0 {
            let _ = writeln!(
                out,
                "{} successful reads found no item (was the table loaded with the same \
                 --records?)",
                run.read_misses
            );
        }
        for op in Op::ALL {
            if let Some(stats) = &run.ops[op.index()] {
                for (kind, n) in &stats.errors {
                    let _ = writeln!(out, "error {} {kind}: {n}", op.name());
                }
            }
        }
        if let Some(why) = &run.aborted {
            let _ = writeln!(out, "ABORTED: {why}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn phase() -> PhaseResult {
        let mut read = OpStats {
            hist: hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap(),
            errors: Default::default(),
        };
        for v in 1..=1000 {
            read.hist.record(v).unwrap();
        }
        read.errors.insert("ThrottlingException".to_owned(), 2);
        let mut ops: [Option<OpStats>; 5] = Default::default();
        ops[Op::Read.index()] = Some(read);
        PhaseResult {
            elapsed: Duration::from_secs(2),
            ops,
            read_misses: 0,
            aborted: None,
            total_ok: 1000,
            total_errors: 2,
        }
    }

    #[test]
    fn json_shape() {
        let report = Report {
            info: RunInfo {
                workload: "c".into(),
                endpoint: "http://127.0.0.1:1".into(),
                table: "usertable".into(),
                records: 10,
                operations: Some(1002),
                concurrency: 4,
                value_size: 1000,
                distribution: "zipfian".into(),
            },
            run: phase(),
            reference: Some((phase(), phase())),
        };
        let v = report.to_json();
        assert_eq!(v["workload"], "c");
        assert_eq!(v["run"]["total"]["count"], 1000);
        assert_eq!(v["run"]["total"]["errors"], 2);
        assert_eq!(v["run"]["total"]["throughput"], 500.0);
        assert_eq!(v["run"]["total"]["ratio_to_reference"], 1.0);
        let read = &v["run"]["operations"]["READ"];
        assert_eq!(read["count"], 1000);
        assert_eq!(read["errors_by_type"]["ThrottlingException"], 2);
        let p50 = read["latency_ms"]["p50"].as_f64().unwrap();
        assert!((0.49..=0.51).contains(&p50), "{p50}");
        for k in ["mean", "p90", "p99", "p99_9", "max"] {
            assert!(read["latency_ms"][k].is_number(), "{k}");
        }
        assert_eq!(v["reference"]["throughput"], 500.0);
        assert!(v["reference"]["before"]["total"]["ratio_to_reference"].is_null());
        assert!(v["run"]["aborted"].is_null());
        let text = report.to_text();
        assert!(
            text.contains("READ") && text.contains("ThrottlingException: 2"),
            "{text}"
        );
        // The reference server's latencies are printed too, from all its operations.
        let row = text
            .lines()
            .find(|l| l.starts_with("reference after"))
            .unwrap_or_else(|| panic!("{text}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[2..5], ["1000", "2", "500"], "{row}");
        let p50: f64 = cells[6].parse().unwrap();
        assert!((0.49..=0.51).contains(&p50), "{row}");
        assert!(text.contains("reference before"), "{text}");
    }
}
