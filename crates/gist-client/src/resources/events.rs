//! `/events`: tracking what contacts did, and listing it back.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::EventListParams;
use gist_types::events::{Event, EventResponse, EventsResponse, TrackEventRequest};
use reqwest::Method;

/// The event endpoints; from [`Client::events`].
#[derive(Debug, Clone, Copy)]
pub struct Events<'a> {
    pub(super) client: &'a Client,
}

impl Events<'_> {
    /// `GET /events`: a page of events, newest first.
    pub fn list(&self, params: EventListParams) -> List<Event> {
        let url = self.client.url_with_query("/events", &params);
        List::new::<EventsResponse>(self.client, url)
    }

    /// `POST /events`: records an event for a contact named by `id`, `user_id` or
    /// `email` (an unknown email creates a lead). Needs an API key.
    pub async fn track(&self, request: &TrackEventRequest) -> Result<Event> {
        let response: EventResponse = self
            .client
            .send_json(Method::POST, "/events", request)
            .await?;
        Ok(response.event)
    }
}
