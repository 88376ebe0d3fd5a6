//! What an SMS code is for: signing up or resetting a password.

use super::expect::Expect;

/// The purpose a code is sent for and checked against: a sign-up code never
/// opens a password reset, and a reset code never registers an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// `register` needs it (sent with `expect=0`).
    SignUp,
    /// `verify_code` takes it and opens the reset window (sent with `expect=1`).
    PasswordReset,
}

impl CodePurpose {
    /// As stored in `sms_codes.purpose`.
    pub fn as_stored(self) -> i16 {
        match self {
            Self::SignUp => entity::sms_codes::PURPOSE_SIGN_UP,
            Self::PasswordReset => entity::sms_codes::PURPOSE_PASSWORD_RESET,
        }
    }

    /// What goes into the code's HMAC beside phone and code, so a code of one
    /// purpose never matches the other's hash.
    pub fn hash_tag(self) -> &'static [u8] {
        match self {
            Self::SignUp => b":0:",
            Self::PasswordReset => b":1:",
        }
    }
}

/// `sendsms`'s `expect` says which code is asked for: a free phone gets a
/// sign-up code, a registered one a reset code.
impl From<Expect> for CodePurpose {
    fn from(expect: Expect) -> Self {
        match expect {
            Expect::Unregistered => Self::SignUp,
            Expect::Registered => Self::PasswordReset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_purposes_are_those_of_the_wire_expect() {
        assert_eq!(CodePurpose::from(Expect::Unregistered).as_stored(), 0);
        assert_eq!(CodePurpose::from(Expect::Registered).as_stored(), 1);
        assert_ne!(
            CodePurpose::SignUp.hash_tag(),
            CodePurpose::PasswordReset.hash_tag()
        );
    }
}
