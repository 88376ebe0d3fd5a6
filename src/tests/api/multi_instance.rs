//! Several instances behind one database: two `account-api` processes on
//! different ports over one PostgreSQL database behave as one server —
//! accounts, sessions, send limits, lockouts and the SMS code key are shared.

use account_api::test_support::TestDatabase;
use reqwest::Method;
use serde_json::json;

use crate::{
    helpers::{
        ApiClient, DEVICE, PASSWORD, TestResponse, on_postgresql_only, refused_and_limited,
        test_name,
    },
    server_process::ServerProcess,
};

const WHY: &str = "several instances share a PostgreSQL database; SQLite is one machine's file";

/// Two instances over one fresh database, started with `flags`.
async fn two_instances(database: &TestDatabase, flags: &[&str]) -> (ServerProcess, ServerProcess) {
    let first = ServerProcess::start(database.url(), flags).await;
    let second = ServerProcess::start(database.url(), flags).await;
    assert_ne!(first.port, second.port);
    (first, second)
}

async fn me(server: &ApiClient, token: &str) -> TestResponse {
    server
        .send_with_token(Method::GET, "/api/v4.0/me", token)
        .await
}

async fn logout(server: &ApiClient, token: &str) -> TestResponse {
    server
        .send_with_token(Method::POST, "/api/v4.0/logout", token)
        .await
}

#[tokio::test]
async fn an_account_registered_through_one_instance_logs_in_through_the_other() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    // A whole database, named in the URL as an operator would.
    let database = TestDatabase::create_dedicated().await;
    let (first, second) = two_instances(&database, &[]).await;
    let phone = "13700000001";

    let registered = first.register(phone, PASSWORD, DEVICE).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    let login = second.login(phone, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    assert_eq!(login.data()["user_id"], registered.data()["user_id"]);
    assert_eq!(
        second
            .get(&format!("/api/v4.0/isregister/{phone}?expect=0"))
            .await
            .code(),
        -1,
        "the second instance does not see the account"
    );
    let wrong = second.login(phone, "wrong-pass", DEVICE).await;
    assert_eq!(wrong.code(), -1, "{}", wrong.text);
}

#[tokio::test]
async fn a_token_issued_by_one_instance_works_on_the_other_and_a_logout_is_seen_by_both() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &[]).await;
    let phone = "13700000002";
    let registered = first.register(phone, PASSWORD, DEVICE).await;
    let token = registered.data()["token"].as_str().unwrap().to_owned();

    let on_second = me(&second, &token).await;
    assert_eq!(on_second.code(), 200, "{}", on_second.text);
    assert_eq!(on_second.data()["user_id"], registered.data()["user_id"]);

    let logged_out = logout(&second, &token).await;
    assert_eq!(logged_out.code(), 200, "{}", logged_out.text);
    for (instance, server) in [("first", &first), ("second", &second)] {
        let after = me(server, &token).await;
        assert_eq!(
            after.code(),
            401,
            "the {instance} instance still accepts a revoked token: {}",
            after.text
        );
    }
}

#[tokio::test]
async fn the_same_phone_registered_through_both_instances_at_once_is_accepted_once() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &[]).await;
    for n in 0..20 {
        let phone = format!("1370001{n:04}");
        let (a, b) = tokio::join!(
            first.register(&phone, PASSWORD, "device-a"),
            second.register(&phone, "another-pass", "device-b"),
        );
        let mut codes = [a.code().clone(), b.code().clone()];
        codes.sort_by_key(|code| code.as_i64());
        assert_eq!(
            codes,
            [json!(-1), json!(200)],
            "{phone}: {} / {}",
            a.text,
            b.text
        );
        // The refused one is told the phone is taken, and the account is the winner's.
        let loser = if a.code() == 200 { &b } else { &a };
        assert_eq!(loser.msg(), "手机号已经被注册");
        let (password, device) = if a.code() == 200 {
            (PASSWORD, "device-a")
        } else {
            ("another-pass", "device-b")
        };
        let login = second.login(&phone, password, device).await;
        assert_eq!(login.code(), 200, "{phone}: {}", login.text);
    }
}

#[tokio::test]
async fn a_send_limit_reached_through_one_instance_is_enforced_by_the_other() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    // The default limits: one send per phone per minute, twenty per address per hour.
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &[]).await;

    let phone = "13700000003";
    let sent = first.get(&format!("/api/v4.0/sendsms/{phone}")).await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    let refused = second.get(&format!("/api/v4.0/sendsms/{phone}")).await;
    assert_eq!(refused.code(), &json!("429"), "{}", refused.text);
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");

    // Both at once for fresh phones: the send lock lets exactly one through.
    for n in 0..10 {
        let phone = format!("1370002{n:04}");
        let path = format!("/api/v4.0/sendsms/{phone}");
        let (a, b) = tokio::join!(first.get(&path), second.get(&path));
        let mut codes = [a.code().clone(), b.code().clone()];
        codes.sort_by_key(|code| code.to_string());
        assert_eq!(
            codes,
            [json!("200"), json!("429")],
            "{phone}: {} / {}",
            a.text,
            b.text
        );
    }
}

#[tokio::test]
async fn a_login_lockout_earned_on_one_instance_holds_on_the_other() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &[]).await;
    let phone = "13700000004";
    assert_eq!(first.register(phone, PASSWORD, DEVICE).await.code(), 200);
    // Five wrong passwords, alternating between the instances.
    for n in 0..5 {
        let server = if n % 2 == 0 { &first } else { &second };
        let wrong = server.login(phone, "wrong-pass", DEVICE).await;
        assert_eq!(wrong.code(), -1, "attempt {n}: {}", wrong.text);
    }
    for (instance, server) in [("first", &first), ("second", &second)] {
        let locked = server.login(phone, PASSWORD, DEVICE).await;
        assert_eq!(
            locked.code(),
            429,
            "the {instance} instance lets a locked phone in: {}",
            locked.text
        );
    }
}

#[tokio::test]
async fn a_code_sent_through_one_instance_verifies_through_the_other() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    // Verification on and no configured secret: the instances must agree on
    // the key they generate and keep in the database.
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &["--sms-verification", "on"]).await;
    let phone = "13700000005";
    let sent = first.get(&format!("/api/v4.0/sendsms/{phone}")).await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    let code = first
        .logged_code(phone)
        .await
        .unwrap_or_else(|| panic!("no code in the log:\n{}", first.logs()));
    assert!(
        !second.logs().contains(phone),
        "the second instance sent the code"
    );

    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let refused = register_with_code(&second, phone, wrong_code).await;
    assert_eq!(refused.code(), -2, "{}", refused.text);
    let registered = register_with_code(&second, phone, &code).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
}

async fn register_with_code(server: &ApiClient, phone: &str, code: &str) -> TestResponse {
    server
        .post_form(
            "/api/v4.0/register",
            &[
                ("phone", phone),
                ("name", "n"),
                ("password", PASSWORD),
                ("device_identifier", DEVICE),
                ("code", code),
            ],
        )
        .await
}

#[tokio::test]
async fn instances_started_at_once_on_an_empty_database_all_come_up() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    // Both apply the migrations at start-up; neither may trip over the other.
    for round in 0..3 {
        let database = TestDatabase::create().await;
        let (first, second) = tokio::join!(
            ServerProcess::start(database.url(), &[]),
            ServerProcess::start(database.url(), &[]),
        );
        let phone = format!("1370003{round:04}");
        assert_eq!(first.register(&phone, PASSWORD, DEVICE).await.code(), 200);
        assert_eq!(second.login(&phone, PASSWORD, DEVICE).await.code(), 200);
    }
}

#[tokio::test]
async fn forty_wrong_passwords_at_once_through_both_instances_verify_at_most_five() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(&database, &[]).await;
    let phone = "13700000009";
    assert_eq!(first.register(phone, PASSWORD, DEVICE).await.code(), 200);
    let attempts: Vec<_> = (0..40)
        .map(|n| {
            let server = if n % 2 == 0 { &first } else { &second };
            let client: ApiClient = (**server).clone();
            tokio::spawn(async move { client.login(phone, &format!("wrong{n:04}"), DEVICE).await })
        })
        .collect();
    let (checked, limited) = refused_and_limited(attempts).await;
    assert_eq!(
        (checked.len(), limited.len()),
        (5, 35),
        "passwords checked, refused"
    );
    assert_eq!(second.login(phone, PASSWORD, DEVICE).await.code(), 429);
}

/// Sends `count` codes at once, alternately through `first` and `second`, to
/// `phone_of(n)`; how many were sent and how many refused with 429.
async fn concurrent_sends_through_both(
    first: &ApiClient,
    second: &ApiClient,
    count: u32,
    phone_of: impl Fn(u32) -> String,
) -> (usize, usize) {
    let sends: Vec<_> = (0..count)
        .map(|n| {
            let client = if n % 2 == 0 { first } else { second }.clone();
            let path = format!("/api/v4.0/sendsms/{}", phone_of(n));
            tokio::spawn(async move { client.get(&path).await })
        })
        .collect();
    let (mut sent, mut limited) = (0, 0);
    for send in sends {
        let answer = send.await.unwrap();
        match answer.code().as_str() {
            Some("200") => sent += 1,
            Some("429") => limited += 1,
            _ => panic!("unexpected answer: {}", answer.text),
        }
    }
    (sent, limited)
}

#[tokio::test]
async fn concurrent_sends_through_both_instances_keep_every_limit_exactly() {
    if !on_postgresql_only(test_name!(), WHY) {
        return;
    }
    let database = TestDatabase::create().await;
    let (first, second) = two_instances(
        &database,
        &[
            "--sends-per-address-per-hour",
            "1000",
            "--daily-sms-budget",
            "12",
        ],
    )
    .await;
    // One phone: one send a minute, however the requests are spread.
    let one_phone =
        concurrent_sends_through_both(&first, &second, 40, |_| "13700000020".to_owned()).await;
    assert_eq!(one_phone, (1, 39), "sent, refused for one phone");
    // Other phones: exactly what is left of the daily budget.
    let others =
        concurrent_sends_through_both(&first, &second, 40, |n| format!("1370000{:04}", 100 + n))
            .await;
    assert_eq!(others, (11, 29), "sent, refused over the daily budget");
}
