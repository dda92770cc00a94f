//! `/conversations`: conversations, their messages, assignment, priority, tags and
//! counts.

use crate::client::Client;
use crate::error::Result;
use crate::pagination::List;
use crate::params::{ConversationListParams, ListParams};
use gist_types::conversations::{
    AssignConversationRequest, AssigneeCount, Conversation, ConversationCount,
    ConversationCountResponse, ConversationResponse, ConversationsResponse,
    CreateConversationRequest, CreateMessageRequest, Message, MessageResponse, MessagesResponse,
    PriorityRequest, TagConversationRequest, TeamCountsResponse, TeammateCountsResponse,
    UntagConversationRequest, UpdateConversationRequest,
};
use reqwest::Method;

/// The conversation endpoints; from [`Client::conversations`].
#[derive(Debug, Clone, Copy)]
pub struct Conversations<'a> {
    pub(super) client: &'a Client,
}

impl Conversations<'_> {
    /// `GET /conversations`: a page of conversations, most recently updated first unless
    /// `params` say otherwise.
    pub fn list(&self, params: ConversationListParams) -> List<Conversation> {
        let url = self.client.url_with_query("/conversations", &params);
        List::new::<ConversationsResponse>(self.client, url)
    }

    /// `GET /conversations/{id}`.
    pub async fn find(&self, id: i64) -> Result<Conversation> {
        let path = format!("/conversations/{id}");
        let response: ConversationResponse = self.client.get(&path).await?;
        Ok(response.conversation)
    }

    /// `POST /conversations`: a contact starts a conversation; `body` becomes its first,
    /// inbound message.
    pub async fn create(&self, request: &CreateConversationRequest) -> Result<Conversation> {
        self.write(Method::POST, "/conversations".into(), request)
            .await
    }

    /// `PATCH /conversations/{id}`: changes the title, custom properties or state.
    pub async fn update(
        &self,
        id: i64,
        request: &UpdateConversationRequest,
    ) -> Result<Conversation> {
        self.write(Method::PATCH, format!("/conversations/{id}"), request)
            .await
    }

    /// `DELETE /conversations/{id}`; returns the conversation as it was.
    pub async fn delete(&self, id: i64) -> Result<Conversation> {
        let url = self.client.url(&format!("/conversations/{id}"))?;
        let response: ConversationResponse = self.client.send(Method::DELETE, url, None).await?;
        Ok(response.conversation)
    }

    /// `GET /conversations/{id}/messages`: a page of the conversation's messages, oldest
    /// first.
    pub fn messages(&self, id: i64, params: ListParams) -> List<Message> {
        let url = self
            .client
            .url_with_query(&format!("/conversations/{id}/messages"), &params);
        List::new::<MessagesResponse>(self.client, url)
    }

    /// `POST /conversations/{id}/messages`: a teammate replies or leaves a note.
    pub async fn create_message(&self, id: i64, body: &CreateMessageRequest) -> Result<Message> {
        let path = format!("/conversations/{id}/messages");
        let response: MessageResponse = self.client.send_json(Method::POST, &path, body).await?;
        Ok(response.message)
    }

    /// `PATCH /conversations/{id}/assign`: assigns to a teammate or a team, or unassigns
    /// when `assignee_id` is `None`.
    pub async fn assign(
        &self,
        id: i64,
        request: &AssignConversationRequest,
    ) -> Result<Conversation> {
        self.write(
            Method::PATCH,
            format!("/conversations/{id}/assign"),
            request,
        )
        .await
    }

    /// `PATCH /conversations/{id}/priority`: `priority` or `not_priority`.
    pub async fn set_priority(&self, id: i64, request: &PriorityRequest) -> Result<Conversation> {
        self.write(
            Method::PATCH,
            format!("/conversations/{id}/priority"),
            request,
        )
        .await
    }

    /// `POST /conversations/{id}/tags`: tags the conversation, creating missing tags.
    pub async fn tag(&self, id: i64, request: &TagConversationRequest) -> Result<Conversation> {
        self.write(Method::POST, format!("/conversations/{id}/tags"), request)
            .await
    }

    /// `DELETE /conversations/{id}/tags`: removes the tag `tag_id`.
    pub async fn untag(&self, id: i64, body: &UntagConversationRequest) -> Result<Conversation> {
        self.write(Method::DELETE, format!("/conversations/{id}/tags"), body)
            .await
    }

    /// `GET /conversations/count`: the workspace's conversations by state and assignment.
    pub async fn count(&self) -> Result<ConversationCount> {
        let response: ConversationCountResponse = self.client.get("/conversations/count").await?;
        Ok(response.conversation_count)
    }

    /// `GET /conversations/count/teams`: a page of per-team counts.
    pub fn count_by_team(&self, params: ListParams) -> List<AssigneeCount> {
        let url = self
            .client
            .url_with_query("/conversations/count/teams", &params);
        List::new::<TeamCountsResponse>(self.client, url)
    }

    /// `GET /conversations/count/teammates`: a page of per-teammate counts.
    pub fn count_by_teammate(&self, params: ListParams) -> List<AssigneeCount> {
        let url = self
            .client
            .url_with_query("/conversations/count/teammates", &params);
        List::new::<TeammateCountsResponse>(self.client, url)
    }

    async fn write(
        &self,
        method: Method,
        path: String,
        body: &impl serde::Serialize,
    ) -> Result<Conversation> {
        let response: ConversationResponse = self.client.send_json(method, &path, body).await?;
        Ok(response.conversation)
    }
}
