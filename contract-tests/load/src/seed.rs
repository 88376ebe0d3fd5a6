//! The seeded users and the requests the scenarios build from them: their
//! phones, passwords and bodies, and registering them through the API before
//! the loads.
//!
//! Every user has one name, one device and one password, so that every
//! expected answer of one load has the same body size (see
//! [`crate::measured`]); the phone ranges of the seeded users, of the phones
//! that are never registered, of the sample registrations and of the random
//! registrations never overlap.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    thread,
    time::Instant,
};

use contract_tests::http::{Client, HttpRequest, percent_encode};

use crate::measured::{Answer, check_answer};

/// The password of every seeded user (6 to 14 characters).
pub const PASSWORD: &str = "bench-pass-01";
/// The name of every user: one length, so every login answer has one size.
pub const NAME: &str = "bench";
/// The device of every user and login, so `change_device` is always false.
pub const DEVICE: &str = "bench-device";
/// Where the documented operations live.
pub const BASE: &str = "/api/v4.0";
/// Form bodies.
pub const FORM: &str = "application/x-www-form-urlencoded";
/// Phones `register` draws at random: never seeded, never sampled.
pub const FRESH_PHONE_REGEX: &str = "1[5-9][0-9]{9}";

/// The `index`th seeded phone: 13800000000, 13800000001, ...
pub fn registered_phone(index: u32) -> String {
    (13_800_000_000_u64 + u64::from(index)).to_string()
}

/// The `index`th phone that is never registered: 13900000000, ...
pub fn unregistered_phone(index: u32) -> String {
    (13_900_000_000_u64 + u64::from(index)).to_string()
}

/// A phone registered by a sample request of `register` (outside the random range).
pub fn sample_phone(index: u32) -> String {
    (14_000_000_000_u64 + u64::from(index)).to_string()
}

/// The form body of a correct login of `phone`.
pub fn login_body(phone: &str) -> String {
    format!(
        "phone={phone}&password={}&device_identifier={}",
        percent_encode(PASSWORD),
        percent_encode(DEVICE)
    )
}

/// The query string of registering `phone` (a phone or a pattern of phones).
pub fn register_query(phone: &str) -> String {
    format!(
        "phone={phone}&name={}&password={}&device_identifier={}",
        percent_encode(NAME),
        percent_encode(PASSWORD),
        percent_encode(DEVICE)
    )
}

/// The query string of resetting `phone`'s password to [`PASSWORD`] (with
/// SMS verification off, the server's default, no code is needed).
pub fn reset_query(phone: &str) -> String {
    format!("phone={phone}&password={}", percent_encode(PASSWORD))
}

/// A GET of `path_and_query`.
pub fn get(path_and_query: String) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path_and_query,
        headers: Vec::new(),
        body: None,
    }
}

/// A POST of the form `body` to `path`.
pub fn post_form(path: &str, body: String) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path_and_query: path.to_owned(),
        headers: vec![("content-type".into(), FORM.into())],
        body: Some(body.into_bytes()),
    }
}

/// Registers `users` phones through the API with `threads` clients at once.
pub fn seed(client: &Client, users: u32, threads: usize) -> Result<(), String> {
    let next = AtomicU32::new(0);
    let started = Instant::now();
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= users {
                            return Ok(());
                        }
                        let phone = registered_phone(index);
                        let body = format!("{}&name={}", login_body(&phone), percent_encode(NAME));
                        let response =
                            client.send(&post_form(&format!("{BASE}/register"), body))?;
                        check_answer(&response, Answer::Code(200))
                            .map_err(|err| format!("seeding {phone}: {err}"))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a seeding thread does not panic"))
            .collect::<Result<Vec<()>, String>>()
    })?;
    eprintln!(
        "seeded {users} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_ranges_never_overlap() {
        let fresh = regex_free_prefixes();
        for phone in [registered_phone(0), unregistered_phone(0), sample_phone(0)] {
            assert_eq!(phone.len(), 11);
            assert!(!fresh.contains(&phone.as_bytes()[1]), "{phone}");
        }
        assert_ne!(registered_phone(1999)[..3], unregistered_phone(0)[..3]);
    }

    fn regex_free_prefixes() -> Vec<u8> {
        // FRESH_PHONE_REGEX is 1[5-9]...: second digits 5 to 9.
        assert!(FRESH_PHONE_REGEX.starts_with("1[5-9]"));
        (b'5'..=b'9').collect()
    }
}
