//! Redirect URIs: what an app may register and how a presented one is matched.
//!
//! Rules (RFC 6749 section 3.1.2, RFC 8252 section 7.3, RFC 9700 section 4.1):
//! - a registered URI is absolute `https`, or `http` on a loopback host; it has no
//!   fragment and no user information;
//! - a presented URI matches a registered one when the two strings are identical, with
//!   one exception: when the registered host is a loopback IP literal (`127.0.0.1`,
//!   `[::1]`), the port may differ, because native apps listen on whatever port is free.
//!
//! Matching compares strings, not parsed URLs, so no normalisation (`%2F`, `..`, default
//! ports, `user@host`) can make two different URIs equal.

use std::net::IpAddr;

/// Longest redirect URI accepted, in bytes.
pub const MAX_REDIRECT_URI_LENGTH: usize = 2000;

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Not an absolute URL.
    #[error("`{0}` is not an absolute URL")]
    NotAbsolute(String),
    /// Plain http on a host other than loopback.
    #[error("`{0}` must use https (plain http is allowed only for 127.0.0.1, [::1] and localhost)")]
    NotHttps(String),
    /// Has a `#fragment`.
    #[error("`{0}` must not contain a fragment (#...)")]
    HasFragment(String),
    /// Has `user:password@`.
    #[error("`{0}` must not contain user information (user@host)")]
    HasUserInfo(String),
    /// Contains spaces or control characters, or is too long.
    #[error("`{0}` contains spaces or control characters, or is longer than 2000 bytes")]
    Malformed(String),
}

/// A redirect URI that passed registration rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates `value` for registration.
    pub fn parse(value: &str) -> Result<RedirectUri, RedirectUriError> {
        let owned = || value.to_owned();
        if value.len() > MAX_REDIRECT_URI_LENGTH
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RedirectUriError::Malformed(owned()));
        }
        if value.contains('#') {
            return Err(RedirectUriError::HasFragment(owned()));
        }
        let parts = split(value).ok_or_else(|| RedirectUriError::NotAbsolute(owned()))?;
        if parts.authority.contains('@') {
            return Err(RedirectUriError::HasUserInfo(owned()));
        }
        let parsed = url::Url::parse(value).map_err(|_| RedirectUriError::NotAbsolute(owned()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| RedirectUriError::NotAbsolute(owned()))?;
        if parts.scheme == "http" && !is_loopback_host(host) {
            return Err(RedirectUriError::NotHttps(owned()));
        }
        Ok(RedirectUri(value.to_owned()))
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `presented` matches the registered URI `registered` (see the module docs).
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Some(left), Some(right)) = (split(registered), split(presented)) else {
        return false;
    };
    let Some((left_host, _)) = host_and_port(left.authority) else {
        return false;
    };
    let Some((right_host, right_port)) = host_and_port(right.authority) else {
        return false;
    };
    let loopback_ip = left_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback());
    loopback_ip
        && left.scheme == right.scheme
        && left_host == right_host
        && is_valid_port(right.authority, right_port)
        && left.rest == right.rest
        && !right.rest.contains('#')
}

/// `uri` with `params` appended to its query, keeping any query it already has
/// (RFC 6749 section 3.1.2).
pub fn with_query_params(uri: &str, params: &[(&str, &str)]) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        encoded.append_pair(name, value);
    }
    let encoded = encoded.finish();
    let separator = match uri.find('?') {
        None => "?",
        Some(_) if uri.ends_with('?') || uri.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{uri}{separator}{encoded}")
}

/// A port that is absent (no colon at all) or a number from 1 to 65535 written without
/// leading zeros.
fn is_valid_port(authority: &str, port: &str) -> bool {
    if port.is_empty() {
        return !authority.ends_with(':');
    }
    !port.starts_with('0')
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

struct Parts<'a> {
    scheme: &'a str,
    authority: &'a str,
    rest: &'a str,
}

fn split(uri: &str) -> Option<Parts<'_>> {
    let (scheme, after) = uri.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.is_empty() {
        return None;
    }
    Some(Parts {
        scheme,
        authority,
        rest,
    })
}

fn host_and_port(authority: &str) -> Option<(&str, &str)> {
    if authority.contains('@') {
        return None;
    }
    if let Some(end) = authority.find(']') {
        let (host, after) = authority.split_at(end + 1);
        return match after.strip_prefix(':') {
            Some(port) => Some((host, port)),
            None if after.is_empty() => Some((host, "")),
            None => None,
        };
    }
    Some(authority.split_once(':').unwrap_or((authority, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_accepts_https_and_loopback_http() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=7",
            "http://127.0.0.1:3000/oauth/gist/callback",
            "http://[::1]/cb",
            "http://localhost:8000/cb",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn registration_refuses_unsafe_shapes() {
        for (bad, why) in [
            ("http://app.example.com/cb", "plain http"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("https://good.example@evil.example/cb", "userinfo"),
            ("/relative", "relative"),
            ("javascript:alert(1)", "scheme"),
            ("https://app.example.com/a b", "space"),
            ("http://127.0.0.1.evil.example/cb", "fake loopback"),
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{why}: {bad}");
        }
    }

    #[test]
    fn matching_is_exact_for_ordinary_hosts() {
        let registered = "https://app.example.com/cb";
        assert!(matches(registered, "https://app.example.com/cb"));
        for other in [
            "https://app.example.com/cb/",
            "https://app.example.com/CB",
            "https://app.example.com:443/cb",
            "https://app.example.com/cb?x=1",
            "https://app.example.com%40evil.example/cb",
            "https://app.example.com@evil.example/cb",
            "https://app.example.com/cb%2F..%2Fevil",
            "https://app.example.com/cb#x",
            "https://app.example.com:8443/cb",
        ] {
            assert!(!matches(registered, other), "{other}");
        }
    }

    #[test]
    fn loopback_ip_literals_match_on_any_port_only() {
        let registered = "http://127.0.0.1:3000/oauth/gist/callback";
        assert!(matches(
            registered,
            "http://127.0.0.1:51234/oauth/gist/callback"
        ));
        assert!(matches(registered, "http://127.0.0.1/oauth/gist/callback"));
        assert!(!matches(
            registered,
            "http://127.0.0.1:51234/oauth/gist/callback2"
        ));
        assert!(!matches(
            registered,
            "https://127.0.0.1:3000/oauth/gist/callback"
        ));
        assert!(!matches(
            registered,
            "http://127.0.0.1:3000@evil.example/oauth/gist/callback"
        ));
        assert!(!matches(
            registered,
            "http://127.0.0.1:30x0/oauth/gist/callback"
        ));
        assert!(matches("http://[::1]:80/cb", "http://[::1]:9999/cb"));
        assert!(!matches(
            "http://localhost:3000/cb",
            "http://localhost:4000/cb"
        ));
    }

    #[test]
    fn query_parameters_are_appended_to_an_existing_query() {
        assert_eq!(
            with_query_params(
                "https://a.example/cb?x=1",
                &[("code", "c"), ("state", "a b&c")]
            ),
            "https://a.example/cb?x=1&code=c&state=a+b%26c"
        );
        assert_eq!(
            with_query_params("https://a.example/cb", &[("code", "c")]),
            "https://a.example/cb?code=c"
        );
    }
}
