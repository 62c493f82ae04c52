//! Single-item operations: PutItem, GetItem, DeleteItem, UpdateItem.
//!
//! Each handler validates the whole request first (a request that fails validation
//! changes nothing), then runs the read-decide-write step inside the partition's write
//! lock on the blocking pool, then waits for group commit before answering.

use std::sync::Arc;

use serde_json::{Map, Value};
use shoal_expr::{Condition, ExpressionContext, Path, Projection, Update};
use shoal_storage::{Change, Current, Written};
use shoal_types::{codec, json, key, size, AttributeValue, Item, MAX_ITEM_SIZE};

use super::capacity::{self, read_units, Consumed, ReturnConsumed};
use crate::api::error::{ApiError, ApiResult};
use crate::api::input::Input;
use crate::catalog::Table;
use crate::collection::track;
use crate::node::Node;

/// Members shared by the write operations.
struct WriteCommon {
    consumed: ReturnConsumed,
    return_icm: bool,
    return_values: Option<String>,
    all_old_on_fail: bool,
}

fn write_common(input: &mut Input<'_>) -> ApiResult<WriteCommon> {
    let consumed = ReturnConsumed::parse(input)?;
    let icm = input.enum_value(
        "ReturnItemCollectionMetrics",
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    )?;
    let rv = input.enum_value(
        "ReturnValues",
        "returnValues",
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    let on_fail = input.enum_value(
        "ReturnValuesOnConditionCheckFailure",
        "returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    )?;
    Ok(WriteCommon {
        consumed,
        return_icm: icm == Some("SIZE"),
        return_values: rv.map(str::to_string),
        all_old_on_fail: on_fail == Some("ALL_OLD"),
    })
}

/// PutItem and DeleteItem only return the old item.
fn only_all_old(common: &WriteCommon) -> ApiResult<()> {
    match common.return_values.as_deref() {
        None | Some("NONE") | Some("ALL_OLD") => Ok(()),
        Some(_) => Err(ApiError::Validation(
            "ReturnValues can only be ALL_OLD or NONE".into(),
        )),
    }
}

/// The parts of a request's expressions a write needs.
struct Expressions {
    condition: Option<Condition>,
    update: Option<Update>,
    projection: Option<Projection>,
}

/// Which expression members an operation takes, with their legacy counterparts.
#[derive(Clone, Copy)]
struct ExprMembers {
    condition: bool,
    update: bool,
    projection: bool,
}

/// Parses every expression and legacy parameter of a request through one placeholder
/// context, applying DynamoDB's rule that the two styles may not be mixed.
fn expressions(input: &Input<'_>, table: &Table, members: ExprMembers) -> ApiResult<Expressions> {
    let cond_expr = if members.condition {
        input.str("ConditionExpression")?
    } else {
        None
    };
    let update_expr = if members.update {
        input.str("UpdateExpression")?
    } else {
        None
    };
    let proj_expr = if members.projection {
        input.str("ProjectionExpression")?
    } else {
        None
    };
    let expected = if members.condition {
        input.get("Expected")
    } else {
        None
    };
    let attr_updates = if members.update {
        input.get("AttributeUpdates")
    } else {
        None
    };
    let to_get = if members.projection {
        input.get("AttributesToGet")
    } else {
        None
    };
    let cond_op = input.str("ConditionalOperator")?;

    super::refuse_mixed(
        &[
            ("AttributesToGet", to_get.is_some()),
            ("AttributeUpdates", attr_updates.is_some()),
            ("Expected", expected.is_some()),
            (
                "ConditionalOperator",
                cond_op.is_some() && members.condition,
            ),
        ],
        &[
            ("UpdateExpression", update_expr.is_some()),
            ("ConditionExpression", cond_expr.is_some()),
            ("ProjectionExpression", proj_expr.is_some()),
        ],
    )?;
    let any_expression = update_expr.is_some() || cond_expr.is_some() || proj_expr.is_some();
    let names = input.get("ExpressionAttributeNames");
    // GetItem has no ExpressionAttributeValues member; like any unknown member, it is
    // ignored there rather than reported as unused.
    let values = if members.condition || members.update {
        input.get("ExpressionAttributeValues")
    } else {
        None
    };
    if !any_expression {
        let null_list = expression_null_list(members);
        if names.is_some() {
            return Err(ApiError::Validation(format!(
                "ExpressionAttributeNames can only be specified when using expressions{null_list}"
            )));
        }
        if values.is_some() {
            return Err(ApiError::Validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions{null_list}"
            )));
        }
    }
    if cond_op.is_some() && expected.is_none() && members.condition {
        return Err(ApiError::Validation(
            "ConditionalOperator can only be used when Expected or QueryFilter or ScanFilter \
             is present"
                .into(),
        ));
    }

    if !any_expression && expected.is_none() && attr_updates.is_none() && to_get.is_none() {
        // Nothing to parse (the common plain read or write): no context to build.
        return Ok(Expressions {
            condition: None,
            update: None,
            projection: None,
        });
    }
    let mut ctx = ExpressionContext::new(names, values)?;
    let update = match (update_expr, attr_updates) {
        (Some(t), _) => Some(ctx.parse_update(t)?),
        (None, Some(v)) => Some(shoal_expr::legacy::attribute_updates_to_update(v)?),
        _ => None,
    };
    let condition = match (cond_expr, expected) {
        (Some(t), _) => Some(ctx.parse_condition(t)?),
        (None, Some(v)) => Some(shoal_expr::legacy::expected_to_condition(v, cond_op)?),
        _ => None,
    };
    let projection = match (proj_expr, to_get) {
        (Some(t), _) => Some(ctx.parse_projection(t)?),
        (None, Some(v)) => Some(shoal_expr::legacy::attributes_to_get_to_projection(v)?),
        _ => None,
    };
    ctx.finish()?;
    if let Some(u) = &update {
        u.check_key_attributes(&table.schema)?;
    }
    Ok(Expressions {
        condition,
        update,
        projection,
    })
}

fn expression_null_list(members: ExprMembers) -> String {
    match (members.update, members.condition, members.projection) {
        (true, true, _) => ": UpdateExpression and ConditionExpression are null".into(),
        (false, true, _) => ": ConditionExpression is null".into(),
        (false, false, true) => String::new(),
        _ => String::new(),
    }
}

/// Reads, validates and locates the `Key` member.
/// `parsed`: the member, when the body was parsed without it (then not in `input`).
fn read_key(
    input: &mut Input<'_>,
    table: &Table,
    parsed: Option<Item>,
) -> ApiResult<(Item, u64, Vec<u8>)> {
    let key = match (parsed, input.get("Key")) {
        (Some(key), _) => key,
        (None, Some(v)) => json::item_from_json(v)?,
        (None, None) => {
            input.violation("null".into(), "key", "Member must not be null");
            input.finish()?;
            Item::new()
        }
    };
    table.schema.validate_key(&key)?;
    let (point, suffix) = locate(table, &key)?;
    Ok((key, point, suffix))
}

/// Where an item lives: its partition key's point and its encoded key suffix.
pub(crate) fn locate(table: &Table, key_item: &Item) -> ApiResult<(u64, Vec<u8>)> {
    let pk = key_item.get(&table.schema.partition.name).ok_or_else(|| {
        ApiError::Validation("The provided key element does not match the schema".into())
    })?;
    let point = key::point(pk);
    let suffix = key::encode_item_key(&table.schema, key_item);
    Ok((point, suffix))
}

/// The item's partition key attribute.
fn partition_key(table: &Table, item: &Item) -> ApiResult<AttributeValue> {
    item.get(&table.schema.partition.name)
        .cloned()
        .ok_or_else(|| ApiError::internal("key without partition key"))
}

fn check_condition(cond: Option<&Condition>, old: Option<&Item>, all_old: bool) -> ApiResult<()> {
    if let Some(c) = cond {
        if !c.evaluate(old)? {
            return Err(ApiError::condition_failed(if all_old {
                old.cloned()
            } else {
                None
            }));
        }
    }
    Ok(())
}

/// The response of a committed write: ReturnValues, ConsumedCapacity and
/// ItemCollectionMetrics as the request asked.
fn write_response(
    table: &Table,
    common: &WriteCommon,
    (written, consumed): (Written, Consumed),
    paths: &[Path],
    collection: Option<u64>,
) -> Value {
    // Only ItemCollectionMetrics names the partition key: looked up (and copied) only
    // when it is asked for.
    let pk = match (common.return_icm, collection) {
        (true, Some(_)) => written
            .new
            .as_ref()
            .or(written.old.as_ref())
            .and_then(|i| i.get(&table.schema.partition.name).cloned()),
        _ => None,
    };
    let attributes = match common.return_values.as_deref() {
        Some("ALL_OLD") => written.old,
        Some("ALL_NEW") => written.new,
        Some("UPDATED_OLD") => written
            .old
            .as_ref()
            .map(|o| shoal_expr::project_paths(o, paths)),
        Some("UPDATED_NEW") => written
            .new
            .as_ref()
            .map(|n| shoal_expr::project_paths(n, paths)),
        _ => None,
    };
    let mut out = Map::new();
    if let Some(a) = attributes {
        if !a.is_empty() {
            out.insert("Attributes".into(), json::item_to_json(&a));
        }
    }
    if let Some(c) = common.consumed.report(&table.meta.name, &consumed) {
        out.insert("ConsumedCapacity".into(), c);
    }
    if let (true, Some(total), Some(pk)) = (common.return_icm, collection, pk) {
        out.insert(
            "ItemCollectionMetrics".into(),
            crate::collection::metrics_member(&table.schema.partition.name, &pk, total),
        );
    }
    Value::Object(out)
}

/// What a write operation decided, under the partition's write lock.
struct Decision {
    /// The new item, or `None` to delete.
    new: Option<Item>,
    /// The new item's DynamoDB size (0 for a delete).
    size: usize,
    /// The document paths it changed (UpdateItem's `UPDATED_*` return values).
    paths: Vec<Path>,
}

/// The shared path of PutItem, DeleteItem and UpdateItem: admission against the
/// partition's capacity, then, under the partition's write lock, the condition, the
/// operation's decision (`decide` gets the current item, which it may take when nothing
/// after it reads the old item: no index, no old return values), the admission on the
/// global indexes the write changes, the item-collection check, and the logged write;
/// then the group-commit wait and the capacity charge of the table and its indexes.
async fn commit_write(
    node: &Node,
    table: &Arc<Table>,
    pk: AttributeValue,
    (point, suffix): (u64, Vec<u8>),
    condition: Option<Condition>,
    all_old_on_fail: bool,
    decide: impl FnOnce(&mut Current) -> ApiResult<Decision> + Send + 'static,
) -> ApiResult<((Written, Consumed), Vec<Path>, Option<u64>)> {
    let partition = Arc::clone(table.route(point));
    let pid = partition.desc().id;
    table.throughput.admit_write(pid)?;
    let t = Arc::clone(table);
    let limit = node.config.item_collection_limit;
    let work = move || {
        let mut paths = Vec::new();
        let mut collection = None;
        let mut consumed = Consumed::default();
        let written = partition.write(point, &suffix, |current| {
            check_condition(condition.as_ref(), current.item(), all_old_on_fail)?;
            let old_size = current.size().unwrap_or(0);
            let Decision {
                new,
                size,
                paths: changed,
            } = decide(current)?;
            paths = changed;
            let old = current.item();
            // Before `track`, which records the collection's new size: nothing may
            // refuse the write after it.
            consumed = capacity::admit_write(&t, old, new.as_ref(), old_size.max(size))?;
            collection = track(&t, &partition, limit, &pk, old, new.as_ref())?;
            Ok::<_, ApiError>(match new {
                Some(item) => Change::Put(item),
                None => Change::Delete,
            })
        })?;
        Ok((written, consumed, paths, collection))
    };
    // The write itself is short: the item read is usually cached, and the batch goes
    // to the journal buffer (the fsync happens on the committer thread without the
    // journal lock), so it runs on the async worker like GetItem does; measured, the
    // hop to the blocking pool cost more than the write. Tables with local indexes keep
    // the hop: their item-collection check may scan a large collection.
    let (written, consumed, paths, collection) = if table.meta.lsis.is_empty() {
        work()?
    } else {
        node.blocking(work).await?
    };
    node.durable(written.ticket).await?;
    capacity::charge_write(table, pid, &consumed);
    Ok(((written, consumed), paths, collection))
}

/// PutItem.
/// `parsed`: the `Item` member, when the caller built it from the body already (then
/// `body` has no `Item`).
pub async fn put_item(node: &Node, body: &Value, parsed: Option<Item>) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let item_json = input.get("Item");
    if item_json.is_none() && parsed.is_none() {
        input.violation("null".into(), "item", "Member must not be null");
    }
    let common = write_common(&mut input)?;
    input.finish()?;
    only_all_old(&common)?;
    let Some(name) = name else {
        return Err(ApiError::internal("validated members missing"));
    };
    let item = match (parsed, item_json) {
        (Some(item), _) => item,
        (None, Some(item_json)) => json::item_from_json(item_json)?,
        (None, None) => return Err(ApiError::internal("validated members missing")),
    };
    let table = node.catalog.require(name)?;
    let ex = expressions(
        &input,
        &table,
        ExprMembers {
            condition: true,
            update: false,
            projection: false,
        },
    )?;
    table.schema.validate_item_key(&item)?;
    table.indexes.validate_item(&item)?;
    let size = size::item_size(&item);
    if size > MAX_ITEM_SIZE {
        return Err(ApiError::Validation(
            "Item size has exceeded the maximum allowed size".into(),
        ));
    }
    // The key is read from the item itself: it has every key attribute (validated).
    let (point, suffix) = locate(&table, &item)?;
    let pk = partition_key(&table, &item)?;
    let (written, _, collection) = commit_write(
        node,
        &table,
        pk,
        (point, suffix),
        ex.condition,
        common.all_old_on_fail,
        move |_| {
            Ok(Decision {
                new: Some(item),
                size,
                paths: Vec::new(),
            })
        },
    )
    .await?;
    Ok(write_response(&table, &common, written, &[], collection))
}

/// DeleteItem. `key`: the `Key` member, when the body was parsed without it.
pub async fn delete_item(node: &Node, body: &Value, key: Option<Item>) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let common = write_common(&mut input)?;
    if input.get("Key").is_none() && key.is_none() {
        input.violation("null".into(), "key", "Member must not be null");
    }
    input.finish()?;
    only_all_old(&common)?;
    let Some(name) = name else {
        return Err(ApiError::internal("validated members missing"));
    };
    let table = node.catalog.require(name)?;
    let (key_item, point, suffix) = read_key(&mut input, &table, key)?;
    let ex = expressions(
        &input,
        &table,
        ExprMembers {
            condition: true,
            update: false,
            projection: false,
        },
    )?;
    let (written, _, collection) = commit_write(
        node,
        &table,
        partition_key(&table, &key_item)?,
        (point, suffix),
        ex.condition,
        common.all_old_on_fail,
        |_| {
            Ok(Decision {
                new: None,
                size: 0,
                paths: Vec::new(),
            })
        },
    )
    .await?;
    Ok(write_response(&table, &common, written, &[], collection))
}

/// UpdateItem. `key`: the `Key` member, when the body was parsed without it.
pub async fn update_item(node: &Node, body: &Value, key: Option<Item>) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let common = write_common(&mut input)?;
    if input.get("Key").is_none() && key.is_none() {
        input.violation("null".into(), "key", "Member must not be null");
    }
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::internal("validated members missing"));
    };
    let table = node.catalog.require(name)?;
    let (key_item, point, suffix) = read_key(&mut input, &table, key)?;
    let ex = expressions(
        &input,
        &table,
        ExprMembers {
            condition: true,
            update: true,
            projection: false,
        },
    )?;
    let indexes = Arc::clone(&table.indexes);
    // Building the new item from the old one itself saves a copy of every attribute,
    // when nothing reads the old item after the update: the indexes price and maintain
    // their entries from it, and these return values answer with it.
    let take_old = indexes.defs.is_empty()
        && !matches!(
            common.return_values.as_deref(),
            Some("ALL_OLD" | "UPDATED_OLD")
        );
    let update = ex.update;
    let pk = partition_key(&table, &key_item)?;
    // An item the update creates starts from its key.
    let start = key_item;
    let (written, paths, collection) = commit_write(
        node,
        &table,
        pk,
        (point, suffix),
        ex.condition,
        common.all_old_on_fail,
        move |current| {
            let old = if take_old {
                current.take()
            } else {
                current.item().cloned()
            };
            let mut item = old.unwrap_or(start);
            let mut paths = Vec::new();
            if let Some(u) = &update {
                paths = u.apply(&mut item)?;
            }
            let size = size::item_size(&item);
            if size > MAX_ITEM_SIZE {
                return Err(ApiError::Validation(
                    "Item size to update has exceeded the maximum allowed size".into(),
                ));
            }
            if item.values().map(size::nesting_depth).max().unwrap_or(0)
                > shoal_types::MAX_NESTING_DEPTH
            {
                return Err(ApiError::Validation(
                    "Nesting Levels have exceeded supported limits".into(),
                ));
            }
            indexes.validate_item(&item)?;
            Ok(Decision {
                new: Some(item),
                size,
                paths,
            })
        },
    )
    .await?;
    Ok(write_response(&table, &common, written, &paths, collection))
}

/// GetItem.
pub async fn get_item(node: &Node, body: &Value) -> ApiResult<Value> {
    let (item, consumed) = read_item(node, body, None, false).await?;
    let mut out = Map::new();
    if let Some(Read::Item(item)) = item {
        out.insert("Item".into(), json::item_to_json(&item));
    }
    if let Some(c) = consumed {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Value::Object(out))
}

/// GetItem, answered as the response body's bytes: the item is written straight from
/// its stored image (or, projected, from its attributes), without building a JSON tree
/// (the hottest response of all; measured, the tree and its serialisation were ~5% of
/// the server's CPU under a GetItem load, and decoding the image into an item ~5% more).
pub async fn get_item_bytes(node: &Node, body: &Value, key: Option<Item>) -> ApiResult<Vec<u8>> {
    let (item, consumed) = read_item(node, body, key, true).await?;
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    match &item {
        Some(Read::Item(item)) => {
            out.extend_from_slice(b"\"Item\":");
            json::write_item_json(item, &mut out);
        }
        Some(Read::Json(j)) => {
            out.extend_from_slice(b"\"Item\":");
            out.extend_from_slice(j);
        }
        None => {}
    }
    if let Some(c) = consumed {
        if item.is_some() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"ConsumedCapacity\":");
        serde_json::to_writer(&mut out, &c).map_err(ApiError::internal)?;
    }
    out.push(b'}');
    Ok(out)
}

/// What GetItem found.
enum Read {
    /// The item, projected if the request asked for it.
    Item(Item),
    /// The whole item, already written as its compact JSON.
    Json(Vec<u8>),
}

/// GetItem's work: the (projected) item, if any, and the `ConsumedCapacity` member.
/// `key`: the `Key` member, when the body was parsed without it.
/// `as_json`: the caller wants the JSON of an unprojected item, which is then written
/// straight from the stored image ([`Read::Json`]).
async fn read_item(
    node: &Node,
    body: &Value,
    key: Option<Item>,
    as_json: bool,
) -> ApiResult<(Option<Read>, Option<Value>)> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let consumed = ReturnConsumed::parse(&mut input)?;
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    if input.get("Key").is_none() && key.is_none() {
        input.violation("null".into(), "key", "Member must not be null");
    }
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::internal("validated members missing"));
    };
    let table = node.catalog.require(name)?;
    crate::shedding::admit_table(node, &table)?;
    let (_, point, suffix) = read_key(&mut input, &table, key)?;
    let ex = expressions(
        &input,
        &table,
        ExprMembers {
            condition: false,
            update: false,
            projection: true,
        },
    )?;
    let partition = table.route(point);
    table.throughput.admit_read(partition.desc().id)?;
    // NOTE: an item-cache hit is answered inline: a hop to the blocking pool per request
    // measured ~40% of the server's CPU under a GetItem load (bench/README.md). A miss
    // reads the engine, inline too unless such reads wait for the disk (`read_engine`).
    let image = match partition.cached_image(point, &suffix) {
        Some(image) => Some(image),
        None => {
            let partition = Arc::clone(partition);
            node.read_engine(move || Ok(partition.get_image(point, &suffix)?))
                .await?
        }
    };
    let (read, size) = match (image, &ex.projection, as_json) {
        (None, _, _) => (None, 0),
        (Some(image), None, true) => {
            let mut out = Vec::with_capacity(image.len() + image.len() / 4 + 64);
            let size = codec::write_item_image_json(&image, &mut out)
                .map_err(|e| ApiError::internal(format!("stored item: {e}")))?;
            (Some(Read::Json(out)), size)
        }
        (Some(image), projection, _) => {
            let item = codec::decode_item(&image)
                .map_err(|e| ApiError::internal(format!("stored item: {e}")))?;
            let size = size::item_size(&item);
            let item = match projection {
                Some(p) => p.apply(&item),
                None => item,
            };
            (Some(Read::Item(item)), size)
        }
    };
    let ticket = partition.read_ticket_for(point);
    node.durable(ticket).await?;
    let units = read_units(size, consistent);
    table.throughput.charge_read(partition.desc().id, units);
    Ok((read, consumed.member(name, units, true)))
}
