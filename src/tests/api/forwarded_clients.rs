//! Clients behind a trusted proxy (`--trust-forwarded-for`), attacked as
//! the merging bug was found: proxies write the client with a port
//! (`203.0.113.7:5555`), bracketed IPv6 (`[2001:db8::1]:443`), quoted, or
//! in RFC 7239's `Forwarded: for=…`. Each form must name its own client —
//! its own per-address limits and its own reset window — and an entry that
//! still names none must be counted and warned about, not silently merged
//! into the proxy's address.

use account_api::settings::{ForwardedHeader, LimitSettings};
use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::{
    helpers::{
        PHONE, TestApp, TestResponse, metrics_counter, proxied_app_with_account, reset_code_sent,
    },
    server_process::ServerProcess,
};

/// The `n`-th phone of a pool of valid numbers.
fn phone(n: u32) -> String {
    format!("139{n:08}")
}

#[track_caller]
fn assert_limited(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.code(), &json!("429"), "{}", response.text);
    assert!(response.header("retry-after").is_some());
}

/// A server behind a trusted proxy reading `header`, two sends per address.
async fn proxied_app(header: ForwardedHeader) -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.limits = LimitSettings::default();
        settings.trust_forwarded_for = true;
        settings.forwarded_header = header;
        settings.limits.sends_per_address_per_hour = 2;
    })
    .await
}

/// `GET sendsms` for the `n`-th phone with `header: value`.
fn send(app: &TestApp, n: u32, header: &str, value: &str) -> RequestBuilder {
    app.request(Method::GET, &format!("/api/v4.0/sendsms/{}", phone(n)))
        .header(header, value)
}

#[tokio::test]
async fn clients_written_with_a_port_have_their_own_send_limits() {
    let app = proxied_app(ForwardedHeader::XForwardedFor).await;
    let xff = "x-forwarded-for";
    let from = |n: u32, value: &str| send(&app, n, xff, value);
    assert_eq!(
        app.send(from(0, "203.0.113.7:5555")).await.code(),
        &json!("200")
    );
    assert_eq!(
        app.send(from(1, "198.51.100.1, 203.0.113.7:5555"))
            .await
            .code(),
        &json!("200")
    );
    assert_limited(&app.send(from(2, "203.0.113.7:5555")).await);
    // The same client from another port, unported, or quoted: still limited.
    assert_limited(&app.send(from(3, "203.0.113.7:6000")).await);
    assert_limited(&app.send(from(4, "203.0.113.7")).await);
    assert_limited(&app.send(from(5, "\"203.0.113.7:5555\"")).await);

    // The next client behind the same proxy has its own budget...
    assert_eq!(
        app.send(from(6, "203.0.113.8:5555")).await.code(),
        &json!("200")
    );
    assert_eq!(
        app.send(from(7, "\"203.0.113.8\"")).await.code(),
        &json!("200")
    );
    assert_limited(&app.send(from(8, "203.0.113.8:5555")).await);
    // ... as do IPv6 clients written bracketed with a port.
    assert_eq!(
        app.send(from(9, "[2001:db8::1]:443")).await.code(),
        &json!("200")
    );
    assert_eq!(
        app.send(from(10, "[2001:db8::2]:443")).await.code(),
        &json!("200")
    );
    assert_limited(&app.send(from(11, "2001:db8::3")).await);
    assert_eq!(
        app.send(from(12, "[2001:db8:0:1::1]:443")).await.code(),
        &json!("200"),
        "another /64"
    );
    // And the proxy's own address (requests without the header) is untouched.
    assert_eq!(
        app.get(&format!("/api/v4.0/sendsms/{}", phone(13)))
            .await
            .code(),
        &json!("200")
    );
}

#[tokio::test]
async fn clients_named_in_forwarded_have_their_own_send_limits() {
    let app = proxied_app(ForwardedHeader::Forwarded).await;
    let from = |n: u32, value: &str| send(&app, n, "forwarded", value);
    let first = "for=\"[2001:db8::1]:443\";proto=https";
    assert_eq!(app.send(from(0, first)).await.code(), &json!("200"));
    assert_eq!(
        app.send(from(1, &format!("for=198.51.100.1, {first}")))
            .await
            .code(),
        &json!("200")
    );
    assert_limited(&app.send(from(2, "For=\"[2001:db8::1]\"")).await);
    assert_eq!(
        app.send(from(3, "for=\"[2001:db8:0:1::1]:443\""))
            .await
            .code(),
        &json!("200")
    );
    assert_eq!(
        app.send(from(4, "for=203.0.113.7")).await.code(),
        &json!("200")
    );
    assert_eq!(
        app.send(from(5, "for=\"203.0.113.7:5555\";by=10.0.0.1"))
            .await
            .code(),
        &json!("200")
    );
    assert_limited(&app.send(from(6, "for=203.0.113.7")).await);
    // With `forwarded` configured, X-Forwarded-For names no one: these fall
    // back to the peer, one budget for all of them.
    let xff = |n: u32, value: &str| send(&app, n, "x-forwarded-for", value);
    assert_eq!(app.send(xff(7, "203.0.113.20")).await.code(), &json!("200"));
    assert_eq!(app.send(xff(8, "203.0.113.21")).await.code(), &json!("200"));
    assert_limited(&app.send(xff(9, "203.0.113.22")).await);
}

#[tokio::test]
async fn a_reset_window_belongs_to_its_client_whatever_port_the_proxy_writes() {
    let app = proxied_app_with_account().await;
    let from = |address: &str, request: RequestBuilder| {
        request.header("x-forwarded-for", format!("198.51.100.1, {address}"))
    };
    let code = reset_code_sent(&app, PHONE).await;
    let verify = app.request(
        Method::GET,
        &format!("/api/v4.0/verify_code?phone={PHONE}&code={code}"),
    );
    assert_eq!(app.send(from("203.0.113.7:5555", verify)).await.code(), 200);
    let reset = |address: &str| {
        from(
            address,
            app.request(Method::POST, "/api/v4.0/forget_password")
                .form(&[("phone", PHONE), ("password", "654321")]),
        )
    };
    let refused = app.send(reset("203.0.113.8:5555")).await;
    assert_eq!(refused.code(), -1, "{}", refused.text);
    assert_eq!(refused.msg(), "请先验证手机验证码");
    // The verifier, through another connection of the proxy's (another port).
    assert_eq!(app.send(reset("203.0.113.7:6001")).await.code(), 200);
}

#[tokio::test]
async fn an_entry_that_names_no_client_is_counted_and_warned_about_once() {
    // A process of its own: its metrics and log are this test's alone.
    let database = account_api::test_support::TestDatabase::create().await;
    let server = ServerProcess::start(database.url(), &["--trust-forwarded-for"]).await;
    let long = format!("unknown{}", "x".repeat(200));
    for (n, value) in ["_hidden", "unknown", "203.0.113.7:abc", long.as_str()]
        .into_iter()
        .enumerate()
    {
        let request = server
            .request(
                Method::GET,
                &format!("/api/v4.0/sendsms/{}", phone(n as u32)),
            )
            .header("x-forwarded-for", value);
        assert_eq!(server.send(request).await.code(), &json!("200"), "{value}");
    }
    let without = server.get(&format!("/api/v4.0/sendsms/{}", phone(9))).await;
    assert_eq!(without.code(), &json!("200"));

    let metrics = server.get("/metrics").await.text;
    let fallbacks = |reason: &str| {
        metrics_counter(
            &metrics,
            &format!("client_address_fallbacks_total{{reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(fallbacks("unparsable"), 4, "{metrics}");
    assert_eq!(fallbacks("missing"), 1, "{metrics}");

    // One warning per reason, however many fallbacks; the value cut short.
    let logs = server.logs();
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("names no usable client address"))
        .collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(
        warnings.iter().any(|line| line.contains("_hidden")),
        "{warnings:?}"
    );
    assert!(!logs.contains(&long), "the whole value was logged");
}
