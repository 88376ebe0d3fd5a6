//! A reverse proxy on 127.0.0.1 port 0 in front of the real server: it
//! relays every request, changes each answer with a function of the test's
//! (a deliberate fault, or none), and keeps what it sent back, so a test can
//! compare a report with the answers the checker really received.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    Request, Response, Server,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
};
use tokio::{runtime::Runtime, sync::oneshot};

/// A response, as the proxy relays it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }
}

/// The proxy; stopped when dropped.
pub struct Proxy {
    pub base_url: String,
    sent: Arc<Mutex<Vec<(String, Answer)>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` on `runtime` that sends back
    /// `change(path, answer)` for every answer.
    pub fn start(
        runtime: &Runtime,
        upstream: &str,
        change: impl Fn(&str, Answer) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let acceptor = runtime
            .block_on(TcpListener::bind("127.0.0.1:0").into_acceptor())
            .expect("the proxy binds");
        let port = acceptor.local_addr()[0]
            .as_socket_addr()
            .expect("a TCP address")
            .port();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let upstream = upstream.to_owned();
        let change = Arc::new(change);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&sent);
        let app = poem::endpoint::make(move |request: Request| {
            let client = client.clone();
            let upstream = upstream.clone();
            let change = Arc::clone(&change);
            let log = Arc::clone(&log);
            async move {
                let path = request.uri().path().to_owned();
                let answer = change(&path, relay(&client, &upstream, request).await);
                log.lock()
                    .expect("not poisoned")
                    .push((path, answer.clone()));
                respond(answer)
            }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(
            Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(1)),
            ),
        );
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            sent,
            stop: Some(stop),
        }
    }

    /// Every answer sent back so far, with the path of its request.
    pub fn sent(&self) -> Vec<(String, Answer)> {
        self.sent.lock().expect("not poisoned").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Relays `request` upstream; its answer (a 502 when there is none).
async fn relay(client: &reqwest::Client, upstream: &str, request: Request) -> Answer {
    let path_and_query = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let method = request.method().clone();
    let mut outgoing = client.request(method, format!("{upstream}{path_and_query}"));
    for (name, value) in request.headers() {
        if matches!(name.as_str(), "content-type" | "authorization" | "token") {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let body = request.into_body().into_vec().await.unwrap_or_default();
    let incoming = match outgoing.body(body).send().await {
        Ok(incoming) => incoming,
        Err(err) => {
            return Answer {
                status: StatusCode::BAD_GATEWAY.as_u16(),
                headers: Vec::new(),
                body: format!("proxy: {err}").into_bytes(),
            };
        }
    };
    let status = incoming.status().as_u16();
    let headers: Vec<(String, String)> = incoming
        .headers()
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "content-type" | "retry-after" | "allow" | "cache-control"
            )
        })
        .map(contract_tests::http::header_text)
        .collect();
    let body = incoming
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

fn respond(answer: Answer) -> Response {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY));
    for (name, value) in &answer.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response.body(answer.body)
}
