//! An answer against the model's prediction: the envelope, the code and
//! msg, `Retry-After`, the account and session fields, and the codes the
//! deployment sent.

use serde_json::{Value, json};

use super::{
    case::Case,
    expected::{Code, Expected, FETCHED, LOGGED_IN, Msg, REGISTERED},
    steps::{PhoneArg, Step, expect_value, is_six_digits},
};
use crate::http::HttpResponse;

impl Case<'_> {
    pub(super) fn compare(
        &mut self,
        step: &Step,
        expected: &Expected,
        response: &HttpResponse,
    ) -> Result<(), String> {
        if response.status != 200 {
            return Err(format!(
                "HTTP {} where the model expects 200",
                response.status
            ));
        }
        let body: Value =
            serde_json::from_slice(&response.body).map_err(|e| format!("not JSON: {e}"))?;
        let sendsms = matches!(step, Step::SendSms { .. });
        let keys: Vec<&str> = body
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let want_keys: &[&str] = if sendsms {
            &["code", "msg"]
        } else {
            &["code", "msg", "data"]
        };
        if keys != want_keys {
            return Err(format!("envelope keys {keys:?}, expected {want_keys:?}"));
        }
        let (code, msg, retry_after) = match expected {
            Expected::Plain {
                code,
                msg,
                retry_after,
                ..
            } => (code.clone(), msg.clone(), *retry_after),
            Expected::Registered { .. } => (Code::Number(200), Msg::Exact(REGISTERED), None),
            Expected::LoggedIn { .. } => (Code::Number(200), Msg::Exact(LOGGED_IN), None),
            Expected::Me { .. } => (Code::Number(200), Msg::Exact(FETCHED), None),
            Expected::Each(_) | Expected::Waited => {
                return Err(format!("the model answered {expected:?} to one request"));
            }
        };
        let wanted_code = match &code {
            Code::Text(text) => json!(text),
            Code::Number(number) => json!(number),
        };
        if body["code"] != wanted_code {
            return Err(format!(
                "code {} where the model expects {wanted_code}",
                body["code"]
            ));
        }
        let actual_msg = body["msg"].as_str().unwrap_or_default();
        match &msg {
            Msg::Exact(text) if actual_msg != *text => {
                return Err(format!(
                    "msg {actual_msg:?} where the model expects {text:?}"
                ));
            }
            Msg::BadParameter(field) if !actual_msg.starts_with(&format!("参数错误: {field} ")) =>
            {
                return Err(format!(
                    "msg {actual_msg:?} where the model expects 参数错误: {field} …"
                ));
            }
            _ => {}
        }
        if wanted_code == json!(429) || wanted_code == json!("429") {
            let retry = response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok());
            if retry.is_none_or(|s| s < 1) {
                return Err("a 429 without a Retry-After of at least one second".to_owned());
            }
            if let Some(seconds) = retry_after
                && retry != Some(seconds)
            {
                return Err(format!(
                    "Retry-After {:?} where the model expects {seconds}",
                    response.header("retry-after")
                ));
            }
        }
        let data = &body["data"];
        match expected {
            Expected::Plain { .. } if !sendsms && *data != json!("") => {
                Err(format!("data {data} where the model expects \"\""))
            }
            Expected::Plain { .. } | Expected::Each(_) | Expected::Waited => Ok(()),
            Expected::Registered { phone, name } => {
                self.check_account(data, *phone, name, false, true)?;
                enterprise_id_is(data, "register", &json!(-1))?;
                self.keep_new_token(data)
            }
            Expected::LoggedIn {
                phone,
                name,
                change_device,
            } => {
                self.check_account(data, *phone, name, *change_device, false)?;
                enterprise_id_is(data, "login", &json!("-1"))?;
                self.keep_new_token(data)
            }
            Expected::Me {
                session,
                phone,
                name,
            } => {
                self.check_account(data, *phone, name, false, false)?;
                enterprise_id_is(data, "/me", &json!("-1"))?;
                if data["token"] != json!(self.tokens[*session]) {
                    return Err(format!(
                        "/me's token {} is not the one presented",
                        data["token"]
                    ));
                }
                Ok(())
            }
        }
    }

    /// The fields register, login and `/me` share.
    pub(super) fn check_account(
        &mut self,
        data: &Value,
        phone: usize,
        name: &str,
        change_device: bool,
        new_account: bool,
    ) -> Result<(), String> {
        field_is(data, "change_device", &json!(change_device))?;
        field_is(data, "apply", &json!({}))?;
        field_is(data, "name", &json!(name))?;
        field_is(data, "pemissions", &json!([]))?;
        if !data["user_id"].as_str().is_some_and(is_hex32) {
            return Err(format!(
                "user_id {} is not 32 lowercase hex characters",
                data["user_id"]
            ));
        }
        let user_id = data["user_id"].as_str().unwrap_or_default().to_owned();
        if new_account {
            if self
                .user_ids
                .iter()
                .flatten()
                .any(|other| *other == user_id)
            {
                return Err(format!(
                    "user_id {user_id} already belongs to another account"
                ));
            }
            self.user_ids[phone] = Some(user_id);
        } else if self.user_ids[phone].as_deref() != Some(user_id.as_str()) {
            return Err(format!(
                "user_id {user_id} where the account registered as {:?}",
                self.user_ids[phone]
            ));
        }
        Ok(())
    }

    /// The sender got exactly one 6-digit code for the phone when sendsms
    /// answered `"200"`, and nothing for any other answer or operation (a
    /// refused request never spends a send); a code sent is kept for the
    /// steps that use it.
    pub(super) fn check_sender(&mut self, step: &Step, expected: &Expected) -> Result<(), String> {
        let before = self.codes_sent.unwrap_or_default();
        let now = self.deployment.codes_sent()?;
        self.codes_sent = Some(now);
        let sent = now.saturating_sub(before);
        let to = match (step, expected) {
            (
                Step::SendSms {
                    phone: PhoneArg::Pool(i),
                    expect,
                    ..
                },
                Expected::Plain {
                    code: Code::Text("200"),
                    ..
                },
            ) => Some((*i, usize::from(expect_value(expect).unwrap_or_default()))),
            _ => None,
        };
        let Some((i, purpose)) = to else {
            return match sent {
                0 => Ok(()),
                n => Err(format!(
                    "the sender got {n} message(s) where the model expects none"
                )),
            };
        };
        if sent != 1 {
            return Err(format!(
                "the sender got {sent} messages where the model expects one"
            ));
        }
        let code = self
            .deployment
            .latest_code(&self.phones[i])?
            .unwrap_or_default();
        if !is_six_digits(&code) {
            return Err(format!("the code sent, {code:?}, is not 6 ASCII digits"));
        }
        self.codes[i][purpose].push(code);
        Ok(())
    }

    /// The token of a new session, kept for the steps that present it: 32
    /// lowercase hex characters, never seen before.
    pub(super) fn keep_new_token(&mut self, data: &Value) -> Result<(), String> {
        let token = data["token"].as_str().unwrap_or_default().to_owned();
        if !is_hex32(&token) {
            return Err(format!(
                "token {token:?} is not 32 lowercase hex characters"
            ));
        }
        if !self.seen_tokens.insert(token.clone()) {
            return Err(format!("token {token} was handed out before"));
        }
        self.tokens.push(token);
        Ok(())
    }
}

/// `data[field]` is `want`.
fn field_is(data: &Value, field: &str, want: &Value) -> Result<(), String> {
    if data[field] == *want {
        Ok(())
    } else {
        Err(format!(
            "{field} {} where the model expects {want}",
            data[field]
        ))
    }
}

/// `enterprise_id` is `want`: the original answers the number -1 to
/// register and the string "-1" elsewhere.
fn enterprise_id_is(data: &Value, operation: &str, want: &Value) -> Result<(), String> {
    let kind = if want.is_string() { "string" } else { "number" };
    if data["enterprise_id"] == *want {
        Ok(())
    } else {
        Err(format!(
            "{operation}'s enterprise_id {} is not the {kind} {want}",
            data["enterprise_id"]
        ))
    }
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
