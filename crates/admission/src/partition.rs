//! [`PartitionCapacity`]: one partition's read and write buckets.
//!
//! - Committed (PROVISIONED, US20210200446A1): the partition holds its share of the
//!   table's RCU and WCU, `table rate × key-space share` ([`crate::TableCapacity`] does
//!   the split), never above the per-partition ceilings.
//! - Best-effort (PAY_PER_REQUEST): no table rate, but DynamoDB's per-partition ceilings
//!   of 3,000 RCU and 1,000 WCU per second, with burst. Node-level protection for
//!   best-effort traffic is [`crate::NodeAdmission`].
//!
//! A refusal here is ProvisionedThroughputExceededException in both modes.

use crate::{sane, Direction, Throttled, TokenBucket, DEFAULT_BURST_SECONDS};

/// A read and a write rate, in capacity units per second.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Throughput {
    /// Read capacity units per second.
    pub rcu: f64,
    /// Write capacity units per second.
    pub wcu: f64,
}

impl Throughput {
    /// `rcu` read and `wcu` write units per second.
    pub fn new(rcu: f64, wcu: f64) -> Self {
        Self { rcu, wcu }
    }

    /// Both rates multiplied by `share`.
    pub fn scaled(self, share: f64) -> Self {
        Self::new(self.rcu * share, self.wcu * share)
    }

    /// Each rate cut to the matching one of `ceiling`.
    pub fn min(self, ceiling: Throughput) -> Self {
        Self::new(self.rcu.min(ceiling.rcu), self.wcu.min(ceiling.wcu))
    }

    /// Whether both rates are finite and non-negative.
    pub fn is_valid(&self) -> bool {
        sane(self.rcu) == self.rcu && sane(self.wcu) == self.wcu
    }
}

impl std::ops::Add for Throughput {
    type Output = Throughput;
    fn add(self, o: Throughput) -> Throughput {
        Throughput::new(self.rcu + o.rcu, self.wcu + o.wcu)
    }
}

/// Per-partition limits: DynamoDB's, unless configured otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionLimits {
    /// Most read units per second one partition serves (3,000).
    pub max_rcu: f64,
    /// Most write units per second one partition serves (1,000).
    pub max_wcu: f64,
    /// Largest partition before it must split (10 GB).
    pub max_bytes: u64,
    /// Burst window of committed partitions, in seconds (300).
    pub burst_seconds: f64,
    /// Burst window of best-effort partitions at their ceilings, in seconds (300).
    pub best_effort_burst_seconds: f64,
}

impl Default for PartitionLimits {
    fn default() -> Self {
        Self {
            max_rcu: 3000.0,
            max_wcu: 1000.0,
            max_bytes: 10 * 1024 * 1024 * 1024,
            burst_seconds: DEFAULT_BURST_SECONDS,
            best_effort_burst_seconds: DEFAULT_BURST_SECONDS,
        }
    }
}

impl PartitionLimits {
    /// The ceilings as a [`Throughput`].
    pub fn ceiling(&self) -> Throughput {
        Throughput::new(self.max_rcu, self.max_wcu)
    }

    /// Whether every limit is positive and finite.
    pub fn is_valid(&self) -> bool {
        sane(self.max_rcu) > 0.0
            && sane(self.max_wcu) > 0.0
            && self.max_bytes > 0
            && sane(self.burst_seconds) > 0.0
            && sane(self.best_effort_burst_seconds) > 0.0
    }
}

/// How a table pays for throughput.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BillingMode {
    /// Committed throughput: the table's RCU and WCU, reserved on the node.
    Provisioned(Throughput),
    /// Best-effort throughput: no table limit, per-partition ceilings and node shedding.
    PayPerRequest,
}

impl BillingMode {
    /// Whether the mode is committed (PROVISIONED).
    pub fn is_committed(&self) -> bool {
        matches!(self, BillingMode::Provisioned(_))
    }

    /// The rates of a partition holding `share` of the table's key space.
    pub fn partition_rates(&self, share: f64, limits: &PartitionLimits) -> Throughput {
        match self {
            BillingMode::Provisioned(t) => t.scaled(sane(share)).min(limits.ceiling()),
            BillingMode::PayPerRequest => limits.ceiling(),
        }
    }

    fn burst_seconds(&self, limits: &PartitionLimits) -> f64 {
        match self {
            BillingMode::Provisioned(_) => limits.burst_seconds,
            BillingMode::PayPerRequest => limits.best_effort_burst_seconds,
        }
    }
}

/// A partition's read and write buckets. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionCapacity {
    read: TokenBucket,
    write: TokenBucket,
}

fn tag(direction: Direction) -> impl Fn(Throttled) -> Throttled {
    move |t| Throttled {
        direction: Some(direction),
        ..t
    }
}

impl PartitionCapacity {
    /// A partition holding `share` of a table in `mode`, with full buckets.
    pub fn new(mode: &BillingMode, share: f64, limits: &PartitionLimits, now_us: u64) -> Self {
        let rates = mode.partition_rates(share, limits);
        let burst = mode.burst_seconds(limits);
        Self {
            read: TokenBucket::with_burst(rates.rcu, burst, now_us),
            write: TokenBucket::with_burst(rates.wcu, burst, now_us),
        }
    }

    /// A partition with empty buckets (used for split children, which then receive part
    /// of their parent's balance).
    pub fn empty(mode: &BillingMode, share: f64, limits: &PartitionLimits, now_us: u64) -> Self {
        let mut p = Self::new(mode, share, limits, now_us);
        p.read = p.read.with_tokens(0.0);
        p.write = p.write.with_tokens(0.0);
        p
    }

    /// The current read and write rates.
    pub fn rates(&self) -> Throughput {
        Throughput::new(self.read.rate(), self.write.rate())
    }

    /// Units available at `now_us` (read, write); negative while in debt.
    pub fn available(&self, now_us: u64) -> Throughput {
        Throughput::new(self.read.available(now_us), self.write.available(now_us))
    }

    /// Applies the rates of `share` of a table in `mode` from `now_us` on, keeping burst
    /// up to the new cap. When the burst window changes with the mode, the balance is
    /// kept (cut to the new cap).
    pub fn set_mode(
        &mut self,
        mode: &BillingMode,
        share: f64,
        limits: &PartitionLimits,
        now_us: u64,
    ) {
        let rates = mode.partition_rates(share, limits);
        let burst = mode.burst_seconds(limits);
        for (bucket, rate) in [(&mut self.read, rates.rcu), (&mut self.write, rates.wcu)] {
            if bucket.burst_seconds() == sane(burst).max(1.0) {
                bucket.set_rate(rate, now_us);
            } else {
                let balance = bucket.available(now_us);
                *bucket = TokenBucket::with_burst(rate, burst, now_us).with_tokens(balance);
            }
        }
    }

    /// Takes `units` read units (cost known before execution: GetItem, BatchGetItem).
    pub fn try_read(&mut self, units: f64, now_us: u64) -> Result<(), Throttled> {
        self.read
            .try_take(units, now_us)
            .map_err(tag(Direction::Read))
    }

    /// Takes `units` write units.
    pub fn try_write(&mut self, units: f64, now_us: u64) -> Result<(), Throttled> {
        self.write
            .try_take(units, now_us)
            .map_err(tag(Direction::Write))
    }

    /// Admits a read whose cost is known only afterwards (Query, Scan pages) if any read
    /// capacity is left; follow with [`PartitionCapacity::charge_read`].
    pub fn try_admit_read(&mut self, now_us: u64) -> Result<(), Throttled> {
        self.read.try_admit(now_us).map_err(tag(Direction::Read))
    }

    /// Admits a write whose cost is known only afterwards (UpdateItem of an item of
    /// unknown size) if any write capacity is left; follow with `charge_write`.
    pub fn try_admit_write(&mut self, now_us: u64) -> Result<(), Throttled> {
        self.write.try_admit(now_us).map_err(tag(Direction::Write))
    }

    /// Charges read units after the fact; may leave the read bucket in debt.
    pub fn charge_read(&mut self, units: f64, now_us: u64) {
        self.read.charge(units, now_us);
    }

    /// Charges write units after the fact; may leave the write bucket in debt.
    pub fn charge_write(&mut self, units: f64, now_us: u64) {
        self.write.charge(units, now_us);
    }

    /// Returns over-estimated read units.
    pub fn refund_read(&mut self, units: f64, now_us: u64) {
        self.read.refund(units, now_us);
    }

    /// Returns over-estimated write units.
    pub fn refund_write(&mut self, units: f64, now_us: u64) {
        self.write.refund(units, now_us);
    }

    /// Moves `fraction` of this partition's balance (burst or debt) to `child`.
    pub fn give_fraction(&mut self, fraction: f64, child: &mut PartitionCapacity, now_us: u64) {
        let r = self.read.take_fraction(fraction, now_us);
        child.read.refund(r.max(0.0), now_us);
        child.read.charge((-r).max(0.0), now_us);
        let w = self.write.take_fraction(fraction, now_us);
        child.write.refund(w.max(0.0), now_us);
        child.write.charge((-w).max(0.0), now_us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn committed_partition_holds_its_share() {
        let mode = BillingMode::Provisioned(Throughput::new(1000.0, 400.0));
        let limits = PartitionLimits::default();
        let mut p = PartitionCapacity::new(&mode, 0.25, &limits, 0);
        assert_eq!(p.rates(), Throughput::new(250.0, 100.0));
        assert_eq!(p.available(0), Throughput::new(75_000.0, 30_000.0));
        assert!(p.try_read(75_000.0, 0).is_ok());
        let t = p.try_read(0.5, 0);
        assert!(matches!(
            t,
            Err(Throttled {
                direction: Some(Direction::Read),
                ..
            })
        ));
        assert!(p.try_write(1.0, 0).is_ok());
        assert!(p.try_read(0.5, S / 100).is_ok());
    }

    #[test]
    fn committed_share_is_capped_at_the_partition_ceiling() {
        let mode = BillingMode::Provisioned(Throughput::new(20_000.0, 20_000.0));
        let p = PartitionCapacity::new(&mode, 1.0, &PartitionLimits::default(), 0);
        assert_eq!(p.rates(), Throughput::new(3000.0, 1000.0));
    }

    #[test]
    fn best_effort_partition_has_the_ceilings_with_burst() {
        let limits = PartitionLimits::default();
        let mut p = PartitionCapacity::empty(&BillingMode::PayPerRequest, 0.01, &limits, 0);
        assert_eq!(p.rates(), Throughput::new(3000.0, 1000.0));
        // One second: 1,000 write units, the 1,001st is refused.
        for _ in 0..1000 {
            assert!(p.try_write(1.0, S).is_ok());
        }
        let t = p.try_write(1.0, S);
        assert!(matches!(
            t,
            Err(Throttled {
                direction: Some(Direction::Write),
                ..
            })
        ));
        // Idle capacity accumulates as burst.
        assert_eq!(p.available(11 * S).wcu, 10_000.0);
    }

    #[test]
    fn switching_mode_changes_rates_and_keeps_balance() {
        let limits = PartitionLimits {
            best_effort_burst_seconds: 10.0,
            ..PartitionLimits::default()
        };
        let mode = BillingMode::Provisioned(Throughput::new(10.0, 10.0));
        let mut p = PartitionCapacity::new(&mode, 1.0, &limits, 0);
        assert_eq!(p.available(0).rcu, 3000.0);
        p.set_mode(&BillingMode::PayPerRequest, 1.0, &limits, 0);
        assert_eq!(p.rates(), Throughput::new(3000.0, 1000.0));
        assert_eq!(p.available(0).rcu, 3000.0);
        p.set_mode(&mode, 1.0, &limits, S);
        assert_eq!(p.available(S).rcu, 3000.0);
        assert_eq!(p.available(S).wcu, 3000.0);
    }

    #[test]
    fn debt_and_refund_and_handover() {
        let mode = BillingMode::Provisioned(Throughput::new(10.0, 10.0));
        let limits = PartitionLimits::default();
        let mut p = PartitionCapacity::new(&mode, 1.0, &limits, 0);
        assert!(p.try_admit_read(0).is_ok());
        p.charge_read(3100.0, 0);
        assert!(p.try_admit_read(0).is_err());
        p.refund_read(50.0, 0);
        assert_eq!(p.available(0).rcu, -50.0);
        assert!(p.try_admit_write(0).is_ok());
        p.charge_write(1000.0, 0);
        p.refund_write(1.0, 0);
        let mut child = PartitionCapacity::empty(&mode, 0.5, &limits, 0);
        p.give_fraction(0.5, &mut child, 0);
        assert_eq!(child.available(0), Throughput::new(-25.0, 1000.5));
        assert_eq!(p.available(0), Throughput::new(-25.0, 1000.5));
    }
}
