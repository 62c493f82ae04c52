use super::*;

#[test]
fn equal_keys_hash_equal_and_the_seed_is_the_processs() {
    let a = SeededState::new();
    let b = SeededState::default();
    let key: &[u8] = b"\0\0\0\0\0\0\0\x07point|sort";
    assert_eq!(a.hash_one(key), b.hash_one(key));
    assert_eq!(a.hash_one("movies"), b.hash_one(String::from("movies")));
    // A boxed slice hashes as the slice it holds: the cache looks up `&[u8]` keys in a
    // table of `Box<[u8]>`.
    assert_eq!(a.hash_one(key), a.hash_one(Box::<[u8]>::from(key)));
}

#[test]
fn the_seed_changes_every_hash() {
    let h = |seed: u64, key: &[u8]| SeededState { seed }.hash_one(key);
    for key in [&b""[..], b"a", b"movies", &[7u8; 40]] {
        assert_ne!(h(1, key), h(2, key), "{key:?}");
    }
    assert_ne!(
        SeededState { seed: 1 }.hash_one(7u64),
        SeededState { seed: 2 }.hash_one(7u64)
    );
}

#[test]
fn keys_that_differ_in_one_byte_or_one_split_spread_over_buckets() {
    let state = SeededState { seed: 42 };
    // Storage keys that differ only in their last byte, and integer keys that differ
    // only in their high bits, must not share the low bits a table indexes by.
    let mut buckets = std::collections::HashSet::new();
    for last in 0..=255u8 {
        let mut key = b"\0\0\0\0\0\0\0\x07abcdefgh|user".to_vec();
        key.push(last);
        buckets.insert(state.hash_one(&key[..]) & 1023);
    }
    assert!(buckets.len() > 200, "{} buckets of 256 keys", buckets.len());
    let mut buckets = std::collections::HashSet::new();
    for high in 0..256u64 {
        buckets.insert(state.hash_one(high << 56) & 1023);
    }
    assert!(
        buckets.len() > 200,
        "{} buckets of 256 integers",
        buckets.len()
    );
    // Where a string ends is part of its hash.
    assert_ne!(state.hash_one(("ab", "c")), state.hash_one(("a", "bc")));
}
