use super::*;

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

fn err(s: &str) -> String {
    match Number::parse(s) {
        Err(Error::Validation(m)) => m,
        other => panic!("{s:?}: expected a validation error, got {other:?}"),
    }
}

const MAX: &str = "9.9999999999999999999999999999999999999E+125";

#[test]
fn canonical_text() {
    for (input, want) in [
        ("0", "0"),
        ("-0", "0"),
        ("+0", "0"),
        ("0.000", "0"),
        ("000", "0"),
        ("0e50", "0"),
        ("-0.0e-999", "0"),
        ("1", "1"),
        ("+1", "1"),
        ("-1", "-1"),
        ("1.50", "1.5"),
        ("0001.2000", "1.2"),
        ("1E2", "100"),
        ("1e+2", "100"),
        ("1e-5", "0.00001"),
        ("-1.5e-3", "-0.0015"),
        ("123.456", "123.456"),
        ("123456e-3", "123.456"),
        ("123456e-6", "0.123456"),
        ("123456e-7", "0.0123456"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-.5e1", "-5"),
        ("10", "10"),
        ("1000", "1000"),
        ("12345678901234567890", "12345678901234567890"),
        ("9223372036854775808", "9223372036854775808"),
        ("1E-130", &format!("0.{}1", "0".repeat(129))),
        (MAX, &format!("{}{}", "9".repeat(38), "0".repeat(88))),
    ] {
        assert_eq!(n(input).to_string(), want, "input {input:?}");
        assert_eq!(n(want), n(input), "reparse of {want:?}");
    }
}

#[test]
fn rejects_non_numbers() {
    for s in [
        "",
        " 1",
        "1 ",
        "abc",
        "1e",
        "1e+",
        "e5",
        ".",
        "-",
        "+",
        "-.",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "0x10",
        "1.2.3",
        "1..2",
        "1e5.5",
        "1e5e5",
        "--1",
        "+-1",
        "1_000",
        "١",
        "1,5",
    ] {
        assert_eq!(
            err(s),
            "The parameter cannot be converted to a numeric value",
            "input {s:?}"
        );
    }
}

#[test]
fn range_boundaries() {
    let over =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let under =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    assert!(Number::parse("1E-130").is_ok());
    assert!(Number::parse("-1E-130").is_ok());
    assert!(Number::parse("0.1E-129").is_ok());
    assert_eq!(err("1E-131"), under);
    assert_eq!(err("-1E-131"), under);
    assert_eq!(err("0.9E-130"), under);
    assert_eq!(err("1e-99999999999999999999999"), under);
    assert!(Number::parse(MAX).is_ok());
    assert!(Number::parse(&format!("-{MAX}")).is_ok());
    assert!(Number::parse("1E+125").is_ok());
    assert_eq!(err("1E+126"), over);
    assert_eq!(err("-1E+126"), over);
    assert_eq!(err("10E+125"), over);
    assert_eq!(err("1e99999999999999999999999"), over);
    // Zero is fine with any exponent.
    assert!(Number::parse("0E+99999").is_ok());
}

#[test]
fn significant_digits_limit() {
    let msg = "Attempting to store more than 38 significant digits in a Number";
    let d38 = "1".repeat(38);
    let d39 = "1".repeat(39);
    assert_eq!(n(&d38).to_string(), d38);
    assert_eq!(err(&d39), msg);
    assert_eq!(err(&format!("-0.{d39}")), msg);
    // Leading and trailing zeros do not count, embedded zeros do.
    assert!(Number::parse(&format!("000{d38}000.000")).is_ok());
    assert!(Number::parse(&format!("0.0000{d38}")).is_ok());
    assert_eq!(err(&format!("1{}1", "0".repeat(37))), msg);
    assert!(Number::parse(&format!("1{}1", "0".repeat(36))).is_ok());
    assert!(Number::parse(&format!("1{}", "0".repeat(100))).is_ok());
    // Precision is checked before range.
    assert_eq!(err(&format!("{d39}E200")), msg);
}

#[test]
fn ordering() {
    let sorted = [
        format!("-{MAX}"),
        "-1E+100".into(),
        "-10".into(),
        "-1.5".into(),
        "-1.25".into(),
        "-1.2".into(),
        "-1".into(),
        "-0.5".into(),
        "-1E-130".into(),
        "0".into(),
        "1E-130".into(),
        "0.5".into(),
        "1".into(),
        "1.01".into(),
        "1.2".into(),
        "1.25".into(),
        "2".into(),
        "10".into(),
        "11".into(),
        "1E+100".into(),
        MAX.into(),
    ];
    let nums: Vec<Number> = sorted.iter().map(|s| n(s)).collect();
    for (i, a) in nums.iter().enumerate() {
        for (j, b) in nums.iter().enumerate() {
            assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            a.encode_ordered(&mut ea);
            b.encode_ordered(&mut eb);
            assert_eq!(ea.cmp(&eb), i.cmp(&j), "encoded {a} vs {b}");
        }
    }
    assert_eq!(n("1.0"), n("1"));
    assert_eq!(n("1.0").cmp(&n("1")), Ordering::Equal);
}

#[test]
fn ordered_encoding_pinned() {
    // ON DISK: these bytes must never change.
    let enc = |s: &str| {
        let mut v = Vec::new();
        n(s).encode_ordered(&mut v);
        v
    };
    assert_eq!(enc("0"), [0x02]);
    assert_eq!(enc("1"), [0x03, 130, 10]);
    assert_eq!(enc("12"), [0x03, 131, 12]);
    assert_eq!(enc("123"), [0x03, 132, 12, 30]);
    assert_eq!(enc("-1"), [0x01, 125, 89, 0xFF]);
    assert_eq!(enc("1E-130"), [0x03, 0, 10]);
    assert_eq!(enc(MAX), {
        let mut v = vec![0x03, 255];
        v.extend([99; 19]);
        v
    });
    for s in ["0", "1", "-1", "123.456", "-1E-130", MAX] {
        assert_eq!(Number::decode_ordered(&enc(s)).unwrap(), n(s));
    }
}

#[test]
fn ordered_decoding_rejects_garbage() {
    for bad in [
        &[][..],
        &[0x00],
        &[0x04, 130, 10],
        &[0x02, 0x00],
        &[0x03],
        &[0x03, 130],
        &[0x03, 130, 100],
        &[0x03, 130, 5],     // leading zero digit
        &[0x03, 130, 10, 0], // padding pair
        &[0x03, 130, 20, 0],
        &[0x01, 125, 89],   // no terminator
        &[0x01, 125, 0xFF], // no digits
        &[0x01, 125, 200, 0xFF],
        &[
            0x03, 255, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
            99,
        ],
    ] {
        assert!(
            matches!(Number::decode_ordered(bad), Err(Error::Corrupt(_))),
            "{bad:?} decoded"
        );
    }
}

#[test]
fn integer_conversions() {
    for v in [
        0,
        1,
        -1,
        10,
        -100,
        123_456_789,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
    ] {
        let num = Number::from_i64(v);
        assert_eq!(num.to_string(), v.to_string());
        assert_eq!(num, n(&v.to_string()));
        assert_eq!(num.to_i64(), Some(v));
        assert!(num.is_integer());
    }
    assert_eq!(n("1.5").to_i64(), None);
    assert_eq!(n("9223372036854775808").to_i64(), None);
    assert_eq!(n("-9223372036854775809").to_i64(), None);
    assert_eq!(n("1E+100").to_i64(), None);
    assert_eq!(n("1E+3").to_i64(), Some(1000));
    assert!(!n("0.5").is_integer());
    assert!(n("0").is_zero() && !n("0").is_negative());
    assert!(n("-0.1").is_negative() && !n("-0.1").is_zero());
    assert_eq!(n("1.5").to_f64(), 1.5);
    assert_eq!(n("-2.5E-3").to_f64(), -0.0025);
    assert_eq!(n("0").to_f64(), 0.0);
    assert_eq!(n(MAX).to_f64(), 1e126);
}

#[test]
fn arithmetic() {
    let add = |a: &str, b: &str| n(a).checked_add(&n(b)).map(|r| r.to_string());
    let sub = |a: &str, b: &str| n(a).checked_sub(&n(b)).map(|r| r.to_string());
    assert_eq!(add("1", "2").unwrap(), "3");
    assert_eq!(add("0.1", "0.2").unwrap(), "0.3");
    assert_eq!(add("1.5", "-1.5").unwrap(), "0");
    assert_eq!(add("-1", "0.25").unwrap(), "-0.75");
    assert_eq!(add("0", "-7").unwrap(), "-7");
    assert_eq!(add("1E+10", "1").unwrap(), "10000000001");
    assert_eq!(sub("10", "0.001").unwrap(), "9.999");
    assert_eq!(sub("5", "7").unwrap(), "-2");
    let d38 = "9".repeat(38);
    assert_eq!(add(&d38, "1").unwrap(), format!("1{}", "0".repeat(38)));
    let precision = Err(Error::Validation(MSG_PRECISION.into()));
    let overflow = Err(Error::Validation(MSG_OVERFLOW.into()));
    let underflow = Err(Error::Validation(MSG_UNDERFLOW.into()));
    assert_eq!(add(&d38, "0.1"), precision);
    assert_eq!(add("1E+125", "1E-130"), precision);
    assert_eq!(add("-1E+125", "1E-130"), precision);
    // MAX + MAX = 1.99..98E+126 needs 39 digits: precision is checked first.
    assert_eq!(add(MAX, MAX), precision);
    assert_eq!(add("9E+125", "9E+125"), overflow);
    assert_eq!(add("-9E+125", "-9E+125"), overflow);
    assert_eq!(sub(&format!("-{MAX}"), "1E+88"), overflow);
    assert_eq!(sub("1.1E-130", "1E-130"), underflow);
    assert_eq!(n("3").negate().to_string(), "-3");
    assert_eq!(n("0").negate(), Number::zero());
}
