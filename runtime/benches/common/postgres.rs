//! Where the benchmarks find PostgreSQL, and its URL fit for printing.

/// The PostgreSQL the benchmarks use: `BAIDA_TEST_DATABASE_URL`, or the local test database.
pub fn pg_base_url() -> String {
    std::env::var("BAIDA_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `url` without its password, for printing.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            format!("{scheme}://{}:***@{host}", user.split(':').next().unwrap_or_default())
        }
        _ => url.to_string(),
    }
}
