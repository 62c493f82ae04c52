//! [`NodeAdmission`]: node-level admission for committed and best-effort throughput.
//!
//! Two ideas, one from each seed:
//!
//! - **Committed capacity is reserved** (US20210200446A1). Every PROVISIONED table (or
//!   index) placed on the node reserves its RCU and WCU with [`NodeAdmission::reserve`];
//!   a reservation that grows is refused with [`CapacityExceeded`]
//!   (LimitExceededException) when the sum would exceed the node's configured capacity
//!   (40,000 RCU + 40,000 WCU by default, DynamoDB's default table quota). Only
//!   [`NodeAdmission::reserve_unchecked`] (tables that exist already when a node starts
//!   with a smaller capacity) can put the sum over it. Committed requests are always
//!   admitted here: their partition buckets ([`crate::TableCapacity`]) already hold them
//!   to their share. Best-effort traffic gets what is left: its read and write units are
//!   limited to `node capacity - reserved`.
//! - **Best-effort load is shed against measured work** (US10257288B2). The node keeps a
//!   maximum best-effort request rate. At the end of each measurement interval the caller
//!   reports the work the node completed (any unit it likes: capacity units, CPU-ms) and
//!   its latency and queue signals to [`NodeAdmission::observe`]:
//!
//!   ```text
//!   work/s > target                       -> rate × decrease_factor   (Lowered, OverTarget)
//!   p99 latency or queue depth too high   -> rate × decrease_factor   (Lowered, Latency/Queue)
//!   work/s ≥ target × (1 - headroom)      -> hold                     (Held, NearTarget)
//!   limit not binding (nothing shed and
//!     admitted < binding_fraction × rate) -> hold                     (Held, NotBinding)
//!   otherwise                             -> rate + increase_step     (Raised)
//!   ```
//!
//!   always within `[min_rate, max_rate]`. Raising only while the limit binds keeps an
//!   idle node from drifting to the ceiling and then letting a flood in unchecked.
//!   Requests above the current rate get [`Shed`] (ThrottlingException) at once instead
//!   of queueing, so admitted requests keep their latency.
//!
//! Contract: `now_us` only grows across calls (an earlier value counts as no time
//! passing). `reserve`/`release` take effect at the latest `now_us` seen.

use crate::{
    sane, CapacityExceeded, Error, Result, Shed, ShedReason, Throttled, Throughput, TokenBucket,
    EPSILON,
};

/// Whose throughput a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficClass {
    /// A PROVISIONED table's request, already admitted by its partition's buckets.
    Committed,
    /// A PAY_PER_REQUEST table's request.
    BestEffort,
}

/// Capacity units of one request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cost {
    /// Read units.
    pub read: f64,
    /// Write units.
    pub write: f64,
}

impl Cost {
    /// A read of `units`.
    pub fn read(units: f64) -> Self {
        Self {
            read: units,
            write: 0.0,
        }
    }

    /// A write of `units`.
    pub fn write(units: f64) -> Self {
        Self {
            read: 0.0,
            write: units,
        }
    }
}

/// Configuration of [`NodeAdmission`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeConfig {
    /// Units per second the node can commit (40,000 RCU and 40,000 WCU).
    pub capacity: Throughput,
    /// Work per second the node aims to complete.
    pub target_work_per_sec: f64,
    /// Below `target × (1 - headroom)` the rate may rise; between that and the target it
    /// holds, so the rate does not oscillate around the target.
    pub headroom: f64,
    /// Best-effort requests per second at start.
    pub initial_rate: f64,
    /// Lowest best-effort rate: the node always serves some best-effort traffic.
    pub min_rate: f64,
    /// Highest best-effort rate.
    pub max_rate: f64,
    /// Requests per second added per healthy interval.
    pub increase_step: f64,
    /// Factor applied per unhealthy interval, in `(0, 1)`.
    pub decrease_factor: f64,
    /// p99 latency above which the node counts as unhealthy, in microseconds.
    pub max_latency_us: u64,
    /// Queue depth above which the node counts as unhealthy.
    pub max_queue_depth: u64,
    /// Burst window of the best-effort limits, in seconds.
    pub burst_seconds: f64,
    /// The limit binds when at least this fraction of the rate was admitted.
    pub binding_fraction: f64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            capacity: Throughput::new(40_000.0, 40_000.0),
            target_work_per_sec: 80_000.0,
            headroom: 0.05,
            initial_rate: 10_000.0,
            min_rate: 100.0,
            max_rate: 1_000_000.0,
            increase_step: 1_000.0,
            decrease_factor: 0.75,
            max_latency_us: 100_000,
            max_queue_depth: 1024,
            burst_seconds: 1.0,
            binding_fraction: 0.9,
        }
    }
}

impl NodeConfig {
    /// Checks the fields against each other.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Invalid(format!("node admission config: {m}")));
        if !self.capacity.is_valid() {
            return bad("capacity must be finite and non-negative");
        }
        if sane(self.target_work_per_sec) <= 0.0 {
            return bad("target_work_per_sec must be positive");
        }
        if !(0.0..1.0).contains(&self.headroom) {
            return bad("headroom must be in [0, 1)");
        }
        if !(sane(self.min_rate) > 0.0
            && self.min_rate <= self.initial_rate
            && self.initial_rate <= self.max_rate
            && self.max_rate.is_finite())
        {
            return bad("need 0 < min_rate <= initial_rate <= max_rate");
        }
        if sane(self.increase_step) <= 0.0 {
            return bad("increase_step must be positive");
        }
        if !(self.decrease_factor > 0.0 && self.decrease_factor < 1.0) {
            return bad("decrease_factor must be in (0, 1)");
        }
        if sane(self.burst_seconds) <= 0.0 {
            return bad("burst_seconds must be positive");
        }
        if !(self.binding_fraction > 0.0 && self.binding_fraction <= 1.0) {
            return bad("binding_fraction must be in (0, 1]");
        }
        Ok(())
    }
}

/// One measurement interval, reported by the caller when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measurement {
    /// Length of the interval in microseconds.
    pub interval_us: u64,
    /// Work the node completed in it (committed and best-effort).
    pub work: f64,
    /// p99 request latency in it, if measured.
    pub latency_us: Option<u64>,
    /// Queue depth at its end, if measured.
    pub queue_depth: Option<u64>,
}

/// Why the rate moved or held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateReason {
    /// Work per second above the target.
    OverTarget,
    /// p99 latency above the limit.
    Latency,
    /// Queue deeper than the limit.
    QueueDepth,
    /// Work below target and the limit binding.
    BelowTarget,
    /// Work just below the target (within the headroom).
    NearTarget,
    /// Best-effort demand is below the current rate: raising it would change nothing.
    NotBinding,
    /// Already at `max_rate`.
    AtCeiling,
    /// Already at `min_rate`.
    AtFloor,
    /// The interval was empty.
    NoData,
}

/// What [`NodeAdmission::observe`] did to the best-effort rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateDecision {
    /// Raised by one increment.
    Raised {
        /// Rate before.
        from: f64,
        /// Rate after.
        to: f64,
    },
    /// Lowered by the decrease factor.
    Lowered {
        /// Rate before.
        from: f64,
        /// Rate after.
        to: f64,
        /// Which signal.
        reason: RateReason,
    },
    /// Unchanged.
    Held {
        /// The rate.
        rate: f64,
        /// Why.
        reason: RateReason,
    },
}

/// Counters since the node started, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NodeStats {
    /// Current maximum best-effort request rate.
    pub max_rate: f64,
    /// Committed capacity reserved.
    pub reserved: Throughput,
    /// Capacity left for best-effort traffic.
    pub best_effort_capacity: Throughput,
    /// Committed requests admitted.
    pub committed_admitted: u64,
    /// Best-effort requests admitted.
    pub best_effort_admitted: u64,
    /// Best-effort requests shed.
    pub shed: u64,
}

/// Node-level admission. See the module docs.
#[derive(Debug, Clone)]
pub struct NodeAdmission {
    config: NodeConfig,
    reservations: crate::IdMap<Throughput>,
    reserved: Throughput,
    max_rate: f64,
    requests: TokenBucket,
    read: TokenBucket,
    write: TokenBucket,
    last_us: u64,
    interval_admitted: u64,
    interval_shed: u64,
    stats: NodeStats,
}

impl NodeAdmission {
    /// A node with nothing reserved, best-effort rate at `initial_rate`.
    pub fn new(config: NodeConfig, now_us: u64) -> Result<Self> {
        config.validate()?;
        let burst = config.burst_seconds;
        Ok(Self {
            config,
            reservations: crate::IdMap::default(),
            reserved: Throughput::default(),
            max_rate: config.initial_rate,
            requests: TokenBucket::with_burst(config.initial_rate, burst, now_us),
            read: TokenBucket::with_burst(config.capacity.rcu, burst, now_us),
            write: TokenBucket::with_burst(config.capacity.wcu, burst, now_us),
            last_us: now_us,
            interval_admitted: 0,
            interval_shed: 0,
            stats: NodeStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Current maximum best-effort request rate.
    pub fn max_rate(&self) -> f64 {
        self.max_rate
    }

    /// Committed capacity reserved on the node.
    pub fn reserved(&self) -> Throughput {
        self.reserved
    }

    /// The reservation of `table`, if any.
    pub fn reservation(&self, table: u64) -> Option<Throughput> {
        self.reservations.get(&table).copied()
    }

    /// Capacity left for best-effort traffic: configured capacity minus reservations.
    pub fn best_effort_capacity(&self) -> Throughput {
        Throughput::new(
            (self.config.capacity.rcu - self.reserved.rcu).max(0.0),
            (self.config.capacity.wcu - self.reserved.wcu).max(0.0),
        )
    }

    /// Counters and current limits.
    pub fn stats(&self) -> NodeStats {
        NodeStats {
            max_rate: self.max_rate,
            reserved: self.reserved,
            best_effort_capacity: self.best_effort_capacity(),
            ..self.stats
        }
    }

    /// Sets `table`'s committed reservation to `rcu`/`wcu` (replacing any earlier one, as
    /// UpdateTable does). Refused, changing nothing, if the node's committed total would
    /// exceed its capacity ([`NodeAdmission::check_reserve`]). NaN or negative amounts
    /// count as 0.
    pub fn reserve(&mut self, table: u64, rcu: f64, wcu: f64) -> Result<(), CapacityExceeded> {
        self.check_reserve(table, rcu, wcu)?;
        self.reserve_unchecked(table, rcu, wcu);
        Ok(())
    }

    /// Whether [`NodeAdmission::reserve`] would accept `table`'s new reservation, changing
    /// nothing. Only a direction that grows can be refused: a node that is over its
    /// capacity (see [`NodeAdmission::reserve_unchecked`]) can always shrink a reservation.
    ///
    /// NOTE: this lets a caller check, then make its own change durable, then record the
    /// reservation with `reserve_unchecked`, without holding this value's lock across
    /// the I/O. The caller must serialize every reservation change (the server does so
    /// under its catalog's DDL lock), or the check may be stale when it records.
    pub fn check_reserve(&self, table: u64, rcu: f64, wcu: f64) -> Result<(), CapacityExceeded> {
        let want = Throughput::new(sane(rcu), sane(wcu));
        let previous = self.reservation(table).unwrap_or_default();
        let available = Throughput::new(
            self.config.capacity.rcu - (self.reserved.rcu - previous.rcu),
            self.config.capacity.wcu - (self.reserved.wcu - previous.wcu),
        );
        let over = |want: f64, previous: f64, available: f64| {
            want > previous + EPSILON && want > available + EPSILON
        };
        if over(want.rcu, previous.rcu, available.rcu)
            || over(want.wcu, previous.wcu, available.wcu)
        {
            return Err(CapacityExceeded {
                requested_rcu: want.rcu,
                requested_wcu: want.wcu,
                available_rcu: available.rcu.max(0.0),
                available_wcu: available.wcu.max(0.0),
            });
        }
        Ok(())
    }

    /// Sets `table`'s reservation without checking the node's capacity: for reservations
    /// that exist already (tables found at startup, which are never refused) and for a
    /// change that passed [`NodeAdmission::check_reserve`]. The total may then exceed the
    /// capacity; best-effort traffic gets nothing until it is back under.
    pub fn reserve_unchecked(&mut self, table: u64, rcu: f64, wcu: f64) {
        self.reservations
            .insert(table, Throughput::new(sane(rcu), sane(wcu)));
        self.recompute_reserved();
    }

    /// Drops `table`'s reservation (DeleteTable, switch to PAY_PER_REQUEST).
    pub fn release(&mut self, table: u64) -> Option<Throughput> {
        let r = self.reservations.remove(&table);
        self.recompute_reserved();
        r
    }

    fn recompute_reserved(&mut self) {
        // NOTE: summed afresh rather than adjusted, so float error cannot accumulate.
        self.reserved = self
            .reservations
            .values()
            .fold(Throughput::default(), |acc, &t| acc + t);
        let left = self.best_effort_capacity();
        self.read.set_rate(left.rcu, self.last_us);
        self.write.set_rate(left.wcu, self.last_us);
    }

    /// Admits a request of `class` costing `cost` (an estimate for Query and Scan pages:
    /// charge the rest with [`NodeAdmission::charge`]). Committed requests always pass.
    /// A best-effort request needs one request token and its read and write units from
    /// the capacity left after reservations; if any is missing, nothing is taken.
    pub fn admit(&mut self, class: TrafficClass, cost: Cost, now_us: u64) -> Result<(), Shed> {
        self.last_us = self.last_us.max(now_us);
        if class == TrafficClass::Committed {
            self.stats.committed_admitted += 1;
            return Ok(());
        }
        let refusal = if !self.requests.can_take(1.0, now_us) {
            Some((ShedReason::RequestRate, self.requests.try_take(1.0, now_us)))
        } else if !self.read.can_take(cost.read, now_us) {
            Some((
                ShedReason::ReadCapacity,
                self.read.try_take(cost.read, now_us),
            ))
        } else if !self.write.can_take(cost.write, now_us) {
            Some((
                ShedReason::WriteCapacity,
                self.write.try_take(cost.write, now_us),
            ))
        } else {
            None
        };
        if let Some((reason, refused)) = refusal {
            self.interval_shed += 1;
            self.stats.shed += 1;
            let retry_after_us = match refused {
                Err(Throttled { retry_after_us, .. }) => retry_after_us,
                Ok(()) => 1,
            };
            return Err(Shed {
                reason,
                retry_after_us,
            });
        }
        self.requests.charge(1.0, now_us);
        self.read.charge(cost.read, now_us);
        self.write.charge(cost.write, now_us);
        self.interval_admitted += 1;
        self.stats.best_effort_admitted += 1;
        Ok(())
    }

    /// Charges best-effort units known only after execution (may leave debt). Committed
    /// units are charged to their partition, not here.
    pub fn charge(&mut self, class: TrafficClass, cost: Cost, now_us: u64) {
        self.last_us = self.last_us.max(now_us);
        if class == TrafficClass::BestEffort {
            self.read.charge(cost.read, now_us);
            self.write.charge(cost.write, now_us);
        }
    }

    /// Ends a measurement interval: adjusts the best-effort rate (see the module docs)
    /// and starts counting the next interval.
    pub fn observe(&mut self, m: Measurement, now_us: u64) -> RateDecision {
        self.last_us = self.last_us.max(now_us);
        let admitted = std::mem::take(&mut self.interval_admitted);
        let shed = std::mem::take(&mut self.interval_shed);
        let c = self.config;
        let from = self.max_rate;
        if m.interval_us == 0 {
            return RateDecision::Held {
                rate: from,
                reason: RateReason::NoData,
            };
        }
        let seconds = m.interval_us as f64 / 1_000_000.0;
        let work_rate = sane(m.work) / seconds;
        let unhealthy = if work_rate > c.target_work_per_sec {
            Some(RateReason::OverTarget)
        } else if m.latency_us.is_some_and(|l| l > c.max_latency_us) {
            Some(RateReason::Latency)
        } else if m.queue_depth.is_some_and(|q| q > c.max_queue_depth) {
            Some(RateReason::QueueDepth)
        } else {
            None
        };
        if let Some(reason) = unhealthy {
            let to = (from * c.decrease_factor).max(c.min_rate);
            if to >= from {
                return RateDecision::Held {
                    rate: from,
                    reason: RateReason::AtFloor,
                };
            }
            self.set_max_rate(to);
            return RateDecision::Lowered { from, to, reason };
        }
        let hold = |reason| RateDecision::Held { rate: from, reason };
        if work_rate >= c.target_work_per_sec * (1.0 - c.headroom) {
            return hold(RateReason::NearTarget);
        }
        let binding = shed > 0 || admitted as f64 >= c.binding_fraction * from * seconds;
        if !binding {
            return hold(RateReason::NotBinding);
        }
        if from >= c.max_rate {
            return hold(RateReason::AtCeiling);
        }
        let to = (from + c.increase_step).min(c.max_rate);
        self.set_max_rate(to);
        RateDecision::Raised { from, to }
    }

    fn set_max_rate(&mut self, rate: f64) {
        self.max_rate = rate;
        self.requests.set_rate(rate, self.last_us);
    }
}

#[cfg(test)]
#[path = "node_test.rs"]
mod tests;
