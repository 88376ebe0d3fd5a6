//! What operators see: request ids on every answer, and `/metrics`.

use reqwest::Method;

use crate::helpers::{PHONE, TestApp};

#[tokio::test]
async fn every_answer_carries_a_request_id_and_echoes_a_sane_one() {
    let app = TestApp::spawn().await;
    let fresh = app.get("/livez").await;
    let id = fresh.header("x-request-id").expect("a request id");
    assert_eq!(id.len(), 32, "{id}");
    let other = app.get("/api/v4.0/nothing-here").await;
    assert_ne!(other.header("x-request-id"), Some(id));

    let echoed = app
        .send(
            app.request(Method::GET, "/livez")
                .header("x-request-id", "trace-42.a_b"),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-42.a_b"));
    let refused = app
        .send(
            app.request(Method::GET, "/livez")
                .header("x-request-id", "bad id\twith junk"),
        )
        .await;
    assert_ne!(refused.header("x-request-id"), Some("bad id\twith junk"));
}

/// The value of the sample `name{labels}` in a Prometheus text exposition.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_per_operation_and_sms_sends_by_outcome() {
    let app = TestApp::spawn().await;
    let before = app.get("/metrics").await.text;
    app.get(&format!("/api/v4.0/isregister/{PHONE}")).await;
    app.get(&format!("/api/v4.0/isregister/{PHONE}")).await;
    app.get(&format!("/api/v4.0/sendsms/{PHONE}")).await;
    let after = app.get("/metrics").await;
    assert!(
        after
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        after.header("content-type")
    );
    let requests = r#"http_requests_total{operation="isregister",status="200"}"#;
    assert!(sample(&after.text, requests) - sample(&before, requests) >= 2.0);
    let sends = r#"sms_sends_total{outcome="sent"}"#;
    assert!(sample(&after.text, sends) - sample(&before, sends) >= 1.0);
    let latency = r#"http_request_duration_seconds_count{operation="isregister"}"#;
    assert!(sample(&after.text, latency) >= 2.0);
    assert!(
        after
            .text
            .contains("# TYPE password_hashes_in_flight gauge")
    );
}

#[tokio::test]
async fn with_a_metrics_address_metrics_are_served_there_only() {
    let database = account_api::test_support::TestDatabase::create().await;
    let server = crate::server_process::ServerProcess::start(
        database.url(),
        &["--metrics-listen", "127.0.0.1:0"],
    )
    .await;
    let address = server
        .logged_field("serving /metrics", "metrics_address")
        .unwrap_or_else(|| panic!("no metrics address logged:\n{}", server.logs()));
    assert_eq!(server.get("/livez").await.status, 200);

    // The public listener answers /metrics as any unknown path.
    let public = server.get("/metrics").await;
    assert_eq!(public.status, 404, "{}", public.text);
    assert_eq!(public.code(), 404);
    assert_eq!(public.data(), "");

    let client = reqwest::Client::new();
    let metrics = client
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(
        text.contains(r#"operation="livez""#),
        "the public listener's requests are counted: {text}"
    );
    // Nothing else is served on the metrics address.
    for path in [
        "/api/v4.0/isregister/13126939916",
        "/livez",
        "/openapi.json",
    ] {
        let other = client
            .get(format!("http://{address}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{path}");
        let body: serde_json::Value = other.json().await.unwrap();
        assert_eq!(body["code"], 404, "{path}: {body}");
    }
}
