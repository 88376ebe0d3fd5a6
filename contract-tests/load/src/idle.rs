//! Idle keep-alive connections: many clients that each made one request and
//! keep their connection open without sending another, as mobile apps do
//! between screens. The harness holds them itself, over plain sockets.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// The request each idle connection makes before turning idle.
const REQUEST: &[u8] = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Connections opened (and their requests sent) before their answers are read.
const BATCH: usize = 256;

/// How long one connect, write or read may take.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Descriptors the harness needs besides the idle connections (oha runs in
/// its own process).
const BESIDES: u64 = 256;

/// Connections that were answered once and are now idle, closed when dropped.
pub struct IdleConnections {
    streams: Vec<TcpStream>,
}

impl IdleConnections {
    /// Opens `count` connections to `address`, each answered one `GET
    /// /livez` with keep-alive, and leaves them open. Raises this process's
    /// open-file limit first, and refuses when even that cannot hold them.
    pub fn open(address: SocketAddr, count: usize) -> Result<Self, String> {
        let needed = count as u64 + BESIDES;
        let limit = account_api::http_server::raise_open_file_limit(
            u32::try_from(count).unwrap_or(u32::MAX),
        )
        .map_or(0, |limit| limit.now);
        if limit < needed {
            return Err(format!(
                "the open-file limit ({limit}) cannot hold {count} idle connections; raise it \
                 (ulimit -Hn) or pass a smaller --idle-connections"
            ));
        }
        let mut streams = Vec::with_capacity(count);
        while streams.len() < count {
            let batch = BATCH.min(count - streams.len());
            let mut opened = Vec::with_capacity(batch);
            for _ in 0..batch {
                let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)
                    .map_err(|err| format!("idle connection {}: {err}", streams.len()))?;
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
                    .and_then(|()| stream.write_all(REQUEST))
                    .map_err(|err| format!("idle connection {}: {err}", streams.len()))?;
                opened.push(stream);
            }
            for mut stream in opened {
                read_answer(&mut stream)
                    .map_err(|err| format!("idle connection {}: {err}", streams.len()))?;
                streams.push(stream);
            }
        }
        Ok(Self { streams })
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// How many the server still keeps open: a read that would block means
    /// open; end of file or an error means the server closed it.
    pub fn still_open(&self) -> usize {
        let mut byte = [0u8; 1];
        self.streams
            .iter()
            .filter(|stream| {
                stream.set_nonblocking(true).is_ok()
                    && matches!(stream.peek(&mut byte), Err(err) if err.kind() == io::ErrorKind::WouldBlock)
            })
            .count()
    }
}

/// Reads one HTTP/1.1 answer with a `Content-Length` and checks it is a 200
/// that keeps the connection open.
fn read_answer(stream: &mut TcpStream) -> Result<(), String> {
    let mut received = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let head_end = loop {
        if let Some(end) = find(&received, b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk).map_err(|err| err.to_string())?;
        if n == 0 {
            return Err("closed before its answer".into());
        }
        received.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") || head.contains("\r\nconnection: close") {
        return Err(format!("not a kept-alive 200: {}", head.trim()));
    }
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or("an answer without Content-Length")?;
    while received.len() < head_end + length {
        let n = stream.read(&mut chunk).map_err(|err| err.to_string())?;
        if n == 0 {
            return Err("closed in the middle of its answer".into());
        }
        received.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use std::{net::TcpListener, thread};

    use super::*;

    /// A server that answers each connection's first request with `answer`
    /// and keeps it open until the test ends.
    fn server(answer: &'static str, connections: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            let mut kept = Vec::new();
            for stream in listener.incoming().take(connections) {
                let mut stream = stream.unwrap();
                let mut request = [0u8; 256];
                let _ = stream.read(&mut request).unwrap();
                stream.write_all(answer.as_bytes()).unwrap();
                kept.push(stream);
            }
            thread::sleep(Duration::from_secs(5));
        });
        address
    }

    #[test]
    fn connections_answered_with_keep_alive_are_held_open() {
        let address = server(
            "HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}",
            3,
        );
        let idle = IdleConnections::open(address, 3).unwrap();
        assert_eq!(idle.len(), 3);
        assert_eq!(idle.still_open(), 3);
    }

    #[test]
    fn an_answer_that_closes_the_connection_is_refused() {
        let address = server(
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}",
            1,
        );
        let refused = IdleConnections::open(address, 1).err().unwrap();
        assert!(refused.contains("not a kept-alive 200"), "{refused}");
    }
}
