use serde_json::Value;

use super::{invalid::Invalid, positive_id, request_field::RequestField};

/// The id of an enterprise, as `GET enterprises` lists it: a positive
/// integer written in ASCII decimal digits (no sign, no fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnterpriseId(i64);

impl EnterpriseId {
    /// Accepts 1 to `i64::MAX` in plain decimal digits.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        positive_id::parse(text).map(Self)
    }

    /// The id.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A JSON integer or a string of digits.
impl RequestField for EnterpriseId {
    fn from_text(text: &str) -> Result<Self, Invalid> {
        Self::parse(text)
    }

    fn from_json(value: Value) -> Result<Self, Invalid> {
        positive_id::from_json(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{invalid::MISSING, positive_id::NOT_AN_ID};

    #[test]
    fn only_positive_decimal_integers_are_ids() {
        assert_eq!(EnterpriseId::parse("7").unwrap().get(), 7);
        assert_eq!(EnterpriseId::parse(""), Err(MISSING));
        for bad in ["0", "-1", "+1", "1.0", " 1", "abc", "9223372036854775808"] {
            assert_eq!(EnterpriseId::parse(bad), Err(NOT_AN_ID), "{bad:?}");
        }
        assert_eq!(
            EnterpriseId::from_optional_json(Some(Value::from(3))).unwrap(),
            EnterpriseId(3)
        );
        assert!(EnterpriseId::from_optional_json(Some(Value::Bool(true))).is_err());
        assert!(EnterpriseId::from_optional_json(None).is_err());
    }
}
