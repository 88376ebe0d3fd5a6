//! Values known to be good on the deployment: what the runner learnt from
//! the accounts it created.

use std::collections::BTreeMap;

/// Values known to be good on the deployment.
///
/// - Loose values, by input name (the phone, password, name, token of an
///   account the checker registered), mixed freely with generated ones: a
///   login may pair that phone with any password.
/// - Accounts: sets of values that belong together (a phone and its
///   password). Now and then a request takes all of one account's values at
///   once, and those phones never go out with any other password, so wrong
///   passwords never lock them out and their logins succeed.
/// - A live token: when set, a token value may be the placeholder
///   [`LIVE_TOKEN`], which the runner replaces with a token it has just been
///   given (logout and password resets revoke the others).
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    values: BTreeMap<String, Vec<String>>,
    pub(super) accounts: Vec<BTreeMap<String, String>>,
    /// Whether [`LIVE_TOKEN`] may be generated.
    pub live_token: bool,
}

/// Stands for a fresh session token, minted by the runner just before sending.
pub const LIVE_TOKEN: &str = "{live-token}";

impl Fixtures {
    /// Remembers `value` as a good value of inputs named `name`.
    pub fn add(&mut self, name: &str, value: &str) {
        let values = self.values.entry(name.to_ascii_lowercase()).or_default();
        if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
        }
    }

    /// Remembers values that belong together, by input name.
    pub fn add_account(&mut self, values: BTreeMap<String, String>) {
        self.accounts.push(
            values
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        );
    }

    /// The good values of inputs named `name`.
    pub fn get(&self, name: &str) -> &[String] {
        self.values
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.accounts.is_empty()
    }
}
