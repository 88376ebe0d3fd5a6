//! The users seeded, the six scenarios, and how each answer is known to be
//! the expected one.
//!
//! oha reports statuses and byte counts, not bodies, and this API answers
//! business refusals with HTTP 200. So before each load the harness sends a
//! few requests of the same kind itself and checks every envelope's `code`;
//! the scenarios are built so that every expected answer of one load has the
//! same body size (one name, one device, fixed-length ids and tokens; for
//! `isregister` the `expect` that matches each phone, so both answers are
//! code 200 with a message of equal length). An answer that is not the
//! expected one then shows in oha's byte total; every refusal of login and
//! register is shorter than its success.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
    thread,
    time::{Duration, Instant},
};

use contract_tests::http::{Client, HttpRequest, HttpResponse, percent_encode};
use serde_json::Value;

use crate::{
    oha::{Load, Oha, Outcome, Target},
    server::{self, RssSampler},
};

/// The password of every seeded user (6 to 14 characters).
pub const PASSWORD: &str = "bench-pass-01";
/// The name of every user: one length, so every login answer has one size.
pub const NAME: &str = "bench";
/// The device of every user and login, so `change_device` is always false.
pub const DEVICE: &str = "bench-device";
/// Where the documented operations live.
const BASE: &str = "/api/v4.0";
/// Form bodies.
const FORM: &str = "application/x-www-form-urlencoded";
/// Phones `register` draws at random: never seeded, never sampled.
const FRESH_PHONE_REGEX: &str = "1[5-9][0-9]{9}";

/// The `index`th seeded phone: 13800000000, 13800000001, ...
pub fn registered_phone(index: u32) -> String {
    (13_800_000_000_u64 + u64::from(index)).to_string()
}

/// The `index`th phone that is never registered: 13900000000, ...
pub fn unregistered_phone(index: u32) -> String {
    (13_900_000_000_u64 + u64::from(index)).to_string()
}

/// A phone registered by a sample request of `register` (outside the random range).
fn sample_phone(index: u32) -> String {
    (14_000_000_000_u64 + u64::from(index)).to_string()
}

fn login_body(phone: &str) -> String {
    format!(
        "phone={phone}&password={}&device_identifier={}",
        percent_encode(PASSWORD),
        percent_encode(DEVICE)
    )
}

fn register_query(phone: &str) -> String {
    format!(
        "phone={phone}&name={}&password={}&device_identifier={}",
        percent_encode(NAME),
        percent_encode(PASSWORD),
        percent_encode(DEVICE)
    )
}

fn get(path_and_query: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path_and_query,
        headers: Vec::new(),
        body: None,
    }
}

fn post_form(path: &str, body: String) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path_and_query: path.to_owned(),
        headers: vec![("content-type".into(), FORM.into())],
        body: Some(body.into_bytes()),
    }
}

/// Registers `users` phones through the API with `threads` clients at once.
pub fn seed(client: &Client, users: u32, threads: usize) -> Result<(), String> {
    let next = AtomicU32::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= users {
                            return Ok(());
                        }
                        let phone = registered_phone(index);
                        let body = format!("{}&name={}", login_body(&phone), percent_encode(NAME));
                        let response =
                            client.send(&post_form(&format!("{BASE}/register"), body))?;
                        check_answer(&response, Answer::Code(200))
                            .map_err(|err| format!("seeding {phone}: {err}"))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a seeding thread does not panic"))
            .collect::<Result<Vec<()>, String>>()
    })?;
    eprintln!(
        "seeded {users} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What a correct answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `/livez`: `{"status":"ok"}`.
    Live,
    /// An envelope with this numeric `code`.
    Code(i64),
}

/// `Ok` when `response` is HTTP 2xx with the expected body.
fn check_answer(response: &HttpResponse, expected: Answer) -> Result<(), String> {
    let shown = || String::from_utf8_lossy(&response.body).into_owned();
    if !(200..300).contains(&response.status) {
        return Err(format!("HTTP {}: {}", response.status, shown()));
    }
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|err| format!("not JSON ({err}): {}", shown()))?;
    let ok = match expected {
        Answer::Live => body.get("status").and_then(Value::as_str) == Some("ok"),
        Answer::Code(code) => body.get("code").and_then(Value::as_i64) == Some(code),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {}", shown()))
    }
}

/// What the sample requests of one load showed.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// The body size every correct answer had (`None` when none was correct).
    pub body_bytes: Option<u64>,
    /// Sample requests answered wrongly, with the first one described.
    pub errors: u64,
    /// The first wrong answer.
    pub first_error: Option<String>,
}

/// Sends `requests` and checks each answer.
fn sample(client: &Client, requests: &[(HttpRequest, Answer)]) -> Result<Sample, String> {
    let mut result = Sample::default();
    for (request, expected) in requests {
        let outcome = client
            .send(request)
            .and_then(|response| check_answer(&response, *expected).map(|()| response));
        match outcome {
            Ok(response) => {
                let size = response.body.len() as u64;
                match result.body_bytes {
                    None => result.body_bytes = Some(size),
                    Some(known) if known != size => {
                        return Err(format!(
                            "correct answers of one load differ in size ({known} and {size} \
                             bytes, for {request}): the byte check cannot work; this is a bug \
                             of the harness"
                        ));
                    }
                    Some(_) => {}
                }
            }
            Err(err) => {
                result.errors += 1;
                result
                    .first_error
                    .get_or_insert_with(|| format!("{request}\n→ {err}"));
            }
        }
    }
    Ok(result)
}

/// The settings of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How long each measured load runs.
    pub duration: Duration,
    /// Users seeded.
    pub users: u32,
    /// Connections of `livez` and `isregister` (alone and alongside the flood).
    pub connections: usize,
    /// Connections of `login`, `register` and the login flood.
    pub login_connections: usize,
    /// Concurrent logins of the memory scenario.
    pub burst: usize,
}

/// One measured load of a scenario.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Short name, e.g. `isregister+flood`.
    pub key: String,
    /// What was sent.
    pub description: String,
    /// Connections.
    pub connections: usize,
    /// oha's figures.
    pub outcome: Outcome,
    /// The sample check before the load.
    pub sample: Sample,
    /// The largest resident set of the server during the scenario, in KiB:
    /// `VmHWM` when it could be reset at the start, else the largest `VmRSS`
    /// sampled every 50 ms.
    pub peak_rss_kib: u64,
    /// The largest `VmRSS` sampled every 50 ms, in KiB.
    pub sampled_rss_kib: u64,
}

impl Measured {
    /// Body bytes that differ from `answers × expected size` (0 when every
    /// answer is the expected one); `None` when the sample found no correct
    /// answer to size, or some answers were not 2xx (counted already).
    pub fn mismatched_bytes(&self) -> Option<i128> {
        let size = self.sample.body_bytes?;
        let answers = self.outcome.answers();
        (answers == self.outcome.successes())
            .then(|| i128::from(answers) * i128::from(size) - i128::from(self.outcome.body_bytes))
    }

    /// Answers known to be wrong envelopes: 0 when the bytes add up, else at
    /// least one (a lower bound: `|mismatch| ÷ size`, rounded up).
    pub fn envelope_errors(&self) -> u64 {
        match (self.mismatched_bytes(), self.sample.body_bytes) {
            (Some(0) | None, _) => 0,
            (Some(bytes), Some(size)) => {
                let size = i128::from(size.max(1));
                u64::try_from((bytes.abs() + size - 1) / size).unwrap_or(u64::MAX)
            }
            (Some(_), None) => 1,
        }
    }

    /// Non-2xx answers, requests without an answer, wrong envelopes (a lower
    /// bound when not zero) and wrong sample answers.
    pub fn errors(&self) -> u64 {
        let non_2xx = self.outcome.answers() - self.outcome.successes();
        non_2xx + self.outcome.transport_error_count() + self.envelope_errors() + self.sample.errors
    }

    /// Whether [`Measured::errors`] is exact (the envelope part may be a lower bound).
    pub fn errors_exact(&self) -> bool {
        self.envelope_errors() == 0
    }
}

/// Runs every scenario against the server at `base_url` (process `pid`).
pub struct Runner<'a> {
    /// The load generator.
    pub oha: &'a Oha,
    /// The harness's own client, for samples.
    pub client: &'a Client,
    /// `http://127.0.0.1:<port>`.
    pub base_url: &'a str,
    /// The server's process id.
    pub pid: u32,
    /// Where request files are written.
    pub work_dir: &'a Path,
    /// The settings.
    pub plan: &'a Plan,
}

/// A load with its sample requests, before it runs.
struct Prepared {
    key: &'static str,
    description: String,
    load: Load,
    sample: Sample,
}

impl Runner<'_> {
    /// The six scenarios in order; the fifth gives two rows.
    pub fn run_all(&self) -> Result<Vec<Measured>, String> {
        let mut rows = Vec::new();
        eprintln!("warming up (livez and isregister, 2 s each, not recorded)");
        for prepared in [self.livez()?, self.isregister("")?] {
            let mut load = prepared.load;
            load.duration = Duration::from_secs(2);
            self.oha.start(&load)?.finish()?;
        }

        rows.extend(self.measure(vec![self.livez()?])?);
        rows.extend(self.measure(vec![self.isregister("")?])?);
        rows.extend(self.measure(vec![self.login("", self.plan.login_connections)?])?);
        rows.extend(self.measure(vec![self.register()?])?);
        rows.extend(self.measure(vec![
            self.login("+isregister", self.plan.login_connections)?,
            self.isregister("+flood")?,
        ])?);
        rows.extend(self.measure(vec![self.login("-burst", self.plan.burst)?])?);
        Ok(rows)
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base_url)
    }

    fn load(&self, target: Target, connections: usize) -> Load {
        Load {
            target,
            connections,
            duration: self.plan.duration,
            method: None,
            content_type: None,
            body_lines: None,
        }
    }

    fn livez(&self) -> Result<Prepared, String> {
        let request = get("/livez".into());
        let sample = sample(self.client, &vec![(request, Answer::Live); 4])?;
        Ok(Prepared {
            key: "livez",
            description: "GET /livez: the framework's ceiling (no database)".into(),
            load: self.load(Target::Url(self.url("/livez")), self.plan.connections),
            sample,
        })
    }

    /// Random phones, half registered (asked with expect=1), half not (expect=0).
    fn isregister(&self, suffix: &'static str) -> Result<Prepared, String> {
        let path = |phone: &str, expect: u8| format!("{BASE}/isregister/{phone}?expect={expect}");
        let mut urls = String::new();
        let mut requests = Vec::new();
        for index in 0..self.plan.users {
            let registered = path(&registered_phone(index), 1);
            let unregistered = path(&unregistered_phone(index), 0);
            urls.push_str(&format!(
                "{}\n{}\n",
                self.url(&registered),
                self.url(&unregistered)
            ));
            if index % (self.plan.users / 4).max(1) == 0 {
                requests.push((get(registered), Answer::Code(200)));
                requests.push((get(unregistered), Answer::Code(200)));
            }
        }
        let file = self.write("isregister-urls.txt", &urls)?;
        Ok(Prepared {
            key: if suffix.is_empty() {
                "isregister"
            } else {
                "isregister+flood"
            },
            description: format!(
                "GET /isregister/{{phone}} for {} registered and {} unregistered phones at random",
                self.plan.users, self.plan.users
            ),
            load: self.load(Target::UrlsFile(file), self.plan.connections),
            sample: sample(self.client, &requests)?,
        })
    }

    /// Correct passwords of the seeded users, at random.
    fn login(&self, suffix: &'static str, connections: usize) -> Result<Prepared, String> {
        let bodies: Vec<String> = (0..self.plan.users)
            .map(|index| login_body(&registered_phone(index)))
            .collect();
        let file = self.write("login-bodies.txt", &(bodies.join("\n") + "\n"))?;
        let requests: Vec<_> = bodies
            .iter()
            .step_by((bodies.len() / 4).max(1))
            .map(|body| {
                (
                    post_form(&format!("{BASE}/login"), body.clone()),
                    Answer::Code(200),
                )
            })
            .collect();
        let mut load = self.load(Target::Url(self.url(&format!("{BASE}/login"))), connections);
        load.method = Some("POST");
        load.content_type = Some(FORM);
        load.body_lines = Some(file);
        Ok(Prepared {
            key: match suffix {
                "" => "login",
                "+isregister" => "login+isregister",
                _ => "login-burst",
            },
            description: format!(
                "POST /login (form) with the correct password of one of {} users at random",
                self.plan.users
            ),
            load,
            sample: sample(self.client, &requests)?,
        })
    }

    /// Fresh random phones (`1[5-9]` and 9 digits: a repeat is ~1 in 10⁴ per run).
    fn register(&self) -> Result<Prepared, String> {
        let requests: Vec<_> = (0..4)
            .map(|index| {
                let query = register_query(&sample_phone(index));
                (get(format!("{BASE}/register?{query}")), Answer::Code(200))
            })
            .collect();
        let pattern = format!(
            "{}\\?{}",
            self.url(&format!("{BASE}/register")),
            register_query(FRESH_PHONE_REGEX)
        );
        Ok(Prepared {
            key: "register",
            description: "GET /register (the original's form) of fresh random phones".into(),
            load: self.load(Target::RandRegex(pattern), self.plan.login_connections),
            sample: sample(self.client, &requests)?,
        })
    }

    /// Runs `loads` together — the first one second longer on each side, so
    /// the others run entirely inside it — and measures the server's memory.
    fn measure(&self, loads: Vec<Prepared>) -> Result<Vec<Measured>, String> {
        let keys: Vec<&str> = loads.iter().map(|p| p.key).collect();
        eprintln!(
            "running {} for {} s",
            keys.join(" with "),
            self.plan.duration.as_secs_f64()
        );
        let hwm_reset = server::reset_peak_rss(self.pid);
        let sampler = RssSampler::start(self.pid, Duration::from_millis(50));
        let margin = Duration::from_secs(1);
        let mut running = Vec::new();
        for (position, prepared) in loads.iter().enumerate() {
            let mut load = prepared.load.clone();
            if position == 0 && loads.len() > 1 {
                load.duration += margin * 2;
            }
            if position == 1 {
                thread::sleep(margin);
            }
            running.push(self.oha.start(&load)?);
        }
        let outcomes: Vec<Outcome> = running
            .into_iter()
            .map(|run| run.finish())
            .collect::<Result<_, _>>()?;
        let sampled = sampler.finish();
        let peak = match server::status_kib(self.pid, "VmHWM") {
            Some(hwm) if hwm_reset => hwm.max(sampled),
            _ => sampled,
        };
        Ok(loads
            .into_iter()
            .zip(outcomes)
            .map(|(prepared, outcome)| Measured {
                key: prepared.key.to_owned(),
                description: prepared.description,
                connections: prepared.load.connections,
                outcome,
                sample: prepared.sample,
                peak_rss_kib: peak,
                sampled_rss_kib: sampled,
            })
            .collect())
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        let path = self.work_dir.join(name);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(statuses: &[(u16, u64)], body_bytes: u64, size: Option<u64>) -> Measured {
        Measured {
            key: "login".into(),
            description: String::new(),
            connections: 1,
            outcome: Outcome {
                seconds: 1.0,
                statuses: statuses.iter().copied().collect(),
                body_bytes,
                ..Outcome::default()
            },
            sample: Sample {
                body_bytes: size,
                ..Sample::default()
            },
            peak_rss_kib: 0,
            sampled_rss_kib: 0,
        }
    }

    #[test]
    fn answers_of_the_expected_size_are_no_errors() {
        let run = measured(&[(200, 100)], 100 * 180, Some(180));
        assert_eq!(run.mismatched_bytes(), Some(0));
        assert_eq!(run.errors(), 0);
        assert!(run.errors_exact());
    }

    #[test]
    fn shorter_refusals_among_the_answers_are_errors() {
        // 3 answers of 50 bytes (a refusal) instead of 180.
        let run = measured(&[(200, 100)], 97 * 180 + 3 * 50, Some(180));
        assert_eq!(run.mismatched_bytes(), Some(3 * 130));
        assert!(run.errors() >= 1);
        assert!(!run.errors_exact());
    }

    #[test]
    fn non_2xx_answers_and_transport_failures_are_errors() {
        let mut run = measured(&[(200, 10), (500, 2)], 0, Some(180));
        run.outcome
            .transport_errors
            .insert("connection reset".into(), 3);
        assert_eq!(run.errors(), 5);
    }

    #[test]
    fn the_phone_ranges_never_overlap() {
        let fresh = regex_free_prefixes();
        for phone in [registered_phone(0), unregistered_phone(0), sample_phone(0)] {
            assert_eq!(phone.len(), 11);
            assert!(!fresh.contains(&phone.as_bytes()[1]), "{phone}");
        }
        assert_ne!(registered_phone(1999)[..3], unregistered_phone(0)[..3]);
    }

    fn regex_free_prefixes() -> Vec<u8> {
        // FRESH_PHONE_REGEX is 1[5-9]...: second digits 5 to 9.
        assert!(FRESH_PHONE_REGEX.starts_with("1[5-9]"));
        (b'5'..=b'9').collect()
    }
}
