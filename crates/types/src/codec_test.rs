use super::*;
use crate::json::item_from_json;
use serde_json::json;

fn sample() -> Item {
    item_from_json(&json!({
        "pk": {"S": "user#1"},
        "n": {"N": "-123.456"},
        "z": {"N": "0"},
        "big": {"N": "9.9999999999999999999999999999999999999E+125"},
        "tiny": {"N": "-1E-130"},
        "b": {"B": "AAEC"},
        "t": {"BOOL": true},
        "f": {"BOOL": false},
        "nul": {"NULL": true},
        "m": {"M": {"a": {"L": [{"S": ""}, {"M": {}}]}, "": {"N": "1"}}},
        "ss": {"SS": ["b", "a"]},
        "ns": {"NS": ["10", "1E+100"]},
        "bs": {"BS": ["AA==", ""]},
    }))
    .unwrap()
}

#[test]
fn round_trip() {
    let item = sample();
    let mut buf = Vec::new();
    encode_item(&item, &mut buf);
    assert_eq!(buf[0], FORMAT_VERSION);
    assert_eq!(decode_item(&buf).unwrap(), item);
    for v in item.values() {
        let mut b = Vec::new();
        encode_value(v, &mut b);
        assert_eq!(&decode_value(&b).unwrap(), v);
    }
    let mut e = Vec::new();
    encode_item(&Item::new(), &mut e);
    assert_eq!(e, [1, 0]);
    assert_eq!(decode_item(&e).unwrap(), Item::new());
}

#[test]
fn format_pinned() {
    // ON DISK: these bytes must never change.
    let item: Item = item_from_json(&json!({
        "a": {"S": "hi"}, "b": {"N": "-1.5"}, "c": {"L": [{"BOOL": true}, {"NULL": true}]},
        "d": {"N": "300"}
    }))
    .unwrap();
    let mut buf = Vec::new();
    encode_item(&item, &mut buf);
    #[rustfmt::skip]
    let want = [
        1, 4,
        1, b'a', TAG_S, 2, b'h', b'i',
        // -1.5 = -15e-1: zigzag(-1) = 1, (1 << 1) | 1 = 3; coefficient 15
        1, b'b', TAG_N, 3, 15,
        1, b'c', TAG_L, 2, TAG_TRUE, TAG_NULL,
        // 300 = 3e2: zigzag(2) = 4, 4 << 1 = 8; coefficient 3
        1, b'd', TAG_N, 8, 3,
    ];
    assert_eq!(buf, want);
}

#[test]
fn every_truncation_is_corrupt() {
    let mut buf = Vec::new();
    encode_item(&sample(), &mut buf);
    for len in 0..buf.len() {
        assert!(
            matches!(decode_item(&buf[..len]), Err(Error::Corrupt(_))),
            "prefix of {len}"
        );
    }
    let mut longer = buf.clone();
    longer.push(0);
    assert!(matches!(decode_item(&longer), Err(Error::Corrupt(_))));
}

#[test]
fn every_single_byte_corruption_is_handled() {
    // Must not panic; any outcome other than a panic is acceptable.
    let mut buf = Vec::new();
    encode_item(&sample(), &mut buf);
    for i in 0..buf.len() {
        for b in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut c = buf.clone();
            c[i] = b;
            let _ = decode_item(&c);
        }
    }
}

#[test]
fn rejects_malformed() {
    let corrupt = |b: &[u8]| matches!(decode_item(b), Err(Error::Corrupt(_)));
    assert!(corrupt(&[2, 0])); // unknown version
    assert!(corrupt(&[0, 0]));
    assert!(corrupt(&[1, 1, 1, b'a', 0x0C])); // unknown tag
    assert!(corrupt(&[1, 1, 1, b'a', TAG_S, 1, 0xff])); // invalid UTF-8
    assert!(corrupt(&[1, 1, 1, 0xff, TAG_NULL])); // invalid UTF-8 name
    assert!(corrupt(&[1, 2, 1, b'b', TAG_NULL, 1, b'a', TAG_NULL])); // unsorted names
    assert!(corrupt(&[1, 2, 1, b'a', TAG_NULL, 1, b'a', TAG_NULL])); // duplicate names
    assert!(corrupt(&[1, 1, 1, b'a', TAG_SS, 0])); // empty set
    assert!(corrupt(&[1, 1, 1, b'a', TAG_N, 0, 10])); // trailing zero in coefficient
    assert!(corrupt(&[1, 1, 1, b'a', TAG_N, 1, 0])); // negative zero
    assert!(corrupt(&[1, 1, 1, b'a', TAG_N, 2, 0])); // zero with an exponent
    assert!(corrupt(&[1, 1, 1, b'a', TAG_N, 0xff, 0x7f, 1])); // exponent out of range
    assert!(corrupt(&[
        1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
    ])); // varint
    assert!(corrupt(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f])); // huge count, no allocation
    assert!(corrupt(&[
        1, 1, 1, b'a', TAG_L, 0xff, 0xff, 0xff, 0xff, 0x0f
    ]));
    assert!(matches!(decode_value(&[1]), Err(Error::Corrupt(_))));
    assert!(matches!(
        decode_value(&[1, TAG_NULL, 0]),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(decode_value(&[]), Err(Error::Corrupt(_))));
}

#[test]
fn nesting_is_bounded() {
    // DECODE_DEPTH_LIMIT lists deep decodes; one more does not; 100,000 does not crash.
    let deep = |levels: usize| {
        let mut b = vec![1];
        for _ in 0..levels {
            b.extend([TAG_L, 1]);
        }
        b.push(TAG_NULL);
        b
    };
    assert!(decode_value(&deep(DECODE_DEPTH_LIMIT)).is_ok());
    assert!(matches!(
        decode_value(&deep(DECODE_DEPTH_LIMIT + 1)),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        decode_value(&deep(100_000)),
        Err(Error::Corrupt(_))
    ));
}
