//! Two answers to the same step, field by field, after masking what
//! legitimately differs between deployments.
//!
//! An answer's fields:
//!
//! - `status`: the HTTP status (`none` when no answer came);
//! - `content-type`: the media type, lowercase, without its parameters
//!   (`application/json; charset=utf-8` and `application/json` are the
//!   same JSON);
//! - `retry-after`: `present` when the header is there, whatever its
//!   seconds (the wait depends on the instant each request came);
//! - a JSON body flattened into JSON pointers, each leaf as JSON text
//!   (`/code` is `"200"` for the string, `200` for the number; `/data` is
//!   `""`; an empty object or array is `{}` / `[]`); any other body is the
//!   one field `body`, its text.
//!
//! No other header is compared (`date`, `server`, lengths and the like
//! differ between any two servers and say nothing about the contract).
//!
//! Masked ([`MASKED`]): the values that are random per deployment. A
//! session token (`/data/token`) and a new account's user id
//! (`/data/user_id`) become `<token N>` / `<user_id N>`, N counting the
//! distinct values in the order the sequence first met them on that
//! deployment, so the comparison still sees whether `/me` answers the token
//! login gave, or whether a second login opens a new session; the same
//! value anywhere else in the answer is masked alike. Each deployment runs
//! a sequence on phones of its own, so a case's phones become `<phone N>`
//! (its pool index) wherever they appear.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{http::HttpResponse, model::Replayed};

/// The fields whose values are random per deployment, and why: compared as
/// placeholders numbered by first appearance.
pub const MASKED: [(&str, &str, &str); 2] = [
    ("/data/token", "token", "a session token: 128 random bits"),
    (
        "/data/user_id",
        "user_id",
        "a new account's id: a random UUID",
    ),
];

/// The fields that are not JSON pointers into the body.
pub const ANSWER_FIELDS: [&str; 4] = ["status", "content-type", "retry-after", "body"];

/// The random values one deployment handed out in a sequence, by kind, in
/// the order they first appeared.
#[derive(Debug, Default)]
pub struct Masks {
    seen: BTreeMap<&'static str, Vec<String>>,
    phones: Vec<String>,
}

impl Masks {
    /// Masks for a sequence replayed on phones `phones`.
    pub fn new(replayed: &Replayed) -> Self {
        Self {
            seen: BTreeMap::new(),
            phones: replayed.phones.clone(),
        }
    }

    /// `value` of `kind` as its placeholder, numbered from 1.
    fn placeholder(&mut self, kind: &'static str, value: &str) -> String {
        let values = self.seen.entry(kind).or_default();
        let at = match values.iter().position(|v| v == value) {
            Some(at) => at,
            None => {
                values.push(value.to_owned());
                values.len() - 1
            }
        };
        format!("<{kind} {}>", at + 1)
    }

    /// `text` with every value seen so far and every phone replaced.
    fn mask_text(&self, text: &str) -> String {
        let mut masked = text.to_owned();
        for (kind, values) in &self.seen {
            for (at, value) in values.iter().enumerate() {
                masked = masked.replace(value, &format!("<{kind} {}>", at + 1));
            }
        }
        for (at, phone) in self.phones.iter().enumerate() {
            masked = masked.replace(phone, &format!("<phone {at}>"));
        }
        masked
    }

    /// The fields of `response`, masked.
    pub fn fields(&mut self, response: &Result<HttpResponse, String>) -> BTreeMap<String, String> {
        let mut fields = BTreeMap::new();
        let response = match response {
            Err(_) => {
                fields.insert("status".to_owned(), "none".to_owned());
                return fields;
            }
            Ok(response) => response,
        };
        fields.insert("status".to_owned(), response.status.to_string());
        if let Some(content_type) = &response.content_type {
            let media = content_type.split(';').next().unwrap_or_default();
            fields.insert("content-type".to_owned(), media.trim().to_lowercase());
        }
        if response.header("retry-after").is_some() {
            fields.insert("retry-after".to_owned(), "present".to_owned());
        }
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(body) => {
                // The random values first, so that they are masked anywhere.
                for (pointer, kind, _) in MASKED {
                    if let Some(value) = body.pointer(pointer).and_then(Value::as_str) {
                        self.placeholder(kind, value);
                    }
                }
                self.flatten(&body, String::new(), &mut fields);
            }
            Err(_) if response.body.is_empty() => {}
            Err(_) => {
                let text = String::from_utf8_lossy(&response.body);
                fields.insert("body".to_owned(), self.mask_text(&text));
            }
        }
        fields
    }

    fn flatten(&self, value: &Value, pointer: String, fields: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, item) in map {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    self.flatten(item, format!("{pointer}/{key}"), fields);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (at, item) in items.iter().enumerate() {
                    self.flatten(item, format!("{pointer}/{at}"), fields);
                }
            }
            Value::String(text) => {
                let masked = Value::String(self.mask_text(text)).to_string();
                fields.insert(pointer, masked);
            }
            other => {
                fields.insert(pointer, other.to_string());
            }
        }
    }
}

/// One field of one answer that differs: its value on the old deployment
/// and on the new one (`None`: the answer has no such field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDifference {
    /// `status`, `content-type`, `retry-after`, `body` or a JSON pointer.
    pub field: String,
    /// The old deployment's value, masked.
    pub old: Option<String>,
    /// The new deployment's value, masked.
    pub new: Option<String>,
}

/// The fields where `old` and `new` differ, in field order.
pub fn differences(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<FieldDifference> {
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|field| old.get(*field) != new.get(*field))
        .map(|field| FieldDifference {
            field: field.clone(),
            old: old.get(field).cloned(),
            new: new.get(field).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, String> {
        Ok(HttpResponse {
            status: 200,
            content_type: Some("application/json; charset=utf-8".to_owned()),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    fn masks() -> Masks {
        Masks {
            seen: BTreeMap::new(),
            phones: vec!["10000000007".to_owned()],
        }
    }

    #[test]
    fn tokens_and_user_ids_are_numbered_by_first_appearance() {
        let mut old = masks();
        let mut new = masks();
        let a = old.fields(&answer(
            r#"{"code":200,"data":{"token":"aa","user_id":"u1"}}"#,
            &[],
        ));
        let b = new.fields(&answer(
            r#"{"code":200,"data":{"token":"bb","user_id":"u2"}}"#,
            &[],
        ));
        assert!(differences(&a, &b).is_empty(), "{a:?} {b:?}");
        assert_eq!(a["/data/token"], r#""<token 1>""#);
        // The old deployment answers /me with the same token, the new one with another.
        let a = old.fields(&answer(r#"{"data":{"token":"aa"}}"#, &[]));
        let b = new.fields(&answer(r#"{"data":{"token":"cc"}}"#, &[]));
        let diff = differences(&a, &b);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].old.as_deref(), Some(r#""<token 1>""#));
        assert_eq!(diff[0].new.as_deref(), Some(r#""<token 2>""#));
    }

    #[test]
    fn types_missing_fields_phones_and_headers() {
        let mut old = masks();
        let mut new = masks();
        let a = old.fields(&answer(
            r#"{"code":"429","msg":"10000000007 is busy"}"#,
            &[("retry-after", "59")],
        ));
        let b = new.fields(&answer(
            r#"{"code":429,"msg":"10000000007 is busy","data":""}"#,
            &[("retry-after", "60")],
        ));
        assert_eq!(a["/msg"], r#""<phone 0> is busy""#);
        assert_eq!(a["content-type"], "application/json");
        let fields: Vec<String> = differences(&a, &b).into_iter().map(|d| d.field).collect();
        assert_eq!(fields, ["/code", "/data"]);
        let none = old.fields(&Err("refused".to_owned()));
        assert_eq!(none["status"], "none");
    }
}
