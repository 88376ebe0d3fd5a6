use super::request_field::RequestField;
use super::{
    character_classes::CONTROL_CLASS,
    invalid::{Invalid, MISSING},
};

/// An opaque device identifier chosen by the app: 1 to 128 characters, none
/// of them a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceId(String);

impl DeviceId {
    /// The most characters an identifier may have.
    pub const MAX_CHARS: usize = 128;

    /// Checks the length of `text` and wraps it unchanged.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() {
            return Err(MISSING);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(Invalid("长度应为1到128个字符 (1 to 128 characters)"));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid("不能包含控制字符 (no control characters)"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The rule of [`DeviceId::parse`] as an OpenAPI `pattern`.
    pub fn pattern() -> String {
        format!("^[^{CONTROL_CLASS}]{{1,{}}}$", Self::MAX_CHARS)
    }

    /// The identifier as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RequestField for DeviceId {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_kept_verbatim_up_to_128_characters() {
        assert_eq!(DeviceId::parse(" uuid ").unwrap().as_str(), " uuid ");
        assert!(DeviceId::parse(&"x".repeat(128)).is_ok());
        assert!(DeviceId::parse(&"x".repeat(129)).is_err());
        assert_eq!(DeviceId::parse(""), Err(MISSING));
    }

    #[test]
    fn control_characters_are_refused() {
        for text in ["a\0b", "\u{1f}", "uuid\n", "\u{9f}"] {
            assert!(DeviceId::parse(text).is_err(), "{text:?}");
        }
        assert!(DeviceId::parse("\u{a0}uuid\u{3000}").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn the_documented_pattern_accepts_exactly_what_parse_accepts(
            text in "[a-z \u{0}-\u{1f}\u{7f}-\u{a0}\u{4e00}😀]{0,130}"
        ) {
            let pattern = regex::Regex::new(&DeviceId::pattern()).unwrap();
            proptest::prop_assert_eq!(pattern.is_match(&text), DeviceId::parse(&text).is_ok());
        }
    }
}
