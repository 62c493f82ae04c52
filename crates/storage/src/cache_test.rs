//! The race the generations exist for, made deterministic: a read that missed is held
//! between its engine read and its fill while a write of the same key commits.

use std::cell::RefCell;
use std::sync::mpsc;

use shoal_types::{AttributeValue, Item};

use crate::{Change, Partition, PartitionDesc, Store, StoreConfig};

thread_local! {
    /// Runs, on this thread only, where a read that missed has read the engine and not
    /// yet filled the cache.
    static BETWEEN_READ_AND_FILL: RefCell<Option<Box<dyn FnMut()>>> = const { RefCell::new(None) };
}

pub(crate) fn between_read_and_fill() {
    BETWEEN_READ_AND_FILL.with(|hook| {
        if let Some(h) = hook.borrow_mut().as_mut() {
            h();
        }
    });
}

fn item(version: &str) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), AttributeValue::S("a".into()));
    i.insert("v".into(), AttributeValue::S(version.into()));
    i
}

fn open(dir: &std::path::Path, item_cache_bytes: u64) -> (Store, std::sync::Arc<Partition>) {
    let store = Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes,
    })
    .unwrap();
    let p = store
        .open_partition(PartitionDesc {
            id: 1,
            table_id: 7,
            start: 0,
            end: u64::MAX,
            log_old_images: false,
            log_new_images: false,
        })
        .unwrap();
    (store, p)
}

#[test]
fn a_fill_from_before_a_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, p) = open(dir.path(), 8 << 20);
    let put = |v: &str| {
        p.write(5, b"a", |_| Ok::<_, crate::Error>(Change::Put(item(v))))
            .unwrap();
    };
    put("1");
    let (read_tx, read_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            BETWEEN_READ_AND_FILL.with(|hook| {
                *hook.borrow_mut() = Some(Box::new(move || {
                    read_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                }));
            });
            p.get(5, b"a").unwrap()
        });
        read_rx.recv().unwrap();
        put("2");
        go_tx.send(()).unwrap();
        assert_eq!(
            reader.join().unwrap(),
            Some(item("1")),
            "read before the write"
        );
    });
    assert_eq!(
        p.get(5, b"a").unwrap(),
        Some(item("2")),
        "the stale fill won"
    );
    store.close().unwrap();
}

#[test]
fn the_cached_image_alone_never_reads_the_engine_and_each_read_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, p) = open(dir.path(), 8 << 20);
    let encoded = |i: &Item| {
        let mut image = Vec::new();
        shoal_types::codec::encode_item(i, &mut image);
        image
    };
    p.write(5, b"a", |_| Ok::<_, crate::Error>(Change::Put(item("1"))))
        .unwrap();
    // Written, never read: the write does not cache it, and the cache alone has nothing.
    assert!(p.cached_image(5, b"a").is_none());
    assert!(p.cached_image(6, b"b").is_none(), "an absent item");
    // The engine read of the miss fills the cache; now the cache alone answers.
    assert_eq!(
        p.get_image(5, b"a").unwrap().as_deref(),
        Some(&encoded(&item("1"))[..])
    );
    assert_eq!(
        p.cached_image(5, b"a").as_deref(),
        Some(&encoded(&item("1"))[..])
    );
    // A write refreshes the cached entry.
    p.write(5, b"a", |_| Ok::<_, crate::Error>(Change::Put(item("2"))))
        .unwrap();
    assert_eq!(
        p.cached_image(5, b"a").as_deref(),
        Some(&encoded(&item("2"))[..])
    );
    // Every read counted once: the lookups alone that found nothing are not counted (the
    // engine read that follows a miss counts it). Misses: the first write's read of the
    // current item and `get_image`; hits: the two found lookups and the second write's
    // read.
    let stats = store.item_cache_stats();
    assert_eq!((stats.hits, stats.misses), (3, 2), "{stats:?}");
    store.close().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (store, p) = open(dir.path(), 0);
    p.write(5, b"a", |_| Ok::<_, crate::Error>(Change::Put(item("1"))))
        .unwrap();
    p.get_image(5, b"a").unwrap();
    assert!(p.cached_image(5, b"a").is_none(), "the cache is disabled");
    store.close().unwrap();
}

#[test]
fn a_write_replaces_a_cached_image_drops_a_deleted_one_and_caches_nothing_new() {
    use super::ItemCache;
    let cache = ItemCache::new(1 << 20);
    // `table id | point | suffix`; the points put the two keys in different shards.
    let key = |point: u64, k: &str| {
        let mut key = 7u64.to_be_bytes().to_vec();
        key.extend_from_slice(&point.to_be_bytes());
        key.extend_from_slice(k.as_bytes());
        key
    };
    let (a, b) = (key(1 << 9, "a"), key(2 << 9, "b"));
    let stamp = cache.get(&a).unwrap_err().unwrap();
    cache.fill(&a, stamp, b"one");
    assert_eq!(&*cache.peek(&a).unwrap(), b"one");

    cache.written(&a, Some(b"two"));
    assert_eq!(&*cache.peek(&a).unwrap(), b"two");
    cache.written(&b, Some(b"new"));
    assert!(
        cache.peek(&b).is_none(),
        "a write does not cache a key reads never asked for"
    );
    assert_eq!(cache.stats().entries, 1);
    cache.written(&a, None);
    assert!(cache.peek(&a).is_none());
    assert_eq!(cache.stats().entries, 0);
}
