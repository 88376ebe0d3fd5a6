//! Web pages on other origins: allowed origins get CORS answers (preflights
//! for POST with JSON or form bodies, `Retry-After` and `X-Request-Id`
//! exposed); others get none, so the browser keeps them out; by default
//! `serve` allows none.

use reqwest::Method;

use crate::helpers::TestApp;

async fn cors_app() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.cors_allowed_origins = vec![
            "http://localhost:*".to_owned(),
            "https://app.example.com".to_owned(),
        ];
    })
    .await
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_for_json_and_form_posts() {
    let app = cors_app().await;
    for (origin, content_type) in [
        ("http://localhost:5173", "content-type"),
        ("https://app.example.com", "content-type, authorization"),
    ] {
        let preflight = app
            .request(Method::OPTIONS, "/api/v4.0/login")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", content_type)
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), 200, "{origin}");
        let headers = preflight.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        let methods = headers["access-control-allow-methods"].to_str().unwrap();
        assert!(methods.contains("POST"), "{methods}");
        let allowed = headers["access-control-allow-headers"].to_str().unwrap();
        assert!(allowed.contains("content-type"), "{allowed}");
    }
}

#[tokio::test]
async fn answers_to_an_allowed_origin_expose_retry_after_and_the_request_id() {
    let app = cors_app().await;
    let answer = app
        .send(
            app.request(Method::POST, "/api/v4.0/sendsms/13126939916")
                .header("origin", "http://localhost:3000")
                .json(&serde_json::json!({"expect": 0})),
        )
        .await;
    assert_eq!(answer.code(), "200");
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let exposed = answer
        .header("access-control-expose-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("x-request-id"),
        "{exposed}"
    );
}

#[tokio::test]
async fn other_origins_get_no_cors_answer_and_are_still_served() {
    let app = cors_app().await;
    for origin in [
        "https://evil.example",
        "http://localhost",
        "http://localhost.evil.example:5173",
        "https://app.example.com.evil.example",
    ] {
        let answer = app
            .send(
                app.request(Method::GET, "/api/v4.0/isregister/13126939916")
                    .header("origin", origin),
            )
            .await;
        assert_eq!(answer.code(), 200, "{origin}");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        let preflight = app
            .request(Method::OPTIONS, "/api/v4.0/login")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin} got a preflight answer"
        );
    }
}

#[tokio::test]
async fn serve_allows_no_origin_by_default() {
    let app = TestApp::spawn().await;
    let answer = app
        .send(
            app.request(Method::GET, "/api/v4.0/isregister/13126939916")
                .header("origin", "http://localhost:5173"),
        )
        .await;
    assert_eq!(answer.header("access-control-allow-origin"), None);
}
