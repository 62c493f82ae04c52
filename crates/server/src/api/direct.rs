//! The fast path of parsing a PutItem body or a body with a `Key` (GetItem, UpdateItem,
//! DeleteItem): its item (`Item`, nearly all of a PutItem body) or its key is built
//! straight from the bytes by [`DirectItem`], and only the other members become
//! `serde_json::Value`s.
//!
//! It never decides an error: anything it declines (a body that is not a JSON object, no
//! such member or a `null` one, the member twice, an item that is not the plain shape or
//! not valid) is parsed again the general way, which gives DynamoDB's error. When it
//! does parse, the result is what the general way gives: the same members, and the same
//! item that `json::item_from_json` builds from the member (the invariant of
//! [`DirectItem`]).

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};
use shoal_types::direct::DirectItem;
use shoal_types::Item;

/// A body with one item-shaped member taken out and parsed as an item.
pub struct ItemBody {
    /// Every other member, as the general parse would have them.
    pub rest: Value,
    /// The item-shaped member.
    pub item: Item,
}

/// Parses a PutItem body (its `Item`) the fast way, or `None` for the general way.
pub fn put_item(body: &[u8]) -> Option<ItemBody> {
    with_item(body, "Item")
}

/// Parses a GetItem, UpdateItem or DeleteItem body (its `Key`) the fast way, or `None`
/// for the general way.
pub fn keyed(body: &[u8]) -> Option<ItemBody> {
    with_item(body, "Key")
}

fn with_item(body: &[u8], member: &'static str) -> Option<ItemBody> {
    // One UTF-8 check of the whole body, then a parser that checks no string again: from
    // bytes, serde_json checks each string it reads, a third of the instructions of
    // reading a PutItem's strings. A body that is not UTF-8 goes the general way.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = ItemSeed { member }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(parsed)
}

struct ItemSeed {
    member: &'static str,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = ItemBody;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = ItemBody;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a request with {}", self.member)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut rest = Map::new();
        let mut item = None;
        while let Some(name) = map.next_key::<String>()? {
            if name == self.member {
                let DirectItem(i) = map.next_value()?;
                if item.replace(i).is_some() {
                    return Err(A::Error::custom("the item member twice"));
                }
            } else {
                // A repeated member keeps its last value, as in the general parse.
                rest.insert(name, map.next_value::<Value>()?);
            }
        }
        let item = item.ok_or_else(|| A::Error::custom("no item member"))?;
        Ok(ItemBody {
            rest: Value::Object(rest),
            item,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_types::json::item_from_json;

    /// The general parse of the same body: its members, and its item if it has a valid one.
    fn general(body: &str) -> (Value, Option<Item>) {
        let mut v: Value = serde_json::from_str(body).expect("test bodies are JSON");
        let item = v
            .as_object_mut()
            .and_then(|o| o.remove("Item"))
            .and_then(|i| item_from_json(&i).ok());
        (v, item)
    }

    #[test]
    fn plain_bodies_parse_as_the_general_way_does() {
        for body in [
            r#"{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1.50"}}}"#,
            r#"{"Item":{"pk":{"S":"a\u0041\n"},"b":{"B":"AAE="},"t":{"BOOL":true},"z":{"NULL":true}},"TableName":"t","ReturnValues":"ALL_OLD"}"#,
            r#"{"TableName":"t","Item":{"m":{"M":{"x":{"L":[{"S":"1"},{"NS":["1","2"]}]}}},"s":{"SS":["a","b"]},"bs":{"BS":["AA==","AQ=="]}},"TableName":"u"}"#,
            r#"{"TableName":"t","Item":{},"ConditionExpression":"attribute_not_exists(pk)"}"#,
        ] {
            let fast = put_item(body.as_bytes()).expect("plain body takes the fast path");
            let (rest, item) = general(body);
            assert_eq!(fast.rest, rest, "{body}");
            assert_eq!(Some(fast.item), item, "{body}");
        }
    }

    #[test]
    fn keyed_bodies_take_their_key() {
        let body = r#"{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"N":"01"}},"ConsistentRead":true,"Item":{"x":{"S":"y"}}}"#;
        let fast = keyed(body.as_bytes()).expect("plain body takes the fast path");
        let mut general: Value = serde_json::from_str(body).unwrap();
        let key = general.as_object_mut().unwrap().remove("Key").unwrap();
        assert_eq!(
            fast.rest, general,
            "Item is just another member of a GetItem"
        );
        assert_eq!(Some(fast.item), item_from_json(&key).ok());
        for declined in [
            r#"{"TableName":"t"}"#,
            r#"{"TableName":"t","Key":null}"#,
            r#"{"TableName":"t","Key":{"pk":{"S":"a"}},"Key":{"pk":{"S":"b"}}}"#,
            r#"{"TableName":"t","Key":{"pk":{"S":1}}}"#,
        ] {
            assert!(keyed(declined.as_bytes()).is_none(), "{declined}");
        }
    }

    #[test]
    fn anything_unusual_takes_the_general_path() {
        for body in [
            r#"[]"#,
            r#"{"TableName":"t"}"#,
            r#"{"TableName":"t","Item":null}"#,
            r#"{"TableName":"t","Item":{"a":{"S":"x"}},"Item":{"a":{"S":"y"}}}"#,
            r#"{"TableName":"t","Item":{"a":{"S":"x"},"a":{"S":"y"}}}"#,
            r#"{"TableName":"t","Item":{"a":{"S":"x","N":null}}}"#,
            r#"{"TableName":"t","Item":{"a":{"X":"1","S":"x"}}}"#,
            r#"{"TableName":"t","Item":{"a":{}}}"#,
            r#"{"TableName":"t","Item":{"a":null}}"#,
            r#"{"TableName":"t","Item":{"a":{"S":1}}}"#,
            r#"{"TableName":"t","Item":{"a":{"N":"1e200"}}}"#,
            r#"{"TableName":"t","Item":{"a":{"B":"AAE"}}}"#,
            r#"{"TableName":"t","Item":{"a":{"NULL":false}}}"#,
            r#"{"TableName":"t","Item":{"a":{"SS":[]}}}"#,
            r#"{"TableName":"t","Item":{"a":{"SS":["x","x"]}}}"#,
            r#"{"TableName":"t","Item":{"a":{"NS":["1","1.0"]}}}"#,
            r#"{"TableName":"t","Item":{"a":{"BS":["AA==","AA=="]}}}"#,
            r#"{"TableName":"t","Item":{"a":{"SS":["x",null]}}}"#,
            r#"{"TableName":"t","Item":{"a":{"S":"x"}}} trailing"#,
            r#"{"TableName":"t","Item":{"a":{"S":"x"}}"#,
        ] {
            assert!(put_item(body.as_bytes()).is_none(), "{body}");
        }
        // Not UTF-8, in a string and outside one.
        for body in [
            &b"{\"TableName\":\"t\",\"Item\":{\"a\":{\"S\":\"\xff\"}}}"[..],
            b"{\"TableName\":\"t\",\"Item\":{\"a\":{\"S\":\"x\"}}}\xc3",
        ] {
            assert!(put_item(body).is_none(), "{body:?}");
        }
    }

    #[test]
    fn nesting_is_limited_as_the_general_way_limits_it() {
        let nest = |levels: usize| {
            let mut v = r#"{"S":"x"}"#.to_string();
            for _ in 0..levels {
                v = format!(r#"{{"L":[{v}]}}"#);
            }
            format!(r#"{{"TableName":"t","Item":{{"a":{v}}}}}"#)
        };
        let deepest = nest(shoal_types::MAX_NESTING_DEPTH);
        assert_eq!(
            put_item(deepest.as_bytes()).map(|p| p.item),
            general(&deepest).1
        );
        assert!(general(&deepest).1.is_some());
        let too_deep = nest(shoal_types::MAX_NESTING_DEPTH + 1);
        assert!(general(&too_deep).1.is_none());
        assert!(put_item(too_deep.as_bytes()).is_none());
    }
}
