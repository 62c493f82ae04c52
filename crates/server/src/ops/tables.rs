//! Control-plane operations: CreateTable, DescribeTable, ListTables, DeleteTable,
//! UpdateTable, tags, time to live, DescribeLimits, DescribeEndpoints.

use serde_json::{json, Map, Value};

use crate::api::error::{ApiError, ApiResult};
use crate::api::input::{show, Input};
use crate::catalog::{
    not_found_table, BillingMode, IndexMeta, KeyElem, SseMeta, StreamMeta, Table, TableMeta,
};
use crate::node::{now_secs, Node};
use crate::ops::provisioning;

/// DynamoDB's per-table default quotas.
pub const TABLE_MAX_RCU: u64 = 40_000;
/// Write units per table.
pub const TABLE_MAX_WCU: u64 = 40_000;
/// Largest value DynamoDB takes for a capacity unit member at all: above it the value is
/// invalid, not merely over the quota.
const MAX_UNITS: u64 = 1_000_000_000_000;
const MAX_LSI: usize = 5;
const MAX_GSI: usize = 20;
const MAX_PROJECTED: usize = 100;
const MAX_TAGS: usize = 50;

fn key_schema(input: &mut Input<'_>, member: &str, path: &str) -> ApiResult<Vec<KeyElem>> {
    let list = match input.get(member) {
        None => {
            input.violation("null".into(), path, "Member must not be null");
            return Ok(Vec::new());
        }
        Some(Value::Array(a)) => a,
        Some(v) => return Err(crate::api::input::wrong_type(v, "List")),
    };
    key_schema_list(input, list, path)
}

fn key_schema_list(input: &mut Input<'_>, list: &[Value], path: &str) -> ApiResult<Vec<KeyElem>> {
    let mut out = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let e = Input::new(e)?;
        let name = e.str("AttributeName")?;
        let kt = e.str("KeyType")?;
        let p = format!("{path}.{}.member", i + 1);
        match name {
            None => input.violation(
                "null".into(),
                &format!("{p}.attributeName"),
                "Member must not be null",
            ),
            Some(n) if n.is_empty() || n.len() > 255 => input.violation(
                show(Some(n)),
                &format!("{p}.attributeName"),
                if n.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 255"
                },
            ),
            _ => {}
        }
        match kt {
            None => input.violation(
                "null".into(),
                &format!("{p}.keyType"),
                "Member must not be null",
            ),
            Some(k) if k != "HASH" && k != "RANGE" => input.violation(
                show(Some(k)),
                &format!("{p}.keyType"),
                "Member must satisfy enum value set: [HASH, RANGE]",
            ),
            _ => {}
        }
        out.push(KeyElem {
            name: name.unwrap_or_default().to_string(),
            key_type: kt.unwrap_or_default().to_string(),
        });
    }
    if list.is_empty() {
        input.violation(
            "[]".into(),
            path,
            "Member must have length greater than or equal to 1",
        );
    }
    if list.len() > 2 {
        input.violation(
            format!("'{}'", show_key_schema(&out)),
            path,
            "Member must have length less than or equal to 2",
        );
    }
    Ok(out)
}

fn show_key_schema(k: &[KeyElem]) -> String {
    let parts: Vec<String> = k
        .iter()
        .map(|e| {
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                e.name, e.key_type
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Semantic checks of a key schema (after shape validation).
fn check_key_schema(k: &[KeyElem], what: &str) -> ApiResult<()> {
    let hashes = k.iter().filter(|e| e.key_type == "HASH").count();
    if hashes > 1 {
        return Err(ApiError::Validation(format!(
            "{what}Too many hash keys specified.  All Dynamo DynamoDB tables must have exactly one hash key"
        )));
    }
    match k.first() {
        Some(first) if first.key_type != "HASH" => {
            return Err(ApiError::Validation(format!(
                "{what}Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
            )))
        }
        _ => {}
    }
    if let (Some(a), Some(b)) = (k.first(), k.get(1)) {
        if b.key_type != "RANGE" {
            return Err(ApiError::Validation(format!(
                "{what}Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
            )));
        }
        if a.name == b.name {
            return Err(ApiError::Validation(format!(
                "{what}Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )));
        }
    }
    Ok(())
}

fn throughput(
    input: &mut Input<'_>,
    v: Option<&Value>,
    path: &str,
) -> ApiResult<Option<(u64, u64)>> {
    let Some(v) = v else { return Ok(None) };
    let t = Input::new(v)?;
    let r = t.int("ReadCapacityUnits")?;
    let w = t.int("WriteCapacityUnits")?;
    for (val, member) in [(r, "readCapacityUnits"), (w, "writeCapacityUnits")] {
        let p = format!("{path}.{member}");
        match val {
            None => input.violation("null".into(), &p, "Member must not be null"),
            Some(n) if n < 1 => input.violation(
                format!("'{n}'"),
                &p,
                "Member must have value greater than or equal to 1",
            ),
            _ => {}
        }
    }
    Ok(Some((
        r.unwrap_or(0).max(0) as u64,
        w.unwrap_or(0).max(0) as u64,
    )))
}

/// DynamoDB's checks of capacity values that are well formed (at least 1) but too large:
/// out of bounds (ValidationException), then above the per-table quota
/// (LimitExceededException). `what` names the table or index in the quota message.
fn check_units((r, w): (u64, u64), what: &str) -> ApiResult<()> {
    for (v, member) in [(r, "ReadCapacityUnits"), (w, "WriteCapacityUnits")] {
        if v > MAX_UNITS {
            return Err(ApiError::Validation(format!(
                "{INVALID}Given value {v} for {member} is out of bounds"
            )));
        }
    }
    if r > TABLE_MAX_RCU || w > TABLE_MAX_WCU {
        return Err(ApiError::LimitExceeded(format!(
            "Subscriber limit exceeded: Provisioned throughput for {what} exceeds the per-table limit of {TABLE_MAX_RCU} read and {TABLE_MAX_WCU} write capacity units"
        )));
    }
    Ok(())
}

fn projection(
    input: &mut Input<'_>,
    v: Option<&Value>,
    path: &str,
) -> ApiResult<(String, Vec<String>)> {
    let Some(v) = v else {
        input.violation("null".into(), path, "Member must not be null");
        return Ok((String::new(), Vec::new()));
    };
    let p = Input::new(v)?;
    let ty = p.str("ProjectionType")?;
    if let Some(t) = ty {
        if !["ALL", "KEYS_ONLY", "INCLUDE"].contains(&t) {
            input.violation(
                show(Some(t)),
                &format!("{path}.projectionType"),
                "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
            );
        }
    }
    let non_key: Vec<String> = match p.list("NonKeyAttributes")? {
        None => Vec::new(),
        Some(list) => list
            .iter()
            .map(|n| match n {
                Value::String(s) => Ok(s.clone()),
                other => Err(crate::api::input::wrong_type(other, "String")),
            })
            .collect::<ApiResult<_>>()?,
    };
    let ty = ty.unwrap_or("").to_string();
    Ok((ty, non_key))
}

struct IndexInput {
    meta: IndexMeta,
    has_throughput: bool,
}

fn indexes(
    input: &mut Input<'_>,
    member: &str,
    path: &str,
    global: bool,
) -> ApiResult<Vec<IndexInput>> {
    let Some(list) = input.list(member)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let p = format!("{path}.{}.member", i + 1);
        let ix = Input::new(v)?;
        let name = ix.str("IndexName")?;
        match name {
            None => input.violation(
                "null".into(),
                &format!("{p}.indexName"),
                "Member must not be null",
            ),
            Some(n) => input.check_name(n, &format!("{p}.indexName"), 255),
        }
        let ks = match ix.list("KeySchema")? {
            None => {
                input.violation(
                    "null".into(),
                    &format!("{p}.keySchema"),
                    "Member must not be null",
                );
                Vec::new()
            }
            Some(l) => key_schema_list(input, l, &format!("{p}.keySchema"))?,
        };
        let (pt, nk) = projection(input, ix.get("Projection"), &format!("{p}.projection"))?;
        let tp = if global {
            throughput(
                input,
                ix.get("ProvisionedThroughput"),
                &format!("{p}.provisionedThroughput"),
            )?
        } else {
            None
        };
        out.push(IndexInput {
            meta: IndexMeta {
                name: name.unwrap_or_default().to_string(),
                id: 0,
                key_schema: ks,
                projection_type: pt,
                non_key_attributes: nk,
                read_capacity: tp.map(|t| t.0).unwrap_or(0),
                write_capacity: tp.map(|t| t.1).unwrap_or(0),
                status: "ACTIVE".into(),
                last_increase: None,
                last_decrease: None,
                decreases_today: 0,
            },
            has_throughput: tp.is_some(),
        });
    }
    if list.is_empty() {
        input.violation(
            "[]".into(),
            path,
            "Member must have length greater than or equal to 1",
        );
    }
    Ok(out)
}

const INVALID: &str = "One or more parameter values were invalid: ";

/// CreateTable.
pub async fn create_table(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let ks = key_schema(&mut input, "KeySchema", "keySchema")?;
    let defs_json = input.list("AttributeDefinitions")?;
    let mut defs: Vec<(String, String)> = Vec::new();
    match defs_json {
        None => input.violation(
            "null".into(),
            "attributeDefinitions",
            "Member must not be null",
        ),
        Some(list) => {
            for (i, d) in list.iter().enumerate() {
                let d = Input::new(d)?;
                let n = d.str("AttributeName")?;
                let t = d.str("AttributeType")?;
                let p = format!("attributeDefinitions.{}.member", i + 1);
                if n.is_none() {
                    input.violation(
                        "null".into(),
                        &format!("{p}.attributeName"),
                        "Member must not be null",
                    );
                }
                match t {
                    None => input.violation(
                        "null".into(),
                        &format!("{p}.attributeType"),
                        "Member must not be null",
                    ),
                    Some(t) if !["S", "N", "B"].contains(&t) => input.violation(
                        show(Some(t)),
                        &format!("{p}.attributeType"),
                        "Member must satisfy enum value set: [B, N, S]",
                    ),
                    _ => {}
                }
                defs.push((n.unwrap_or_default().into(), t.unwrap_or_default().into()));
            }
        }
    }
    let billing = input.enum_value(
        "BillingMode",
        "billingMode",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    )?;
    let tp_json = input.get("ProvisionedThroughput");
    let tp = throughput(&mut input, tp_json, "provisionedThroughput")?;
    let lsis = indexes(
        &mut input,
        "LocalSecondaryIndexes",
        "localSecondaryIndexes",
        false,
    )?;
    let gsis = indexes(
        &mut input,
        "GlobalSecondaryIndexes",
        "globalSecondaryIndexes",
        true,
    )?;
    let table_class = input.enum_value(
        "TableClass",
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    )?;
    let deletion_protection = input.bool("DeletionProtectionEnabled")?.unwrap_or(false);
    let tags = tags_member(&mut input, "Tags", "tags")?;
    let stream = stream_spec(&mut input)?;
    let sse = sse_spec(&mut input)?;
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::internal("validated members missing"));
    };

    // Semantic checks, in the order DynamoDB reports them.
    let billing = match billing {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    match (billing, tp) {
        (BillingMode::Provisioned, None) => {
            return Err(ApiError::Validation(format!(
                "{INVALID}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
            )))
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(ApiError::Validation(format!(
                "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )))
        }
        _ => {}
    }
    check_key_schema(&ks, "")?;
    let mut seen = std::collections::HashSet::new();
    for (n, _) in &defs {
        if !seen.insert(n.as_str()) {
            return Err(ApiError::Validation(format!(
                "{INVALID}Duplicate AttributeName in AttributeDefinitions: {n}"
            )));
        }
    }
    let defined = |n: &str| defs.iter().any(|(d, _)| d == n);
    let all_keys: Vec<&str> = ks
        .iter()
        .chain(lsis.iter().flat_map(|i| i.meta.key_schema.iter()))
        .chain(gsis.iter().flat_map(|i| i.meta.key_schema.iter()))
        .map(|e| e.name.as_str())
        .collect();
    let missing: Vec<&str> = all_keys.iter().copied().filter(|n| !defined(n)).collect();
    if !missing.is_empty() {
        let def_names: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
        return Err(ApiError::Validation(format!(
            "{INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            missing.join(", "),
            def_names.join(", ")
        )));
    }
    if defs.iter().any(|(d, _)| !all_keys.contains(&d.as_str())) {
        return Err(ApiError::Validation(format!(
            "{INVALID}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
        )));
    }
    check_indexes(&ks, &lsis, &gsis, billing)?;
    if let Some(tp) = tp {
        check_units(tp, &format!("table {name}"))?;
    }
    for ix in &gsis {
        let m = &ix.meta;
        check_units(
            (m.read_capacity, m.write_capacity),
            &format!("index {}", m.name),
        )?;
    }
    if node.catalog.get(name).is_some() {
        return Err(ApiError::ResourceInUse(format!(
            "Table already exists: {name}"
        )));
    }

    let now = now_secs();
    let (rcu, wcu) = tp.unwrap_or((0, 0));
    let partitions = match billing {
        BillingMode::PayPerRequest => node.config.on_demand_partitions,
        // DynamoDB's per-partition ceilings: 3,000 read and 1,000 write units.
        BillingMode::Provisioned => rcu.div_ceil(3000).max(wcu.div_ceil(1000)).max(1),
    };
    let meta = TableMeta {
        version: 1,
        name: name.to_string(),
        id: 0,
        uuid: uuid::Uuid::new_v4().to_string(),
        created: now,
        key_schema: ks,
        attribute_definitions: defs,
        billing_mode: billing,
        read_capacity: rcu,
        write_capacity: wcu,
        last_increase: None,
        last_decrease: None,
        decreases_today: 0,
        last_pay_per_request: (billing == BillingMode::PayPerRequest).then_some(now),
        // Creating a table on demand is not a switch to it.
        on_demand_switches: Vec::new(),
        lsis: lsis.into_iter().map(|i| i.meta).collect(),
        gsis: gsis.into_iter().map(|i| i.meta).collect(),
        stream: stream.map(|vt| StreamMeta {
            view_type: vt,
            label: stream_label(now),
        }),
        sse,
        deletion_protection,
        table_class: table_class.map(str::to_string),
        tags,
        ttl_attribute: None,
        partitions: Vec::new(),
        retired: Vec::new(),
    };
    // Refused with LimitExceededException when the node cannot reserve its capacity.
    let table = node.catalog.create(meta, partitions, &node.admission)?;
    tracing::info!(table = %name, partitions = table.partitions.len(), "table created");
    let mut desc = describe(node, &table);
    set_status(&mut desc, "CREATING");
    Ok(json!({ "TableDescription": desc }))
}

fn check_indexes(
    ks: &[KeyElem],
    lsis: &[IndexInput],
    gsis: &[IndexInput],
    billing: BillingMode,
) -> ApiResult<()> {
    if lsis.len() > MAX_LSI {
        return Err(ApiError::Validation(format!(
            "{INVALID}Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSI}"
        )));
    }
    if gsis.len() > MAX_GSI {
        return Err(ApiError::LimitExceeded(format!(
            "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of {MAX_GSI}"
        )));
    }
    let table_hash = ks.first().map(|e| e.name.as_str());
    let table_range = ks.get(1);
    let mut names = std::collections::HashSet::new();
    let mut projected = std::collections::HashSet::new();
    for ix in lsis.iter().chain(gsis.iter()) {
        if !names.insert(ix.meta.name.as_str()) {
            return Err(ApiError::Validation(format!(
                "{INVALID}Duplicate index name: {}",
                ix.meta.name
            )));
        }
    }
    for ix in lsis {
        if table_range.is_none() {
            return Err(ApiError::Validation(format!(
                "{INVALID}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
            )));
        }
        check_key_schema(&ix.meta.key_schema, INVALID)?;
        if ix.meta.key_schema.len() != 2 {
            return Err(ApiError::Validation(format!(
                "{INVALID}Index KeySchema does not have a range key for index: {}",
                ix.meta.name
            )));
        }
        if ix.meta.key_schema.first().map(|e| e.name.as_str()) != table_hash {
            return Err(ApiError::Validation(format!(
                "{INVALID}Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                ix.meta.name,
                ix.meta.key_schema.first().map(|e| e.name.as_str()).unwrap_or(""),
                table_hash.unwrap_or("")
            )));
        }
        check_projection(&ix.meta, &mut projected)?;
    }
    for ix in gsis {
        check_key_schema(&ix.meta.key_schema, INVALID)?;
        check_projection(&ix.meta, &mut projected)?;
        check_gsi_throughput(billing, ix)?;
    }
    if projected.len() > MAX_PROJECTED {
        return Err(ApiError::Validation(format!(
            "{INVALID}The number of projected attributes in all indexes exceeds the limit of {MAX_PROJECTED}"
        )));
    }
    Ok(())
}

/// A global index has its own throughput exactly when its table is provisioned.
fn check_gsi_throughput(billing: BillingMode, ix: &IndexInput) -> ApiResult<()> {
    match (billing, ix.has_throughput) {
        (BillingMode::Provisioned, false) => Err(ApiError::Validation(format!(
            "{INVALID}ProvisionedThroughput is not specified for index: {}",
            ix.meta.name
        ))),
        (BillingMode::PayPerRequest, true) => Err(ApiError::Validation(format!(
            "{INVALID}ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
            ix.meta.name
        ))),
        _ => Ok(()),
    }
}

fn check_projection(
    ix: &IndexMeta,
    projected: &mut std::collections::HashSet<String>,
) -> ApiResult<()> {
    match ix.projection_type.as_str() {
        "INCLUDE" => {
            if ix.non_key_attributes.is_empty() {
                return Err(ApiError::Validation(format!(
                    "{INVALID}NonKeyAttributes must not be empty when ProjectionType is INCLUDE for index: {}",
                    ix.name
                )));
            }
            projected.extend(ix.non_key_attributes.iter().cloned());
        }
        "" | "ALL" | "KEYS_ONLY" if !ix.non_key_attributes.is_empty() => {
            return Err(ApiError::Validation(format!(
                "{INVALID}ProjectionType is {}, but NonKeyAttributes is specified",
                if ix.projection_type.is_empty() {
                    "null"
                } else {
                    &ix.projection_type
                }
            )));
        }
        "" => {
            return Err(ApiError::Validation(format!(
                "{INVALID}Unknown ProjectionType: null"
            )))
        }
        _ => {}
    }
    Ok(())
}

fn stream_spec(input: &mut Input<'_>) -> ApiResult<Option<String>> {
    let Some(v) = input.get("StreamSpecification") else {
        return Ok(None);
    };
    let s = Input::new(v)?;
    let enabled = s.bool("StreamEnabled")?;
    let vt = s.str("StreamViewType")?;
    if enabled.is_none() {
        input.violation(
            "null".into(),
            "streamSpecification.streamEnabled",
            "Member must not be null",
        );
    }
    if let Some(t) = vt {
        if !["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"].contains(&t) {
            input.violation(
                show(Some(t)),
                "streamSpecification.streamViewType",
                "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]",
            );
        }
    }
    match (enabled, vt) {
        (Some(true), None) => Err(ApiError::Validation(
            "One or more parameter values were invalid: Enabled StreamSpecification must specify a StreamViewType"
                .into(),
        )),
        (Some(true), Some(t)) => Ok(Some(t.to_string())),
        (Some(false), Some(_)) => Err(ApiError::Validation(
            "One or more parameter values were invalid: Disabled StreamSpecification must not specify a StreamViewType"
                .into(),
        )),
        _ => Ok(None),
    }
}

fn sse_spec(input: &mut Input<'_>) -> ApiResult<Option<SseMeta>> {
    let Some(v) = input.get("SSESpecification") else {
        return Ok(None);
    };
    let s = Input::new(v)?;
    let enabled = s.bool("Enabled")?;
    let ty = s.str("SSEType")?;
    if let Some(t) = ty {
        if t != "AES256" && t != "KMS" {
            input.violation(
                show(Some(t)),
                "sSESpecification.sSEType",
                "Member must satisfy enum value set: [AES256, KMS]",
            );
        }
    }
    let key = s.str("KMSMasterKeyId")?.map(str::to_string);
    if enabled == Some(false) {
        if key.is_some() || ty.is_some() {
            return Err(ApiError::Validation(
                "One or more parameter values were invalid: SSEType or KMSMasterKeyId should not be specified when SSE is disabled".into(),
            ));
        }
        return Ok(None);
    }
    Ok(Some(SseMeta {
        sse_type: ty.unwrap_or("KMS").to_string(),
        kms_key: key,
    }))
}

fn tags_member(
    input: &mut Input<'_>,
    member: &str,
    path: &str,
) -> ApiResult<Vec<(String, String)>> {
    let Some(list) = input.list(member)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let t = Input::new(t)?;
        let k = t.str("Key")?;
        let v = t.str("Value")?;
        let p = format!("{path}.{}.member", i + 1);
        match k {
            None => input.violation(
                "null".into(),
                &format!("{p}.key"),
                "Member must not be null",
            ),
            Some(k) if k.is_empty() || k.chars().count() > 128 => input.violation(
                show(Some(k)),
                &format!("{p}.key"),
                if k.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 128"
                },
            ),
            _ => {}
        }
        match v {
            None => input.violation(
                "null".into(),
                &format!("{p}.value"),
                "Member must not be null",
            ),
            Some(v) if v.chars().count() > 256 => input.violation(
                show(Some(v)),
                &format!("{p}.value"),
                "Member must have length less than or equal to 256",
            ),
            _ => {}
        }
        out.push((
            k.unwrap_or_default().to_string(),
            v.unwrap_or_default().to_string(),
        ));
    }
    Ok(out)
}

fn stream_label(now: f64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos((now * 1e9) as i128)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]"
    );
    t.format(f).unwrap_or_default()
}

fn set_status(desc: &mut Value, status: &str) {
    if let Value::Object(o) = desc {
        o.insert("TableStatus".into(), json!(status));
    }
}

fn key_schema_json(k: &[KeyElem]) -> Value {
    Value::Array(
        k.iter()
            .map(|e| json!({"AttributeName": e.name, "KeyType": e.key_type}))
            .collect(),
    )
}

fn projection_json(ix: &IndexMeta) -> Value {
    let mut p = Map::new();
    p.insert("ProjectionType".into(), json!(ix.projection_type));
    if !ix.non_key_attributes.is_empty() {
        p.insert("NonKeyAttributes".into(), json!(ix.non_key_attributes));
    }
    Value::Object(p)
}

/// A `ProvisionedThroughputDescription` from (last increase, last decrease, decreases on
/// the day of the last one) and (read, write) units. The count is the one of `now`'s UTC
/// day: 0 from midnight on, though the stored count is only reset by the next decrease.
fn throughput_json(
    (increase, decrease, decreases): (Option<f64>, Option<f64>, u32),
    (read, write): (u64, u64),
    now: f64,
) -> Value {
    let mut pt = Map::new();
    if let Some(t) = increase {
        pt.insert("LastIncreaseDateTime".into(), json!(t));
    }
    if let Some(t) = decrease {
        pt.insert("LastDecreaseDateTime".into(), json!(t));
    }
    pt.insert(
        "NumberOfDecreasesToday".into(),
        json!(provisioning::decreases_today(decrease, decreases, now)),
    );
    pt.insert("ReadCapacityUnits".into(), json!(read));
    pt.insert("WriteCapacityUnits".into(), json!(write));
    Value::Object(pt)
}

/// The full `TableDescription` of a table.
pub fn describe(node: &Node, table: &Table) -> Value {
    let m = &table.meta;
    let arn = m.arn(&node.catalog.region);
    let (items, bytes) = table.stats();
    let mut d = Map::new();
    d.insert(
        "AttributeDefinitions".into(),
        Value::Array(
            m.attribute_definitions
                .iter()
                .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t}))
                .collect(),
        ),
    );
    d.insert("TableName".into(), json!(m.name));
    d.insert("KeySchema".into(), key_schema_json(&m.key_schema));
    // A table splitting toward the partitions its throughput needs is UPDATING, as
    // DynamoDB reports a table whose capacity change is in progress.
    let status = if crate::splits::is_splitting(table, &node.config.split) {
        "UPDATING"
    } else {
        "ACTIVE"
    };
    d.insert("TableStatus".into(), json!(status));
    d.insert("CreationDateTime".into(), json!(m.created));
    let now = now_secs();
    d.insert(
        "ProvisionedThroughput".into(),
        throughput_json(
            (m.last_increase, m.last_decrease, m.decreases_today),
            (m.read_capacity, m.write_capacity),
            now,
        ),
    );
    d.insert("TableSizeBytes".into(), json!(bytes));
    d.insert("ItemCount".into(), json!(items));
    d.insert("TableArn".into(), json!(arn));
    d.insert("TableId".into(), json!(m.uuid));
    let mut bms = Map::new();
    bms.insert("BillingMode".into(), json!(m.billing_mode.as_str()));
    if let Some(t) = m.last_pay_per_request {
        bms.insert("LastUpdateToPayPerRequestDateTime".into(), json!(t));
    }
    d.insert("BillingModeSummary".into(), Value::Object(bms));
    let index_stats = |id: u64| {
        table
            .indexes
            .defs
            .iter()
            .find(|d| d.meta.id == id)
            .map(|d| {
                (
                    d.stats
                        .items
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .max(0),
                    d.stats
                        .bytes
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .max(0),
                )
            })
            .unwrap_or((0, 0))
    };
    if !m.lsis.is_empty() {
        d.insert(
            "LocalSecondaryIndexes".into(),
            Value::Array(
                m.lsis
                    .iter()
                    .map(|ix| {
                        let (n, b) = index_stats(ix.id);
                        json!({
                            "IndexName": ix.name,
                            "KeySchema": key_schema_json(&ix.key_schema),
                            "Projection": projection_json(ix),
                            "IndexSizeBytes": b,
                            "ItemCount": n,
                            "IndexArn": format!("{arn}/index/{}", ix.name),
                        })
                    })
                    .collect(),
            ),
        );
    }
    if !m.gsis.is_empty() {
        d.insert(
            "GlobalSecondaryIndexes".into(),
            Value::Array(
                m.gsis
                    .iter()
                    .map(|ix| {
                        let (n, b) = index_stats(ix.id);
                        let mut g = json!({
                            "IndexName": ix.name,
                            "KeySchema": key_schema_json(&ix.key_schema),
                            "Projection": projection_json(ix),
                            "IndexStatus": ix.status,
                            "ProvisionedThroughput": throughput_json(
                                (ix.last_increase, ix.last_decrease, ix.decreases_today),
                                (ix.read_capacity, ix.write_capacity),
                                now,
                            ),
                            "IndexSizeBytes": b,
                            "ItemCount": n,
                            "IndexArn": format!("{arn}/index/{}", ix.name),
                        });
                        if ix.status == "CREATING" {
                            if let Value::Object(o) = &mut g {
                                o.insert("Backfilling".into(), json!(true));
                            }
                        }
                        g
                    })
                    .collect(),
            ),
        );
    }
    if let Some(s) = &m.stream {
        d.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": s.view_type}),
        );
        d.insert("LatestStreamLabel".into(), json!(s.label));
        d.insert(
            "LatestStreamArn".into(),
            json!(format!("{arn}/stream/{}", s.label)),
        );
    }
    if let Some(s) = &m.sse {
        let mut sse = Map::new();
        sse.insert("Status".into(), json!("ENABLED"));
        sse.insert("SSEType".into(), json!(s.sse_type));
        if s.sse_type == "KMS" {
            sse.insert(
                "KMSMasterKeyArn".into(),
                json!(s.kms_key.clone().unwrap_or_else(|| format!(
                    "arn:aws:kms:{}:{}:key/shoal-managed",
                    node.catalog.region,
                    crate::catalog::ACCOUNT
                ))),
            );
        }
        d.insert("SSEDescription".into(), Value::Object(sse));
    }
    if let Some(c) = &m.table_class {
        d.insert("TableClassSummary".into(), json!({"TableClass": c}));
    }
    d.insert(
        "DeletionProtectionEnabled".into(),
        json!(m.deletion_protection),
    );
    Value::Object(d)
}

/// DescribeTable.
pub async fn describe_table(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    input.finish()?;
    let name = name.unwrap_or_default();
    let table = node
        .catalog
        .get(name)
        .ok_or_else(|| not_found_table(name))?;
    Ok(json!({ "Table": describe(node, &table) }))
}

/// ListTables.
pub async fn list_tables(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let start = input.optional_table_name("ExclusiveStartTableName", "exclusiveStartTableName")?;
    let limit = input.int("Limit")?;
    if let Some(l) = limit {
        if l < 1 {
            input.violation(
                format!("'{l}'"),
                "limit",
                "Member must have value greater than or equal to 1",
            );
        } else if l > 100 {
            input.violation(
                format!("'{l}'"),
                "limit",
                "Member must have value less than or equal to 100",
            );
        }
    }
    input.finish()?;
    let limit = limit.unwrap_or(100) as usize;
    let names: Vec<String> = node
        .catalog
        .names()
        .into_iter()
        .filter(|n| start.is_none_or(|s| n.as_str() > s))
        .collect();
    let page: Vec<&String> = names.iter().take(limit).collect();
    let mut out = Map::new();
    out.insert("TableNames".into(), json!(page));
    if names.len() > limit {
        if let Some(last) = page.last() {
            out.insert("LastEvaluatedTableName".into(), json!(last));
        }
    }
    Ok(Value::Object(out))
}

/// DeleteTable.
pub async fn delete_table(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    input.finish()?;
    let name = name.unwrap_or_default();
    let table = node.catalog.delete(name, &node.admission)?;
    tracing::info!(table = %name, "table deleted");
    node.wake_purge();
    let mut desc = describe(node, &table);
    set_status(&mut desc, "DELETING");
    Ok(json!({ "TableDescription": desc }))
}

/// UpdateTable.
pub async fn update_table(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let billing = input.enum_value(
        "BillingMode",
        "billingMode",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    )?;
    let tp_json = input.get("ProvisionedThroughput");
    let tp = throughput(&mut input, tp_json, "provisionedThroughput")?;
    let table_class = input.enum_value(
        "TableClass",
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    )?;
    let deletion_protection = input.bool("DeletionProtectionEnabled")?;
    let has_stream = input.get("StreamSpecification").is_some();
    let stream = stream_spec(&mut input)?;
    let has_sse = input.get("SSESpecification").is_some();
    let sse = sse_spec(&mut input)?;
    let gsi_updates = input.get("GlobalSecondaryIndexUpdates");
    let defs = input.get("AttributeDefinitions");
    input.finish()?;
    let name = name.unwrap_or_default();
    if billing.is_none()
        && tp.is_none()
        && table_class.is_none()
        && deletion_protection.is_none()
        && !has_stream
        && !has_sse
        && gsi_updates.is_none()
    {
        return Err(ApiError::Validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required".into(),
        ));
    }
    let gsi_updates = gsi_updates_of(gsi_updates)?;
    let new_defs = definitions_of(defs)?;
    let now = now_secs();
    let table = node.catalog.update(name, &node.admission, |m| {
        let new_billing = match billing {
            Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
            Some(_) => BillingMode::Provisioned,
            None => m.billing_mode,
        };
        apply_gsi_updates(node, m, new_billing, &new_defs, &gsi_updates, now)?;
        match (new_billing, tp) {
            (BillingMode::PayPerRequest, Some(_)) => {
                return Err(ApiError::Validation(format!(
                    "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                )))
            }
            (BillingMode::Provisioned, None) if m.billing_mode == BillingMode::PayPerRequest => {
                return Err(ApiError::Validation(format!(
                    "{INVALID}ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
                )))
            }
            _ => {}
        }
        if let Some((r, w)) = tp {
            if new_billing == m.billing_mode && r == m.read_capacity && w == m.write_capacity {
                return Err(ApiError::Validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    m.read_capacity, m.write_capacity
                )));
            }
            check_units((r, w), &format!("table {}", m.name))?;
            // Only a change between provisioned values is an increase or a decrease; the
            // first values after a switch from on demand are neither.
            if m.billing_mode == BillingMode::Provisioned {
                let old = (m.read_capacity, m.write_capacity);
                let history = provisioning::History {
                    last_increase: &mut m.last_increase,
                    last_decrease: &mut m.last_decrease,
                    decreases_today: &mut m.decreases_today,
                };
                provisioning::record_change(history, old, (r, w), now)?;
            }
            m.read_capacity = r;
            m.write_capacity = w;
        }
        if new_billing != m.billing_mode {
            match new_billing {
                BillingMode::PayPerRequest => {
                    provisioning::check_on_demand_switch(&m.on_demand_switches, now)?;
                    provisioning::record_on_demand_switch(&mut m.on_demand_switches, now);
                    m.read_capacity = 0;
                    m.write_capacity = 0;
                    // The indexes go on demand with their table.
                    for g in &mut m.gsis {
                        g.read_capacity = 0;
                        g.write_capacity = 0;
                    }
                    m.last_pay_per_request = Some(now);
                }
                BillingMode::Provisioned => {
                    // Every index needs its own throughput, given in this request.
                    if let Some(g) = m.gsis.iter().find(|g| {
                        g.status != "DELETING" && (g.read_capacity == 0 || g.write_capacity == 0)
                    }) {
                        return Err(ApiError::Validation(format!(
                            "{INVALID}ProvisionedThroughput is not specified for index: {}",
                            g.name
                        )));
                    }
                }
            }
            m.billing_mode = new_billing;
        }
        if let Some(c) = table_class {
            m.table_class = Some(c.to_string());
        }
        if let Some(d) = deletion_protection {
            m.deletion_protection = d;
        }
        if has_stream {
            match (&stream, &m.stream) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::Validation(format!(
                        "Table already has an enabled stream: {}",
                        m.arn(&node.catalog.region)
                    )))
                }
                (None, None) => {
                    return Err(ApiError::Validation(
                        "Table already has a disabled stream".into(),
                    ))
                }
                (Some(vt), None) => {
                    m.stream = Some(StreamMeta {
                        view_type: vt.clone(),
                        label: stream_label(now),
                    })
                }
                (None, Some(_)) => m.stream = None,
            }
        }
        if has_sse {
            m.sse = sse.clone();
        }
        Ok(())
    })?;
    if !gsi_updates.is_empty() {
        node.wake_index();
    }
    node.wake_split();
    let mut desc = describe(node, &table);
    set_status(&mut desc, "UPDATING");
    Ok(json!({ "TableDescription": desc }))
}

/// One entry of `GlobalSecondaryIndexUpdates`.
enum GsiUpdate {
    Create(IndexInput),
    Delete(String),
    Update(String, (u64, u64)),
}

fn definitions_of(v: Option<&Value>) -> ApiResult<Vec<(String, String)>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(list) = v else {
        return Err(crate::api::input::wrong_type(v, "List"));
    };
    let mut out = Vec::new();
    for d in list {
        let d = Input::new(d)?;
        let n = d.str("AttributeName")?.unwrap_or_default();
        let t = d.str("AttributeType")?.unwrap_or_default();
        if n.is_empty() || !["S", "N", "B"].contains(&t) {
            return Err(ApiError::Validation(format!(
                "{INVALID}Invalid AttributeDefinition: AttributeName {n:?} AttributeType {t:?}"
            )));
        }
        out.push((n.to_string(), t.to_string()));
    }
    Ok(out)
}

fn gsi_updates_of(v: Option<&Value>) -> ApiResult<Vec<GsiUpdate>> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let Value::Array(list) = v else {
        return Err(crate::api::input::wrong_type(v, "List"));
    };
    // Constraint violations inside the updates are collected as for top-level members.
    let scratch_body = json!({});
    let mut scratch = Input::new(&scratch_body)?;
    let mut out = Vec::new();
    for (i, u) in list.iter().enumerate() {
        let u = Input::new(u)?;
        let p = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        match (u.get("Create"), u.get("Delete"), u.get("Update")) {
            (Some(c), None, None) => {
                let c = Input::new(c)?;
                let name = c.str("IndexName")?.unwrap_or_default();
                scratch.check_name(name, &format!("{p}.create.indexName"), 255);
                let ks = match c.list("KeySchema")? {
                    Some(l) => key_schema_list(&mut scratch, l, &format!("{p}.create.keySchema"))?,
                    None => {
                        scratch.violation("null".into(), &format!("{p}.create.keySchema"), "Member must not be null");
                        Vec::new()
                    }
                };
                let (pt, nk) = projection(&mut scratch, c.get("Projection"), &format!("{p}.create.projection"))?;
                let tp = throughput(&mut scratch, c.get("ProvisionedThroughput"), &format!("{p}.create.provisionedThroughput"))?;
                out.push(GsiUpdate::Create(IndexInput {
                    meta: IndexMeta {
                        name: name.to_string(),
                        id: 0,
                        key_schema: ks,
                        projection_type: pt,
                        non_key_attributes: nk,
                        read_capacity: tp.map(|t| t.0).unwrap_or(0),
                        write_capacity: tp.map(|t| t.1).unwrap_or(0),
                        status: "CREATING".into(),
                        last_increase: None,
                        last_decrease: None,
                        decreases_today: 0,
                    },
                    has_throughput: tp.is_some(),
                }));
            }
            (None, Some(d), None) => {
                let d = Input::new(d)?;
                out.push(GsiUpdate::Delete(d.str("IndexName")?.unwrap_or_default().to_string()));
            }
            (None, None, Some(up)) => {
                let up = Input::new(up)?;
                let name = up.str("IndexName")?.unwrap_or_default().to_string();
                let path = format!("{p}.update.provisionedThroughput");
                let tp = throughput(&mut scratch, up.get("ProvisionedThroughput"), &path)?;
                if tp.is_none() {
                    scratch.violation("null".into(), &path, "Member must not be null");
                }
                out.push(GsiUpdate::Update(name, tp.unwrap_or((0, 0))));
            }
            _ => {
                return Err(ApiError::Validation(
                    "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be specified".into(),
                ))
            }
        }
    }
    scratch.finish()?;
    let structural = out
        .iter()
        .filter(|u| !matches!(u, GsiUpdate::Update(..)))
        .count();
    if structural > 1 {
        return Err(ApiError::LimitExceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
        ));
    }
    Ok(out)
}

/// Applies index creations, deletions and throughput changes to a table definition.
/// Creations start as CREATING (the index worker backfills them); deletions become
/// DELETING (the index worker purges them and then drops the definition).
/// `billing` is the table's billing mode once the request is applied; `m.billing_mode`
/// is still the one before it.
fn apply_gsi_updates(
    node: &Node,
    m: &mut TableMeta,
    billing: BillingMode,
    new_defs: &[(String, String)],
    updates: &[GsiUpdate],
    now: f64,
) -> ApiResult<()> {
    for (n, t) in new_defs {
        match m.attribute_definitions.iter().find(|(en, _)| en == n) {
            Some((_, et)) if et != t => {
                return Err(ApiError::Validation(format!(
                    "{INVALID}Cannot change the type of attribute {n} from {et} to {t}"
                )))
            }
            Some(_) => {}
            None => m.attribute_definitions.push((n.clone(), t.clone())),
        }
    }
    let busy = m.gsis.iter().any(|g| g.status != "ACTIVE");
    for u in updates {
        match u {
            GsiUpdate::Create(ix) => {
                if busy {
                    return Err(ApiError::LimitExceeded(
                        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
                    ));
                }
                if m.gsis
                    .iter()
                    .chain(m.lsis.iter())
                    .any(|g| g.name == ix.meta.name)
                {
                    return Err(ApiError::Validation(
                        "Attempting to create an index which already exists".into(),
                    ));
                }
                if m.gsis.len() >= MAX_GSI {
                    return Err(ApiError::LimitExceeded(format!(
                        "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of {MAX_GSI}"
                    )));
                }
                check_key_schema(&ix.meta.key_schema, INVALID)?;
                let missing: Vec<&str> = ix
                    .meta
                    .key_schema
                    .iter()
                    .map(|e| e.name.as_str())
                    .filter(|n| !m.attribute_definitions.iter().any(|(d, _)| d == n))
                    .collect();
                if !missing.is_empty() {
                    let defs: Vec<&str> = m
                        .attribute_definitions
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect();
                    return Err(ApiError::Validation(format!(
                        "{INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                        missing.join(", "),
                        defs.join(", ")
                    )));
                }
                let mut projected = std::collections::HashSet::new();
                check_projection(&ix.meta, &mut projected)?;
                check_gsi_throughput(billing, ix)?;
                check_units(
                    (ix.meta.read_capacity, ix.meta.write_capacity),
                    &format!("index {}", ix.meta.name),
                )?;
                let mut meta = ix.meta.clone();
                meta.id = node.catalog.allocate_ids(1)?;
                m.gsis.push(meta);
            }
            GsiUpdate::Delete(name) => {
                if busy {
                    return Err(ApiError::LimitExceeded(
                        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
                    ));
                }
                let g = m.gsis.iter_mut().find(|g| &g.name == name).ok_or_else(|| {
                    ApiError::ResourceNotFound(format!(
                        "Requested resource not found: Index: {name} not found"
                    ))
                })?;
                g.status = "DELETING".into();
            }
            GsiUpdate::Update(name, (r, w)) => {
                let (r, w) = (*r, *w);
                let provisioned_before = m.billing_mode == BillingMode::Provisioned;
                let g = m.gsis.iter_mut().find(|g| &g.name == name).ok_or_else(|| {
                    ApiError::ResourceNotFound(format!(
                        "Requested resource not found: Index: {name} not found"
                    ))
                })?;
                if billing == BillingMode::PayPerRequest {
                    return Err(ApiError::Validation(format!(
                        "{INVALID}ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                    )));
                }
                // An index's throughput follows the same rules as its table's, with its
                // own history.
                if provisioned_before {
                    if r == g.read_capacity && w == g.write_capacity {
                        return Err(ApiError::Validation(format!(
                            "The provisioned throughput for the index {name} will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the index: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the index: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                            g.read_capacity, g.write_capacity
                        )));
                    }
                    check_units((r, w), &format!("index {name}"))?;
                    let old = (g.read_capacity, g.write_capacity);
                    let history = provisioning::History {
                        last_increase: &mut g.last_increase,
                        last_decrease: &mut g.last_decrease,
                        decreases_today: &mut g.decreases_today,
                    };
                    provisioning::record_change(history, old, (r, w), now)?;
                } else {
                    check_units((r, w), &format!("index {name}"))?;
                }
                g.read_capacity = r;
                g.write_capacity = w;
            }
        }
    }
    Ok(())
}

/// The table a tagging request's ARN names.
fn table_of_arn(node: &Node, arn: &str) -> ApiResult<std::sync::Arc<Table>> {
    let prefix = format!(
        "arn:aws:dynamodb:{}:{}:table/",
        node.catalog.region,
        crate::catalog::ACCOUNT
    );
    let name = arn
        .strip_prefix("arn:aws:dynamodb:")
        .and_then(|rest| rest.split_once(":table/"))
        .map(|(_, n)| n)
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| {
            ApiError::Validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            ))
        })?;
    match node.catalog.get(name) {
        Some(t) if arn.starts_with(&prefix) => Ok(t),
        _ => Err(ApiError::ResourceNotFound(format!(
            "Requested resource not found: ResourcArn: {arn} not found"
        ))),
    }
}

fn resource_arn(input: &mut Input<'_>) -> ApiResult<Option<String>> {
    let arn = input.str("ResourceArn")?;
    match arn {
        None => input.violation("null".into(), "resourceArn", "Member must not be null"),
        Some(a) if a.is_empty() || a.len() > 1283 => input.violation(
            show(Some(a)),
            "resourceArn",
            if a.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 1283"
            },
        ),
        _ => {}
    }
    Ok(arn.map(str::to_string))
}

/// TagResource.
pub async fn tag_resource(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let arn = resource_arn(&mut input)?;
    if input.get("Tags").is_none() {
        input.violation("null".into(), "tags", "Member must not be null");
    }
    let tags = tags_member(&mut input, "Tags", "tags")?;
    input.finish()?;
    let arn = arn.unwrap_or_default();
    let table = table_of_arn(node, &arn)?;
    if tags.is_empty() {
        return Err(ApiError::Validation(
            "Atleast one Tag needs to be provided as Input.".into(),
        ));
    }
    node.catalog.update(&table.meta.name, &node.admission, |m| {
        for (k, v) in &tags {
            match m.tags.iter_mut().find(|(ek, _)| ek == k) {
                Some(e) => e.1 = v.clone(),
                None => m.tags.push((k.clone(), v.clone())),
            }
        }
        if m.tags.len() > MAX_TAGS {
            return Err(ApiError::Validation(
                "One or more parameter values were invalid: The number of tags exceeds the limit of 50".into(),
            ));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// UntagResource.
pub async fn untag_resource(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let arn = resource_arn(&mut input)?;
    let keys: Vec<String> = match input.list("TagKeys")? {
        None => {
            input.violation("null".into(), "tagKeys", "Member must not be null");
            Vec::new()
        }
        Some(l) => l
            .iter()
            .map(|k| match k {
                Value::String(s) => Ok(s.clone()),
                other => Err(crate::api::input::wrong_type(other, "String")),
            })
            .collect::<ApiResult<_>>()?,
    };
    input.finish()?;
    let arn = arn.unwrap_or_default();
    let table = table_of_arn(node, &arn)?;
    if keys.is_empty() {
        return Err(ApiError::Validation(
            "Atleast one Tag Key needs to be provided as Input.".into(),
        ));
    }
    node.catalog
        .update(&table.meta.name, &node.admission, |m| {
            m.tags.retain(|(k, _)| !keys.contains(k));
            Ok(())
        })?;
    Ok(json!({}))
}

/// ListTagsOfResource.
pub async fn list_tags(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let arn = resource_arn(&mut input)?;
    input.str("NextToken")?;
    input.finish()?;
    let table = table_of_arn(node, &arn.unwrap_or_default())?;
    let tags: Vec<Value> = table
        .meta
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": tags }))
}

/// UpdateTimeToLive.
pub async fn update_ttl(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    let spec = input.map("TimeToLiveSpecification")?;
    let (mut enabled, mut attr) = (None, None);
    match spec {
        None => input.violation(
            "null".into(),
            "timeToLiveSpecification",
            "Member must not be null",
        ),
        Some(_) => {
            let s = Input::new(input.get("TimeToLiveSpecification").unwrap_or(&Value::Null))?;
            enabled = s.bool("Enabled")?;
            attr = s.str("AttributeName")?;
            if enabled.is_none() {
                input.violation(
                    "null".into(),
                    "timeToLiveSpecification.enabled",
                    "Member must not be null",
                );
            }
            match attr {
                None => input.violation(
                    "null".into(),
                    "timeToLiveSpecification.attributeName",
                    "Member must not be null",
                ),
                Some(a) if a.is_empty() || a.len() > 255 => input.violation(
                    show(Some(a)),
                    "timeToLiveSpecification.attributeName",
                    if a.is_empty() {
                        "Member must have length greater than or equal to 1"
                    } else {
                        "Member must have length less than or equal to 255"
                    },
                ),
                _ => {}
            }
        }
    }
    input.finish()?;
    let name = name.unwrap_or_default();
    let (enabled, attr) = (
        enabled.unwrap_or(false),
        attr.unwrap_or_default().to_string(),
    );
    node.catalog.update(name, &node.admission, |m| {
        match (&m.ttl_attribute, enabled) {
            (Some(_), true) => Err(ApiError::Validation("TimeToLive is already enabled".into())),
            (None, false) => Err(ApiError::Validation(
                "TimeToLive is already disabled".into(),
            )),
            (Some(cur), false) if *cur != attr => Err(ApiError::Validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {cur}"
            ))),
            _ => {
                m.ttl_attribute = enabled.then(|| attr.clone());
                Ok(())
            }
        }
    })?;
    node.wake_ttl();
    Ok(json!({ "TimeToLiveSpecification": { "Enabled": enabled, "AttributeName": attr } }))
}

/// DescribeTimeToLive.
pub async fn describe_ttl(node: &Node, body: &Value) -> ApiResult<Value> {
    let mut input = Input::new(body)?;
    let name = input.table_name("TableName", "tableName")?;
    input.finish()?;
    let name = name.unwrap_or_default();
    let table = node
        .catalog
        .get(name)
        .ok_or_else(|| not_found_table(name))?;
    Ok(match &table.meta.ttl_attribute {
        Some(a) => {
            json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": a}})
        }
        None => json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    })
}

/// DescribeLimits.
pub async fn describe_limits(_node: &Node, body: &Value) -> ApiResult<Value> {
    Input::new(body)?;
    Ok(json!({
        "AccountMaxReadCapacityUnits": 80_000,
        "AccountMaxWriteCapacityUnits": 80_000,
        "TableMaxReadCapacityUnits": TABLE_MAX_RCU,
        "TableMaxWriteCapacityUnits": TABLE_MAX_WCU,
    }))
}

/// DescribeEndpoints.
pub async fn describe_endpoints(node: &Node, body: &Value) -> ApiResult<Value> {
    Input::new(body)?;
    Ok(json!({
        "Endpoints": [{ "Address": node.config.advertised_address, "CachePeriodInMinutes": 1440 }]
    }))
}
