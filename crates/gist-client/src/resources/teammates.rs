//! `/teammates`: the members of the workspace (read only).

use crate::client::Client;
use crate::error::Result;
use gist_types::{Teammate, TeammateResponse, TeammatesResponse};

/// The teammate endpoints; from [`Client::teammates`].
#[derive(Debug, Clone, Copy)]
pub struct Teammates<'a> {
    pub(super) client: &'a Client,
}

impl Teammates<'_> {
    /// `GET /teammates`: every teammate (this list is not paged).
    pub async fn list(&self) -> Result<Vec<Teammate>> {
        let response: TeammatesResponse = self.client.get("/teammates").await?;
        Ok(response.teammates)
    }

    /// `GET /teammates/{id}`.
    pub async fn find(&self, id: i64) -> Result<Teammate> {
        let response: TeammateResponse = self.client.get(&format!("/teammates/{id}")).await?;
        Ok(response.teammate)
    }
}
