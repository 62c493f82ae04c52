//! [`Path`]: a resolved document path, and the item navigation built on it.

use std::cmp::Ordering;
use std::fmt;

use shoal_types::{AttributeValue, Item};

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A map key; as the first element, the top-level attribute name.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A document path with placeholders resolved, e.g. `a.b[3].c`.
///
/// Invariant: non-empty, and the first element is a [`PathElement::Key`]. Constructors
/// in this crate uphold it; [`Path::new`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(Vec<PathElement>);

impl Path {
    /// A path from its elements; `None` unless non-empty and starting with a key.
    pub fn new(elements: Vec<PathElement>) -> Option<Path> {
        match elements.first() {
            Some(PathElement::Key(_)) => Some(Path(elements)),
            _ => None,
        }
    }

    /// The top-level attribute `name`.
    pub fn attribute(name: impl Into<String>) -> Path {
        Path(vec![PathElement::Key(name.into())])
    }

    /// The elements in order.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// The top-level attribute name.
    pub fn top(&self) -> &str {
        match self.0.first() {
            Some(PathElement::Key(k)) => k,
            _ => "",
        }
    }

    /// The value at this path in `item`, if every step exists and has the right type.
    pub fn lookup<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let (first, rest) = self.0.split_first()?;
        let PathElement::Key(k) = first else {
            return None;
        };
        let mut cur = item.get(k)?;
        for e in rest {
            cur = step(cur, e)?;
        }
        Some(cur)
    }

    pub(crate) fn with_last_index(&self, index: usize) -> Path {
        let mut elements = self.0.clone();
        if let Some(last) = elements.last_mut() {
            *last = PathElement::Index(index);
        }
        Path(elements)
    }
}

/// One navigation step: a key into a map or an index into a list.
pub(crate) fn step<'a>(v: &'a AttributeValue, e: &PathElement) -> Option<&'a AttributeValue> {
    match (v, e) {
        (AttributeValue::M(m), PathElement::Key(k)) => m.get(k),
        (AttributeValue::L(l), PathElement::Index(i)) => l.get(*i),
        _ => None,
    }
}

/// Mutable [`step`].
pub(crate) fn step_mut<'a>(
    v: &'a mut AttributeValue,
    e: &PathElement,
) -> Option<&'a mut AttributeValue> {
    match (v, e) {
        (AttributeValue::M(m), PathElement::Key(k)) => m.get_mut(k),
        (AttributeValue::L(l), PathElement::Index(i)) => l.get_mut(*i),
        _ => None,
    }
}

/// How two paths relate, for DynamoDB's "overlap" and "conflict" rejections.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    /// Neither is a prefix of the other and they agree on element kinds.
    Disjoint,
    /// Equal, or one is a prefix of the other.
    Overlap,
    /// At the first differing position one has a key and the other an index.
    Conflict,
}

pub(crate) fn relation(a: &Path, b: &Path) -> Relation {
    for (x, y) in a.0.iter().zip(b.0.iter()) {
        match (x, y) {
            (PathElement::Key(p), PathElement::Key(q)) if p == q => continue,
            (PathElement::Index(p), PathElement::Index(q)) if p == q => continue,
            (PathElement::Key(_), PathElement::Key(_))
            | (PathElement::Index(_), PathElement::Index(_)) => return Relation::Disjoint,
            _ => return Relation::Conflict,
        }
    }
    Relation::Overlap
}

/// Rejects any two paths that overlap or conflict, with DynamoDB's messages.
pub(crate) fn check_disjoint(paths: &[&Path], kind: crate::ExprKind) -> crate::Result<()> {
    for (i, a) in paths.iter().enumerate() {
        for b in paths.iter().skip(i + 1) {
            let what = match relation(a, b) {
                Relation::Disjoint => continue,
                Relation::Overlap => "overlap",
                Relation::Conflict => "conflict",
            };
            return Err(kind.invalid(format!(
                "Two document paths {what} with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
            )));
        }
    }
    Ok(())
}

/// Lexicographic order with indexes compared numerically and keys before indexes.
impl Ord for Path {
    fn cmp(&self, other: &Self) -> Ordering {
        for (x, y) in self.0.iter().zip(other.0.iter()) {
            let o = match (x, y) {
                (PathElement::Key(p), PathElement::Key(q)) => p.cmp(q),
                (PathElement::Index(p), PathElement::Index(q)) => p.cmp(q),
                (PathElement::Key(_), PathElement::Index(_)) => Ordering::Less,
                (PathElement::Index(_), PathElement::Key(_)) => Ordering::Greater,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for Path {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// DynamoDB's rendering in messages: `[a, b, [3]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElement::Key(k) => f.write_str(k)?,
                PathElement::Index(x) => write!(f, "[{x}]")?,
            }
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(elements: &[PathElement]) -> Path {
        Path::new(elements.to_vec()).unwrap()
    }

    #[test]
    fn relations_and_display() {
        use PathElement::{Index, Key};
        let a = p(&[Key("a".into())]);
        let ab = p(&[Key("a".into()), Key("b".into())]);
        let a0 = p(&[Key("a".into()), Index(0)]);
        let ac = p(&[Key("a".into()), Key("c".into())]);
        assert_eq!(relation(&a, &ab), Relation::Overlap);
        assert_eq!(relation(&ab, &ab), Relation::Overlap);
        assert_eq!(relation(&ab, &ac), Relation::Disjoint);
        assert_eq!(relation(&ab, &a0), Relation::Conflict);
        assert_eq!(a0.to_string(), "[a, [0]]");
        assert!(Path::new(vec![Index(0)]).is_none());
    }
}
