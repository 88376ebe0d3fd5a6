//! Slow and idle clients, written as the attacks they are: a client that
//! never finishes its headers, trickles its body, idles on a keep-alive
//! connection, or opens more connections than the server serves. Each is
//! cut off at its deadline (configured short here, so the suite stays fast)
//! while ordinary clients are served as before.
//!
//! Everything goes over raw sockets: an HTTP client library would finish
//! its requests properly, which is exactly what these clients do not do.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use account_api::{
    sms_sender::{SendFuture, SmsMessage, SmsSender},
    test_support::TestDatabase,
};
use reqwest::header::HeaderMap;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    time::timeout,
};

use crate::{
    helpers::{PHONE, TestApp, TestResponse, metrics_counter, parse_answer_head},
    server_process::ServerProcess,
};

/// The deadline the tests configure.
const DEADLINE: Duration = Duration::from_secs(1);

/// How late the server may act after a deadline before a test fails
/// (timers fire late on a loaded machine).
const LATE: Duration = Duration::from_millis(1500);

/// How early the server may act before a deadline (timer granularity).
const EARLY: Duration = Duration::from_millis(50);

/// The wait for an answer that needs no deadline to pass.
const PROMPT: Duration = Duration::from_secs(1);

/// A complete `GET path` that keeps the connection open.
fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

/// The head of a form POST to `path` announcing a body of `length` bytes.
fn post_head(path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// A new connection to `app`.
async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("the server accepts")
}

/// Reads until the server closes `stream` (end of stream or reset) and
/// returns how long after `since` that was and everything it sent; panics
/// if it is still open `limit` after `since`.
async fn read_until_closed(
    stream: &mut TcpStream,
    since: Instant,
    limit: Duration,
) -> (Duration, Vec<u8>) {
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match tokio::time::timeout_at((since + limit).into(), stream.read(&mut buffer)).await {
            Err(_) => panic!(
                "the connection is still open {limit:?} later; the server sent {:?}",
                String::from_utf8_lossy(&received)
            ),
            Ok(Ok(0) | Err(_)) => return (since.elapsed(), received),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Sends `bytes` one at a time, `pause` apart, until the server answers or
/// closes the connection; returns how many bytes went out and what the
/// server sent (read until it closed). Panics if all of them went through.
async fn trickle(stream: &mut TcpStream, bytes: &[u8], pause: Duration) -> (usize, Vec<u8>) {
    let mut buffer = [0; 4096];
    for (sent, byte) in bytes.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            return (sent, Vec::new());
        }
        match timeout(pause, stream.read(&mut buffer)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => return (sent + 1, Vec::new()),
            Ok(Ok(read)) => {
                let mut received = buffer[..read].to_vec();
                let (_, rest) = read_until_closed(stream, Instant::now(), PROMPT).await;
                received.extend(rest);
                return (sent + 1, received);
            }
        }
    }
    panic!("the server took all {} trickled bytes", bytes.len());
}

/// Reads exactly one answer (it must have a `Content-Length`) from `stream`.
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> (u16, HeaderMap, String) {
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let deadline = Instant::now() + limit;
    loop {
        if let Some(answer) = complete_answer(&received) {
            return answer;
        }
        let read = tokio::time::timeout_at(deadline.into(), stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no complete answer within {limit:?}; got {:?}",
                    String::from_utf8_lossy(&received)
                )
            })
            .expect("the connection stays up");
        assert!(
            read > 0,
            "the server closed the connection mid-answer: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..read]);
    }
}

/// The answer in `received`, once its head and `Content-Length` body are in.
fn complete_answer(received: &[u8]) -> Option<(u16, HeaderMap, String)> {
    let text = std::str::from_utf8(received).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let (status, headers) = parse_answer_head(head);
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .expect("a Content-Length");
    (body.len() >= length).then(|| (status, headers, body[..length].to_owned()))
}

/// `received` (one whole answer) parsed and checked against the document.
fn checked(app: &TestApp, method: &str, path: &str, received: &[u8]) -> TestResponse {
    let (status, headers, text) = complete_answer(received).unwrap_or_else(|| {
        panic!(
            "not a complete answer: {:?}",
            String::from_utf8_lossy(received)
        )
    });
    app.checked(method, path, status, headers, text)
}

#[track_caller]
fn assert_cut_at_deadline(elapsed: Duration, what: &str) {
    eprintln!("{what}: cut after {elapsed:?} (deadline {DEADLINE:?})");
    assert!(
        elapsed >= DEADLINE - EARLY,
        "{what}: cut after {elapsed:?}, before the {DEADLINE:?} deadline"
    );
    assert!(
        elapsed <= DEADLINE + LATE,
        "{what}: cut only after {elapsed:?}"
    );
}

/// An SMS provider that takes `0` to answer.
struct SlowSender(Duration);

impl SmsSender for SlowSender {
    fn send<'a>(&'a self, _message: SmsMessage<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(self.0).await;
            Ok(())
        })
    }
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_disconnected_at_the_header_deadline() {
    let app = TestApp::spawn_with(|s| s.connections.header_read_timeout_secs = 1).await;
    let connected = Instant::now();
    let mut stream = connect(&app).await;
    let (elapsed, received) = read_until_closed(&mut stream, connected, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "a silent client");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn a_client_that_stops_before_the_end_of_its_headers_is_disconnected() {
    let app = TestApp::spawn_with(|s| s.connections.header_read_timeout_secs = 1).await;
    let connected = Instant::now();
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (elapsed, received) = read_until_closed(&mut stream, connected, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "headers without their blank line");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn headers_trickled_byte_by_byte_are_cut_at_the_deadline_not_per_byte() {
    let app = TestApp::spawn_with(|s| s.connections.header_read_timeout_secs = 1).await;
    let connected = Instant::now();
    let mut stream = connect(&app).await;
    let request = get("/livez");
    let (sent, received) =
        trickle(&mut stream, request.as_bytes(), Duration::from_millis(300)).await;
    assert_cut_at_deadline(connected.elapsed(), "trickled headers");
    assert!(sent < request.len(), "all {sent} bytes went through");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn a_body_that_stops_short_gets_the_numeric_408_and_the_connection_closes() {
    let app = TestApp::spawn_with(|s| s.connections.body_read_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    let path = "/api/v4.0/login";
    let request = format!("{}phone=1312", post_head(path, 100));
    stream.write_all(request.as_bytes()).await.unwrap();
    let sent = Instant::now();
    let (elapsed, received) = read_until_closed(&mut stream, sent, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "a body 90 bytes short");
    let response = checked(&app, "POST", path, &received);
    assert_eq!(response.status, 408, "{}", response.text);
    assert_eq!(
        response.body,
        json!({"code": 408, "msg": "请求超时", "data": ""})
    );
    assert_eq!(response.header("connection"), Some("close"));
}

#[tokio::test]
async fn a_body_that_stops_short_on_sendsms_gets_the_string_408() {
    let app = TestApp::spawn_with(|s| s.connections.body_read_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    let path = format!("/api/v4.0/sendsms/{PHONE}");
    let request = format!("{}expect=0", post_head(&path, 100));
    stream.write_all(request.as_bytes()).await.unwrap();
    let sent = Instant::now();
    let (elapsed, received) = read_until_closed(&mut stream, sent, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "a sendsms body 92 bytes short");
    let response = checked(&app, "POST", &path, &received);
    assert_eq!(response.status, 408, "{}", response.text);
    assert_eq!(response.body, json!({"code": "408", "msg": "请求超时"}));
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(app.sms.count(), 0);
}

#[tokio::test]
async fn a_body_trickled_byte_by_byte_is_cut_at_the_deadline_not_per_byte() {
    let app = TestApp::spawn_with(|s| s.connections.body_read_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    let path = "/api/v4.0/register";
    let body = "x".repeat(100);
    stream
        .write_all(post_head(path, body.len()).as_bytes())
        .await
        .unwrap();
    let head_sent = Instant::now();
    let (sent, received) = trickle(&mut stream, body.as_bytes(), Duration::from_millis(200)).await;
    assert_cut_at_deadline(head_sent.elapsed(), "a trickled body");
    assert!(sent < body.len(), "all {sent} bytes went through");
    let response = checked(&app, "POST", path, &received);
    assert_eq!(response.status, 408, "{}", response.text);
    assert_eq!(
        response.body,
        json!({"code": 408, "msg": "请求超时", "data": ""})
    );
}

#[tokio::test]
async fn several_requests_in_a_row_share_one_keep_alive_connection() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout_secs = 1;
        s.connections.body_read_timeout_secs = 1;
    })
    .await;
    let mut stream = connect(&app).await;
    for round in 0..3 {
        stream.write_all(get("/livez").as_bytes()).await.unwrap();
        let (status, headers, text) = read_answer(&mut stream, PROMPT).await;
        let response = app.checked("GET", "/livez", status, headers, text);
        assert_eq!(response.status, 200, "round {round}");
        assert_eq!(response.body, json!({"status": "ok"}), "round {round}");
        assert_eq!(response.header("connection"), None, "round {round}");

        let path = "/api/v4.0/login";
        let body = format!("phone={PHONE}&password=123456&device_identifier=uuid");
        let request = format!("{}{body}", post_head(path, body.len()));
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, headers, text) = read_answer(&mut stream, PROMPT).await;
        let response = app.checked("POST", path, status, headers, text);
        assert_eq!(response.status, 200, "round {round}: {}", response.text);
        assert_eq!(
            response.code(),
            &json!(-1),
            "round {round}: {}",
            response.text
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    // A header deadline far longer than the keep-alive one: the close must
    // come from the keep-alive timeout.
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout_secs = 30;
        s.connections.keep_alive_timeout_secs = 1;
    })
    .await;
    let mut stream = connect(&app).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200);
    let answered = Instant::now();
    let (elapsed, received) = read_until_closed(&mut stream, answered, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "an idle keep-alive connection");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_outlives_the_shorter_header_deadline() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout_secs = 1;
        s.connections.keep_alive_timeout_secs = 3;
    })
    .await;
    let mut stream = connect(&app).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200);
    // Idle for longer than the header deadline, within the keep-alive one.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200, "the idle connection was closed early");
    let answered = Instant::now();
    let keep_alive = Duration::from_secs(3);
    let (elapsed, _) = read_until_closed(&mut stream, answered, keep_alive + LATE).await;
    assert!(
        elapsed >= keep_alive - EARLY,
        "closed after {elapsed:?} of idleness"
    );
}

#[tokio::test]
async fn the_next_request_on_a_keep_alive_connection_has_the_header_deadline_from_its_first_byte() {
    let app = TestApp::spawn_with(|s| {
        s.connections.header_read_timeout_secs = 1;
        s.connections.keep_alive_timeout_secs = 30;
    })
    .await;
    let mut stream = connect(&app).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(b"GET /livez HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let (elapsed, received) = read_until_closed(&mut stream, started, DEADLINE + LATE).await;
    assert_cut_at_deadline(elapsed, "a second request's unfinished head");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn a_request_in_flight_is_not_cut_by_the_keep_alive_timeout() {
    let handler_time = Duration::from_millis(2500);
    let app = TestApp::spawn_with_sender(
        |s| {
            s.connections.header_read_timeout_secs = 1;
            s.connections.keep_alive_timeout_secs = 1;
        },
        Arc::new(SlowSender(handler_time)),
    )
    .await;
    let mut stream = connect(&app).await;
    let path = format!("/api/v4.0/sendsms/{PHONE}");
    stream.write_all(get(&path).as_bytes()).await.unwrap();
    let sent = Instant::now();
    let (status, headers, text) = read_answer(&mut stream, handler_time + LATE).await;
    assert!(sent.elapsed() >= handler_time - EARLY);
    let response = app.checked("GET", &path, status, headers, text);
    assert_eq!(response.body, json!({"code": "200", "msg": "发送成功"}));
    // Still open, and idle timing starts over.
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn with_keep_alive_off_every_answer_closes_its_connection() {
    let app = TestApp::spawn_with(|s| s.connections.keep_alive_timeout_secs = 0).await;
    let mut stream = connect(&app).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let sent = Instant::now();
    let (_, received) = read_until_closed(&mut stream, sent, PROMPT).await;
    let response = checked(&app, "GET", "/livez", &received);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
}

/// `count` connections the server serves, each idle after one answer.
async fn hold_connections(app: &TestApp, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::new();
    let deadline = Instant::now() + PROMPT;
    while held.len() < count {
        let mut stream = connect(app).await;
        stream.write_all(get("/livez").as_bytes()).await.unwrap();
        match read_answer(&mut stream, PROMPT).await.0 {
            200 => held.push(stream),
            // The connection that fetched the document may not be closed
            // yet on the server's side; its slot is free a moment later.
            503 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            status => panic!("a connection to hold got {status}"),
        }
    }
    held
}

/// Panics unless `received` is the canned 503 of a full server.
#[track_caller]
fn assert_busy(received: &[u8]) {
    let (status, headers, text) = complete_answer(received).unwrap_or_else(|| {
        panic!(
            "not a complete answer: {:?}",
            String::from_utf8_lossy(received)
        )
    });
    assert_eq!(status, 503, "{text}");
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    assert_eq!(
        header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(header("retry-after"), Some("1"));
    assert_eq!(header("connection"), Some("close"));
    assert_eq!(
        text,
        r#"{"code":503,"msg":"服务器繁忙，请稍后再试","data":""}"#
    );
}

#[tokio::test]
async fn a_connection_over_the_cap_gets_the_503_envelope_at_once_and_is_closed() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_connections = 3;
        s.connections.header_read_timeout_secs = 30;
        s.connections.keep_alive_timeout_secs = 30;
    })
    .await;
    let held = hold_connections(&app, 3).await;

    // Refused before it sends anything: no waiting for a request.
    let connected = Instant::now();
    let mut silent = connect(&app).await;
    let (elapsed, received) = read_until_closed(&mut silent, connected, PROMPT).await;
    assert_busy(&received);
    eprintln!("a silent connection over the cap got its 503 and was closed after {elapsed:?}");

    let connected = Instant::now();
    let mut asking = connect(&app).await;
    asking.write_all(get("/livez").as_bytes()).await.unwrap();
    let (elapsed, received) = read_until_closed(&mut asking, connected, PROMPT).await;
    assert_busy(&received);
    eprintln!("a request over the cap got its 503 and was closed after {elapsed:?}");

    // Free slots serve again, as soon as the server has seen the closes.
    drop(held);
    let deadline = Instant::now() + PROMPT;
    loop {
        let mut stream = connect(&app).await;
        stream.write_all(get("/livez").as_bytes()).await.unwrap();
        let (status, headers, text) = read_answer(&mut stream, PROMPT).await;
        if status == 503 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let response = app.checked("GET", "/livez", status, headers, text);
        assert_eq!(response.status, 200, "{}", response.text);
        break;
    }
}

#[tokio::test]
async fn forty_connections_at_once_against_a_cap_of_three_all_get_a_prompt_answer() {
    let app = TestApp::spawn_with(|s| s.connections.max_connections = 3).await;
    let port = app.port;
    let started = Instant::now();
    let clients: Vec<_> = (0..40)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                let request = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                stream.write_all(request.as_bytes()).await.unwrap();
                read_until_closed(&mut stream, Instant::now(), 3 * PROMPT)
                    .await
                    .1
            })
        })
        .collect();
    let (mut served, mut refused) = (0, 0);
    for client in clients {
        let received = client.await.expect("no client hangs");
        match complete_answer(&received).map(|answer| answer.0) {
            Some(200) => {
                let response = checked(&app, "GET", "/livez", &received);
                assert_eq!(response.body, json!({"status": "ok"}));
                served += 1;
            }
            Some(503) => {
                assert_busy(&received);
                refused += 1;
            }
            _ => panic!("not 200 or 503: {:?}", String::from_utf8_lossy(&received)),
        }
    }
    eprintln!(
        "40 connections against a cap of 3: {served} served, {refused} refused, all in {:?}",
        started.elapsed()
    );
    assert_eq!(served + refused, 40);
    assert!(served >= 1, "none was served");
}

#[tokio::test]
async fn a_client_opening_with_the_http2_preface_is_closed_at_once() {
    // Only HTTP/1 is served: none of its deadlines would cover HTTP/2.
    let app = TestApp::spawn_with(|s| s.connections.header_read_timeout_secs = 30).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    let sent = Instant::now();
    let (_, received) = read_until_closed(&mut stream, sent, PROMPT).await;
    assert!(
        !received.starts_with(b"HTTP/1.1 2"),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn stopping_closes_idle_keep_alive_connections_at_once() {
    let app = TestApp::spawn_with(|s| s.connections.keep_alive_timeout_secs = 60).await;
    let mut stream = connect(&app).await;
    stream.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, _, _) = read_answer(&mut stream, PROMPT).await;
    assert_eq!(status, 200);
    let stopped = Instant::now();
    drop(app);
    let (_, received) = read_until_closed(&mut stream, stopped, PROMPT).await;
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

/// The CPU time `pid` has used so far, from `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server's stat");
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks = |index: usize| fields[index - 3].parse::<u64>().unwrap();
    ticks(14) + ticks(15)
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_pauses_accepting_instead_of_spinning() {
    let accept_failures = |logs: &str| logs.matches("cannot accept connections").count();
    let database = TestDatabase::create().await;
    let flags = ["--header-read-timeout-secs", "30"];
    let server = ServerProcess::start_with_open_files(database.url(), &flags, 64).await;
    // More connections than the server has descriptors left.
    let mut clients = Vec::new();
    for _ in 0..80 {
        clients.push(
            TcpStream::connect(("127.0.0.1", server.port))
                .await
                .unwrap(),
        );
    }
    let deadline = Instant::now() + 5 * PROMPT;
    while accept_failures(&server.logs()) == 0 {
        assert!(
            Instant::now() < deadline,
            "the server never ran out of descriptors:\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (failures, ticks) = (accept_failures(&server.logs()), cpu_ticks(server.pid()));
    tokio::time::sleep(PROMPT).await;
    let failures = accept_failures(&server.logs()) - failures;
    let ticks = cpu_ticks(server.pid()) - ticks;
    eprintln!("out of descriptors for 1 s: {failures} failed accepts logged, {ticks} CPU ticks");
    // One try every 50 ms; a spinning loop makes thousands and burns a core.
    assert!(
        (1..=40).contains(&failures),
        "{failures} failed accepts in a second"
    );
    assert!(ticks <= 30, "the server used {ticks} CPU ticks in a second");

    // Descriptors come back as connections close, and it serves again.
    drop(clients);
    let deadline = Instant::now() + 5 * PROMPT;
    loop {
        let livez = server.try_send(server.request(reqwest::Method::GET, "/livez"));
        match livez.await {
            Ok(response) if response.status == 200 => break,
            answer => assert!(
                Instant::now() < deadline,
                "the server does not serve again: {answer:?}\n{}",
                server.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A new connection to `app` from the loopback address `local` (on Linux
/// all of 127.0.0.0/8 is loopback), with a receive buffer of about
/// `receive_buffer` bytes if given.
async fn connect_from(app: &TestApp, local: &str, receive_buffer: Option<u32>) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(local.parse().unwrap(), 0))
        .expect("a loopback address");
    if let Some(size) = receive_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], app.port)))
        .await
        .expect("the server accepts")
}

/// Asks `GET /livez` on a new connection from `local` until it is served
/// (a slot may take a moment to be given back); panics after `limit`.
async fn served_within(app: &TestApp, local: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let mut stream = connect_from(app, local, None).await;
        let request = "GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
        let (_, received) = read_until_closed(&mut stream, Instant::now(), 5 * PROMPT).await;
        match complete_answer(&received).map(|answer| answer.0) {
            Some(200) => return,
            Some(503) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => panic!(
                "a client from {local} is still not served after {limit:?}: {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
}

#[tokio::test]
async fn clients_that_never_read_their_answers_lose_their_slots_at_the_write_deadline() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_connections = 3;
        s.connections.write_timeout_secs = 1;
        // Far longer: only the write deadline may close these connections.
        s.connections.header_read_timeout_secs = 60;
        s.connections.keep_alive_timeout_secs = 60;
    })
    .await;
    // Far more answers than the sockets' buffers hold, asked for at once.
    let requests = 300;
    let answers = |received: &[u8]| {
        String::from_utf8_lossy(received)
            .matches("HTTP/1.1 200 OK\r\n")
            .count()
    };
    let mut attackers = Vec::new();
    while attackers.len() < 3 {
        let mut stream = connect_from(&app, "127.0.0.1", Some(4096)).await;
        let pipelined = get("/openapi.json").repeat(requests);
        stream.write_all(pipelined.as_bytes()).await.unwrap();
        // The first bytes only; then this client reads no more.
        let mut first = [0; 64];
        let read = timeout(5 * PROMPT, stream.read(&mut first))
            .await
            .expect("the first bytes of an answer")
            .unwrap_or(0);
        if first[..read].starts_with(b"HTTP/1.1 503") {
            // The slot of the test client's document request is not free yet.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert!(
            first[..read].starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&first[..read])
        );
        attackers.push(stream);
    }

    // Without reading a byte more (reading lets their answers go on), the
    // three give their slots back once their write deadline passes: three
    // other clients are served at once.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut served = Vec::new();
    while served.len() < 3 {
        let mut stream = connect(&app).await;
        stream.write_all(get("/livez").as_bytes()).await.unwrap();
        match read_answer(&mut stream, 5 * PROMPT).await.0 {
            200 => served.push(stream),
            503 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            status => panic!("{} served, then {status}", served.len()),
        }
    }
    drop(served);
    // Each was closed, with a part of what it asked for sent.
    for (n, stream) in attackers.iter_mut().enumerate() {
        let (_, received) = read_until_closed(stream, Instant::now(), 5 * PROMPT).await;
        eprintln!(
            "the client that never read {n}: closed with {} more answers of {requests} in its buffers",
            answers(&received)
        );
        assert!(answers(&received) < requests, "client {n} got every answer");
    }
    let metrics = app.get("/metrics").await.text;
    assert!(
        metrics_counter(&metrics, "http_write_timeouts_total") >= 3,
        "{metrics}"
    );
}

#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_connections = 10;
        s.connections.max_connections_per_address = Some(2);
        s.connections.header_read_timeout_secs = 30;
        s.connections.keep_alive_timeout_secs = 30;
    })
    .await;
    let series = "http_connections_refused_total{cap=\"max_connections_per_address\"}";
    // Metrics from another address: this one is what the test counts.
    let observer = app.client_from("127.0.0.3").await;
    let refused_before = metrics_counter(&observer.get("/metrics").await.text, series);
    let held = hold_connections(&app, 2).await;

    // A third connection from the same address is refused at once.
    let connected = Instant::now();
    let mut third = connect(&app).await;
    third.write_all(get("/livez").as_bytes()).await.unwrap();
    let (_, received) = read_until_closed(&mut third, connected, 5 * PROMPT).await;
    assert_busy(&received);

    // Another address is served meanwhile.
    let mut other = connect_from(&app, "127.0.0.2", None).await;
    other.write_all(get("/livez").as_bytes()).await.unwrap();
    let (status, headers, text) = read_answer(&mut other, 5 * PROMPT).await;
    let response = app.checked("GET", "/livez", status, headers, text);
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.body, json!({"status": "ok"}));

    // The refusal was counted.
    let metrics = observer.get("/metrics").await.text;
    assert!(
        metrics_counter(&metrics, series) > refused_before,
        "{metrics}"
    );

    // A connection closed gives its address a slot back.
    drop(held);
    served_within(&app, "127.0.0.1", Duration::from_secs(10)).await;
}

#[tokio::test]
async fn forty_connections_at_once_from_one_address_get_at_most_its_cap() {
    let app = TestApp::spawn_with(|s| {
        s.connections.max_connections = 64;
        s.connections.max_connections_per_address = Some(4);
        s.connections.keep_alive_timeout_secs = 30;
    })
    .await;
    let port = app.port;
    let clients: Vec<_> = (0..40)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.write_all(get("/livez").as_bytes()).await.unwrap();
                let mut received = Vec::new();
                let mut buffer = [0; 4096];
                let deadline = Instant::now() + 5 * PROMPT;
                // Served connections stay open (keep-alive): read one answer.
                while complete_answer(&received).is_none() {
                    let read = tokio::time::timeout_at(deadline.into(), stream.read(&mut buffer))
                        .await
                        .expect("a prompt answer")
                        .unwrap_or(0);
                    if read == 0 {
                        break;
                    }
                    received.extend_from_slice(&buffer[..read]);
                }
                (stream, received)
            })
        })
        .collect();
    let (mut served, mut refused, mut open) = (0, 0, Vec::new());
    for client in clients {
        let (stream, received) = client.await.expect("no client hangs");
        match complete_answer(&received).map(|answer| answer.0) {
            Some(200) => {
                served += 1;
                open.push(stream);
            }
            Some(503) => {
                assert_busy(&received);
                refused += 1;
            }
            _ => panic!("not 200 or 503: {:?}", String::from_utf8_lossy(&received)),
        }
    }
    eprintln!(
        "40 connections from one address, cap 4 per address: {served} served, {refused} refused"
    );
    assert_eq!(served + refused, 40);
    assert!((1..=4).contains(&served), "{served} served at once");
    // While they hold their address's slots, another address is served.
    served_within(&app, "127.0.0.2", 5 * PROMPT).await;
    drop(open);
}
