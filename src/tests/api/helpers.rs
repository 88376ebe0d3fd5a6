//! A real server on a random port over a fresh database of the run's backend
//! (a SQLite file, or a new PostgreSQL database in the PostgreSQL run), and a
//! client whose every answer is checked against the server's own OpenAPI
//! document, by the contract checker's [`Contract`].
//!
//! The answer to a request the document has an operation for, with a status
//! that operation declares, is checked as the contract checker checks it
//! (status, declared headers, content type, body schema with `$ref`s
//! resolved). Transport failures the document cannot list (404 for a path it
//! does not have, 405 for a method a path does not have, or a 408, 413 or 500
//! an operation does not declare) are checked against the transport
//! envelopes it defines in `components`.

use std::{
    ops::Deref,
    sync::{Arc, Mutex},
};

use account_api::{
    password_hasher::HashCost,
    settings::Settings,
    sms_sender::SmsSender,
    startup::{BackgroundTasks, StatementObserver},
    state::AppState,
    test_support::{
        Backend, ManualClock, RecordingSender, ServerOptions, TestDatabase, TestServer, say,
    },
};
use contract_tests::{Contract, Document, Violation, ViolationKind, http::HttpResponse};
use reqwest::{
    Method, RequestBuilder,
    header::{CONTENT_TYPE, HeaderMap},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    Statement,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The content type of every envelope.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Where the documented account operations live.
pub const API_PREFIX: &str = "/api/v4.0/";

/// The phone number of the original document's examples.
pub const PHONE: &str = "13126939916";
/// Another valid phone number.
pub const OTHER_PHONE: &str = "13800138000";
/// The password of the original document's register example.
pub const PASSWORD: &str = "123456";
/// The name of the original document's register example (于连林).
pub const NAME: &str = "于连林";
/// The device of the original document's examples.
pub const DEVICE: &str = "uuid";

/// A running server with its own database, stopped when dropped.
///
/// It dereferences to its [`ApiClient`], so `app.get(..)`, `app.register(..)`
/// and `app.address` work on it directly.
pub struct TestApp {
    /// Every SMS the server sent.
    pub sms: Arc<RecordingSender>,
    /// The server's clock, moved by tests instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The server's state, for calling flows directly.
    pub state: AppState,
    client: ApiClient,
    db: DatabaseConnection,
    // Dropped last: the server, then its database.
    server: TestServer,
}

/// An HTTP client of one server that checks every answer against the
/// OpenAPI document the server publishes. Clones share the connection pool.
#[derive(Clone)]
pub struct ApiClient {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The port the server listens on.
    pub port: u16,
    client: reqwest::Client,
    contract: Arc<Contract>,
}

/// An answer, already checked against the OpenAPI document.
#[derive(Debug)]
pub struct TestResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub text: String,
    /// The body parsed as JSON, or `Null` when it is not JSON.
    pub body: Value,
}

impl TestResponse {
    /// The envelope's `code`.
    pub fn code(&self) -> &Value {
        &self.body["code"]
    }

    /// The envelope's `msg`.
    pub fn msg(&self) -> &str {
        self.body["msg"]
            .as_str()
            .unwrap_or_else(|| panic!("no string msg in {}", self.body))
    }

    /// The envelope's `data`.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl TestApp {
    /// Builds and starts a server on 127.0.0.1 port 0 over a fresh database,
    /// with verification off and the send limits lifted.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// As [`TestApp::spawn`], with the settings changed by `configure` (which
    /// sees the lifted send limits and may restore `LimitSettings::default()`).
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let sms = Arc::new(RecordingSender::default());
        Self::spawn_custom(configure, sms.clone(), sms).await
    }

    /// As [`TestApp::spawn_with`], with `sender` in place of the recording one.
    pub async fn spawn_with_sender(
        configure: impl FnOnce(&mut Settings),
        sender: Arc<dyn SmsSender>,
    ) -> Self {
        Self::spawn_custom(configure, sender, Arc::new(RecordingSender::default())).await
    }

    /// As [`TestApp::spawn_with`], over `database` instead of a fresh one.
    pub async fn spawn_on(database: TestDatabase, configure: impl FnOnce(&mut Settings)) -> Self {
        let sms = Arc::new(RecordingSender::default());
        Self::spawn_custom_on(database, configure, sms.clone(), sms).await
    }

    /// As [`TestApp::spawn_on`], with the hourly purge running as in a
    /// deployed server (its first run at start-up); the other servers of
    /// the tests hold it, so that it races none of them.
    pub async fn spawn_on_with_background_tasks(
        database: TestDatabase,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let sms = Arc::new(RecordingSender::default());
        let options = ServerOptions {
            background_tasks: Some(BackgroundTasks::Run),
            ..ServerOptions::default()
        };
        Self::spawn_full(database, configure, sms.clone(), sms, options).await
    }

    /// As [`TestApp::spawn_with`], hashing at OWASP's cost as a deployed
    /// server does (the other test servers hash at the lightest): for tests
    /// whose point is how long hashes take, such as a flood that must find
    /// the hashing queue full.
    pub async fn spawn_hashing_at_full_cost(configure: impl FnOnce(&mut Settings)) -> Self {
        let sms = Arc::new(RecordingSender::default());
        let options = ServerOptions {
            hash_cost: Some(HashCost::OWASP),
            ..ServerOptions::default()
        };
        Self::spawn_full(
            TestDatabase::create().await,
            configure,
            sms.clone(),
            sms,
            options,
        )
        .await
    }

    /// As [`TestApp::spawn_with`], also recording every statement the
    /// server runs through its pool (after its migrations).
    pub async fn spawn_recording_statements(
        configure: impl FnOnce(&mut Settings),
    ) -> (Self, Arc<Mutex<Vec<Statement>>>) {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let recorder = Arc::clone(&recorded);
        let observer: StatementObserver = Arc::new(move |statement: &Statement| {
            recorder.lock().unwrap().push(statement.clone());
        });
        let sms = Arc::new(RecordingSender::default());
        let options = ServerOptions {
            statement_observer: Some(observer),
            ..ServerOptions::default()
        };
        let app = Self::spawn_full(
            TestDatabase::create().await,
            configure,
            sms.clone(),
            sms,
            options,
        )
        .await;
        (app, recorded)
    }

    async fn spawn_custom(
        configure: impl FnOnce(&mut Settings),
        sender: Arc<dyn SmsSender>,
        sms: Arc<RecordingSender>,
    ) -> Self {
        let database = TestDatabase::create().await;
        Self::spawn_custom_on(database, configure, sender, sms).await
    }

    async fn spawn_custom_on(
        database: TestDatabase,
        configure: impl FnOnce(&mut Settings),
        sender: Arc<dyn SmsSender>,
        sms: Arc<RecordingSender>,
    ) -> Self {
        Self::spawn_full(database, configure, sender, sms, ServerOptions::default()).await
    }

    /// A server over `database` with `sender`, and `options` beyond its
    /// database and sender.
    async fn spawn_full(
        database: TestDatabase,
        configure: impl FnOnce(&mut Settings),
        sender: Arc<dyn SmsSender>,
        sms: Arc<RecordingSender>,
        options: ServerOptions,
    ) -> Self {
        log_server_warnings();
        let configure = |settings: &mut Settings| {
            // Most tests cover the documented operations, not the abuse
            // limits: lift the send limits so one test may send a phone
            // several codes.
            let limits = &mut settings.limits;
            limits.sends_per_phone_per_minute = 1_000;
            limits.sends_per_phone_per_hour = 1_000;
            limits.sends_per_phone_per_day = 1_000;
            limits.sends_per_address_per_hour = 1_000;
            configure(settings);
        };
        let options = ServerOptions {
            database: Some(database),
            sender: Some(sender),
            ..options
        };
        let server = TestServer::start(configure, options).await;
        Self {
            sms,
            clock: server.clock.clone(),
            state: server.state.clone(),
            client: ApiClient::connect(server.port).await,
            db: server.state.db.clone(),
            server,
        }
    }

    /// A client of this server whose connections come from `address` (one
    /// of 127.0.0.0/8), a client address other than the tests' 127.0.0.1.
    pub async fn client_from(&self, address: &str) -> ApiClient {
        ApiClient::connect_from(self.port, Some(address.parse().expect("an IP address"))).await
    }

    /// `http://127.0.0.1:<admin port><path>`: the admin API (started with
    /// `--admin-listen`).
    pub fn admin_url(&self, path: &str) -> String {
        let port = self
            .server
            .admin_port
            .expect("the server was started with --admin-listen");
        format!("http://127.0.0.1:{port}{path}")
    }

    /// The backend of this server's database.
    pub fn backend(&self) -> Backend {
        self.server.database().backend()
    }

    /// Everything the database stores, as text: for SQLite the bytes of the
    /// database file and its write-ahead log, for PostgreSQL every row of
    /// every table in its text form.
    pub async fn everything_stored(&self) -> String {
        match self.server.database().sqlite_dir() {
            Some(dir) => {
                let mut stored = Vec::new();
                for entry in std::fs::read_dir(dir).expect("the database directory") {
                    stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
                }
                String::from_utf8_lossy(&stored).into_owned()
            }
            None => {
                let backend = self.db.get_database_backend();
                let tables = self
                    .db
                    .query_all_raw(Statement::from_string(
                        backend,
                        "SELECT table_name::text FROM information_schema.tables \
                         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                    ))
                    .await
                    .expect("the list of tables");
                let mut stored = String::new();
                for table in tables {
                    let table: String = table.try_get_by_index(0).unwrap();
                    let rows = self
                        .db
                        .query_all_raw(Statement::from_string(
                            backend,
                            format!("SELECT CAST(t AS text) FROM \"{table}\" AS t"),
                        ))
                        .await
                        .expect("the rows of a table");
                    for row in rows {
                        stored.push_str(&row.try_get_by_index::<String>(0).unwrap());
                        stored.push('\n');
                    }
                }
                stored
            }
        }
    }

    /// The directory of the SQLite database file (SQLite only).
    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        self.server.database().sqlite_dir()
    }

    /// The database, for looking at rows and inserting what no API creates yet.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A connection of the test's own to the server's database: its
    /// statements are not among those a recording server records.
    pub async fn own_connection(&self) -> DatabaseConnection {
        sea_orm::Database::connect(self.server.database().url())
            .await
            .expect("a connection of the test's own to the server's database")
    }

    /// The user row of `phone`.
    pub async fn user(&self, phone: &str) -> Option<entity::users::Model> {
        entity::users::Entity::find()
            .filter(entity::users::Column::Phone.eq(phone))
            .one(self.db())
            .await
            .expect("the users table can be read")
    }

    /// Every session of `user_id`, oldest first.
    pub async fn sessions_of(&self, user_id: &str) -> Vec<entity::sessions::Model> {
        entity::sessions::Entity::find()
            .filter(entity::sessions::Column::UserId.eq(user_id))
            .order_by_asc(entity::sessions::Column::Id)
            .all(self.db())
            .await
            .expect("the sessions table can be read")
    }

    /// Every stored SMS code of `phone`.
    pub async fn sms_codes_of(&self, phone: &str) -> Vec<entity::sms_codes::Model> {
        entity::sms_codes::Entity::find()
            .filter(entity::sms_codes::Column::Phone.eq(phone))
            .order_by_asc(entity::sms_codes::Column::Purpose)
            .all(self.db())
            .await
            .expect("the sms_codes table can be read")
    }
}

impl Deref for TestApp {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl ApiClient {
    /// A client of the server on 127.0.0.1 `port`, with the document it serves.
    pub async fn connect(port: u16) -> Self {
        Self::connect_from(port, None).await
    }

    /// As [`ApiClient::connect`], with connections from the local address
    /// `from` (e.g. `127.0.0.2`: on Linux all of 127.0.0.0/8 is loopback), so
    /// the server sees another client address.
    pub async fn connect_from(port: u16, from: Option<std::net::IpAddr>) -> Self {
        let address = format!("http://127.0.0.1:{port}");
        // reqwest is built with `rustls-no-provider` for the server's HTTP SMS
        // sender; a client needs a provider even for plain HTTP.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from)
            .build()
            .expect("a client");
        // `Connection: close`: no pooled connection is left behind, so a
        // test of the connection cap starts with none open.
        let document = client
            .get(format!("{address}/openapi.json"))
            .header(reqwest::header::CONNECTION, "close")
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("the OpenAPI document arrives");
        Self {
            address,
            port,
            client,
            contract: contract_of(&document),
        }
    }

    /// The served OpenAPI document.
    pub fn document(&self) -> &Value {
        &self.contract.document.json
    }

    /// What the served document says is wrong with `body`, sent as
    /// [`JSON_UTF8`] with HTTP `status` in answer to `method path`: the
    /// check behind every request, on the body alone (no headers); empty
    /// when nothing is, or the document does not describe such an answer.
    pub fn violations(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<Violation> {
        let answer = HttpResponse {
            status,
            content_type: Some(JSON_UTF8.to_owned()),
            headers: vec![("content-type".to_owned(), JSON_UTF8.to_owned())],
            body: body.to_string().into_bytes(),
        };
        let mut violations = self
            .document_violations(method, path, &answer)
            .unwrap_or_default();
        violations.retain(|violation| violation.kind != ViolationKind::BadHeader);
        violations
    }

    /// Every way `answer` to `method path` breaks the served document, or
    /// `None` when the document does not describe it (Swagger UI, the
    /// document itself, a redirect, a 503 before any request was read).
    fn document_violations(
        &self,
        method: &str,
        path: &str,
        answer: &HttpResponse,
    ) -> Option<Vec<Violation>> {
        let mut violations = self.contract.check_answer(method, path, answer);
        // "No 5xx for any input" is the contract checker's rule for the
        // requests it generates; this suite provokes documented 500s on
        // purpose (a database outage) and asserts every status itself.
        violations.retain(|violation| violation.kind != ViolationKind::ServerError);
        let declared = !violations.iter().any(|violation| {
            matches!(
                violation.kind,
                ViolationKind::UndocumentedOperation | ViolationKind::UndeclaredStatus
            )
        });
        if declared {
            Some(violations)
        } else if is_transport_failure(answer.status) {
            Some(
                self.contract
                    .check_as(transport_envelope(path), JSON_UTF8, answer),
            )
        } else {
            None
        }
    }

    /// The full URL of `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.address)
    }

    /// A request builder for `method` on `path_and_query`; send it with [`ApiClient::send`].
    pub fn request(&self, method: Method, path_and_query: &str) -> RequestBuilder {
        self.client.request(method, self.url(path_and_query))
    }

    /// `GET path_and_query`.
    pub async fn get(&self, path_and_query: &str) -> TestResponse {
        self.send(self.request(Method::GET, path_and_query)).await
    }

    /// `method path_and_query` without a body, with the session `token`.
    pub async fn send_with_token(
        &self,
        method: Method,
        path_and_query: &str,
        token: impl std::fmt::Display,
    ) -> TestResponse {
        self.send(self.request(method, path_and_query).bearer_auth(token))
            .await
    }

    /// `POST path` with a URL-encoded form body.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.send(self.request(Method::POST, path).form(fields))
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// `POST path_and_query` with an empty body, as the original examples do.
    pub async fn post_query_only(&self, path_and_query: &str) -> TestResponse {
        self.send(self.request(Method::POST, path_and_query)).await
    }

    /// `POST path` with `body` sent as `content_type`.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> TestResponse {
        self.send(
            self.request(Method::POST, path)
                .header(CONTENT_TYPE, content_type)
                .body(body.to_owned()),
        )
        .await
    }

    /// Sends `request` and checks the answer against the OpenAPI document.
    pub async fn send(&self, request: RequestBuilder) -> TestResponse {
        let request = request.build().expect("a valid request");
        let method = request.method().to_string();
        let path = request.url().path().to_owned();
        self.try_send_built(request)
            .await
            .unwrap_or_else(|err| panic!("{method} {path} failed: {err}"))
    }

    /// As [`ApiClient::send`], but a request that gets no answer (the server
    /// is gone) is an error instead of a panic.
    pub async fn try_send(&self, request: RequestBuilder) -> Result<TestResponse, reqwest::Error> {
        self.try_send_built(request.build().expect("a valid request"))
            .await
    }

    async fn try_send_built(
        &self,
        request: reqwest::Request,
    ) -> Result<TestResponse, reqwest::Error> {
        let method = request.method().to_string();
        let path = request.url().path().to_owned();
        let response = self.client.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        Ok(self.checked(&method, &path, status, headers, text))
    }

    /// Parses and checks an answer received some other way (a raw socket).
    pub fn checked(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: HeaderMap,
        text: String,
    ) -> TestResponse {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let is_json = content_type.is_some_and(|ct| ct.starts_with("application/json"));
        let body = if is_json {
            serde_json::from_str(&text).unwrap_or_else(|err| {
                panic!("{method} {path} answered invalid JSON ({err}): {text}")
            })
        } else {
            Value::Null
        };
        self.assert_documented(method, path, status, &headers, &text);
        TestResponse {
            status,
            headers,
            text,
            body,
        }
    }

    /// Panics unless the answer (`status`, `headers`, `text`) to `method
    /// path` is what the served document promises.
    fn assert_documented(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        text: &str,
    ) {
        let what = format!("{method} {path} answered HTTP {status}");
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        // Only `/metrics` speaks text: Prometheus's exposition format.
        assert!(
            path == "/metrics" || !content_type.is_some_and(|ct| ct.starts_with("text/plain")),
            "{what} in text/plain: {text}"
        );
        let envelope_expected = path.starts_with(API_PREFIX) || is_transport_failure(status);
        if envelope_expected {
            assert_eq!(
                content_type,
                Some(JSON_UTF8),
                "{what} with the wrong content type"
            );
        }
        let answer = HttpResponse {
            status,
            content_type: content_type.map(str::to_owned),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: text.as_bytes().to_vec(),
        };
        match self.document_violations(method, path, &answer) {
            None => assert!(
                !envelope_expected,
                "{what}, which the document does not describe: {text}"
            ),
            Some(violations) => assert!(
                violations.is_empty(),
                "{what}, which the document does not allow:\n{}\nbody: {text}",
                violations
                    .iter()
                    .map(|violation| format!("- {violation}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    /// Registers `phone` with `password` on `device` (name 于连林) and returns the answer.
    pub async fn register(&self, phone: &str, password: &str, device: &str) -> TestResponse {
        self.send(self.register_request(phone, password, device))
            .await
    }

    /// The request [`ApiClient::register`] sends (code `123456`).
    pub fn register_request(&self, phone: &str, password: &str, device: &str) -> RequestBuilder {
        self.request(Method::POST, "/api/v4.0/register").form(&[
            ("phone", phone),
            ("name", NAME),
            ("password", password),
            ("device_identifier", device),
            ("code", "123456"),
        ])
    }

    /// Registers `phone` and panics unless it worked; returns the `data`.
    pub async fn registered(&self, phone: &str, password: &str, device: &str) -> Value {
        let response = self.register(phone, password, device).await;
        assert_eq!(
            response.code(),
            200,
            "registration failed: {}",
            response.text
        );
        response.data().clone()
    }

    /// Registers the account (see [`TestApp::registered`]) and returns its
    /// session token.
    pub async fn registered_token(&self, phone: &str, password: &str, device: &str) -> String {
        self.registered(phone, password, device).await["token"]
            .as_str()
            .expect("a registration's token")
            .to_owned()
    }

    /// Logs in with a form and returns the answer.
    pub async fn login(&self, phone: &str, password: &str, device: &str) -> TestResponse {
        self.post_form(
            "/api/v4.0/login",
            &[
                ("phone", phone),
                ("password", password),
                ("device_identifier", device),
            ],
        )
        .await
    }

    /// Logs in with a form and returns the new session's token.
    pub async fn logged_in_token(&self, phone: &str, password: &str, device: &str) -> String {
        self.login(phone, password, device).await.data()["token"]
            .as_str()
            .expect("a login's token")
            .to_owned()
    }
}

/// The compiled contract of the served document `text`: compiled once per
/// distinct document for the whole run, not once per test.
fn contract_of(text: &str) -> Arc<Contract> {
    static CONTRACTS: Mutex<Vec<(String, Arc<Contract>)>> = Mutex::new(Vec::new());
    let mut contracts = CONTRACTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, contract)) = contracts.iter().find(|(served, _)| served == text) {
        return Arc::clone(contract);
    }
    let document = Document::parse(text)
        .unwrap_or_else(|err| panic!("the served OpenAPI document is unusable: {err}"));
    assert_eq!(
        document.json["openapi"], "3.0.0",
        "the served document is not OpenAPI 3.0.0"
    );
    let contract = Arc::new(
        Contract::new(document)
            .unwrap_or_else(|err| panic!("the served document does not compile: {err}")),
    );
    contracts.push((text.to_owned(), Arc::clone(&contract)));
    contract
}

/// The statuses every path may answer with a transport envelope.
fn is_transport_failure(status: u16) -> bool {
    matches!(status, 404 | 405 | 408 | 413 | 500)
}

/// The transport envelope of an answer to `path`: sendsms's has a string code and no data.
fn transport_envelope(path: &str) -> &'static str {
    let sendsms = format!("{API_PREFIX}sendsms");
    if path == sendsms || path.starts_with(&format!("{sendsms}/")) {
        "#/components/schemas/SendSmsTransportFailure"
    } else {
        "#/components/schemas/TransportFailure"
    }
}

/// The path of the test function it is used in, e.g. `api::limits::one_send_per_phone`.
macro_rules! test_name {
    () => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        let name = name.strip_suffix("::here").unwrap_or(name);
        name.trim_end_matches("::{{closure}}")
    }};
}
pub(crate) use test_name;

/// Whether this run's backend is PostgreSQL; otherwise says on standard
/// error that `test` does not apply here and why, so no skip is silent.
pub fn on_postgresql_only(test: &str, why: &str) -> bool {
    if Backend::current() == Backend::Postgres {
        return true;
    }
    say(&format!(
        "SKIPPED on SQLite: {test}: {why}; it runs in the PostgreSQL run \
         (postgres::the_whole_suite_passes_on_postgresql, with TEST_POSTGRES_URL set)"
    ));
    false
}

/// Whether this run's backend is SQLite; otherwise says on standard error
/// that `test` does not apply to PostgreSQL and why, so no skip is silent.
pub fn on_sqlite_only(test: &str, why: &str) -> bool {
    if Backend::current() == Backend::Sqlite {
        return true;
    }
    say(&format!(
        "SKIPPED on PostgreSQL: {test}: {why}; it runs in the SQLite run"
    ));
    false
}

/// Sends the server's warnings and errors (with their causes) to the test's
/// output, which the harness shows when the test fails. `RUST_LOG` overrides.
fn log_server_warnings() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// Whether `text` is 32 lowercase hex characters.
pub fn is_hex32(text: &str) -> bool {
    is_lower_hex(text, 32)
}

/// Whether `text` is `len` lowercase hex characters.
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sends an admin API `request` (to any server) with the admin `token`.
pub async fn send_admin(request: RequestBuilder, token: &str) -> reqwest::Response {
    request
        .bearer_auth(token)
        .send()
        .await
        .expect("the admin API answers")
}

/// [`send_admin`], its answer read as JSON.
pub async fn admin_json(request: RequestBuilder, token: &str) -> Value {
    send_admin(request, token)
        .await
        .json()
        .await
        .expect("a JSON answer")
}

/// The SHA-256 of `token` in lowercase hex, as sessions must store it.
pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Panics unless `response` is the numeric-code "bad parameter" answer naming `field`.
#[track_caller]
pub fn assert_bad_parameter(response: &TestResponse, field: &str, case: &str) {
    assert_eq!(response.status, 200, "{case}: {}", response.text);
    assert_eq!(response.code(), &json!(400), "{case}: {}", response.text);
    assert_eq!(response.data(), &json!(""), "{case}: {}", response.text);
    let prefix = format!("参数错误: {field} ");
    assert!(
        response.msg().starts_with(&prefix),
        "{case}: msg {:?} does not start with {prefix:?}",
        response.msg()
    );
}

/// Panics unless `response` is sendsms's string-code "bad parameter" answer naming `field`.
#[track_caller]
pub fn assert_sendsms_bad_parameter(response: &TestResponse, field: &str, case: &str) {
    assert_eq!(response.status, 200, "{case}: {}", response.text);
    assert_eq!(response.code(), &json!("400"), "{case}: {}", response.text);
    assert!(
        response.body.get("data").is_none(),
        "{case}: sendsms sent data: {}",
        response.text
    );
    let prefix = format!("参数错误: {field} ");
    assert!(
        response.msg().starts_with(&prefix),
        "{case}: msg {:?} does not start with {prefix:?}",
        response.msg()
    );
}

/// The wrong shapes of a phone number, each with what it is.
pub const BAD_PHONES: &[(&str, &str)] = &[
    ("1312693991", "10 digits"),
    ("131269399160", "12 digits"),
    ("23126939916", "starting with 2"),
    ("1312693991a", "a letter"),
    ("abcdefghijk", "letters"),
    ("１３１２６９３９９１６", "full-width digits"),
    ("1312693991６", "one full-width digit"),
    ("+8613126939916", "a country code"),
    (" 13126939916", "a leading space"),
];

/// `text` percent-encoded for a URL path segment or query value.
pub fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A query string of `fields`, percent-encoded.
pub fn query(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `fields` as a JSON object of strings.
pub fn json_object(fields: &[(&str, &str)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
            .collect(),
    )
}

/// `fields` with `field` replaced by `value` (or removed for `None`).
pub fn with_field<'a>(
    fields: &[(&'a str, &'a str)],
    field: &str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut changed: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(name, _)| *name != field)
        .collect();
    if let Some(value) = value {
        let name = fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(name, _)| *name)
            .expect("the field exists");
        changed.push((name, value));
    }
    changed
}

/// Sends `fields` to `path` in all four ways the contract allows for a
/// "POST优先, GET" operation and panics unless each is refused naming `field`.
pub async fn assert_refused_in_every_encoding(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    field: &str,
    case: &str,
) {
    let by_get = app.get(&format!("{path}?{}", query(fields))).await;
    assert_bad_parameter(&by_get, field, &format!("{case} (GET)"));
    let by_form = app.post_form(path, fields).await;
    assert_bad_parameter(&by_form, field, &format!("{case} (POST form)"));
    let by_json = app.post_json(path, &json_object(fields)).await;
    assert_bad_parameter(&by_json, field, &format!("{case} (POST JSON)"));
    if !fields.is_empty() {
        let by_query = app
            .post_query_only(&format!("{path}?{}", query(fields)))
            .await;
        assert_bad_parameter(&by_query, field, &format!("{case} (POST query only)"));
    }
}

/// With verification on: sends a sign-up code to `phone`, registers it with
/// that code and `password`, and returns the `data`.
pub async fn register_with_sign_up_code(app: &TestApp, phone: &str, password: &str) -> Value {
    let sent = app
        .get(&format!("/api/v4.0/sendsms/{phone}?expect=0"))
        .await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    let code = app.sms.last_code_for(phone).expect("a code was sent");
    let response = app
        .post_form(
            "/api/v4.0/register",
            &[
                ("phone", phone),
                ("name", NAME),
                ("password", password),
                ("device_identifier", DEVICE),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(response.code(), 200, "{}", response.text);
    response.data().clone()
}

/// With verification on: sends a reset code to `phone` through `app`'s own
/// client and returns it.
pub async fn reset_code_sent(app: &TestApp, phone: &str) -> String {
    let sent = app
        .get(&format!("/api/v4.0/sendsms/{phone}?expect=1"))
        .await;
    assert_eq!(sent.code(), &json!("200"), "{}", sent.text);
    app.sms.last_code_for(phone).expect("a code was sent")
}

/// Asserts `response` is the rate limit's refusal (its message) and returns
/// its `Retry-After` in seconds.
#[track_caller]
pub fn limited_retry_after(response: &TestResponse) -> u64 {
    assert_eq!(
        response.msg(),
        "操作太频繁，请稍后再试",
        "{}",
        response.text
    );
    response
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds")
}

/// The value of the counter `series` (e.g. `name{label="value"}`) in the
/// `/metrics` text format, 0 while it has no sample.
pub fn metrics_counter(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The status and headers of a raw HTTP/1.1 answer's `head` (status line and
/// header lines, without the blank line).
pub fn parse_answer_head(head: &str) -> (u16, HeaderMap) {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    (status, headers)
}

/// Awaits concurrent `answers` and splits them into those refused after a
/// check (code -1) and those refused by a limit (code 429); any other answer
/// fails the test.
pub async fn refused_and_limited(
    answers: Vec<tokio::task::JoinHandle<TestResponse>>,
) -> (Vec<TestResponse>, Vec<TestResponse>) {
    let (mut refused, mut limited) = (Vec::new(), Vec::new());
    for answer in answers {
        let response = answer.await.unwrap();
        match response.code().as_i64() {
            Some(-1) => refused.push(response),
            Some(429) => limited.push(response),
            _ => panic!("unexpected answer: {}", response.text),
        }
    }
    (refused, limited)
}

/// Takes every place of `app`'s hashing pool (one per thread plus the
/// queue's); the places are free again once the tickets are dropped.
pub fn every_hashing_place(app: &TestApp) -> Vec<account_api::password_hasher::HashTicket> {
    let mut tickets = Vec::new();
    while let Ok(ticket) = app.state.hasher.admit() {
        tickets.push(ticket);
    }
    tickets
}

/// Verification on and `X-Forwarded-For` trusted, with `PHONE` registered
/// (password `PASSWORD`) through a sign-up code.
pub async fn proxied_app_with_account() -> TestApp {
    let app = TestApp::spawn_with(|settings| {
        settings.sms.verification = Some(account_api::settings::Verification::On);
        settings.trust_forwarded_for = true;
    })
    .await;
    register_with_sign_up_code(&app, PHONE, PASSWORD).await;
    app
}

/// Each of [`BAD_PHONES`] in the `phone` field of `fields` is refused at
/// `path` naming `phone`, in every encoding.
pub async fn assert_bad_phones_refused(app: &TestApp, path: &str, fields: &[(&str, &str)]) {
    for (phone, what) in BAD_PHONES {
        let bad = with_field(fields, "phone", Some(phone));
        assert_refused_in_every_encoding(app, path, &bad, "phone", what).await;
    }
}

/// `GET /api/v4.0/verify_code` with `phone` and `code` through `client`.
pub async fn verify_code(client: &ApiClient, phone: &str, code: &str) -> TestResponse {
    client
        .get(&format!("/api/v4.0/verify_code?phone={phone}&code={code}"))
        .await
}

/// Inserts an application of `user_id` to `enterprise_id` in `state`; returns its id.
pub async fn insert_application(
    app: &TestApp,
    user_id: &str,
    enterprise_id: i64,
    state: i16,
) -> i64 {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = chrono::Utc::now();
    entity::applications::ActiveModel {
        user_id: Set(user_id.to_owned()),
        enterprise_id: Set(enterprise_id),
        state: Set(state),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("the application is inserted")
    .id
}
