//! Which backend a test run uses, and how a test reaches PostgreSQL: the
//! server URL of the run and the URLs of one database or schema on it.

/// Environment variable choosing the backend of a test run: `sqlite` (the
/// default) or `postgres`.
pub const BACKEND_VAR: &str = "ACCOUNT_API_TEST_BACKEND";
/// Environment variable with the URL of a PostgreSQL server the tests may
/// create and drop databases on, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";

/// A database engine the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The backend of this test run, from [`BACKEND_VAR`].
    ///
    /// # Panics
    /// When the variable holds something other than `sqlite` or `postgres`.
    pub fn current() -> Self {
        match std::env::var(BACKEND_VAR).as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Self::Sqlite,
            Ok("postgres") => Self::Postgres,
            Ok(other) => panic!("{BACKEND_VAR}={other:?}: expected `sqlite` or `postgres`"),
        }
    }

    /// `"SQLite"` or `"PostgreSQL"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The PostgreSQL server of [`POSTGRES_URL_VAR`], if set.
///
/// A server on the loopback interface is reached without TLS unless the URL
/// says otherwise (`sslmode=...`): TLS protects nothing there, and the TLS
/// handshake of each new connection costs about 100 ms here, which made the
/// PostgreSQL run five times slower.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())?;
    Some(without_tls_on_loopback(&url))
}

pub(super) fn without_tls_on_loopback(url: &str) -> String {
    let authority = url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let loopback = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == *name || host.starts_with(&format!("{name}:")));
    if !loopback || url.contains("sslmode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

pub use migration::database_url::with_database;

/// `server_url` with `schema` as the only schema its sessions search (and
/// create tables in), in the libpq `options` parameter.
pub fn with_search_path(server_url: &str, schema: &str) -> String {
    let separator = if server_url.contains('?') { '&' } else { '?' };
    format!("{server_url}{separator}options=-c%20search_path%3D{schema}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_are_reached_without_tls_unless_the_url_says_otherwise() {
        assert_eq!(
            without_tls_on_loopback("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
        );
        assert_eq!(
            without_tls_on_loopback("postgres://u:p@localhost/db?application_name=t"),
            "postgres://u:p@localhost/db?application_name=t&sslmode=disable"
        );
        for kept in [
            "postgres://postgres@127.0.0.1/db?sslmode=require",
            "postgres://postgres@db.example.com/db",
            "postgres://postgres@127.0.0.10/db",
        ] {
            assert_eq!(without_tls_on_loopback(kept), kept);
        }
    }

    #[test]
    fn the_search_path_goes_into_the_options_parameter() {
        assert_eq!(
            with_search_path("postgres://h/db", "s"),
            "postgres://h/db?options=-c%20search_path%3Ds"
        );
        assert_eq!(
            with_search_path("postgres://h/db?sslmode=disable", "s"),
            "postgres://h/db?sslmode=disable&options=-c%20search_path%3Ds"
        );
    }
}
