//! Property tests: printing then parsing returns the same tree, and evaluation agrees
//! with a small reference evaluator written independently here.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use shoal_expr::syntax::*;
use shoal_expr::{ExprKind, ExpressionContext};
use shoal_types::{AttributeValue as V, Item, Number};

// ---------- generators of syntax trees ----------

fn name() -> impl Strategy<Value = NameSyntax> {
    prop_oneof![
        prop::sample::select(vec!["a", "b", "c", "m", "x_1", "Foo", "_z"])
            .prop_map(|s| NameSyntax::Ident(s.to_owned())),
        prop::sample::select(vec!["#a", "#n1", "#_"])
            .prop_map(|s| NameSyntax::Placeholder(s.to_owned())),
    ]
}

fn path() -> impl Strategy<Value = PathSyntax> {
    (
        name(),
        prop::collection::vec(
            prop_oneof![
                name().prop_map(ElementSyntax::Name),
                (0u32..20).prop_map(ElementSyntax::Index)
            ],
            0..4,
        ),
    )
        .prop_map(|(first, rest)| {
            let mut elements = vec![ElementSyntax::Name(first)];
            elements.extend(rest);
            PathSyntax { elements }
        })
}

fn value_ph() -> impl Strategy<Value = String> {
    prop::sample::select(vec![":v", ":w0", ":x_1"]).prop_map(str::to_owned)
}

fn plain_operand() -> impl Strategy<Value = OperandSyntax> {
    prop_oneof![
        path().prop_map(OperandSyntax::Path),
        value_ph().prop_map(OperandSyntax::Value)
    ]
}

fn cond_operand() -> impl Strategy<Value = OperandSyntax> {
    prop_oneof![
        3 => plain_operand(),
        1 => path().prop_map(|p| OperandSyntax::Call(CallSyntax { name: "size".into(), args: vec![OperandSyntax::Path(p)] })),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn call(name: &str, args: Vec<OperandSyntax>) -> ConditionSyntax {
    ConditionSyntax::Call(CallSyntax {
        name: name.to_owned(),
        args,
    })
}

fn leaf_condition() -> impl Strategy<Value = ConditionSyntax> {
    prop_oneof![
        (compare_op(), cond_operand(), cond_operand())
            .prop_map(|(o, l, r)| ConditionSyntax::Compare(o, l, r)),
        (cond_operand(), cond_operand(), cond_operand())
            .prop_map(|(v, l, h)| ConditionSyntax::Between(v, l, h)),
        (cond_operand(), prop::collection::vec(cond_operand(), 1..4))
            .prop_map(|(v, l)| ConditionSyntax::In(v, l)),
        path().prop_map(|p| call("attribute_exists", vec![OperandSyntax::Path(p)])),
        path().prop_map(|p| call("attribute_not_exists", vec![OperandSyntax::Path(p)])),
        (path(), value_ph()).prop_map(|(p, v)| call(
            "attribute_type",
            vec![OperandSyntax::Path(p), OperandSyntax::Value(v)]
        )),
        (plain_operand(), plain_operand()).prop_map(|(a, b)| call("begins_with", vec![a, b])),
        (plain_operand(), plain_operand()).prop_map(|(a, b)| call("contains", vec![a, b])),
    ]
}

fn condition() -> impl Strategy<Value = ConditionSyntax> {
    leaf_condition().prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(ConditionSyntax::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(ConditionSyntax::Or),
            inner.prop_map(|c| ConditionSyntax::Not(Box::new(c))),
        ]
    })
}

fn update_operand() -> impl Strategy<Value = OperandSyntax> {
    plain_operand().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (path(), inner.clone()).prop_map(|(p, d)| OperandSyntax::Call(CallSyntax {
                name: "if_not_exists".into(),
                args: vec![OperandSyntax::Path(p), d]
            })),
            (inner.clone(), inner).prop_map(|(a, b)| OperandSyntax::Call(CallSyntax {
                name: "list_append".into(),
                args: vec![a, b]
            })),
        ]
    })
}

fn set_value() -> impl Strategy<Value = SetValueSyntax> {
    prop_oneof![
        update_operand().prop_map(SetValueSyntax::Operand),
        (update_operand(), update_operand()).prop_map(|(a, b)| SetValueSyntax::Plus(a, b)),
        (update_operand(), update_operand()).prop_map(|(a, b)| SetValueSyntax::Minus(a, b)),
    ]
}

fn update() -> impl Strategy<Value = UpdateSyntax> {
    let set = prop::collection::vec((path(), set_value()), 1..4).prop_map(ClauseSyntax::Set);
    let remove = prop::collection::vec(path(), 1..4).prop_map(ClauseSyntax::Remove);
    let add = prop::collection::vec((path(), value_ph()), 1..3).prop_map(ClauseSyntax::Add);
    let delete = prop::collection::vec((path(), value_ph()), 1..3).prop_map(ClauseSyntax::Delete);
    (
        prop::option::of(set),
        prop::option::of(remove),
        prop::option::of(add),
        prop::option::of(delete),
        any::<u8>(),
    )
        .prop_filter_map("at least one clause", |(s, r, a, d, rot)| {
            let mut clauses: Vec<ClauseSyntax> = [s, r, a, d].into_iter().flatten().collect();
            if clauses.is_empty() {
                return None;
            }
            let n = clauses.len();
            clauses.rotate_left(rot as usize % n);
            Some(UpdateSyntax { clauses })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn condition_prints_and_parses_back(c in condition()) {
        let text = c.to_string();
        let parsed = shoal_expr::syntax::parse_condition(&text, ExprKind::Condition);
        prop_assert_eq!(parsed.as_ref(), Ok(&c), "text: {}", text);
    }

    #[test]
    fn update_prints_and_parses_back(u in update()) {
        let text = u.to_string();
        let parsed = shoal_expr::syntax::parse_update(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&u), "text: {}", text);
    }

    #[test]
    fn projection_prints_and_parses_back(paths in prop::collection::vec(path(), 1..6)) {
        let p = ProjectionSyntax { paths };
        let text = p.to_string();
        let parsed = shoal_expr::syntax::parse_projection(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&p), "text: {}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = shoal_expr::syntax::parse_condition(&s, ExprKind::Condition);
        let _ = shoal_expr::syntax::parse_update(&s);
        let _ = shoal_expr::syntax::parse_projection(&s);
    }

    #[test]
    fn token_soup_never_panics(toks in prop::collection::vec(prop::sample::select(vec![
        "a", "#a", ":v", "(", ")", "[", "]", "1", ",", ".", "=", "<>", "<", ">=", "+", "-",
        "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE", "size",
        "attribute_exists", "begins_with", "if_not_exists", "list_append", "status",
    ]), 0..40)) {
        let s = toks.join(" ");
        let mut c = ExpressionContext::new(
            Some(&serde_json::json!({"#a": "a"})),
            Some(&serde_json::json!({":v": {"N": "1"}})),
        ).unwrap();
        let _ = c.parse_condition(&s);
        let _ = c.parse_update(&s);
        let _ = c.parse_projection(&s);
        let _ = c.parse_key_condition(&s, &common::schema(Some("N")));
    }
}

// ---------- evaluation against a reference ----------

fn num(n: i64) -> Number {
    Number::from_i64(n)
}

fn scalar() -> impl Strategy<Value = V> {
    prop_oneof![
        prop::sample::select(vec!["", "a", "ab", "b", "ba"]).prop_map(|s| V::S(s.to_owned())),
        (-3i64..4).prop_map(|n| V::N(num(n))),
        prop::sample::select(vec![vec![], vec![1u8], vec![1, 2], vec![2]]).prop_map(V::B),
    ]
}

fn any_value() -> impl Strategy<Value = V> {
    prop_oneof![
        4 => scalar(),
        1 => any::<bool>().prop_map(V::Bool),
        1 => Just(V::Null),
        1 => prop::collection::btree_set(prop::sample::select(vec!["a", "b", "c"]), 1..3)
            .prop_map(|s| V::Ss(s.into_iter().map(str::to_owned).collect())),
        1 => prop::collection::btree_set(-2i64..3, 1..3).prop_map(|s| V::Ns(s.into_iter().map(num).collect())),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(V::L),
        1 => prop::collection::btree_map(prop::sample::select(vec!["x", "y"]).prop_map(str::to_owned), scalar(), 0..2).prop_map(V::M),
    ]
}

fn test_item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map(
        prop::sample::select(vec!["a", "b", "c", "m"]).prop_map(str::to_owned),
        any_value(),
        0..4,
    )
}

/// Paths over the generated attribute names.
fn eval_path() -> impl Strategy<Value = PathSyntax> {
    let n = |s: &str| ElementSyntax::Name(NameSyntax::Ident(s.to_owned()));
    prop_oneof![
        prop::sample::select(vec!["a", "b", "c", "m"]).prop_map(move |s| PathSyntax {
            elements: vec![n(s)]
        }),
        (
            prop::sample::select(vec!["m", "a"]),
            prop::sample::select(vec!["x", "y"])
        )
            .prop_map(move |(s, k)| PathSyntax {
                elements: vec![n(s), n(k)]
            }),
        (prop::sample::select(vec!["m", "a"]), 0u32..3).prop_map(move |(s, i)| PathSyntax {
            elements: vec![n(s), ElementSyntax::Index(i)]
        }),
    ]
}

/// `:s0..:s2` hold scalars (orderable); `:w0..:w1` hold any type.
fn eval_operand(scalar_only: bool) -> BoxedStrategy<OperandSyntax> {
    let vals: Vec<&str> = if scalar_only {
        vec![":s0", ":s1", ":s2"]
    } else {
        vec![":s0", ":s1", ":w0", ":w1"]
    };
    prop_oneof![
        eval_path().prop_map(OperandSyntax::Path),
        prop::sample::select(vals).prop_map(|s| OperandSyntax::Value(s.to_owned())),
        eval_path().prop_map(|p| OperandSyntax::Call(CallSyntax {
            name: "size".into(),
            args: vec![OperandSyntax::Path(p)]
        })),
    ]
    .boxed()
}

fn eval_condition() -> impl Strategy<Value = ConditionSyntax> {
    let plain = || {
        prop_oneof![
            eval_path().prop_map(OperandSyntax::Path),
            prop::sample::select(vec![":s0", ":s1", ":w0"])
                .prop_map(|s| OperandSyntax::Value(s.to_owned()))
        ]
    };
    let leaf = prop_oneof![
        (
            prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne]),
            eval_operand(false),
            eval_operand(false)
        )
            .prop_map(|(o, l, r)| ConditionSyntax::Compare(o, l, r)),
        (
            prop::sample::select(vec![
                CompareOp::Lt,
                CompareOp::Le,
                CompareOp::Gt,
                CompareOp::Ge
            ]),
            eval_operand(true),
            eval_operand(true)
        )
            .prop_map(|(o, l, r)| ConditionSyntax::Compare(o, l, r)),
        (eval_operand(true), eval_operand(true), eval_operand(true))
            .prop_map(|(v, l, h)| ConditionSyntax::Between(v, l, h)),
        (
            eval_operand(false),
            prop::collection::vec(eval_operand(false), 1..4)
        )
            .prop_map(|(v, l)| ConditionSyntax::In(v, l)),
        eval_path().prop_map(|p| call("attribute_exists", vec![OperandSyntax::Path(p)])),
        eval_path().prop_map(|p| call("attribute_not_exists", vec![OperandSyntax::Path(p)])),
        (
            eval_path(),
            prop::sample::select(vec![":tS", ":tN", ":tL", ":tM"])
        )
            .prop_map(|(p, t)| call(
                "attribute_type",
                vec![OperandSyntax::Path(p), OperandSyntax::Value(t.to_owned())]
            )),
        (
            eval_path().prop_map(OperandSyntax::Path),
            prop::sample::select(vec![":s0", ":s1", ":s2"])
                .prop_map(|s| OperandSyntax::Value(s.to_owned()))
        )
            .prop_map(|(a, b)| call("begins_with", vec![a, b])),
        (eval_path().prop_map(OperandSyntax::Path), plain())
            .prop_map(|(a, b)| call("contains", vec![a, b])),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(ConditionSyntax::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(ConditionSyntax::Or),
            inner.prop_map(|c| ConditionSyntax::Not(Box::new(c))),
        ]
    })
}

/// Reference semantics, written for clarity rather than speed.
mod reference {
    use super::*;

    /// Canonical text of a value: sets sorted, so equality is text equality.
    pub fn canon(v: &V) -> String {
        match v {
            V::S(s) => format!("S{s:?}"),
            V::N(n) => format!("N{n}"),
            V::B(b) => format!("B{b:?}"),
            V::Bool(b) => format!("BOOL{b}"),
            V::Null => "NULL".into(),
            V::M(m) => format!(
                "M{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{k}:{}", canon(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            V::L(l) => format!("L[{}]", l.iter().map(canon).collect::<Vec<_>>().join(",")),
            V::Ss(s) => {
                let mut s = s.clone();
                s.sort();
                format!("SS{s:?}")
            }
            V::Ns(s) => {
                let mut s = s.clone();
                s.sort();
                format!(
                    "NS{}",
                    s.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            V::Bs(s) => {
                let mut s = s.clone();
                s.sort();
                format!("BS{s:?}")
            }
        }
    }

    fn lookup(item: &Item, p: &PathSyntax) -> Option<V> {
        let mut cur: Option<V> = None;
        for (i, e) in p.elements.iter().enumerate() {
            cur = match (i, e, cur) {
                (0, ElementSyntax::Name(NameSyntax::Ident(n)), _) => item.get(n).cloned(),
                (_, ElementSyntax::Name(NameSyntax::Ident(n)), Some(V::M(m))) => m.get(n).cloned(),
                (_, ElementSyntax::Index(i), Some(V::L(l))) => l.get(*i as usize).cloned(),
                _ => None,
            };
            cur.as_ref()?;
        }
        cur
    }

    fn operand(o: &OperandSyntax, item: &Item, vals: &BTreeMap<String, V>) -> Option<V> {
        match o {
            OperandSyntax::Path(p) => lookup(item, p),
            OperandSyntax::Value(v) => vals.get(v).cloned(),
            OperandSyntax::Call(c) => {
                let OperandSyntax::Path(p) = c.args.first()? else {
                    return None;
                };
                let n = match lookup(item, p)? {
                    V::S(s) => s.len(),
                    V::B(b) => b.len(),
                    V::L(l) => l.len(),
                    V::M(m) => m.len(),
                    V::Ss(s) => s.len(),
                    V::Ns(s) => s.len(),
                    V::Bs(s) => s.len(),
                    _ => return None,
                };
                Some(V::N(num(n as i64)))
            }
        }
    }

    fn order(a: &V, b: &V) -> Option<std::cmp::Ordering> {
        match (a, b) {
            (V::S(x), V::S(y)) => Some(x.cmp(y)),
            (V::N(x), V::N(y)) => Some(x.cmp(y)),
            (V::B(x), V::B(y)) => Some(x.cmp(y)),
            _ => None,
        }
    }

    pub fn eval(c: &ConditionSyntax, item: &Item, vals: &BTreeMap<String, V>) -> bool {
        let op = |o: &OperandSyntax| operand(o, item, vals);
        match c {
            ConditionSyntax::Or(xs) => xs.iter().any(|x| eval(x, item, vals)),
            ConditionSyntax::And(xs) => xs.iter().all(|x| eval(x, item, vals)),
            ConditionSyntax::Not(c) => !eval(c, item, vals),
            ConditionSyntax::Compare(o, l, r) => {
                let eq = match (op(l), op(r)) {
                    (Some(a), Some(b)) => Some((canon(&a) == canon(&b), order(&a, &b))),
                    _ => None,
                };
                match (o, eq) {
                    (CompareOp::Ne, None) => true,
                    (_, None) => false,
                    (CompareOp::Eq, Some((e, _))) => e,
                    (CompareOp::Ne, Some((e, _))) => !e,
                    (CompareOp::Lt, Some((_, ord))) => ord == Some(std::cmp::Ordering::Less),
                    (CompareOp::Le, Some((_, ord))) => {
                        matches!(ord, Some(o) if o != std::cmp::Ordering::Greater)
                    }
                    (CompareOp::Gt, Some((_, ord))) => ord == Some(std::cmp::Ordering::Greater),
                    (CompareOp::Ge, Some((_, ord))) => {
                        matches!(ord, Some(o) if o != std::cmp::Ordering::Less)
                    }
                }
            }
            ConditionSyntax::Between(v, lo, hi) => match (op(v), op(lo), op(hi)) {
                (Some(v), Some(lo), Some(hi)) => {
                    matches!(order(&v, &lo), Some(o) if o.is_ge())
                        && matches!(order(&v, &hi), Some(o) if o.is_le())
                }
                _ => false,
            },
            ConditionSyntax::In(v, list) => match op(v) {
                Some(v) => list
                    .iter()
                    .any(|o| op(o).is_some_and(|w| canon(&w) == canon(&v))),
                None => false,
            },
            ConditionSyntax::Call(call) => {
                let a = call.args.first().and_then(op);
                let b = call.args.get(1).and_then(op);
                match (call.name.as_str(), a, b) {
                    ("attribute_exists", a, _) => a.is_some(),
                    ("attribute_not_exists", a, _) => a.is_none(),
                    ("attribute_type", Some(a), Some(V::S(t))) => a.type_name() == t,
                    ("begins_with", Some(V::S(a)), Some(V::S(b))) => a.starts_with(&b),
                    ("begins_with", Some(V::B(a)), Some(V::B(b))) => a.starts_with(&b),
                    ("contains", Some(V::S(a)), Some(V::S(b))) => a.contains(&b),
                    ("contains", Some(V::B(a)), Some(V::B(b))) => {
                        b.is_empty() || a.windows(b.len()).any(|w| w == b)
                    }
                    ("contains", Some(V::Ss(a)), Some(V::S(b))) => a.contains(&b),
                    ("contains", Some(V::Ns(a)), Some(V::N(b))) => a.contains(&b),
                    ("contains", Some(V::L(a)), Some(b)) => a.iter().any(|x| canon(x) == canon(&b)),
                    _ => false,
                }
            }
        }
    }
}

fn values_json(vals: &BTreeMap<String, V>) -> serde_json::Value {
    serde_json::Value::Object(
        vals.iter()
            .map(|(k, v)| (k.clone(), shoal_types::json::attribute_value_to_json(v)))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn evaluation_matches_reference(
        c in eval_condition(),
        item in test_item(),
        s in prop::collection::vec(scalar(), 3),
        w in prop::collection::vec(any_value(), 2),
    ) {
        let mut vals = BTreeMap::new();
        for (i, v) in s.into_iter().enumerate() { vals.insert(format!(":s{i}"), v); }
        for (i, v) in w.into_iter().enumerate() { vals.insert(format!(":w{i}"), v); }
        for t in ["S", "N", "L", "M"] { vals.insert(format!(":t{t}"), V::S(t.to_owned())); }
        let text = c.to_string();
        let mut ctx = ExpressionContext::new(None, Some(&values_json(&vals))).unwrap();
        // Constant BETWEEN bounds out of order (or of mixed types), and numeric begins_with
        // prefixes, and repeated first operands (`a = a`) are rejected up front.
        let resolved = match ctx.parse_condition(&text) {
            Ok(r) => r,
            Err(e) => {
                let m = e.to_string();
                prop_assert!(
                    m.contains("BETWEEN operator requires")
                        || m.contains("function: begins_with, operand type: N")
                        || m.contains("first operand must be distinct"),
                    "{}: {}", text, m
                );
                return Ok(());
            }
        };
        let got = resolved.evaluate(Some(&item)).unwrap();
        prop_assert_eq!(got, reference::eval(&c, &item, &vals), "text: {}, item: {:?}", text, item);
    }
}
