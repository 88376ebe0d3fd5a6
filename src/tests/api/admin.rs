//! The admin API (`serve --admin-listen`): only on its own listener, only
//! with an admin token, problem details for every error, and what support
//! staff do with it — search accounts page by page, look at one, disable,
//! enable, end its sessions, delete it — each change audited under the
//! token's name.

use std::collections::HashSet;

use account_api::flows::admin_tokens;
use chrono::Utc;
use entity::{audit_events, enterprises, users};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{DEVICE, OTHER_PHONE, PASSWORD, PHONE, TestApp, insert_application};

/// The content type of every admin error.
const PROBLEM_JSON: &str = "application/problem+json";

/// A server with the admin API on a loopback port, and a token named `support`.
pub async fn spawn_admin() -> (TestApp, String) {
    let app = TestApp::spawn_with(|settings| {
        settings.admin_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let token = admin_token(&app, "support").await;
    (app, token)
}

/// A new admin token named `name`.
pub async fn admin_token(app: &TestApp, name: &str) -> String {
    admin_tokens::create(app.db(), name, Utc::now())
        .await
        .unwrap()
        .unwrap()
        .reveal()
        .to_owned()
}

/// An answer of the admin API.
#[derive(Debug)]
pub struct AdminAnswer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl AdminAnswer {
    /// Sends `request` to the admin API and reads its answer.
    pub async fn read(request: reqwest::RequestBuilder) -> Self {
        let response = request.send().await.expect("the admin API answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            body,
            text,
        }
    }
}

/// Sends `method path` to the admin API with `token` (none when `None`).
pub async fn admin(app: &TestApp, token: Option<&str>, method: Method, path: &str) -> AdminAnswer {
    let client = reqwest::Client::new();
    let mut request = client.request(method, app.admin_url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    AdminAnswer::read(request).await
}

/// Asserts `answer` is a problem of `status` (naming `field` when given).
#[track_caller]
pub fn assert_problem(answer: &AdminAnswer, status: u16, field: Option<&str>) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    assert!(
        answer.content_type.starts_with(PROBLEM_JSON),
        "{} {}",
        answer.content_type,
        answer.text
    );
    assert_eq!(answer.body["status"], status, "{}", answer.text);
    assert!(answer.body["title"].is_string(), "{}", answer.text);
    assert!(answer.body["detail"].is_string(), "{}", answer.text);
    if let Some(field) = field {
        assert_eq!(answer.body["field"], field, "{}", answer.text);
    }
}

#[tokio::test]
async fn the_admin_api_is_served_on_its_own_listener_only() {
    let (app, token) = spawn_admin().await;
    // The public listener knows nothing of it.
    for path in ["/admin/v1/users", "/admin/openapi.json", "/admin/swagger/"] {
        let answer = app.send_with_token(Method::GET, path, &token).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
    }
    let public = app.get("/openapi.json").await;
    assert!(
        !public.text.contains("/admin"),
        "the public document lists admin paths"
    );

    // The admin listener serves its document, Swagger UI and operations.
    let document = admin(&app, None, Method::GET, "/admin/openapi.json").await;
    assert_eq!(document.status, 200, "{}", document.text);
    assert!(document.body["paths"]["/admin/v1/users"]["get"].is_object());
    assert_eq!(
        serde_json::from_str::<Value>(&account_api::api::admin::admin_json()).unwrap(),
        document.body
    );
    let swagger = admin(&app, None, Method::GET, "/admin/swagger").await;
    assert_eq!(swagger.status, 200);
    assert!(swagger.text.contains("swagger"), "{}", swagger.text);
    let listed = admin(&app, Some(&token), Method::GET, "/admin/v1/users").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    // ...and nothing of the public API.
    let login = admin(&app, None, Method::GET, "/api/v4.0/me").await;
    assert_problem(&login, 404, None);
    let wrong_method = admin(&app, Some(&token), Method::PUT, "/admin/v1/users").await;
    assert_problem(&wrong_method, 405, None);
}

#[tokio::test]
async fn a_missing_wrong_or_revoked_token_is_refused_with_401() {
    let (app, token) = spawn_admin().await;
    let session = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    let wrong = format!("adm_{}", "0".repeat(64));
    for presented in [None, Some(""), Some(wrong.as_str()), Some(session.as_str())] {
        let answer = admin(&app, presented, Method::GET, "/admin/v1/users").await;
        assert_problem(&answer, 401, None);
    }
    let ok = admin(&app, Some(&token), Method::GET, "/admin/v1/users").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    // Its use is recorded; revoked, it is refused at once.
    let stored = entity::admin_tokens::Entity::find()
        .all(app.db())
        .await
        .unwrap();
    assert!(stored[0].last_used_at.is_some());
    assert!(admin_tokens::revoke(app.db(), "support").await.unwrap());
    let revoked = admin(&app, Some(&token), Method::GET, "/admin/v1/users").await;
    assert_problem(&revoked, 401, None);
    // A change without a token changes nothing.
    let user_id = app.user(PHONE).await.unwrap().id;
    let disable = admin(
        &app,
        None,
        Method::POST,
        &format!("/admin/v1/users/{user_id}/disable"),
    )
    .await;
    assert_problem(&disable, 401, None);
    assert_eq!(app.user(PHONE).await.unwrap().disabled_at, None);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_field_and_unknown_users_404() {
    let (app, token) = spawn_admin().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("phone=123", "phone"),
        ("phone_prefix=13a", "phone_prefix"),
        ("phone_prefix=", "phone_prefix"),
        ("enterprise_id=x", "enterprise_id"),
        ("application_state=maybe", "application_state"),
        ("cursor=zz", "cursor"),
        ("name=", "name"),
    ] {
        let answer = admin(
            &app,
            Some(&token),
            Method::GET,
            &format!("/admin/v1/users?{query}"),
        )
        .await;
        assert_problem(&answer, 400, Some(field));
    }
    let unknown = "0".repeat(32);
    for (method, path) in [
        (Method::GET, format!("/admin/v1/users/{unknown}")),
        (Method::GET, "/admin/v1/users/not-an-id".to_owned()),
        (Method::POST, format!("/admin/v1/users/{unknown}/disable")),
        (Method::POST, format!("/admin/v1/users/{unknown}/enable")),
        (
            Method::POST,
            format!("/admin/v1/users/{unknown}/sessions/revoke"),
        ),
        (Method::DELETE, format!("/admin/v1/users/{unknown}")),
    ] {
        let answer = admin(&app, Some(&token), method.clone(), &path).await;
        assert_problem(&answer, 404, None);
    }
}

/// Inserts `count` users with phones `1990000xxxx` from `start`, names
/// `user-<n>`, every tenth a member of `enterprise`.
async fn seed_users(app: &TestApp, start: usize, count: usize, enterprise: Option<i64>) {
    let now = Utc::now();
    let rows: Vec<users::ActiveModel> = (start..start + count)
        .map(|n| users::ActiveModel {
            id: Set(uuid::Uuid::new_v4().simple().to_string()),
            phone: Set(format!("199{n:08}")),
            name: Set(format!("user-{n}")),
            password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
            device_identifier: Set("seed".to_owned()),
            enterprise_id: Set(enterprise.filter(|_| n % 10 == 0)),
            permissions: Set(serde_json::json!([])),
            created_at: Set(now),
            updated_at: Set(now),
            disabled_at: Set(None),
        })
        .collect();
    for chunk in rows.chunks(500) {
        users::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(app.db())
            .await
            .unwrap();
    }
}

/// Every page of `query` (without `cursor`), `limit` at a time: the user ids in order.
async fn walk(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/admin/v1/users?{query}&cursor={cursor}"),
            None => format!("/admin/v1/users?{query}"),
        };
        let page = admin(app, Some(token), Method::GET, &path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => {
                assert!(page.body["next_cursor"].is_null());
                return items;
            }
        }
    }
}

#[tokio::test]
async fn pages_list_every_user_exactly_once_while_users_are_added() {
    let (app, token) = spawn_admin().await;
    seed_users(&app, 0, 10_000, None).await;
    let before: HashSet<String> = users::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.id)
        .collect();
    // Inserts run while the pages are walked.
    let db = app.db().clone();
    let inserting = tokio::spawn(async move {
        for batch in 0..20 {
            let now = Utc::now();
            let rows: Vec<users::ActiveModel> = (0..25)
                .map(|n| users::ActiveModel {
                    id: Set(uuid::Uuid::new_v4().simple().to_string()),
                    phone: Set(format!("198{:08}", batch * 25 + n)),
                    name: Set("late".to_owned()),
                    password_hash: Set("x".to_owned()),
                    device_identifier: Set("seed".to_owned()),
                    enterprise_id: Set(None),
                    permissions: Set(serde_json::json!([])),
                    created_at: Set(now),
                    updated_at: Set(now),
                    disabled_at: Set(None),
                })
                .collect();
            users::Entity::insert_many(rows)
                .exec_without_returning(&db)
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    });
    for query in ["limit=500", "limit=500&phone_prefix=1"] {
        let items = walk(&app, &token, query).await;
        let ids: Vec<String> = items
            .iter()
            .map(|item| item["user_id"].as_str().unwrap().to_owned())
            .collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{query}: a user listed twice");
        for id in &before {
            assert!(unique.contains(id), "{query}: {id} missing");
        }
        let keys: Vec<&str> = items
            .iter()
            .map(|item| {
                item[if query.contains("phone") {
                    "phone"
                } else {
                    "user_id"
                }]
                .as_str()
                .unwrap()
            })
            .collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{query}");
    }
    inserting.await.unwrap();
    // The default page is 50, with the documented fields.
    let first = admin(&app, Some(&token), Method::GET, "/admin/v1/users").await;
    let items = first.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    let item = items[0].as_object().unwrap();
    assert_eq!(
        item.keys().collect::<Vec<_>>(),
        ["user_id", "phone", "name", "enterprise_id", "disabled"]
    );
    assert!(first.body["next_cursor"].is_string());
}

#[tokio::test]
async fn each_filter_finds_exactly_its_users() {
    let (app, token) = spawn_admin().await;
    let now = Utc::now();
    let enterprise = enterprises::Entity::insert(enterprises::ActiveModel {
        name: Set("Acme".to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .unwrap()
    .last_insert_id;
    seed_users(&app, 0, 300, Some(enterprise)).await;
    // Applications: user-1 pending, user-2 rejected then pending, user-3 approved.
    let id_of = |n: usize| {
        let app = &app;
        async move {
            users::Entity::find()
                .filter(users::Column::Phone.eq(format!("199{n:08}")))
                .one(app.db())
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    for (n, state) in [(1, 0), (2, -1), (2, 0), (3, 1)] {
        insert_application(&app, &id_of(n).await, enterprise, state).await;
    }
    let names = |items: Vec<Value>| -> Vec<String> {
        let mut names: Vec<String> = items
            .iter()
            .map(|item| item["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(walk(&app, &token, "phone=19900000042").await),
        ["user-42"]
    );
    assert_eq!(
        names(walk(&app, &token, "phone_prefix=1990000029&limit=3").await),
        (290..300).map(|n| format!("user-{n}")).collect::<Vec<_>>()
    );
    assert_eq!(
        names(walk(&app, &token, "name=er-29&limit=7").await),
        ["user-29"]
            .into_iter()
            .map(str::to_owned)
            .chain((290..300).map(|n| format!("user-{n}")))
            .collect::<Vec<_>>()
    );
    // `%` and `_` are themselves.
    assert!(walk(&app, &token, "name=%25").await.is_empty());
    assert!(walk(&app, &token, "name=user_1").await.is_empty());
    let members = walk(&app, &token, &format!("enterprise_id={enterprise}&limit=7")).await;
    assert_eq!(members.len(), 30);
    assert!(
        members
            .iter()
            .all(|item| item["enterprise_id"] == enterprise)
    );
    assert_eq!(
        names(walk(&app, &token, "application_state=pending").await),
        ["user-1", "user-2"]
    );
    assert_eq!(
        names(walk(&app, &token, "application_state=approved").await),
        ["user-3"]
    );
    assert!(
        walk(&app, &token, "application_state=rejected")
            .await
            .is_empty()
    );
    assert_eq!(
        names(
            walk(
                &app,
                &token,
                &format!("enterprise_id={enterprise}&phone_prefix=199000000&limit=2")
            )
            .await
        ),
        [
            "user-0", "user-10", "user-20", "user-30", "user-40", "user-50", "user-60", "user-70",
            "user-80", "user-90"
        ]
    );
    // A cursor of one order is refused by the other.
    let page = admin(&app, Some(&token), Method::GET, "/admin/v1/users?limit=1").await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let crossed = admin(
        &app,
        Some(&token),
        Method::GET,
        &format!("/admin/v1/users?phone_prefix=199&cursor={cursor}"),
    )
    .await;
    assert_problem(&crossed, 400, Some("cursor"));
}

/// The audit events naming the admin token `name`.
pub async fn admin_events(app: &TestApp, name: &str) -> Vec<audit_events::Model> {
    audit_events::Entity::find()
        .filter(audit_events::Column::AdminToken.eq(name))
        .all(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn one_user_is_shown_with_sessions_application_and_events() {
    let (app, token) = spawn_admin().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    app.login(PHONE, "wrong-password", DEVICE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    let shown = admin(
        &app,
        Some(&token),
        Method::GET,
        &format!("/admin/v1/users/{user_id}"),
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let body = &shown.body;
    assert_eq!(body["user_id"], user_id.as_str());
    assert_eq!(body["phone"], PHONE);
    assert_eq!(body["disabled"], false);
    assert_eq!(body["permissions"], serde_json::json!([]));
    assert!(body["application"].is_null());
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["live"], true);
    assert_eq!(sessions[0]["device"], DEVICE);
    let kinds: Vec<&str> = body["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"register") && kinds.contains(&"login"),
        "{kinds:?}"
    );
    // Reading changes nothing and is not audited.
    assert!(admin_events(&app, "support").await.is_empty());
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_log_in_until_enabled() {
    let (app, token) = spawn_admin().await;
    let session = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    let me = |token: String| {
        let app = &app;
        async move {
            app.send_with_token(Method::GET, "/api/v4.0/me", token)
                .await
        }
    };
    assert_eq!(me(session.clone()).await.code(), 200);

    let disabled = admin(
        &app,
        Some(&token),
        Method::POST,
        &format!("/admin/v1/users/{user_id}/disable"),
    )
    .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);
    assert_eq!(disabled.body["user_id"], user_id.as_str());
    assert_eq!(me(session.clone()).await.code(), 401);
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), -1, "{}", login.text);
    assert_eq!(login.msg(), "账号已停用");
    // A wrong password says nothing of the state.
    let wrong = app.login(PHONE, "wrong-password", DEVICE).await;
    assert_eq!(wrong.msg(), "手机号或密码错误");
    // No reset either: every step refuses it.
    let sent_before = app.sms.count();
    for path in [
        format!("/api/v4.0/sendsms/{PHONE}?expect=1"),
        format!("/api/v4.0/verify_code?phone={PHONE}&code=123456"),
        format!("/api/v4.0/forget_password?phone={PHONE}&password=654321"),
    ] {
        let refused = app.get(&path).await;
        assert_eq!(refused.msg(), "账号已停用", "{path}: {}", refused.text);
        assert!(
            refused.code() == -1 || refused.code() == "-1",
            "{path}: {}",
            refused.text
        );
    }
    assert_eq!(
        app.sms.count(),
        sent_before,
        "a code was sent to a disabled account"
    );
    // Still registered: the phone is taken.
    let registered = app
        .get(&format!("/api/v4.0/isregister/{PHONE}?expect=1"))
        .await;
    assert_eq!(registered.code(), 200, "{}", registered.text);

    let enabled = admin(
        &app,
        Some(&token),
        Method::POST,
        &format!("/admin/v1/users/{user_id}/enable"),
    )
    .await;
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    assert_eq!(enabled.body["disabled"], false);
    assert_eq!(me(session).await.code(), 401, "ended sessions stay ended");
    let login = app.login(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(login.code(), 200, "{}", login.text);

    let kinds: Vec<(String, Option<String>)> = admin_events(&app, "support")
        .await
        .into_iter()
        .map(|event| (event.kind, event.user_id))
        .collect();
    assert_eq!(
        kinds,
        [
            ("admin_disable".to_owned(), Some(user_id.clone())),
            ("admin_enable".to_owned(), Some(user_id)),
        ]
    );
}

#[tokio::test]
async fn revoking_sessions_ends_every_one_and_is_audited() {
    let (app, token) = spawn_admin().await;
    let first = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    let second = app.logged_in_token(PHONE, PASSWORD, "tablet").await;
    let other = app.registered_token(OTHER_PHONE, PASSWORD, DEVICE).await;
    let user_id = app.user(PHONE).await.unwrap().id;
    let revoked = admin(
        &app,
        Some(&token),
        Method::POST,
        &format!("/admin/v1/users/{user_id}/sessions/revoke"),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.body["revoked"], 2);
    for (session, code) in [(first, 401), (second, 401), (other, 200)] {
        let me = app
            .send_with_token(Method::GET, "/api/v4.0/me", session)
            .await;
        assert_eq!(me.code(), code);
    }
    let events = admin_events(&app, "support").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "admin_revoke_sessions");
    // The account logs in again.
    assert_eq!(app.login(PHONE, PASSWORD, DEVICE).await.code(), 200);
}

#[tokio::test]
async fn a_deleted_account_leaves_a_tombstone_without_its_phone_and_the_phone_registers_again() {
    let (app, token) = spawn_admin().await;
    let session = app.registered_token(PHONE, PASSWORD, DEVICE).await;
    app.get(&format!("/api/v4.0/sendsms/{PHONE}?expect=1"))
        .await;
    let user_id = app.user(PHONE).await.unwrap().id;
    let deleted = admin(
        &app,
        Some(&token),
        Method::DELETE,
        &format!("/admin/v1/users/{user_id}"),
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["user_id"], user_id.as_str());
    assert!(deleted.body["deleted_at"].is_string());
    assert!(app.user(PHONE).await.is_none());
    assert!(app.sessions_of(&user_id).await.is_empty());
    assert!(app.sms_codes_of(PHONE).await.is_empty());
    let me = app
        .send_with_token(Method::GET, "/api/v4.0/me", session)
        .await;
    assert_eq!(me.code(), 401);
    let again = admin(
        &app,
        Some(&token),
        Method::DELETE,
        &format!("/admin/v1/users/{user_id}"),
    )
    .await;
    assert_problem(&again, 404, None);

    let tombstones = admin_events(&app, "support").await;
    assert_eq!(tombstones.len(), 1);
    let tombstone = &tombstones[0];
    assert_eq!(tombstone.kind, "admin_delete");
    assert_eq!(tombstone.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(tombstone.phone, None);

    let registered = app.register(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(registered.code(), 200, "{}", registered.text);
    assert_ne!(app.user(PHONE).await.unwrap().id, user_id);
}
