//! The REST API's conventions, as Gist's own clients expect them:
//! - request bodies are JSON whatever the `Content-Type` (Gist's Ruby client even sends
//!   one on GET and a `{}` body on DELETE), an empty body counts as `{}`, and unknown
//!   fields are ignored, so a client may post a fetched object back to update it;
//! - ids may arrive as numbers or as strings of digits (the request types in
//!   `gist_types` read them with `gist_types::lenient`);
//! - lists are paged by `page` (from 1) and `per_page` (default 50, at most 100) and
//!   carry `pages.first`, `pages.next` (absent on the last page) and `pages.last` as full
//!   URLs, plus `pages.total_count`.

use crate::http::error::ApiError;
use crate::http::forms::Fields;
use crate::http::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Default `per_page` of every list.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// Largest `per_page` accepted.
pub const MAX_PER_PAGE: i64 = 100;

/// A JSON request body, read leniently (see the module docs).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest("The request body could not be read.".into())
                }
            })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::BadRequest("The request body is not valid UTF-8.".into()))?;
        let text = if text.trim().is_empty() { "{}" } else { text };
        // Every body is an object: serde would also read a struct from an array of its
        // fields (`[]` leaves every optional one out), which no client means.
        if !text.trim_start().starts_with('{') {
            return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => ApiError::Unprocessable("The request body must be a JSON object.".into()),
                Err(error) => {
                    ApiError::BadRequest(format!("The request body is not valid JSON: {error}."))
                }
            });
        }
        serde_json::from_str(text).map(ApiJson).map_err(|error| {
            use serde_json::error::Category;
            match error.classify() {
                Category::Data => {
                    ApiError::Unprocessable(format!("Invalid request body: {error}."))
                }
                _ => ApiError::BadRequest(format!("The request body is not valid JSON: {error}.")),
            }
        })
    }
}

/// Parses a path id; anything but a positive integer is "not found".
pub fn path_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::NotFound(format!("No {what} has the id `{text}`.")))
}

/// The paging parameters of every list, for the OpenAPI annotations
/// (`params(PageParams, ...)`); [`ListQuery`] is what reads them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (default 50, at most 100).
    pub per_page: Option<i64>,
}

/// The query string of an API request: its fields and the requested page.
#[derive(Debug)]
pub struct ListQuery {
    /// Every query parameter, decoded.
    pub fields: Fields,
    /// The query exactly as sent, for parameters that must not be form-decoded.
    pub raw: String,
    /// 1-based page number.
    pub page: i64,
    /// Items per page.
    pub per_page: i64,
}

impl ListQuery {
    /// Rows to skip for this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// Parameter `name`, percent-decoded but with `+` kept as a plus: Gist's Ruby client
    /// puts email addresses in the query unescaped, and `ada+news@example.com` must not
    /// become a space.
    pub fn literal(&self, name: &str) -> Option<String> {
        self.raw.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| percent_decode(value))
        })
    }

    /// The `pages` object of a list response for `path` (relative to the API base, e.g.
    /// `/contacts`), keeping the other query parameters in each link.
    pub fn pages(&self, state: &AppState, path: &str, total_count: i64) -> Value {
        let last = ((total_count + self.per_page - 1) / self.per_page).max(1);
        let link = |page: i64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in self.fields.pairs() {
                if name != "page" && name != "per_page" {
                    query.append_pair(name, value);
                }
            }
            query.append_pair("page", &page.to_string());
            query.append_pair("per_page", &self.per_page.to_string());
            format!("{}/api{path}?{}", state.base_url, query.finish())
        };
        let mut pages = json!({
            "page": self.page,
            "per_page": self.per_page,
            "total_count": total_count,
            "total_pages": last,
            "first": link(1),
            "last": link(last),
        });
        if self.page < last {
            pages["next"] = Value::String(link(self.page + 1));
        }
        if self.page > 1 {
            pages["prev"] = Value::String(link((self.page - 1).min(last)));
        }
        pages
    }
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let decoded = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("").to_owned();
        let fields = Fields::parse(raw.as_bytes());
        if fields.len() > crate::http::forms::MAX_FIELDS {
            return Err(ApiError::BadRequest(
                "The query has too many parameters.".into(),
            ));
        }
        let number = |name: &str, default: i64, max: i64| -> Result<i64, ApiError> {
            match fields.non_empty(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|value| (1..=max).contains(value))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "`{name}` must be a whole number from 1 to {max}."
                        ))
                    }),
            }
        };
        let page = number("page", 1, 1_000_000)?;
        let per_page = number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        Ok(ListQuery {
            fields,
            raw,
            page,
            per_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_query_values_keep_their_plus() {
        let query = ListQuery {
            fields: Fields::default(),
            raw: "email=ada+news@example.com&x=%41".into(),
            page: 1,
            per_page: 50,
        };
        assert_eq!(
            query.literal("email").as_deref(),
            Some("ada+news@example.com")
        );
        assert_eq!(query.literal("x").as_deref(), Some("A"));
        assert_eq!(query.literal("y"), None);
    }
}
