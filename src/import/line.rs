//! One line of an import file, read and checked: an enterprise or a user,
//! or the field that is wrong and why.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{
    domain::{DeviceId, Name, Password, Phone},
    password_hasher::legacy::{self, LegacyScheme},
};

/// What is wrong with a line: the field (or `line` for the line as a
/// whole) and why, in words that never repeat a password, hash or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field, e.g. `phone` or `application.state`.
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl Problem {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A line read and checked.
#[derive(Debug)]
pub enum Record {
    /// `{"type":"enterprise","id":7,"name":"apple"}`.
    Enterprise {
        /// Its id, kept.
        id: i64,
        /// Its name.
        name: String,
    },
    /// `{"type":"user", ...}`.
    User(Box<UserRecord>),
}

/// A user line.
#[derive(Debug)]
pub struct UserRecord {
    /// The id the apps hold (32 lowercase hex), when given.
    pub user_id: Option<String>,
    /// The phone, normalised to 11 digits.
    pub phone: Phone,
    /// The display name.
    pub name: Name,
    /// The password: a hash as the legacy stack wrote it, or in clear.
    pub password: PasswordSource,
    /// The device the account is bound to, when given.
    pub device_identifier: Option<DeviceId>,
    /// When the account was created, when given.
    pub created_at: Option<DateTime<Utc>>,
    /// Its enterprise, when given.
    pub enterprise_id: Option<i64>,
    /// Its permissions (none when not given).
    pub permissions: Vec<String>,
    /// Its application: enterprise and state (-1, 0, 1).
    pub application: Option<(i64, i16)>,
    /// The legacy server's session tokens.
    pub tokens: Vec<String>,
}

/// Where an imported account's password comes from.
#[derive(Debug)]
pub enum PasswordSource {
    /// `password_hash`: stored as it is, its scheme detected from its form.
    Hash {
        /// The hash.
        hash: String,
        /// Its scheme.
        scheme: LegacyScheme,
    },
    /// `password` in clear: hashed with Argon2id at import.
    Clear(Password),
}

impl PasswordSource {
    /// The name the report counts it under: the scheme, or `password` for
    /// a password in clear.
    pub fn scheme_name(&self) -> &'static str {
        match self {
            Self::Hash { scheme, .. } => scheme.name(),
            Self::Clear(_) => "password",
        }
    }
}

/// The most bytes a legacy token may have.
const MAX_TOKEN_LEN: usize = 256;

/// Reads one line (without its line break).
pub fn parse(line: &[u8]) -> Result<Record, Problem> {
    let text = std::str::from_utf8(line).map_err(|_| Problem::new("line", "not UTF-8 text"))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|err| Problem::new("line", format!("not a JSON object: {err}")))?;
    let Value::Object(object) = value else {
        return Err(Problem::new("line", "not a JSON object"));
    };
    match object.get("type") {
        Some(Value::String(kind)) if kind == "enterprise" => parse_enterprise(&object),
        Some(Value::String(kind)) if kind == "user" => {
            parse_user(&object).map(|user| Record::User(Box::new(user)))
        }
        Some(_) => Err(Problem::new("type", "neither \"user\" nor \"enterprise\"")),
        None => Err(Problem::new("type", "missing")),
    }
}

fn parse_enterprise(object: &Map<String, Value>) -> Result<Record, Problem> {
    let id = match object.get("id") {
        Some(value) => {
            positive_id(value).ok_or_else(|| Problem::new("id", "not a positive integer"))?
        }
        None => return Err(Problem::new("id", "missing")),
    };
    let name = required_string(object, "name")?;
    if name.trim().is_empty() {
        return Err(Problem::new("name", "empty"));
    }
    Ok(Record::Enterprise {
        id,
        name: name.to_owned(),
    })
}

fn parse_user(object: &Map<String, Value>) -> Result<UserRecord, Problem> {
    let user_id = match optional(object, "user_id") {
        None => None,
        Some(Value::String(id))
            if id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Some(id.clone())
        }
        Some(_) => return Err(Problem::new("user_id", "not 32 lowercase hex characters")),
    };
    let phone = normalise_phone(required_string(object, "phone")?).ok_or_else(|| {
        Problem::new(
            "phone",
            "not a mainland mobile number (11 digits starting with 1, optionally +86 or 86 \
             before them, spaces or dashes between)",
        )
    })?;
    let name = Name::parse(required_string(object, "name")?)
        .map_err(|invalid| Problem::new("name", invalid.0))?;
    let password = match (
        optional(object, "password_hash"),
        optional(object, "password"),
    ) {
        (Some(_), Some(_)) => {
            return Err(Problem::new(
                "password",
                "both password_hash and password are given",
            ));
        }
        (Some(Value::String(hash)), None) => match legacy::detect(hash) {
            Ok(scheme) => PasswordSource::Hash {
                hash: hash.clone(),
                scheme,
            },
            Err(unknown) => return Err(Problem::new("password_hash", unknown.to_string())),
        },
        (Some(_), None) => return Err(Problem::new("password_hash", "not a string")),
        (None, Some(Value::String(clear))) => PasswordSource::Clear(
            Password::parse(clear).map_err(|invalid| Problem::new("password", invalid.0))?,
        ),
        (None, Some(_)) => return Err(Problem::new("password", "not a string")),
        (None, None) => {
            return Err(Problem::new(
                "password_hash",
                "missing (one of password_hash and password is required)",
            ));
        }
    };
    let device_identifier = match optional(object, "device_identifier") {
        None => None,
        Some(Value::String(device)) => Some(
            DeviceId::parse(device)
                .map_err(|invalid| Problem::new("device_identifier", invalid.0))?,
        ),
        Some(_) => return Err(Problem::new("device_identifier", "not a string")),
    };
    let created_at = match optional(object, "created_at") {
        None => None,
        Some(Value::String(text)) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| Problem::new("created_at", "not an RFC 3339 date and time"))?
                .with_timezone(&Utc),
        ),
        Some(_) => return Err(Problem::new("created_at", "not a string")),
    };
    let enterprise_id = match optional(object, "enterprise_id") {
        None => None,
        // The legacy server wrote "-1" for "none" (as login still answers).
        Some(value) if value.as_i64() == Some(-1) || value.as_str() == Some("-1") => None,
        Some(value) => Some(
            positive_id(value)
                .ok_or_else(|| Problem::new("enterprise_id", "not a positive integer"))?,
        ),
    };
    let permissions = match optional(object, "permissions") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Problem::new("permissions", "not an array of strings"))?,
        Some(_) => return Err(Problem::new("permissions", "not an array of strings")),
    };
    let application = match optional(object, "application") {
        None => None,
        Some(Value::Object(application)) if application.is_empty() => None,
        Some(Value::Object(application)) => {
            let enterprise = application
                .get("enterprise_id")
                .and_then(positive_id)
                .ok_or_else(|| {
                    Problem::new("application.enterprise_id", "not a positive integer")
                })?;
            let state = application
                .get("state")
                .and_then(Value::as_i64)
                .filter(|state| (-1..=1).contains(state))
                .ok_or_else(|| Problem::new("application.state", "not -1, 0 or 1"))?;
            Some((enterprise, state as i16))
        }
        Some(_) => return Err(Problem::new("application", "not an object")),
    };
    let tokens = match optional(object, "tokens") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut tokens = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(token)
                        if !token.is_empty()
                            && token.len() <= MAX_TOKEN_LEN
                            && token.bytes().all(|b| b.is_ascii_graphic()) =>
                    {
                        tokens.push(token.to_owned());
                    }
                    _ => {
                        return Err(Problem::new(
                            &format!("tokens[{index}]"),
                            "not a token (1 to 256 printable ASCII characters)",
                        ));
                    }
                }
            }
            tokens
        }
        Some(_) => return Err(Problem::new("tokens", "not an array of strings")),
    };
    Ok(UserRecord {
        user_id,
        phone,
        name,
        password,
        device_identifier,
        created_at,
        enterprise_id,
        permissions,
        application,
        tokens,
    })
}

/// The field `name`, absent when missing or `null`.
fn optional<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|value| !value.is_null())
}

fn required_string<'a>(object: &'a Map<String, Value>, name: &str) -> Result<&'a str, Problem> {
    match optional(object, name) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(Problem::new(name, "not a string")),
        None => Err(Problem::new(name, "missing")),
    }
}

/// A positive integer, as a JSON number or a string of digits.
fn positive_id(value: &Value) -> Option<i64> {
    let id = match value {
        Value::Number(number) => number.as_i64()?,
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()?
        }
        _ => return None,
    };
    (id > 0).then_some(id)
}

/// A mainland mobile number however the legacy server stored it: `+86 131
/// 2693 9916`, `8613126939916` and `131-2693-9916` are all `13126939916`.
/// Spaces and dashes may separate digits; `+86` or `86` may come before
/// the 11 digits; anything else is no phone.
pub fn normalise_phone(text: &str) -> Option<Phone> {
    let text = text.trim();
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = String::with_capacity(13);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' if !digits.is_empty() => {}
            _ => return None,
        }
    }
    let national = match digits.len() {
        13 if digits.starts_with("86") => &digits[2..],
        11 if !plus => digits.as_str(),
        _ => return None,
    };
    Phone::parse(national).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_eleven_digits() {
        for text in [
            "13126939916",
            "+86 131 2693 9916",
            "8613126939916",
            "131-2693-9916",
            "+8613126939916",
            " 131 2693 9916 ",
            "+86-131-2693-9916",
        ] {
            assert_eq!(
                normalise_phone(text).map(|phone| phone.as_str().to_owned()),
                Some("13126939916".to_owned()),
                "{text:?}"
            );
        }
        for text in [
            "",
            "1312693991",
            "131269399166",
            "+1 131 2693 9916",
            "+13126939916",
            "23126939916",
            "131.2693.9916",
            "(131) 2693 9916",
            "１３１２６９３９９１６",
            "86 23126939916",
            "-13126939916",
        ] {
            assert_eq!(normalise_phone(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_issue_s_user_line_is_read() {
        let line = r#"{"type":"user","user_id":"f223fa5c92e846349031b0eb06868478","phone":"13126939916","name":"于连林","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99","device_identifier":"uuid","created_at":"2019-05-01T08:00:00Z","enterprise_id":7,"permissions":["read"],"application":{"enterprise_id":7,"state":0},"tokens":["9ea13c9003d53e4e17b0b9aaf1e634b0"]}"#;
        let Ok(Record::User(user)) = parse(line.as_bytes()) else {
            panic!("not a user");
        };
        assert_eq!(
            user.user_id.as_deref(),
            Some("f223fa5c92e846349031b0eb06868478")
        );
        assert_eq!(user.phone.as_str(), "13126939916");
        assert_eq!(user.password.scheme_name(), "md5_hex");
        assert_eq!(user.enterprise_id, Some(7));
        assert_eq!(user.application, Some((7, 0)));
        assert_eq!(user.tokens.len(), 1);
        assert_eq!(user.permissions, ["read"]);
    }

    #[test]
    fn a_wrong_field_is_named() {
        let cases: [(&[u8], &str); 11] = [
            (b"not json", "line"),
            (b"[1]", "line"),
            (br#"{"type":"group"}"#, "type"),
            (br#"{"type":"enterprise","name":"x"}"#, "id"),
            (br#"{"type":"user","name":"a","password":"123456"}"#, "phone"),
            (br#"{"type":"user","phone":"123","name":"a","password":"123456"}"#, "phone"),
            (br#"{"type":"user","phone":"13126939916","name":"a"}"#, "password_hash"),
            (
                br#"{"type":"user","phone":"13126939916","name":"a","password_hash":"plain"}"#,
                "password_hash",
            ),
            (
                br#"{"type":"user","phone":"13126939916","name":"a","password":"123456","user_id":"ABC"}"#,
                "user_id",
            ),
            (
                br#"{"type":"user","phone":"13126939916","name":"a","password":"123456","application":{"enterprise_id":1,"state":2}}"#,
                "application.state",
            ),
            (
                br#"{"type":"user","phone":"13126939916","name":"a","password":"123456","tokens":["ok", ""]}"#,
                "tokens[1]",
            ),
        ];
        for (line, field) in cases {
            let problem = parse(line).expect_err(std::str::from_utf8(line).unwrap());
            assert_eq!(
                problem.field,
                field,
                "{}",
                std::str::from_utf8(line).unwrap()
            );
        }
    }

    #[test]
    fn a_problem_never_repeats_the_hash() {
        let line = br#"{"type":"user","phone":"13126939916","name":"a","password_hash":"pbkdf2:sha256:99999999999$salt$abcdef"}"#;
        let problem = parse(line).unwrap_err();
        assert_eq!(problem.field, "password_hash");
        assert!(!problem.reason.contains("abcdef"), "{}", problem.reason);
    }
}
