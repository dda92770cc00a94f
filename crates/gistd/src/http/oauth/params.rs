//! Parameters of requests to the token, revocation and introspection endpoints.
//!
//! RFC 6749 section 4.1.3 says these are form-encoded; Gist's own starter app sends them
//! as a JSON object, so both are read. Whichever the encoding, a repeated parameter is
//! refused (RFC 6749 section 3.2) and so is a client secret in the URL query.

use crate::http::error::OAuthError;
use crate::http::forms::Fields;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri, header};

/// Reads the request's parameters from its body.
pub fn read_params(headers: &HeaderMap, uri: &Uri, body: &Bytes) -> Result<Fields, OAuthError> {
    if let Some(query) = uri.query() {
        let query = Fields::parse(query.as_bytes());
        if query.get("client_secret").is_some() || query.get("code").is_some() {
            return Err(OAuthError::invalid_request(
                "Credentials and codes must be sent in the request body, never in the URL.",
            ));
        }
    }

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let fields = if content_type.starts_with("application/json") {
        parse_json(body)?
    } else if content_type.is_empty()
        || content_type.starts_with("application/x-www-form-urlencoded")
    {
        if std::str::from_utf8(body).is_err() {
            return Err(OAuthError::invalid_request(
                "The request body is not valid UTF-8.",
            ));
        }
        Fields::parse(body)
    } else {
        return Err(OAuthError::invalid_request(
            "Send parameters as application/x-www-form-urlencoded (or application/json).",
        ));
    };

    if fields.len() > crate::http::forms::MAX_FIELDS {
        return Err(OAuthError::invalid_request(format!(
            "The request has more than {} parameters.",
            crate::http::forms::MAX_FIELDS
        )));
    }
    if let Some(name) = fields.repeated() {
        return Err(OAuthError::invalid_request(format!(
            "The parameter `{name}` is repeated."
        )));
    }
    Ok(fields)
}

fn parse_json(body: &Bytes) -> Result<Fields, OAuthError> {
    let Members(members) = serde_json::from_slice(body).map_err(|error| {
        OAuthError::invalid_request(if error.is_data() {
            "The JSON body must be an object."
        } else {
            "The request body is not valid JSON."
        })
    })?;
    let mut pairs = Vec::with_capacity(members.len());
    for (name, value) in members {
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Bool(flag) => flag.to_string(),
            serde_json::Value::Null => continue,
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "The parameter `{name}` must be a string."
                )));
            }
        };
        pairs.push((name, text));
    }
    Ok(Fields::from_pairs(pairs))
}

/// The members of a JSON object in order, repeated names included. Deserializing into
/// `serde_json::Value` keeps only the last of a repeated member, which would hide it
/// from the repeated-parameter check.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
            type Value = Members;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}
