//! Form and query parsing that keeps every occurrence of every field.
//!
//! OAuth forbids repeated parameters (RFC 6749 section 3.1), and the developer hub's scope
//! checkboxes send one field per ticked box, so neither fits a `HashMap` or serde's
//! last-one-wins decoding.

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

    /// The first name that occurs more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(index, (key, _))| self.0[..*index].iter().any(|(earlier, _)| earlier == key))
            .map(|(_, (key, _))| key.as_str())
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
        Ok(Fields::parse(&bytes))
    }
}
