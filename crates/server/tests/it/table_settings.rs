//! Changing and inspecting table settings through the SDK: UpdateTable (throughput,
//! billing mode, table class, stream, SSE, and what it refuses), TagResource /
//! UntagResource / ListTagsOfResource, UpdateTimeToLive / DescribeTimeToLive,
//! DescribeLimits and DescribeEndpoints.

use aws_sdk_dynamodb::types::{
    BillingMode, KeyType, ProvisionedThroughput, ScalarAttributeType, SseSpecification, SseType,
    StreamSpecification, StreamViewType, TableClass, TableStatus, Tag, TimeToLiveSpecification,
    TimeToLiveStatus,
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
async fn update_table_billing_throughput_class_stream_sse() {
    let srv = Server::start();
    let c = srv.client();
    c.create_table()
        .table_name("upd")
        .key_schema(key_elem("pk", KeyType::Hash))
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .provisioned_throughput(throughput(5, 5))
        .send()
        .await
        .unwrap();
    let describe = || async {
        c.describe_table()
            .table_name("upd")
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
    };

    // Raise reads, then lower writes: both recorded with their dates.
    let u = c
        .update_table()
        .table_name("upd")
        .provisioned_throughput(throughput(10, 5))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(u.table_status, Some(TableStatus::Updating));
    let pt = describe().await.provisioned_throughput.unwrap();
    assert_eq!(
        (pt.read_capacity_units, pt.write_capacity_units),
        (Some(10), Some(5))
    );
    assert!(pt.last_increase_date_time.is_some());
    c.update_table()
        .table_name("upd")
        .provisioned_throughput(throughput(10, 2))
        .send()
        .await
        .unwrap();
    let pt = describe().await.provisioned_throughput.unwrap();
    assert_eq!(
        (pt.read_capacity_units, pt.write_capacity_units),
        (Some(10), Some(2))
    );
    assert!(pt.last_decrease_date_time.is_some());
    assert_eq!(pt.number_of_decreases_today, Some(1));

    // Same values again: refused.
    assert_validation(
        c.update_table()
            .table_name("upd")
            .provisioned_throughput(throughput(10, 2))
            .send()
            .await,
        "The provisioned throughput for the table will not change. The requested value equals \
         the current value. Current ReadCapacityUnits provisioned for the table: 10. Requested \
         ReadCapacityUnits: 10. Current WriteCapacityUnits provisioned for the table: 2. \
         Requested WriteCapacityUnits: 2. Refer to the Amazon DynamoDB Developer Guide for \
         current limits and how to request higher limits.",
    );

    // Switch to on-demand.
    c.update_table()
        .table_name("upd")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = describe().await;
    let bms = d.billing_mode_summary().unwrap();
    assert_eq!(bms.billing_mode(), Some(&BillingMode::PayPerRequest));
    assert!(bms.last_update_to_pay_per_request_date_time().is_some());
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(0)
    );
    // And back, which needs throughput.
    assert_validation(
        c.update_table()
            .table_name("upd")
            .billing_mode(BillingMode::Provisioned)
            .send()
            .await,
        "One or more parameter values were invalid: ProvisionedThroughput must be specified \
         when BillingMode is PROVISIONED",
    );
    c.update_table()
        .table_name("upd")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(3, 4))
        .send()
        .await
        .unwrap();
    let d = describe().await;
    assert_eq!(
        d.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::Provisioned)
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().write_capacity_units(),
        Some(4)
    );

    // Table class, stream, SSE.
    c.update_table()
        .table_name("upd")
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap();
    c.update_table()
        .table_name("upd")
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.update_table()
        .table_name("upd")
        .sse_specification(
            SseSpecification::builder()
                .enabled(true)
                .sse_type(SseType::Kms)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = describe().await;
    assert_eq!(
        d.table_class_summary().and_then(|t| t.table_class()),
        Some(&TableClass::StandardInfrequentAccess)
    );
    assert_eq!(
        d.stream_specification().and_then(|s| s.stream_view_type()),
        Some(&StreamViewType::KeysOnly)
    );
    assert_eq!(
        d.sse_description().and_then(|s| s.sse_type()),
        Some(&SseType::Kms)
    );
    // Enabling the stream again is refused.
    let again = c
        .update_table()
        .table_name("upd")
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert_validation(
        again,
        &format!("Table already has an enabled stream: {}", table_arn("upd")),
    );
    // Disabling it removes it.
    c.update_table()
        .table_name("upd")
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(describe().await.stream_specification().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_table_refusals() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "upd2").await;
    assert_validation(
        c.update_table().table_name("upd2").send().await,
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, \
         GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
    );
    assert_validation(
        c.update_table()
            .table_name("upd2")
            .provisioned_throughput(throughput(1, 1))
            .send()
            .await,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
         WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    );
    // Refused updates changed nothing.
    let d = c.describe_table().table_name("upd2").send().await.unwrap();
    let d = d.table.unwrap();
    assert_eq!(
        d.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_untag_list_tags() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "tagged").await;
    let arn = table_arn("tagged");
    let list = || async {
        let mut t = c
            .list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap()
            .tags
            .unwrap_or_default();
        t.sort_by(|a, b| a.key().cmp(b.key()));
        t
    };
    assert!(list().await.is_empty());
    c.tag_resource()
        .resource_arn(&arn)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .unwrap();
    assert_eq!(list().await, [tag("a", "1"), tag("b", "2")]);
    // Tagging an existing key replaces its value.
    c.tag_resource()
        .resource_arn(&arn)
        .tags(tag("a", "one"))
        .tags(tag("c", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(list().await, [tag("a", "one"), tag("b", "2"), tag("c", "")]);
    c.untag_resource()
        .resource_arn(&arn)
        .tag_keys("a")
        .tag_keys("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(list().await, [tag("b", "2"), tag("c", "")]);

    let other = table_arn("absent");
    assert_err(
        c.list_tags_of_resource().resource_arn(&other).send().await,
        "ResourceNotFoundException",
        &format!("Requested resource not found: ResourcArn: {other} not found"),
    );
    assert_err(
        c.tag_resource()
            .resource_arn(&other)
            .tags(tag("a", "1"))
            .send()
            .await,
        "ResourceNotFoundException",
        &format!("Requested resource not found: ResourcArn: {other} not found"),
    );
    assert_validation(
        c.list_tags_of_resource()
            .resource_arn("not-an-arn")
            .send()
            .await,
        "Invalid TableArn: Invalid ResourceArn provided as input not-an-arn",
    );
    assert_validation(
        c.tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(vec![]))
            .send()
            .await,
        "Atleast one Tag needs to be provided as Input.",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_to_live_settings() {
    let srv = Server::start();
    let c = srv.client();
    create_hash_table(&c, "ttlset").await;
    let status = || async {
        c.describe_time_to_live()
            .table_name("ttlset")
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .unwrap()
    };
    let d = status().await;
    assert_eq!(d.time_to_live_status(), Some(&TimeToLiveStatus::Disabled));
    assert_eq!(d.attribute_name(), None);
    let spec = |enabled: bool, attr: &str| {
        TimeToLiveSpecification::builder()
            .enabled(enabled)
            .attribute_name(attr)
            .build()
            .unwrap()
    };
    let out = c
        .update_time_to_live()
        .table_name("ttlset")
        .time_to_live_specification(spec(true, "expires"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.time_to_live_specification, Some(spec(true, "expires")));
    let d = status().await;
    assert_eq!(d.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(d.attribute_name(), Some("expires"));
    assert_validation(
        c.update_time_to_live()
            .table_name("ttlset")
            .time_to_live_specification(spec(true, "expires"))
            .send()
            .await,
        "TimeToLive is already enabled",
    );
    c.update_time_to_live()
        .table_name("ttlset")
        .time_to_live_specification(spec(false, "expires"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status().await.time_to_live_status(),
        Some(&TimeToLiveStatus::Disabled)
    );
    assert_validation(
        c.update_time_to_live()
            .table_name("ttlset")
            .time_to_live_specification(spec(false, "expires"))
            .send()
            .await,
        "TimeToLive is already disabled",
    );
    assert_err(
        c.update_time_to_live()
            .table_name("nope")
            .time_to_live_specification(spec(true, "expires"))
            .send()
            .await,
        "ResourceNotFoundException",
        "Requested resource not found: Table: nope not found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_limits_and_endpoints() {
    let srv = Server::start();
    let c = srv.client();
    let l = c.describe_limits().send().await.unwrap();
    assert_eq!(l.table_max_read_capacity_units(), Some(40_000));
    assert_eq!(l.table_max_write_capacity_units(), Some(40_000));
    assert!(l.account_max_read_capacity_units().unwrap() >= 40_000);
    assert!(l.account_max_write_capacity_units().unwrap() >= 40_000);
    let e = c.describe_endpoints().send().await.unwrap();
    let ep = &e.endpoints()[0];
    assert_eq!(ep.address(), srv.addr.to_string());
    assert_eq!(ep.cache_period_in_minutes(), 1440);
}
