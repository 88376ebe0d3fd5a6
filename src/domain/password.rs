use super::request_field::RequestField;
use secrecy::{ExposeSecret, SecretString};

use super::invalid::{Invalid, MISSING};

/// A password of 6 to 14 characters (Unicode scalar values), kept secret.
///
/// `Debug` prints a placeholder and the value never reaches JSON or a log line.
#[derive(Debug, Clone)]
pub struct Password(SecretString);

impl Password {
    /// The fewest characters a password may have.
    pub const MIN_CHARS: usize = 6;
    /// The most characters a password may have.
    pub const MAX_CHARS: usize = 14;

    /// Checks the length of `text` and wraps it.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() {
            return Err(MISSING);
        }
        let chars = text.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(SecretString::from(text)))
        } else {
            Err(Invalid("长度应为6到14个字符 (6 to 14 characters)"))
        }
    }

    /// The password itself, for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl RequestField for Password {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lengths_are_counted_in_characters_not_bytes() {
        assert!(Password::parse("密码密码密码").is_ok()); // 6 characters, 18 bytes
        assert!(Password::parse("密码密码密码密码密码密码密码").is_ok()); // 14
        assert!(Password::parse("密码密码密码密码密码密码密码密").is_err()); // 15
        assert!(Password::parse("12345").is_err());
        assert!(Password::parse("123456").is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("hunter42").unwrap();
        assert!(!format!("{password:?}").contains("hunter42"));
        assert_eq!(password.expose(), "hunter42");
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_six_to_fourteen_characters(text in "\\PC{0,30}") {
            let chars = text.chars().count();
            prop_assert_eq!(Password::parse(&text).is_ok(), (6..=14).contains(&chars));
        }
    }
}
