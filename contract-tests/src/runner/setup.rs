//! Setting up a run: the [`Checker`] connects to the deployment and creates
//! the fixture accounts and live tokens the success paths need.

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::{Config, TestRunner},
};
use serde_json::Value;

use crate::{
    check::Contract,
    document::{Location, Operation},
    http::{Client, HttpRequest},
    inputs::{Fixtures, fresh_phone, scalar_text},
};

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
        operation: &Operation,
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
    pub(super) fn mint_token(&self) -> Option<String> {
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
}
