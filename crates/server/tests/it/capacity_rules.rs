//! DynamoDB's rules for changing capacity, seen by the SDK: the daily limit on decreases
//! (a table's and a global index's, each with its own count), the rolling limit on
//! switches to on demand; and the node's capacity reservations for provisioned tables
//! (refusals, release on delete and on a switch to on demand, and restarts).
//!
//! The rules themselves are tested at day and hour boundaries in
//! `ops::provisioning`'s unit tests; here only what a client observes within seconds.

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeyType, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, UpdateGlobalSecondaryIndexAction,
};
use aws_sdk_dynamodb::Client;
use shoal::ops::provisioning::{long_date, short_date};

use crate::common::*;

const LIMIT: &str = "LimitExceededException";
const DECREASES: &str = "Subscriber limit exceeded: Provisioned throughput decreases are \
     limited within a given UTC day. After the first 4 decreases, each subsequent decrease in \
     the same UTC day can be performed at most once every 3600 seconds. Number of decreases \
     today: 4. ";

fn tp(r: i64, w: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(r)
        .write_capacity_units(w)
        .build()
        .unwrap()
}

fn gsi(name: &str, (r, w): (i64, i64)) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key_elem("gpk", KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .provisioned_throughput(tp(r, w))
        .build()
        .unwrap()
}

fn gsi_update(name: &str, (r, w): (i64, i64)) -> GlobalSecondaryIndexUpdate {
    GlobalSecondaryIndexUpdate::builder()
        .update(
            UpdateGlobalSecondaryIndexAction::builder()
                .index_name(name)
                .provisioned_throughput(tp(r, w))
                .build()
                .unwrap(),
        )
        .build()
}

/// CreateTable of a PROVISIONED table keyed by `pk`, with an index `gsi` keyed by `gpk`
/// when `index` has its throughput.
async fn create(
    c: &Client,
    name: &str,
    (r, w): (i64, i64),
    index: Option<(i64, i64)>,
) -> Result<(), (String, String)> {
    let mut req = c
        .create_table()
        .table_name(name)
        .key_schema(key_elem("pk", KeyType::Hash))
        .attribute_definitions(attr_def("pk", ScalarAttributeType::S))
        .provisioned_throughput(tp(r, w));
    if let Some(units) = index {
        req = req
            .attribute_definitions(attr_def("gpk", ScalarAttributeType::S))
            .global_secondary_indexes(gsi("gsi", units));
    }
    req.send().await.map(|_| ()).map_err(service_error)
}

async fn table_names(c: &Client) -> Vec<String> {
    c.list_tables().send().await.unwrap().table_names.unwrap()
}

/// The current UTC day.
fn utc_day() -> i64 {
    now_secs().div_euclid(86_400)
}

/// When the next decrease is allowed after 4 today: an hour after the last, or midnight.
fn next_decrease(last: f64) -> f64 {
    (last + 3600.0).min(((last / 86_400.0).floor() + 1.0) * 86_400.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifth_decrease_within_the_hour_is_refused() {
    let srv = Server::start();
    let c = srv.client();
    // A UTC midnight during the sequence starts a new day's count and the 5th decrease is
    // then rightly allowed. That happens at most once, so the second attempt, on a fresh
    // table, runs within one day.
    for attempt in 0..2 {
        let day = utc_day();
        let name = format!("decreases{attempt}");
        create(&c, &name, (10, 10), Some((10, 10))).await.unwrap();

        tracing::info!("4 decreases of the table at any time, then the 5th is refused");
        for r in [9, 8, 7, 6] {
            c.update_table()
                .table_name(&name)
                .provisioned_throughput(tp(r, 10))
                .send()
                .await
                .unwrap();
        }
        let fifth = c
            .update_table()
            .table_name(&name)
            .provisioned_throughput(tp(5, 10))
            .send()
            .await;
        let d = describe(&c, &name).await;

        tracing::info!("an increase is never limited; the index has its own count");
        c.update_table()
            .table_name(&name)
            .provisioned_throughput(tp(20, 10))
            .send()
            .await
            .unwrap();
        for r in [9, 8, 7, 6] {
            c.update_table()
                .table_name(&name)
                .global_secondary_index_updates(gsi_update("gsi", (r, 10)))
                .send()
                .await
                .unwrap();
        }
        let fifth_index = c
            .update_table()
            .table_name(&name)
            .global_secondary_index_updates(gsi_update("gsi", (5, 10)))
            .send()
            .await;
        let after = describe(&c, &name).await;
        if utc_day() != day {
            continue;
        }

        let pt = d.provisioned_throughput().unwrap();
        assert_eq!(
            pt.read_capacity_units(),
            Some(6),
            "the refusal changed nothing"
        );
        assert_eq!(pt.number_of_decreases_today(), Some(4));
        let last = pt.last_decrease_date_time().unwrap().as_secs_f64();
        assert_err(
            fifth,
            LIMIT,
            &format!(
                "{DECREASES}Last decrease at {}. Next decrease can be made at {}",
                long_date(last),
                long_date(next_decrease(last))
            ),
        );

        let g = &after.global_secondary_indexes()[0];
        let gpt = g.provisioned_throughput().unwrap();
        assert_eq!(gpt.read_capacity_units(), Some(6));
        assert_eq!(gpt.number_of_decreases_today(), Some(4));
        let last = gpt.last_decrease_date_time().unwrap().as_secs_f64();
        assert_err(
            fifth_index,
            LIMIT,
            &format!(
                "{DECREASES}Last decrease at {}. Next decrease can be made at {}",
                long_date(last),
                long_date(next_decrease(last))
            ),
        );
        let pt = after.provisioned_throughput().unwrap();
        assert_eq!(pt.read_capacity_units(), Some(20));
        assert!(pt.last_increase_date_time().is_some());
        assert_eq!(pt.number_of_decreases_today(), Some(4));
        return;
    }
    panic!("two UTC midnights within one test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifth_switch_to_on_demand_within_a_day_is_refused() {
    let srv = Server::start();
    let c = srv.client();
    create(&c, "switches", (5, 5), Some((2, 2))).await.unwrap();
    for _ in 0..4 {
        c.update_table()
            .table_name("switches")
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap();
        // Back to provisioned is allowed at any time; the index needs its throughput too.
        c.update_table()
            .table_name("switches")
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(tp(5, 5))
            .global_secondary_index_updates(gsi_update("gsi", (2, 2)))
            .send()
            .await
            .unwrap();
    }
    let fifth = c
        .update_table()
        .table_name("switches")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    let d = describe(&c, "switches").await;
    let bms = d.billing_mode_summary().unwrap();
    assert_eq!(bms.billing_mode(), Some(&BillingMode::Provisioned));
    let last = bms
        .last_update_to_pay_per_request_date_time()
        .unwrap()
        .as_secs_f64();
    let (code, message) = service_error(fifth.unwrap_err());
    assert_eq!(code, LIMIT);
    let prefix = format!(
        "Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 times in 1 \
         day(s). Last update at {}. Next update can be made at ",
        short_date(last)
    );
    assert!(message.starts_with(&prefix), "{message}");
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(5)
    );
    assert_eq!(
        d.global_secondary_indexes()[0]
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_to_provisioned_needs_every_index_throughput() {
    let srv = Server::start();
    let c = srv.client();
    create(&c, "needs", (5, 5), Some((2, 2))).await.unwrap();
    c.update_table()
        .table_name("needs")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = describe(&c, "needs").await;
    assert_eq!(
        d.global_secondary_indexes()[0]
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(0)
    );
    assert_validation(
        c.update_table()
            .table_name("needs")
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(tp(5, 5))
            .send()
            .await,
        "One or more parameter values were invalid: ProvisionedThroughput is not specified for \
         index: gsi",
    );
}

/// Units in the reservation refusal message.
fn refused(table: &str, want: (u64, u64), others: (u64, u64), node: (u64, u64)) -> String {
    format!(
        "Subscriber limit exceeded: Provisioned throughput for table {table} (global secondary \
         indexes included) would be {} read and {} write capacity units, but other tables on \
         this node already reserve {} read and {} write capacity units of the node's {} read \
         and {} write capacity units",
        want.0, want.1, others.0, others.1, node.0, node.1
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_capacity_is_reserved_by_provisioned_tables() {
    let dir = temp_dir();
    // The read capacity from a flag, the write capacity from the environment.
    let launch = || {
        Launch::data_dir(dir.path())
            .args(&["--node-read-units", "100"])
            .env("SHOAL_NODE_WRITE_UNITS", "100")
    };
    let srv = launch().start();
    let c = srv.client();

    tracing::info!("tables and their global indexes reserve until the node is full");
    create(&c, "aaa", (40, 40), None).await.unwrap();
    create(&c, "bbb", (30, 30), Some((10, 10))).await.unwrap();
    create_hash_table(&c, "ondemand").await;
    assert_eq!(
        create(&c, "ccc", (30, 10), None).await,
        Err((LIMIT.into(), refused("ccc", (30, 10), (80, 80), (100, 100))))
    );
    assert!(!table_names(&c).await.contains(&"ccc".to_string()));
    create(&c, "ccc", (20, 20), None).await.unwrap();

    tracing::info!("a raise, a new index or a switch to provisioned beyond it is refused");
    assert_err(
        c.update_table()
            .table_name("aaa")
            .provisioned_throughput(tp(41, 40))
            .send()
            .await,
        LIMIT,
        &refused("aaa", (41, 40), (60, 60), (100, 100)),
    );
    assert_eq!(
        describe(&c, "aaa")
            .await
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(40)
    );
    let (code, _) = service_error(
        c.update_table()
            .table_name("aaa")
            .attribute_definitions(attr_def("gpk", ScalarAttributeType::S))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .create(
                        aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                            .index_name("gsi")
                            .key_schema(key_elem("gpk", KeyType::Hash))
                            .projection(
                                Projection::builder()
                                    .projection_type(ProjectionType::KeysOnly)
                                    .build(),
                            )
                            .provisioned_throughput(tp(1, 1))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(code, LIMIT);
    assert!(describe(&c, "aaa")
        .await
        .global_secondary_indexes()
        .is_empty());
    assert_err(
        c.update_table()
            .table_name("ondemand")
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(tp(1, 1))
            .send()
            .await,
        LIMIT,
        &refused("ondemand", (1, 1), (100, 100), (100, 100)),
    );
    assert_eq!(
        describe(&c, "ondemand")
            .await
            .billing_mode_summary()
            .unwrap()
            .billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );

    tracing::info!("a decrease and a deleted table free capacity");
    c.update_table()
        .table_name("aaa")
        .provisioned_throughput(tp(30, 30))
        .send()
        .await
        .unwrap();
    c.delete_table().table_name("ccc").send().await.unwrap();
    create(&c, "ddd", (30, 30), None).await.unwrap();
    assert_eq!(
        create(&c, "eee", (1, 1), None).await,
        Err((LIMIT.into(), refused("eee", (1, 1), (100, 100), (100, 100))))
    );
    tracing::info!("a deleted index frees its capacity at once");
    c.update_table()
        .table_name("bbb")
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("gsi")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    create(&c, "eee", (10, 10), None).await.unwrap();

    tracing::info!("a restart reserves for every table again");
    srv.terminate();
    let srv = launch().start();
    let c = srv.client();
    assert_eq!(
        create(&c, "fff", (1, 1), None).await,
        Err((LIMIT.into(), refused("fff", (1, 1), (100, 100), (100, 100))))
    );
    tracing::info!("a switch to on demand releases the table's reservation");
    c.update_table()
        .table_name("aaa")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    create(&c, "fff", (30, 30), None).await.unwrap();

    tracing::info!("a node restarted with less capacity loads every table, and they may shrink");
    srv.terminate();
    let srv = Launch::data_dir(dir.path())
        .args(&["--node-read-units", "50", "--node-write-units", "50"])
        .start();
    let c = srv.client();
    assert!(
        srv.logs()
            .contains("provisioned tables reserve more than the node's capacity"),
        "{}",
        srv.logs()
    );
    assert_eq!(
        table_names(&c).await,
        ["aaa", "bbb", "ddd", "eee", "fff", "ondemand"]
    );
    c.update_table()
        .table_name("bbb")
        .provisioned_throughput(tp(20, 20))
        .send()
        .await
        .unwrap();
    assert_err(
        c.update_table()
            .table_name("ddd")
            .provisioned_throughput(tp(31, 30))
            .send()
            .await,
        LIMIT,
        &refused("ddd", (31, 30), (60, 60), (50, 50)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_values_are_checked() {
    let srv = Server::start();
    const VALIDATION: &str = "com.amazon.coral.validate#ValidationException";
    const LIMIT_TYPE: &str = "com.amazonaws.dynamodb.v20120810#LimitExceededException";
    let table = |tp: serde_json::Value, gsi_tp: serde_json::Value| {
        serde_json::json!({
            "TableName": "units",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "gpk", "AttributeType": "S"}
            ],
            "ProvisionedThroughput": tp,
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": gsi_tp
            }]
        })
    };
    let units =
        |r: u64, w: u64| serde_json::json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w});

    tracing::info!("beyond any quota a value is invalid; beyond the quota it is a limit");
    srv.post(
        "CreateTable",
        &table(units(1_000_000_000_001, 1), units(1, 1)),
    )
    .assert_error(
        400,
        VALIDATION,
        "One or more parameter values were invalid: Given value 1000000000001 for \
             ReadCapacityUnits is out of bounds",
    );
    srv.post("CreateTable", &table(units(1, 40_001), units(1, 1)))
        .assert_error(
            400,
            LIMIT_TYPE,
            "Subscriber limit exceeded: Provisioned throughput for table units exceeds the \
             per-table limit of 40000 read and 40000 write capacity units",
        );
    srv.post("CreateTable", &table(units(1, 1), units(40_001, 1)))
        .assert_error(
            400,
            LIMIT_TYPE,
            "Subscriber limit exceeded: Provisioned throughput for index gsi exceeds the \
             per-table limit of 40000 read and 40000 write capacity units",
        );
    srv.post(
        "CreateTable",
        &table(serde_json::json!({"ReadCapacityUnits": 1}), units(1, 1)),
    )
    .assert_error(
        400,
        VALIDATION,
        "1 validation error detected: Value null at 'provisionedThroughput.writeCapacityUnits' \
         failed to satisfy constraint: Member must not be null",
    );
    let created = srv.post("CreateTable", &table(units(5, 5), units(3, 3)));
    assert_eq!(created.status, 200, "{}", created.text());

    tracing::info!("an index update needs its throughput, and a different one");
    let update = |action: serde_json::Value| {
        serde_json::json!({
            "TableName": "units",
            "GlobalSecondaryIndexUpdates": [{"Update": action}]
        })
    };
    srv.post(
        "UpdateTable",
        &update(serde_json::json!({"IndexName": "gsi"})),
    )
    .assert_error(
        400,
        VALIDATION,
        "1 validation error detected: Value null at \
             'globalSecondaryIndexUpdates.1.member.update.provisionedThroughput' failed to \
             satisfy constraint: Member must not be null",
    );
    srv.post(
        "UpdateTable",
        &update(serde_json::json!({"IndexName": "gsi", "ProvisionedThroughput": units(3, 3)})),
    )
    .assert_error(
        400,
        VALIDATION,
        "The provisioned throughput for the index gsi will not change. The requested value \
         equals the current value. Current ReadCapacityUnits provisioned for the index: 3. \
         Requested ReadCapacityUnits: 3. Current WriteCapacityUnits provisioned for the index: \
         3. Requested WriteCapacityUnits: 3. Refer to the Amazon DynamoDB Developer Guide for \
         current limits and how to request higher limits.",
    );
    srv.post(
        "UpdateTable",
        &update(serde_json::json!({"IndexName": "gsi", "ProvisionedThroughput": units(3, 40_001)})),
    )
    .assert_error(
        400,
        LIMIT_TYPE,
        "Subscriber limit exceeded: Provisioned throughput for index gsi exceeds the \
         per-table limit of 40000 read and 40000 write capacity units",
    );
}
