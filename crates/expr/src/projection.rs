//! [`Projection`]: a resolved ProjectionExpression (or legacy `AttributesToGet`), and
//! [`project_paths`], which ReturnValues UPDATED_OLD/UPDATED_NEW also uses.
//!
//! Projecting keeps the item's shape: `a.b` yields `{a: {b: ..}}`, and list elements
//! keep their relative order but are compacted (`a[1], a[3]` yields a two-element list),
//! as DynamoDB returns them. A path that does not resolve contributes nothing, and a
//! container left empty only because nothing under it resolved is omitted.

use std::collections::BTreeMap;

use shoal_types::{AttributeValue, Item};

use crate::path::{Path, PathElement};

/// A resolved projection.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub(crate) paths: Vec<Path>,
}

impl Projection {
    /// A projection of exactly `paths`. Callers building one by hand must not pass
    /// overlapping paths (the parsers reject them).
    pub fn new(paths: Vec<Path>) -> Projection {
        Projection { paths }
    }

    /// The projected paths, in written order.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// The parts of `item` the projection names.
    pub fn apply(&self, item: &Item) -> Item {
        project_paths(item, &self.paths)
    }
}

/// A trie of projected paths: `whole` means take the value under this node entirely.
#[derive(Default)]
struct Node {
    whole: bool,
    keys: BTreeMap<String, Node>,
    indexes: BTreeMap<usize, Node>,
}

impl Node {
    fn insert(&mut self, elements: &[PathElement]) {
        let Some((first, rest)) = elements.split_first() else {
            self.whole = true;
            return;
        };
        let child = match first {
            PathElement::Key(k) => self.keys.entry(k.clone()).or_default(),
            PathElement::Index(i) => self.indexes.entry(*i).or_default(),
        };
        child.insert(rest);
    }

    /// The projection of `v` through this node, or `None` if nothing resolves.
    fn project(&self, v: &AttributeValue) -> Option<AttributeValue> {
        if self.whole {
            return Some(v.clone());
        }
        match v {
            AttributeValue::M(m) if !self.keys.is_empty() => {
                let out: BTreeMap<String, AttributeValue> = self
                    .keys
                    .iter()
                    .filter_map(|(k, n)| Some((k.clone(), n.project(m.get(k)?)?)))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::M(out))
            }
            AttributeValue::L(l) if !self.indexes.is_empty() => {
                let out: Vec<AttributeValue> = self
                    .indexes
                    .iter()
                    .filter_map(|(i, n)| n.project(l.get(*i)?))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::L(out))
            }
            _ => None,
        }
    }
}

/// Projects exactly `paths` out of `item`.
pub fn project_paths(item: &Item, paths: &[Path]) -> Item {
    let mut root = Node::default();
    for p in paths {
        root.insert(p.elements());
    }
    let mut out = Item::new();
    for (k, node) in &root.keys {
        if let Some(v) = item.get(k).and_then(|v| node.project(v)) {
            out.insert(k.clone(), v);
        }
    }
    out
}
