//! End-to-end tests of [`run_report`] against in-process servers and an unreachable port.

use super::*;
use crate::reference::ReferenceServer;
use crate::workload::Op;

fn args(endpoint: String, workload: Workload) -> BenchArgs {
    BenchArgs {
        endpoint,
        workload,
        records: 1000,
        operations: None,
        concurrency: 4,
        duration: Some(1.0),
        value_size: 100,
        distribution: None,
        reference: false,
        reference_duration: 0.5,
        json: None,
        table: "usertable".to_owned(),
        region: "us-east-1".to_owned(),
        access_key: "k".to_owned(),
        secret_key: "s".to_owned(),
        connect_timeout: 1.0,
        timeout: 2.0,
        threads: Some(2),
        seed: 1,
        no_progress: true,
    }
}

#[test]
fn reference_server_run_has_throughput_and_no_errors() {
    let server = ReferenceServer::start().unwrap();
    for workload in [Workload::A, Workload::Load, Workload::E, Workload::F] {
        let report = run_report(args(server.url(), workload)).unwrap();
        let run = &report.run;
        assert!(run.aborted.is_none(), "{:?}", run.aborted);
        assert_eq!(run.total_errors, 0, "{}", report.to_text());
        assert!(run.total_ok > 100, "{}", report.to_text());
        assert!(run.throughput() > 0.0);
        assert!(run.elapsed < Duration::from_secs(5));
        for (op, _) in workload.mix() {
            let stats = run.ops[op.index()].as_ref().unwrap();
            assert!(!stats.hist.is_empty(), "{op:?}");
        }
    }
}

#[test]
fn reference_flag_reports_ratios_and_json() {
    let server = ReferenceServer::start().unwrap();
    let dir = std::env::temp_dir().join(format!("shoal-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("out.json");
    let mut a = args(server.url(), Workload::C);
    a.reference = true;
    a.duration = Some(0.5);
    a.json = Some(path.clone());
    run(a).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(v["reference"]["throughput"].as_f64().unwrap() > 0.0);
    assert!(v["run"]["total"]["ratio_to_reference"].as_f64().unwrap() > 0.0);
    assert!(v["run"]["operations"]["READ"]["latency_ms"]["p99"].is_number());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreachable_endpoint_is_counted_and_bounded() {
    // A port that was just free: connecting is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = Instant::now();
    let mut a = args(format!("http://127.0.0.1:{port}"), Workload::C);
    a.duration = None;
    a.operations = Some(1_000_000);
    let report = run_report(a.clone()).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    let run = &report.run;
    assert!(run.aborted.as_deref().unwrap().contains("unreachable"));
    assert!(run.total_errors >= runner::MAX_CONSECUTIVE_FAILURES as u64);
    assert_eq!(run.total_ok, 0);
    let read = run.ops[Op::Read.index()].as_ref().unwrap();
    assert!(
        read.errors
            .keys()
            .all(|k| k.starts_with("transport: connect")),
        "{:?}",
        read.errors
    );
    // `run` prints the report and then fails.
    a.workload = Workload::Load;
    assert!(run_error(a).contains("aborted"));
}

fn run_error(a: BenchArgs) -> String {
    match run(a) {
        Ok(()) => String::new(),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn throttling_and_missing_table_are_counted_by_type() {
    for name in ["ThrottlingException", "ResourceNotFoundException"] {
        let body: &'static str = Box::leak(
            format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{name}","message":"x"}}"#)
                .into_boxed_str(),
        );
        let server = ReferenceServer::start_with(400, body).unwrap();
        let mut a = args(server.url(), Workload::B);
        a.duration = Some(0.5);
        let report = run_report(a).unwrap();
        let run = &report.run;
        assert!(run.aborted.is_none());
        assert_eq!(run.total_ok, 0);
        assert!(run.total_errors > 10);
        let read = run.ops[Op::Read.index()].as_ref().unwrap();
        assert_eq!(read.errors.keys().collect::<Vec<_>>(), vec![name]);
        assert!(report.to_text().contains(name));
    }
}

#[test]
fn invalid_arguments_are_refused() {
    let mut a = args("http://127.0.0.1:1".to_owned(), Workload::C);
    a.concurrency = 0;
    assert!(run_report(a).is_err());
    let a = args("https://example.invalid".to_owned(), Workload::C);
    assert!(format!("{:#}", run_report(a).unwrap_err()).contains("http://"));
}
