//! [`DirectItem`]: an item deserialized straight from request JSON, without building a
//! `serde_json::Value` tree first.
//!
//! A PutItem body is nearly all item, and building its `Value` tree (a map node per
//! attribute value, a `String` per member name), converting that tree and dropping it
//! cost more than the rest of the request's parsing. This is the fast path for the plain
//! shape only; [`crate::json::item_from_json`] stays the definition of what an item is.
//!
//! Invariant a reader must keep: whenever a `DirectItem` deserializes, it holds exactly
//! the item `item_from_json` returns for the same JSON. It declines (fails, with a
//! message meant for no one) every input that is not the plain shape, which includes every
//! input `item_from_json` rejects: the caller then parses the request the general way,
//! and that reports DynamoDB's error with DynamoDB's precedence. Declined on purpose:
//! members set to `null`, unknown members and more than one member in an attribute value
//! (the general path ignores or rejects them), duplicate names in one JSON object (the
//! general path keeps the last), and every invalid value.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::Hash;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::json::{decode_base64, member, Member};
use crate::{AttributeValue, Item, Number, MAX_NESTING_DEPTH};

/// See the module documentation.
#[derive(Debug)]
pub struct DirectItem(pub Item);

impl<'de> serde::Deserialize<'de> for DirectItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The item's own attribute values sit inside no container.
        MapSeed(0).deserialize(d).map(DirectItem)
    }
}

fn decline<E: serde::de::Error>() -> E {
    E::custom("not the plain item shape")
}

/// A JSON object of attribute values, each inside `.0` containers.
#[derive(Clone, Copy)]
struct MapSeed(usize);

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = BTreeMap<String, AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = BTreeMap<String, AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed(self.0))?;
            if out.insert(name, value).is_some() {
                return Err(decline());
            }
        }
        Ok(out)
    }
}

/// A JSON array of attribute values, each inside `.0` containers.
#[derive(Clone, Copy)]
struct ListSeed(usize);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(ValueSeed(self.0))? {
            out.push(v);
        }
        Ok(out)
    }
}

/// One attribute value (`{"S": "x"}`) inside `.0` containers.
#[derive(Clone, Copy)]
struct ValueSeed(usize);

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(m) = map.next_key_seed(MemberSeed)? else {
            return Err(decline());
        };
        let depth = self.0;
        let value = match m {
            Member::S => AttributeValue::S(map.next_value()?),
            Member::N => AttributeValue::N(map.next_value_seed(NUMBER)?),
            Member::B => AttributeValue::B(map.next_value_seed(BINARY)?),
            Member::Bool => AttributeValue::Bool(map.next_value()?),
            Member::Null => {
                if !map.next_value::<bool>()? {
                    return Err(decline());
                }
                AttributeValue::Null
            }
            Member::M if depth < MAX_NESTING_DEPTH => {
                AttributeValue::M(map.next_value_seed(MapSeed(depth + 1))?)
            }
            Member::L if depth < MAX_NESTING_DEPTH => {
                AttributeValue::L(map.next_value_seed(ListSeed(depth + 1))?)
            }
            Member::M | Member::L => return Err(decline()),
            Member::Ss => AttributeValue::Ss(valid_set(map.next_value()?)?),
            Member::Ns => AttributeValue::Ns(valid_set(map.next_value_seed(SetSeed(NUMBER))?)?),
            Member::Bs => AttributeValue::Bs(valid_set(map.next_value_seed(SetSeed(BINARY))?)?),
        };
        // A second member, even `null` or unknown, is the general path's business.
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(decline());
        }
        Ok(value)
    }
}

/// A set's members, if there are some and no two are equal.
fn valid_set<T: Hash + Eq, E: serde::de::Error>(members: Vec<T>) -> Result<Vec<T>, E> {
    let mut seen = HashSet::with_capacity(members.len());
    if members.is_empty() || !members.iter().all(|m| seen.insert(m)) {
        return Err(decline());
    }
    Ok(members)
}

/// The type member's name.
struct MemberSeed;

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for MemberSeed {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute type")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Member, E> {
        member(s).ok_or_else(decline)
    }
}

/// A string member's text, parsed by `.0` (a number's digits, a binary's base64).
struct TextSeed<T>(fn(&str) -> crate::Result<T>);

impl<T> Clone for TextSeed<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TextSeed<T> {}

const NUMBER: TextSeed<Number> = TextSeed(Number::parse);
const BINARY: TextSeed<Vec<u8>> = TextSeed(decode_base64);

impl<'de, T> DeserializeSeed<'de> for TextSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for TextSeed<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
        (self.0)(s).map_err(|_| decline())
    }
}

/// The members of a number or binary set.
struct SetSeed<S>(S);

impl<'de, S: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for SetSeed<S> {
    type Value = Vec<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for SetSeed<S> {
    type Value = Vec<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a set")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(self.0)? {
            out.push(v);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "direct_test.rs"]
mod tests;
