//! The command line of the `contract-tests` binary: a run against a
//! deployment (`contract-tests --base-url URL …`), `contract-tests diff
//! OLD.json NEW.json`, the breaking-change gate between two documents, or
//! `contract-tests compare --old URL --new URL`, two deployments' answers
//! compared.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Checks a running deployment of the account API against its OpenAPI document.
///
/// For every operation, method and body encoding of the document, sends
/// generated requests (valid and invalid) and checks that each answer has a
/// declared HTTP status and content type, a body matching the declared schema,
/// and is never a server error. Prints one line per operation and encoding,
/// then each violation with its request, response and failing schema path,
/// then which documented codes and HTTP statuses each operation answered.
///
/// Exit status: 0 when every answer kept the contract, 1 when any violation
/// was found (or the coverage is below --min-coverage), 2 when the run could
/// not start (bad arguments, unreadable document, server unreachable).
///
/// It registers four test accounts, and every valid phone it generates is in the
/// unallocated 10x-12x range, so the operations that write (register,
/// forget_password) only touch accounts it created. sendsms asks the server to
/// send codes to such numbers; skip it with `--skip sendsms,sendsmsGet` where
/// that costs money.
#[derive(Debug, Parser)]
#[command(
    name = "contract-tests",
    version,
    about,
    long_about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// `diff` or `compare`; without one, a run against --base-url.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The deployment, e.g. http://127.0.0.1:5000 (the document's paths are appended).
    #[arg(long, env = "CONTRACT_BASE_URL", required = true)]
    pub base_url: Option<String>,

    /// Cases per operation and encoding.
    #[arg(long, env = "CONTRACT_CASES", default_value_t = 256)]
    pub cases: u32,

    /// The OpenAPI document to check against (default: the committed
    /// openapi/openapi.json built into this binary).
    #[arg(long)]
    pub document: Option<PathBuf>,

    /// Operations and encodings checked at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,

    /// Check only these operationIds (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,

    /// Skip these operationIds (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Write a JUnit XML report here: one test case per operation, encoding
    /// and check, a failure with its request, answer and schema path.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write the coverage (documented codes and HTTP statuses seen, per
    /// operation) here as JSON, and as Markdown beside it (FILE with the
    /// extension .md).
    #[arg(long, value_name = "FILE", value_parser = coverage_file)]
    pub coverage: Option<PathBuf>,

    /// Fail (exit 1) when less than PERCENT of the documented codes and
    /// HTTP statuses were seen.
    #[arg(long, value_name = "PERCENT", value_parser = percent, allow_negative_numbers = true)]
    pub min_coverage: Option<f64>,

    /// `--model` and its flags: the stateful model instead of the checks above.
    #[command(flatten)]
    pub model: crate::model::ModelArgs,
}

/// What the binary does instead of a run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lists the changes from OLD to NEW that break a client generated from
    /// OLD (exit 1 when there is one), and warnings (exit 0): a removed
    /// operation, parameter or response property, a request enum value
    /// removed, a required parameter or body property added (or an optional
    /// one made required), a type changed; a response enum widened is a
    /// warning. Each line names its place with a JSON pointer into OLD (for
    /// what was removed) or NEW.
    Diff {
        /// The released document, e.g. openapi/released/4.0.json.
        old: PathBuf,
        /// The document to release, e.g. openapi/openapi.json.
        new: PathBuf,
    },
    /// Sends the same generated sequences of requests to two deployments and
    /// compares their answers field by field (differential testing, as
    /// Diffy does): e.g. the legacy server as --old and its replacement as
    /// --new, before traffic moves.
    ///
    /// Each sequence is the stateful model's (sendsms, isregister, register,
    /// login, verify_code, forget_password, /me and /logout, every encoding,
    /// valid and malformed arguments), taken on each deployment on phones of
    /// its own in the unallocated 10x range (and, when both are reached over
    /// loopback, from client addresses of its own), so the two runs never
    /// meet, even on one deployment. Compared per answer: the HTTP status,
    /// the media type, whether Retry-After is there, and every field of the
    /// JSON body. Masked first, as they are random per deployment: session
    /// tokens (/data/token) and new accounts' user ids (/data/user_id),
    /// compared as <token 1>, <user_id 1>... numbered by first appearance in
    /// the sequence; each sequence's phones; Retry-After's seconds;
    /// content-type parameters.
    ///
    /// Prints each difference, grouped by operation and field, with the
    /// shortest sequence found that shows it (shrunk) and both answers.
    /// Exit status: 0 when the answers are alike (or differ only where
    /// --allow accepts it), 1 on any other difference, 2 when the run could
    /// not start. Like a run against one deployment, it registers accounts
    /// and asks both to send SMS codes (leave sendsms out with --skip where
    /// that costs money); verification may be on or off on either.
    Compare {
        /// The deployment the answers are expected from, e.g. the legacy
        /// server: http://legacy.internal:5000.
        #[arg(long, value_name = "URL")]
        old: String,

        /// The deployment under test, e.g. http://127.0.0.1:5000.
        #[arg(long, value_name = "URL")]
        new: String,

        /// Sequences to run (each of 1 to 24 steps, sent to both).
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
        cases: u32,

        /// Send only these operationIds' steps (comma-separated); the other
        /// steps of each sequence are left out.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,

        /// Leave these operationIds' steps out (comma-separated).
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,

        /// Accepted differences, one a line: `operationId field [why]`,
        /// e.g. `sendsms /code the old server had no send limit`. The field
        /// is status, content-type, retry-after, body, or a JSON pointer
        /// into the body (/msg); `*` matches any operation or any field; `#`
        /// starts a comment. They are reported, and do not fail the run.
        #[arg(long, value_name = "FILE")]
        allow: Option<PathBuf>,

        /// Write a JUnit XML report here: a suite `compare` with a test case
        /// per operation, failed with its differences not allowed.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
}

/// A percentage from 0 to 100.
fn percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{text:?} is not a number; give a percentage from 0 to 100"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not a percentage from 0 to 100"))
    }
}

/// A coverage file that is not itself the `.md` file written beside it.
fn coverage_file(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if path.extension().is_some_and(|e| e == "md") {
        return Err(format!(
            "{text:?}: give the JSON file (e.g. coverage.json); the Markdown is written beside it as .md"
        ));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_run_needs_a_base_url_and_diff_needs_none() {
        let run = Cli::try_parse_from(["contract-tests", "--base-url", "http://h", "--cases", "8"])
            .unwrap();
        assert_eq!(run.base_url.as_deref(), Some("http://h"));
        assert!(run.command.is_none());
        let diff = Cli::try_parse_from(["contract-tests", "diff", "a.json", "b.json"]).unwrap();
        assert!(matches!(diff.command, Some(Command::Diff { .. })));
        assert!(Cli::try_parse_from(["contract-tests", "--cases", "8"]).is_err());
        assert!(
            Cli::try_parse_from(["contract-tests", "--base-url", "http://h", "diff", "a", "b"])
                .is_err()
        );
    }

    #[test]
    fn compare_takes_two_deployments_and_the_run_flags() {
        let cli = Cli::try_parse_from([
            "contract-tests",
            "compare",
            "--old",
            "http://old",
            "--new",
            "http://new",
            "--only",
            "login,register",
            "--allow",
            "accepted.txt",
        ])
        .unwrap();
        let Some(Command::Compare {
            old,
            new,
            cases,
            only,
            allow,
            ..
        }) = cli.command
        else {
            panic!("not compare: {cli:?}");
        };
        assert_eq!(
            (old.as_str(), new.as_str(), cases),
            ("http://old", "http://new", 32)
        );
        assert_eq!(only, ["login", "register"]);
        assert_eq!(allow, Some(PathBuf::from("accepted.txt")));
        assert!(Cli::try_parse_from(["contract-tests", "compare", "--old", "http://old"]).is_err());
    }

    #[test]
    fn min_coverage_is_a_percentage() {
        let parse = |value: &str| {
            Cli::try_parse_from(["contract-tests", "--base-url", "x", "--min-coverage", value])
        };
        assert_eq!(parse("62.5").unwrap().min_coverage, Some(62.5));
        assert_eq!(parse("0").unwrap().min_coverage, Some(0.0));
        assert_eq!(parse("100%").unwrap().min_coverage, Some(100.0));
        for bad in ["101", "-1", "most", "NaN"] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("percentage from 0 to 100"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_coverage_file_is_json_with_its_markdown_beside_it() {
        let parse = |value: &str| {
            Cli::try_parse_from(["contract-tests", "--base-url", "x", "--coverage", value])
        };
        assert!(parse("target/coverage.json").is_ok());
        let err = parse("coverage.md").unwrap_err().to_string();
        assert!(err.contains("the Markdown is written beside it"), "{err}");
    }
}
