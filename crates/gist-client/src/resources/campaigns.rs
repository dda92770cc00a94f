//! `/campaigns`: email campaigns, and subscribing or unsubscribing contacts. Needs an
//! API key.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ListParams;
use gist_types::marketing::{
    Campaign, CampaignResponse, CampaignSubscriptionRequest, CampaignSubscriptionResponse,
    CampaignsResponse,
};
use reqwest::Method;

/// The campaign endpoints; from [`Client::campaigns`].
#[derive(Debug, Clone, Copy)]
pub struct Campaigns<'a> {
    pub(super) client: &'a Client,
}

impl Campaigns<'_> {
    /// `GET /campaigns`: a page of campaigns, oldest first.
    pub fn list(&self, params: ListParams) -> List<Campaign> {
        let url = self.client.url_with_query("/campaigns", &params);
        List::new::<CampaignsResponse>(self.client, url)
    }

    /// `GET /campaigns/{id}`.
    pub async fn find(&self, id: i64) -> Result<Campaign> {
        let response: CampaignResponse = self.client.get(&format!("/campaigns/{id}")).await?;
        Ok(response.campaign)
    }

    /// `POST /campaigns`: subscribes the contact to campaign `id`, or unsubscribes it when
    /// `unsubscribed` is `Some(true)`.
    pub async fn update_subscription(
        &self,
        request: &CampaignSubscriptionRequest,
    ) -> Result<CampaignSubscriptionResponse> {
        self.client
            .send_json(Method::POST, "/campaigns", request)
            .await
    }
}
