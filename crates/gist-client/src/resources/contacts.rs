//! `/contacts`: find, list, create or update, batch, delete.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ContactListParams;
use gist_types::{
    Contact, ContactRequest, ContactResponse, ContactsBatchRequest, ContactsResponse,
};
use reqwest::Method;

/// The contact endpoints; from [`Client::contacts`].
#[derive(Debug, Clone, Copy)]
pub struct Contacts<'a> {
    pub(super) client: &'a Client,
}

impl Contacts<'_> {
    /// `GET /contacts`: a page of contacts, newest first unless `params` say otherwise.
    pub fn list(&self, params: ContactListParams) -> List<Contact> {
        let url = self.client.url_with_query("/contacts", &params);
        List::new::<ContactsResponse>(self.client, url)
    }

    /// `GET /contacts/{id}`.
    pub async fn find(&self, id: i64) -> Result<Contact> {
        let response: ContactResponse = self.client.get(&format!("/contacts/{id}")).await?;
        Ok(response.contact)
    }

    /// `GET /contacts?email=`: the contact with this email address (a 404
    /// [`Api`](crate::Error::Api) error when there is none).
    pub async fn find_by_email(&self, email: &str) -> Result<Contact> {
        self.find_by("email", email).await
    }

    /// `GET /contacts?user_id=`: the contact with this `user_id`.
    pub async fn find_by_user_id(&self, user_id: &str) -> Result<Contact> {
        self.find_by("user_id", user_id).await
    }

    async fn find_by(&self, key: &str, value: &str) -> Result<Contact> {
        let url = self.client.url_with_pairs("/contacts", &[(key, value)])?;
        let response: ContactResponse = self.client.send(Method::GET, url, None).await?;
        Ok(response.contact)
    }

    /// `POST /contacts`: creates a contact, or updates the one matched by `id`, then
    /// `user_id`, then `email`.
    pub async fn save(&self, contact: &ContactRequest) -> Result<Contact> {
        let response: ContactResponse = self
            .client
            .send_json(Method::POST, "/contacts", contact)
            .await?;
        Ok(response.contact)
    }

    /// `POST /contacts/batch`: creates or updates up to 100 contacts, all or none; returns
    /// them in the order sent.
    pub async fn batch(&self, contacts: Vec<ContactRequest>) -> Result<Vec<Contact>> {
        let body = ContactsBatchRequest { contacts };
        let response: ContactsResponse = self
            .client
            .send_json(Method::POST, "/contacts/batch", &body)
            .await?;
        Ok(response.contacts)
    }

    /// `DELETE /contacts/{id}`; returns the contact as it was.
    pub async fn delete(&self, id: i64) -> Result<Contact> {
        let url = self.client.url(&format!("/contacts/{id}"))?;
        let response: ContactResponse = self.client.send(Method::DELETE, url, None).await?;
        Ok(response.contact)
    }

    /// `DELETE /contacts?email=`; returns the contact as it was.
    pub async fn delete_by_email(&self, email: &str) -> Result<Contact> {
        self.delete_by("email", email).await
    }

    /// `DELETE /contacts?user_id=`; returns the contact as it was.
    pub async fn delete_by_user_id(&self, user_id: &str) -> Result<Contact> {
        self.delete_by("user_id", user_id).await
    }

    async fn delete_by(&self, key: &str, value: &str) -> Result<Contact> {
        let url = self.client.url_with_pairs("/contacts", &[(key, value)])?;
        let response: ContactResponse = self.client.send(Method::DELETE, url, None).await?;
        Ok(response.contact)
    }
}
