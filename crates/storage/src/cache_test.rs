//! The race the generations exist for, made deterministic: a read that missed is held
//! between its engine read and its fill while a write of the same key commits.

use std::cell::RefCell;
use std::sync::mpsc;

use shoal_types::{AttributeValue, Item};

use crate::{Change, PartitionDesc, Store, StoreConfig};

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

#[test]
fn a_fill_from_before_a_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig {
        path: dir.path().to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes: 8 << 20,
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
