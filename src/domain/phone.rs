use super::invalid::{Invalid, MISSING};
use super::request_field::RequestField;

/// A mainland mobile number: 11 ASCII digits starting with `1` (`^1[0-9]{10}$`).
///
/// Full-width and other Unicode digits are refused (Rust's `\d` would accept them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() {
            return Err(MISSING);
        }
        let bytes = text.as_bytes();
        if bytes.len() == 11 && bytes[0] == b'1' && bytes.iter().all(u8::is_ascii_digit) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid("应为1开头的11位数字 (11 digits starting with 1)"))
        }
    }

    /// The number as sent, 11 ASCII digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RequestField for Phone {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

/// The `mobile` path parameter of sendsms: a [`Phone`] under the original's other name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mobile(Phone);

impl Mobile {
    /// Checks `text` as a [`Phone`].
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Phone::parse(text).map(Self)
    }

    /// The number as sent.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The phone number.
    pub fn phone(&self) -> &Phone {
        &self.0
    }
}

impl RequestField for Mobile {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_original_documents_number_is_accepted() {
        assert_eq!(Phone::parse("13126939916").unwrap().as_str(), "13126939916");
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in [
            "",
            "1312693991",
            "131269399160",
            "23126939916",
            "1312693991a",
            "１3126939916",
            "1312693991６",
            " 13126939916",
            "+8613126939916",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn an_empty_phone_is_reported_as_missing() {
        assert_eq!(Phone::parse(""), Err(MISSING));
    }

    proptest! {
        #[test]
        fn every_eleven_digit_number_starting_with_one_parses(rest in "[0-9]{10}") {
            let text = format!("1{rest}");
            let phone = Phone::parse(&text).unwrap();
            prop_assert_eq!(phone.as_str(), text.as_str());
        }

        #[test]
        fn nothing_else_parses(text in "\\PC{0,14}") {
            let valid = text.len() == 11
                && text.starts_with('1')
                && text.bytes().all(|b| b.is_ascii_digit());
            prop_assert_eq!(Phone::parse(&text).is_ok(), valid);
        }
    }
}
