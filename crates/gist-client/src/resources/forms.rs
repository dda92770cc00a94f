//! `/forms`: forms, subscribing contacts through them, and their submissions. Needs an
//! API key.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::ListParams;
use gist_types::marketing::{
    Form, FormResponse, FormSubmission, FormSubscribeRequest, FormsResponse, SubmissionResponse,
    SubmissionsResponse,
};
use reqwest::Method;

/// The form endpoints; from [`Client::forms`].
#[derive(Debug, Clone, Copy)]
pub struct Forms<'a> {
    pub(super) client: &'a Client,
}

impl Forms<'_> {
    /// `GET /forms`: a page of forms, oldest first.
    pub fn list(&self, params: ListParams) -> List<Form> {
        let url = self.client.url_with_query("/forms", &params);
        List::new::<FormsResponse>(self.client, url)
    }

    /// `GET /forms?form_id=`: one form (Gist fetches a form this way, not by path).
    pub async fn find(&self, id: i64) -> Result<Form> {
        let id = id.to_string();
        let url = self.client.url_with_pairs("/forms", &[("form_id", &id)])?;
        let response: FormResponse = self.client.send(Method::GET, url, None).await?;
        Ok(response.form)
    }

    /// `POST /forms/{id}/subscribe`: records a submission by a contact.
    pub async fn subscribe(
        &self,
        id: i64,
        request: &FormSubscribeRequest,
    ) -> Result<FormSubmission> {
        let path = format!("/forms/{id}/subscribe");
        let response: SubmissionResponse =
            self.client.send_json(Method::POST, &path, request).await?;
        Ok(response.submission)
    }

    /// `GET /forms/{id}/submissions`: a page of the form's submissions, newest first.
    pub fn submissions(&self, id: i64, params: ListParams) -> List<FormSubmission> {
        let url = self
            .client
            .url_with_query(&format!("/forms/{id}/submissions"), &params);
        List::new::<SubmissionsResponse>(self.client, url)
    }
}
