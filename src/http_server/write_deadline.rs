//! The write deadline (`--write-timeout-secs`): an answer that makes no
//! progress for that long closes its connection.
//!
//! Without it, a client that sends requests (pipelined, or one by one) and
//! never reads the answers holds its connection, and a slot of
//! `--max-connections`, for as long as it likes: once the socket's buffers
//! are full, the server waits to write forever.
//!
//! [`WriteDeadline`] wraps the socket. When a write (or flush) cannot go on
//! because the client is not reading, a timer starts; any progress stops
//! it. If it runs out first, the write fails with `TimedOut`, hyper ends
//! the connection, and the socket is closed. A client reading slowly but
//! steadily is never cut; nor is a connection waiting for a handler, which
//! writes nothing meanwhile.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::Sleep,
};

/// An IO whose writes fail once they make no progress for `timeout`.
pub(super) struct WriteDeadline<T> {
    inner: T,
    timeout: Duration,
    /// Running while writing is stalled; `None` after progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteDeadline<T> {
    pub(super) fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// The outcome of one write-side poll of the inner IO: progress stops
    /// the timer; a stall starts it (once), and fails when it runs out.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Pending => {
                let timeout = self.timeout;
                let stalled = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the client read nothing of its answer for {} s (--write-timeout-secs)",
                            timeout.as_secs()
                        ),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_the_reader_never_takes_fails_at_the_deadline() {
        // A pipe whose reader never reads: 64 bytes fit, then writes stall.
        let (writer, _reader) = tokio::io::duplex(64);
        let mut io = WriteDeadline::new(writer, Duration::from_millis(200));
        let failed = tokio::time::timeout(Duration::from_secs(30), io.write_all(&[0; 1024]))
            .await
            .expect("the write ends")
            .unwrap_err();
        assert_eq!(failed.kind(), io::ErrorKind::TimedOut);
        assert!(
            failed.to_string().contains("--write-timeout-secs"),
            "{failed}"
        );
    }

    #[tokio::test]
    async fn a_reader_that_keeps_reading_is_never_cut() {
        let (writer, mut reader) = tokio::io::duplex(64);
        let mut io = WriteDeadline::new(writer, Duration::from_secs(2));
        // 64 bytes every 100 ms: each pause far under the deadline, the
        // whole write (about 4 s) over it.
        let reading = tokio::spawn(async move {
            let mut total = 0;
            let mut buffer = [0; 64];
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => return total,
                    Ok(read) => total += read,
                }
            }
        });
        io.write_all(&[0; 2560])
            .await
            .expect("progress resets the deadline");
        drop(io);
        assert_eq!(reading.await.unwrap(), 2560);
    }
}
