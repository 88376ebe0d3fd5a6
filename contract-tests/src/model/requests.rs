//! Steps as HTTP requests: the operations' paths from the document, the
//! fields in the step's encoding, the code a step names, and the token a
//! session step presents.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::{
    case::Case,
    limits::{POLL_PASSWORD, RESET, SIGN_UP},
    steps::{Arg, CodeArg, Peer, PhoneArg, SessionRef, Step, TokenVia, Via},
};
use crate::{
    Contract, Document, Operation,
    http::{HttpRequest, percent_encode},
};

/// The operation paths, from the document, and the document compiled.
pub(super) struct Paths {
    prefix: String,
    document: Document,
    /// The document compiled, to check every answer against.
    pub(super) contract: Contract,
}

impl Paths {
    pub(super) fn get() -> &'static Self {
        static PATHS: OnceLock<Paths> = OnceLock::new();
        PATHS.get_or_init(|| {
            let document = Document::committed();
            Paths {
                prefix: document.server_prefix(),
                contract: Contract::new(document.clone()).expect("the document compiles"),
                document,
            }
        })
    }

    /// The operation `request` is for (its method and path template).
    pub(super) fn operation_of(&self, request: &HttpRequest) -> Operation {
        let path = request.path_and_query.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        self.document
            .operations()
            .into_iter()
            .find(|op| {
                let template: Vec<String> = format!("{}{}", self.prefix, op.path)
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                op.method.eq_ignore_ascii_case(&request.method)
                    && template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t == s || t.starts_with('{'))
            })
            .unwrap_or_else(|| panic!("no operation for {} {path}", request.method))
    }

    pub(super) fn path(&self, operation_id: &str) -> String {
        let operation = self
            .document
            .operation_by_id(operation_id)
            .unwrap_or_else(|| panic!("the document has no operation {operation_id}"));
        format!("{}{}", self.prefix, operation.path)
    }
}

impl Case<'_> {
    pub(super) fn phone_text(&self, phone: &PhoneArg) -> Option<String> {
        match phone {
            PhoneArg::Pool(i) => Some(self.phones[*i].clone()),
            PhoneArg::Malformed(text) => Some(text.clone()),
            PhoneArg::Absent => None,
        }
    }

    /// The code text a step sends for `purpose` (see [`CodeArg`]).
    pub(super) fn code_text(
        &self,
        phone: &PhoneArg,
        purpose: usize,
        code: &CodeArg,
    ) -> Option<String> {
        let (sent, other): (&[String], &[String]) = match phone {
            PhoneArg::Pool(i) => (&self.codes[*i][purpose], &self.codes[*i][1 - purpose]),
            _ => (&[], &[]),
        };
        let live = sent.last();
        let not_live = |candidate: Option<&String>| {
            candidate
                .filter(|c| Some(*c) != live)
                .cloned()
                .unwrap_or_else(|| wrong_code(live))
        };
        match code {
            CodeArg::Absent => None,
            CodeArg::Text(text) => Some(text.clone()),
            CodeArg::Right => Some(live.cloned().unwrap_or_else(|| wrong_code(None))),
            CodeArg::Wrong => Some(wrong_code(live)),
            CodeArg::Previous => Some(not_live(sent.iter().rev().nth(1))),
            CodeArg::OtherPurpose => Some(not_live(other.last())),
        }
    }

    /// The request for `step`.
    pub(super) fn request(&self, step: &Step) -> HttpRequest {
        let paths = Paths::get();
        let field =
            |name: &str, value: Option<&str>| value.map(|v| (name.to_owned(), v.to_owned()));
        let phone_field = |phone: &PhoneArg| field("phone", self.phone_text(phone).as_deref());
        let code_field = |phone: &PhoneArg, purpose: usize, code: &CodeArg| {
            field("code", self.code_text(phone, purpose, code).as_deref())
        };
        match step {
            Step::SendSms { phone, expect, via } => {
                let (id, via) = if *via == Via::Get {
                    ("sendsmsGet", Via::Get)
                } else {
                    ("sendsms", *via)
                };
                let phone = self.phone_text(phone).unwrap_or_default();
                let path = paths.path(id).replace("{mobile}", &percent_encode(&phone));
                fields_request(&path, via, vec![field("expect", expect.text())])
            }
            Step::IsRegister { phone, expect } => {
                let phone = self.phone_text(phone).unwrap_or_default();
                let path = paths
                    .path("isregister")
                    .replace("{phone}", &percent_encode(&phone));
                fields_request(&path, Via::Get, vec![field("expect", expect.text())])
            }
            Step::Register {
                phone,
                name,
                password,
                device,
                code,
                via,
            } => fields_request(
                &paths.path(by_method(*via, "register", "registerGet")),
                *via,
                vec![
                    phone_field(phone),
                    field("name", name.text()),
                    field("password", password.text()),
                    field("device_identifier", device.text()),
                    code_field(phone, SIGN_UP, code),
                ],
            ),
            Step::Login {
                phone,
                password,
                device,
                via,
            } => fields_request(
                &paths.path(by_method(*via, "login", "loginGet")),
                *via,
                vec![
                    phone_field(phone),
                    field("password", password.text()),
                    field("device_identifier", device.text()),
                ],
            ),
            Step::VerifyCode { phone, code, .. } => fields_request(
                &paths.path("verifyCode"),
                Via::Get,
                vec![phone_field(phone), code_field(phone, RESET, code)],
            ),
            Step::ForgetPassword {
                phone,
                password,
                code,
                via,
                ..
            } => fields_request(
                &paths.path(by_method(*via, "forgetPassword", "forgetPasswordGet")),
                *via,
                vec![
                    phone_field(phone),
                    field("password", password.text()),
                    code_field(phone, RESET, code),
                ],
            ),
            Step::Me { session, via } => {
                self.session_request("GET", &paths.path("me"), *session, *via)
            }
            Step::Logout { session, via } => {
                self.session_request("POST", &paths.path("logout"), *session, *via)
            }
            Step::Resend { .. } | Step::Poll { .. } | Step::Wait { .. } => {
                unreachable!("not one request")
            }
        }
    }

    pub(super) fn session_request(
        &self,
        method: &str,
        path: &str,
        session: SessionRef,
        via: TokenVia,
    ) -> HttpRequest {
        let token = match session {
            // A deployment that opened fewer sessions than the model (one
            // `compare` replays on) is shown a token it never gave.
            SessionRef::Issued(k) => Some(
                self.tokens
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| UNKNOWN_TOKEN.to_owned()),
            ),
            SessionRef::Unknown => Some(UNKNOWN_TOKEN.to_owned()),
            SessionRef::Missing => None,
        };
        let mut request = HttpRequest {
            method: method.to_owned(),
            path_and_query: path.to_owned(),
            headers: Vec::new(),
            body: None,
        };
        if let Some(token) = token {
            match via {
                TokenVia::Bearer => request
                    .headers
                    .push(("authorization".to_owned(), format!("Bearer {token}"))),
                TokenVia::Header => request.headers.push(("token".to_owned(), token)),
                TokenVia::Query => request
                    .path_and_query
                    .push_str(&format!("?token={}", percent_encode(&token))),
            }
        }
        request
    }
}

/// A well-formed token no one was given.
const UNKNOWN_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// One forget_password of a [`Step::Poll`].
pub(super) fn poll_attempt(phone: usize, code: &CodeArg, peer: Peer) -> Step {
    Step::ForgetPassword {
        phone: PhoneArg::Pool(phone),
        password: Arg::Text(POLL_PASSWORD.to_owned()),
        code: code.clone(),
        via: Via::Form,
        peer,
    }
}

/// Six digits that are not `live` (its last digit moved on), or `000000`
/// when there is no code: any code then is refused alike.
pub(super) fn wrong_code(live: Option<&String>) -> String {
    let Some(live) = live else {
        return "000000".to_owned();
    };
    let mut digits = live.clone().into_bytes();
    if let Some(last) = digits.last_mut() {
        *last = b'0' + (*last - b'0' + 1) % 10;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// A request with `fields` in the query string (GET, or POST with an empty
/// body) or in a form or JSON body.
pub(super) fn fields_request(
    path: &str,
    via: Via,
    fields: Vec<Option<(String, String)>>,
) -> HttpRequest {
    let fields: Vec<(String, String)> = fields.into_iter().flatten().collect();
    let encoded = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let with_query = |path: &str| {
        if encoded.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{encoded}")
        }
    };
    match via {
        Via::Get | Via::Query => HttpRequest {
            method: if via == Via::Get { "GET" } else { "POST" }.to_owned(),
            path_and_query: with_query(path),
            headers: Vec::new(),
            body: None,
        },
        Via::Form => HttpRequest {
            method: "POST".to_owned(),
            path_and_query: path.to_owned(),
            headers: vec![(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: Some(encoded.into_bytes()),
        },
        Via::Json => {
            let object: serde_json::Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| {
                    // Numbers go as JSON numbers, as apps send `expect`.
                    let value = match v.parse::<i64>() {
                        Ok(n) if k == "expect" => json!(n),
                        _ => json!(v),
                    };
                    (k, value)
                })
                .collect();
            HttpRequest {
                method: "POST".to_owned(),
                path_and_query: path.to_owned(),
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: Some(Value::Object(object).to_string().into_bytes()),
            }
        }
    }
}

/// The operationId of an operation with a POST (`post`) and a GET (`get`)
/// form, for the method `via` sends.
fn by_method(via: Via, post: &'static str, get: &'static str) -> &'static str {
    if via == Via::Get { get } else { post }
}
