//! The subcommands that print (`openapi`, `sandbox-openapi`,
//! `config-schema`, `demo`, `--help`, `--version`) end quietly when their
//! reader stops reading, as `account-api openapi | head -1` does.

use std::process::{Command, Stdio};

use account_api::test_support::TestDatabase;

/// Runs the binary with `args`, its standard output a pipe whose reading
/// end is closed before it starts, so every write fails with EPIPE.
fn run_into_a_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_account-api"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run the binary")
}

#[tokio::test]
async fn printing_into_a_closed_pipe_ends_quietly_without_a_panic() {
    let database = TestDatabase::create().await;
    let url = database.url().to_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["openapi"],
        vec!["sandbox-openapi"],
        vec!["config-schema"],
        vec!["--help"],
        vec!["--version"],
        vec!["demo", "--database-url", &url],
    ];
    for args in cases {
        let args_owned: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let output = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args_owned.iter().map(String::as_str).collect();
            run_into_a_closed_pipe(&args)
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            output.status.success(),
            "{args:?}: {:?} {stderr}",
            output.status
        );
    }
}

#[test]
fn a_pipeline_through_head_gets_the_first_line_and_a_clean_exit() {
    let output = Command::new("bash")
        .arg("-c")
        .arg("set -o pipefail; \"$0\" openapi | head -1")
        .arg(env!("CARGO_BIN_EXE_account-api"))
        .env_clear()
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{\n");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}
