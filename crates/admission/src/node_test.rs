use super::*;
use crate::{BillingMode, PartitionLimits, TableCapacity};

const S: u64 = 1_000_000;

fn config() -> NodeConfig {
    NodeConfig {
        target_work_per_sec: 10_000.0,
        initial_rate: 1000.0,
        min_rate: 100.0,
        max_rate: 1500.0,
        increase_step: 100.0,
        decrease_factor: 0.5,
        ..NodeConfig::default()
    }
}

fn node(c: NodeConfig) -> NodeAdmission {
    match NodeAdmission::new(c, 0) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

/// Offers `n` one-unit best-effort reads at `now`; returns how many were admitted.
fn offer(n: &mut NodeAdmission, count: u64, now: u64) -> u64 {
    (0..count)
        .filter(|_| {
            n.admit(TrafficClass::BestEffort, Cost::read(1.0), now)
                .is_ok()
        })
        .count() as u64
}

fn interval(work: f64) -> Measurement {
    Measurement {
        interval_us: S,
        work,
        latency_us: Some(1_000),
        queue_depth: Some(0),
    }
}

#[test]
fn raises_in_increments_while_below_target_and_binding() {
    let mut n = node(config());
    let mut rates = vec![];
    for second in 1..=8 {
        // Demand of 5,000 req/s, far above the limit: it binds every interval.
        offer(&mut n, 5000, second * S);
        match n.observe(interval(2_000.0), second * S) {
            RateDecision::Raised { to, .. } => rates.push(to),
            RateDecision::Held { reason, .. } => {
                assert_eq!(reason, RateReason::AtCeiling);
                rates.push(n.max_rate());
            }
            d => panic!("{d:?}"),
        }
    }
    assert_eq!(
        rates,
        [1100.0, 1200.0, 1300.0, 1400.0, 1500.0, 1500.0, 1500.0, 1500.0]
    );
}

#[test]
fn admits_up_to_the_rate_then_sheds() {
    let mut n = node(config());
    // Full 1 s burst at start: 1,000 admitted, the rest shed.
    assert_eq!(offer(&mut n, 1500, 0), 1000);
    let shed = n.admit(TrafficClass::BestEffort, Cost::read(1.0), 0);
    assert!(matches!(
        shed,
        Err(Shed {
            reason: ShedReason::RequestRate,
            retry_after_us: 1000
        })
    ));
    // 100 ms later: 100 more.
    assert_eq!(offer(&mut n, 500, S / 10), 100);
    let s = n.stats();
    assert_eq!((s.best_effort_admitted, s.shed), (1100, 901));
}

#[test]
fn lowers_multiplicatively_when_over_target_down_to_the_floor() {
    let mut n = node(config());
    let mut seen = vec![];
    for second in 1..=6 {
        match n.observe(interval(12_000.0), second * S) {
            RateDecision::Lowered { to, reason, .. } => {
                assert_eq!(reason, RateReason::OverTarget);
                seen.push(to);
            }
            RateDecision::Held { reason, rate } => {
                assert_eq!(reason, RateReason::AtFloor);
                seen.push(rate);
            }
            d => panic!("{d:?}"),
        }
    }
    assert_eq!(seen, [500.0, 250.0, 125.0, 100.0, 100.0, 100.0]);
    // The lower rate applies at once: at most 1 s of the new rate passes.
    assert_eq!(offer(&mut n, 1000, 6 * S), 100);
}

#[test]
fn latency_and_queue_signals_lower_the_rate() {
    let mut n = node(config());
    let slow = Measurement {
        latency_us: Some(500_000),
        ..interval(1000.0)
    };
    assert_eq!(
        n.observe(slow, S),
        RateDecision::Lowered {
            from: 1000.0,
            to: 500.0,
            reason: RateReason::Latency
        }
    );
    let queued = Measurement {
        queue_depth: Some(10_000),
        ..interval(1000.0)
    };
    assert_eq!(
        n.observe(queued, 2 * S),
        RateDecision::Lowered {
            from: 500.0,
            to: 250.0,
            reason: RateReason::QueueDepth
        }
    );
}

#[test]
fn holds_near_target_when_not_binding_and_without_data() {
    let mut n = node(config());
    offer(&mut n, 5000, S);
    assert_eq!(
        n.observe(interval(9_600.0), S),
        RateDecision::Held {
            rate: 1000.0,
            reason: RateReason::NearTarget
        }
    );
    // Demand of 100 req/s under a 1,000 req/s limit: raising would change nothing.
    offer(&mut n, 100, 2 * S);
    assert_eq!(
        n.observe(interval(100.0), 2 * S),
        RateDecision::Held {
            rate: 1000.0,
            reason: RateReason::NotBinding
        }
    );
    // 950 admitted without shedding is binding (>= 90% of the rate).
    offer(&mut n, 950, 3 * S);
    assert!(matches!(
        n.observe(interval(950.0), 3 * S),
        RateDecision::Raised { .. }
    ));
    assert_eq!(
        n.observe(Measurement::default(), 4 * S),
        RateDecision::Held {
            rate: 1100.0,
            reason: RateReason::NoData
        }
    );
}

#[test]
fn committed_traffic_is_never_shed() {
    let mut n = node(config());
    assert!(n.reserve(1, 10_000.0, 0.0).is_ok());
    for _ in 0..5 {
        n.observe(interval(1e9), S);
    }
    assert_eq!(n.max_rate(), 100.0);
    offer(&mut n, 1000, S);
    for _ in 0..10_000 {
        assert!(n.admit(TrafficClass::Committed, Cost::read(1.0), S).is_ok());
    }
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::read(1.0), S)
        .is_err());
    assert_eq!(n.stats().committed_admitted, 10_000);
}

#[test]
fn reservations_are_refused_past_node_capacity() {
    let mut n = node(NodeConfig::default());
    assert!(n.reserve(1, 30_000.0, 10_000.0).is_ok());
    let e = n.reserve(2, 20_000.0, 5.0);
    assert_eq!(
        e,
        Err(CapacityExceeded {
            requested_rcu: 20_000.0,
            requested_wcu: 5.0,
            available_rcu: 10_000.0,
            available_wcu: 30_000.0,
        })
    );
    assert!(n.reservation(2).is_none());
    assert!(n.reserve(2, 10_000.0, 30_000.0).is_ok());
    assert_eq!(n.reserved(), Throughput::new(40_000.0, 40_000.0));
    assert!(n.reserve(3, 1.0, 0.0).is_err());
    // UpdateTable replaces the table's own reservation: it counts as available.
    assert!(n.reserve(1, 25_000.0, 10_000.0).is_ok());
    assert!(n.reserve(1, 30_000.0, 10_000.0).is_ok());
    assert!(n.reserve(1, 30_001.0, 10_000.0).is_err());
    assert_eq!(n.release(2), Some(Throughput::new(10_000.0, 30_000.0)));
    assert!(n.reserve(3, 10_000.0, 30_000.0).is_ok());
    assert!(n.reserve(4, f64::NAN, -1.0).is_ok());
    assert_eq!(n.reservation(4), Some(Throughput::default()));
    let msg = CapacityExceeded {
        requested_rcu: 1.0,
        requested_wcu: 2.0,
        available_rcu: 3.0,
        available_wcu: 4.0,
    }
    .to_string();
    assert!(msg.contains("requested 1 read and 2 write units"), "{msg}");
}

#[test]
fn best_effort_gets_what_reservations_leave() {
    let mut n = node(NodeConfig {
        initial_rate: 100_000.0,
        max_rate: 100_000.0,
        ..config()
    });
    assert!(n.reserve(1, 39_000.0, 39_500.0).is_ok());
    assert_eq!(n.best_effort_capacity(), Throughput::new(1_000.0, 500.0));
    // 1 s of burst: 1,000 read units, then reads are shed for capacity.
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::read(1000.0), 0)
        .is_ok());
    let e = n.admit(TrafficClass::BestEffort, Cost::read(1.0), 0);
    assert!(matches!(
        e,
        Err(Shed {
            reason: ShedReason::ReadCapacity,
            ..
        })
    ));
    // Writes still pass, up to 500 units.
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::write(500.0), 0)
        .is_ok());
    let e = n.admit(TrafficClass::BestEffort, Cost::write(1.0), 0);
    assert!(matches!(
        e,
        Err(Shed {
            reason: ShedReason::WriteCapacity,
            ..
        })
    ));
    // A refused request takes nothing: reads refill and pass 1 ms later.
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::read(1.0), 1000)
        .is_ok());
    // Debt charged after a Query page blocks until repaid.
    n.charge(TrafficClass::BestEffort, Cost::read(100.0), 1000);
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::read(1.0), 50_000)
        .is_err());
    assert!(n
        .admit(TrafficClass::BestEffort, Cost::read(1.0), 102_000)
        .is_ok());
    // With everything reserved, best-effort reads and writes are all shed.
    assert!(n.reserve(2, 1000.0, 500.0).is_ok());
    assert_eq!(n.best_effort_capacity(), Throughput::default());
    let e = n.admit(TrafficClass::BestEffort, Cost::write(1.0), 10 * S);
    assert!(matches!(
        e,
        Err(Shed {
            reason: ShedReason::WriteCapacity,
            ..
        })
    ));
    // Releasing the reservations gives best-effort the whole node.
    n.release(1);
    n.release(2);
    assert_eq!(
        n.best_effort_capacity(),
        Throughput::new(40_000.0, 40_000.0)
    );
}

/// A best-effort flood on one table does not push a committed table below its rate:
/// ten simulated seconds, each with the committed table asking for exactly its 1,000 RCU
/// and a best-effort table asking for 50,000 one-unit reads.
#[test]
fn best_effort_flood_leaves_committed_rate_intact() {
    let mut n = node(NodeConfig {
        target_work_per_sec: 20_000.0,
        initial_rate: 20_000.0,
        ..NodeConfig::default()
    });
    assert!(n.reserve(1, 1000.0, 0.0).is_ok());
    let mode = BillingMode::Provisioned(Throughput::new(1000.0, 0.0));
    let t = TableCapacity::new(mode, &[(10, 1.0)], PartitionLimits::default(), 0);
    let Ok(mut table) = t else { panic!("{t:?}") };
    // Drain the committed table's burst first so only its rate counts.
    assert!(table.try_read(10, 300_000.0, 0).is_ok());
    let (mut committed, mut best_effort) = (0u64, 0u64);
    for second in 1..=10u64 {
        // Interleave: each millisecond, one committed read and 50 best-effort reads.
        for ms in 0..1000u64 {
            let now = (second - 1) * S + (ms + 1) * 1000;
            if table.try_read(10, 1.0, now).is_ok() {
                assert!(n
                    .admit(TrafficClass::Committed, Cost::read(1.0), now)
                    .is_ok());
                committed += 1;
            }
            best_effort += offer(&mut n, 50, now);
        }
        let work = n.stats().committed_admitted + n.stats().best_effort_admitted;
        let _ = n.observe(interval(work as f64 / second as f64), second * S);
    }
    assert_eq!(committed, 10_000);
    assert!(best_effort < 500_000, "{best_effort}");
    assert!(n.stats().shed > 0);
}

#[test]
fn config_validation() {
    assert!(NodeConfig::default().validate().is_ok());
    let bad = [
        NodeConfig {
            min_rate: 0.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            initial_rate: 2e6,
            ..NodeConfig::default()
        },
        NodeConfig {
            decrease_factor: 1.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            increase_step: 0.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            headroom: 1.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            target_work_per_sec: f64::NAN,
            ..NodeConfig::default()
        },
        NodeConfig {
            burst_seconds: 0.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            binding_fraction: 0.0,
            ..NodeConfig::default()
        },
        NodeConfig {
            capacity: Throughput::new(-1.0, 0.0),
            ..NodeConfig::default()
        },
    ];
    for c in bad {
        assert!(
            matches!(NodeAdmission::new(c, 0), Err(Error::Invalid(_))),
            "{c:?}"
        );
    }
}

#[test]
fn unchecked_reservations_may_exceed_capacity_and_still_shrink() {
    let mut n = node(NodeConfig {
        capacity: Throughput::new(100.0, 100.0),
        ..NodeConfig::default()
    });
    // A node restarted with less capacity than its tables already hold.
    n.reserve_unchecked(1, 80.0, 80.0);
    n.reserve_unchecked(2, 80.0, 10.0);
    assert_eq!(n.reserved(), Throughput::new(160.0, 90.0));
    assert_eq!(n.best_effort_capacity(), Throughput::new(0.0, 10.0));
    // Shrinking the read units is allowed though the node stays over...
    assert_eq!(n.check_reserve(1, 50.0, 80.0), Ok(()));
    // ...and so is growing the write units within what is left of them.
    assert_eq!(n.check_reserve(1, 50.0, 90.0), Ok(()));
    assert!(n.reserve(1, 50.0, 90.0).is_ok());
    // Growing reads while over is refused, and changes nothing.
    assert_eq!(
        n.reserve(2, 81.0, 10.0),
        Err(CapacityExceeded {
            requested_rcu: 81.0,
            requested_wcu: 10.0,
            available_rcu: 50.0,
            available_wcu: 10.0,
        })
    );
    assert_eq!(n.reservation(2), Some(Throughput::new(80.0, 10.0)));
    // A check never records anything.
    assert_eq!(n.check_reserve(3, 0.0, 0.0), Ok(()));
    assert_eq!(n.reservation(3), None);
}
