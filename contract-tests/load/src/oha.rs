//! The load generator: [oha](https://github.com/hatoo/oha), run as a child
//! process with JSON output, one process per load.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;

/// The oha release installed when none is found; its JSON output is what [`Outcome::parse`] reads.
pub const PINNED_VERSION: &str = "1.16.0";

/// A usable oha binary.
#[derive(Debug, Clone)]
pub struct Oha {
    path: PathBuf,
    /// `oha --version`, e.g. `oha 1.16.0`.
    pub version: String,
}

impl Oha {
    /// `explicit` if given; else `oha` on `PATH` when it has `--output-format`;
    /// else the copy in `tools` (installing it there with cargo when absent,
    /// if `install` allows; otherwise the error says the exact command).
    pub fn locate(explicit: Option<&Path>, tools: &Path, install: bool) -> Result<Self, String> {
        if let Some(path) = explicit {
            return Self::at(path).ok_or_else(|| {
                format!(
                    "{} is not a usable oha (it must run and know --output-format)",
                    path.display()
                )
            });
        }
        if let Some(oha) = Self::at(Path::new("oha")) {
            return Ok(oha);
        }
        let local = tools.join("bin").join("oha");
        if let Some(oha) = Self::at(&local) {
            return Ok(oha);
        }
        let command = format!(
            "cargo install oha --version {PINNED_VERSION} --locked --root {}",
            tools.display()
        );
        if !install {
            return Err(format!(
                "oha (the load generator) is not installed; install it with\n\n    {command}\n\n\
                 or `cargo install oha --locked` for your PATH, or pass --install-oha"
            ));
        }
        eprintln!("oha not found: installing it (a few minutes, once):\n    {command}");
        let status = Command::new("cargo")
            .args([
                "install",
                "oha",
                "--version",
                PINNED_VERSION,
                "--locked",
                "--root",
            ])
            .arg(tools)
            .status()
            .map_err(|err| format!("cannot run cargo: {err}"))?;
        if !status.success() {
            return Err(format!("`{command}` failed ({status})"));
        }
        Self::at(&local).ok_or_else(|| format!("{} does not run after installing", local.display()))
    }

    /// The oha at `path` if it runs and speaks `--output-format json`.
    fn at(path: &Path) -> Option<Self> {
        let version = Command::new(path).arg("--version").output().ok()?;
        let help = Command::new(path).arg("--help").output().ok()?;
        let knows_json = String::from_utf8_lossy(&help.stdout).contains("--output-format");
        (version.status.success() && knows_json).then(|| Self {
            path: path.to_owned(),
            version: String::from_utf8_lossy(&version.stdout).trim().to_owned(),
        })
    }

    /// Starts `load`; [`Running::finish`] waits for it and reads its result.
    pub fn start(&self, load: &Load) -> Result<Running, String> {
        let mut command = Command::new(&self.path);
        command
            .args(["--no-tui", "--output-format", "json", "-w"])
            .arg("-z")
            .arg(format!("{}ms", load.duration.as_millis()))
            .arg("-c")
            .arg(load.connections.to_string());
        if let Some(method) = load.method {
            command.args(["-m", method]);
        }
        if let Some(content_type) = load.content_type {
            command.args(["-T", content_type]);
        }
        if let Some(lines) = &load.body_lines {
            command.arg("-Z").arg(lines);
        }
        for header in &load.headers {
            command.arg("-H").arg(header);
        }
        match &load.target {
            Target::Url(url) => command.arg(url),
            Target::UrlsFile(path) => command.arg("--urls-from-file").arg(path),
            Target::RandRegex(pattern) => command.arg("--rand-regex-url").arg(pattern),
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", self.path.display()))?;
        Ok(Running { child })
    }
}

/// What one oha process sends.
#[derive(Debug, Clone)]
pub struct Load {
    /// Where the requests go.
    pub target: Target,
    /// Connections, each with one request in flight at a time.
    pub connections: usize,
    /// How long new requests are started; those in flight then are awaited.
    pub duration: Duration,
    /// The method, GET when `None`.
    pub method: Option<&'static str>,
    /// The `Content-Type` of the body.
    pub content_type: Option<&'static str>,
    /// A file whose lines are bodies, one picked at random per request.
    pub body_lines: Option<PathBuf>,
    /// Headers of every request, each `Name: value`.
    pub headers: Vec<String>,
}

/// The URL of each request.
#[derive(Debug, Clone)]
pub enum Target {
    /// One URL.
    Url(String),
    /// A file of URLs, one picked at random per request.
    UrlsFile(PathBuf),
    /// A regular expression each URL is generated from (`.` is literal).
    RandRegex(String),
}

/// A started oha process.
pub struct Running {
    child: Child,
}

impl Running {
    /// Waits for the run to end and parses its report.
    pub fn finish(self) -> Result<Outcome, String> {
        let output = self
            .child
            .wait_with_output()
            .map_err(|err| format!("waiting for oha: {err}"))?;
        if !output.status.success() {
            return Err(format!(
                "oha failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Outcome::parse(&String::from_utf8_lossy(&output.stdout))
    }
}

/// What oha measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Seconds from the first request to the last answer.
    pub seconds: f64,
    /// Latency percentiles in milliseconds, by percentile (`50.0`, `99.9`, ...).
    pub percentiles: Vec<(f64, f64)>,
    /// Slowest answer, in milliseconds.
    pub slowest_ms: f64,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests without an answer, by error message.
    pub transport_errors: BTreeMap<String, u64>,
    /// Body bytes of every answer.
    pub body_bytes: u64,
}

impl Outcome {
    /// Reads oha's `--output-format json` report.
    pub fn parse(json: &str) -> Result<Self, String> {
        let report: Value =
            serde_json::from_str(json).map_err(|err| format!("oha's JSON report: {err}"))?;
        let number = |pointer: &str| {
            report
                .pointer(pointer)
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("oha's JSON report has no number at {pointer}"))
        };
        let mut percentiles: Vec<(f64, f64)> = report
            .get("latencyPercentiles")
            .and_then(Value::as_object)
            .ok_or("oha's JSON report has no latencyPercentiles")?
            .iter()
            .filter_map(|(name, seconds)| {
                let percentile = name.strip_prefix('p')?.parse::<f64>().ok()?;
                Some((percentile, seconds.as_f64()? * 1000.0))
            })
            .collect();
        percentiles.sort_by(|a, b| a.0.total_cmp(&b.0));
        let counts = |key: &str| -> BTreeMap<String, u64> {
            report
                .get(key)
                .and_then(Value::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(name, count)| (name.clone(), count.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let statuses = counts("statusCodeDistribution")
            .into_iter()
            .map(|(status, count)| {
                status
                    .parse::<u16>()
                    .map(|status| (status, count))
                    .map_err(|_| format!("oha reported a status {status:?}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            seconds: number("/summary/total")?,
            percentiles,
            slowest_ms: number("/summary/slowest").unwrap_or(f64::NAN) * 1000.0,
            statuses,
            transport_errors: counts("errorDistribution"),
            body_bytes: number("/summary/totalData")? as u64,
        })
    }

    /// Answers with any status.
    pub fn answers(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers with a 2xx status.
    pub fn successes(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| (200..300).contains(*status))
            .map(|(_, count)| count)
            .sum()
    }

    /// Requests that got no answer.
    pub fn transport_error_count(&self) -> u64 {
        self.transport_errors.values().sum()
    }

    /// 2xx answers per second.
    pub fn requests_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.successes() as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The latency at `percentile` (as oha reports it, e.g. 99.0), in milliseconds.
    pub fn latency_ms(&self, percentile: f64) -> f64 {
        self.percentiles
            .iter()
            .find(|(p, _)| (*p - percentile).abs() < 1e-9)
            .map_or(f64::NAN, |(_, ms)| *ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{
      "summary": {"successRate": 1.0, "total": 2.0, "slowest": 0.5, "fastest": 0.001,
                  "average": 0.01, "requestsPerSec": 150.0, "totalData": 3000,
                  "sizePerRequest": 10, "sizePerSec": 1500.0},
      "latencyPercentiles": {"p10": 0.001, "p50": 0.002, "p99": 0.25, "p99.9": 0.4},
      "statusCodeDistribution": {"200": 299, "500": 1},
      "errorDistribution": {"connection closed": 2}
    }"#;

    #[test]
    fn an_oha_report_gives_counts_percentiles_and_bytes() {
        let outcome = Outcome::parse(REPORT).unwrap();
        assert_eq!(outcome.answers(), 300);
        assert_eq!(outcome.successes(), 299);
        assert_eq!(outcome.transport_error_count(), 2);
        assert_eq!(outcome.body_bytes, 3000);
        assert!((outcome.requests_per_second() - 149.5).abs() < 1e-9);
        assert!((outcome.latency_ms(99.0) - 250.0).abs() < 1e-9);
        assert!((outcome.latency_ms(99.9) - 400.0).abs() < 1e-9);
        assert_eq!(
            outcome.percentiles.first().map(|p| p.0),
            Some(10.0),
            "sorted by percentile"
        );
    }

    #[test]
    fn a_report_without_percentiles_is_refused() {
        assert!(Outcome::parse(r#"{"summary": {"total": 1.0, "totalData": 0}}"#).is_err());
    }
}
