//! Process-wide cache of parsed syntax trees, keyed by expression kind and text.
//!
//! It holds trees with placeholders unresolved, so one entry serves every request that
//! sends the same text. Bounded at [`CAPACITY`] entries: when full it is cleared, which
//! is crude but O(1), can't grow without bound, and suits the common case of a service
//! sending a small fixed set of expressions. Only successful parses are cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{ExprKind, Result};
use crate::parser;
use crate::syntax::{ConditionSyntax, ProjectionSyntax, UpdateSyntax};

/// Most trees held at once.
pub(crate) const CAPACITY: usize = 4096;

/// A parsed tree of any kind.
#[derive(Debug)]
pub(crate) enum Parsed {
    Condition(ConditionSyntax),
    Update(UpdateSyntax),
    Projection(ProjectionSyntax),
}

/// One map per kind, so lookups borrow the text instead of allocating a key.
type Map = HashMap<ExprKind, HashMap<String, Arc<Parsed>>>;

fn cache() -> &'static Mutex<Map> {
    static CACHE: OnceLock<Mutex<Map>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn parse(kind: ExprKind, text: &str) -> Result<Parsed> {
    Ok(match kind {
        ExprKind::Update => Parsed::Update(parser::parse_update(text)?),
        ExprKind::Projection => Parsed::Projection(parser::parse_projection(text)?),
        ExprKind::Condition | ExprKind::Filter | ExprKind::KeyCondition => {
            Parsed::Condition(parser::parse_condition(text, kind)?)
        }
    })
}

/// The tree for `text`, from the cache when `use_cache` and present.
pub(crate) fn get_or_parse(kind: ExprKind, text: &str, use_cache: bool) -> Result<Arc<Parsed>> {
    if !use_cache {
        return Ok(Arc::new(parse(kind, text)?));
    }
    // A panic while holding the lock can't leave the map inconsistent (each operation
    // is a single insert/get/clear), so a poisoned lock is safe to keep using.
    {
        let map = cache().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hit) = map.get(&kind).and_then(|m| m.get(text)) {
            return Ok(Arc::clone(hit));
        }
    }
    // Parse outside the lock so slow parses don't serialize request threads.
    let parsed = Arc::new(parse(kind, text)?);
    let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
    if map.values().map(HashMap::len).sum::<usize>() >= CAPACITY {
        map.clear();
    }
    map.entry(kind)
        .or_default()
        .insert(text.to_owned(), Arc::clone(&parsed));
    Ok(parsed)
}
