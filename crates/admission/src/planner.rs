//! The split planner (US09996573B1): the fewest partitions, and the fewest splits, that
//! let a table serve a new provisioned throughput (or stay under the size limit), and how
//! capacity is allocated across the generations of splits on the way there.
//!
//! # Model
//!
//! Items hash uniformly over the 64-bit key space, so a partition covering `share` of it
//! receives `share` of the table's traffic, and a committed partition is allocated
//! `target × share` ([`crate::TableCapacity`] does the same). A partition can serve at
//! most `max_rcu` / `max_wcu` (3,000 / 1,000) and hold at most `max_bytes` (10 GB).
//! Partitions never merge, as in DynamoDB: a decrease only reallocates.
//!
//! # Algorithm
//!
//! 1. For each existing partition `p` of share `w` and size `s`, the number of children
//!    it needs is `n = max(1, ⌈w·R/max_rcu⌉, ⌈w·W/max_wcu⌉, ⌈s/max_bytes⌉)` for the target
//!    `R` RCU and `W` WCU. Its range is divided into `n` equal parts (within one point).
//!    This is minimal: the children cover `w`, so with `n - 1` children one would hold at
//!    least `w/(n-1)` and exceed a limit; and since partitions are independent, the sum
//!    is the minimal partition count for the table without merging. Partitions with
//!    `n = 1` are not split at all (only their rate changes), so existing unevenness
//!    never causes splits of partitions that are already small enough.
//! 2. A partition needing `n` children is split as a binary tree: a node covering `k`
//!    children splits into `⌊k/2⌋` and `⌈k/2⌉`, at the boundary of the equal parts. When
//!    `n` is a power of two every split is an exact half; otherwise a few splits are at
//!    2:3-like points, which is what keeps the count minimal rather than rounding up to
//!    a power of two. The tree has `⌈log2 n⌉` levels; level `g` of every tree together
//!    is generation `g`, which the caller can run in parallel.
//! 3. Capacity across generations: every node, intermediate or final, is allocated
//!    `min(limit, target × share)`. So no partition is ever given more than it can serve,
//!    and the table's effective throughput rises with each generation until it reaches
//!    the target after the last ([`Generation::capacity_after`]).
//! 4. Sizes of children are estimated as the parent's size × their share of it (uniform
//!    hashing); a caller that knows the real distribution may move a size-driven split
//!    point, at the cost of unequal capacity shares.
//!
//! # Worked example 1: one partition, 5 WCU → 20,000 WCU
//!
//! `n = ⌈1 · 20,000 / 1,000⌉ = 20` (a power-of-two plan would make 32). The tree splits
//! 20 → 10 + 10 → 5 + 5 → 2 + 3 → (1 + 1), (1 + 2) → 1 + 1, five generations:
//!
//! ```text
//! generation  partitions  effective WCU (each node min(1000, 20000 × share))
//!   0 (now)        1       1,000
//!   1              2       2,000
//!   2              4       4,000
//!   3              8       8,000
//!   4             16      16,000   (12 final of 1/20, 4 of 2/20 still capped at 1,000)
//!   5             20      20,000   (20 × 1,000)
//! ```
//!
//! # Worked example 2: uneven partitions
//!
//! Partitions A = half the key space (4 GB), B = a quarter (12 GB), C = a quarter (1 GB),
//! table raised to 6,000 RCU / 4,000 WCU:
//!
//! ```text
//!      share  by RCU ⌈w·6000/3000⌉  by WCU ⌈w·4000/1000⌉  by size  n  children (RCU/WCU each)
//! A    1/2    1                    2                     1        2  1/4: 1,500 / 1,000
//! B    1/4    1                    1                     2        2  1/8:   750 /   500
//! C    1/4    1                    1                     1        1  1/4: 1,500 / 1,000 (no split)
//! ```
//!
//! Five partitions; the even lower bound is max(⌈6000/3000⌉, ⌈4000/1000⌉, ⌈17 GB/10 GB⌉)
//! = 4 — the fifth is there because B must split for size while being narrow. Before the
//! splits (generation 0) the table serves A 3,000/1,000 + B 1,500/1,000 + C 1,500/1,000 =
//! 6,000 RCU / 3,000 WCU; after generation 1, the full 6,000 / 4,000.

use std::collections::HashSet;

use crate::range::covers_space;
use crate::{Error, KeyRange, PartitionLimits, Result, Throughput, EPSILON};

/// Most partitions a plan may produce; beyond it the target is unreasonable input.
pub const MAX_PLANNED_PARTITIONS: u64 = 1 << 20;

/// A table's existing partition, as the planner needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionInfo {
    /// Partition id.
    pub id: u64,
    /// Its key range.
    pub range: KeyRange,
    /// Its current size in bytes.
    pub size_bytes: u64,
    /// Its current committed capacity (reported back as [`Planned::previous`]).
    pub capacity: Throughput,
}

/// What made a partition split (the largest of the child counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitReason {
    /// The target throughput.
    Throughput,
    /// The size limit.
    Size,
}

/// A range and the capacity allocated to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Allotment {
    /// Key range.
    pub range: KeyRange,
    /// Capacity allocated to it.
    pub capacity: Throughput,
}

/// One existing partition split into its final children.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitOp {
    /// The partition that splits.
    pub parent: u64,
    /// Its range.
    pub parent_range: KeyRange,
    /// Why.
    pub reason: SplitReason,
    /// The final children, in key order, with their capacity.
    pub children: Vec<Allotment>,
    /// Generations of binary splits it takes: `⌈log2 children⌉`.
    pub generations: u32,
}

/// One binary split inside a generation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinarySplit {
    /// The existing partition this descends from.
    pub origin: u64,
    /// The range that splits (the origin's own range in generation 1, an intermediate
    /// child's later; ranges are unique at any moment, so this identifies it).
    pub range: KeyRange,
    /// Lower child.
    pub left: Allotment,
    /// Upper child; its `range.start` is the split point.
    pub right: Allotment,
}

/// All binary splits at one level of the trees.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// 1-based.
    pub number: u32,
    /// The splits, in key order.
    pub splits: Vec<BinarySplit>,
    /// Partitions once it is done.
    pub partitions_after: usize,
    /// The table's effective throughput once it is done.
    pub capacity_after: Throughput,
}

/// Where a planned partition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An existing partition, unsplit.
    Existing(u64),
    /// Child `index` (in key order) of an existing partition.
    Split {
        /// The existing partition.
        parent: u64,
        /// 0-based position among its children.
        index: u32,
    },
}

/// A partition of the final layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planned {
    /// Key range.
    pub range: KeyRange,
    /// Where it comes from.
    pub origin: Origin,
    /// Capacity allocated to it.
    pub capacity: Throughput,
    /// Capacity it had, for an existing partition.
    pub previous: Option<Throughput>,
    /// Estimated size (uniform within its parent).
    pub size_bytes: u64,
}

/// The planner's output. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitPlan {
    /// The throughput planned for.
    pub target: Throughput,
    /// Partitions before.
    pub partitions_before: usize,
    /// Partitions after: the minimum without merging.
    pub partitions_after: usize,
    /// `max(partitions_before, ⌈R/max_rcu⌉, ⌈W/max_wcu⌉, ⌈total size/max_bytes⌉)`: what an
    /// evenly partitioned table would need; uneven tables may need more.
    pub lower_bound: usize,
    /// Effective throughput after reallocating, before any split (generation 0).
    pub capacity_before_splits: Throughput,
    /// Splits by existing partition, in key order.
    pub splits: Vec<SplitOp>,
    /// The same splits as binary steps, by generation.
    pub generations: Vec<Generation>,
    /// The final partition map, in key order.
    pub layout: Vec<Planned>,
}

impl SplitPlan {
    /// Whether the plan needs no split (only a reallocation).
    pub fn is_reallocation_only(&self) -> bool {
        self.splits.is_empty()
    }

    /// Checks the plan's invariants: the layout covers the key space exactly, no
    /// partition's load at the target exceeds a limit, allocations sum to the target, and
    /// generations end at the final layout.
    pub fn validate(&self, limits: &PartitionLimits) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(format!("split plan: {m}")));
        let ranges: Vec<KeyRange> = self.layout.iter().map(|p| p.range).collect();
        if !covers_space(&ranges) {
            return bad("layout does not cover the key space exactly".into());
        }
        if self.layout.len() != self.partitions_after {
            return bad("layout length differs from partitions_after".into());
        }
        let within = |load: f64, limit: f64| load <= limit * (1.0 + 1e-9) + EPSILON;
        let mut sum = Throughput::default();
        for p in &self.layout {
            let load = self.target.scaled(p.range.share());
            if !within(load.rcu, limits.max_rcu) || !within(load.wcu, limits.max_wcu) {
                return bad(format!("{:?} would carry {load:?}", p.range));
            }
            if !within(p.capacity.rcu, limits.max_rcu) || !within(p.capacity.wcu, limits.max_wcu) {
                return bad(format!("{:?} allocated {:?}", p.range, p.capacity));
            }
            sum = sum + p.capacity;
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.max(1.0);
        if !close(sum.rcu, self.target.rcu) || !close(sum.wcu, self.target.wcu) {
            return bad(format!(
                "allocations sum to {sum:?}, target {:?}",
                self.target
            ));
        }
        if let Some(last) = self.generations.last() {
            if last.partitions_after != self.partitions_after {
                return bad("last generation does not reach the layout".into());
            }
        }
        Ok(())
    }
}

/// `⌈x⌉`, at least 1, forgiving float noise just above an integer.
fn ceil_count(x: f64) -> u64 {
    let c = (x - EPSILON).ceil();
    if c.is_finite() && c >= 1.0 {
        c as u64
    } else {
        1
    }
}

fn check_inputs(
    partitions: &[PartitionInfo],
    target: Throughput,
    limits: &PartitionLimits,
) -> Result<Vec<PartitionInfo>> {
    if !target.is_valid() {
        return Err(Error::Invalid(format!(
            "invalid target throughput {target:?}"
        )));
    }
    if !limits.is_valid() {
        return Err(Error::Invalid(format!(
            "invalid partition limits {limits:?}"
        )));
    }
    let mut sorted = partitions.to_vec();
    sorted.sort_by_key(|p| p.range.start);
    let ranges: Vec<KeyRange> = sorted.iter().map(|p| p.range).collect();
    if !covers_space(&ranges) {
        return Err(Error::Invalid(
            "partitions do not cover the key space exactly once".into(),
        ));
    }
    let mut ids = HashSet::new();
    if let Some(dup) = sorted.iter().find(|p| !ids.insert(p.id)) {
        return Err(Error::Invalid(format!(
            "partition {} is listed twice",
            dup.id
        )));
    }
    Ok(sorted)
}

/// Children a partition needs, and why.
fn children_needed(
    p: &PartitionInfo,
    target: Throughput,
    limits: &PartitionLimits,
) -> (u64, SplitReason) {
    let w = p.range.share();
    let by_rcu = ceil_count(w * target.rcu / limits.max_rcu);
    let by_wcu = ceil_count(w * target.wcu / limits.max_wcu);
    let by_size = p.size_bytes.div_ceil(limits.max_bytes).max(1);
    let by_throughput = by_rcu.max(by_wcu);
    if by_size > by_throughput {
        (by_size, SplitReason::Size)
    } else {
        (by_throughput, SplitReason::Throughput)
    }
}

/// The capacity of a range at the target, never above the limits.
fn allot(range: KeyRange, target: Throughput, limits: &PartitionLimits) -> Allotment {
    Allotment {
        range,
        capacity: target.scaled(range.share()).min(limits.ceiling()),
    }
}

/// A node of a split tree, for counting the frontier of each generation.
struct Node {
    depth: u32,
    leaf: bool,
    capacity: Throughput,
}

struct Tree<'a> {
    origin: u64,
    range: KeyRange,
    n: u64,
    target: Throughput,
    limits: &'a PartitionLimits,
}

impl Tree<'_> {
    /// Visits the node covering equal parts `[a, b)` at `depth`.
    fn build(
        &self,
        a: u64,
        b: u64,
        depth: u32,
        nodes: &mut Vec<Node>,
        steps: &mut Vec<Vec<BinarySplit>>,
    ) -> Result<()> {
        let narrow = || Error::Invalid(format!("partition {} is too narrow", self.origin));
        let range = self.range.parts(a, b, self.n).ok_or_else(narrow)?;
        let me = allot(range, self.target, self.limits);
        let leaf = b - a == 1;
        nodes.push(Node {
            depth,
            leaf,
            capacity: me.capacity,
        });
        if leaf {
            return Ok(());
        }
        let m = a + (b - a) / 2;
        let left = self.range.parts(a, m, self.n).ok_or_else(narrow)?;
        let right = self.range.parts(m, b, self.n).ok_or_else(narrow)?;
        let level = depth as usize;
        if steps.len() <= level {
            steps.resize_with(level + 1, Vec::new);
        }
        if let Some(gen) = steps.get_mut(level) {
            gen.push(BinarySplit {
                origin: self.origin,
                range,
                left: allot(left, self.target, self.limits),
                right: allot(right, self.target, self.limits),
            });
        }
        self.build(a, m, depth + 1, nodes, steps)?;
        self.build(m, b, depth + 1, nodes, steps)
    }
}

/// Plans the partitions of a table with `partitions` for `target` throughput under
/// `limits`. See the module docs for the algorithm. Errors on input that cannot
/// describe a table (gaps, overlaps, duplicate ids, NaN or negative targets), on
/// partitions too narrow to split as needed, and on targets needing more than
/// [`MAX_PLANNED_PARTITIONS`].
pub fn plan(
    partitions: &[PartitionInfo],
    target: Throughput,
    limits: &PartitionLimits,
) -> Result<SplitPlan> {
    let sorted = check_inputs(partitions, target, limits)?;
    let needs: Vec<(u64, SplitReason)> = sorted
        .iter()
        .map(|p| children_needed(p, target, limits))
        .collect();
    let total: u64 = needs.iter().map(|n| n.0).fold(0, u64::saturating_add);
    if total > MAX_PLANNED_PARTITIONS {
        return Err(Error::Invalid(format!(
            "target {target:?} needs {total} partitions, more than {MAX_PLANNED_PARTITIONS}"
        )));
    }

    let mut nodes = Vec::new();
    let mut steps: Vec<Vec<BinarySplit>> = Vec::new();
    let mut splits = Vec::new();
    let mut layout = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for (p, &(n, reason)) in sorted.iter().zip(&needs) {
        if u128::from(n) > p.range.width() {
            return Err(Error::Invalid(format!(
                "partition {} is too narrow to split into {n}",
                p.id
            )));
        }
        if n == 1 {
            let a = allot(p.range, target, limits);
            nodes.push(Node {
                depth: 0,
                leaf: true,
                capacity: a.capacity,
            });
            layout.push(Planned {
                range: p.range,
                origin: Origin::Existing(p.id),
                capacity: a.capacity,
                previous: Some(p.capacity),
                size_bytes: p.size_bytes,
            });
            continue;
        }
        let tree = Tree {
            origin: p.id,
            range: p.range,
            n,
            target,
            limits,
        };
        tree.build(0, n, 0, &mut nodes, &mut steps)?;
        let children: Vec<Allotment> = (0..n)
            .map(|i| p.range.parts(i, i + 1, n).map(|r| allot(r, target, limits)))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Invalid(format!("partition {} is too narrow", p.id)))?;
        for (index, c) in (0u32..).zip(&children) {
            let size = (p.size_bytes as f64 * c.range.share() / p.range.share()).round();
            layout.push(Planned {
                range: c.range,
                origin: Origin::Split {
                    parent: p.id,
                    index,
                },
                capacity: c.capacity,
                previous: None,
                size_bytes: size as u64,
            });
        }
        splits.push(SplitOp {
            parent: p.id,
            parent_range: p.range,
            reason,
            children,
            generations: u64::BITS - (n - 1).leading_zeros(),
        });
    }

    // The frontier after generation g: nodes at depth g, plus leaves above it.
    let frontier = |g: u32| {
        nodes
            .iter()
            .filter(|n| n.depth == g || (n.leaf && n.depth < g))
            .fold((0usize, Throughput::default()), |(c, t), n| {
                (c + 1, t + n.capacity)
            })
    };
    let generations = (1u32..)
        .zip(steps)
        .map(|(number, splits)| {
            let (partitions_after, capacity_after) = frontier(number);
            Generation {
                number,
                splits,
                partitions_after,
                capacity_after,
            }
        })
        .collect();
    let total_size = sorted
        .iter()
        .map(|p| p.size_bytes)
        .fold(0, u64::saturating_add);
    let lower_bound = [
        sorted.len() as u64,
        ceil_count(target.rcu / limits.max_rcu),
        ceil_count(target.wcu / limits.max_wcu),
        total_size.div_ceil(limits.max_bytes),
    ]
    .into_iter()
    .max()
    .unwrap_or(1);
    Ok(SplitPlan {
        target,
        partitions_before: sorted.len(),
        partitions_after: layout.len(),
        lower_bound: usize::try_from(lower_bound).unwrap_or(usize::MAX),
        capacity_before_splits: frontier(0).1,
        splits,
        generations,
        layout,
    })
}

#[cfg(test)]
#[path = "planner_test.rs"]
mod tests;
