//! Query and Scan: reading many items, one page at a time.
//!
//! A page reads items in storage order (a table's items are ordered by point, then
//! partition key, then sort key as DynamoDB orders sort keys) until `Limit` items or
//! 1 MB have been read, then applies the filter, so `ScannedCount` counts what was read
//! and `Count` what matched, as in DynamoDB. `LastEvaluatedKey` is the key of the last
//! item read; the next page starts strictly after it, so an item that exists for the
//! whole of a paged read is returned exactly once however the table changes meanwhile.

use std::ops::Bound;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use shoal_expr::{Condition, ExpressionContext, KeyCondition, Projection, SortCondition};
use shoal_storage::{keys, prefix_successor, Ticket};
use shoal_types::{json as vjson, key, size, AttributeValue, Item, KeySchema};

use super::capacity::{read_units, Consumed, ReturnConsumed};
use crate::api::error::{ApiError, ApiResult};
use crate::api::input::Input;
use crate::catalog::Table;
use crate::index::{push_escaped, IndexDef, ProjectionKind};
use crate::node::Node;

/// Most data one page reads, before filtering.
pub const PAGE_BYTES: usize = 1024 * 1024;

/// `Select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    All,
    AllProjected,
    Specific,
    Count,
}

/// What a page read needs besides the key range.
struct ReadSpec {
    /// Index reads that need attributes the index does not project fetch the item from
    /// the table (local indexes only, as in DynamoDB).
    fetch: bool,
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Select,
    limit: Option<usize>,
    consistent: bool,
    consumed: ReturnConsumed,
}

/// The result of one page.
#[derive(Default)]
struct Page {
    items: Vec<Item>,
    count: usize,
    scanned: usize,
    bytes: usize,
    /// Index reads: the sizes of the index entries read, which the index is charged for.
    entry_bytes: usize,
    /// Local index reads that fetch: read units of the items fetched from the table,
    /// which the table is charged for, each item rounded on its own as a GetItem is.
    fetched_units: f64,
    last_key: Option<Item>,
    /// Durability ticket covering every write the page could have seen.
    ticket: Ticket,
}

impl Page {
    /// Takes one item read from storage; returns whether to keep reading.
    fn take(&mut self, item: Item, spec: &ReadSpec, source: &Source) -> ApiResult<bool> {
        self.scanned += 1;
        self.bytes += size::item_size(&item);
        let full = spec.limit.is_some_and(|l| self.scanned >= l) || self.bytes >= PAGE_BYTES;
        if full {
            self.last_key = Some(source.last_key(&item));
        }
        let matched = match &spec.filter {
            Some(f) => f.evaluate(Some(&item))?,
            None => true,
        };
        if matched {
            self.count += 1;
            if spec.select != Select::Count {
                self.items
                    .push(match (&spec.projection, spec.select, source.def()) {
                        (Some(p), _, _) => p.apply(&item),
                        // Fetched only to evaluate the filter: answer with what the index
                        // projects, as DynamoDB does.
                        (None, Select::AllProjected, Some(d)) if spec.fetch => d.project(&item),
                        _ => item,
                    });
            }
        }
        Ok(!full)
    }

    /// What the page consumed. Table reads: the items read, summed and rounded once. Index
    /// reads: the index entries read, likewise, on the index; plus, for a local index
    /// that fetched attributes it does not project, each fetched item on the table.
    fn consumed(&self, spec: &ReadSpec, source: &Source) -> Consumed {
        match source.def() {
            None => Consumed::reads(read_units(self.bytes, spec.consistent)),
            Some(d) => {
                let mut c = Consumed::reads(self.fetched_units);
                let units = read_units(self.entry_bytes, spec.consistent);
                c.add_index(&d.meta.name, d.meta.id, d.local, units);
                c
            }
        }
    }

    fn into_response(self, table: &Table, spec: &ReadSpec, consumed: &Consumed) -> Value {
        let mut out = Map::new();
        if spec.select != Select::Count {
            out.insert(
                "Items".into(),
                Value::Array(self.items.iter().map(vjson::item_to_json).collect()),
            );
        }
        out.insert("Count".into(), json!(self.count));
        out.insert("ScannedCount".into(), json!(self.scanned));
        if let Some(k) = &self.last_key {
            out.insert("LastEvaluatedKey".into(), vjson::item_to_json(k));
        }
        if let Some(c) = spec.consumed.report(&table.meta.name, consumed) {
            out.insert("ConsumedCapacity".into(), c);
        }
        Value::Object(out)
    }
}

/// Members shared by Query and Scan.
struct Common<'a> {
    name: &'a str,
    select: Option<&'a str>,
    limit: Option<usize>,
    consistent: bool,
    consumed: ReturnConsumed,
    index: Option<&'a str>,
}

fn common<'a>(input: &mut Input<'a>) -> ApiResult<Common<'a>> {
    let name = input.table_name("TableName", "tableName")?;
    let index = input.str("IndexName")?;
    if let Some(i) = index {
        input.check_name(i, "indexName", 255);
    }
    let select = input.enum_value(
        "Select",
        "select",
        &[
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
        ],
    )?;
    let limit = input.int("Limit")?;
    if let Some(l) = limit {
        if l < 1 {
            input.violation(
                format!("'{l}'"),
                "limit",
                "Member must have value greater than or equal to 1",
            );
        }
    }
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let consumed = ReturnConsumed::parse(input)?;
    Ok(Common {
        name: name.unwrap_or_default(),
        select,
        limit: limit.map(|l| l.max(1) as usize),
        consistent,
        consumed,
        index,
    })
}

fn select_of(c: &Common<'_>, has_projection: bool, projection_member: &str) -> ApiResult<Select> {
    let select = match c.select {
        None if has_projection => Select::Specific,
        None if c.index.is_some() => Select::AllProjected,
        None => Select::All,
        Some("ALL_ATTRIBUTES") => Select::All,
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::AllProjected,
        Some("SPECIFIC_ATTRIBUTES") => Select::Specific,
        Some(_) => Select::Count,
    };
    if has_projection && select != Select::Specific {
        return Err(ApiError::Validation(format!(
            "Cannot specify the {projection_member} when choosing to get {}",
            c.select.unwrap_or_default()
        )));
    }
    if select == Select::Specific && !has_projection {
        return Err(ApiError::Validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
                .into(),
        ));
    }
    if select == Select::AllProjected && c.index.is_none() {
        return Err(ApiError::Validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".into(),
        ));
    }
    Ok(select)
}

/// What a read reads: a table, or one of its indexes.
struct Source {
    table: Arc<Table>,
    index: Option<usize>,
}

/// Whose buckets a page draws on.
#[derive(Debug, Clone, Copy)]
enum Draw {
    /// A partition of the table: table reads, and local index reads (an LSI shares its
    /// table's throughput).
    Partition(u64),
    /// A global index's own buckets.
    Global(u64),
}

impl Source {
    /// The buckets a page that starts at `point` draws on.
    fn draw(&self, point: u64) -> Draw {
        match self.def() {
            Some(d) if !d.local => Draw::Global(d.meta.id),
            _ => Draw::Partition(self.table.route(point).desc().id),
        }
    }

    /// Admits a page, or refuses it when its buckets are used up.
    fn admit(&self, draw: Draw) -> ApiResult<()> {
        match draw {
            Draw::Partition(pid) => self.table.throughput.admit_read(pid),
            Draw::Global(id) => self.table.index_throughput.admit_read(id),
        }
    }

    /// Charges what a page consumed.
    fn charge(&self, draw: Draw, consumed: &Consumed) {
        match draw {
            Draw::Partition(pid) => self.table.throughput.charge_read(pid, consumed.on_table()),
            Draw::Global(id) => {
                let units = consumed.global().map(|(_, u)| u).sum();
                self.table.index_throughput.charge_read(id, units);
            }
        }
    }

    fn def(&self) -> Option<&IndexDef> {
        self.index.and_then(|i| self.table.indexes.defs.get(i))
    }

    /// The key schema the read's key condition and start key refer to.
    fn schema(&self) -> &KeySchema {
        match self.def() {
            Some(d) => &d.schema,
            None => &self.table.schema,
        }
    }

    /// Data id of the entries read.
    fn id(&self) -> u64 {
        match self.def() {
            Some(d) => d.meta.id,
            None => self.table.meta.id,
        }
    }

    /// Covers every write an index read could have seen: index entries are written by
    /// the table's partitions.
    fn read_ticket(&self) -> Ticket {
        self.table
            .partitions
            .iter()
            .map(|p| p.read_ticket())
            .max()
            .unwrap_or(Ticket(0))
    }

    fn last_key(&self, item: &Item) -> Item {
        match self.def() {
            Some(d) => d.last_key(item),
            None => self.table.schema.key_of(item),
        }
    }

    /// Validates `ExclusiveStartKey` and returns the storage key to start after.
    fn start_position(&self, start: &Item) -> ApiResult<(u64, Vec<u8>)> {
        let invalid = || {
            ApiError::Validation(
                "The provided starting key is invalid: The provided key element does not match the schema"
                    .into(),
            )
        };
        self.table.schema.validate_item_key(start).map_err(|e| {
            ApiError::Validation(format!("The provided starting key is invalid: {e}"))
        })?;
        match self.def() {
            None => {
                self.table.schema.validate_key(start).map_err(|e| {
                    ApiError::Validation(format!("The provided starting key is invalid: {e}"))
                })?;
                data_key(&self.table, start)
            }
            Some(d) => {
                if start.keys().any(|n| !d.is_key(n)) {
                    return Err(invalid());
                }
                let k = d.entry_key(start).ok_or_else(invalid)?;
                let pk = start.get(&d.schema.partition.name).ok_or_else(invalid)?;
                Ok((key::point(pk), k))
            }
        }
    }
}

/// Which table (and index) the request reads.
fn target(node: &Node, c: &Common<'_>) -> ApiResult<Source> {
    let table = node.catalog.require(c.name)?;
    let Some(ix) = c.index else {
        return Ok(Source { table, index: None });
    };
    let Some(pos) = table.indexes.defs.iter().position(|d| d.meta.name == ix) else {
        return Err(ApiError::Validation(format!(
            "The table does not have the specified index: {ix}"
        )));
    };
    let source = Source {
        table,
        index: Some(pos),
    };
    if let Some(d) = source.def() {
        if !d.local && c.consistent {
            return Err(ApiError::Validation(
                "Consistent reads are not supported on global secondary indexes".into(),
            ));
        }
        if !d.readable() {
            return Err(ApiError::Validation(format!(
                "Cannot read from backfilling global secondary index: {ix}"
            )));
        }
    }
    Ok(source)
}

/// Whether an index read must fetch items from the table, refusing what DynamoDB
/// refuses for global indexes.
fn needs_fetch(
    source: &Source,
    select: Select,
    projection: Option<&Projection>,
    filter: Option<&Condition>,
) -> ApiResult<bool> {
    let Some(d) = source.def() else {
        return Ok(false);
    };
    // A filter reads attributes too: on a local index DynamoDB fetches the ones the
    // index does not project; on a global one they are simply absent.
    let filter_attrs = filter
        .map(|f| f.referenced_attributes())
        .unwrap_or_default();
    let complete = d.projects_all(&filter_attrs)
        && match select {
            Select::All => d.projection == ProjectionKind::All,
            Select::Specific => {
                let tops: Vec<&str> = projection
                    .map(|p| p.paths().iter().map(|p| p.top()).collect())
                    .unwrap_or_default();
                d.projects_all(&tops)
            }
            Select::AllProjected | Select::Count => true,
        };
    if complete {
        return Ok(false);
    }
    if !d.local {
        if select == Select::All {
            return Err(ApiError::Validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                d.meta.name
            )));
        }
        // A global index answers with what it projects; it never fetches.
        return Ok(false);
    }
    Ok(true)
}

/// Reads the full item of an index entry from the table.
fn fetch(table: &Table, entry: &Item) -> ApiResult<Option<Item>> {
    let key_item = table.schema.key_of(entry);
    let (point, _) = data_key(table, &key_item)?;
    let suffix = key::encode_item_key(&table.schema, &key_item);
    Ok(table.route(point).get(point, &suffix)?)
}

/// Reads table items of one partition in `(lower, upper)` into the page; returns
/// whether the page has room for more.
fn read_partition(
    partition: &shoal_storage::Partition,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    reverse: bool,
    page: &mut Page,
    spec: &ReadSpec,
    source: &Source,
) -> ApiResult<bool> {
    let mut err = None;
    let mut more = true;
    partition.range(lower, upper, reverse, |_, item| {
        match page.take(item, spec, source) {
            Ok(m) => more = m,
            Err(e) => {
                err = Some(e);
                more = false;
            }
        }
        more
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(more),
    }
}

/// Reads entries of an index in `(lower, upper)` into the page.
fn read_index(
    source: &Source,
    node_store: &shoal_storage::Store,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    reverse: bool,
    page: &mut Page,
    spec: &ReadSpec,
) -> ApiResult<bool> {
    let mut err = None;
    let mut more = true;
    node_store.range_data(lower, upper, reverse, |_, v| {
        let mut step = || -> ApiResult<bool> {
            let entry = shoal_types::codec::decode_item(v)?;
            page.entry_bytes += size::item_size(&entry);
            let item = if spec.fetch {
                let item = fetch(&source.table, &entry)?;
                let bytes = item.as_ref().map(size::item_size).unwrap_or(0);
                page.fetched_units += read_units(bytes, spec.consistent);
                match item {
                    Some(i) => i,
                    // Deleted since the entry was read: the snapshot's entry is stale.
                    None => return Ok(true),
                }
            } else {
                entry
            };
            page.take(item, spec, source)
        };
        match step() {
            Ok(m) => {
                more = m;
                m
            }
            Err(e) => {
                err = Some(e);
                more = false;
                false
            }
        }
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(more),
    }
}

/// The expression and legacy members of a read, parsed through one placeholder context.
struct ReadExpressions {
    key: Option<KeyCondition>,
    filter: Option<Condition>,
    projection: Option<Projection>,
    projection_member: &'static str,
}

fn read_expressions(
    input: &Input<'_>,
    schema: &KeySchema,
    query: bool,
) -> ApiResult<ReadExpressions> {
    let key_expr = if query {
        input.str("KeyConditionExpression")?
    } else {
        None
    };
    let filter_expr = input.str("FilterExpression")?;
    let proj_expr = input.str("ProjectionExpression")?;
    let key_legacy = if query {
        input.get("KeyConditions")
    } else {
        None
    };
    let filter_member = if query { "QueryFilter" } else { "ScanFilter" };
    let filter_legacy = input.get(filter_member);
    let to_get = input.get("AttributesToGet");
    let cond_op = input.str("ConditionalOperator")?;

    super::refuse_mixed(
        &[
            ("AttributesToGet", to_get.is_some()),
            ("KeyConditions", key_legacy.is_some()),
            (filter_member, filter_legacy.is_some()),
            ("ConditionalOperator", cond_op.is_some()),
        ],
        &[
            ("ProjectionExpression", proj_expr.is_some()),
            ("FilterExpression", filter_expr.is_some()),
            ("KeyConditionExpression", key_expr.is_some()),
        ],
    )?;
    let any_expression = proj_expr.is_some() || filter_expr.is_some() || key_expr.is_some();
    if query && key_expr.is_none() && key_legacy.is_none() {
        return Err(ApiError::Validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
                .into(),
        ));
    }
    let names = input.get("ExpressionAttributeNames");
    let values = input.get("ExpressionAttributeValues");
    if !any_expression {
        if names.is_some() {
            return Err(ApiError::Validation(
                "ExpressionAttributeNames can only be specified when using expressions".into(),
            ));
        }
        if values.is_some() {
            return Err(ApiError::Validation(
                "ExpressionAttributeValues can only be specified when using expressions".into(),
            ));
        }
    }
    if cond_op.is_some() && filter_legacy.is_none() {
        return Err(ApiError::Validation(
            "ConditionalOperator can only be used when Expected or QueryFilter or ScanFilter is present"
                .into(),
        ));
    }
    let mut ctx = ExpressionContext::new(names, values)?;
    let key = match (key_expr, key_legacy) {
        (Some(t), _) => Some(ctx.parse_key_condition(t, schema)?),
        (None, Some(v)) => Some(shoal_expr::legacy::key_conditions_to_key_condition(
            v, schema,
        )?),
        _ => None,
    };
    let filter = match (filter_expr, filter_legacy) {
        (Some(t), _) => Some(ctx.parse_filter(t)?),
        (None, Some(v)) => Some(shoal_expr::legacy::filter_to_condition_named(
            if query { "queryFilter" } else { "scanFilter" },
            v,
            cond_op,
        )?),
        _ => None,
    };
    let (projection, projection_member) = match (proj_expr, to_get) {
        (Some(t), _) => (Some(ctx.parse_projection(t)?), "ProjectionExpression"),
        (None, Some(v)) => (
            Some(shoal_expr::legacy::attributes_to_get_to_projection(v)?),
            "AttributesToGet",
        ),
        _ => (None, "ProjectionExpression"),
    };
    ctx.finish()?;
    Ok(ReadExpressions {
        key,
        filter,
        projection,
        projection_member,
    })
}

/// Reads `ExclusiveStartKey` (validated against the source by `start_position`).
fn start_key(input: &Input<'_>) -> ApiResult<Option<Item>> {
    match input.get("ExclusiveStartKey") {
        Some(v) => Ok(Some(vjson::item_from_json(v)?)),
        None => Ok(None),
    }
}

fn data_key(table: &Table, key_item: &Item) -> ApiResult<(u64, Vec<u8>)> {
    let pk = key_item
        .get(&table.schema.partition.name)
        .ok_or_else(|| ApiError::internal("key without partition key"))?;
    let point = key::point(pk);
    let k = keys::data_key(
        table.meta.id,
        point,
        &key::encode_item_key(&table.schema, key_item),
    );
    Ok((point, k))
}

/// Query.
pub async fn query(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let c = common(&mut input)?;
    let forward = input.bool("ScanIndexForward")?.unwrap_or(true);
    input.finish()?;
    let source = target(node, &c)?;
    let ex = read_expressions(&input, source.schema(), true)?;
    if let Some(f) = &ex.filter {
        // A query filter may not read the key it queries by (DynamoDB's rule).
        let member = if input.get("FilterExpression").is_some() {
            "Filter Expression"
        } else {
            "QueryFilter"
        };
        f.check_filter_key_attributes(source.schema(), member)?;
    }
    let select = select_of(&c, ex.projection.is_some(), ex.projection_member)?;
    let fetch = needs_fetch(&source, select, ex.projection.as_ref(), ex.filter.as_ref())?;
    let kc = ex
        .key
        .ok_or_else(|| ApiError::internal("query without key condition"))?;
    let start = start_key(&input)?;

    // One partition key's items (or index entries) form one contiguous run of keys.
    let point = key::point(&kc.partition_value);
    let (mut lower, mut upper) = match source.def() {
        Some(d) => index_sort_bounds(&d.partition_prefix(&kc.partition_value), kc.sort.as_ref()),
        None => {
            let mut pk_item = Item::new();
            pk_item.insert(
                source.table.schema.partition.name.clone(),
                kc.partition_value.clone(),
            );
            let pk_only = KeySchema {
                partition: source.table.schema.partition.clone(),
                sort: None,
            };
            let mut prefix = keys::point_prefix(source.table.meta.id, point);
            prefix.extend_from_slice(&key::encode_item_key(&pk_only, &pk_item));
            sort_bounds(&prefix, kc.sort.as_ref())
        }
    };
    if let Some(s) = &start {
        let (_, sk) = source.start_position(s)?;
        if s.get(&source.schema().partition.name) != Some(&kc.partition_value) {
            return Err(ApiError::Validation(
                "The provided starting key is outside query boundaries based on provided conditions"
                    .into(),
            ));
        }
        if forward {
            lower = tighter_lower(lower, Bound::Excluded(sk));
        } else {
            upper = tighter_upper(upper, Bound::Excluded(sk));
        }
    }
    let spec = ReadSpec {
        fetch,
        filter: ex.filter,
        projection: ex.projection,
        select,
        limit: c.limit,
        consistent: c.consistent,
        consumed: c.consumed,
    };
    let draw = source.draw(point);
    source.admit(draw)?;
    let store = node.catalog.store().clone();
    let (page, spec, source) = node
        .blocking(move || {
            let mut page = Page::default();
            if source.def().is_some() {
                read_index(
                    &source,
                    &store,
                    as_ref_bound(&lower),
                    as_ref_bound(&upper),
                    !forward,
                    &mut page,
                    &spec,
                )?;
                page.ticket = source.read_ticket();
                return Ok((page, spec, source));
            }
            let partition = Arc::clone(source.table.route(point));
            read_partition(
                &partition,
                as_ref_bound(&lower),
                as_ref_bound(&upper),
                !forward,
                &mut page,
                &spec,
                &source,
            )?;
            page.ticket = partition.read_ticket();
            Ok((page, spec, source))
        })
        .await?;
    // Never answer with a write a crash could still take back.
    node.durable(page.ticket).await?;
    let consumed = page.consumed(&spec, &source);
    source.charge(draw, &consumed);
    Ok(page.into_response(&source.table, &spec, &consumed))
}

/// Entry-key bounds of one index partition key under a sort-key condition (index sort
/// keys are escaped and terminated; see `index.rs`).
fn index_sort_bounds(
    prefix: &[u8],
    sort: Option<&SortCondition>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let term = |v: &AttributeValue| {
        let mut k = prefix.to_vec();
        crate::index::push_sort(&mut k, v);
        k
    };
    let after = |k: Vec<u8>| match prefix_successor(&k) {
        Some(s) => Bound::Included(s),
        None => Bound::Unbounded,
    };
    let before_end = |k: Vec<u8>| match prefix_successor(&k) {
        Some(s) => Bound::Excluded(s),
        None => Bound::Unbounded,
    };
    let end = before_end(prefix.to_vec());
    let start = Bound::Included(prefix.to_vec());
    match sort {
        None => (start, end),
        Some(SortCondition::Eq(v)) => (Bound::Included(term(v)), before_end(term(v))),
        Some(SortCondition::Lt(v)) => (start, Bound::Excluded(term(v))),
        Some(SortCondition::Le(v)) => (start, before_end(term(v))),
        Some(SortCondition::Gt(v)) => (after(term(v)), end),
        Some(SortCondition::Ge(v)) => (Bound::Included(term(v)), end),
        Some(SortCondition::Between(a, b)) => (Bound::Included(term(a)), before_end(term(b))),
        Some(SortCondition::BeginsWith(v)) => {
            let mut lo = prefix.to_vec();
            let mut raw = Vec::new();
            key::encode_key_value(v, &mut raw);
            push_escaped(&mut lo, &raw);
            (Bound::Included(lo.clone()), before_end(lo))
        }
    }
}

fn as_ref_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn tighter_lower(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if y > x || (y == x && matches!(b, Bound::Excluded(_))) {
                b
            } else {
                a
            }
        }
    }
}

fn tighter_upper(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if y < x || (y == x && matches!(b, Bound::Excluded(_))) {
                b
            } else {
                a
            }
        }
    }
}

/// Data-key bounds of a partition key's items under a sort-key condition.
fn sort_bounds(prefix: &[u8], sort: Option<&SortCondition>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let with = |v: &AttributeValue| {
        let mut k = prefix.to_vec();
        key::encode_key_value(v, &mut k);
        k
    };
    let end = match prefix_successor(prefix) {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    };
    let start = Bound::Included(prefix.to_vec());
    match sort {
        None => (start, end),
        Some(SortCondition::Eq(v)) => (Bound::Included(with(v)), Bound::Included(with(v))),
        Some(SortCondition::Lt(v)) => (start, Bound::Excluded(with(v))),
        Some(SortCondition::Le(v)) => (start, Bound::Included(with(v))),
        Some(SortCondition::Gt(v)) => (Bound::Excluded(with(v)), end),
        Some(SortCondition::Ge(v)) => (Bound::Included(with(v)), end),
        Some(SortCondition::Between(a, b)) => (Bound::Included(with(a)), Bound::Included(with(b))),
        Some(SortCondition::BeginsWith(v)) => {
            let lo = with(v);
            let hi = match prefix_successor(&lo) {
                Some(h) => Bound::Excluded(h),
                None => end,
            };
            (Bound::Included(lo), hi)
        }
    }
}

/// The inclusive point range of a parallel-scan segment.
pub fn segment_range(segment: u64, total: u64) -> (u64, u64) {
    let span = 1u128 << 64;
    let start = (u128::from(segment) * span / u128::from(total)) as u64;
    let end = ((u128::from(segment) + 1) * span / u128::from(total) - 1) as u64;
    (start, end)
}

/// Scan.
pub async fn scan(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let c = common(&mut input)?;
    let segment = input.int("Segment")?;
    let total = input.int("TotalSegments")?;
    if let Some(s) = segment {
        if s < 0 {
            input.violation(
                format!("'{s}'"),
                "segment",
                "Member must have value greater than or equal to 0",
            );
        } else if s > 999_999 {
            input.violation(
                format!("'{s}'"),
                "segment",
                "Member must have value less than or equal to 999999",
            );
        }
    }
    if let Some(t) = total {
        if t < 1 {
            input.violation(
                format!("'{t}'"),
                "totalSegments",
                "Member must have value greater than or equal to 1",
            );
        } else if t > 1_000_000 {
            input.violation(
                format!("'{t}'"),
                "totalSegments",
                "Member must have value less than or equal to 1000000",
            );
        }
    }
    input.finish()?;
    let (segment, total) = match (segment, total) {
        (None, None) => (0u64, 1u64),
        (Some(_), None) => {
            return Err(ApiError::Validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
                    .into(),
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::Validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
                    .into(),
            ))
        }
        (Some(s), Some(t)) if s >= t => {
            return Err(ApiError::Validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
            )))
        }
        (Some(s), Some(t)) => (s as u64, t as u64),
    };
    let source = target(node, &c)?;
    let ex = read_expressions(&input, source.schema(), false)?;
    let select = select_of(&c, ex.projection.is_some(), ex.projection_member)?;
    let fetch = needs_fetch(&source, select, ex.projection.as_ref(), ex.filter.as_ref())?;
    let (seg_start, seg_end) = segment_range(segment, total);
    let mut start_point = None;
    let start = match start_key(&input)? {
        Some(s) => {
            let (point, k) = source.start_position(&s)?;
            start_point = Some(point);
            if point < seg_start || point > seg_end {
                return Err(ApiError::Validation(format!(
                    "The provided Exclusive start key does not map to the provided segment: Segment: {segment}, TotalSegments: {total}"
                )));
            }
            Some(k)
        }
        None => None,
    };
    let spec = ReadSpec {
        fetch,
        filter: ex.filter,
        projection: ex.projection,
        select,
        limit: c.limit,
        consistent: c.consistent,
        consumed: c.consumed,
    };
    // A page is admitted and charged at the partition it starts in (a page reads at most
    // 1 MB, so at most 256 units land on one neighbour's share).
    let draw = source.draw(start_point.unwrap_or(seg_start));
    source.admit(draw)?;
    let store = node.catalog.store().clone();
    let (page, spec, source) = node
        .blocking(move || {
            let mut page = Page::default();
            let id = source.id();
            let bounds = |lo_point: u64, hi_point: u64| {
                let lo = keys::point_prefix(id, lo_point);
                let hi = keys::point_prefix(id, hi_point);
                let upper = match prefix_successor(&hi) {
                    Some(h) => Bound::Excluded(h),
                    None => Bound::Unbounded,
                };
                let mut lower = Bound::Included(lo);
                if let Some(s) = &start {
                    lower = tighter_lower(lower, Bound::Excluded(s.clone()));
                }
                (lower, upper)
            };
            if source.def().is_some() {
                let (lower, upper) = bounds(seg_start, seg_end);
                read_index(
                    &source,
                    &store,
                    as_ref_bound(&lower),
                    as_ref_bound(&upper),
                    false,
                    &mut page,
                    &spec,
                )?;
                page.ticket = source.read_ticket();
                return Ok((page, spec, source));
            }
            for p in &source.table.partitions {
                let lo_point = p.desc().start.max(seg_start);
                let hi_point = p.desc().end.min(seg_end);
                if lo_point > hi_point {
                    continue;
                }
                let (lower, upper) = bounds(lo_point, hi_point);
                let more = read_partition(
                    p,
                    as_ref_bound(&lower),
                    as_ref_bound(&upper),
                    false,
                    &mut page,
                    &spec,
                    &source,
                )?;
                page.ticket = page.ticket.max(p.read_ticket());
                if !more {
                    break;
                }
            }
            Ok((page, spec, source))
        })
        .await?;
    // Never answer with a write a crash could still take back.
    node.durable(page.ticket).await?;
    let consumed = page.consumed(&spec, &source);
    source.charge(draw, &consumed);
    Ok(page.into_response(&source.table, &spec, &consumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_partition_the_point_space() {
        for total in [1u64, 2, 3, 4, 7, 1000] {
            let mut expect = 0u64;
            for s in 0..total {
                let (a, b) = segment_range(s, total);
                assert_eq!(a, expect);
                if s + 1 == total {
                    assert_eq!(b, u64::MAX);
                } else {
                    expect = b + 1;
                }
            }
        }
    }

    #[test]
    fn tighter_bounds_pick_the_narrower_side() {
        let a = Bound::Included(vec![1u8, 2]);
        let b = Bound::Excluded(vec![1u8, 2]);
        assert_eq!(tighter_lower(a.clone(), b.clone()), b);
        assert_eq!(tighter_lower(Bound::Unbounded, a.clone()), a);
        assert_eq!(
            tighter_upper(Bound::Included(vec![5]), Bound::Excluded(vec![3])),
            Bound::Excluded(vec![3])
        );
    }
}
