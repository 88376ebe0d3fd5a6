//! The accept loop and the serving of each connection, with the deadlines
//! and the cap of [`ConnectionSettings`].
//!
//! poem's `Server` is not used because it leaves connections open to slow
//! and idle clients. It serves each connection with hyper but sets no
//! timer, so hyper's header-read deadline is off and a client that never
//! finishes its headers keeps its connection (and a file descriptor)
//! forever. Its idle timeout counts any activity, so one byte every few
//! seconds defeats it. It also accepts without limit. Here:
//!
//! - **Headers**: hyper's HTTP/1 `header_read_timeout`. The first request's
//!   head must be complete within `header_read_timeout_secs` of the
//!   connection's start, however it trickles in.
//! - **Keep-alive**: hyper also starts that header timer as soon as a
//!   keep-alive connection turns idle, so on its own it would close idle
//!   connections at the header deadline whatever the keep-alive setting
//!   says. `HeadTimer` turns that wait into the keep-alive wait: up to
//!   `keep_alive_timeout_secs` for the next request's first byte, then the
//!   header deadline from that byte. A request in flight is never timed
//!   here, because hyper reads no head while one is in flight. 0 turns
//!   keep-alive off (`Connection: close` on every answer).
//! - **Bodies**: timed where they are read, in `api::http_edges` (HTTP 408).
//! - **Answers**: a write that makes no progress for `write_timeout_secs`
//!   (the client reads nothing) closes the connection (`write_deadline`).
//! - **Cap**: each connection holds a semaphore permit from accept to close,
//!   and a slot of its client's address (`address_slots`, at most
//!   `max_connections_per_address` per address, an IPv6 client counted by
//!   its /64). When either is full, the new connection gets a canned 503
//!   envelope at once, without its request being read, and is closed.
//! - **Accept errors** (EMFILE, ENFILE, ...) are logged, then accepting
//!   pauses for a moment, so the loop does not spin at full speed.
//! - **Stop** works as poem's graceful shutdown did: no new connections,
//!   idle ones closed at once, requests in flight given the grace period.
//!
//! Only HTTP/1 is served. poem's server also spoke cleartext HTTP/2 to
//! clients that open with its preface. None of the deadlines above would
//! cover such a connection, so a client that sends the HTTP/2 preface is
//! now closed.

use std::{convert::Infallible, future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::{
    Endpoint,
    http::{self, uri::Scheme},
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};

use crate::{api::messages, settings::ConnectionSettings};

mod address_slots;
mod keep_alive;
mod open_files;
mod write_deadline;

pub use open_files::{OpenFileLimit, raise_open_file_limit};

use address_slots::{AddressSlot, AddressSlots};
use keep_alive::{Activity, CountingIo, HeadTimer};
use write_deadline::WriteDeadline;

/// How long accepting pauses after an error such as EMFILE.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// The longest a connection refused for the cap is kept, to deliver its 503.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// The deadlines and the cap the server enforces on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time for a request's head: from the connection's start for the
    /// first request, from the first byte for the next ones.
    pub header_read_timeout: Duration,
    /// How long an idle keep-alive connection waits for the next request;
    /// `None`: no keep-alive, one answer per connection.
    pub keep_alive_timeout: Option<Duration>,
    /// How long writing an answer may make no progress.
    pub write_timeout: Duration,
    /// Most connections served at once.
    pub max_connections: u32,
    /// Most connections served at once from one client address (IPv6: /64).
    pub max_connections_per_address: u32,
}

impl ConnectionLimits {
    /// The limits of `settings`; `trust_forwarded_for` sets the per-address
    /// cap's default (see [`ConnectionSettings::connections_per_address`]).
    pub fn new(settings: &ConnectionSettings, trust_forwarded_for: bool) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs),
            keep_alive_timeout: (settings.keep_alive_timeout_secs > 0)
                .then(|| Duration::from_secs(settings.keep_alive_timeout_secs)),
            write_timeout: Duration::from_secs(settings.write_timeout_secs),
            max_connections: settings.max_connections,
            max_connections_per_address: settings.connections_per_address(trust_forwarded_for),
        }
    }
}

/// Where the server is in its life; connections watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepting and serving.
    Serving,
    /// Stopped accepting: idle connections close, requests in flight finish.
    Draining,
    /// The grace period is over: every connection closes now.
    Closing,
}

/// Serves `endpoint` on `listener` until `stop` completes, then lets
/// requests in flight finish for up to `grace_period`.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
    grace_period: Duration,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    let local_addr = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let max_connections = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max_connections as usize));
    let address_slots = AddressSlots::new(limits.max_connections_per_address);
    let busy: Arc<[u8]> = busy_response().into();
    let (phase, watching) = watch::channel(Phase::Serving);
    tokio::pin!(stop);

    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote_addr)) => match take_slots(&permits, &address_slots, remote_addr) {
                Ok(slots) => {
                    tokio::spawn(serve_connection(
                        stream,
                        Addresses {
                            local: local_addr,
                            remote: remote_addr,
                        },
                        Arc::clone(&endpoint),
                        limits,
                        watching.clone(),
                        slots,
                    ));
                }
                Err(cap) => {
                    crate::metrics::CONNECTIONS_REFUSED
                        .with_label_values(&[cap.label()])
                        .inc();
                    tracing::debug!(
                        %remote_addr,
                        cap = cap.label(),
                        limit = cap.limit(&limits),
                        "connection refused: too many open"
                    );
                    tokio::spawn(refuse(stream, Arc::clone(&busy)));
                }
            },
            // The client gave up before we accepted: nothing to wait for.
            Err(err) if is_about_one_connection(&err) => {
                tracing::debug!(error = %err, "a connection failed before it was accepted");
            }
            Err(err) => {
                // Most likely out of file descriptors (EMFILE, ENFILE): they
                // come back as connections close, so try again shortly.
                tracing::warn!(
                    error = %err,
                    pause_ms = ACCEPT_ERROR_PAUSE.as_millis() as u64,
                    "cannot accept connections; pausing"
                );
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                }
            }
        }
    }

    drop(listener);
    phase.send_replace(Phase::Draining);
    // Every permit back means every connection closed.
    let all_closed = permits.acquire_many(max_connections);
    if tokio::time::timeout(grace_period, all_closed)
        .await
        .is_err()
    {
        tracing::warn!(
            grace_period_secs = grace_period.as_secs(),
            "requests still in flight after the grace period; closing their connections"
        );
        phase.send_replace(Phase::Closing);
        let _ = permits.acquire_many(max_connections).await;
    }
    Ok(())
}

/// What a connection holds from accept to close: its place under each cap.
struct Slots {
    _permit: OwnedSemaphorePermit,
    _address: AddressSlot,
}

/// The cap a refused connection is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    /// `--max-connections`.
    Total,
    /// `--max-connections-per-address`.
    PerAddress,
}

impl Cap {
    /// Its label in `http_connections_refused_total`.
    fn label(self) -> &'static str {
        match self {
            Self::Total => "max_connections",
            Self::PerAddress => "max_connections_per_address",
        }
    }

    fn limit(self, limits: &ConnectionLimits) -> u32 {
        match self {
            Self::Total => limits.max_connections,
            Self::PerAddress => limits.max_connections_per_address,
        }
    }
}

/// A place under both caps for a connection from `peer`, or the cap it is over.
fn take_slots(
    permits: &Arc<Semaphore>,
    address_slots: &Arc<AddressSlots>,
    peer: SocketAddr,
) -> Result<Slots, Cap> {
    let permit = Arc::clone(permits)
        .try_acquire_owned()
        .map_err(|_| Cap::Total)?;
    let address = address_slots.try_take(peer.ip()).ok_or(Cap::PerAddress)?;
    Ok(Slots {
        _permit: permit,
        _address: address,
    })
}

/// Whether an accept error concerns only the connection being accepted.
fn is_about_one_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Both ends of a connection.
#[derive(Debug, Clone, Copy)]
struct Addresses {
    /// The listener's address.
    local: SocketAddr,
    /// The client's address, for `Request::remote_addr`.
    remote: SocketAddr,
}

/// Serves HTTP/1 on `stream` until either end closes it or the server stops.
async fn serve_connection<E>(
    stream: TcpStream,
    addresses: Addresses,
    endpoint: Arc<E>,
    limits: ConnectionLimits,
    mut phase: watch::Receiver<Phase>,
    _slots: Slots,
) where
    E: Endpoint + 'static,
{
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(WriteDeadline::new(
        CountingIo {
            inner: stream,
            activity: Arc::clone(&activity),
        },
        limits.write_timeout,
    ));
    let service = {
        let activity = Arc::clone(&activity);
        let local_addr = LocalAddr(addresses.local.into());
        let remote_addr = RemoteAddr(addresses.remote.into());
        service_fn(move |request: http::Request<Incoming>| {
            activity.request_started();
            let endpoint = Arc::clone(&endpoint);
            let request: poem::Request = (
                request,
                local_addr.clone(),
                remote_addr.clone(),
                Scheme::HTTP,
            )
                .into();
            // Boxed: hyper keeps the allocation of a connection's request
            // future for the connection's life, so an idle connection would
            // keep one of this future's size.
            Box::pin(async move {
                Ok::<http::Response<_>, Infallible>(endpoint.get_response(request).await.into())
            })
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(HeadTimer {
            tokio: TokioTimer::new(),
            activity,
            header_read_timeout: limits.header_read_timeout,
            keep_alive_timeout: limits.keep_alive_timeout,
        })
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(limits.keep_alive_timeout.is_some());
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);

    let served = tokio::select! {
        served = connection.as_mut() => served,
        () = reached(&mut phase, Phase::Draining) => {
            // Closes the connection now if idle, after its answer otherwise.
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                served = connection.as_mut() => served,
                () = reached(&mut phase, Phase::Closing) => return,
            }
        }
    };
    if let Err(err) = served {
        // Header and write deadlines, clients going away, unparsable requests.
        if is_write_timeout(&err) {
            crate::metrics::WRITE_TIMEOUTS.inc();
        }
        tracing::debug!(remote_addr = %addresses.remote, error = %err, "connection closed");
    }
}

/// Whether hyper ended a connection because its write deadline ran out.
fn is_write_timeout(err: &hyper::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return io.kind() == io::ErrorKind::TimedOut;
        }
        source = cause.source();
    }
    false
}

/// Completes once the server is at `phase` or later (or gone).
async fn reached(watching: &mut watch::Receiver<Phase>, phase: Phase) {
    let order = |p: Phase| match p {
        Phase::Serving => 0,
        Phase::Draining => 1,
        Phase::Closing => 2,
    };
    let _ = watching.wait_for(|now| order(*now) >= order(phase)).await;
}

/// The canned answer of a connection over the cap.
fn busy_response() -> Vec<u8> {
    let body = serde_json::json!({"code": 503, "msg": messages::SERVER_BUSY, "data": ""});
    let body = body.to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         Content-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Retry-After: 1\r\n\
         Connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    )
    .into_bytes()
}

/// Answers `response` on `stream` without reading the request, and closes it.
async fn refuse(mut stream: TcpStream, response: Arc<[u8]>) {
    let delivered = tokio::time::timeout(REFUSAL_LINGER, async {
        stream.write_all(&response).await?;
        stream.shutdown().await?;
        // Closing a socket with unread input resets the connection, which
        // can destroy the answer before the client reads it: discard what
        // the client sends until it closes (or the linger time is over).
        let mut discarded = [0; 1024];
        while stream.read(&mut discarded).await? > 0 {}
        Ok::<(), io::Error>(())
    })
    .await;
    if let Ok(Err(err)) = delivered {
        tracing::debug!(error = %err, "the 503 of a refused connection was not delivered");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busy_answer_is_a_complete_http_response() {
        let response = String::from_utf8(busy_response()).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
        assert_eq!(
            body,
            r#"{"code":503,"msg":"服务器繁忙，请稍后再试","data":""}"#
        );
    }

    #[test]
    fn a_keep_alive_of_zero_turns_keep_alive_off() {
        let mut settings = ConnectionSettings::default();
        assert_eq!(
            ConnectionLimits::new(&settings, false).keep_alive_timeout,
            Some(Duration::from_secs(75))
        );
        settings.keep_alive_timeout_secs = 0;
        assert_eq!(
            ConnectionLimits::new(&settings, false).keep_alive_timeout,
            None
        );
    }

    #[test]
    fn the_limits_carry_the_write_deadline_and_the_per_address_cap() {
        let mut settings = ConnectionSettings::default();
        let limits = ConnectionLimits::new(&settings, false);
        assert_eq!(limits.write_timeout, Duration::from_secs(30));
        assert_eq!(limits.max_connections_per_address, 64);
        assert_eq!(
            ConnectionLimits::new(&settings, true).max_connections_per_address,
            settings.max_connections
        );
        settings.max_connections_per_address = Some(5000);
        assert_eq!(
            ConnectionLimits::new(&settings, false).max_connections_per_address,
            settings.max_connections,
            "clamped to --max-connections"
        );
    }

    #[test]
    fn a_connection_over_either_cap_is_refused_naming_it() {
        let permits = Arc::new(Semaphore::new(3));
        let slots = AddressSlots::new(2);
        let peer = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 40000);
        let first = take_slots(&permits, &slots, peer("192.0.2.1")).unwrap();
        let _second = take_slots(&permits, &slots, peer("192.0.2.1")).unwrap();
        assert_eq!(
            take_slots(&permits, &slots, peer("192.0.2.1")).err(),
            Some(Cap::PerAddress)
        );
        // The refusal gave its permit back: another address gets the last one.
        let _third = take_slots(&permits, &slots, peer("192.0.2.2")).unwrap();
        assert_eq!(
            take_slots(&permits, &slots, peer("192.0.2.3")).err(),
            Some(Cap::Total)
        );
        drop(first);
        assert!(take_slots(&permits, &slots, peer("192.0.2.1")).is_ok());
    }
}
