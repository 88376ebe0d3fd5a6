//! Database URLs: the URL of another database on the same server, for the
//! tests that create a database of their own (this crate's PostgreSQL
//! migration test and the server's test support).

/// `server_url` with its database name replaced by `name` (the query string kept).
///
/// # Panics
/// When `server_url` has no `scheme://`.
pub fn with_database(server_url: &str, name: &str) -> String {
    let (url, query) = match server_url.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
