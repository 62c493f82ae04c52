//! Table lifecycle through the SDK: CreateTable (every stored option), DescribeTable,
//! ListTables paging, DeleteTable and deletion protection, and the validation and
//! not-found errors DynamoDB gives for each. Changing settings is in `table_settings`.

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, KeyType, LocalSecondaryIndex, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, SseSpecification, SseType, StreamSpecification,
    StreamViewType, TableClass, TableStatus, Tag,
};

use crate::common::*;

fn throughput(r: i64, w: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(r)
        .write_capacity_units(w)
        .build()
        .unwrap()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_describe_delete_lifecycle() {
    let srv = Server::start();
    let c = srv.client();
    let before = now_secs();
    let out = c
        .create_table()
        .table_name("Music")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem("Artist", KeyType::Hash))
        .key_schema(key_elem("SongTitle", KeyType::Range))
        .attribute_definitions(attr_def("Artist", ScalarAttributeType::S))
        .attribute_definitions(attr_def("SongTitle", ScalarAttributeType::S))
        .send()
        .await
        .unwrap();
    let d = out.table_description.unwrap();
    assert_eq!(d.table_status, Some(TableStatus::Creating));
    assert_eq!(d.table_name(), Some("Music"));
    assert_eq!(d.table_arn(), Some(table_arn("Music").as_str()));
    assert_eq!(d.item_count(), Some(0));
    assert_eq!(
        d.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );

    let d = c
        .describe_table()
        .table_name("Music")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(d.table_status, Some(TableStatus::Active));
    assert_eq!(d.table_arn(), Some(table_arn("Music").as_str()));
    let id = d.table_id().unwrap();
    assert_eq!(id.len(), 36, "TableId is a UUID: {id}");
    let created = d.creation_date_time().unwrap().secs();
    assert!(
        created >= before - 1 && created <= now_secs() + 1,
        "{created}"
    );
    assert_eq!(
        d.key_schema(),
        [
            key_elem("Artist", KeyType::Hash),
            key_elem("SongTitle", KeyType::Range)
        ]
    );
    let mut defs = d.attribute_definitions().to_vec();
    defs.sort_by(|a, b| a.attribute_name().cmp(b.attribute_name()));
    assert_eq!(
        defs,
        [
            attr_def("Artist", ScalarAttributeType::S),
            attr_def("SongTitle", ScalarAttributeType::S)
        ]
    );
    assert_eq!(d.item_count(), Some(0));
    assert_eq!(d.table_size_bytes(), Some(0));
    let pt = d.provisioned_throughput().unwrap();
    assert_eq!(pt.read_capacity_units(), Some(0));
    assert_eq!(pt.write_capacity_units(), Some(0));
    assert_eq!(d.deletion_protection_enabled(), Some(false));

    let del = c.delete_table().table_name("Music").send().await.unwrap();
    let dd = del.table_description.unwrap();
    assert_eq!(dd.table_status, Some(TableStatus::Deleting));
    assert_eq!(dd.table_name(), Some("Music"));

    assert_err(
        c.describe_table().table_name("Music").send().await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: Music not found",
    );
    assert!(c
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recreated_table_starts_empty() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "again").await;
    c.put_item()
        .table_name("again")
        .set_item(Some(item([("pk", s("a")), ("v", n("1"))])))
        .send()
        .await
        .unwrap();
    c.delete_table().table_name("again").send().await.unwrap();
    create_hash_table(&c, "again").await;
    assert_eq!(get_pk(&c, "again", "a").await, None);
    let d = c.describe_table().table_name("again").send().await.unwrap();
    assert_eq!(d.table.unwrap().item_count(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_provisioned_table_records_throughput() {
    let srv = Server::start();
    let c = srv.client();
    let d = c
        .create_table()
        .table_name("prov")
        .key_schema(key_elem("id", KeyType::Hash))
        .attribute_definitions(attr_def("id", ScalarAttributeType::N))
        .provisioned_throughput(throughput(5, 7))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(5)
    );
    let d = c
        .describe_table()
        .table_name("prov")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let pt = d.provisioned_throughput().unwrap();
    assert_eq!(pt.read_capacity_units(), Some(5));
    assert_eq!(pt.write_capacity_units(), Some(7));
    assert_eq!(pt.number_of_decreases_today(), Some(0));
    if let Some(b) = d.billing_mode_summary() {
        assert_eq!(b.billing_mode(), Some(&BillingMode::Provisioned));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_table_stores_every_option() {
    let srv = Server::start();
    let c = srv.client();
    c.create_table()
        .table_name("opts")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem("pk", KeyType::Hash))
        .key_schema(key_elem("sk", KeyType::Range))
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("sk", ScalarAttributeType::N))
        .attribute_definitions(attr_def("lsk", ScalarAttributeType::S))
        .attribute_definitions(attr_def("gpk", ScalarAttributeType::B))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_lsk")
                .key_schema(key_elem("pk", KeyType::Hash))
                .key_schema(key_elem("lsk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("extra")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_gpk")
                .key_schema(key_elem("gpk", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .tags(tag("env", "test"))
        .tags(tag("team", "storage"))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .sse_specification(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .build(),
        )
        .deletion_protection_enabled(true)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap();
    let d = c
        .describe_table()
        .table_name("opts")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let lsi = &d.local_secondary_indexes()[0];
    assert_eq!(lsi.index_name(), Some("by_lsk"));
    assert_eq!(
        lsi.key_schema(),
        [
            key_elem("pk", KeyType::Hash),
            key_elem("lsk", KeyType::Range)
        ]
    );
    let p = lsi.projection().unwrap();
    assert_eq!(p.projection_type(), Some(&ProjectionType::Include));
    assert_eq!(p.non_key_attributes(), ["extra"]);
    assert_eq!(
        lsi.index_arn(),
        Some(format!("{}/index/by_lsk", table_arn("opts")).as_str())
    );
    let gsi = &d.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("by_gpk"));
    assert_eq!(gsi.key_schema(), [key_elem("gpk", KeyType::Hash)]);
    assert_eq!(
        gsi.projection().unwrap().projection_type(),
        Some(&ProjectionType::KeysOnly)
    );
    let spec = d.stream_specification().unwrap();
    assert!(spec.stream_enabled());
    assert_eq!(
        spec.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    let stream_arn = d.latest_stream_arn().unwrap();
    assert!(
        stream_arn.starts_with(&format!("{}/stream/", table_arn("opts"))),
        "{stream_arn}"
    );
    assert_eq!(
        stream_arn.rsplit('/').next(),
        d.latest_stream_label(),
        "the stream ARN ends with the label"
    );
    let sse = d.sse_description().unwrap();
    assert_eq!(sse.status().map(|s| s.as_str()), Some("ENABLED"));
    assert_eq!(sse.sse_type(), Some(&SseType::Kms));
    assert!(sse.kms_master_key_arn().is_some());
    assert_eq!(
        d.table_class_summary().and_then(|t| t.table_class()),
        Some(&TableClass::StandardInfrequentAccess)
    );
    assert_eq!(d.deletion_protection_enabled(), Some(true));

    let tags = c
        .list_tags_of_resource()
        .resource_arn(table_arn("opts"))
        .send()
        .await
        .unwrap();
    let mut tags = tags.tags().to_vec();
    tags.sort_by(|a, b| a.key().cmp(b.key()));
    assert_eq!(tags, [tag("env", "test"), tag("team", "storage")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_name_is_resource_in_use() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "dup").await;
    let again = c
        .create_table()
        .table_name("dup")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem("other", KeyType::Hash))
        .attribute_definitions(attr_def("other", ScalarAttributeType::N))
        .send()
        .await;
    assert_err(again, "ResourceInUseException", "Table already exists: dup");
    // The first definition is untouched.
    let d = c.describe_table().table_name("dup").send().await.unwrap();
    assert_eq!(
        d.table.unwrap().key_schema(),
        [key_elem("pk", KeyType::Hash)]
    );
}

/// Table names: 3-255 characters of `[a-zA-Z0-9_.-]`, all violations in one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_name_rules() {
    let srv = Server::start();
    let c = srv.client();
    let create = |name: String| {
        c.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .send()
    };
    assert_validation(
        create("ab".into()).await,
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: \
         Member must have length greater than or equal to 3",
    );
    assert_validation(
        create("bad name".into()).await,
        "1 validation error detected: Value 'bad name' at 'tableName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    );
    assert_validation(
        create("a!".into()).await,
        "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a!' at \
         'tableName' failed to satisfy constraint: Member must have length greater than or \
         equal to 3",
    );
    let long = "t".repeat(256);
    assert_validation(
        create(long.clone()).await,
        &format!(
            "1 validation error detected: Value '{long}' at 'tableName' failed to satisfy \
             constraint: Member must have length less than or equal to 255"
        ),
    );
    // The boundaries and every allowed character are accepted.
    create("t".repeat(255)).await.unwrap();
    create("a-Z_0.9".into()).await.unwrap();
    create("abc".into()).await.unwrap();
    let names = c.list_tables().send().await.unwrap();
    assert_eq!(names.table_names().len(), 3);
    // Other operations check the name the same way.
    assert_validation(
        c.describe_table().table_name("x").send().await,
        "1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint: \
         Member must have length greater than or equal to 3",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_schema_and_billing_errors() {
    let srv = Server::start();
    let c = srv.client();
    let base = || {
        c.create_table()
            .table_name("bad")
            .billing_mode(BillingMode::PayPerRequest)
    };
    assert_validation(
        base()
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("other", ScalarAttributeType::S))
            .send()
            .await,
        "One or more parameter values were invalid: Some index key attributes are not defined \
         in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]",
    );
    assert_validation(
        base()
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .attribute_definitions(attr_def("extra", ScalarAttributeType::S))
            .send()
            .await,
        "One or more parameter values were invalid: Number of attributes in KeySchema does \
         not exactly match number of attributes defined in AttributeDefinitions",
    );
    assert_validation(
        base()
            .key_schema(key_elem("a", KeyType::Hash))
            .key_schema(key_elem("b", KeyType::Hash))
            .attribute_definitions(attr_def("a", ScalarAttributeType::S))
            .attribute_definitions(attr_def("b", ScalarAttributeType::S))
            .send()
            .await,
        "Too many hash keys specified.  All Dynamo DynamoDB tables must have exactly one hash key",
    );
    assert_validation(
        base()
            .key_schema(key_elem("a", KeyType::Range))
            .attribute_definitions(attr_def("a", ScalarAttributeType::S))
            .send()
            .await,
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
    );
    assert_validation(
        c.create_table()
            .table_name("bad")
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .send()
            .await,
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits \
         must both be specified when BillingMode is PROVISIONED",
    );
    assert_validation(
        base()
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .provisioned_throughput(throughput(1, 1))
            .send()
            .await,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
         WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
    assert_validation(
        base()
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name("lsi")
                    .key_schema(key_elem("pk", KeyType::Hash))
                    .key_schema(key_elem("x", KeyType::Range))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "One or more parameter values were invalid: Some index key attributes are not defined \
         in AttributeDefinitions. Keys: [x], AttributeDefinitions: [pk]",
    );
    // Nothing was created by the failed requests.
    assert!(c
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_tables_pages_in_name_order() {
    let srv = Server::start();
    let c = srv.client();
    for name in ["t-e", "t-a", "t-c", "t-b", "t-d"] {
        create_hash_table(&c, name).await;
    }
    let all = c.list_tables().send().await.unwrap();
    assert_eq!(all.table_names(), ["t-a", "t-b", "t-c", "t-d", "t-e"]);
    assert_eq!(all.last_evaluated_table_name(), None);

    let p1 = c.list_tables().limit(2).send().await.unwrap();
    assert_eq!(p1.table_names(), ["t-a", "t-b"]);
    assert_eq!(p1.last_evaluated_table_name(), Some("t-b"));
    let p2 = c
        .list_tables()
        .limit(2)
        .exclusive_start_table_name("t-b")
        .send()
        .await
        .unwrap();
    assert_eq!(p2.table_names(), ["t-c", "t-d"]);
    assert_eq!(p2.last_evaluated_table_name(), Some("t-d"));
    let p3 = c
        .list_tables()
        .limit(2)
        .exclusive_start_table_name("t-d")
        .send()
        .await
        .unwrap();
    assert_eq!(p3.table_names(), ["t-e"]);
    assert_eq!(p3.last_evaluated_table_name(), None);
    // The start name need not exist.
    let p = c
        .list_tables()
        .exclusive_start_table_name("t-bb")
        .send()
        .await
        .unwrap();
    assert_eq!(p.table_names(), ["t-c", "t-d", "t-e"]);
    // The SDK paginator walks the pages.
    let names: Vec<String> = c
        .list_tables()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(names, ["t-a", "t-b", "t-c", "t-d", "t-e"]);
}

/// DynamoDB quotes numeric values in constraint messages too (`Value '0' at 'limit'`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_constraint_messages_quote_the_value() {
    let srv = Server::start();
    let c = srv.client();
    assert_validation(
        c.list_tables().limit(101).send().await,
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: \
         Member must have value less than or equal to 100",
    );
    assert_validation(
        c.list_tables().limit(0).send().await,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1",
    );
    c.list_tables().limit(100).send().await.unwrap();
    assert_validation(
        c.create_table()
            .table_name("zero")
            .key_schema(key_elem("pk", KeyType::Hash))
            .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
            .provisioned_throughput(throughput(0, 1))
            .send()
            .await,
        "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' \
         failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
}

/// The same bounds, checked on the error type only (passes while the message differs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_tables_limit_bounds() {
    let srv = Server::start();
    let c = srv.client();
    for limit in [0, 101, -1] {
        let (code, msg) = service_error(c.list_tables().limit(limit).send().await.unwrap_err());
        assert_eq!(code, "ValidationException");
        assert!(
            msg.starts_with("1 validation error detected: Value "),
            "{msg}"
        );
        assert!(
            msg.contains(" at 'limit' failed to satisfy constraint: "),
            "{msg}"
        );
    }
    assert_eq!(
        c.list_tables()
            .limit(1)
            .send()
            .await
            .unwrap()
            .table_names()
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_protection_blocks_delete_until_disabled() {
    let srv = Server::start();
    let c = srv.client();
    c.create_table()
        .table_name("guarded")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_elem("pk", KeyType::Hash))
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    assert_validation(
        c.delete_table().table_name("guarded").send().await,
        "Resource cannot be deleted as it is currently protected against deletion. Disable \
         deletion protection first.",
    );
    c.describe_table()
        .table_name("guarded")
        .send()
        .await
        .unwrap();
    let u = c
        .update_table()
        .table_name("guarded")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        u.table_description.unwrap().deletion_protection_enabled(),
        Some(false)
    );
    c.delete_table().table_name("guarded").send().await.unwrap();
    assert!(c
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_table_errors() {
    let srv = Server::start();
    let c = srv.client();
    assert_err(
        c.describe_table().table_name("nope").send().await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    );
    assert_err(
        c.delete_table().table_name("nope").send().await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    );
    assert_err(
        c.update_table()
            .table_name("nope")
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    );
    assert_err(
        c.describe_time_to_live().table_name("nope").send().await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    );
}
