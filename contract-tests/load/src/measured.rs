//! One measured load, and how each of its answers is known to be the
//! expected one: the sample requests sent before it and the byte check of
//! oha's totals after it.
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

use contract_tests::http::{Client, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::oha::Outcome;

/// What a correct answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `/livez`: `{"status":"ok"}`.
    Live,
    /// An envelope with this numeric `code`.
    Code(i64),
    /// An envelope with this string `code` (`sendsms`).
    Text(&'static str),
}

/// `Ok` when `response` is HTTP 2xx with the expected body.
pub fn check_answer(response: &HttpResponse, expected: Answer) -> Result<(), String> {
    let shown = || String::from_utf8_lossy(&response.body).into_owned();
    if !(200..300).contains(&response.status) {
        return Err(format!("HTTP {}: {}", response.status, shown()));
    }
    let body: Value = serde_json::from_slice(&response.body)
        .map_err(|err| format!("not JSON ({err}): {}", shown()))?;
    let ok = match expected {
        Answer::Live => body.get("status").and_then(Value::as_str) == Some("ok"),
        Answer::Code(code) => body.get("code").and_then(Value::as_i64) == Some(code),
        Answer::Text(code) => body.get("code").and_then(Value::as_str) == Some(code),
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
pub fn sample(client: &Client, requests: &[(HttpRequest, Answer)]) -> Result<Sample, String> {
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

/// The load named `key` among `rows`.
pub fn find<'a>(rows: &'a [Measured], key: &str) -> Option<&'a Measured> {
    rows.iter().find(|row| row.key == key)
}

const KIB_PER_MIB: f64 = 1024.0;

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

    /// [`Measured::errors`] as shown: `≥ n` when it is a lower bound.
    pub fn errors_shown(&self) -> String {
        if self.errors_exact() {
            self.errors().to_string()
        } else {
            format!("≥ {}", self.errors())
        }
    }

    /// [`Measured::peak_rss_kib`] in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / KIB_PER_MIB
    }

    /// [`Measured::sampled_rss_kib`] in MiB.
    pub fn sampled_rss_mib(&self) -> f64 {
        self.sampled_rss_kib as f64 / KIB_PER_MIB
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
}
