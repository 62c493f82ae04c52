//! The direct item parser against the general one: member order and repeated names.

use super::*;

fn direct(text: &str) -> Option<Item> {
    serde_json::from_str::<DirectItem>(text).ok().map(|d| d.0)
}

#[test]
fn names_in_any_order_build_the_general_decoders_item() {
    for text in [
        r#"{"b":{"S":"2"},"a":{"S":"1"},"c":{"M":{"z":{"N":"1"},"y":{"BOOL":true}}}}"#,
        r#"{"a":{"S":"1"},"c":{"M":{"y":{"BOOL":true},"z":{"N":"1"}}},"b":{"S":"2"}}"#,
    ] {
        let general = crate::json::item_from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(direct(text), Some(general.unwrap()), "{text}");
    }
}

#[test]
fn a_name_twice_in_one_object_is_declined() {
    for text in [
        r#"{"a":{"S":"1"},"b":{"S":"2"},"a":{"S":"3"}}"#,
        r#"{"a":{"S":"1"},"a":{"S":"1"}}"#,
        r#"{"m":{"M":{"x":{"N":"1"},"y":{"N":"2"},"x":{"N":"3"}}}}"#,
    ] {
        assert_eq!(direct(text), None, "{text}");
    }
}
