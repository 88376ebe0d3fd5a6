//! The keys of the locks that serialize, across every instance, the
//! transactions deciding on one phone, client network or account (see
//! [`super::lock_keys`]): one constructor each, so that two flows taking
//! "the same" lock cannot spell it differently.

use std::fmt;

use crate::domain::{ClientIp, Phone};

/// What a transaction locks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockKey {
    /// The SMS sends to a phone: taken first by a send.
    SendsToPhone(String),
    /// The SMS sends requested from a client network: taken last by a send,
    /// after its phone's, so two sends never wait for each other in a circle.
    SendsFromNetwork(String),
    /// The login attempts of a phone.
    LoginsOfPhone(String),
    /// The login attempts from a client network.
    LoginsFromNetwork(String),
    /// The password resets of a phone.
    ResetsOfPhone(String),
    /// The password resets from a client network.
    ResetsFromNetwork(String),
    /// Opening, capping and revoking the sessions of an account (its user id).
    SessionsOfAccount(String),
    /// The applications of an account (its user id): one pending at a time.
    ApplicationsOfAccount(String),
    /// The members of an enterprise (its id): none join one being deleted.
    MembersOfEnterprise(i64),
}

impl LockKey {
    /// The sends to `phone`.
    pub fn sends_to(phone: &Phone) -> Self {
        Self::SendsToPhone(phone.as_str().to_owned())
    }

    /// The sends from `client`'s network.
    pub fn sends_from(client: &ClientIp) -> Self {
        Self::SendsFromNetwork(client.network())
    }

    /// The logins of `phone`.
    pub fn logins_of(phone: &Phone) -> Self {
        Self::LoginsOfPhone(phone.as_str().to_owned())
    }

    /// The logins from `client`'s network.
    pub fn logins_from(client: &ClientIp) -> Self {
        Self::LoginsFromNetwork(client.network())
    }

    /// The password resets of `phone`.
    pub fn resets_of(phone: &Phone) -> Self {
        Self::ResetsOfPhone(phone.as_str().to_owned())
    }

    /// The password resets from `client`'s network.
    pub fn resets_from(client: &ClientIp) -> Self {
        Self::ResetsFromNetwork(client.network())
    }

    /// The sessions of account `user_id`.
    pub fn sessions_of(user_id: &str) -> Self {
        Self::SessionsOfAccount(user_id.to_owned())
    }

    /// The applications of account `user_id`.
    pub fn applications_of(user_id: &str) -> Self {
        Self::ApplicationsOfAccount(user_id.to_owned())
    }

    /// The members of enterprise `enterprise_id`.
    pub fn members_of(enterprise_id: i64) -> Self {
        Self::MembersOfEnterprise(enterprise_id)
    }
}

/// The key as the database's lock is named (`login:phone:13800000000`).
impl fmt::Display for LockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SendsToPhone(phone) => write!(f, "send:phone:{phone}"),
            Self::SendsFromNetwork(network) => write!(f, "send:network:{network}"),
            Self::LoginsOfPhone(phone) => write!(f, "login:phone:{phone}"),
            Self::LoginsFromNetwork(network) => write!(f, "login:network:{network}"),
            Self::ResetsOfPhone(phone) => write!(f, "reset:phone:{phone}"),
            Self::ResetsFromNetwork(network) => write!(f, "reset:network:{network}"),
            Self::SessionsOfAccount(user_id) => write!(f, "sessions:user:{user_id}"),
            Self::ApplicationsOfAccount(user_id) => write!(f, "applications:user:{user_id}"),
            Self::MembersOfEnterprise(id) => write!(f, "members:enterprise:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_names_what_it_locks_and_no_two_kinds_collide() {
        let phone = Phone::parse("13800000000").unwrap();
        let client = ClientIp::new("10.1.2.3".parse().unwrap());
        let keys = [
            LockKey::sends_to(&phone),
            LockKey::sends_from(&client),
            LockKey::logins_of(&phone),
            LockKey::logins_from(&client),
            LockKey::resets_of(&phone),
            LockKey::resets_from(&client),
            LockKey::sessions_of("f223fa5c92e846349031b0eb06868478"),
        ];
        let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(names[0], "send:phone:13800000000");
        assert_eq!(names[2], "login:phone:13800000000");
        assert_eq!(names[6], "sessions:user:f223fa5c92e846349031b0eb06868478");
        assert!(
            names[1].starts_with("send:network:10.1.2.3"),
            "{}",
            names[1]
        );
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), keys.len(), "{names:?}");
    }
}
