//! The committer's zero fill of the journal (journal.rs): it runs ahead of the engine's
//! writer, and it never changes what recovery reads, also when single writes jump past
//! the zeroed region or carry long runs of zeros themselves.

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use shoal_storage::{Change, Partition, PartitionDesc, Store, StoreConfig};
use shoal_types::{AttributeValue, Item};

fn open(dir: &Path) -> Store {
    Store::open(StoreConfig {
        path: dir.to_path_buf(),
        cache_bytes: 8 << 20,
        item_cache_bytes: 0,
    })
    .unwrap()
}

fn desc() -> PartitionDesc {
    PartitionDesc {
        id: 1,
        table_id: 3,
        start: 0,
        end: u64::MAX,
        log_old_images: false,
        log_new_images: true,
    }
}

/// Item `i` of writer `t`: mostly small, every 50th of 300 KB (more than the zeroed lead
/// in one commit), every 7th with 20 KB of zeros as well.
fn item(t: u64, i: u64) -> Item {
    let len = if i % 50 == 49 { 300_000 } else { 600 };
    // Incompressible (the engine compresses large journal entries), never zero.
    let fill = |n: usize| -> Vec<u8> {
        let mut x = (t << 32 | i) ^ 0x2545_F491_4F6C_DD1D;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 255) as u8 + 1
            })
            .collect()
    };
    let mut it = Item::new();
    it.insert("pk".into(), AttributeValue::S(format!("t{t}-{i}")));
    it.insert("v".into(), AttributeValue::B(fill(len)));
    if i.is_multiple_of(7) {
        it.insert("zeros".into(), AttributeValue::B(vec![0; 20_000]));
    }
    it
}

fn point(t: u64, i: u64) -> u64 {
    (t << 32 | i).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The active journal: the highest `<n>.jnl` in the database directory.
fn active_journal(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jnl"))
        .max_by_key(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
        })
        .unwrap()
}

/// Writers `ts` put items `0..each` at once, each waiting for its write to be durable.
fn write_all(store: &Store, p: &Arc<Partition>, ts: std::ops::Range<u64>, each: u64) {
    let threads: Vec<_> = ts
        .map(|t| {
            let p = Arc::clone(p);
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..each {
                    let key = format!("t{t}-{i}");
                    let w = p
                        .write(point(t, i), key.as_bytes(), |_| {
                            Ok::<_, shoal_storage::Error>(Change::Put(item(t, i)))
                        })
                        .unwrap();
                    store.durability().wait_blocking(w.ticket).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Every item of writers `ts` reads back as written.
fn check_all(p: &Partition, ts: std::ops::Range<u64>, each: u64) {
    for t in ts {
        for i in 0..each {
            let key = format!("t{t}-{i}");
            assert_eq!(
                p.get(point(t, i), key.as_bytes()).unwrap(),
                Some(item(t, i)),
                "{key}"
            );
        }
    }
}

#[test]
fn the_journal_is_zero_filled_ahead_and_recovery_reads_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let p = store.open_partition(desc()).unwrap();
    const EACH: u64 = 400;
    write_all(&store, &p, 0..4, EACH);
    // One more write alone: its sync finds no commit in flight, so it zeroes if due.
    write_all(&store, &p, 9..10, 1);

    // The engine's bytes end at the journal's last non-zero byte; after it there must be
    // written blocks (our zeros), not only a hole to the end of the file.
    let journal = active_journal(dir.path());
    let bytes = std::fs::read(&journal).unwrap();
    let end = bytes.iter().rposition(|&b| b != 0).unwrap() as u64 + 1;
    let after = end.next_multiple_of(4096);
    let file = std::fs::File::open(&journal).unwrap();
    let data = rustix::fs::seek(&file, rustix::fs::SeekFrom::Data(after));
    assert!(
        matches!(data, Ok(at) if at < bytes.len() as u64),
        "{}: the engine's bytes end at {end} of {}, and nothing after them is written \
         ({data:?}): no zero fill ahead",
        journal.display(),
        bytes.len()
    );
    drop((file, bytes));
    store.close().unwrap();
    drop((store, p));

    // Nothing was flushed to tables (far below a memtable's size): every item below
    // comes back from the journal, through the zero-filled regions.
    let store = open(dir.path());
    let p = store.open_partition(desc()).unwrap();
    assert_eq!(p.stats().items, 4 * EACH + 1);
    check_all(&p, 0..4, EACH);

    // After a restart the engine appends to the journal it recovered: writes there must
    // come back too (nothing zeroed past its end, invariant 3).
    write_all(&store, &p, 4..6, EACH / 2);
    store.close().unwrap();
    drop((store, p));
    let store = open(dir.path());
    let p = store.open_partition(desc()).unwrap();
    assert_eq!(p.stats().items, 5 * EACH + 1);
    check_all(&p, 0..6, EACH / 2);
    check_all(&p, 0..4, EACH);
}
