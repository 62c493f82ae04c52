//! [`TokenBucket`]: a capacity rate with DynamoDB's burst and debt semantics.
//!
//! - **Rate.** The bucket gains `rate` units per second, continuously (computed from the
//!   `now_us` of each call, no background refill).
//! - **Burst.** Unused capacity accumulates up to `rate × burst_seconds` (300 s by
//!   default, as DynamoDB keeps up to five minutes of unused capacity).
//! - **Debt.** DynamoDB admits a request whose exact cost is known only after it ran (a
//!   Query page, a Scan page) as long as *some* capacity is available, and charges the
//!   whole cost afterwards. [`TokenBucket::try_admit`] then [`TokenBucket::charge`] do
//!   that; `charge` may push the balance below zero, and every request is refused until
//!   the bucket has refilled past zero.
//! - **Rate changes** ([`TokenBucket::set_rate`]) take effect at once: capacity earned so
//!   far is credited at the old rate, and the balance is cut to the new burst cap.
//!
//! Contract: `now_us` is microseconds from an origin fixed for the bucket's life. A
//! `now_us` earlier than one already seen counts as no time passing (never as a refund).

use crate::{sane, Throttled, EPSILON};

/// DynamoDB's burst window: up to this many seconds of unused capacity accumulate.
pub const DEFAULT_BURST_SECONDS: f64 = 300.0;

/// A rate of capacity units per second, with burst and debt. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    rate: f64,
    burst_seconds: f64,
    /// Units available; negative while in debt. Never above [`TokenBucket::cap`].
    tokens: f64,
    /// `now_us` of the last refill.
    last_us: u64,
}

impl TokenBucket {
    /// A bucket of `rate` units per second with the default 300 s burst, starting full:
    /// a new table can serve a burst at once, as DynamoDB's new tables do.
    pub fn new(rate: f64, now_us: u64) -> Self {
        Self::with_burst(rate, DEFAULT_BURST_SECONDS, now_us)
    }

    /// A full bucket with a burst window of `burst_seconds` (at least one second, so that
    /// a request of one second's worth can always eventually pass).
    pub fn with_burst(rate: f64, burst_seconds: f64, now_us: u64) -> Self {
        let mut b = Self {
            rate: sane(rate),
            burst_seconds: sane(burst_seconds).max(1.0),
            tokens: 0.0,
            last_us: now_us,
        };
        b.tokens = b.cap();
        b
    }

    /// The same bucket starting with `tokens` units (cut to the cap; may be negative).
    pub fn with_tokens(mut self, tokens: f64) -> Self {
        let t = if tokens.is_finite() { tokens } else { 0.0 };
        self.tokens = t.min(self.cap());
        self
    }

    /// Units per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The burst window in seconds.
    pub fn burst_seconds(&self) -> f64 {
        self.burst_seconds
    }

    /// Most units the bucket can hold: `rate × burst_seconds`.
    pub fn cap(&self) -> f64 {
        self.rate * self.burst_seconds
    }

    /// Units available at `now_us` (negative while in debt), without changing the bucket.
    pub fn available(&self, now_us: u64) -> f64 {
        let dt = now_us.saturating_sub(self.last_us) as f64 / 1_000_000.0;
        if self.tokens >= self.cap() {
            // NOTE: never lower a balance by refilling it.
            return self.tokens;
        }
        (self.tokens + self.rate * dt).min(self.cap())
    }

    fn refill(&mut self, now_us: u64) {
        self.tokens = self.available(now_us);
        self.last_us = self.last_us.max(now_us);
    }

    /// Takes `units` if the bucket holds them, else refuses and takes nothing.
    ///
    /// NOTE: a request larger than the whole burst cap (a 400 KB write on a 1 WCU table)
    /// could never pass a strict check; it passes when the bucket is full, and the excess
    /// becomes debt, as DynamoDB does.
    pub fn try_take(&mut self, units: f64, now_us: u64) -> Result<(), Throttled> {
        let units = sane(units);
        self.refill(now_us);
        let need = self.need(units);
        if self.tokens + EPSILON >= need {
            self.tokens -= units;
            Ok(())
        } else {
            Err(self.throttled(units, need))
        }
    }

    /// Admits a request whose cost is not known yet if the bucket holds *some* capacity
    /// (more than zero); takes nothing. Follow with [`TokenBucket::charge`].
    pub fn try_admit(&mut self, now_us: u64) -> Result<(), Throttled> {
        self.refill(now_us);
        if self.tokens > EPSILON {
            Ok(())
        } else {
            // Wait until the balance is back above zero.
            Err(self.throttled(0.0, EPSILON))
        }
    }

    /// Whether [`TokenBucket::try_take`] of `units` would succeed now; changes nothing
    /// but the refill.
    pub fn can_take(&mut self, units: f64, now_us: u64) -> bool {
        self.refill(now_us);
        self.tokens + EPSILON >= self.need(sane(units))
    }

    /// The balance a request of `units` needs: all of it, or a full bucket when it is
    /// larger than the cap. A zero-rate bucket (cap 0) admits nothing of positive cost.
    fn need(&self, units: f64) -> f64 {
        let cap = self.cap();
        if cap > 0.0 {
            units.min(cap)
        } else {
            units
        }
    }

    /// Charges `units` unconditionally; the balance may go negative (debt).
    pub fn charge(&mut self, units: f64, now_us: u64) {
        self.refill(now_us);
        self.tokens -= sane(units);
    }

    /// Gives back `units` (an estimate taken up front was too high), up to the cap.
    pub fn refund(&mut self, units: f64, now_us: u64) {
        self.refill(now_us);
        self.tokens = (self.tokens + sane(units)).min(self.cap());
    }

    /// Changes the rate from `now_us` on. Capacity earned until then is credited at the
    /// old rate; the balance is cut to the new cap; debt is kept.
    pub fn set_rate(&mut self, rate: f64, now_us: u64) {
        self.refill(now_us);
        self.rate = sane(rate);
        self.tokens = self.tokens.min(self.cap());
    }

    /// Takes a `fraction` (0..=1) of the balance out of this bucket and returns it, debt
    /// included: used to hand a splitting partition's burst and debt to its children.
    pub fn take_fraction(&mut self, fraction: f64, now_us: u64) -> f64 {
        self.refill(now_us);
        let part = self.tokens * sane(fraction).min(1.0);
        self.tokens -= part;
        part
    }

    fn throttled(&self, requested: f64, need: f64) -> Throttled {
        let missing = need - self.tokens;
        let retry_after_us = if self.rate > 0.0 {
            let us = (missing / self.rate * 1_000_000.0).ceil();
            if us.is_finite() && us < u64::MAX as f64 {
                us.max(1.0) as u64
            } else {
                u64::MAX
            }
        } else {
            u64::MAX
        };
        Throttled {
            requested,
            available: self.tokens,
            retry_after_us,
            direction: None,
        }
    }
}

#[cfg(test)]
#[path = "bucket_test.rs"]
mod tests;
