//! Settings that would turn into failures later are refused at start-up,
//! naming the flag, with a non-zero exit; the original's unverified mode is
//! refused on a public address unless asked for; test numbers are announced.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Output, Stdio},
    sync::mpsc,
    time::Duration,
};

const BINARY: &str = env!("CARGO_BIN_EXE_account-api");

/// Runs `account-api serve --listen 127.0.0.1:0 <args>` over a fresh SQLite
/// file with a clean environment, to its exit.
fn serve(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_clear()
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run the binary")
}

/// Starts the binary with `args`, returns its log lines up to "listening"
/// (panicking if it exits first), and kills it.
fn log_until_listening(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BINARY);
    command
        .arg("serve")
        .args(args)
        .env_clear()
        .env("RUST_LOG", "info")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start the binary");
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut lines = Vec::new();
    loop {
        match lines_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let listening = line.contains("listening");
                lines.push(line);
                if listening {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not listen:\n{}", lines.join("\n"));
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[track_caller]
fn assert_refused(output: &Output, flag: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "started with a bad {flag}: {stderr}"
    );
    assert!(
        stderr.contains(flag),
        "the refusal does not name {flag}: {stderr}"
    );
}

#[test]
fn values_that_make_no_sense_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--sends-per-phone-per-minute", "0"),
        ("--sends-per-phone-per-hour", "0"),
        ("--sends-per-phone-per-day", "0"),
        ("--sends-per-address-per-hour", "0"),
        ("--daily-sms-budget", "0"),
        ("--login-max-failures", "0"),
        ("--login-lockout-minutes", "0"),
        ("--login-lockout-minutes", "100000"),
        ("--login-failures-per-address-per-hour", "0"),
        ("--code-max-tries", "0"),
        ("--reset-attempts-per-phone-per-hour", "0"),
        ("--reset-attempts-per-address-per-hour", "0"),
        ("--dead-code-lockout-secs", "0"),
        ("--dead-code-lockout-secs", "86401"),
        ("--max-sessions-per-account", "0"),
        ("--session-ttl-days", "0"),
        ("--session-ttl-days", "4000000000"),
        ("--session-ttl-days", "99999999999"),
        ("--audit-retention-days", "0"),
        ("--db-max-connections", "0"),
        ("--db-connect-timeout-secs", "0"),
        ("--sms-http-timeout-ms", "0"),
        ("--sms-http-retries", "1000"),
        ("--header-read-timeout-secs", "0"),
        ("--body-read-timeout-secs", "0"),
        ("--max-connections", "0"),
        ("--write-timeout-secs", "0"),
        ("--write-timeout-secs", "3601"),
        ("--max-connections-per-address", "0"),
        ("--forwarded-header", "forwarded"),
        ("--forwarded-header", "x-real-ip"),
        ("--hash-queue-depth", "-1"),
        ("--cors-allowed-origins", "localhost:5173"),
        ("--cors-allowed-origins", "https://*.example.com"),
    ] {
        let output = serve(&dir, &[&format!("{flag}={value}")], &[]);
        assert_refused(&output, flag);
    }
    // From the environment too, named by the flag it stands for.
    let output = serve(&dir, &[], &[("ACCOUNT_API_LOGIN_MAX_FAILURES", "0")]);
    assert_refused(&output, "--login-max-failures");
    // A refused start leaves no database behind.
    assert!(!dir.path().join("db.sqlite").exists());
}

#[test]
fn connection_settings_of_zero_are_refused_from_the_environment_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, flag) in [
        ("ACCOUNT_API_WRITE_TIMEOUT_SECS", "--write-timeout-secs"),
        (
            "ACCOUNT_API_MAX_CONNECTIONS_PER_ADDRESS",
            "--max-connections-per-address",
        ),
    ] {
        assert_refused(&serve(&dir, &[], &[(variable, "0")]), flag);
    }
    for (key, flag) in [
        ("write_timeout_secs", "--write-timeout-secs"),
        (
            "max_connections_per_address",
            "--max-connections-per-address",
        ),
    ] {
        let file = dir.path().join("account-api.toml");
        std::fs::write(&file, format!("[connections]\n{key} = 0\n")).unwrap();
        let output = serve(&dir, &["--config", file.to_str().unwrap()], &[]);
        assert_refused(&output, flag);
    }
    assert!(!dir.path().join("db.sqlite").exists());
}

#[test]
fn a_per_address_cap_behind_a_proxy_is_announced_as_the_proxys() {
    let lines = log_until_listening(
        &[
            "--listen",
            "127.0.0.1:0",
            "--trust-forwarded-for",
            "--max-connections-per-address",
            "8",
        ],
        &[],
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("--max-connections-per-address 8 counts connections")),
        "{lines:?}"
    );
    // Unset, it is the proxy's --max-connections: nothing to say.
    let unset = log_until_listening(&["--listen", "127.0.0.1:0", "--trust-forwarded-for"], &[]);
    assert!(
        !unset
            .iter()
            .any(|line| line.contains("--max-connections-per-address")),
        "{unset:?}"
    );
}

#[test]
fn a_per_address_cap_above_the_global_one_starts() {
    // Clamped to --max-connections (documented), not refused.
    log_until_listening(
        &[
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "10",
            "--max-connections-per-address",
            "100",
        ],
        &[],
    );
}

#[test]
fn the_http_sender_needs_its_url_and_test_numbers_are_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    assert_refused(
        &serve(&dir, &["--sms-sender", "http"], &[]),
        "--sms-http-url",
    );
    let twice = serve(
        &dir,
        &[
            "--sms-test-numbers",
            "13800000000:123456,13800000000:654321",
        ],
        &[],
    );
    assert_refused(&twice, "--sms-test-numbers");
}

#[test]
fn zero_is_accepted_where_it_means_none() {
    for flag in [
        "--hash-queue-depth",
        "--keep-alive-timeout-secs",
        "--sms-http-retries",
    ] {
        log_until_listening(&["--listen", "127.0.0.1:0", flag, "0"], &[]);
    }
}

#[test]
fn the_default_unverified_mode_is_refused_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let mut command = Command::new(BINARY);
        let output = command
            .args(["serve", "--listen", listen])
            .env_clear()
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/db.sqlite", dir.path().display()),
            )
            .output()
            .unwrap();
        assert_refused(&output, "--sms-verification");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--sms-verification off"), "{stderr}");
    }
}

#[test]
fn the_unverified_mode_on_a_public_address_starts_when_asked_for_with_its_warning() {
    for (args, env) in [
        (
            vec!["--listen", "0.0.0.0:0", "--sms-verification", "off"],
            vec![],
        ),
        (
            vec!["--listen", "0.0.0.0:0"],
            vec![("ACCOUNT_API_SMS_VERIFICATION", "off")],
        ),
    ] {
        let lines = log_until_listening(&args, &env);
        assert!(
            lines
                .iter()
                .any(|line| line.contains("SMS verification is OFF")),
            "no warning: {lines:?}"
        );
    }
    // Production mode needs no such flag.
    log_until_listening(&["--listen", "0.0.0.0:0", "--sms-verification", "on"], &[]);
}

#[test]
fn the_default_address_needs_no_flag() {
    // What `cargo run --release` does: loopback, verification left at off.
    let lines = log_until_listening(&["--listen", "127.0.0.1:0"], &[]);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("SMS verification is OFF"))
    );
    log_until_listening(&["--listen", "[::1]:0"], &[]);
}

#[test]
fn test_numbers_are_announced_with_their_count_and_end() {
    let numbers = "13800000000:123456,13800000001:654321";
    let forever = log_until_listening(
        &["--listen", "127.0.0.1:0", "--sms-test-numbers", numbers],
        &[],
    );
    assert!(
        forever
            .iter()
            .any(|line| line.contains("2 SMS test number(s)") && line.contains("indefinitely")),
        "{forever:?}"
    );
    let until = log_until_listening(
        &[
            "--listen",
            "127.0.0.1:0",
            "--sms-test-numbers",
            numbers,
            "--sms-test-numbers-until",
            "2030-01-31",
        ],
        &[],
    );
    assert!(
        until
            .iter()
            .any(|line| line.contains("2 SMS test number(s)") && line.contains("2030-01-31")),
        "{until:?}"
    );
}

/// The log lines of the binary started with the open-file limits `ulimit`
/// sets first (`-Sn 256`, say), up to "listening".
fn log_under_ulimit(ulimit: &str, args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
        .arg(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary through bash");
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let listening = line.contains("listening");
        lines.push(line);
        if listening {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn the_open_file_limit_is_raised_to_the_hard_limit_and_a_low_one_announced() {
    let hard = String::from_utf8(
        Command::new("bash")
            .args(["-c", "ulimit -Hn"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let hard = hard.trim();
    if hard != "unlimited" && hard.parse::<u64>().unwrap() > 256 {
        let raised = log_under_ulimit("-Sn 256", &[]);
        assert!(
            raised
                .iter()
                .any(|line| line.contains("raised the open-file limit") && line.contains("256")),
            "{raised:?}"
        );
    }
    let low = log_under_ulimit("-n 256", &["--max-connections", "10000"]);
    assert!(
        low.iter()
            .any(|line| line.contains("cannot hold --max-connections 10000")),
        "{low:?}"
    );
}

/// Runs `account-api sandbox <args>` with a clean environment (and `env`)
/// until it listens or exits: its output if it exits, `None` (and it is
/// killed) once it listens.
fn sandbox_start(args: &[&str], env: &[(&str, &str)]) -> Result<Output, Vec<String>> {
    let temp = tempfile::tempdir().unwrap();
    let mut command = Command::new(BINARY);
    command
        .arg("sandbox")
        .args(args)
        .env_clear()
        .env("RUST_LOG", "info")
        .env("TMPDIR", temp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start the binary");
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let listening = line.contains("listening");
        lines.push(line);
        if listening {
            let _ = child.kill();
            let _ = child.wait();
            return Err(lines);
        }
    }
    let status = child.wait().unwrap();
    Ok(Output {
        status,
        stdout: Vec::new(),
        stderr: lines.join("\n").into_bytes(),
    })
}

#[test]
fn the_sandbox_refuses_a_non_loopback_address_unless_allowed() {
    for listen in ["0.0.0.0:0", "[::]:0", "10.255.255.1:0"] {
        match sandbox_start(&["--listen", listen], &[]) {
            Ok(output) => {
                assert_refused(&output, "--listen");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(stderr.contains("--allow-remote-clients"), "{stderr}");
            }
            Err(lines) => panic!("the sandbox listened on {listen}: {lines:?}"),
        }
    }
    for (args, env) in [
        (
            vec!["--listen", "0.0.0.0:0", "--allow-remote-clients"],
            vec![],
        ),
        (
            vec!["--listen", "0.0.0.0:0"],
            vec![("ACCOUNT_API_SANDBOX_ALLOW_REMOTE_CLIENTS", "true")],
        ),
    ] {
        let lines = sandbox_start(&args, &env).expect_err("the sandbox starts when allowed");
        assert!(
            lines
                .iter()
                .any(|line| line.contains("--allow-remote-clients")),
            "no warning: {lines:?}"
        );
    }
    // Loopback needs no flag, as the scripts that start it use.
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        sandbox_start(&["--listen", listen], &[]).expect_err("the sandbox starts on loopback");
    }
}

#[test]
fn a_key_file_others_may_read_is_refused_naming_it_and_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("db.sqlite.secret");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    for mode in [0o644, 0o640, 0o604, 0o620] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = serve(&dir, &[], &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "started with a key file of mode {mode:o}"
        );
        assert!(stderr.contains(&key.display().to_string()), "{stderr}");
        assert!(
            stderr.contains(&format!("chmod 600 {}", key.display())),
            "{stderr}"
        );
        assert!(!output.status.success());
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut command = Command::new(BINARY);
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_clear()
        .env("RUST_LOG", "info")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.path().display()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listening = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("listening"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "an owner-only key file is refused");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "ab".repeat(32));
}

#[test]
fn a_metrics_address_that_is_the_listen_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for metrics in [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")] {
        let mut command = Command::new(BINARY);
        let output = command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--metrics-listen", &metrics])
            .env_clear()
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/db.sqlite", dir.path().display()),
            )
            .output()
            .unwrap();
        assert_refused(&output, "--metrics-listen");
    }
}

#[test]
fn the_admin_api_on_a_public_address_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let refused = serve(&dir, &["--admin-listen", "0.0.0.0:0"], &[]);
    assert_refused(&refused, "--admin-listen");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--admin-listen-public"),
        "the refusal does not say how to allow it"
    );
    let from_env = serve(&dir, &[], &[("ACCOUNT_API_ADMIN_LISTEN", "0.0.0.0:0")]);
    assert_refused(&from_env, "--admin-listen");
    // Allowed, it starts and says where the admin API is.
    let lines = log_until_listening(
        &[
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
            "--admin-listen-public",
        ],
        &[],
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("admin API") && line.contains("0.0.0.0:")),
        "{lines:?}"
    );
}
