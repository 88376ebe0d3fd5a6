use super::{Invalid, MISSING};

/// An opaque device identifier chosen by the app: 1 to 128 characters.
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
        Ok(Self(text.to_owned()))
    }

    /// The identifier as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::openapi_field::string_field!(
    DeviceId,
    "device_identifier",
    "设备唯一标示 (opaque identifier of the device, 1 to 128 characters)",
    "uuid",
    |s| {
        s.min_length = Some(1);
        s.max_length = Some(DeviceId::MAX_CHARS);
    }
);

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
}
