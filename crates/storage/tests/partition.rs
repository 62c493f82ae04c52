//! Partition behaviour against the real engine: the write path, recovery of sequence
//! numbers and statistics after reopening, log trimming, purging and range scans.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use shoal_storage::{Change, Derived, DerivedWrite, LogOp, PartitionDesc, Store, StoreConfig};
use shoal_types::{AttributeValue, Item};

fn open(dir: &std::path::Path) -> Store {
    Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes: 8 << 20,
    })
    .unwrap()
}

fn desc(id: u64, start: u64, end: u64) -> PartitionDesc {
    PartitionDesc {
        id,
        table_id: 7,
        start,
        end,
        log_old_images: true,
        log_new_images: true,
    }
}

fn item(k: &str, v: &str) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), AttributeValue::S(k.into()));
    i.insert("v".into(), AttributeValue::S(v.into()));
    i
}

fn put(p: &shoal_storage::Partition, point: u64, k: &str, v: &str) -> shoal_storage::Written {
    p.write(point, k.as_bytes(), |_| {
        Ok::<_, shoal_storage::Error>(Change::Put(item(k, v)))
    })
    .unwrap()
}

#[test]
fn writes_are_logged_in_order_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(1, 0, u64::MAX)).unwrap();
    let w1 = put(&p, 5, "a", "1");
    let w2 = put(&p, 5, "a", "2");
    let w3 = put(&p, 9, "b", "1");
    assert_eq!((w1.seq, w2.seq, w3.seq), (1, 2, 3));
    assert_eq!(w2.old, Some(item("a", "1")));
    store.durability().wait_blocking(w3.ticket).unwrap();
    let d = p
        .write(9, b"b", |current| {
            assert_eq!(current.item(), Some(&item("b", "1")));
            Ok::<_, shoal_storage::Error>(Change::Delete)
        })
        .unwrap();
    store.durability().wait_blocking(d.ticket).unwrap();
    let stats = p.stats();
    assert_eq!((stats.items, stats.last_seq), (1, 4));

    let log = p.read_log(1, 100).unwrap();
    let ops: Vec<_> = log.iter().map(|r| (r.seq, r.op)).collect();
    assert_eq!(
        ops,
        vec![
            (1, LogOp::Put),
            (2, LogOp::Put),
            (3, LogOp::Put),
            (4, LogOp::Delete)
        ]
    );
    assert!(
        !log[1].old_image.is_empty(),
        "old images are logged when asked"
    );
    assert_eq!(
        shoal_types::codec::decode_item(&log[1].new_image).unwrap(),
        item("a", "2"),
        "new images are logged when asked"
    );
    store.close().unwrap();
    drop(store);
    drop(p);

    // No checkpoint was taken: reopening replays the whole log for the statistics.
    let store = open(dir.path());
    let p = store.open_partition(desc(1, 0, u64::MAX)).unwrap();
    assert_eq!(p.stats(), stats);
    assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", "2")));
    assert_eq!(p.get(9, b"b").unwrap(), None);
    assert_eq!(
        put(&p, 1, "c", "1").seq,
        5,
        "sequence continues after reopen"
    );
}

#[test]
fn without_image_readers_records_keep_sizes_but_no_images() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let bare = PartitionDesc {
        log_old_images: false,
        log_new_images: false,
        ..desc(3, 0, u64::MAX)
    };
    let p = store.open_partition(bare.clone()).unwrap();
    put(&p, 5, "a", "1");
    put(&p, 5, "a", "22");
    let log = p.read_log(1, 10).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log
        .iter()
        .all(|r| r.new_image.is_empty() && r.old_image.is_empty()));
    assert_eq!(
        (log[0].old_size, log[1].old_size),
        (None, Some(log[0].new_size))
    );
    assert_eq!(log[1].new_size, log[0].new_size + 1);
    assert_eq!(log[1].key, [&5u64.to_be_bytes()[..], b"a"].concat());
    store.close().unwrap();
    drop((store, p));

    // The item lives on in the data keyspace, and the sizes rebuild the statistics.
    let store = open(dir.path());
    let p = store.open_partition(bare).unwrap();
    assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", "22")));
    assert_eq!((p.stats().items, p.stats().last_seq), (1, 2));
}

#[test]
fn checkpoint_then_trim_keeps_statistics_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(2, 0, u64::MAX)).unwrap();
    for i in 0..50 {
        put(&p, i, &format!("k{i}"), "x");
    }
    let removed = store.trim_log(&p, 40).unwrap();
    assert_eq!(removed, 39, "records 1..=39 are removed");
    assert_eq!(p.read_log(0, 100).unwrap().first().map(|r| r.seq), Some(40));
    for i in 0..10 {
        p.write(i, format!("k{i}").as_bytes(), |_| {
            Ok::<_, shoal_storage::Error>(Change::Delete)
        })
        .unwrap();
    }
    let expect = p.stats();
    assert_eq!(expect.items, 40);
    store.close().unwrap();
    drop((store, p));
    let store = open(dir.path());
    let p = store.open_partition(desc(2, 0, u64::MAX)).unwrap();
    assert_eq!(p.stats(), expect, "checkpoint plus replay of the rest");
}

#[test]
fn scans_stay_inside_the_partition_range_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let low = store.open_partition(desc(3, 0, 999)).unwrap();
    let high = store.open_partition(desc(4, 1000, u64::MAX)).unwrap();
    for i in 0..30u64 {
        let point = i * 100;
        let p = if low.contains(point) { &low } else { &high };
        put(p, point, &format!("k{i:02}"), "v");
    }
    put(&high, u64::MAX, "last", "v");
    let all_low = low.scan(None, 1000).unwrap();
    assert!(all_low.done);
    assert_eq!(all_low.items.len(), 10);
    let mut seen = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let b = high.scan(after.as_deref(), 7).unwrap();
        seen.extend(b.items.iter().map(|(k, _)| k.clone()));
        after = b.items.last().map(|(k, _)| k.clone());
        if b.done {
            break;
        }
    }
    assert_eq!(seen.len(), 21, "20 items plus the one at the top point");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "storage order, no duplicates");
}

#[test]
fn purge_removes_items_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(5, 0, u64::MAX)).unwrap();
    for i in 0..100 {
        put(&p, i, &format!("k{i}"), "x");
    }
    store.purge_partition(p.desc()).unwrap();
    assert!(p.scan(None, 10).unwrap().items.is_empty());
    assert!(p.read_log(0, 10).unwrap().is_empty());
}

#[test]
fn a_refused_change_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(6, 0, u64::MAX)).unwrap();
    let r = p.write(1, b"a", |_| {
        Err::<Change, _>(shoal_storage::Error::Corrupt("no".into()))
    });
    assert!(r.is_err());
    assert_eq!(p.stats().last_seq, 0);
    assert!(p.read_log(0, 10).unwrap().is_empty());
    assert_eq!(p.get(1, b"a").unwrap(), None);
}

/// Runs `f(0..n)` on `n` threads at once; their results in thread order.
fn in_threads<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|t| {
                let f = &f;
                s.spawn(move || f(t))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_writers_get_unique_sequences_and_shared_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(8, 0, u64::MAX)).unwrap();
    let mut all: Vec<u64> = in_threads(8, |t| {
        let mut seqs = Vec::new();
        for i in 0..200 {
            let w = put(&p, i, &format!("t{t}-{i}"), "v");
            store.durability().wait_blocking(w.ticket).unwrap();
            seqs.push(w.seq);
        }
        seqs
    })
    .concat();
    all.sort();
    assert_eq!(all, (1..=1600).collect::<Vec<_>>());
    let (issued, durable) = store.durability().positions();
    assert_eq!(issued, 1600);
    assert!(durable >= 1600);
    assert_eq!(p.stats().items, 1600);
}

/// A decision may build the new item from the current one itself (`Current::take`): the
/// write's sizes and logged old image still describe the item it replaced, and a
/// partition that derives entries from the old item still gets it.
#[test]
fn a_decision_that_takes_the_current_item_still_logs_and_derives_it() {
    struct SeesOld(Mutex<Vec<Option<Item>>>);
    impl Derived for SeesOld {
        fn derive(&self, old: Option<&Item>, _: Option<&Item>, _: &mut Vec<DerivedWrite>) {
            self.0.lock().unwrap().push(old.cloned());
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(11, 0, u64::MAX)).unwrap();
    let size = |v: &str| shoal_types::size::item_size(&item("a", v));
    let old_size = size("1");
    put(&p, 5, "a", "1");
    let update = |p: &shoal_storage::Partition, from: &str, to: &str| {
        p.write(5, b"a", |current| {
            assert_eq!(current.size(), Some(size(from)));
            let mut next = current.take().unwrap();
            next.insert("v".into(), AttributeValue::S(to.into()));
            assert_eq!(current.size(), Some(size(from)), "the size outlives a take");
            Ok::<_, shoal_storage::Error>(Change::Put(next))
        })
        .unwrap()
    };
    let w = update(&p, "1", "22");
    assert_eq!(w.old, None, "taken, not copied");
    assert_eq!(w.new, Some(item("a", "22")));
    assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", "22")));
    let record = p.read_log(w.seq, 1).unwrap().remove(0);
    assert_eq!(record.old_size, Some(old_size as u32));
    assert_eq!(
        shoal_types::codec::decode_item(&record.old_image).unwrap(),
        item("a", "1")
    );
    let stats = p.stats();
    assert_eq!(stats.items, 1);
    assert_eq!(stats.bytes, size("22") as u64);

    let seen = Arc::new(SeesOld(Mutex::new(Vec::new())));
    p.set_derived(Some(seen.clone()));
    let w = update(&p, "22", "333");
    assert_eq!(
        w.old,
        Some(item("a", "22")),
        "copied for the derived entries"
    );
    assert_eq!(*seen.0.lock().unwrap(), vec![Some(item("a", "22"))]);
}

/// `decide` sees the item as the write lock leaves it: concurrent read-modify-writes of
/// the same items (two keys at one point) lose no update. (A read of the item before the
/// lock, kept without checking that no write came between, fails this.)
#[test]
fn concurrent_read_modify_writes_lose_no_update() {
    fn counter(i: Option<&Item>) -> u64 {
        match i.and_then(|i| i.get("v")) {
            Some(AttributeValue::S(s)) => s.parse().unwrap(),
            _ => 0,
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(10, 0, u64::MAX)).unwrap();
    in_threads(8, |_| {
        for i in 0..200 {
            let k = if i % 2 == 0 { "a" } else { "b" };
            p.write(5, k.as_bytes(), |current| {
                let n = counter(current.item()) + 1;
                Ok::<_, shoal_storage::Error>(Change::Put(item(k, &n.to_string())))
            })
            .unwrap();
        }
    });
    assert_eq!(counter(p.get(5, b"a").unwrap().as_ref()), 800);
    assert_eq!(counter(p.get(5, b"b").unwrap().as_ref()), 800);
    assert_eq!(p.stats().last_seq, 1600);
}

#[test]
fn readers_are_told_to_wait_for_every_write_they_can_see() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(9, 0, u64::MAX)).unwrap();
    assert_eq!(
        p.read_ticket(),
        shoal_storage::Ticket(0),
        "nothing written yet"
    );
    let w = put(&p, 3, "a", "1");
    assert!(p.get(3, b"a").unwrap().is_some());
    assert!(p.read_ticket() >= w.ticket, "the visible write is covered");
    store.durability().wait_blocking(p.read_ticket()).unwrap();
    let (_, durable) = store.durability().positions();
    assert!(durable >= w.ticket.0);
}

/// Items and bytes in a partition's range, counted by a full scan.
fn count(p: &shoal_storage::Partition) -> (u64, u64) {
    let (mut n, mut bytes) = (0u64, 0u64);
    let mut after = None;
    loop {
        let b = p.scan(after.as_deref(), 500).unwrap();
        n += b.items.len() as u64;
        for (k, item) in &b.items {
            let point = shoal_storage::keys::point_of_data_key(k).unwrap();
            assert!(p.contains(point));
            bytes += shoal_types::size::item_size(item) as u64;
        }
        after = b.items.last().map(|(k, _)| k.clone());
        if b.done {
            return (n, bytes);
        }
    }
}

/// Points spread over the whole space, so both halves of a split get items.
fn spread(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[test]
fn a_split_under_concurrent_writes_keeps_every_item_and_exact_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let parent = store.open_partition(desc(1, 0, u64::MAX)).unwrap();
    for i in 0..2_000u64 {
        put(&parent, spread(i), &format!("k{i}"), "before");
    }
    let mid = u64::MAX / 2;
    let children = vec![desc(2, 0, mid), desc(3, mid + 1, u64::MAX)];
    // Writers keep going through the parent handle (as a request that routed with the
    // old partition map would) while the split is prepared and finished.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let p = Arc::clone(&parent);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 200 {
                    let i = 2_000 + w * 1_000_000 + n;
                    put(&p, spread(i), &format!("k{i}"), "during");
                    // Overwrites and deletes change the counts too.
                    if n.is_multiple_of(7) {
                        let j = n % 2_000;
                        p.write(spread(j), format!("k{j}").as_bytes(), |_| {
                            Ok::<_, shoal_storage::Error>(Change::Delete)
                        })
                        .unwrap();
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let prepared = store.prepare_split(&parent, children.clone()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let installed = std::sync::Mutex::new(false);
    let opened = store
        .finish_split(
            prepared,
            |_| Ok::<_, shoal_storage::Error>(vec![(b"catalog".to_vec(), Some(b"v2".to_vec()))]),
            |_| {
                *installed.lock().unwrap() = true;
                Ok(())
            },
        )
        .unwrap();
    assert!(*installed.lock().unwrap());
    assert!(parent.is_retired());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(store.meta_get(b"catalog").unwrap(), Some(b"v2".to_vec()));
    // Children continue the parent's sequence numbers.
    let parent_last = parent.stats().last_seq;
    for (c, start) in &opened {
        assert_eq!(start.last_seq, parent_last);
        put(c, c.desc().start, "probe", "x");
        assert_eq!(c.read_log(0, 1).unwrap()[0].seq, parent_last + 1);
    }
    // Statistics are exact: they equal a full count of each child's range, also for the
    // child whose start was derived from the parent's counters rather than counted.
    let mut total = 0;
    for (c, _) in &opened {
        let (n, bytes) = count(c);
        assert_eq!(c.stats().items, n, "child {}", c.desc().id);
        assert_eq!(c.stats().bytes, bytes, "child {}", c.desc().id);
        total += n;
    }
    assert!(total > 2_000);
    // Reopened, children recover the same statistics from checkpoint plus log.
    let expect: Vec<_> = opened.iter().map(|(c, _)| c.stats()).collect();
    drop(opened);
    drop(parent);
    store.close().unwrap();
    drop(store);
    let store = open(dir.path());
    for (d, e) in children.into_iter().zip(expect) {
        let c = store.open_partition(d).unwrap();
        assert_eq!(c.stats(), e);
    }
}

/// The widest child's start comes from the parent's counters, so a parent whose counters
/// were recovered (checkpoint plus log replay) must split into exact children too.
#[test]
fn a_split_after_reopen_gives_every_child_exact_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let children = vec![
        desc(2, 0, u64::MAX / 4),
        desc(3, u64::MAX / 4 + 1, u64::MAX / 2),
        desc(4, u64::MAX / 2 + 1, u64::MAX),
    ];
    {
        let store = open(dir.path());
        let p = store.open_partition(desc(1, 0, u64::MAX)).unwrap();
        for i in 0..1_500u64 {
            // Sizes vary, so a wrong byte count cannot hide behind a right item count.
            put(
                &p,
                spread(i),
                &format!("k{i}"),
                &"v".repeat((i % 97) as usize),
            );
            if i == 700 {
                store.checkpoint(&p).unwrap();
            }
            if i % 5 == 0 {
                let j = i / 2;
                p.write(spread(j), format!("k{j}").as_bytes(), |_| {
                    Ok::<_, shoal_storage::Error>(Change::Delete)
                })
                .unwrap();
            }
        }
        store.close().unwrap();
    }
    let store = open(dir.path());
    let parent = store.open_partition(desc(1, 0, u64::MAX)).unwrap();
    assert_eq!(parent.stats().items, count(&parent).0);
    let prepared = store.prepare_split(&parent, children).unwrap();
    let opened = store
        .finish_split(
            prepared,
            |_| Ok::<_, shoal_storage::Error>(Vec::new()),
            |_| Ok(()),
        )
        .unwrap();
    for (c, start) in &opened {
        let (n, bytes) = count(c);
        assert!(n > 100, "child {} holds {n} items", c.desc().id);
        assert_eq!(
            (start.items, start.bytes),
            (n, bytes),
            "child {}",
            c.desc().id
        );
    }
    store.close().unwrap();
}

#[test]
fn a_split_refuses_children_that_do_not_cover_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let parent = store.open_partition(desc(1, 100, 200)).unwrap();
    for bad in [
        vec![desc(2, 100, 150)],
        vec![desc(2, 100, 150), desc(3, 152, 200)],
        vec![desc(2, 101, 150), desc(3, 151, 200)],
        vec![],
    ] {
        assert!(store.prepare_split(&parent, bad).is_err());
    }
    assert!(!parent.is_retired());
}

#[test]
fn large_items_live_in_blob_files_through_flush_compaction_and_reopen() {
    // No item cache: every read below goes to the engine's tables and blob files.
    let open_uncached = |dir: &std::path::Path| {
        Store::open(StoreConfig {
            path: dir.to_path_buf(),
            cache_bytes: 8 << 20,
            item_cache_bytes: 0,
        })
        .unwrap()
    };
    let value = |i: u64, round: u64| {
        // Even keys are small items, odd keys images well over the blob threshold, the
        // last one near DynamoDB's 400 KB item limit.
        let len = match i {
            199 => 390_000,
            _ if i.is_multiple_of(2) => 40,
            _ => 3000 + i as usize,
        };
        format!("{round}:{i}:").repeat(len / 6 + 1)
    };
    let dir = tempfile::tempdir().unwrap();
    let store = open_uncached(dir.path());
    let p = store.open_partition(desc(6, 0, u64::MAX)).unwrap();
    for i in 0..200 {
        put(&p, i, &format!("k{i}"), &value(i, 0));
    }
    store.flush_data(false).unwrap();
    assert!(store.data_blob_files() > 0, "large images are separated");
    // Overwrite most large items and delete some of both sizes, then merge all tables:
    // the merge drops the replaced entries and leaves their blobs stale.
    for i in (1..200).step_by(2).filter(|i| i % 10 != 1) {
        put(&p, i, &format!("k{i}"), &value(i, 1));
    }
    for i in (0..200).step_by(7) {
        p.write(i, format!("k{i}").as_bytes(), |_| {
            Ok::<_, shoal_storage::Error>(Change::Delete)
        })
        .unwrap();
    }
    store.flush_data(true).unwrap();
    let expected = |i: u64| {
        if i.is_multiple_of(7) {
            None
        } else if i % 2 == 1 && i % 10 != 1 {
            Some(item(&format!("k{i}"), &value(i, 1)))
        } else {
            Some(item(&format!("k{i}"), &value(i, 0)))
        }
    };
    let check = |p: &shoal_storage::Partition| {
        for i in 0..200 {
            assert_eq!(
                p.get(i, format!("k{i}").as_bytes()).unwrap(),
                expected(i),
                "k{i}"
            );
        }
        let scanned = p.scan(None, 1000).unwrap();
        assert_eq!(
            scanned.items.len(),
            (0..200).filter(|&i| expected(i).is_some()).count()
        );
    };
    check(&p);
    let stats = p.stats();
    assert_eq!(
        stats.items,
        (0..200).filter(|&i| expected(i).is_some()).count() as u64
    );
    store.close().unwrap();
    drop((store, p));

    let store = open_uncached(dir.path());
    let p = store.open_partition(desc(6, 0, u64::MAX)).unwrap();
    check(&p);
    assert_eq!(p.stats(), stats);
}

#[test]
fn the_data_keyspace_merges_its_first_level_at_eight_tables() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc(8, 0, u64::MAX)).unwrap();
    // Each flush writes one table over the whole key range, as hashed keys do. The
    // first may be moved down to the empty last level instead of staying in the first.
    let flush_round = |round: u64| {
        for i in 0..20 {
            put(
                &p,
                i * (u64::MAX / 20),
                &format!("k{i}"),
                &format!("{round}"),
            );
        }
        store.flush_data(false).unwrap();
    };
    let mut round = 0;
    while store.data_l0_tables() < 7 {
        assert!(
            round < 8,
            "{} tables after {round} flushes",
            store.data_l0_tables()
        );
        flush_round(round);
        round += 1;
    }
    // A merge would start within milliseconds of the flush that calls for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
    while std::time::Instant::now() < deadline {
        assert_eq!(store.data_l0_tables(), 7, "merged before eight tables");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    flush_round(round);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.data_l0_tables() >= 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "eight tables never merged"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for i in 0..20 {
        let got = p
            .get(i * (u64::MAX / 20), format!("k{i}").as_bytes())
            .unwrap();
        assert_eq!(got, Some(item(&format!("k{i}"), &round.to_string())));
    }
}
