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
    fn the_purposes_are_those_of_the_wire_expect_and_hash_apart() {
        assert_eq!(CodePurpose::from(Expect::Unregistered), CodePurpose::SignUp);
        assert_eq!(
            CodePurpose::from(Expect::Registered),
            CodePurpose::PasswordReset
        );
        assert_ne!(
            CodePurpose::SignUp.hash_tag(),
            CodePurpose::PasswordReset.hash_tag()
        );
    }
}
