//! Form and query parsing that keeps every occurrence of every field.
//!
//! OAuth forbids repeated parameters (RFC 6749 section 3.1), and the developer hub's scope
//! checkboxes send one field per ticked box, so neither fits a `HashMap` or serde's
//! last-one-wins decoding.

/// Most fields any request of gistd's needs; more is refused before any other work, so a
/// request cannot make the server spend time on thousands of parameters.
pub const MAX_FIELDS: usize = 100;

/// The fields of a form-encoded body or query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Decodes `application/x-www-form-urlencoded` bytes (`+` is a space).
    pub fn parse(input: &[u8]) -> Fields {
        Fields(form_urlencoded::parse(input).into_owned().collect())
    }

    /// Wraps already-decoded pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Fields {
        Fields(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, or `None` when absent or empty (RFC 6749 section 3.1: a
    /// parameter sent without a value is treated as omitted).
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first name that occurs more than once, if any. Linear time: it runs on
    /// unauthenticated requests, so a body of many distinct names must stay cheap.
    pub fn repeated(&self) -> Option<&str> {
        let mut seen = std::collections::HashSet::with_capacity(self.0.len());
        self.0
            .iter()
            .map(|(key, _)| key.as_str())
            .find(|key| !seen.insert(*key))
    }

    /// Every field, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads a form body into [`Fields`]. Bodies over the server's limit are refused by the
/// body-limit layer before this runs.
impl<S: Send + Sync> axum::extract::FromRequest<S> for Fields {
    type Rejection = super::error::PageError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| super::error::PageError::BadRequest(rejection.body_text()))?;
        let fields = Fields::parse(&bytes);
        if fields.len() > MAX_FIELDS {
            return Err(super::error::PageError::BadRequest(format!(
                "The form has more than {MAX_FIELDS} fields."
            )));
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::Fields;

    #[test]
    fn repeated_names_the_first_name_seen_twice() {
        assert_eq!(Fields::parse(b"a=1&b=2&c=3").repeated(), None);
        assert_eq!(Fields::parse(b"a=1&b=2&b=3&a=4").repeated(), Some("b"));
        assert_eq!(Fields::parse(b"a=1&a").repeated(), Some("a"));
    }
}
