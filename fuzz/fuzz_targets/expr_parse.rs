//! Feeds arbitrary UTF-8 to every expression parser. The property: nothing panics,
//! overflows the stack or hangs; every input either parses or is a ValidationException.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use shoal_expr::ExpressionContext;
use shoal_types::key::KeyAttr;
use shoal_types::{KeySchema, ScalarType};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let names = json!({"#a": "a", "#b": "status"});
    let values = json!({":v": {"S": "x"}, ":n": {"N": "1"}, ":l": {"L": []}, ":s": {"SS": ["a"]}});
    let Ok(mut ctx) = ExpressionContext::new(Some(&names), Some(&values)) else {
        return;
    };
    let schema = KeySchema {
        partition: KeyAttr {
            name: "pk".into(),
            ty: ScalarType::S,
        },
        sort: Some(KeyAttr {
            name: "sk".into(),
            ty: ScalarType::N,
        }),
    };
    if let Ok(c) = ctx.parse_condition(text) {
        let _ = c.evaluate(None);
    }
    let _ = ctx.parse_filter(text);
    if let Ok(u) = ctx.parse_update(text) {
        let _ = u.apply(&mut Default::default());
    }
    let _ = ctx.parse_projection(text);
    let _ = ctx.parse_key_condition(text, &schema);
    let _ = ctx.finish();
});
