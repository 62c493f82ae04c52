//! DynamoDB operations, one function per operation, and the dispatch from
//! `X-Amz-Target` to them.

pub mod batch;
pub mod capacity;
pub mod items;
pub mod provisioning;
pub mod query;
pub mod tables;

use serde_json::Value;
use shoal_types::Item;

use crate::api::error::{ApiError, ApiResult};
use crate::node::Node;

/// DynamoDB's rule that a request uses either the legacy parameters or expressions,
/// never both. Each pair is a member name and whether the request has it, in the order
/// DynamoDB lists them in its message.
pub(crate) fn refuse_mixed(legacy: &[(&str, bool)], modern: &[(&str, bool)]) -> ApiResult<()> {
    let present = |list: &[(&str, bool)]| -> Vec<String> {
        list.iter()
            .filter(|(_, has)| *has)
            .map(|(name, _)| name.to_string())
            .collect()
    };
    let (legacy, modern) = (present(legacy), present(modern));
    if legacy.is_empty() || modern.is_empty() {
        return Ok(());
    }
    Err(ApiError::Validation(format!(
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        modern.join(", ")
    )))
}

/// Every operation of DynamoDB's `DynamoDB_20120810` API, so that a known but not yet
/// served operation is told apart from a typo.
pub const KNOWN_OPERATIONS: &[&str] = &[
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "CreateBackup",
    "CreateGlobalTable",
    "CreateTable",
    "DeleteBackup",
    "DeleteItem",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeEndpoints",
    "DescribeExport",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExecuteStatement",
    "ExecuteTransaction",
    "ExportTableToPointInTime",
    "GetItem",
    "GetResourcePolicy",
    "ImportTable",
    "ListBackups",
    "ListContributorInsights",
    "ListExports",
    "ListGlobalTables",
    "ListImports",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "PutResourcePolicy",
    "Query",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateItem",
    "UpdateKinesisStreamingDestination",
    "UpdateTable",
    "UpdateTableReplicaAutoScaling",
    "UpdateTimeToLive",
];

/// Like [`dispatch`], with the response body serialised; operations that can write
/// their response directly do so.
/// `item`: a PutItem's `Item`, or the `Key` of a GetItem, UpdateItem or DeleteItem, when
/// the body was parsed without it (`body` then lacks it).
pub async fn dispatch_bytes(
    node: &Node,
    operation: &str,
    body: &Value,
    item: Option<Item>,
) -> ApiResult<Vec<u8>> {
    if operation == "GetItem" {
        // Sheds at its table lookup (`shedding::admit_table`).
        return items::get_item_bytes(node, body, item).await;
    }
    let out = dispatch(node, operation, body, item).await?;
    serde_json::to_vec(&out).map_err(ApiError::internal)
}

/// Runs one operation on a parsed JSON body.
pub async fn dispatch(
    node: &Node,
    operation: &str,
    body: &Value,
    item: Option<Item>,
) -> ApiResult<Value> {
    if operation != "GetItem" {
        crate::shedding::admit(node, operation, body)?;
    }
    match operation {
        "CreateTable" => tables::create_table(node, body).await,
        "DescribeTable" => tables::describe_table(node, body).await,
        "ListTables" => tables::list_tables(node, body).await,
        "DeleteTable" => tables::delete_table(node, body).await,
        "UpdateTable" => tables::update_table(node, body).await,
        "TagResource" => tables::tag_resource(node, body).await,
        "UntagResource" => tables::untag_resource(node, body).await,
        "ListTagsOfResource" => tables::list_tags(node, body).await,
        "UpdateTimeToLive" => tables::update_ttl(node, body).await,
        "DescribeTimeToLive" => tables::describe_ttl(node, body).await,
        "DescribeLimits" => tables::describe_limits(node, body).await,
        "DescribeEndpoints" => tables::describe_endpoints(node, body).await,
        "PutItem" => items::put_item(node, body, item).await,
        "GetItem" => items::get_item(node, body).await,
        "DeleteItem" => items::delete_item(node, body, item).await,
        "UpdateItem" => items::update_item(node, body, item).await,
        "Query" => query::query(node, body).await,
        "BatchGetItem" => batch::batch_get_item(node, body).await,
        "BatchWriteItem" => batch::batch_write_item(node, body).await,
        "Scan" => query::scan(node, body).await,
        other => Err(ApiError::UnknownOperation {
            message: format!("Operation {other} is not supported by this version of shoal"),
            status: 400,
        }),
    }
}
