//! The real `account-api` binary as a child process, for what only a process
//! shows: several instances on one database, and a server killed outright.

use std::{
    io::{BufRead, BufReader},
    ops::Deref,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use crate::helpers::ApiClient;

/// How long a server may take to migrate and start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `account-api serve` on 127.0.0.1, port chosen by the system;
/// killed when dropped. Dereferences to a client of it.
pub struct ServerProcess {
    child: Child,
    client: ApiClient,
    logs: Arc<Mutex<Vec<String>>>,
    /// The lines it printed on standard output.
    printed: Arc<Mutex<Vec<String>>>,
    /// A sandbox's temporary directory (`TMPDIR`), stopped with SIGTERM
    /// when dropped so that it cleans up after itself.
    sandbox_temp: Option<tempfile::TempDir>,
}

impl ServerProcess {
    /// Starts `account-api serve --listen 127.0.0.1:0 --database-url
    /// <database_url> <flags>` with an otherwise empty environment, and waits
    /// until it listens.
    pub async fn start(database_url: &str, flags: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_account-api"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--database-url"]);
        Self::spawn(command.arg(database_url).args(flags)).await
    }

    /// Starts `account-api sandbox --listen 127.0.0.1:0 <flags>` (its own
    /// throwaway database) and waits until it listens.
    pub async fn sandbox(flags: &[&str]) -> Self {
        let temp = tempfile::tempdir().expect("a temporary directory");
        let mut server = Self::sandbox_in(temp.path(), flags).await;
        server.sandbox_temp = Some(temp);
        server
    }

    /// As [`ServerProcess::sandbox`], with `temp` as its temporary
    /// directory, which the caller keeps and looks into.
    pub async fn sandbox_in(temp: &std::path::Path, flags: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_account-api"));
        command
            .args(["sandbox", "--listen", "127.0.0.1:0"])
            .args(flags);
        let mut server = Self::spawn_command(&mut command, &[("TMPDIR", temp.as_os_str())]).await;
        server.sandbox_temp = None;
        server
    }

    /// As [`ServerProcess::start`], with the server allowed at most
    /// `open_files` file descriptors (`ulimit -n`).
    pub async fn start_with_open_files(
        database_url: &str,
        flags: &[&str],
        open_files: u32,
    ) -> Self {
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_account-api"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url"]);
        Self::spawn(command.arg(database_url).args(flags)).await
    }

    /// Starts `command` and waits until it listens.
    async fn spawn(command: &mut Command) -> Self {
        Self::spawn_command(command, &[]).await
    }

    /// As [`ServerProcess::start`], with `env` added to its environment
    /// (which may replace its `RUST_LOG=info`).
    pub async fn start_with_env(
        database_url: &str,
        flags: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_account-api"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--database-url"]);
        Self::spawn_command(command.arg(database_url).args(flags), env).await
    }

    /// Starts `command` with an environment of `RUST_LOG=info` and `env`
    /// only (`env` may set another `RUST_LOG`), and waits until it listens.
    pub async fn spawn_command(command: &mut Command, env: &[(&str, &std::ffi::OsStr)]) -> Self {
        // No DATABASE_URL, ACCOUNT_API_* or RUST_LOG from the test's environment.
        command.env_clear().env("RUST_LOG", "info");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the account-api binary");
        let printed = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap().push(line);
            }
        });
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let collected = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = listening_port(&line) {
                    let _ = address_tx.send(port);
                }
                collected.lock().unwrap().push(line);
            }
        });

        let started = Instant::now();
        let port = loop {
            if let Ok(port) = address_rx.try_recv() {
                break port;
            }
            if let Some(status) = child.try_wait().expect("poll the server") {
                panic!(
                    "the server exited before listening ({status}):\n{}",
                    logs.lock().unwrap().join("\n")
                );
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                panic!(
                    "the server did not listen within {START_TIMEOUT:?}:\n{}",
                    logs.lock().unwrap().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Self {
            child,
            client: ApiClient::connect(port).await,
            logs,
            printed,
            sandbox_temp: None,
        }
    }

    /// Stops the server with SIGTERM, as an operator does, and waits for
    /// it to exit; its exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.terminate().unwrap_or_else(|| {
            panic!("the server did not stop within {START_TIMEOUT:?} of SIGTERM")
        })
    }

    /// SIGTERM, then its exit status; `None` (and SIGKILL) if it does not
    /// exit within [`START_TIMEOUT`].
    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill only sends a signal to our own child.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    self.kill();
                    return None;
                }
            }
        }
    }

    /// The value of the field `name` in the first log line containing `message`.
    pub fn logged_field(&self, message: &str, name: &str) -> Option<String> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .find(|line| line.contains(message))
            .and_then(|line| field(line, name))
    }

    /// The first line the server printed on standard output, waiting for
    /// it a little: the pipes are read by threads of their own.
    pub async fn first_printed_line(&self) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let first = self.printed.lock().unwrap().first().cloned();
            if first.is_some() || Instant::now() > deadline {
                return first;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client of this server, for tasks of their own.
    pub fn client(&self) -> ApiClient {
        self.client.clone()
    }

    /// Everything the server logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// The last code the log sender wrote for `phone`, waiting a little for
    /// the line: the answer can arrive before the log line is read.
    pub async fn logged_code(&self, phone: &str) -> Option<String> {
        self.wait_for_codes(phone, 1).await.pop()
    }

    /// The `n`th code (from 0) the log sender wrote for `phone`, waiting for
    /// its line: after a second send, the last line read may still be the
    /// first code's.
    pub async fn nth_logged_code(&self, phone: &str, n: usize) -> Option<String> {
        self.wait_for_codes(phone, n + 1).await.get(n).cloned()
    }

    /// The codes written for `phone` so far, in order, once there are at
    /// least `count` of them or a deadline generous for a busy machine passed.
    async fn wait_for_codes(&self, phone: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let codes: Vec<String> = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .filter(|line| line.contains("SMS code") && line.contains(phone))
                .filter_map(|line| field(line, "code"))
                .collect();
            if codes.len() >= count || Instant::now() > deadline {
                return codes;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server with SIGKILL — no shutdown, no flushing — and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Deref for ServerProcess {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.sandbox_temp.is_some() && matches!(self.child.try_wait(), Ok(None)) {
            // A sandbox deletes its throwaway database as it stops.
            self.terminate();
        }
        self.kill();
    }
}

/// The port of the start-up line `listening address=127.0.0.1:PORT` (text
/// logs) or `"address":"127.0.0.1:PORT"` (JSON logs).
fn listening_port(line: &str) -> Option<u16> {
    if !line.contains("listening") {
        return None;
    }
    field(line, "address")?.rsplit(':').next()?.parse().ok()
}

/// The value of `name=value`, `name="value"` or `"name":"value"` in a log line.
fn field(line: &str, name: &str) -> Option<String> {
    let text_form = format!(" {name}=");
    let json_form = format!("\"{name}\":");
    let start = line
        .find(&text_form)
        .map(|at| at + text_form.len())
        .or_else(|| line.find(&json_form).map(|at| at + json_form.len()))?;
    let value = line[start..].trim_start_matches('"');
    let end = value
        .find(|c: char| c == '"' || c == ',' || c == '}' || c.is_whitespace())
        .unwrap_or(value.len());
    Some(value[..end].to_owned())
}

#[test]
fn log_fields_are_read_in_text_and_json_form() {
    let text = "2026-11-24T04:10:08Z  INFO account_api::startup: listening address=127.0.0.1:35431";
    assert_eq!(listening_port(text), Some(35431));
    let json = r#"{"level":"INFO","fields":{"message":"listening","address":"127.0.0.1:4001"}}"#;
    assert_eq!(listening_port(json), Some(4001));
    let sms = r#"INFO account_api::sms_sender: SMS code (log sender: nothing sent) phone="13126939916" code="012345""#;
    assert_eq!(field(sms, "code").as_deref(), Some("012345"));
    assert_eq!(field(sms, "phone").as_deref(), Some("13126939916"));
    assert_eq!(listening_port("INFO poem::server: server started"), None);
}
