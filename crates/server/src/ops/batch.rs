//! BatchGetItem and BatchWriteItem: many single-item reads or writes in one request.
//!
//! A batch is validated whole before anything is read or written: a request with one bad
//! item changes nothing. Writes in a batch are individually atomic (as in DynamoDB, the
//! batch is not a transaction) and acknowledged together after one group-commit wait
//! that covers all of them.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};
use shoal_expr::{ExpressionContext, Projection};
use shoal_storage::{Change, Ticket};
use shoal_types::{json as vjson, size, Item, MAX_ITEM_SIZE};

use super::capacity::{self, read_units, Consumed, ReturnConsumed};
use super::items::locate;
use crate::api::error::{ApiError, ApiResult};
use crate::api::input::{wrong_type, Input};
use crate::catalog::Table;
use crate::node::Node;

/// Most keys one BatchGetItem may ask for.
pub const MAX_GET_KEYS: usize = 100;
/// Most requests one BatchWriteItem may carry.
pub const MAX_WRITES: usize = 25;
/// Largest BatchGetItem response; keys beyond it are returned as unprocessed.
pub const MAX_GET_RESPONSE: usize = 16 * 1024 * 1024;

fn request_items<'a>(input: &mut Input<'a>) -> ApiResult<Option<&'a Map<String, Value>>> {
    let items = input.map("RequestItems")?;
    match items {
        None => input.violation("null".into(), "requestItems", "Member must not be null"),
        Some(m) if m.is_empty() => input.violation(
            "'{}'".into(),
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(m) => {
            for name in m.keys() {
                input.check_name(name, "requestItems.key", 255);
            }
        }
    }
    Ok(items)
}

fn key_fingerprint(table: &str, key: &Item) -> Vec<u8> {
    let mut out = table.as_bytes().to_vec();
    out.push(0);
    shoal_types::codec::encode_item(key, &mut out);
    out
}

/// One table's part of a BatchGetItem.
struct GetTable {
    table: Arc<Table>,
    keys: Vec<Item>,
    projection: Option<Projection>,
    consistent: bool,
    raw: Value,
}

/// BatchGetItem.
pub async fn batch_get_item(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let items = request_items(&mut input)?;
    let consumed = ReturnConsumed::parse(&mut input)?;
    input.finish()?;
    let items = items.ok_or_else(|| ApiError::internal("validated members missing"))?;

    let mut total = 0usize;
    let mut seen = HashSet::new();
    let mut plan = Vec::new();
    for (name, spec) in items {
        let s = Input::new(spec)?;
        let keys = match s.list("Keys")? {
            Some(k) => k,
            None => {
                return Err(ApiError::Validation(format!(
                    "1 validation error detected: Value null at 'requestItems.{name}.member.keys' failed to satisfy constraint: Member must not be null"
                )))
            }
        };
        if keys.is_empty() {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value '[]' at 'requestItems.{name}.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )));
        }
        total += keys.len();
        if total > MAX_GET_KEYS {
            return Err(ApiError::Validation(
                "Too many items requested for the BatchGetItem call".into(),
            ));
        }
        let table = node.catalog.require(name)?;
        let mut parsed = Vec::with_capacity(keys.len());
        for k in keys {
            let k = vjson::item_from_json(k)?;
            table.schema.validate_key(&k)?;
            if !seen.insert(key_fingerprint(name, &k)) {
                return Err(ApiError::Validation(
                    "Provided list of item keys contains duplicates".into(),
                ));
            }
            parsed.push(k);
        }
        let proj_expr = s.str("ProjectionExpression")?;
        let to_get = s.get("AttributesToGet");
        super::refuse_mixed(
            &[("AttributesToGet", to_get.is_some())],
            &[("ProjectionExpression", proj_expr.is_some())],
        )?;
        let names = s.get("ExpressionAttributeNames");
        if proj_expr.is_none() && names.is_some() {
            return Err(ApiError::Validation(
                "ExpressionAttributeNames can only be specified when using expressions".into(),
            ));
        }
        let mut ctx = ExpressionContext::new(names, None)?;
        let projection = match (proj_expr, to_get) {
            (Some(t), _) => Some(ctx.parse_projection(t)?),
            (None, Some(v)) => Some(shoal_expr::legacy::attributes_to_get_to_projection(v)?),
            _ => None,
        };
        ctx.finish()?;
        plan.push(GetTable {
            table,
            keys: parsed,
            projection,
            consistent: s.bool("ConsistentRead")?.unwrap_or(false),
            raw: spec.clone(),
        });
    }

    let results = node
        .blocking(move || {
            let mut out = Vec::new();
            let mut ticket = Ticket(0);
            for g in plan {
                let mut found = Vec::new();
                let mut bytes = Vec::new();
                for k in &g.keys {
                    let (point, suffix) = locate(&g.table, k)?;
                    let partition = g.table.route(point);
                    let pid = partition.desc().id;
                    // A throttled key is returned as unprocessed for the client to retry.
                    if g.table.throughput.admit_read(pid).is_err() {
                        bytes.push(0);
                        found.push(None);
                        continue;
                    }
                    let item = partition.get(point, &suffix)?;
                    ticket = ticket.max(partition.read_ticket_for(point));
                    let b = item.as_ref().map(size::item_size).unwrap_or(0);
                    g.table
                        .throughput
                        .charge_read(pid, read_units(b, g.consistent));
                    bytes.push(b);
                    found.push(Some(item));
                }
                out.push((g, found, bytes));
            }
            Ok::<_, ApiError>((out, ticket))
        })
        .await?;
    let (results, ticket) = results;
    // Never answer with a write a crash could still take back.
    node.durable(ticket).await?;

    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut capacity = Vec::new();
    let mut response_bytes = 0usize;
    for (g, found, bytes) in results {
        let name = g.table.meta.name.clone();
        let mut list = Vec::new();
        let mut left = Vec::new();
        let mut units = 0.0;
        for ((k, item), b) in g.keys.iter().zip(found).zip(bytes) {
            let Some(item) = item.filter(|_| response_bytes + b <= MAX_GET_RESPONSE) else {
                left.push(vjson::item_to_json(k));
                continue;
            };
            response_bytes += b;
            units += read_units(b, g.consistent);
            if let Some(item) = item {
                let item = match &g.projection {
                    Some(p) => p.apply(&item),
                    None => item,
                };
                list.push(vjson::item_to_json(&item));
            }
        }
        responses.insert(name.clone(), Value::Array(list));
        if !left.is_empty() {
            let mut spec = match g.raw {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            spec.insert("Keys".into(), Value::Array(left));
            unprocessed.insert(name.clone(), Value::Object(spec));
        }
        if let Some(c) = consumed.member(&name, units, true) {
            capacity.push(c);
        }
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Object(responses));
    out.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
    if consumed != ReturnConsumed::None {
        out.insert("ConsumedCapacity".into(), Value::Array(capacity));
    }
    Ok(Value::Object(out))
}

/// One validated write of a BatchWriteItem.
enum Write {
    Put(Item),
    Delete(Item),
}

/// A validated write with the request JSON it came from (returned as unprocessed when
/// the write is throttled).
type WriteRequest = (Write, Value);

/// BatchWriteItem.
pub async fn batch_write_item(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let items = request_items(&mut input)?;
    let consumed = ReturnConsumed::parse(&mut input)?;
    input.enum_value(
        "ReturnItemCollectionMetrics",
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    )?;
    input.finish()?;
    let items = items.ok_or_else(|| ApiError::internal("validated members missing"))?;

    let mut total = 0usize;
    let mut seen = HashSet::new();
    let mut plan: Vec<(Arc<Table>, Vec<WriteRequest>)> = Vec::new();
    for (name, requests) in items {
        let requests = match requests {
            Value::Array(a) => a,
            other => return Err(wrong_type(other, "List")),
        };
        if requests.is_empty() {
            return Err(ApiError::Validation(format!(
                "1 validation error detected: Value '[]' at 'requestItems.{name}.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )));
        }
        total += requests.len();
        if total > MAX_WRITES {
            return Err(ApiError::Validation(
                "Too many items requested for the BatchWriteItem call".into(),
            ));
        }
        let table = node.catalog.require(name)?;
        let mut writes = Vec::with_capacity(requests.len());
        for raw in requests {
            let r = Input::new(raw)?;
            let w = match (r.map("PutRequest")?, r.map("DeleteRequest")?) {
                (Some(_), None) => {
                    let p = Input::new(r.get("PutRequest").unwrap_or(&Value::Null))?;
                    let item = match p.get("Item") {
                        Some(v) => vjson::item_from_json(v)?,
                        None => {
                            return Err(ApiError::Validation(
                                "1 validation error detected: Value null at 'requestItems.member.putRequest.item' failed to satisfy constraint: Member must not be null".into(),
                            ))
                        }
                    };
                    table.schema.validate_item_key(&item)?;
                    table.indexes.validate_item(&item)?;
                    if size::item_size(&item) > MAX_ITEM_SIZE {
                        return Err(ApiError::Validation(
                            "Item size has exceeded the maximum allowed size".into(),
                        ));
                    }
                    Write::Put(item)
                }
                (None, Some(_)) => {
                    let d = Input::new(r.get("DeleteRequest").unwrap_or(&Value::Null))?;
                    let key = match d.get("Key") {
                        Some(v) => vjson::item_from_json(v)?,
                        None => {
                            return Err(ApiError::Validation(
                                "1 validation error detected: Value null at 'requestItems.member.deleteRequest.key' failed to satisfy constraint: Member must not be null".into(),
                            ))
                        }
                    };
                    table.schema.validate_key(&key)?;
                    Write::Delete(key)
                }
                _ => {
                    return Err(ApiError::Validation(
                        "Supplied WriteRequest has more than one or no requests set, must contain exactly one of PutRequest or DeleteRequest".into(),
                    ))
                }
            };
            let key = match &w {
                Write::Put(i) => table.schema.key_of(i),
                Write::Delete(k) => k.clone(),
            };
            if !seen.insert(key_fingerprint(name, &key)) {
                return Err(ApiError::Validation(
                    "Provided list of item keys contains duplicates".into(),
                ));
            }
            writes.push((w, raw.clone()));
        }
        plan.push((table, writes));
    }

    let (units, last, unprocessed) = node
        .blocking(move || {
            let mut units: BTreeMap<String, Consumed> = BTreeMap::new();
            let mut unprocessed = Map::new();
            let mut last: Option<Ticket> = None;
            for (table, writes) in plan {
                let mut u = Consumed::writes(0.0);
                let mut left = Vec::new();
                for (w, raw) in writes {
                    let (key, change) = match w {
                        Write::Put(i) => (table.schema.key_of(&i), Change::Put(i)),
                        Write::Delete(k) => (k, Change::Delete),
                    };
                    let (point, suffix) = locate(&table, &key)?;
                    let partition = table.route(point);
                    let pid = partition.desc().id;
                    // A throttled request is handed back for the client to retry, as
                    // DynamoDB does, instead of failing the whole batch.
                    if table.throughput.admit_write(pid).is_err() {
                        left.push(raw);
                        continue;
                    }
                    let mut c = Consumed::default();
                    let written = partition.write(point, &suffix, |current| {
                        let new = match &change {
                            Change::Put(i) => Some(i),
                            _ => None,
                        };
                        let larger = current
                            .size()
                            .unwrap_or(0)
                            .max(new.map(size::item_size).unwrap_or(0));
                        c = capacity::admit_write(&table, current.item(), new, larger)?;
                        Ok::<_, ApiError>(change)
                    });
                    let written = match written {
                        Ok(w) => w,
                        // A global index of the table is out of write capacity: handed
                        // back like a throttle on the table.
                        Err(ApiError::ProvisionedThroughputExceeded(_)) => {
                            left.push(raw);
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    capacity::charge_write(&table, pid, &c);
                    u.merge(&c);
                    last = last.max(Some(written.ticket));
                }
                units.insert(table.meta.name.clone(), u);
                if !left.is_empty() {
                    unprocessed.insert(table.meta.name.clone(), Value::Array(left));
                }
            }
            Ok::<_, ApiError>((units, last, unprocessed))
        })
        .await?;
    // Tickets grow with commit order, so the last one covers every write of the batch.
    if let Some(t) = last {
        node.durable(t).await?;
    }
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), Value::Object(unprocessed));
    if consumed != ReturnConsumed::None {
        let list: Vec<Value> = units
            .iter()
            .filter_map(|(t, u)| consumed.report(t, u))
            .collect();
        out.insert("ConsumedCapacity".into(), Value::Array(list));
    }
    Ok(Value::Object(out))
}
