//! When partitions split (US09996573B1), and the worker that splits them online.
//!
//! A table's partitions split for three reasons:
//! - **Throughput.** A PROVISIONED table's partitions each hold `rate × share` of its
//!   capacity, and no partition can serve more than 3,000 read or 1,000 write units per
//!   second. When UpdateTable raises the rate, the split planner
//!   (`shoal_admission::planner`) gives the fewest partitions that serve it and the
//!   binary splits that get there, generation by generation.
//! - **Size.** A partition larger than the configured size (10 GB by default) splits;
//!   the planner counts it in the same plan.
//! - **Heat.** An on-demand partition that consumes at least a fraction of its ceiling
//!   for a sustained period splits in half, so that its key range is served by two
//!   partitions with a ceiling each (DynamoDB's split for heat). Committed partitions do
//!   not split for heat: their capacity is their share of the table's rate, which a
//!   split would only divide.
//!
//! The plan is recomputed from the table's current partitions at every step rather than
//! stored, so a restart in the middle of a plan simply continues it: every step runs
//! the next generation of the current plan, and a plan whose next generation is empty
//! is complete. Meanwhile DescribeTable reports the table as UPDATING.

use std::collections::HashMap;

use shoal_admission::planner::{self, PartitionInfo};
use shoal_admission::{KeyRange, PartitionLimits, Throughput};

use crate::api::error::{ApiError, ApiResult};
use crate::catalog::{BillingMode, Table};
use crate::node::Node;
use crate::workers::{Worker, WorkerState};

/// When partitions split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitPolicy {
    /// A partition larger than this splits.
    pub max_bytes: u64,
    /// An on-demand partition consuming at least this fraction of its ceiling...
    pub heat_fraction: f64,
    /// ...for this many consecutive worker intervals splits for heat.
    pub heat_intervals: u32,
    /// Heat never takes a table beyond this many partitions.
    pub max_heat_partitions: usize,
}

impl Default for SplitPolicy {
    fn default() -> Self {
        SplitPolicy {
            max_bytes: PartitionLimits::default().max_bytes,
            heat_fraction: 0.8,
            heat_intervals: 30,
            max_heat_partitions: 64,
        }
    }
}

impl SplitPolicy {
    fn limits(&self) -> PartitionLimits {
        PartitionLimits {
            max_bytes: self.max_bytes,
            ..PartitionLimits::default()
        }
    }
}

/// Shortest interval over which heat is judged (the worker runs about once a second).
const HEAT_INTERVAL_US: u64 = 900_000;

/// One split to run: a partition and the ranges of its children, in point order.
pub type SplitStep = (u64, Vec<(u64, u64)>);

/// The splits of the next generation of the table's plan (empty when the table has
/// the partitions it needs).
pub fn next_generation(table: &Table, policy: &SplitPolicy) -> ApiResult<Vec<SplitStep>> {
    let target = match table.meta.billing_mode {
        BillingMode::Provisioned => Throughput::new(
            table.meta.read_capacity as f64,
            table.meta.write_capacity as f64,
        ),
        // On demand there is no rate to plan for; only the size limit applies here.
        BillingMode::PayPerRequest => Throughput::new(0.0, 0.0),
    };
    let mut infos = Vec::with_capacity(table.partitions.len());
    for p in &table.partitions {
        let d = p.desc();
        let range = KeyRange::new(d.start, d.end)
            .ok_or_else(|| ApiError::internal(format!("partition {} has no range", d.id)))?;
        infos.push(PartitionInfo {
            id: d.id,
            range,
            size_bytes: p.stats().bytes,
            capacity: table
                .throughput
                .rates(d.id)
                .unwrap_or(Throughput::new(0.0, 0.0)),
        });
    }
    let plan = planner::plan(&infos, target, &policy.limits()).map_err(ApiError::internal)?;
    let Some(first) = plan.generations.first() else {
        return Ok(Vec::new());
    };
    let mut steps = Vec::with_capacity(first.splits.len());
    for s in &first.splits {
        let Some(p) = infos.iter().find(|p| p.range == s.range) else {
            return Err(ApiError::internal(
                "the plan's first generation splits a range that is not a partition",
            ));
        };
        steps.push((
            p.id,
            vec![
                (s.left.range.start, s.left.range.end),
                (s.right.range.start, s.right.range.end),
            ],
        ));
    }
    Ok(steps)
}

/// Whether the table is still splitting toward its plan (DescribeTable says UPDATING).
pub fn is_splitting(table: &Table, policy: &SplitPolicy) -> bool {
    next_generation(table, policy).is_ok_and(|g| !g.is_empty())
}

/// Runs the next generation of every table's plan, then heat splits.
#[derive(Debug, Default)]
pub struct SplitWorker {
    /// When to split.
    pub policy: SplitPolicy,
    /// Consecutive hot intervals per partition.
    hot: HashMap<u64, u32>,
    /// When heat was last taken, microseconds (`throughput::now_us`).
    last_heat_us: Option<u64>,
}

impl SplitWorker {
    /// A worker with the given policy.
    pub fn new(policy: SplitPolicy) -> SplitWorker {
        SplitWorker {
            policy,
            ..SplitWorker::default()
        }
    }

    fn run_steps(node: &Node, table: &Table, steps: &[SplitStep]) -> anyhow::Result<usize> {
        let mut done = 0;
        for (parent, ranges) in steps {
            let started = std::time::Instant::now();
            match node.catalog.split(&table.meta.name, *parent, ranges) {
                Ok(Some(children)) => {
                    done += 1;
                    tracing::info!(
                        table = %table.meta.name,
                        parent,
                        ?children,
                        took_ms = started.elapsed().as_millis() as u64,
                        "partition split"
                    );
                }
                Ok(None) => {}
                Err(e) => return Err(anyhow::anyhow!("split of partition {parent}: {e}")),
            }
        }
        Ok(done)
    }

    /// Partitions that stayed hot long enough, as halving splits.
    fn heat_steps(&mut self, table: &Table, seconds: f64) -> Vec<SplitStep> {
        let heat = table.throughput.take_heat();
        if table.meta.billing_mode != BillingMode::PayPerRequest {
            return Vec::new();
        }
        let ceiling = PartitionLimits::default().ceiling();
        let mut steps = Vec::new();
        let room = self
            .policy
            .max_heat_partitions
            .saturating_sub(table.partitions.len());
        for p in &table.partitions {
            let d = p.desc();
            let used = heat
                .get(&d.id)
                .copied()
                .unwrap_or(Throughput::new(0.0, 0.0));
            let hot = used.rcu / seconds >= self.policy.heat_fraction * ceiling.rcu
                || used.wcu / seconds >= self.policy.heat_fraction * ceiling.wcu;
            let count = self.hot.entry(d.id).or_insert(0);
            *count = if hot { *count + 1 } else { 0 };
            if *count >= self.policy.heat_intervals && steps.len() < room && d.end > d.start {
                let mid = d.start + (d.end - d.start) / 2;
                steps.push((d.id, vec![(d.start, mid), (mid + 1, d.end)]));
            }
        }
        steps
    }
}

impl Worker for SplitWorker {
    fn name(&self) -> &'static str {
        "split"
    }

    fn work(&mut self, node: &Node) -> anyhow::Result<WorkerState> {
        // Heat is judged over whole intervals of about a second: a step that follows a
        // busy one straight away would otherwise count a few milliseconds as an interval.
        let now = crate::throughput::now_us();
        let seconds = match self.last_heat_us {
            Some(t) if now.saturating_sub(t) >= HEAT_INTERVAL_US => {
                self.last_heat_us = Some(now);
                now.saturating_sub(t) as f64 / 1e6
            }
            Some(_) => 0.0,
            None => {
                self.last_heat_us = Some(now);
                0.0
            }
        };
        let mut busy = false;
        let tables = node.catalog.all();
        let live: std::collections::HashSet<u64> = tables
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.desc().id))
            .collect();
        self.hot.retain(|id, _| live.contains(id));
        for table in tables {
            let steps = next_generation(&table, &self.policy)
                .map_err(|e| anyhow::anyhow!("planning {}: {e}", table.meta.name))?;
            if !steps.is_empty() {
                busy |= Self::run_steps(node, &table, &steps)? > 0;
                continue;
            }
            if seconds <= 0.0 {
                continue;
            }
            let steps = self.heat_steps(&table, seconds);
            if !steps.is_empty() {
                Self::run_steps(node, &table, &steps)?;
                for (parent, _) in &steps {
                    self.hot.remove(parent);
                }
            }
        }
        Ok(if busy {
            WorkerState::Busy
        } else {
            WorkerState::Idle
        })
    }
}
