//! Every statement the server runs on its tables can use an index (read
//! from the database's own query plans, on both backends), so the limit
//! checks do not slow down as attackers add audit rows; and the audit
//! ledger is kept only for its retention.

use account_api::{
    flows::housekeeping,
    settings::Verification,
    test_support::{Backend, TestDatabase},
};
use chrono::{Duration, Utc};
use entity::audit_events;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    Statement, TransactionTrait,
};

use crate::helpers::{
    DEVICE, PASSWORD, PHONE, TestApp, register_with_sign_up_code, reset_code_sent,
};

/// The tables the server writes rows to as it serves: none may be scanned.
const TABLES: [&str; 12] = [
    "users",
    "sessions",
    "sms_codes",
    "audit_events",
    "audit_refusals",
    "applications",
    "enterprises",
    "server_secrets",
    "admin_tokens",
    "webhook_events",
    "webhook_deliveries",
    "webhook_delivery_attempts",
];

/// The plan of `statement` as text, one line per step.
pub(crate) async fn plan(app: &TestApp, statement: &Statement) -> Vec<String> {
    let db = app.db();
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let explain = Statement {
                sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
                ..statement.clone()
            };
            db.query_all_raw(explain)
                .await
                .unwrap_or_else(|err| panic!("EXPLAIN {}: {err}", statement.sql))
                .iter()
                .map(|row| row.try_get_by_index::<String>(3).unwrap())
                .collect()
        }
        _ => {
            // With sequential scans priced out, the planner picks an index
            // whenever one can serve: a scan left in the plan has none.
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            let explain = Statement {
                sql: format!("EXPLAIN {}", statement.sql),
                ..statement.clone()
            };
            let lines = txn
                .query_all_raw(explain)
                .await
                .unwrap_or_else(|err| panic!("EXPLAIN {}: {err}", statement.sql))
                .iter()
                .map(|row| row.try_get_by_index::<String>(0).unwrap())
                .collect();
            txn.rollback().await.unwrap();
            lines
        }
    }
}

/// Whether `sql` reads rows of one of the tables checked (a plan to explain).
fn reads_rows(sql: &str) -> bool {
    ["SELECT", "UPDATE", "DELETE"]
        .iter()
        .any(|verb| sql.starts_with(verb))
        && TABLES
            .iter()
            .any(|table| sql.contains(&format!("\"{table}\"")))
}

/// The step of `plan` that reads a whole table, if any.
fn full_scan(backend: Backend, plan: &[String]) -> Option<String> {
    plan.iter()
        .find(|line| {
            TABLES.iter().any(|table| match backend {
                // `SEARCH t USING ...` reads a range; `SCAN t` (even `USING
                // INDEX`) reads everything.
                Backend::Sqlite => {
                    line.starts_with(&format!("SCAN {table}"))
                        && !line.contains("USING INTEGER PRIMARY KEY")
                }
                Backend::Postgres => line.contains(&format!("Seq Scan on {table}")),
            })
        })
        .cloned()
}

/// Explains each of `statements` that reads rows of a table checked: how
/// many were, and each whose plan reads a whole table (the statement, the
/// step and the plan) unless `allowed(sql, plan)` says that walk is fine.
async fn whole_table_reads(
    app: &TestApp,
    statements: &[Statement],
    allowed: impl Fn(&str, &[String]) -> bool,
) -> (usize, Vec<String>) {
    let backend = app.backend();
    let mut explained = 0;
    let mut scans = Vec::new();
    for statement in statements {
        let sql = statement.sql.trim_start();
        if !reads_rows(sql) {
            continue;
        }
        explained += 1;
        let plan = plan(app, statement).await;
        if let Some(scan) = full_scan(backend, &plan)
            && !allowed(sql, &plan)
        {
            scans.push(format!("{}\n    {scan}: {plan:?}", statement.sql));
        }
    }
    (explained, scans)
}

/// Fails listing `scans` (of `explained` statements) when there are any.
fn assert_none_read_a_whole_table(backend: Backend, explained: usize, scans: &[String]) {
    assert!(
        scans.is_empty(),
        "{} of {explained} statements read a whole table on {}:\n{}",
        scans.len(),
        backend.name(),
        scans.join("\n")
    );
}

/// Adds `count` audit events of logins and sends from other phones and
/// addresses, as an attacker would, `age` ago.
async fn seed_audit_events(db: &DatabaseConnection, count: usize, age: Duration) {
    let now = Utc::now() - age;
    let rows: Vec<audit_events::ActiveModel> = (0..count)
        .map(|n| audit_events::ActiveModel {
            created_at: Set(now),
            kind: Set(if n % 2 == 0 { "login" } else { "sms_send" }.to_owned()),
            outcome: Set(if n % 2 == 0 {
                "wrong_password"
            } else {
                "rate_limited"
            }
            .to_owned()),
            phone: Set(Some(format!("1500000{:04}", n % 10_000))),
            client_ip: Set(Some(format!("10.0.{}.{}", n / 256 % 256, n % 256))),
            client_network: Set(Some(format!("10.0.{}.{}", n / 256 % 256, n % 256))),
            device: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        audit_events::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_statement_of_every_operation_uses_an_index() {
    let (app, recorded) = TestApp::spawn_recording_statements(|settings| {
        settings.sms.verification = Some(Verification::On);
    })
    .await;
    seed_audit_events(app.db(), 2_000, Duration::minutes(5)).await;

    // Every operation, down every path that reads or writes.
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    app.get(&format!("/api/v4.0/isregister/{PHONE}?expect=1"))
        .await;
    app.get(&format!("/api/v4.0/sendsms/{PHONE}?expect=0"))
        .await;
    app.login(PHONE, "wrong-password", DEVICE).await;
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    app.get(&format!(
        "/api/v4.0/forget_password?phone={PHONE}&password=654321"
    ))
    .await;
    let code = reset_code_sent(&app, PHONE).await;
    app.get(&format!("/api/v4.0/verify_code?phone={PHONE}&code=000000"))
        .await;
    app.get(&format!("/api/v4.0/verify_code?phone={PHONE}&code={code}"))
        .await;
    let reset = app
        .get(&format!(
            "/api/v4.0/forget_password?phone={PHONE}&password=654321&code={code}"
        ))
        .await;
    assert_eq!(reset.code(), 200, "{}", reset.text);
    // The reset revoked every session: two new ones, one to revoke by id.
    let token = app.logged_in_token(PHONE, "654321", DEVICE).await;
    app.login(PHONE, "654321", "tablet").await;
    app.send_with_token(reqwest::Method::GET, "/api/v4.0/me", &token)
        .await;
    let listed = app
        .send_with_token(reqwest::Method::GET, "/api/v4.0/sessions", &token)
        .await;
    assert_eq!(listed.code(), 200, "{}", listed.text);
    let other_id = listed.data()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|session| session["current"] == false)
        .expect("the tablet's session")["id"]
        .to_string();
    for fields in [[("id", other_id.as_str())], [("others", "true")]] {
        let revoked = app
            .send(
                app.request(reqwest::Method::POST, "/api/v4.0/sessions/revoke")
                    .bearer_auth(&token)
                    .form(&fields),
            )
            .await;
        assert_eq!(revoked.code(), 200, "{}", revoked.text);
    }
    app.send_with_token(reqwest::Method::POST, "/api/v4.0/logout", &token)
        .await;
    // And the hourly purges.
    account_api::flows::housekeeping::purge_sessions(&app.state)
        .await
        .unwrap();
    housekeeping::purge_audit_events(&app.state).await.unwrap();

    let statements: Vec<Statement> = recorded.lock().unwrap().clone();
    let (explained, scans) = whole_table_reads(&app, &statements, |_, _| false).await;
    assert!(
        explained >= 30,
        "only {explained} statements were explained"
    );
    assert_none_read_a_whole_table(app.backend(), explained, &scans);
}

#[tokio::test]
async fn audit_events_past_the_retention_are_purged_by_the_hourly_task() {
    let database = TestDatabase::create().await;
    // Rows from before the server starts: the task's first run, at start-up,
    // must remove the old ones.
    let db = account_api::database::connect(&account_api::settings::DatabaseSettings {
        database_url: database.url().to_owned(),
        db_max_connections: 1,
        db_connect_timeout_secs: 5,
    })
    .await
    .unwrap();
    account_api::database::migrate(&db).await.unwrap();
    seed_audit_events(&db, 1_500, Duration::days(91)).await;
    seed_audit_events(&db, 20, Duration::days(89)).await;
    db.close().await.unwrap();
    let app = TestApp::spawn_on_with_background_tasks(database, |_| {}).await;
    // Polled until the task has run (a busy machine may take a while).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut remaining = u64::MAX;
    while std::time::Instant::now() < deadline {
        remaining = audit_events::Entity::find().count(app.db()).await.unwrap();
        if remaining == 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(remaining, 20, "events older than 90 days are still there");

    // A shorter retention takes effect.
    let app = TestApp::spawn_with(|settings| settings.audit_retention_days = 1).await;
    seed_audit_events(app.db(), 10, Duration::hours(25)).await;
    seed_audit_events(app.db(), 5, Duration::hours(23)).await;
    // This server holds the hourly task: purge as it would.
    housekeeping::purge_audit_events(&app.state).await.unwrap();
    assert_eq!(
        audit_events::Entity::find().count(app.db()).await.unwrap(),
        5
    );
}

/// Whether `plan` walks one index in the order asked for (a page of a
/// search: no sort, no other table read whole), as the admin search does
/// without a filter or with a name substring, stopping at its `LIMIT`.
fn index_ordered_walk(backend: Backend, plan: &[String]) -> bool {
    match backend {
        Backend::Sqlite => {
            // `enterprises.id` and `webhook_deliveries.id` are rowids: a
            // bare `SCAN` of either walks it in id order.
            plan.iter().all(|line| !line.contains("TEMP B-TREE"))
                && plan.iter().all(|line| {
                    !line.starts_with("SCAN")
                        || line.contains("USING")
                        || line == "SCAN enterprises"
                        || line == "SCAN webhook_deliveries"
                })
        }
        Backend::Postgres => plan
            .iter()
            .all(|line| !line.contains("Sort") && !line.contains("Seq Scan")),
    }
}

#[tokio::test]
async fn every_statement_of_the_admin_api_uses_an_index() {
    use account_api::flows::admin_tokens;
    use reqwest::Method;

    // Registrations are delivered to a receiver that refuses the first
    // for good: one delivery is dead, for the webhook operations below.
    let receiver = crate::webhooks::Receiver::start(&[400]).await;
    let url = receiver.url.clone();
    let registrations = account_api::settings::WebhookEndpoint {
        events: Some(vec!["user.registered".into()]),
        ..crate::webhooks::endpoint(&url, &[1])
    };
    let (app, recorded) = TestApp::spawn_recording_statements(|settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        settings.webhooks = vec![registrations];
    })
    .await;
    let token = admin_tokens::create(app.db(), "support", Utc::now())
        .await
        .unwrap()
        .unwrap()
        .reveal()
        .to_owned();
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    let client = reqwest::Client::new();
    // An admin request (with a JSON body when given), which must succeed;
    // its answer.
    let request = |method: Method, path: String, body: Option<serde_json::Value>| {
        let mut request = client
            .request(method, app.admin_url(&path))
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            assert!(status.is_success(), "{path}: {status} {body}");
            body
        }
    };
    let call = |method: Method, path: String| request(method, path, None);
    let send =
        |method: Method, path: String, body: serde_json::Value| request(method, path, Some(body));
    let mut listed = 0;
    for query in [
        "limit=1",
        "phone=13126939916",
        "phone_prefix=131&limit=1",
        "name=x&limit=1",
        "enterprise_id=1&limit=1",
        "application_state=pending&limit=1",
        "application_state=approved&enterprise_id=1&phone_prefix=1",
    ] {
        let first = call(Method::GET, format!("/admin/v1/users?{query}")).await;
        listed += 1;
        // And the page after, from its cursor (one of each order).
        if let Some(cursor) = first["next_cursor"].as_str() {
            call(
                Method::GET,
                format!("/admin/v1/users?{query}&cursor={cursor}"),
            )
            .await;
        }
    }
    assert_eq!(listed, 7);
    register_with_sign_up_code(&app, crate::helpers::OTHER_PHONE, PASSWORD).await;
    for query in ["limit=1", "phone_prefix=1&limit=1"] {
        let first = call(Method::GET, format!("/admin/v1/users?{query}")).await;
        let cursor = first["next_cursor"].as_str().expect("a second page");
        call(
            Method::GET,
            format!("/admin/v1/users?{query}&cursor={cursor}"),
        )
        .await;
    }
    call(Method::GET, format!("/admin/v1/users/{user_id}")).await;
    // Enterprises, applications and memberships.
    let name = serde_json::json!({"name": "apple"});
    let created = send(
        Method::POST,
        "/admin/v1/enterprises".to_owned(),
        name.clone(),
    )
    .await;
    let enterprise = created["id"].as_i64().unwrap();
    send(
        Method::POST,
        "/admin/v1/enterprises".to_owned(),
        name.clone(),
    )
    .await;
    send(
        Method::PATCH,
        format!("/admin/v1/enterprises/{enterprise}"),
        name.clone(),
    )
    .await;
    let first = call(Method::GET, "/admin/v1/enterprises?limit=1".to_owned()).await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    call(
        Method::GET,
        format!("/admin/v1/enterprises?limit=1&cursor={cursor}"),
    )
    .await;
    call(Method::GET, "/admin/v1/enterprises?name=pp".to_owned()).await;
    let session = app.logged_in_token(PHONE, PASSWORD, DEVICE).await;
    let enterprises = app
        .send_with_token(Method::GET, "/api/v4.0/enterprises?name=pp", &session)
        .await;
    assert_eq!(enterprises.code(), 200, "{}", enterprises.text);
    let applied = app
        .send(
            app.request(Method::POST, "/api/v4.0/applications")
                .bearer_auth(&session)
                .form(&[("enterprise_id", enterprise.to_string())]),
        )
        .await;
    assert_eq!(applied.code(), 200, "{}", applied.text);
    for query in [
        "limit=1",
        "state=pending",
        "state=approved&limit=1",
        &format!("enterprise_id={enterprise}&limit=1"),
        &format!("enterprise_id={enterprise}&state=rejected"),
    ] {
        let page = call(Method::GET, format!("/admin/v1/applications?{query}")).await;
        if let Some(cursor) = page["next_cursor"].as_str() {
            call(
                Method::GET,
                format!("/admin/v1/applications?{query}&cursor={cursor}"),
            )
            .await;
        }
    }
    let listed = call(Method::GET, "/admin/v1/applications".to_owned()).await;
    let application = listed["items"][0]["id"].as_i64().unwrap();
    send(
        Method::POST,
        format!("/admin/v1/applications/{application}/approve"),
        serde_json::json!({"permissions": ["member"]}),
    )
    .await;
    send(
        Method::PUT,
        format!("/admin/v1/users/{user_id}/permissions"),
        serde_json::json!({"permissions": ["viewer"]}),
    )
    .await;
    for (method, path) in [
        (
            Method::DELETE,
            format!("/admin/v1/users/{user_id}/membership"),
        ),
        (
            Method::DELETE,
            format!("/admin/v1/enterprises/{enterprise}"),
        ),
        (Method::POST, format!("/admin/v1/users/{user_id}/disable")),
        (Method::POST, format!("/admin/v1/users/{user_id}/enable")),
        (
            Method::POST,
            format!("/admin/v1/users/{user_id}/sessions/revoke"),
        ),
        (Method::DELETE, format!("/admin/v1/users/{user_id}")),
    ] {
        call(method, path).await;
    }

    // The webhook operations, over the two registrations' deliveries.
    // Watched through a connection of the test's own, so that its reads
    // are not among the server's statements explained below.
    let watcher = app.own_connection().await;
    let rows = crate::webhooks::until_settled(&watcher, 2).await;
    let dead = rows
        .iter()
        .find(|d| d.state == "dead")
        .expect("the refused delivery")
        .id;
    call(Method::GET, "/admin/v1/webhooks/endpoints".to_owned()).await;
    for query in [
        String::new(),
        "?state=dead".to_owned(),
        format!("?endpoint={url}"),
        format!("?endpoint={url}&state=delivered&limit=1"),
    ] {
        call(Method::GET, format!("/admin/v1/webhooks/deliveries{query}")).await;
    }
    for delivery in &rows {
        let one = call(
            Method::GET,
            format!("/admin/v1/webhooks/deliveries/{}", delivery.id),
        )
        .await;
        assert_eq!(
            one["attempt_history"].as_array().map(Vec::len),
            Some(1),
            "{one}"
        );
    }
    call(
        Method::POST,
        format!("/admin/v1/webhooks/deliveries/{dead}/replay"),
    )
    .await;
    call(
        Method::POST,
        format!("/admin/v1/webhooks/deliveries/replay?endpoint={url}"),
    )
    .await;
    send(
        Method::POST,
        "/admin/v1/webhooks/test".to_owned(),
        serde_json::json!({"url": url}),
    )
    .await;
    crate::webhooks::until_settled(&watcher, 3).await;
    // And the hourly purge, once the events are past the retention: with
    // their deliveries and those deliveries' attempts.
    app.clock.advance(Duration::days(91));
    let purged = housekeeping::purge_webhook_events(&app.state)
        .await
        .unwrap();
    assert_eq!(purged, 3);

    let statements: Vec<Statement> = recorded.lock().unwrap().clone();
    let backend = app.backend();
    // A page may walk the users' id or phone index (or the enterprises'
    // or the deliveries' id) in order from its cursor, stopping at LIMIT
    // (no filter, or a name substring); anything else reading a whole
    // table has no index.
    let (explained, scans) = whole_table_reads(&app, &statements, |sql, plan| {
        let search_page = sql.starts_with("SELECT")
            && ["users", "enterprises", "webhook_deliveries"]
                .iter()
                .any(|table| sql.contains(&format!("FROM \"{table}\"")))
            && sql.contains("ORDER BY")
            && sql.contains("LIMIT");
        search_page && index_ordered_walk(backend, plan)
    })
    .await;
    assert!(
        explained >= 20,
        "only {explained} statements were explained"
    );
    // Both delivery views' reads of the attempts, and the purge's delete.
    let on_attempts = statements
        .iter()
        .filter(|s| {
            reads_rows(s.sql.trim_start()) && s.sql.contains("\"webhook_delivery_attempts\"")
        })
        .count();
    assert!(
        on_attempts >= 3,
        "only {on_attempts} statements on webhook_delivery_attempts were explained"
    );
    assert_none_read_a_whole_table(backend, explained, &scans);
}
