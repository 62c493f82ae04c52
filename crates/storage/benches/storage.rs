//! Storage hot paths: point reads, logged writes (buffered), and durable writes through
//! group commit, from one writer and from several concurrent writers.

// A bench that cannot set up has nothing to measure: failing loudly is the point.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shoal_storage::{Change, PartitionDesc, Store, StoreConfig};
use shoal_types::{AttributeValue, Item};

fn item(i: u64) -> Item {
    let mut it = Item::new();
    it.insert("pk".into(), AttributeValue::S(format!("user-{i}")));
    it.insert("payload".into(), AttributeValue::B(vec![7u8; 1000]));
    it
}

fn setup() -> (tempfile::TempDir, Store, Arc<shoal_storage::Partition>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(StoreConfig {
        path: dir.path().to_path_buf(),
        cache_bytes: 64 << 20,
        item_cache_bytes: 64 << 20,
    })
    .expect("open");
    let p = store
        .open_partition(PartitionDesc {
            id: 1,
            table_id: 1,
            start: 0,
            end: u64::MAX,
            log_old_images: false,
            log_new_images: false,
        })
        .expect("partition");
    (dir, store, p)
}

fn key(i: u64) -> (u64, Vec<u8>) {
    (
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        format!("user-{i}").into_bytes(),
    )
}

/// Puts item `id` and waits until group commit has made it durable.
fn put_durable(store: &Store, p: &shoal_storage::Partition, id: u64) {
    let (point, k) = key(id);
    let w = p
        .write(point, &k, |_| {
            Ok::<_, shoal_storage::Error>(Change::Put(item(id)))
        })
        .expect("write");
    store.durability().wait_blocking(w.ticket).expect("sync");
}

fn bench(c: &mut Criterion) {
    let (_dir, store, p) = setup();
    const N: u64 = 10_000;
    for i in 0..N {
        let (point, k) = key(i);
        p.write(point, &k, |_| {
            Ok::<_, shoal_storage::Error>(Change::Put(item(i)))
        })
        .expect("write");
    }
    let mut g = c.benchmark_group("storage");
    g.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    g.bench_function("get_1kb", |b| {
        b.iter(|| {
            i = (i + 7919) % N;
            let (point, k) = key(i);
            p.get(point, &k).expect("get")
        })
    });
    let mut j = N;
    g.bench_function("put_1kb_buffered", |b| {
        b.iter_batched(
            || {
                j += 1;
                (key(j), item(j))
            },
            |((point, k), it)| {
                p.write(point, &k, |_| {
                    Ok::<_, shoal_storage::Error>(Change::Put(it))
                })
                .expect("write")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Durable writes: 32 threads each wait for group commit; reports writes per second.
    let mut g = c.benchmark_group("storage_durable");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    // One writer waiting for each write: the latency of a journal fsync, which the
    // committer's zero fill of the journal shortens (journal.rs).
    let mut next = 100_000_000u64;
    g.bench_function("put_1kb_durable_1_writer", |b| {
        b.iter(|| {
            next += 1;
            put_durable(&store, &p, next);
        })
    });
    g.bench_function("put_1kb_durable_32_writers_x100", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for round in 0..iters {
                let start = Instant::now();
                let threads: Vec<_> = (0..32u64)
                    .map(|t| {
                        let p = Arc::clone(&p);
                        let store = store.clone();
                        std::thread::spawn(move || {
                            for n in 0..100u64 {
                                let id = 1_000_000 + round * 10_000 + t * 100 + n;
                                put_durable(&store, &p, id);
                            }
                        })
                    })
                    .collect();
                for t in threads {
                    t.join().expect("join");
                }
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
