//! What a run covered: how often each kind of answer was predicted (and
//! seen), by operation, code and the rule that gave it.

use super::{
    expected::{Code, Expected, Msg},
    limits::Limits,
    steps::Step,
};

/// The waits of the "time passes" steps, in seconds, besides those to the end
/// of a 429 for unverified resets (which depend on the case).
fn fixed_waits(limits: &Limits) -> [u32; 10] {
    let lockout = limits.login_lockout_minutes.saturating_mul(60);
    [
        59,
        61,
        299,
        300,
        599,
        600,
        lockout.saturating_sub(1),
        lockout,
        3600,
        86_400,
    ]
}

/// Short names for the kinds of answer `expected` is (one per request), with
/// the rule that gave each.
pub(super) fn outcome_kinds(step: &Step, expected: &Expected, limits: &Limits) -> Vec<String> {
    let operation = format!("{step:?}");
    let operation = operation
        .split([' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned();
    match (step, expected) {
        (Step::Wait { seconds }, _) if fixed_waits(limits).contains(seconds) => {
            vec![format!("Wait {seconds} s")]
        }
        (Step::Wait { .. }, _) => vec!["Wait to a reset limit's end, or 1 s short".to_owned()],
        (_, Expected::Each(answers)) => answers
            .iter()
            .flat_map(|answer| outcome_kinds(step, answer, limits))
            .collect(),
        _ => {
            let outcome = match expected {
                Expected::Plain {
                    code,
                    msg: Msg::BadParameter(field),
                    ..
                } => format!("{} {field}", code_text(code)),
                Expected::Plain { code, why, .. } => format!("{} {why}", code_text(code)),
                Expected::Registered { .. } | Expected::LoggedIn { .. } | Expected::Me { .. } => {
                    "200 with data".to_owned()
                }
                Expected::Each(_) | Expected::Waited => String::new(),
            };
            vec![format!("{operation} {outcome}").trim_end().to_owned()]
        }
    }
}

fn code_text(code: &Code) -> String {
    match code {
        Code::Text(code) => (*code).to_owned(),
        Code::Number(code) => code.to_string(),
    }
}
