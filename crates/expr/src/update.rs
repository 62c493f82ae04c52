//! [`Update`]: a resolved UpdateExpression (or legacy `AttributeUpdates`) and its
//! application to an item.
//!
//! Semantics (DynamoDB's): every SET value is computed from the item as it was *before*
//! the update, then actions apply in clause order SET, REMOVE, ADD, DELETE. Paths never
//! overlap (checked at build time), so the order only matters for list indexes: SET past
//! the end of a list appends, and REMOVEs of list elements run from the highest index
//! down so each index names an element of the original list.

use shoal_types::{AttributeValue, Item, KeySchema};

use crate::error::validation;
use crate::path::{step_mut, Path, PathElement};
use crate::Result;

/// An operand of a SET value.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOperand {
    /// The value at a path; the path must exist.
    Path(Path),
    /// A constant.
    Value(AttributeValue),
    /// `if_not_exists(path, operand)`.
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(a, b)`.
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// `operand`
    Operand(UpdateOperand),
    /// `a + b` (numbers)
    Plus(UpdateOperand, UpdateOperand),
    /// `a - b` (numbers)
    Minus(UpdateOperand, UpdateOperand),
}

/// A resolved update.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub(crate) set: Vec<(Path, SetValue)>,
    pub(crate) remove: Vec<Path>,
    pub(crate) add: Vec<(Path, AttributeValue)>,
    pub(crate) delete: Vec<(Path, AttributeValue)>,
    /// Built from `AttributeUpdates`: type mismatches use the legacy message.
    pub(crate) legacy: bool,
}

const NOT_IN_ITEM: &str =
    "The provided expression refers to an attribute that does not exist in the item";
const INVALID_PATH: &str =
    "The document path provided in the update expression is invalid for update";
const BAD_OPERAND: &str = "An operand in the update expression has an incorrect data type";
const LEGACY_MISMATCH: &str = "Type mismatch for attribute to update";

impl Update {
    /// Every path the update writes, in clause order.
    pub fn target_paths(&self) -> Vec<&Path> {
        self.set
            .iter()
            .map(|(p, _)| p)
            .chain(self.remove.iter())
            .chain(self.add.iter().map(|(p, _)| p))
            .chain(self.delete.iter().map(|(p, _)| p))
            .collect()
    }

    /// Rejects updates of key attributes:
    /// "Cannot update attribute pk. This attribute is part of the key".
    pub fn check_key_attributes(&self, schema: &KeySchema) -> Result<()> {
        for p in self.target_paths() {
            let top = p.top();
            let is_key =
                schema.partition.name == top || schema.sort.as_ref().is_some_and(|s| s.name == top);
            if is_key {
                return Err(validation(format!(
                    "Cannot update attribute {top}. This attribute is part of the key"
                )));
            }
        }
        Ok(())
    }

    fn mismatch(&self) -> crate::Error {
        validation(if self.legacy {
            LEGACY_MISMATCH
        } else {
            BAD_OPERAND
        })
    }

    /// Applies the update to `item` (a copy the caller discards on error) and returns the
    /// paths it changed, as they address the new item (a SET past the end of a list
    /// reports the index the value landed at).
    pub fn apply(&self, item: &mut Item) -> Result<Vec<Path>> {
        // All SET values read the original item.
        let values = self
            .set
            .iter()
            .map(|(_, v)| self.eval_set_value(v, item))
            .collect::<Result<Vec<_>>>()?;
        let mut changed = Vec::new();
        for ((path, _), value) in self.set.iter().zip(values) {
            changed.push(set_path(item, path, value)?);
        }
        let mut removes: Vec<&Path> = self.remove.iter().collect();
        removes.sort_by(|a, b| b.cmp(a));
        for path in removes {
            remove_path(item, path);
            changed.push(path.clone());
        }
        for (path, value) in &self.add {
            let new = match get_for_update(item, path)? {
                None => value.clone(),
                Some(old) => self.add_values(old, value)?,
            };
            // Report where the value landed (ADD past a list's end appends), as SET does.
            changed.push(set_path(item, path, new)?);
        }
        for (path, value) in &self.delete {
            let Some(old) = get_for_update(item, path)? else {
                continue;
            };
            match self.delete_values(old, value)? {
                Some(new) => {
                    set_path(item, path, new)?;
                }
                None => remove_path(item, path),
            }
            changed.push(path.clone());
        }
        Ok(changed)
    }

    fn eval_operand(&self, o: &UpdateOperand, item: &Item) -> Result<AttributeValue> {
        match o {
            UpdateOperand::Path(p) => p
                .lookup(item)
                .cloned()
                .ok_or_else(|| validation(NOT_IN_ITEM)),
            UpdateOperand::Value(v) => Ok(v.clone()),
            UpdateOperand::IfNotExists(p, dflt) => match p.lookup(item) {
                Some(v) => Ok(v.clone()),
                None => self.eval_operand(dflt, item),
            },
            UpdateOperand::ListAppend(a, b) => {
                let a = self.eval_operand(a, item)?;
                let b = self.eval_operand(b, item)?;
                match (a, b) {
                    (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                        a.extend(b);
                        Ok(AttributeValue::L(a))
                    }
                    _ => Err(self.mismatch()),
                }
            }
        }
    }

    fn eval_set_value(&self, v: &SetValue, item: &Item) -> Result<AttributeValue> {
        let (a, b, plus) = match v {
            SetValue::Operand(o) => return self.eval_operand(o, item),
            SetValue::Plus(a, b) => (a, b, true),
            SetValue::Minus(a, b) => (a, b, false),
        };
        let a = self.eval_operand(a, item)?;
        let b = self.eval_operand(b, item)?;
        match (a, b) {
            (AttributeValue::N(a), AttributeValue::N(b)) => {
                let r = if plus {
                    a.checked_add(&b)
                } else {
                    a.checked_sub(&b)
                };
                r.map(AttributeValue::N).map_err(types_error)
            }
            _ => Err(self.mismatch()),
        }
    }

    fn add_values(&self, old: &AttributeValue, add: &AttributeValue) -> Result<AttributeValue> {
        use AttributeValue as V;
        fn union<T: Clone + PartialEq>(old: &[T], add: &[T]) -> Vec<T> {
            let mut out = old.to_vec();
            for x in add {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            out
        }
        match (old, add) {
            (V::N(a), V::N(b)) => a.checked_add(b).map(V::N).map_err(types_error),
            (V::Ss(a), V::Ss(b)) => Ok(V::Ss(union(a, b))),
            (V::Ns(a), V::Ns(b)) => Ok(V::Ns(union(a, b))),
            (V::Bs(a), V::Bs(b)) => Ok(V::Bs(union(a, b))),
            // Legacy AttributeUpdates ADD appends lists.
            (V::L(a), V::L(b)) if self.legacy => {
                let mut out = a.clone();
                out.extend(b.iter().cloned());
                Ok(V::L(out))
            }
            _ => Err(self.mismatch()),
        }
    }

    /// The set left after removing `del`'s elements, or `None` when it becomes empty
    /// (DynamoDB then removes the attribute: sets are never empty).
    fn delete_values(
        &self,
        old: &AttributeValue,
        del: &AttributeValue,
    ) -> Result<Option<AttributeValue>> {
        use AttributeValue as V;
        fn minus<T: Clone + PartialEq>(old: &[T], del: &[T]) -> Vec<T> {
            old.iter().filter(|x| !del.contains(x)).cloned().collect()
        }
        let out = match (old, del) {
            (V::Ss(a), V::Ss(b)) => V::Ss(minus(a, b)),
            (V::Ns(a), V::Ns(b)) => V::Ns(minus(a, b)),
            (V::Bs(a), V::Bs(b)) => V::Bs(minus(a, b)),
            _ => return Err(self.mismatch()),
        };
        let empty = match &out {
            V::Ss(s) => s.is_empty(),
            V::Ns(s) => s.is_empty(),
            V::Bs(s) => s.is_empty(),
            _ => false,
        };
        Ok(if empty { None } else { Some(out) })
    }
}

fn types_error(e: shoal_types::Error) -> crate::Error {
    match e {
        shoal_types::Error::Validation(m) => validation(m),
        other => validation(other.to_string()),
    }
}

/// The value at `path` for ADD/DELETE: `None` if the last step is missing; an error if
/// a parent is missing or of the wrong type.
fn get_for_update<'a>(item: &'a Item, path: &Path) -> Result<Option<&'a AttributeValue>> {
    let Some((last, parents)) = path.elements().split_last() else {
        return Err(validation(INVALID_PATH));
    };
    if parents.is_empty() {
        return Ok(item.get(path.top()));
    }
    let parent = Path::new(parents.to_vec())
        .and_then(|p| p.lookup(item))
        .ok_or_else(|| validation(INVALID_PATH))?;
    match (parent, last) {
        (AttributeValue::M(m), PathElement::Key(k)) => Ok(m.get(k)),
        (AttributeValue::L(l), PathElement::Index(i)) => Ok(l.get(*i)),
        _ => Err(validation(INVALID_PATH)),
    }
}

/// The container holding `path`'s last element, or the invalid-for-update error.
fn parent_mut<'a>(item: &'a mut Item, path: &Path) -> Result<Option<&'a mut AttributeValue>> {
    let elements = path.elements();
    let Some((_, parents)) = elements.split_last() else {
        return Err(validation(INVALID_PATH));
    };
    let Some((_, rest)) = parents.split_first() else {
        return Ok(None); // top-level attribute: the item itself is the parent
    };
    let mut cur = item
        .get_mut(path.top())
        .ok_or_else(|| validation(INVALID_PATH))?;
    for e in rest {
        cur = step_mut(cur, e).ok_or_else(|| validation(INVALID_PATH))?;
    }
    Ok(Some(cur))
}

/// Writes `value` at `path`; returns where it landed.
fn set_path(item: &mut Item, path: &Path, value: AttributeValue) -> Result<Path> {
    let last = path.elements().last().cloned();
    match (parent_mut(item, path)?, last) {
        (None, _) => {
            item.insert(path.top().to_owned(), value);
            Ok(path.clone())
        }
        (Some(AttributeValue::M(m)), Some(PathElement::Key(k))) => {
            m.insert(k, value);
            Ok(path.clone())
        }
        (Some(AttributeValue::L(l)), Some(PathElement::Index(i))) => {
            if let Some(slot) = l.get_mut(i) {
                *slot = value;
                Ok(path.clone())
            } else {
                l.push(value);
                Ok(path.with_last_index(l.len() - 1))
            }
        }
        _ => Err(validation(INVALID_PATH)),
    }
}

/// Removes the value at `path` if it is there; a missing path is not an error.
fn remove_path(item: &mut Item, path: &Path) {
    let last = path.elements().last().cloned();
    match (parent_mut(item, path), last) {
        (Ok(None), _) => {
            item.remove(path.top());
        }
        (Ok(Some(AttributeValue::M(m))), Some(PathElement::Key(k))) => {
            m.remove(&k);
        }
        (Ok(Some(AttributeValue::L(l))), Some(PathElement::Index(i))) if i < l.len() => {
            l.remove(i);
        }
        _ => {}
    }
}
