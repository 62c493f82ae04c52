use proptest::prelude::*;

use super::*;

const GB: u64 = 1024 * 1024 * 1024;

fn limits() -> PartitionLimits {
    PartitionLimits::default()
}

fn even(n: u64, size_bytes: u64, capacity: Throughput) -> Vec<PartitionInfo> {
    KeyRange::FULL
        .split_even(n)
        .unwrap_or_default()
        .into_iter()
        .zip(1..)
        .map(|(range, id)| PartitionInfo {
            id,
            range,
            size_bytes,
            capacity: capacity.scaled(range.share()),
        })
        .collect()
}

fn planned(parts: &[PartitionInfo], target: Throughput) -> SplitPlan {
    match plan(parts, target, &limits()) {
        Ok(p) => {
            if let Err(e) = p.validate(&limits()) {
                panic!("{e}: {p:#?}");
            }
            p
        }
        Err(e) => panic!("{e}"),
    }
}

fn close(a: Throughput, b: Throughput) -> bool {
    (a.rcu - b.rcu).abs() < 1e-6 && (a.wcu - b.wcu).abs() < 1e-6
}

#[test]
fn one_partition_to_20000_wcu_makes_20_partitions_in_5_generations() {
    let parts = even(1, 0, Throughput::new(5.0, 5.0));
    let p = planned(&parts, Throughput::new(5.0, 20_000.0));
    assert_eq!(p.partitions_after, 20);
    assert_eq!(p.lower_bound, 20);
    assert_eq!(p.splits.len(), 1);
    assert_eq!(p.splits[0].reason, SplitReason::Throughput);
    assert_eq!(p.splits[0].generations, 5);
    for c in &p.splits[0].children {
        assert!((c.capacity.wcu - 1000.0).abs() < 1e-9, "{c:?}");
        assert!((c.capacity.rcu - 0.25).abs() < 1e-9, "{c:?}");
    }
    // The worked example in the module docs.
    assert!(close(
        p.capacity_before_splits,
        Throughput::new(5.0, 1000.0)
    ));
    let counts: Vec<usize> = p.generations.iter().map(|g| g.partitions_after).collect();
    assert_eq!(counts, [2, 4, 8, 16, 20]);
    let wcu: Vec<f64> = p
        .generations
        .iter()
        .map(|g| g.capacity_after.wcu.round())
        .collect();
    assert_eq!(wcu, [2000.0, 4000.0, 8000.0, 16_000.0, 20_000.0]);
    let steps: Vec<usize> = p.generations.iter().map(|g| g.splits.len()).collect();
    assert_eq!(steps, [1, 2, 4, 8, 4]);
    // Generation 1 splits the whole space in exact halves (20 = 10 + 10).
    let g1 = p.generations[0].splits[0];
    assert_eq!((g1.origin, g1.range), (1, KeyRange::FULL));
    assert_eq!(g1.right.range.start, 1 << 63);
    assert_eq!(g1.left.capacity.wcu, 1000.0);
}

#[test]
fn four_even_partitions_serve_10000_rcu_without_splitting() {
    // 4 × 3,000 = 12,000 >= 10,000: each quarter carries 2,500 RCU.
    let parts = even(4, GB, Throughput::new(100.0, 100.0));
    let p = planned(&parts, Throughput::new(10_000.0, 100.0));
    assert!(p.is_reallocation_only());
    assert_eq!(p.partitions_after, 4);
    assert_eq!(p.lower_bound, 4);
    for l in &p.layout {
        assert!(matches!(l.origin, Origin::Existing(_)));
        assert_eq!(l.capacity, Throughput::new(2500.0, 25.0));
        assert_eq!(l.previous, Some(Throughput::new(25.0, 25.0)));
    }
    assert!(p.generations.is_empty());
    // 13,000 RCU needs 5 as an even table would, but 4 quarters must each split: 8.
    let p = planned(&parts, Throughput::new(13_000.0, 100.0));
    assert_eq!((p.lower_bound, p.partitions_after), (5, 8));
}

#[test]
fn uneven_partitions_split_only_where_needed() {
    // Worked example 2 of the module docs.
    let half = KeyRange {
        start: 0,
        end: (1 << 63) - 1,
    };
    let q2 = KeyRange {
        start: 1 << 63,
        end: (3 << 62) - 1,
    };
    let q3 = KeyRange {
        start: 3 << 62,
        end: u64::MAX,
    };
    let c = Throughput::new(100.0, 100.0);
    let parts = [
        PartitionInfo {
            id: 30,
            range: q3,
            size_bytes: GB,
            capacity: c,
        },
        PartitionInfo {
            id: 10,
            range: half,
            size_bytes: 4 * GB,
            capacity: c,
        },
        PartitionInfo {
            id: 20,
            range: q2,
            size_bytes: 12 * GB,
            capacity: c,
        },
    ];
    let p = planned(&parts, Throughput::new(6000.0, 4000.0));
    assert_eq!(
        (p.partitions_before, p.partitions_after, p.lower_bound),
        (3, 5, 4)
    );
    let by: Vec<(u64, SplitReason, usize)> = p
        .splits
        .iter()
        .map(|s| (s.parent, s.reason, s.children.len()))
        .collect();
    assert_eq!(
        by,
        [(10, SplitReason::Throughput, 2), (20, SplitReason::Size, 2)]
    );
    let caps: Vec<(f64, f64)> = p
        .layout
        .iter()
        .map(|l| (l.capacity.rcu, l.capacity.wcu))
        .collect();
    assert_eq!(
        caps,
        [
            (1500.0, 1000.0),
            (1500.0, 1000.0),
            (750.0, 500.0),
            (750.0, 500.0),
            (1500.0, 1000.0)
        ]
    );
    assert_eq!(p.layout[4].origin, Origin::Existing(30));
    assert_eq!(
        p.layout[2].origin,
        Origin::Split {
            parent: 20,
            index: 0
        }
    );
    assert_eq!(p.layout[2].size_bytes, 6 * GB);
    assert!(close(
        p.capacity_before_splits,
        Throughput::new(6000.0, 3000.0)
    ));
    assert_eq!(p.generations.len(), 1);
    assert!(close(
        p.generations[0].capacity_after,
        Throughput::new(6000.0, 4000.0)
    ));
}

#[test]
fn half_the_key_space_in_one_partition() {
    // One partition with half the space, 4 with an eighth each; 8,000 WCU: the half needs
    // 4 children of 1/8, the eighths are fine (1,000 each). 8 partitions = even bound.
    let mut parts = vec![PartitionInfo {
        id: 1,
        range: KeyRange {
            start: 0,
            end: (1 << 63) - 1,
        },
        size_bytes: 0,
        capacity: Throughput::default(),
    }];
    let upper = KeyRange {
        start: 1 << 63,
        end: u64::MAX,
    };
    for (i, r) in (2..).zip(upper.split_even(4).unwrap_or_default()) {
        parts.push(PartitionInfo {
            id: i,
            range: r,
            size_bytes: 0,
            capacity: Throughput::default(),
        });
    }
    let p = planned(&parts, Throughput::new(0.0, 8000.0));
    assert_eq!((p.partitions_after, p.lower_bound), (8, 8));
    assert_eq!(p.splits.len(), 1);
    assert_eq!(p.splits[0].generations, 2);
    let halves: Vec<usize> = p.generations.iter().map(|g| g.splits.len()).collect();
    assert_eq!(halves, [1, 2]);
    // 9,000 WCU: the half needs ⌈4.5⌉ = 5 and each eighth ⌈1.125⌉ = 2: 13 vs an even 9.
    let p = planned(&parts, Throughput::new(0.0, 9000.0));
    assert_eq!((p.partitions_after, p.lower_bound), (13, 9));
}

#[test]
fn decreases_never_merge() {
    let parts = even(20, GB, Throughput::new(0.0, 1000.0));
    let p = planned(&parts, Throughput::new(1.0, 5.0));
    assert!(p.is_reallocation_only());
    assert_eq!(p.partitions_after, 20);
    assert_eq!(p.lower_bound, 20);
    for l in &p.layout {
        assert!((l.capacity.wcu - 0.25).abs() < 1e-9);
    }
    let p = planned(&parts, Throughput::new(0.0, 0.0));
    assert_eq!(p.partitions_after, 20);
}

#[test]
fn size_triggered_split() {
    let mut parts = even(2, GB, Throughput::new(10.0, 10.0));
    parts[1].size_bytes = 10 * GB + 1;
    let p = planned(&parts, Throughput::new(10.0, 10.0));
    assert_eq!(p.partitions_after, 3);
    assert_eq!(p.splits.len(), 1);
    assert_eq!(
        (p.splits[0].parent, p.splits[0].reason),
        (2, SplitReason::Size)
    );
    assert_eq!(p.splits[0].children[0].capacity, Throughput::new(2.5, 2.5));
    // Exactly at the limit is allowed; 25 GB needs 3.
    parts[1].size_bytes = 10 * GB;
    assert!(planned(&parts, Throughput::new(10.0, 10.0)).is_reallocation_only());
    parts[1].size_bytes = 25 * GB;
    let p = planned(&parts, Throughput::new(10.0, 10.0));
    assert_eq!(p.splits[0].children.len(), 3);
    let sizes: u64 = p.layout.iter().skip(1).map(|l| l.size_bytes).sum();
    assert!(sizes.abs_diff(25 * GB) <= 3);
}

#[test]
fn rejects_bad_input() {
    let l = limits();
    let t = Throughput::new(1.0, 1.0);
    assert!(matches!(plan(&[], t, &l), Err(Error::Invalid(_))));
    let mut parts = even(3, 0, t);
    parts[1].range.start += 1;
    assert!(matches!(plan(&parts, t, &l), Err(Error::Invalid(_))));
    let mut parts = even(2, 0, t);
    parts[1].id = parts[0].id;
    assert!(matches!(plan(&parts, t, &l), Err(Error::Invalid(_))));
    let parts = even(1, 0, t);
    assert!(matches!(
        plan(&parts, Throughput::new(f64::NAN, 1.0), &l),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        plan(&parts, Throughput::new(1e12, 1.0), &l),
        Err(Error::Invalid(_))
    ));
    let bad = PartitionLimits { max_bytes: 0, ..l };
    assert!(matches!(plan(&parts, t, &bad), Err(Error::Invalid(_))));
    // A one-point partition cannot split in two.
    let parts = [
        PartitionInfo {
            id: 1,
            range: KeyRange { start: 0, end: 0 },
            size_bytes: 20 * GB,
            capacity: t,
        },
        PartitionInfo {
            id: 2,
            range: KeyRange {
                start: 1,
                end: u64::MAX,
            },
            size_bytes: 0,
            capacity: t,
        },
    ];
    assert!(matches!(plan(&parts, t, &l), Err(Error::Invalid(_))));
}

/// Partitions from a random binary-split history: uneven widths, as after real splits.
fn arb_partitions() -> impl Strategy<Value = Vec<PartitionInfo>> {
    (
        prop::collection::vec(any::<u64>(), 0..12),
        prop::collection::vec(0u64..25 * GB, 12),
    )
        .prop_map(|(picks, sizes)| {
            let mut ranges = vec![KeyRange::FULL];
            for pick in picks {
                let i = (pick % ranges.len() as u64) as usize;
                let r = ranges[i];
                if let Some(halves) = r.split_even(2) {
                    ranges.splice(i..=i, halves);
                }
            }
            ranges
                .into_iter()
                .zip(1..)
                .zip(sizes.into_iter().cycle())
                .map(|((range, id), size_bytes)| PartitionInfo {
                    id,
                    range,
                    size_bytes,
                    capacity: Throughput::default(),
                })
                .collect()
        })
}

proptest! {
    #[test]
    fn plans_cover_the_space_respect_limits_and_stay_bounded(
        parts in arb_partitions(),
        rcu in 0.0f64..100_000.0,
        wcu in 0.0f64..50_000.0,
    ) {
        let l = limits();
        let target = Throughput::new(rcu, wcu);
        let p = plan(&parts, target, &l);
        prop_assert!(p.is_ok(), "{:?}", p);
        let Ok(p) = p else { return Ok(()) };
        prop_assert!(p.validate(&l).is_ok(), "{:?}", p.validate(&l));
        // Between the even lower bound and before + ⌈R/3000⌉ + ⌈W/1000⌉ + ⌈size/10GB⌉.
        let size: u64 = parts.iter().map(|p| p.size_bytes).sum();
        let upper = parts.len() as u64
            + (rcu / l.max_rcu).ceil() as u64
            + (wcu / l.max_wcu).ceil() as u64
            + size.div_ceil(l.max_bytes);
        prop_assert!(p.lower_bound <= p.partitions_after);
        prop_assert!(p.partitions_after as u64 <= upper, "{} > {upper}", p.partitions_after);
        prop_assert!(p.partitions_after >= p.partitions_before);
        // Minimal: one child fewer would overload a child or overflow its size.
        for s in &p.splits {
            let n = s.children.len() as f64;
            let w = s.parent_range.share() / (n - 1.0);
            let size = parts.iter().find(|x| x.id == s.parent).map_or(0, |x| x.size_bytes);
            let over = w * rcu > l.max_rcu + 1e-6
                || w * wcu > l.max_wcu + 1e-6
                || size as f64 / (n - 1.0) > l.max_bytes as f64;
            prop_assert!(over, "{s:?} could use fewer children");
        }
        // Generations only grow the partition count and capacity, ending at the layout.
        let mut prev = (p.partitions_before, p.capacity_before_splits);
        for g in &p.generations {
            prop_assert!(g.partitions_after > prev.0);
            prop_assert!(g.capacity_after.rcu + 1e-6 >= prev.1.rcu);
            prop_assert!(g.capacity_after.wcu + 1e-6 >= prev.1.wcu);
            for s in &g.splits {
                prop_assert_eq!(s.left.range.start, s.range.start);
                prop_assert_eq!(s.right.range.end, s.range.end);
                prop_assert_eq!(u128::from(s.left.range.end) + 1, u128::from(s.right.range.start));
            }
            prev = (g.partitions_after, g.capacity_after);
        }
        prop_assert!(close(prev.1, target) || p.generations.is_empty());
    }
}
