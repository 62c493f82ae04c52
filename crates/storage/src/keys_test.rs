use super::*;

/// Ids at every code length's edges, and a few between.
fn ids() -> Vec<u64> {
    let mut v = vec![0, 1, 2, 100, 5_000, 123_456_789, u64::MAX - 1, u64::MAX];
    for bits in (7..64).step_by(7).chain([56, 57, 63]) {
        let edge = 1u64 << bits;
        v.extend([edge - 1, edge, edge + 1]);
    }
    // A spread of values from a fixed sequence (xorshift), at every magnitude.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for shift in 0..64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(x >> shift);
    }
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn every_id_reads_back_from_the_shortest_code_its_size_allows() {
    for id in ids() {
        let code = Owner::new(id);
        assert_eq!(parse_owner(&code), Some((id, code.len())), "{id:#x}");
        let bits = 64 - id.leading_zeros() as usize;
        let want = if bits > 56 {
            9
        } else {
            1 + bits.saturating_sub(1) / 7
        };
        assert_eq!(code.len(), want, "{id:#x}");
    }
    assert_eq!(&*Owner::new(0), &[0x00]);
    assert_eq!(&*Owner::new(1), &[0x01]);
    assert_eq!(&*Owner::new(127), &[0x7f]);
    assert_eq!(&*Owner::new(128), &[0x80, 0x80]);
    assert_eq!(&*Owner::new(0x3fff), &[0xbf, 0xff]);
    assert_eq!(&*Owner::new(0x4000), &[0xc0, 0x40, 0x00]);
    assert_eq!(
        &*Owner::new((1 << 56) - 1),
        &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(&*Owner::new(1 << 56), &[0xff, 0x01, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&*Owner::new(u64::MAX), &[0xff; 9]);
}

#[test]
fn codes_sort_as_their_ids_and_none_is_the_prefix_of_another() {
    let ids = ids();
    for &a in &ids {
        let ca = Owner::new(a);
        for &b in &ids {
            let cb = Owner::new(b);
            assert_eq!(ca[..].cmp(&cb[..]), a.cmp(&b), "{a:#x} vs {b:#x}");
            if a != b {
                assert!(!cb.starts_with(&ca), "{a:#x} is a prefix of {b:#x}");
            }
        }
    }
}

#[test]
fn keys_of_every_id_but_zero_start_with_a_nonzero_byte_unlike_the_first_layout() {
    for id in ids().into_iter().filter(|&id| id > 0) {
        assert_ne!(Owner::new(id)[0], 0, "{id:#x}");
        assert_ne!(data_key(id, 0, b"")[0], 0, "{id:#x}");
    }
    // The first layout's keys: 8-byte big-endian ids, all below 2^56 in practice.
    assert_eq!(((1u64 << 56) - 1).to_be_bytes()[0], 0);
}

#[test]
fn a_data_key_splits_into_owner_point_and_suffix() {
    for owner in [1, 127, 128, 70_000, u64::MAX] {
        let key = data_key(owner, 0x0102_0304_0506_0708, b"item key");
        let parts = split_data_key(&key).unwrap();
        assert_eq!(parts.owner, owner);
        assert_eq!(parts.point, 0x0102_0304_0506_0708);
        assert_eq!(parts.suffix, b"item key");
        assert_eq!(
            &parts.within_owner[..8],
            &0x0102_0304_0506_0708u64.to_be_bytes()
        );
        assert_eq!(&parts.within_owner[8..], b"item key");
        assert_eq!(point_of_data_key(&key), Some(0x0102_0304_0506_0708));
        assert!(key.starts_with(&point_prefix(owner, 0x0102_0304_0506_0708)));
        assert_eq!(point_prefix(owner, 9).len(), Owner::new(owner).len() + 8);
    }
    // A small owner leaves three bytes of the point in the first four of the key.
    assert_eq!(
        &data_key(5, 0xaabb_ccdd_0000_0000, b"")[..4],
        &[5, 0xaa, 0xbb, 0xcc]
    );
}

#[test]
fn short_keys_are_refused() {
    assert_eq!(parse_owner(&[]), None);
    assert_eq!(parse_owner(&[0x80]), None);
    assert_eq!(parse_owner(&[0xff; 8]), None);
    assert_eq!(split_data_key(&[0x01, 0, 0, 0, 0, 0, 0, 0]), None);
    assert_eq!(split_data_key(&[0x80, 0x80, 1, 2, 3]), None);
    assert!(split_data_key(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]).is_some());
}
