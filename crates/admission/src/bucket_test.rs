use super::*;

const S: u64 = 1_000_000;

#[test]
fn new_bucket_is_full_and_serves_a_burst_then_throttles() {
    // A 5 WCU table: 300 s of burst = 1500 one-unit writes at once, then throttled.
    let mut b = TokenBucket::new(5.0, 0);
    assert_eq!(b.cap(), 1500.0);
    for _ in 0..1500 {
        assert!(b.try_take(1.0, 0).is_ok());
    }
    let t = b.try_take(1.0, 0);
    assert!(matches!(
        t,
        Err(Throttled {
            retry_after_us: 200_000,
            ..
        })
    ));
    // 200 ms later one unit has refilled.
    assert!(b.try_take(1.0, S / 5).is_ok());
    assert!(b.try_take(1.0, S / 5).is_err());
}

#[test]
fn refill_is_capped_at_300_seconds() {
    let mut b = TokenBucket::new(10.0, 0).with_tokens(0.0);
    assert_eq!(b.available(0), 0.0);
    assert_eq!(b.available(100 * S), 1000.0);
    assert_eq!(b.available(300 * S), 3000.0);
    // Idle for an hour: still only 300 s worth.
    assert_eq!(b.available(3600 * S), 3000.0);
    assert!(b.try_take(3000.0, 3600 * S).is_ok());
    assert!(b.try_take(0.5, 3600 * S).is_err());
}

#[test]
fn fractional_units() {
    let mut b = TokenBucket::new(1.0, 0).with_tokens(1.0);
    assert!(b.try_take(0.5, 0).is_ok());
    assert!(b.try_take(0.5, 0).is_ok());
    assert!(b.try_take(0.5, 0).is_err());
    assert!(b.try_take(0.5, S / 2).is_ok());
    // 0.1 + 0.2 style rounding does not turn an exact fit into a throttle.
    let mut b = TokenBucket::new(3.0, 0).with_tokens(0.0);
    for i in 1..=10 {
        assert!(b.try_take(0.3, i * S / 10).is_ok(), "step {i}");
    }
}

#[test]
fn debt_blocks_until_repaid() {
    let mut b = TokenBucket::new(10.0, 0).with_tokens(5.0);
    // Some capacity: a Query page is admitted, then charged its real cost.
    assert!(b.try_admit(0).is_ok());
    b.charge(25.0, 0);
    assert_eq!(b.available(0), -20.0);
    assert!(b.try_admit(0).is_err());
    assert!(b.try_take(0.5, S).is_err());
    // At 10 units/s the 20 units of debt are repaid after 2 s; one more unit at 2.1 s.
    let t = b.try_take(1.0, S);
    assert!(matches!(
        t,
        Err(Throttled {
            retry_after_us: 1_100_000,
            ..
        })
    ));
    assert!(b.try_admit(2 * S).is_err());
    assert!(b.try_admit(2 * S + 1000).is_ok());
    assert!(b.try_take(1.0, 2 * S + 100_000).is_ok());
}

#[test]
fn oversized_request_passes_on_a_full_bucket_and_leaves_debt() {
    // 400 WCU item on a 1 WCU table (cap 300).
    let mut b = TokenBucket::new(1.0, 0);
    assert!(b.try_take(400.0, 0).is_ok());
    assert_eq!(b.available(0), -100.0);
    assert!(b.try_take(400.0, 399 * S).is_err());
    assert!(b.try_take(400.0, 400 * S).is_ok());
}

#[test]
fn rate_increase_keeps_burst_and_refills_faster() {
    let mut b = TokenBucket::new(5.0, 0).with_tokens(100.0);
    b.set_rate(100.0, 10 * S); // 10 s at 5/s earned 50 first.
    assert_eq!(b.available(10 * S), 150.0);
    assert_eq!(b.available(11 * S), 250.0);
    assert_eq!(b.cap(), 30_000.0);
}

#[test]
fn rate_decrease_cuts_burst_to_the_new_cap_and_keeps_debt() {
    let mut b = TokenBucket::new(100.0, 0);
    assert_eq!(b.available(0), 30_000.0);
    b.set_rate(5.0, 0);
    assert_eq!(b.available(0), 1500.0);
    b.charge(2000.0, 0);
    b.set_rate(1.0, 0);
    assert_eq!(b.available(0), -500.0);
    assert_eq!(b.available(S), -499.0);
}

#[test]
fn zero_rate_never_refills() {
    let mut b = TokenBucket::new(0.0, 0);
    let t = b.try_take(1.0, 1000 * S);
    assert!(matches!(
        t,
        Err(Throttled {
            retry_after_us: u64::MAX,
            ..
        })
    ));
    assert!(!b.can_take(0.5, 1000 * S));
    assert!(b.try_admit(1000 * S).is_err());
    // NaN and negatives are treated as zero, never poison the bucket.
    let mut b = TokenBucket::new(f64::NAN, 0);
    assert_eq!(b.rate(), 0.0);
    b.set_rate(-3.0, 0);
    assert_eq!(b.rate(), 0.0);
    b.set_rate(2.0, 0);
    b.charge(f64::NAN, 0);
    assert_eq!(b.available(S), 2.0);
}

#[test]
fn time_going_backwards_is_no_time() {
    let mut b = TokenBucket::new(10.0, 10 * S).with_tokens(0.0);
    assert!(b.try_take(1.0, 5 * S).is_err());
    assert_eq!(b.available(10 * S), 0.0);
    assert_eq!(b.available(11 * S), 10.0);
}

#[test]
fn refund_and_take_fraction() {
    let mut b = TokenBucket::new(10.0, 0).with_tokens(100.0);
    assert!(b.try_take(4.0, 0).is_ok());
    b.refund(3.0, 0);
    assert_eq!(b.available(0), 99.0);
    b.refund(1e9, 0);
    assert_eq!(b.available(0), 3000.0);
    assert_eq!(b.take_fraction(0.25, 0), 750.0);
    assert_eq!(b.available(0), 2250.0);
    assert!(!b.can_take(2251.0, 0));
    assert!(b.can_take(2250.0, 0));
}

#[test]
fn custom_burst_window() {
    let b = TokenBucket::with_burst(1000.0, 1.0, 0);
    assert_eq!(b.cap(), 1000.0);
    let b = TokenBucket::with_burst(1000.0, 0.0, 0);
    assert_eq!(b.burst_seconds(), 1.0);
}
