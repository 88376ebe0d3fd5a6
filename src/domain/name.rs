use super::request_field::RequestField;
use super::{
    character_classes::{CONTROL_CLASS, WHITE_SPACE_CLASS},
    invalid::{Invalid, MISSING},
};

/// A user's display name: 1 to 32 characters once surrounding white space is
/// trimmed, none of them a control character.
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
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid("不能包含控制字符 (no control characters)"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Invalid("长度应为1到32个字符 (1 to 32 characters)"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The rule of [`Name::parse`] as an OpenAPI `pattern`: surrounding white
    /// space, then 1 to 32 characters that are not control characters and
    /// neither begin nor end with white space. The raw text has no length
    /// limit of its own, so the document gives no `maxLength`.
    pub fn pattern() -> String {
        let (ws, cc) = (WHITE_SPACE_CLASS, CONTROL_CLASS);
        let inner = Self::MAX_CHARS - 2;
        format!("^[{ws}]*[^{ws}{cc}](?:[^{cc}]{{0,{inner}}}[^{ws}{cc}])?[{ws}]*$")
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl RequestField for Name {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }
}

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

    #[test]
    fn control_characters_are_refused_inside_but_trimmed_around() {
        assert!(Name::parse("于\0连林").is_err());
        assert!(Name::parse("于\t连林").is_err());
        assert!(Name::parse("于\u{85}连林").is_err());
        assert_eq!(Name::parse("\t于 连林\n").unwrap().as_str(), "于 连林");
        let padded = format!(
            "{}{}{}",
            " ".repeat(20),
            "名".repeat(32),
            "\u{3000}".repeat(20)
        );
        assert!(Name::parse(&padded).is_ok());
    }

    #[test]
    fn the_pattern_compiles_in_the_regex_dialect_of_the_tests() {
        let pattern = regex::Regex::new(&Name::pattern()).unwrap();
        assert!(pattern.is_match(" 于连林 "));
        assert!(!pattern.is_match("   "));
    }

    /// Text mixing the characters that matter to the rule: white space of
    /// every kind, control characters, ordinary and astral characters.
    fn tricky_text() -> impl Strategy<Value = String> {
        let chars = prop_oneof![
            4 => proptest::char::range('a', 'z'),
            2 => proptest::char::range('\u{4e00}', '\u{4e20}'),
            1 => Just('😀'),
            3 => proptest::sample::select(
                ('\0'..=char::MAX).filter(|c| c.is_whitespace()).collect::<Vec<_>>()
            ),
            1 => proptest::char::range('\0', '\u{1f}'),
            1 => proptest::char::range('\u{7f}', '\u{9f}'),
            1 => Just('\u{feff}'),
        ];
        proptest::collection::vec(chars, 0..45).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_trimmed_length_is_one_to_thirty_two(text in "\\PC{0,40}") {
            let chars = text.trim().chars().count();
            prop_assert_eq!(Name::parse(&text).is_ok(), (1..=32).contains(&chars));
        }

        #[test]
        fn the_documented_pattern_accepts_exactly_what_parse_accepts(text in tricky_text()) {
            let pattern = regex::Regex::new(&Name::pattern()).unwrap();
            prop_assert_eq!(pattern.is_match(&text), Name::parse(&text).is_ok(), "{:?}", text);
        }
    }
}
