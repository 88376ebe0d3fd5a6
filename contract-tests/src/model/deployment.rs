//! What differs between the deployments the model runs against: whether the
//! model may move their clock, whether it can read the codes they send, and
//! whether a case can have client addresses of its own. [`Remote`] is any
//! deployment reached over HTTP, `account-api sandbox` included (its clock
//! and inbox are operations of its own).

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::limits::{Ms, SECOND};
use crate::http::{Client, HttpRequest, percent_encode};

/// What a deployment lets the model do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The model may move the deployment's clock ([`Deployment::advance`]).
    pub clock: bool,
    /// The model can read the codes it sends ([`Deployment::codes_sent`],
    /// [`Deployment::latest_code`]).
    pub codes: bool,
    /// The deployment is reached over loopback, from any of 127.0.0.0/8: each
    /// case gets client addresses of its own, and a second one for the
    /// steps that need it.
    pub loopback: bool,
}

/// A deployment the model runs against.
pub trait Deployment {
    /// Its base URL, e.g. `http://127.0.0.1:5000`.
    fn base_url(&self) -> &str;
    /// What it lets the model do.
    fn capabilities(&self) -> Capabilities;
    /// Moves its clock forward by `millis` milliseconds (with [`Capabilities::clock`]).
    fn advance(&self, millis: Ms) -> Result<(), String>;
    /// How many SMS codes it has sent in all (with [`Capabilities::codes`]).
    fn codes_sent(&self) -> Result<usize, String>;
    /// The newest code it sent to `phone` (with [`Capabilities::codes`]).
    fn latest_code(&self, phone: &str) -> Result<Option<String>, String>;
}

/// A deployment reached over HTTP: `account-api sandbox` (its clock moved
/// through `/sandbox/clock/advance`, frozen first; its codes read from
/// `/sandbox/sms`) or any other (no clock, no codes).
pub struct Remote {
    client: Client,
    capabilities: Capabilities,
}

impl Remote {
    /// Connects to `base_url` and finds out what it offers: whether it is a
    /// sandbox (`GET /sandbox/openapi.json` answers a document) and whether
    /// it answers a client bound to a loopback address other than 127.0.0.1.
    pub fn connect(base_url: &str) -> Result<Self, String> {
        let client = Client::new(base_url)?;
        let document = client.send(&get("/sandbox/openapi.json"))?;
        let sandbox = document.status == 200
            && serde_json::from_slice::<Value>(&document.body)
                .is_ok_and(|doc| doc["openapi"].is_string());
        // One of the addresses cases use (`case::next_addresses`).
        let probe = IpAddr::V4(Ipv4Addr::new(127, 1, 0, 1));
        let loopback = Client::bound_to(base_url, probe)
            .and_then(|bound| bound.send(&get("/sandbox/openapi.json")))
            .is_ok();
        Ok(Self {
            client,
            capabilities: Capabilities {
                clock: sandbox,
                codes: sandbox,
                loopback,
            },
        })
    }

    /// Stops the sandbox's clock (it then moves only as the model moves it).
    pub fn freeze(&self, frozen: bool) -> Result<(), String> {
        self.sandbox(post("/sandbox/clock/freeze", &json!({ "frozen": frozen })))
            .map(drop)
    }

    /// One sandbox operation's `data`; `Err` unless it answered code 200.
    fn sandbox(&self, request: HttpRequest) -> Result<Value, String> {
        let response = self.client.send(&request)?;
        let body: Value = serde_json::from_slice(&response.body).map_err(|err| {
            format!(
                "{} {}: not JSON ({err})",
                request.method, request.path_and_query
            )
        })?;
        if response.status == 200 && body["code"] == 200 {
            Ok(body["data"].clone())
        } else {
            Err(format!(
                "{} {} answered HTTP {}: {body}",
                request.method, request.path_and_query, response.status
            ))
        }
    }
}

impl Deployment for Remote {
    fn base_url(&self) -> &str {
        self.client.base_url()
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn advance(&self, millis: Ms) -> Result<(), String> {
        // Whole milliseconds, which the sandbox takes as decimal seconds.
        let seconds = millis as f64 / SECOND as f64;
        self.sandbox(post(
            "/sandbox/clock/advance",
            &json!({ "seconds": seconds }),
        ))
        .map(drop)
    }

    fn codes_sent(&self) -> Result<usize, String> {
        let inbox = self.sandbox(get("/sandbox/sms"))?;
        inbox["messages"]
            .as_array()
            .map(Vec::len)
            .ok_or_else(|| format!("the sandbox's inbox has no messages: {inbox}"))
    }

    fn latest_code(&self, phone: &str) -> Result<Option<String>, String> {
        let path = format!("/sandbox/sms/{}/latest", percent_encode(phone));
        let response = self.client.send(&get(&path))?;
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|err| format!("GET {path}: not JSON ({err})"))?;
        match body["code"].as_i64() {
            Some(200) => Ok(body["data"]["code"].as_str().map(str::to_owned)),
            Some(-1) => Ok(None),
            _ => Err(format!("GET {path} answered {body}")),
        }
    }
}

fn get(path: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".to_owned(),
        path_and_query: path.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

fn post(path: &str, body: &Value) -> HttpRequest {
    HttpRequest {
        method: "POST".to_owned(),
        path_and_query: path.to_owned(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: Some(body.to_string().into_bytes()),
    }
}
