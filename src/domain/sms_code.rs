use super::invalid::Invalid;
use super::request_field::RequestField;

/// The `code` a client sends with `register` or `verify_code`.
///
/// Kept as sent: with verification off (the original's behaviour) it is not
/// checked at all, so `code=xxx` from the original example must pass. With
/// verification on, [`SmsCodeInput::digits`] demands exactly six ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCodeInput(String);

impl SmsCodeInput {
    /// Wraps any text: with verification off the code is ignored, whatever it is.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Ok(Self(text.to_owned()))
    }

    /// The six digits of a well-formed code, as verification-on mode requires.
    pub fn digits(&self) -> Result<&str, Invalid> {
        let bytes = self.0.as_bytes();
        if bytes.len() == 6 && bytes.iter().all(u8::is_ascii_digit) {
            Ok(&self.0)
        } else {
            Err(Invalid("应为6位数字 (6 digits)"))
        }
    }
}

impl RequestField for SmsCodeInput {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_short_text_is_accepted_but_only_six_digits_count_as_a_code() {
        let example = SmsCodeInput::parse("xxx").unwrap();
        assert!(example.digits().is_err());
        assert_eq!(
            SmsCodeInput::parse("123456").unwrap().digits(),
            Ok("123456")
        );
        assert!(
            SmsCodeInput::parse("１２３４５６")
                .unwrap()
                .digits()
                .is_err()
        );
        assert!(SmsCodeInput::parse("1234567").unwrap().digits().is_err());
        assert!(
            SmsCodeInput::parse(&"1".repeat(65))
                .unwrap()
                .digits()
                .is_err()
        );
    }
}
