//! Authentication. Accept mode (the default) takes any access key; `--auth enforce`
//! verifies SigV4 signatures made by the real SDK against keys from the environment or
//! an AWS credentials file, and refuses wrong secrets (InvalidSignatureException),
//! unknown keys (UnrecognizedClientException), tampered bodies and stale dates, without
//! executing the refused request.

use aws_sdk_dynamodb::Client;
use serde_json::json;

use crate::common::*;

const MISMATCH: &str = "The request signature we calculated does not match the signature you \
                        provided. Check your AWS Secret Access Key and signing method. Consult \
                        the service documentation for details.";
const UNRECOGNIZED: &str = "The security token included in the request is invalid.";

fn enforce_with_env() -> Server {
    Launch::in_memory()
        .args(&["--auth", "enforce"])
        .env("SHOAL_ACCESS_KEY_ID", "AKIDENV")
        .env("SHOAL_SECRET_ACCESS_KEY", "env/secret+key")
        .start()
}

async fn table_names(c: &Client) -> Vec<String> {
    c.list_tables().send().await.unwrap().table_names().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_mode_takes_any_key() {
    let srv = Server::start();
    for (k, secret) in [("AKIDONE", "x"), ("ANOTHER", "y")] {
        let c = srv.client_with(k, secret);
        create_hash_table(&c, &format!("t-{k}")).await;
    }
    assert_eq!(table_names(&srv.client()).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_mode_with_environment_keys() {
    let srv = enforce_with_env();
    let good = srv.client_with("AKIDENV", "env/secret+key");
    create_hash_table(&good, "secure").await;
    good.put_item()
        .table_name("secure")
        .item("pk", s("k"))
        .item("v", s(&"x".repeat(5000)))
        .send()
        .await
        .unwrap();
    assert!(get_pk(&good, "secure", "k").await.is_some());

    let wrong_secret = srv.client_with("AKIDENV", "not-the-secret");
    assert_err(
        wrong_secret.list_tables().send().await,
        "InvalidSignatureException",
        MISMATCH,
    );
    let unknown = srv.client_with("AKIDUNKNOWN", "env/secret+key");
    assert_err(
        unknown.list_tables().send().await,
        "UnrecognizedClientException",
        UNRECOGNIZED,
    );
    // Refused requests do nothing.
    let _ = wrong_secret
        .delete_item()
        .table_name("secure")
        .key("pk", s("k"))
        .send()
        .await
        .unwrap_err();
    let _ = unknown
        .delete_table()
        .table_name("secure")
        .send()
        .await
        .unwrap_err();
    assert_eq!(table_names(&good).await, ["secure"]);
    assert!(get_pk(&good, "secure", "k").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_mode_with_credentials_file() {
    let dir = temp_dir();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        "[default]\naws_access_key_id = AKIDFILE1\naws_secret_access_key = first\n\n\
         [profile second]\naws_access_key_id=AKIDFILE2\naws_secret_access_key=second\n\
         region = eu-west-1\n",
    )
    .unwrap();
    let srv = Launch::in_memory()
        .args(&["--auth", "enforce", "--credentials-file"])
        .args(&[file.to_str().unwrap()])
        .start();
    create_hash_table(&srv.client_with("AKIDFILE1", "first"), "one").await;
    create_hash_table(&srv.client_with("AKIDFILE2", "second"), "two").await;
    assert_err(
        srv.client_with("AKIDFILE1", "second")
            .list_tables()
            .send()
            .await,
        "InvalidSignatureException",
        MISMATCH,
    );
    assert_err(
        srv.client().list_tables().send().await,
        "UnrecognizedClientException",
        UNRECOGNIZED,
    );
    assert_eq!(
        table_names(&srv.client_with("AKIDFILE2", "second")).await,
        ["one", "two"]
    );
}

/// Requests signed by the harness's own SigV4 signer: tampering and stale dates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_mode_raw_signed_requests() {
    let srv = enforce_with_env();
    let body = json!({"TableName": "raw-signed", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]});
    let r = srv
        .raw("CreateTable")
        .json(&body)
        .sign("AKIDENV", "env/secret+key")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());

    // The signature covers the body: change it after signing.
    let r = srv
        .raw("DeleteTable")
        .json(&json!({"TableName": "other"}))
        .sign("AKIDENV", "env/secret+key")
        .json(&json!({"TableName": "raw-signed"}))
        .send();
    r.assert_error(
        400,
        "com.amazon.coral.service#InvalidSignatureException",
        MISMATCH,
    );
    // And the target header.
    let r = srv
        .raw("DescribeTable")
        .json(&json!({"TableName": "raw-signed"}))
        .sign("AKIDENV", "env/secret+key")
        .target("DeleteTable")
        .send();
    assert_eq!(
        r.json()["__type"],
        "com.amazon.coral.service#InvalidSignatureException"
    );
    // A gzip body is verified as sent (compressed).
    let r = srv
        .raw("DescribeTable")
        .json(&json!({"TableName": "raw-signed"}))
        .gzip()
        .sign("AKIDENV", "env/secret+key")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // A correct signature from 2024 is expired.
    let r = srv
        .raw("ListTables")
        .sign_at("AKIDENV", "env/secret+key", "20240101T000000Z")
        .send();
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#InvalidSignatureException"
    );
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Signature expired: 20240101T000000Z is now earlier than "),
        "{msg}"
    );
    // The dummy header used in accept mode parses but does not verify.
    let r = srv.raw("ListTables").send();
    assert_eq!(r.status, 400);
    // Missing header: the same error as in accept mode.
    srv.raw("ListTables")
        .without("Authorization")
        .send()
        .assert_error(
            400,
            "com.amazon.coral.service#MissingAuthenticationTokenException",
            "Request is missing Authentication Token",
        );
    let names = srv.client_with("AKIDENV", "env/secret+key");
    assert_eq!(table_names(&names).await, ["raw-signed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_mode_without_keys_refuses_to_start() {
    let (status, out) = Launch::in_memory()
        .args(&["--auth", "enforce"])
        .run_to_exit(std::time::Duration::from_secs(20));
    assert!(!status.success(), "{out}");
    assert!(out.contains("auth mode enforce needs keys"), "{out}");
}
