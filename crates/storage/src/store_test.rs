//! Opening a data directory of the first key layout (keys.rs).

use shoal_types::{AttributeValue, Item};

use super::{KEY_LAYOUT, MIGRATE_CHUNK};
use crate::{keys, Change, Error, PartitionDesc, Store, StoreConfig};

fn open(dir: &std::path::Path) -> crate::Result<Store> {
    Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes: 8 << 20,
    })
}

fn desc() -> PartitionDesc {
    PartitionDesc {
        id: 2,
        table_id: 1,
        start: 0,
        end: u64::MAX,
        log_old_images: false,
        log_new_images: false,
    }
}

fn item(n: u64) -> Item {
    let mut i = Item::new();
    i.insert("pk".into(), AttributeValue::S(format!("k{n}")));
    i.insert("v".into(), AttributeValue::S(n.to_string()));
    i
}

/// Every data entry, in key order.
fn entries(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store
        .inner()
        .data
        .iter()
        .map(|g| {
            let (k, v) = g.into_inner().unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect()
}

/// The first layout's key of a current one: the owner as 8 bytes big-endian.
fn first_layout(key: &[u8]) -> Vec<u8> {
    let (owner, n) = keys::parse_owner(key).unwrap();
    let mut k = owner.to_be_bytes().to_vec();
    k.extend_from_slice(&key[n..]);
    k
}

#[test]
fn a_directory_of_the_first_key_layout_is_moved_to_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    let p = store.open_partition(desc()).unwrap();
    for n in 0..5u64 {
        let point = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        p.write(point, format!("k{n}").as_bytes(), |_| {
            Ok::<_, Error>(Change::Put(item(n)))
        })
        .unwrap();
    }
    // An index's entries under an owner with a two-byte code, more than one chunk of them.
    let inner = store.inner();
    let mut batch = inner.db.batch();
    for n in 0..(MIGRATE_CHUNK as u64 * 2 + 10) {
        batch.insert(
            &inner.data,
            keys::data_key(300, n, b"entry"),
            n.to_le_bytes(),
        );
    }
    inner.commit(batch).unwrap();
    let current = entries(&store);
    assert_eq!(current.len(), 5 + MIGRATE_CHUNK * 2 + 10);

    // Rewrite the directory as the first layout wrote it, except for a few entries that
    // a migration cut short would already have moved, and forget the layout.
    let mut batch = inner.db.batch();
    for (k, v) in current.iter().skip(3).step_by(2) {
        batch.remove(&inner.data, k.as_slice());
        batch.insert(&inner.data, first_layout(k), v.as_slice());
    }
    inner.commit(batch).unwrap();
    inner.meta_remove(KEY_LAYOUT.to_vec()).unwrap();
    assert!(entries(&store).iter().any(|(k, _)| k[0] == 0));
    drop(p);
    store.close().unwrap();
    drop(store);

    let store = open(dir.path()).unwrap();
    assert_eq!(
        entries(&store),
        current,
        "every entry under its current key, once"
    );
    let p = store.open_partition(desc()).unwrap();
    for n in 0..5u64 {
        let point = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        assert_eq!(
            p.get(point, format!("k{n}").as_bytes()).unwrap(),
            Some(item(n))
        );
    }
    assert_eq!(p.stats().items, 5);
    assert_eq!(
        store.meta_get(KEY_LAYOUT).unwrap(),
        Some(vec![super::KEY_LAYOUT_VERSION])
    );
    drop(p);
    store.close().unwrap();
    drop(store);

    // Opening again moves nothing more.
    let store = open(dir.path()).unwrap();
    assert_eq!(entries(&store), current);
    store.close().unwrap();
}

#[test]
fn a_new_directory_is_marked_with_the_current_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    assert_eq!(
        store.meta_get(KEY_LAYOUT).unwrap(),
        Some(vec![super::KEY_LAYOUT_VERSION])
    );
    store.close().unwrap();
}

#[test]
fn a_layout_this_shoal_does_not_know_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).unwrap();
    store
        .meta_write(&[(KEY_LAYOUT.to_vec(), Some(vec![9]))])
        .unwrap();
    store.close().unwrap();
    drop(store);
    let err = open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("keys are in layout 9;"), "{err}");
}
