//! Runtime settings of a gistd server.

use std::net::SocketAddr;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "gistd.db";
/// Default access token lifetime, in seconds (2 hours).
pub const DEFAULT_ACCESS_TOKEN_TTL: i64 = 2 * 60 * 60;
/// Authorization code lifetime, in seconds (RFC 6749 section 4.1.2 recommends at most 10
/// minutes).
pub const CODE_TTL: i64 = 10 * 60;
/// Browser session lifetime, in seconds (7 days).
pub const SESSION_TTL: i64 = 7 * 24 * 60 * 60;
/// Default time between two runs of background upkeep, in seconds (10 minutes).
pub const DEFAULT_UPKEEP_INTERVAL: i64 = 10 * 60;
/// Longest `state` accepted at the authorization endpoint, in bytes.
pub const MAX_STATE_LENGTH: usize = 2048;
/// How long requests in flight at shutdown may take to finish.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);
/// How long the server keeps serving normally after draining its accept queue, before it
/// starts its graceful shutdown. Starting it closes every connection whose request has
/// not been read yet as if it were idle, which resets a client that had already sent its
/// request; the pause lets the connections just accepted have their request read first.
pub const SHUTDOWN_SETTLE: std::time::Duration = std::time::Duration::from_millis(300);
/// Largest request body accepted by the server, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings a server is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Database URL or SQLite file path.
    pub database: String,
    /// Public base URL (scheme, host, port, no trailing slash); `None` means
    /// `http://<listen address>`.
    pub base_url: Option<String>,
    /// Access token lifetime in seconds; `None` means tokens never expire.
    pub access_token_ttl: Option<i64>,
    /// How long after a refresh token is rotated a second use of it counts as the loser of
    /// a concurrent refresh (refused, nothing revoked) rather than a replay (grant
    /// revoked).
    pub refresh_reuse_grace_seconds: i64,
    /// Failed log-ins per account allowed in one throttle window.
    pub login_failures_per_account: i64,
    /// Failed log-ins per client address allowed in one throttle window.
    pub login_failures_per_address: i64,
    /// Length of the log-in throttle window, in seconds.
    pub login_throttle_window_seconds: i64,
    /// REST API requests allowed per workspace in one rate-limit window.
    pub api_rate_limit: i64,
    /// Length of the REST API's rate-limit window, in seconds.
    pub api_rate_window_seconds: i64,
    /// Seconds between two runs of background upkeep (purging expired codes, sessions
    /// and tokens); `None` turns it off.
    pub upkeep_interval_seconds: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DEFAULT_DATABASE.to_owned(),
            base_url: None,
            access_token_ttl: Some(DEFAULT_ACCESS_TOKEN_TTL),
            refresh_reuse_grace_seconds: 5,
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_throttle_window_seconds: 15 * 60,
            api_rate_limit: 100,
            api_rate_window_seconds: 10,
            upkeep_interval_seconds: Some(DEFAULT_UPKEEP_INTERVAL),
        }
    }
}

/// A token lifetime: seconds, or `None` for tokens that never expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime(pub Option<i64>);

impl std::str::FromStr for Lifetime {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        parse_lifetime(value).map(Lifetime)
    }
}

/// Parses a lifetime: `never`, a number of seconds, or a number followed by `s`, `m`,
/// `h` or `d`.
pub fn parse_lifetime(value: &str) -> Result<Option<i64>, String> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(index) => value.split_at(index),
        None => (value, "s"),
    };
    let multiplier = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{value}`: use `never`, seconds, or a number with s, m, h or d"
            ));
        }
    };
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a lifetime"))?;
    if number <= 0 {
        return Err(format!(
            "`{value}`: a lifetime must be positive (or `never`)"
        ));
    }
    number
        .checked_mul(multiplier)
        .map(Some)
        .ok_or_else(|| format!("`{value}` is too long"))
}

/// Checks a base URL: absolute http(s), no path, query or fragment. Returns it without a
/// trailing slash.
pub fn parse_base_url(value: &str) -> Result<String, String> {
    let parsed = url::Url::parse(value).map_err(|e| format!("`{value}` is not a URL: {e}"))?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some()
        && parsed.path() == "/"
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty();
    if !ok {
        return Err(format!(
            "`{value}` must be like https://gistd.example.com (no path)"
        ));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("never"), Ok(None));
        assert_eq!(parse_lifetime("7200"), Ok(Some(7200)));
        assert_eq!(parse_lifetime("2h"), Ok(Some(7200)));
        assert_eq!(parse_lifetime("30d"), Ok(Some(30 * 86_400)));
        assert!(parse_lifetime("0").is_err());
        assert!(parse_lifetime("2w").is_err());
        assert!(parse_lifetime("").is_err());
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base_url("https://gistd.example/").unwrap(),
            "https://gistd.example"
        );
        assert!(parse_base_url("https://gistd.example/app").is_err());
        assert!(parse_base_url("ftp://gistd.example").is_err());
    }
}
