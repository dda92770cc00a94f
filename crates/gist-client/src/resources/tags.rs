//! `/tags`: listing, creating, renaming, tagging and untagging contacts, deleting.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ListParams;
use gist_types::{Tag, TagRequest, TagResponse, TagsResponse};
use reqwest::Method;

/// The tag endpoints; from [`Client::tags`].
#[derive(Debug, Clone, Copy)]
pub struct Tags<'a> {
    pub(super) client: &'a Client,
}

impl Tags<'_> {
    /// `GET /tags`: a page of tags, by name.
    pub fn list(&self, params: ListParams) -> List<Tag> {
        let url = self.client.url_with_query("/tags", &params);
        List::new::<TagsResponse>(self.client, url)
    }

    /// `POST /tags` with a name: creates the tag, or returns the one with that name.
    pub async fn create(&self, name: &str) -> Result<Tag> {
        self.save(&TagRequest {
            name: Some(name.to_owned()),
            ..TagRequest::default()
        })
        .await
    }

    /// `POST /tags`, which creates, renames, tags or untags contacts depending on the
    /// body (see [`TagRequest`]).
    pub async fn save(&self, request: &TagRequest) -> Result<Tag> {
        let response: TagResponse = self
            .client
            .send_json(Method::POST, "/tags", request)
            .await?;
        Ok(response.tag)
    }

    /// `DELETE /tags/{id}`; returns the tag as it was.
    pub async fn delete(&self, id: i64) -> Result<Tag> {
        let url = self.client.url(&format!("/tags/{id}"))?;
        let response: TagResponse = self.client.send(Method::DELETE, url, None).await?;
        Ok(response.tag)
    }
}
