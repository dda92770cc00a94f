//! `/subscription_types`: kinds of email contacts opt in to or out of. Needs an API key.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ListParams;
use gist_types::marketing::{
    SubscriptionType, SubscriptionTypeContactRequest, SubscriptionTypeContactResponse,
    SubscriptionTypeResponse, SubscriptionTypesResponse,
};
use reqwest::Method;

/// The subscription type endpoints; from [`Client::subscription_types`].
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionTypes<'a> {
    pub(super) client: &'a Client,
}

impl SubscriptionTypes<'_> {
    /// `GET /subscription_types`: a page of subscription types, oldest first.
    pub fn list(&self, params: ListParams) -> List<SubscriptionType> {
        let url = self.client.url_with_query("/subscription_types", &params);
        List::new::<SubscriptionTypesResponse>(self.client, url)
    }

    /// `GET /subscription_types/{id}`.
    pub async fn find(&self, id: i64) -> Result<SubscriptionType> {
        let path = format!("/subscription_types/{id}");
        let response: SubscriptionTypeResponse = self.client.get(&path).await?;
        Ok(response.subscription_type)
    }

    /// `POST /subscription_types/{id}`: subscribes a contact (`status` `subscribed`, the
    /// default) or unsubscribes it (`unsubscribed`).
    pub async fn update_contact(
        &self,
        id: i64,
        request: &SubscriptionTypeContactRequest,
    ) -> Result<SubscriptionTypeContactResponse> {
        let path = format!("/subscription_types/{id}");
        self.client.send_json(Method::POST, &path, request).await
    }
}
