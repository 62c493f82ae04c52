use super::*;
use crate::{Direction, KeyRange, Throttled};

const S: u64 = 1_000_000;

fn provisioned(rcu: f64, wcu: f64) -> BillingMode {
    BillingMode::Provisioned(Throughput::new(rcu, wcu))
}

#[test]
fn splits_the_table_rate_by_share() {
    let t = TableCapacity::new(
        provisioned(1000.0, 100.0),
        &[(1, 0.5), (2, 0.25), (3, 0.25)],
        PartitionLimits::default(),
        0,
    );
    let Ok(t) = t else { panic!("{t:?}") };
    assert_eq!(t.len(), 3);
    assert!(!t.is_empty());
    assert_eq!(
        t.partition(1).map(|p| p.rates()),
        Some(Throughput::new(500.0, 50.0))
    );
    assert_eq!(
        t.partition(2).map(|p| p.rates()),
        Some(Throughput::new(250.0, 25.0))
    );
    assert_eq!(t.effective(), Throughput::new(1000.0, 100.0));
    assert_eq!(t.share(3), Some(0.25));
    assert!(t.share(4).is_none());
}

#[test]
fn shares_from_key_ranges() {
    let ranges = KeyRange::FULL.split_even(3).unwrap_or_default();
    let shares: Vec<(u64, f64)> = ranges
        .iter()
        .zip(1..)
        .map(|(r, id)| (id, r.share()))
        .collect();
    let t = TableCapacity::new(
        provisioned(300.0, 30.0),
        &shares,
        PartitionLimits::default(),
        0,
    );
    let Ok(t) = t else { panic!("{t:?}") };
    let e = t.effective();
    assert!((e.rcu - 300.0).abs() < 1e-9 && (e.wcu - 30.0).abs() < 1e-9);
}

#[test]
fn rejects_bad_input() {
    let l = PartitionLimits::default();
    let m = provisioned(10.0, 10.0);
    assert!(matches!(
        TableCapacity::new(m, &[], l, 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        TableCapacity::new(m, &[(1, 0.5)], l, 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        TableCapacity::new(m, &[(1, 0.5), (1, 0.5)], l, 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        TableCapacity::new(m, &[(1, f64::NAN), (2, 1.0)], l, 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        TableCapacity::new(provisioned(-1.0, 1.0), &[(1, 1.0)], l, 0),
        Err(Error::Invalid(_))
    ));
    let bad = PartitionLimits { max_wcu: 0.0, ..l };
    assert!(matches!(
        TableCapacity::new(m, &[(1, 1.0)], bad, 0),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn five_wcu_table_serves_burst_then_throttles() {
    let t = TableCapacity::new(
        provisioned(5.0, 5.0),
        &[(7, 1.0)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    let mut admitted = 0;
    while t.try_write(7, 1.0, 0).is_ok() {
        admitted += 1;
    }
    assert_eq!(admitted, 1500);
    let e = t.try_write(7, 1.0, 0);
    assert!(matches!(
        e,
        Err(Error::Throttled(Throttled {
            direction: Some(Direction::Write),
            ..
        }))
    ));
    assert!(t.try_read(7, 4.0, 0).is_ok());
    assert!(matches!(
        t.try_read(8, 1.0, 0),
        Err(Error::UnknownPartition(8))
    ));
}

#[test]
fn update_table_raises_at_once_without_losing_burst() {
    let t = TableCapacity::new(
        provisioned(5.0, 5.0),
        &[(1, 1.0)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    for _ in 0..1500 {
        assert!(t.try_write(1, 1.0, 0).is_ok());
    }
    assert!(t.set_mode(provisioned(5.0, 20_000.0), S).is_ok());
    // One partition: capped at 1,000 WCU until the planner's split is applied.
    assert_eq!(t.effective().wcu, 1000.0);
    // The 5 units earned in the second before the change are still there.
    assert_eq!(t.partition(1).map(|p| p.available(S).wcu), Some(5.0));
    assert_eq!(t.partition(1).map(|p| p.available(2 * S).wcu), Some(1005.0));
}

#[test]
fn decrease_cuts_burst_to_new_cap() {
    let t = TableCapacity::new(
        provisioned(100.0, 100.0),
        &[(1, 1.0)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    assert!(t.set_mode(provisioned(1.0, 1.0), 0).is_ok());
    assert_eq!(
        t.partition(1).map(|p| p.available(0)),
        Some(Throughput::new(300.0, 300.0))
    );
}

#[test]
fn switch_to_pay_per_request_and_back() {
    let t = TableCapacity::new(
        provisioned(10.0, 10.0),
        &[(1, 0.5), (2, 0.5)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    assert!(t.set_mode(BillingMode::PayPerRequest, 0).is_ok());
    assert_eq!(t.effective(), Throughput::new(6000.0, 2000.0));
    assert!(!t.mode().is_committed());
    assert!(t.set_mode(provisioned(10.0, 10.0), 0).is_ok());
    assert_eq!(t.effective(), Throughput::new(10.0, 10.0));
    assert_eq!(t.limits(), PartitionLimits::default());
}

#[test]
fn split_hands_the_parent_balance_to_children() {
    let t = TableCapacity::new(
        provisioned(20.0, 20.0),
        &[(1, 0.5), (2, 0.5)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    // Partition 1: rate 10, balance 3,000; put it 1,000 read units into debt.
    if let Some(p) = t.partition_mut(1) {
        p.charge_read(4000.0, 0);
    }
    assert!(t.apply_split(1, &[(10, 0.125), (11, 0.375)], 0).is_ok());
    assert_eq!(t.len(), 3);
    assert!(t.partition(1).is_none());
    let c10 = t.partition(10).map(|p| (p.rates(), p.available(0)));
    assert_eq!(
        c10,
        Some((Throughput::new(2.5, 2.5), Throughput::new(-250.0, 750.0)))
    );
    let c11 = t.partition(11).map(|p| (p.rates(), p.available(0)));
    assert_eq!(
        c11,
        Some((Throughput::new(7.5, 7.5), Throughput::new(-750.0, 2250.0)))
    );
    assert_eq!(t.effective(), Throughput::new(20.0, 20.0));
    // Bad splits.
    assert!(matches!(
        t.apply_split(1, &[(12, 0.5)], 0),
        Err(Error::UnknownPartition(1))
    ));
    assert!(matches!(
        t.apply_split(2, &[(12, 0.25)], 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        t.apply_split(2, &[(10, 0.25), (12, 0.25)], 0),
        Err(Error::Invalid(_))
    ));
    // A child may reuse the parent's id.
    assert!(t.apply_split(2, &[(2, 0.25), (12, 0.25)], 0).is_ok());
    assert_eq!(t.len(), 4);
}

#[test]
fn one_partition_to_twenty_reaches_20000_wcu() {
    let t = TableCapacity::new(
        provisioned(5.0, 5.0),
        &[(1, 1.0)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    assert!(t.set_mode(provisioned(5.0, 20_000.0), 0).is_ok());
    let children: Vec<(u64, f64)> = KeyRange::FULL
        .split_even(20)
        .unwrap_or_default()
        .iter()
        .zip(100..)
        .map(|(r, id)| (id, r.share()))
        .collect();
    assert!(t.apply_split(1, &children, 0).is_ok());
    assert_eq!(t.len(), 20);
    assert!((t.effective().wcu - 20_000.0).abs() < 1e-6);
}

#[test]
fn set_partitions_keeps_known_and_starts_new_empty() {
    let t = TableCapacity::new(
        provisioned(10.0, 10.0),
        &[(1, 0.5), (2, 0.5)],
        PartitionLimits::default(),
        0,
    );
    let Ok(mut t) = t else { panic!("{t:?}") };
    assert!(t
        .set_partitions(&[(1, 0.5), (3, 0.25), (4, 0.25)], 0)
        .is_ok());
    assert_eq!(t.partition(1).map(|p| p.available(0).rcu), Some(1500.0));
    assert_eq!(t.partition(3).map(|p| p.available(0).rcu), Some(0.0));
    assert!(t.partition(2).is_none());
    assert!(t.set_partitions(&[(1, 0.5)], 0).is_err());
}
