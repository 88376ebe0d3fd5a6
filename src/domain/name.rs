use super::{Invalid, MISSING};

/// A user's display name: 1 to 32 characters once surrounding white space is trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// The most characters a name may have.
    pub const MAX_CHARS: usize = 32;

    /// Trims `text`, checks its length and wraps it.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(MISSING);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Invalid("长度应为1到32个字符 (1 to 32 characters)"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::openapi_field::string_field!(
    Name,
    "name",
    "姓名, 去掉首尾空白后1-32个字符 (display name, 1 to 32 characters after trimming)",
    "于连林",
    |s| {
        s.min_length = Some(1);
        s.max_length = Some(Name::MAX_CHARS);
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn surrounding_white_space_is_trimmed() {
        assert_eq!(Name::parse("  于连林 \t").unwrap().as_str(), "于连林");
    }

    #[test]
    fn blank_and_over_long_names_are_refused() {
        assert_eq!(Name::parse("   "), Err(MISSING));
        assert!(Name::parse(&"名".repeat(33)).is_err());
        assert!(Name::parse(&"名".repeat(32)).is_ok());
        assert!(Name::parse("😀").is_ok());
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_trimmed_length_is_one_to_thirty_two(text in "\\PC{0,40}") {
            let chars = text.trim().chars().count();
            prop_assert_eq!(Name::parse(&text).is_ok(), (1..=32).contains(&chars));
        }
    }
}
