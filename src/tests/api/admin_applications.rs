//! Enterprises, applications and memberships through the admin API, and the
//! user's side of applications (`GET enterprises`, `POST applications`):
//! the whole lifecycle — register, apply, list pending, approve with
//! permissions, the next login shows it — the reject path, decisions racing,
//! and every change audited under the admin token's name.

use std::collections::HashSet;

use entity::audit_events;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    admin::{AdminAnswer, admin_events, assert_problem, spawn_admin},
    helpers::{DEVICE, PASSWORD, PHONE, TestApp, TestResponse, admin_json, send_admin},
};

/// `GET path` of the admin API.
async fn get(app: &TestApp, token: &str, path: &str) -> AdminAnswer {
    call(app, token, Method::GET, path, None).await
}

/// Sends `method path` with the JSON `body` (none when `None`) to the admin API.
async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> AdminAnswer {
    let mut request = reqwest::Client::new()
        .request(method, app.admin_url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    AdminAnswer::read(request).await
}

/// Creates the enterprise `name`; its id.
async fn create_enterprise(app: &TestApp, token: &str, name: &str) -> i64 {
    let created = call(
        app,
        token,
        Method::POST,
        "/admin/v1/enterprises",
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.body["id"].as_i64().unwrap()
}

/// Registers `phone`; its session token.
async fn session_of(app: &TestApp, phone: &str) -> String {
    app.registered_token(phone, PASSWORD, DEVICE).await
}

/// `POST /api/v4.0/applications` with `enterprise_id` as a form, for `session`.
async fn apply(app: &TestApp, session: &str, enterprise_id: i64) -> TestResponse {
    app.send(
        app.request(Method::POST, "/api/v4.0/applications")
            .bearer_auth(session)
            .form(&[("enterprise_id", enterprise_id.to_string())]),
    )
    .await
}

/// `GET /api/v4.0/me` for `session`.
async fn me(app: &TestApp, session: &str) -> TestResponse {
    app.send_with_token(Method::GET, "/api/v4.0/me", session)
        .await
}

/// The id of the latest application of `phone`, through the admin list.
async fn pending_of(app: &TestApp, token: &str, user_id: &str) -> i64 {
    let listed = get(app, token, "/admin/v1/applications?state=pending").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["user_id"] == user_id)
        .unwrap_or_else(|| panic!("no pending application of {user_id}: {}", listed.text))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn enterprises_are_created_listed_with_members_renamed_and_deleted_when_empty() {
    let (app, token) = spawn_admin().await;
    let created = call(
        &app,
        &token,
        Method::POST,
        "/admin/v1/enterprises",
        Some(json!({"name": "  apple "})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let apple = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body, json!({"id": apple, "name": "apple"}));
    let banana = create_enterprise(&app, &token, "banana").await;
    let cherry = create_enterprise(&app, &token, "cherry").await;
    for body in [json!({"name": ""}), json!({"name": "x".repeat(33)})] {
        let refused = call(
            &app,
            &token,
            Method::POST,
            "/admin/v1/enterprises",
            Some(body),
        )
        .await;
        assert_problem(&refused, 400, Some("name"));
    }
    let no_body = call(&app, &token, Method::POST, "/admin/v1/enterprises", None).await;
    assert_problem(&no_body, 400, None);

    // A member of banana, through an approved application.
    let session = session_of(&app, PHONE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    assert_eq!(apply(&app, &session, banana).await.code(), 200);
    let application = pending_of(&app, &token, &user_id).await;
    let approved = call(
        &app,
        &token,
        Method::POST,
        &format!("/admin/v1/applications/{application}/approve"),
        Some(json!({"permissions": []})),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);

    // The list, a page at a time, with member counts.
    let mut items = Vec::new();
    let mut path = "/admin/v1/enterprises?limit=2".to_owned();
    loop {
        let page = get(&app, &token, &path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/admin/v1/enterprises?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let listed: Vec<(i64, &str, u64)> = items
        .iter()
        .map(|item| {
            (
                item["id"].as_i64().unwrap(),
                item["name"].as_str().unwrap(),
                item["members"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (apple, "apple", 0),
            (banana, "banana", 1),
            (cherry, "cherry", 0)
        ]
    );
    let named = get(&app, &token, "/admin/v1/enterprises?name=an").await;
    assert_eq!(named.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(named.body["items"][0]["id"], banana);
    for (query, field) in [
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
        ("name=", "name"),
    ] {
        let refused = get(&app, &token, &format!("/admin/v1/enterprises?{query}")).await;
        assert_problem(&refused, 400, Some(field));
    }

    // Renamed: the next login shows the new name.
    let renamed = call(
        &app,
        &token,
        Method::PATCH,
        &format!("/admin/v1/enterprises/{banana}"),
        Some(json!({"name": "Banana Ltd"})),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["name"], "Banana Ltd");
    assert_eq!(renamed.body["members"], 1);
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.data()["apply"]["apply_name"], "Banana Ltd");

    // Not deleted while it has a member; deleted once it has none.
    let refused = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/admin/v1/enterprises/{banana}"),
        None,
    )
    .await;
    assert_problem(&refused, 409, None);
    let removed = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/admin/v1/users/{user_id}/membership"),
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let deleted = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/admin/v1/enterprises/{banana}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body, json!({"id": banana}));
    for (method, body) in [
        (Method::DELETE, None),
        (Method::PATCH, Some(json!({"name": "x"}))),
    ] {
        let gone = call(
            &app,
            &token,
            method,
            &format!("/admin/v1/enterprises/{banana}"),
            body,
        )
        .await;
        assert_problem(&gone, 404, None);
    }
    let not_an_id = call(
        &app,
        &token,
        Method::DELETE,
        "/admin/v1/enterprises/x",
        None,
    )
    .await;
    assert_problem(&not_an_id, 404, None);

    // Each change is audited under the token, with what it concerned.
    let events: Vec<(String, Option<i64>)> = admin_events(&app, "support")
        .await
        .into_iter()
        .filter(|event| event.kind.starts_with("admin_enterprise"))
        .map(|event| (event.kind, event.enterprise_id))
        .collect();
    assert_eq!(
        events,
        [
            ("admin_enterprise_create".to_owned(), Some(apple)),
            ("admin_enterprise_create".to_owned(), Some(banana)),
            ("admin_enterprise_create".to_owned(), Some(cherry)),
            ("admin_enterprise_rename".to_owned(), Some(banana)),
            ("admin_enterprise_delete".to_owned(), Some(banana)),
        ]
    );
}

#[tokio::test]
async fn an_application_is_made_approved_with_permissions_and_shown_by_the_next_login() {
    let (app, token) = spawn_admin().await;
    let apple = create_enterprise(&app, &token, "apple").await;
    create_enterprise(&app, &token, "banana").await;
    let session = session_of(&app, PHONE).await;
    let user_id = app.user(PHONE).await.unwrap().id;

    // The picker: every enterprise, or those whose name matches.
    let all = app
        .send_with_token(Method::GET, "/api/v4.0/enterprises", &session)
        .await;
    assert_eq!(all.code(), 200, "{}", all.text);
    assert_eq!(
        all.data(),
        &json!({"enterprises": [{"id": apple, "name": "apple"}, {"id": apple + 1, "name": "banana"}]})
    );
    let matched = app
        .send(
            app.request(Method::GET, "/api/v4.0/enterprises?name=ppl")
                .header("token", &session),
        )
        .await;
    assert_eq!(
        matched.data(),
        &json!({"enterprises": [{"id": apple, "name": "apple"}]})
    );

    // Apply: the answer, login and /me show it pending at once.
    let applied = apply(&app, &session, apple).await;
    assert_eq!(applied.code(), 200, "{}", applied.text);
    assert_eq!(applied.msg(), "申请已提交");
    let pending = json!({"apply_eid": apple, "apply_name": "apple", "apply_state": "0"});
    assert_eq!(applied.data(), &pending);
    assert_eq!(me(&app, &session).await.data()["apply"], pending);
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.data()["apply"], pending);
    assert_eq!(login.data()["enterprise_id"], "-1");
    // One open application at a time.
    let again = apply(&app, &session, apple + 1).await;
    assert_eq!(again.code(), -1, "{}", again.text);
    assert_eq!(again.msg(), "已有待审核的申请");

    // Support staff find it pending and approve it with permissions.
    let listed = get(&app, &token, "/admin/v1/applications").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let item = &listed.body["items"][0];
    assert_eq!(item["user_id"], user_id.as_str());
    assert_eq!(item["enterprise_id"], apple);
    assert_eq!(item["state"], "pending");
    assert!(listed.body["next_cursor"].is_null());
    let id = item["id"].as_i64().unwrap();
    let bad = call(
        &app,
        &token,
        Method::POST,
        &format!("/admin/v1/applications/{id}/approve"),
        Some(json!({"permissions": [""]})),
    )
    .await;
    assert_problem(&bad, 400, Some("permissions"));
    let approved = call(
        &app,
        &token,
        Method::POST,
        &format!("/admin/v1/applications/{id}/approve"),
        Some(json!({"permissions": ["member", "approve_applications", "member"]})),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.body["application"]["state"], "approved");
    assert_eq!(
        approved.body["member"],
        json!({"user_id": user_id, "enterprise_id": apple, "permissions": ["member", "approve_applications"]})
    );
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);
    assert_eq!(login.data()["enterprise_id"], apple.to_string());
    assert_eq!(
        login.data()["pemissions"],
        json!(["member", "approve_applications"])
    );
    assert_eq!(
        login.data()["apply"],
        json!({"apply_eid": apple, "apply_name": "apple", "apply_state": "1"})
    );
    // A member does not apply to its own enterprise.
    let own = apply(&app, &session, apple).await;
    assert_eq!(own.msg(), "已是该企业成员");

    // Permissions replaced, then the membership removed.
    let set = call(
        &app,
        &token,
        Method::PUT,
        &format!("/admin/v1/users/{user_id}/permissions"),
        Some(json!({"permissions": ["viewer"]})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["permissions"], json!(["viewer"]));
    assert_eq!(
        me(&app, &session).await.data()["pemissions"],
        json!(["viewer"])
    );
    let removed = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/admin/v1/users/{user_id}/membership"),
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(
        removed.body,
        json!({"user_id": user_id, "enterprise_id": null, "permissions": []})
    );
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.data()["enterprise_id"], "-1");
    assert_eq!(login.data()["pemissions"], json!([]));
    let twice = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/admin/v1/users/{user_id}/membership"),
        None,
    )
    .await;
    assert_problem(&twice, 409, None);
    let unknown = "0".repeat(32);
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/admin/v1/users/{unknown}/permissions"),
            Some(json!({"permissions": []})),
        ),
        (
            Method::DELETE,
            format!("/admin/v1/users/{unknown}/membership"),
            None,
        ),
        (
            Method::POST,
            "/admin/v1/applications/999999/approve".to_owned(),
            Some(json!({"permissions": []})),
        ),
        (
            Method::POST,
            "/admin/v1/applications/999999/reject".to_owned(),
            None,
        ),
        (
            Method::POST,
            "/admin/v1/applications/-1/reject".to_owned(),
            None,
        ),
    ] {
        let answer = call(&app, &token, method, &path, body).await;
        assert_problem(&answer, 404, None);
    }

    let kinds: Vec<(String, Option<String>, Option<i64>)> = admin_events(&app, "support")
        .await
        .into_iter()
        .filter(|event| !event.kind.starts_with("admin_enterprise"))
        .map(|event| (event.kind, event.user_id, event.application_id))
        .collect();
    assert_eq!(
        kinds,
        [
            ("admin_approve".to_owned(), Some(user_id.clone()), Some(id)),
            ("admin_permissions".to_owned(), Some(user_id.clone()), None),
            ("admin_remove_membership".to_owned(), Some(user_id), None),
        ]
    );
}

#[tokio::test]
async fn a_rejected_user_sees_it_at_login_and_may_apply_again() {
    let (app, token) = spawn_admin().await;
    let apple = create_enterprise(&app, &token, "apple").await;
    let session = session_of(&app, PHONE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    // JSON works as a form does.
    let applied = app
        .send(
            app.request(Method::POST, "/api/v4.0/applications")
                .bearer_auth(&session)
                .json(&json!({"enterprise_id": apple})),
        )
        .await;
    assert_eq!(applied.code(), 200, "{}", applied.text);
    let id = pending_of(&app, &token, &user_id).await;
    let rejected = call(
        &app,
        &token,
        Method::POST,
        &format!("/admin/v1/applications/{id}/reject"),
        None,
    )
    .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    assert_eq!(rejected.body["application"]["state"], "rejected");
    assert_eq!(rejected.body["member"]["enterprise_id"], Value::Null);
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(
        login.data()["apply"],
        json!({"apply_eid": apple, "apply_name": "apple", "apply_state": "-1"})
    );
    assert_eq!(login.data()["enterprise_id"], "-1");
    // A decided application is decided once.
    let approve = call(
        &app,
        &token,
        Method::POST,
        &format!("/admin/v1/applications/{id}/approve"),
        Some(json!({"permissions": []})),
    )
    .await;
    assert_problem(&approve, 409, None);
    // Applying again is allowed after a rejection.
    let again = apply(&app, &session, apple).await;
    assert_eq!(again.code(), 200, "{}", again.text);
    assert_eq!(me(&app, &session).await.data()["apply"]["apply_state"], "0");
}

#[tokio::test]
async fn the_users_side_refuses_without_a_session_and_names_a_bad_field() {
    let (app, token) = spawn_admin().await;
    let apple = create_enterprise(&app, &token, "apple").await;
    let session = session_of(&app, PHONE).await;
    let no_session = app.get("/api/v4.0/enterprises").await;
    assert_eq!(no_session.code(), 401, "{}", no_session.text);
    let wrong = app
        .send(
            app.request(Method::POST, "/api/v4.0/applications")
                .bearer_auth("0".repeat(32))
                .form(&[("enterprise_id", apple.to_string())]),
        )
        .await;
    assert_eq!(wrong.code(), 401, "{}", wrong.text);
    for body in [
        vec![],
        vec![("enterprise_id", "0")],
        vec![("enterprise_id", "x")],
    ] {
        let refused = app
            .send(
                app.request(Method::POST, "/api/v4.0/applications")
                    .bearer_auth(&session)
                    .form(&body),
            )
            .await;
        assert_eq!(refused.code(), 400, "{body:?}: {}", refused.text);
        assert!(refused.msg().contains("enterprise_id"), "{}", refused.text);
    }
    let unknown = apply(&app, &session, apple + 100).await;
    assert_eq!(unknown.code(), -1, "{}", unknown.text);
    assert_eq!(unknown.msg(), "企业不存在");
    let long_name = app
        .send_with_token(
            Method::GET,
            &format!("/api/v4.0/enterprises?name={}", "x".repeat(33)),
            &session,
        )
        .await;
    assert_eq!(long_name.code(), 400, "{}", long_name.text);
    // Nothing was applied for.
    assert_eq!(me(&app, &session).await.data()["apply"], json!({}));
}

#[tokio::test]
async fn the_application_list_is_pending_first_filtered_and_paged() {
    let (app, token) = spawn_admin().await;
    let apple = create_enterprise(&app, &token, "apple").await;
    let banana = create_enterprise(&app, &token, "banana").await;
    // Six users: two rejected, one approved, three pending (one of them banana's).
    let phones: Vec<String> = (0..6).map(|n| format!("1770000000{n}")).collect();
    let mut ids = Vec::new();
    for (n, phone) in phones.iter().enumerate() {
        let session = session_of(&app, phone).await;
        let enterprise = if n == 5 { banana } else { apple };
        assert_eq!(apply(&app, &session, enterprise).await.code(), 200);
        let user_id = app.user(phone).await.unwrap().id;
        ids.push(pending_of(&app, &token, &user_id).await);
    }
    for (n, decision) in [(0, "reject"), (1, "approve"), (3, "reject")] {
        let decided = call(
            &app,
            &token,
            Method::POST,
            &format!("/admin/v1/applications/{}/{decision}", ids[n]),
            Some(json!({"permissions": []})),
        )
        .await;
        assert_eq!(decided.status, 200, "{}", decided.text);
    }
    let walk = |query: String| {
        let (app, token) = (&app, &token);
        async move {
            let mut items = Vec::new();
            let mut path = format!("/admin/v1/applications?{query}");
            loop {
                let page = get(app, token, &path).await;
                assert_eq!(page.status, 200, "{query}: {}", page.text);
                items.extend(
                    page.body["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|item| (item["id"].as_i64().unwrap(), item["state"].clone())),
                );
                match page.body["next_cursor"].as_str() {
                    Some(cursor) => {
                        path = format!("/admin/v1/applications?{query}&cursor={cursor}")
                    }
                    None => return items,
                }
            }
        }
    };
    let (pending, approved, rejected) = (json!("pending"), json!("approved"), json!("rejected"));
    let expected = vec![
        (ids[2], pending.clone()),
        (ids[4], pending.clone()),
        (ids[5], pending.clone()),
        (ids[1], approved.clone()),
        (ids[0], rejected.clone()),
        (ids[3], rejected.clone()),
    ];
    for limit in ["limit=1", "limit=2", "limit=4", "limit=50"] {
        assert_eq!(walk(limit.to_owned()).await, expected, "{limit}");
    }
    assert_eq!(
        walk("state=rejected&limit=1".to_owned()).await,
        [(ids[0], rejected.clone()), (ids[3], rejected)]
    );
    assert_eq!(
        walk(format!("enterprise_id={banana}")).await,
        [(ids[5], pending.clone())]
    );
    assert_eq!(
        walk(format!("enterprise_id={apple}&state=pending&limit=1")).await,
        [(ids[2], pending.clone()), (ids[4], pending)]
    );

    for (query, field) in [
        ("state=maybe", "state"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("enterprise_id=x", "enterprise_id"),
        ("cursor=zz", "cursor"),
    ] {
        let refused = get(&app, &token, &format!("/admin/v1/applications?{query}")).await;
        assert_problem(&refused, 400, Some(field));
    }
    // A cursor of the approved states is no cursor of the pending list.
    let page = get(
        &app,
        &token,
        "/admin/v1/applications?state=rejected&limit=1",
    )
    .await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let crossed = get(
        &app,
        &token,
        &format!("/admin/v1/applications?state=pending&cursor={cursor}"),
    )
    .await;
    assert_problem(&crossed, 400, Some("cursor"));
}

#[tokio::test]
async fn of_forty_concurrent_decisions_exactly_one_succeeds() {
    let (app, token) = spawn_admin().await;
    let apple = create_enterprise(&app, &token, "apple").await;
    let session = session_of(&app, PHONE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    assert_eq!(apply(&app, &session, apple).await.code(), 200);
    let id = pending_of(&app, &token, &user_id).await;
    let decisions = (0..40).map(|n| {
        let (app, token) = (&app, &token);
        async move {
            let (decision, body) = if n % 2 == 0 {
                ("approve", Some(json!({"permissions": [format!("p{n}")]})))
            } else {
                ("reject", None)
            };
            let answer = call(
                app,
                token,
                Method::POST,
                &format!("/admin/v1/applications/{id}/{decision}"),
                body,
            )
            .await;
            (decision, answer)
        }
    });
    let answers = futures_util::future::join_all(decisions).await;
    let winners: Vec<&(&str, AdminAnswer)> = answers
        .iter()
        .filter(|(_, answer)| answer.status == StatusCode::OK)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:#?}");
    for (_, answer) in &answers {
        if answer.status != StatusCode::OK {
            assert_problem(answer, 409, None);
        }
    }
    let (decision, winner) = winners[0];
    let state = if *decision == "approve" {
        "approved"
    } else {
        "rejected"
    };
    assert_eq!(winner.body["application"]["state"], state);
    let stored = get(&app, &token, &format!("/admin/v1/users/{user_id}")).await;
    assert_eq!(stored.body["application"]["state"], state);
    let rows: Vec<audit_events::Model> = admin_events(&app, "support")
        .await
        .into_iter()
        .filter(|event| event.application_id == Some(id))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(
        rows[0].kind,
        if *decision == "approve" {
            "admin_approve"
        } else {
            "admin_reject"
        }
    );
    // The membership is the winner's alone.
    let user = app.user(PHONE).await.unwrap();
    if *decision == "approve" {
        assert_eq!(user.enterprise_id, Some(apple));
        let permissions: HashSet<String> =
            serde_json::from_value(user.permissions.clone()).unwrap();
        assert_eq!(permissions.len(), 1);
    } else {
        assert_eq!(user.enterprise_id, None);
    }
}

/// The admin API's base URL of `server` (started with `--admin-listen`).
fn admin_base(server: &crate::server_process::ServerProcess) -> String {
    let address = server
        .logged_field("serving the admin API", "admin_address")
        .expect("the admin address in the log");
    format!("http://{address}/admin/v1")
}

#[tokio::test]
async fn two_instances_on_one_database_decide_once_and_a_disabled_account_is_refused_by_both() {
    use crate::{
        helpers::{on_postgresql_only, test_name},
        server_process::ServerProcess,
    };
    if !on_postgresql_only(
        test_name!(),
        "several instances share a PostgreSQL database; SQLite is one machine's file",
    ) {
        return;
    }
    let database = account_api::test_support::TestDatabase::create().await;
    let flags = ["--admin-listen", "127.0.0.1:0"];
    let first = ServerProcess::start(database.url(), &flags).await;
    let second = ServerProcess::start(database.url(), &flags).await;
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_account-api"))
        .args([
            "admin-token",
            "create",
            "--name",
            "support",
            "--database-url",
        ])
        .arg(database.url())
        .env_clear()
        .output()
        .expect("admin-token create runs");
    assert!(created.status.success(), "{created:?}");
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let (admin_first, admin_second) = (admin_base(&first), admin_base(&second));
    let client = reqwest::Client::new();

    let enterprise = admin_json(
        client
            .post(format!("{admin_first}/enterprises"))
            .json(&json!({"name": "apple"})),
        &token,
    )
    .await;
    let enterprise = enterprise["id"].as_i64().unwrap();
    let registered = first.register(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    let session = second.logged_in_token(PHONE, PASSWORD, DEVICE).await;
    let applied = second
        .send(
            second
                .request(Method::POST, "/api/v4.0/applications")
                .bearer_auth(&session)
                .form(&[("enterprise_id", enterprise.to_string())]),
        )
        .await;
    assert_eq!(applied.code(), 200, "{}", applied.text);
    let listed = admin_json(
        client.get(format!("{admin_second}/applications?state=pending")),
        &token,
    )
    .await;
    let id = listed["items"][0]["id"].as_i64().unwrap();

    // Twenty approvals through one instance, twenty rejections through the other.
    let decisions = (0..40).map(|n| {
        let (client, token) = (&client, &token);
        let url = if n % 2 == 0 {
            format!("{admin_first}/applications/{id}/approve")
        } else {
            format!("{admin_second}/applications/{id}/reject")
        };
        async move {
            let body = json!({"permissions": ["member"]});
            send_admin(client.post(url).json(&body), token)
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(decisions).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|status| *status == 200 || *status == 409),
        "{statuses:?}"
    );

    // Disabled through one instance: the other refuses the token and the login at once.
    let user_id = registered.data()["user_id"].as_str().unwrap().to_owned();
    let disabled = send_admin(
        client.post(format!("{admin_first}/users/{user_id}/disable")),
        &token,
    )
    .await;
    assert_eq!(disabled.status(), 200);
    let me = second
        .send_with_token(Method::GET, "/api/v4.0/me", &session)
        .await;
    assert_eq!(me.code(), 401, "{}", me.text);
    let login = second.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), -1, "{}", login.text);
    assert_eq!(login.msg(), "账号已停用");
}

#[tokio::test]
async fn applications_and_permissions_publish_their_events_in_order() {
    use crate::webhooks::{DEADLINE, Receiver, endpoint};
    let receiver = Receiver::start(&[]).await;
    let endpoints = vec![endpoint(&receiver.url, &[1])];
    let app = TestApp::spawn_with(move |settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        settings.webhooks = endpoints;
    })
    .await;
    let token = crate::admin::admin_token(&app, "support").await;
    let apple = create_enterprise(&app, &token, "apple").await;
    let session = session_of(&app, PHONE).await;
    let user_id = app.user(PHONE).await.unwrap().id;

    assert_eq!(apply(&app, &session, apple).await.code(), 200);
    let first = pending_of(&app, &token, &user_id).await;
    let path = format!("/admin/v1/applications/{first}/reject");
    assert_eq!(
        call(&app, &token, Method::POST, &path, None).await.status,
        200
    );
    assert_eq!(apply(&app, &session, apple).await.code(), 200);
    let second = pending_of(&app, &token, &user_id).await;
    let approve = json!({"permissions": ["member"]});
    let path = format!("/admin/v1/applications/{second}/approve");
    let approved = call(&app, &token, Method::POST, &path, Some(approve)).await;
    assert_eq!(approved.status, 200);
    let viewer = json!({"permissions": ["viewer"]});
    let path = format!("/admin/v1/users/{user_id}/permissions");
    assert_eq!(
        call(&app, &token, Method::PUT, &path, Some(viewer))
            .await
            .status,
        200
    );
    let path = format!("/admin/v1/users/{user_id}/membership");
    assert_eq!(
        call(&app, &token, Method::DELETE, &path, None).await.status,
        200
    );

    let expected = json!([
        {"type": "application.submitted", "data": {"user_id": user_id, "application_id": first, "enterprise_id": apple}},
        {"type": "application.rejected", "data": {"user_id": user_id, "application_id": first, "enterprise_id": apple}},
        {"type": "application.submitted", "data": {"user_id": user_id, "application_id": second, "enterprise_id": apple}},
        {"type": "application.approved", "data": {"user_id": user_id, "application_id": second, "enterprise_id": apple, "permissions": ["member"]}},
        {"type": "member.permissions_changed", "data": {"user_id": user_id, "enterprise_id": apple, "permissions": ["viewer"]}},
        {"type": "member.permissions_changed", "data": {"user_id": user_id, "enterprise_id": null, "permissions": []}},
    ]);
    let start = std::time::Instant::now();
    loop {
        let received: Vec<Value> = receiver
            .received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .filter(|body| {
                let kind = body["type"].as_str().unwrap_or_default();
                kind.starts_with("application.") || kind.starts_with("member.")
            })
            .map(|body| json!({"type": body["type"], "data": body["data"]}))
            .collect();
        if received.len() >= 6 {
            assert_eq!(Value::Array(received), expected);
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} of 6 events in time: {received:#?}",
            received.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
