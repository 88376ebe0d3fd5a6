//! Runs the generated requests against a deployment and gathers what broke.
//!
//! Every target (operation × encoding) gets `cases` requests from its
//! strategy, each from its own seed. All cases run, so a report counts how
//! often each violation occurs; the first case of each distinct violation is
//! shrunk to a minimal request. With a regressions directory, the seeds of
//! failing cases are kept in proptest's `cc <hex>` format and replayed first
//! on the next run.

use std::{
    collections::BTreeMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use proptest::{
    prelude::Rng,
    strategy::{Strategy, ValueTree},
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use serde_json::Value;

use crate::{
    check::{Contract, Violation},
    document::{Location, Target},
    http::{Client, HttpRequest, HttpResponse},
    inputs::{
        Fixtures, GeneratedRequest, LIVE_TOKEN, fresh_phone, render, request_strategy, scalar_text,
    },
};

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Cases per target.
    pub cases: u32,
    /// Targets checked at once.
    pub jobs: usize,
    /// Where failing seeds are kept and replayed from; `None` keeps nothing.
    pub regressions: Option<PathBuf>,
    /// The most shrinking steps (each one request) per distinct violation.
    pub max_shrink_steps: u32,
    /// Only these operationIds (all when empty).
    pub only: Vec<String>,
    /// Never these operationIds.
    pub skip: Vec<String>,
}

impl Default for RunConfig {
    /// 256 cases (or `PROPTEST_CASES`), two at once, nothing kept.
    fn default() -> Self {
        Self {
            cases: Config::default().cases,
            jobs: 2,
            regressions: None,
            max_shrink_steps: 256,
            only: Vec::new(),
            skip: Vec::new(),
        }
    }
}

/// One distinct violation of a target, with the smallest request that shows it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What makes it distinct.
    pub signature: String,
    /// In how many cases it occurred.
    pub occurrences: u32,
    /// The (shrunk) request.
    pub request: HttpRequest,
    /// What came back.
    pub response: Result<HttpResponse, String>,
    /// Everything wrong with that response.
    pub violations: Vec<Violation>,
    /// How many shrinking steps made the request smaller.
    pub shrink_steps: u32,
}

/// What happened to one target.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// The target.
    pub target: Target,
    /// Cases run, replayed regressions included.
    pub cases: u32,
    /// Of those, replayed from the regressions file.
    pub replayed: u32,
    /// Cases with at least one violation.
    pub failing_cases: u32,
    /// One entry per distinct violation.
    pub failures: Vec<Failure>,
    /// How often each answer came: the envelope's `code` for HTTP 200
    /// (`"200"` quoted when it is a string), else `HTTP <status>`.
    pub answers: BTreeMap<String, u32>,
}

impl TargetReport {
    /// `METHOD /path [operationId, encoding]`.
    pub fn title(&self) -> String {
        format!(
            "{} [{} {}]",
            self.target.operation.title(),
            self.target.operation.operation_id,
            self.target.encoding.label()
        )
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// Everything a run needs: the compiled contract, a client and the fixtures.
pub struct Checker {
    /// The contract.
    pub contract: Contract,
    /// The deployment.
    pub client: Client,
    /// Accounts and tokens created on it.
    pub fixtures: Fixtures,
    /// Notes from setting up (shown by the binary).
    pub notes: Vec<String>,
    /// Phone and password of the account that mints live tokens.
    minter: Option<(String, String)>,
}

impl Checker {
    /// Connects to `base_url` and creates the fixture accounts.
    pub fn new(contract: Contract, base_url: &str) -> Result<Self, SetupError> {
        let client = Client::new(base_url).map_err(SetupError)?;
        let mut checker = Self {
            contract,
            client,
            fixtures: Fixtures::default(),
            notes: Vec::new(),
            minter: None,
        };
        checker.create_fixtures()?;
        Ok(checker)
    }

    /// Registers test accounts through the document's `register` operation
    /// (fresh test phones, the schemas' example values), so that logins,
    /// resets, sessions and "already registered" answers are reachable: one
    /// whose values mix freely with generated ones, two kept whole as
    /// [`Fixtures`] accounts, and one that only ever logs in to mint live
    /// tokens.
    fn create_fixtures(&mut self) -> Result<(), SetupError> {
        let Some(register) = self.contract.document.operation_by_id("register") else {
            self.notes
                .push("no `register` operation: running without fixture accounts".to_owned());
            return Ok(());
        };
        let mut runner = TestRunner::new(Config::default());
        for role in 0..4 {
            let phone = fresh_phone()
                .new_tree(&mut runner)
                .map_err(|e| SetupError(e.to_string()))?
                .current();
            let mut fields = serde_json::Map::new();
            for input in register
                .inputs
                .iter()
                .filter(|i| i.location == Location::Body)
            {
                let value = if input.name.eq_ignore_ascii_case("phone") {
                    Value::String(phone.clone())
                } else if let Some(example) = input.schema.get("example") {
                    example.clone()
                } else if input.required {
                    Value::String("contract-tests".to_owned())
                } else {
                    continue;
                };
                fields.insert(input.name.clone(), value);
            }
            let Some(data) = self.post_json(&register, &fields)? else {
                continue;
            };
            let text = |name: &str| fields.get(name).map(scalar_text).unwrap_or_default();
            match role {
                0 => {
                    for (name, value) in &fields {
                        self.fixtures.add(name, &scalar_text(value));
                    }
                    for key in ["token", "user_id"] {
                        if let Some(value) = data[key].as_str() {
                            self.fixtures.add(key, value);
                        }
                    }
                }
                1 | 2 => {
                    let account = ["phone", "password"]
                        .into_iter()
                        .map(|name| (name.to_owned(), text(name)))
                        .collect();
                    self.fixtures.add_account(account);
                }
                _ => {
                    self.minter = Some((phone, text("password")));
                    self.fixtures.live_token = self.mint_token().is_some();
                }
            }
        }
        Ok(())
    }

    /// POSTs `fields` as JSON to `operation`; the answer's `data` when it is
    /// an object (a success), else `None` with a note.
    fn post_json(
        &mut self,
        operation: &crate::document::Operation,
        fields: &serde_json::Map<String, Value>,
    ) -> Result<Option<Value>, SetupError> {
        let prefix = self.contract.document.server_prefix();
        let request = HttpRequest {
            method: operation.method.to_uppercase(),
            path_and_query: format!("{prefix}{}", operation.path),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: Some(Value::Object(fields.clone()).to_string().into_bytes()),
        };
        let response = self
            .client
            .send(&request)
            .map_err(|err| SetupError(format!("cannot reach {}: {err}", self.client.base_url())))?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if body["data"].is_object() {
            return Ok(Some(body["data"].clone()));
        }
        self.notes.push(format!(
            "setting up a test account: {} answered HTTP {} {}; success paths may go unexercised",
            operation.operation_id,
            response.status,
            String::from_utf8_lossy(&response.body)
        ));
        Ok(None)
    }

    /// A new session token of the token-minting account, from the document's
    /// `login` operation.
    fn mint_token(&self) -> Option<String> {
        let (phone, password) = self.minter.as_ref()?;
        let login = self.contract.document.operation_by_id("login")?;
        let body = serde_json::json!({
            "phone": phone,
            "password": password,
            "device_identifier": "contract-tests",
        });
        let request = HttpRequest {
            method: login.method.to_uppercase(),
            path_and_query: format!("{}{}", self.contract.document.server_prefix(), login.path),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: Some(body.to_string().into_bytes()),
        };
        let response = self.client.send(&request).ok()?;
        let body: Value = serde_json::from_slice(&response.body).ok()?;
        body["data"]["token"].as_str().map(str::to_owned)
    }

    /// The targets `config` selects, in document order.
    pub fn targets(&self, config: &RunConfig) -> Vec<Target> {
        self.contract
            .document
            .targets()
            .into_iter()
            .filter(|t| config.only.is_empty() || config.only.contains(&t.operation.operation_id))
            .filter(|t| !config.skip.contains(&t.operation.operation_id))
            .collect()
    }

    /// Runs every selected target; reports come back in document order.
    pub fn run(&self, config: &RunConfig) -> Vec<TargetReport> {
        let targets = self.targets(config);
        let next = AtomicUsize::new(0);
        let reports: Mutex<Vec<(usize, TargetReport)>> = Mutex::new(Vec::new());
        let mut seeds = TestRunner::new(Config::default());
        let master_seeds: Vec<[u8; 32]> = targets
            .iter()
            .map(|_| {
                let mut seed = [0u8; 32];
                seeds.rng().fill_bytes(&mut seed);
                seed
            })
            .collect();
        std::thread::scope(|scope| {
            for _ in 0..config.jobs.max(1) {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(target) = targets.get(index) else {
                            break;
                        };
                        let report = self.run_target(target, config, master_seeds[index]);
                        reports
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((index, report));
                    }
                });
            }
        });
        let mut reports = reports.into_inner().unwrap_or_else(|p| p.into_inner());
        reports.sort_by_key(|(index, _)| *index);
        reports.into_iter().map(|(_, report)| report).collect()
    }

    /// Runs `config.cases` cases (after any persisted ones) against `target`.
    pub fn run_target(
        &self,
        target: &Target,
        config: &RunConfig,
        master_seed: [u8; 32],
    ) -> TargetReport {
        let strategy = request_strategy(target, &self.fixtures);
        let regressions = config
            .regressions
            .as_ref()
            .map(|dir| dir.join(format!("{}.txt", target.id())));
        let persisted = regressions.as_deref().map(load_seeds).unwrap_or_default();
        let mut master = TestRng::from_seed(RngAlgorithm::ChaCha, &master_seed);
        let fresh = (0..config.cases).map(|_| {
            let mut seed = [0u8; 32];
            master.fill_bytes(&mut seed);
            seed
        });
        let seeds: Vec<([u8; 32], bool)> = persisted
            .iter()
            .map(|s| (*s, true))
            .chain(fresh.map(|s| (s, false)))
            .collect();

        let mut report = TargetReport {
            target: target.clone(),
            cases: 0,
            replayed: 0,
            failing_cases: 0,
            failures: Vec::new(),
            answers: BTreeMap::new(),
        };
        let mut groups: BTreeMap<String, usize> = BTreeMap::new();
        for (seed, replayed) in seeds {
            let mut runner = TestRunner::new_with_rng(
                Config::default(),
                TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
            );
            let Ok(mut tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            report.cases += 1;
            if replayed {
                report.replayed += 1;
            }
            let (request, response, violations) = self.exchange(target, &tree.current());
            *report.answers.entry(answer_kind(&response)).or_default() += 1;
            if violations.is_empty() {
                continue;
            }
            report.failing_cases += 1;
            for violation in &violations {
                let signature = violation.signature();
                if let Some(&at) = groups.get(&signature) {
                    report.failures[at].occurrences += 1;
                    continue;
                }
                let shrunk = self.shrink(target, &mut tree, &signature, config.max_shrink_steps);
                let failure = match shrunk {
                    Some((request, response, violations, steps)) => Failure {
                        signature: signature.clone(),
                        occurrences: 1,
                        request,
                        response,
                        violations,
                        shrink_steps: steps,
                    },
                    None => Failure {
                        signature: signature.clone(),
                        occurrences: 1,
                        request: request.clone(),
                        response: response.clone(),
                        violations: violations.clone(),
                        shrink_steps: 0,
                    },
                };
                groups.insert(signature.clone(), report.failures.len());
                report.failures.push(failure);
                if let (Some(path), false) = (&regressions, replayed) {
                    save_seed(path, &seed, &signature);
                }
            }
        }
        report
    }

    /// Renders, sends and checks one generated request.
    fn exchange(
        &self,
        target: &Target,
        generated: &GeneratedRequest,
    ) -> (HttpRequest, Result<HttpResponse, String>, Vec<Violation>) {
        let live = generated
            .fields
            .iter()
            .any(|f| f.value.as_str().is_some_and(|v| v.contains(LIVE_TOKEN)));
        let minted;
        let generated = if live {
            let token = self
                .mint_token()
                .unwrap_or_else(|| "00000000000000000000000000000000".to_owned());
            let mut copy = generated.clone();
            for field in &mut copy.fields {
                if let Some(text) = field.value.as_str().filter(|v| v.contains(LIVE_TOKEN)) {
                    field.value = Value::String(text.replace(LIVE_TOKEN, &token));
                }
            }
            minted = copy;
            &minted
        } else {
            generated
        };
        let request = render(target, &self.contract.document.server_prefix(), generated);
        let response = self.client.send(&request);
        let violations = self.contract.check(&target.operation, &response);
        (request, response, violations)
    }

    /// Simplifies `tree` while the request still shows `signature`; the
    /// smallest such exchange and the number of successful steps.
    #[allow(clippy::type_complexity)]
    fn shrink(
        &self,
        target: &Target,
        tree: &mut impl ValueTree<Value = GeneratedRequest>,
        signature: &str,
        max_steps: u32,
    ) -> Option<(
        HttpRequest,
        Result<HttpResponse, String>,
        Vec<Violation>,
        u32,
    )> {
        let mut best = None;
        let mut steps = 0;
        let mut tries = 0;
        if !tree.simplify() {
            return None;
        }
        loop {
            tries += 1;
            if tries > max_steps {
                break;
            }
            let (request, response, violations) = self.exchange(target, &tree.current());
            if violations.iter().any(|v| v.signature() == signature) {
                steps += 1;
                best = Some((request, response, violations, steps));
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
        best
    }
}

/// The envelope's `code` of an HTTP 200 answer, else `HTTP <status>`.
fn answer_kind(response: &Result<HttpResponse, String>) -> String {
    match response {
        Err(_) => "no answer".to_owned(),
        Ok(response) if response.status == 200 => serde_json::from_slice::<Value>(&response.body)
            .ok()
            .and_then(|body| body.get("code").map(Value::to_string))
            .unwrap_or_else(|| "HTTP 200".to_owned()),
        Ok(response) => format!("HTTP {}", response.status),
    }
}

/// Seeds kept in `path` (`cc <64 hex>` lines, as proptest writes them).
fn load_seeds(path: &Path) -> Vec<[u8; 32]> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.strip_prefix("cc "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(parse_hex_seed)
        .collect()
}

fn parse_hex_seed(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(seed)
}

fn save_seed(path: &Path, seed: &[u8; 32], signature: &str) {
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    if load_seeds(path).contains(seed) {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let new = !path.exists();
    let Ok(mut file) = fs::OpenOptions::new().create(true).append(true).open(path) else {
        return;
    };
    if new {
        let _ = writeln!(
            file,
            "# Seeds for failure cases the contract checker has found for this operation\n\
             # and encoding. They are replayed before any new cases. Check this file in\n\
             # to source control so that everyone who runs the checker also replays them."
        );
    }
    let one_line = signature.replace('\n', " ");
    let _ = writeln!(file, "cc {hex} # {one_line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_round_trip_through_a_regressions_file() {
        let dir = std::env::temp_dir().join(format!("contract-tests-seeds-{}", std::process::id()));
        let path = dir.join("x.txt");
        let _ = fs::remove_file(&path);
        let seed = [7u8; 32];
        save_seed(&path, &seed, "a\nb");
        save_seed(&path, &seed, "again");
        save_seed(&path, &[9u8; 32], "other");
        assert_eq!(load_seeds(&path), vec![seed, [9u8; 32]]);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().filter(|l| l.starts_with("cc ")).count(), 2);
        let _ = fs::remove_dir_all(dir);
    }
}
