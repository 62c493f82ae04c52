//! The item cache in front of point reads: a cached item never outlives the write that
//! replaced it, also when reads that missed race with writes of the same key.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use shoal_storage::{Change, Partition, PartitionDesc, Store, StoreConfig};
use shoal_types::{AttributeValue, Item};

fn open(dir: &std::path::Path, item_cache_bytes: u64) -> Store {
    Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes,
    })
    .unwrap()
}

fn partition(store: &Store) -> Arc<Partition> {
    store
        .open_partition(PartitionDesc {
            id: 1,
            table_id: 7,
            start: 0,
            end: u64::MAX,
            log_old_images: false,
            log_new_images: false,
        })
        .unwrap()
}

fn item(k: &str, version: u64) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), AttributeValue::S(k.into()));
    i.insert("v".into(), AttributeValue::S(version.to_string()));
    i
}

fn version(i: &Item) -> u64 {
    match i.get("v") {
        Some(AttributeValue::S(n)) => n.parse().unwrap(),
        other => panic!("no version: {other:?}"),
    }
}

fn put(p: &Partition, point: u64, k: &str, version: u64) {
    p.write(point, k.as_bytes(), |_| {
        Ok::<_, shoal_storage::Error>(Change::Put(item(k, version)))
    })
    .unwrap();
}

fn delete(p: &Partition, point: u64, k: &str) {
    p.write(point, k.as_bytes(), |_| {
        Ok::<_, shoal_storage::Error>(Change::Delete)
    })
    .unwrap();
}

#[test]
fn cached_reads_follow_every_write() {
    for cache in [8 << 20, 0] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), cache);
        let p = partition(&store);
        put(&p, 5, "a", 1);
        assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", 1)));
        let stats = store.item_cache_stats();
        assert_eq!(
            stats.entries,
            u64::from(cache > 0),
            "the read filled the cache"
        );
        put(&p, 5, "a", 2);
        assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", 2)));
        if cache > 0 {
            // The write replaced the cached image; the read after it was a hit.
            assert_eq!(store.item_cache_stats().hits, stats.hits + 2);
        }
        // The write path's own read of the current item goes through the cache too.
        let w = p
            .write(5, b"a", |current| {
                assert_eq!(current.item(), Some(&item("a", 2)));
                Ok::<_, shoal_storage::Error>(Change::Put(item("a", 3)))
            })
            .unwrap();
        assert_eq!(w.old, Some(item("a", 2)));
        // Writes alone do not cache what they replace or write: only reads fill.
        let before = store.item_cache_stats().entries;
        put(&p, 5, "b", 1);
        put(&p, 5, "b", 2);
        assert_eq!(store.item_cache_stats().entries, before);
        delete(&p, 5, "a");
        assert_eq!(p.get(5, b"a").unwrap(), None);
        put(&p, 5, "a", 4);
        assert_eq!(p.get(5, b"a").unwrap(), Some(item("a", 4)));
        store.close().unwrap();
    }
}

#[test]
fn a_purged_table_leaves_nothing_cached() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 8 << 20);
    let p = partition(&store);
    put(&p, 5, "a", 1);
    assert!(p.get(5, b"a").unwrap().is_some());
    store.purge_partition(p.desc()).unwrap();
    assert_eq!(store.item_cache_stats().entries, 0);
    assert_eq!(p.get(5, b"a").unwrap(), None);
    store.close().unwrap();
}

#[test]
fn the_cache_stays_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let budget = 256 << 10;
    let store = open(dir.path(), budget);
    let p = partition(&store);
    let big = "x".repeat(1000);
    for n in 0..2000u64 {
        let k = format!("k{n}");
        let mut i = item(&k, n);
        i.insert("pad".into(), AttributeValue::S(big.clone()));
        let point = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        p.write(point, k.as_bytes(), |_| {
            Ok::<_, shoal_storage::Error>(Change::Put(i))
        })
        .unwrap();
        assert!(p.get(point, k.as_bytes()).unwrap().is_some());
    }
    let stats = store.item_cache_stats();
    assert!(stats.entries > 10, "{stats:?}");
    assert!(stats.bytes <= budget, "{stats:?}, budget {budget}");
    store.close().unwrap();
}

/// Readers that miss fill the cache with what they read from the engine; a write that
/// commits between their read and their fill must win, or the cache would serve the older
/// item from then on. The writer checks that it reads its own write back every time;
/// readers check that no key ever goes back in time.
#[test]
fn reads_racing_writes_never_bring_back_an_older_item() {
    let dir = tempfile::tempdir().unwrap();
    // A small cache, so entries are also evicted and refilled while the writes go on.
    let store = open(dir.path(), 64 << 10);
    let p = partition(&store);
    let keys = ["a", "b", "c"];
    for k in keys {
        put(&p, 5, k, 0);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (p, stop) = (Arc::clone(&p), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut seen = [0u64; 3];
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for (k, last) in keys.iter().zip(seen.iter_mut()) {
                        let v = version(&p.get(5, k.as_bytes()).unwrap().unwrap());
                        assert!(v >= *last, "{k} went back from {last} to {v}");
                        *last = v;
                        reads += 1;
                    }
                }
                reads
            })
        })
        .collect();
    for v in 1..=3000u64 {
        let k = keys.get(v as usize % keys.len()).copied().unwrap();
        put(&p, 5, k, v);
        let read = version(&p.get(5, k.as_bytes()).unwrap().unwrap());
        assert_eq!(read, v, "{k} read back {read} right after writing {v}");
    }
    stop.store(true, Ordering::Relaxed);
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 0);
    store.close().unwrap();
}
