//! `/teams`: groups of teammates conversations can be assigned to (read only).

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ListParams;
use gist_types::teams::{Team, TeamResponse, TeamsResponse};

/// The team endpoints; from [`Client::teams`].
#[derive(Debug, Clone, Copy)]
pub struct Teams<'a> {
    pub(super) client: &'a Client,
}

impl Teams<'_> {
    /// `GET /teams`: a page of teams, by name.
    pub fn list(&self, params: ListParams) -> List<Team> {
        let url = self.client.url_with_query("/teams", &params);
        List::new::<TeamsResponse>(self.client, url)
    }

    /// `GET /teams/{id}`.
    pub async fn find(&self, id: i64) -> Result<Team> {
        let response: TeamResponse = self.client.get(&format!("/teams/{id}")).await?;
        Ok(response.team)
    }
}
