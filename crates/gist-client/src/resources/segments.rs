//! `/segments`: the workspace's named groups of contacts (read only).

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::SegmentListParams;
use gist_types::{Segment, SegmentResponse, SegmentsResponse};
use reqwest::Method;

/// The segment endpoints; from [`Client::segments`].
#[derive(Debug, Clone, Copy)]
pub struct Segments<'a> {
    pub(super) client: &'a Client,
}

impl Segments<'_> {
    /// `GET /segments`: a page of segments, oldest first.
    pub fn list(&self, params: SegmentListParams) -> List<Segment> {
        let url = self.client.url_with_query("/segments", &params);
        List::new::<SegmentsResponse>(self.client, url)
    }

    /// `GET /segments/{id}`, with its number of contacts when `include_count`.
    pub async fn find(&self, id: i64, include_count: bool) -> Result<Segment> {
        let path = format!("/segments/{id}");
        let url = match include_count {
            true => self
                .client
                .url_with_pairs(&path, &[("include_count", "true")])?,
            false => self.client.url(&path)?,
        };
        let response: SegmentResponse = self.client.send(Method::GET, url, None).await?;
        Ok(response.segment)
    }
}
