//! The committer's gathering: whom it waits for before a sync, and that it never waits
//! past its budget.

use std::sync::mpsc;
use std::time::Duration;

use super::{Durability, Ticket};

/// Every writer has committed and nothing else is in flight: gathering ends at once,
/// whatever the budget (a lone writer's latency is the sync's).
#[test]
fn nothing_in_flight_is_not_waited_for() {
    let d = Durability::new();
    let t = d.reserve();
    d.complete(t);
    let (done, finished) = mpsc::channel();
    let d2 = d.clone();
    std::thread::spawn(move || {
        d2.gather(Duration::from_secs(3600));
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(60))
        .expect("gather waited with nothing in flight");
    assert_eq!(d.syncable(), t.0);
}

/// A writer that reserved its ticket but has not finished its commit when the
/// committer wakes joins the coming sync instead of waiting for the next one.
#[test]
fn a_writer_mid_commit_joins_the_sync() {
    let d = Durability::new();
    let first = d.reserve();
    d.complete(first);
    let second = d.reserve();
    assert_eq!(
        d.syncable(),
        first.0,
        "the second batch is not in the journal yet"
    );
    let d2 = d.clone();
    let committer = std::thread::spawn(move || {
        d2.gather(Duration::from_secs(60));
        d2.syncable()
    });
    std::thread::sleep(Duration::from_millis(50));
    d.complete(second);
    assert_eq!(committer.join().unwrap(), second.0);
}

/// A writer that never finishes its commit holds the sync only for the budget, and
/// the sync then covers what is complete.
#[test]
fn gathering_stops_at_its_budget() {
    let d = Durability::new();
    let first = d.reserve();
    d.complete(first);
    let _stuck: Ticket = d.reserve();
    let (done, finished) = mpsc::channel();
    let d2 = d.clone();
    std::thread::spawn(move || {
        d2.gather(Duration::from_millis(20));
        done.send(d2.syncable()).unwrap();
    });
    let target = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("gather outlived its budget");
    assert_eq!(target, first.0);
}
