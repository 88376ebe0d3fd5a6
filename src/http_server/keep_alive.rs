//! The keep-alive wait of a connection: hyper's header timer, stretched to
//! the keep-alive timeout while a connection waits for its next request's
//! first byte ([`HeadTimer`]), with the byte counts it decides by
//! ([`Activity`], kept by [`CountingIo`]).

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use hyper::rt::{Sleep, Timer};
use hyper_util::rt::TokioTimer;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

/// What a connection has done so far, for `HeadTimer`.
#[derive(Debug, Default)]
pub(super) struct Activity {
    /// Requests whose head was complete.
    requests: AtomicU64,
    /// Reads that returned bytes.
    reads: AtomicU64,
}

impl Activity {
    pub(super) fn request_started(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// The socket, counting the reads that return bytes.
pub(super) struct CountingIo {
    pub(super) inner: TcpStream,
    pub(super) activity: Arc<Activity>,
}

impl AsyncRead for CountingIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.reads.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for CountingIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// hyper's timer for one connection (it times only request heads).
///
/// hyper asks for a head deadline whenever it starts reading a head: at the
/// connection's start, and again the moment a keep-alive connection turns
/// idle. The first is hyper's own deadline. The others become the
/// keep-alive wait: the keep-alive timeout until the next request's first
/// byte, then the header timeout from that byte.
pub(super) struct HeadTimer {
    pub(super) tokio: TokioTimer,
    pub(super) activity: Arc<Activity>,
    pub(super) header_read_timeout: Duration,
    pub(super) keep_alive_timeout: Option<Duration>,
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.tokio.sleep(duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        match self.keep_alive_timeout {
            Some(keep_alive) if self.activity.requests() > 0 => Box::pin(NextHead {
                sleep: self.tokio.sleep(keep_alive),
                reads_when_idle: Some(self.activity.reads()),
                tokio: self.tokio.clone(),
                activity: Arc::clone(&self.activity),
                header_read_timeout: self.header_read_timeout,
            }),
            _ => self.tokio.sleep_until(deadline),
        }
    }
}

/// The deadline of a keep-alive connection's next head (see `HeadTimer`).
struct NextHead {
    sleep: Pin<Box<dyn Sleep>>,
    /// The connection's read count when it turned idle, until a byte arrives.
    reads_when_idle: Option<u64>,
    tokio: TokioTimer,
    activity: Arc<Activity>,
    header_read_timeout: Duration,
}

impl Future for NextHead {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // hyper polls this right after each read of the head that does not
        // complete it, so the first byte is seen as it arrives.
        if this
            .reads_when_idle
            .is_some_and(|reads| reads != this.activity.reads())
        {
            this.reads_when_idle = None;
            let deadline = Instant::now() + this.header_read_timeout;
            this.tokio.reset(&mut this.sleep, deadline);
        }
        this.sleep.as_mut().poll(cx)
    }
}

impl Sleep for NextHead {}
