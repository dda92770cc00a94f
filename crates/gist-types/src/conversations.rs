//! Conversations and their messages: the objects `/conversations` returns and the bodies
//! it accepts.
//!
//! Request bodies are read leniently, as Gist's own clients expect: ids may be numbers or
//! strings of digits, and unknown fields (a whole fetched conversation posted back) are
//! ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A conversation between the workspace and one or more contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    /// The conversation's id.
    pub id: i64,
    /// When it started, Unix seconds.
    pub created_at: i64,
    /// When it last changed (a message, a state change, an edit), Unix seconds.
    pub updated_at: i64,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    /// The title, or null when none was given.
    pub title: Option<String>,
    /// `priority` or `not_priority`.
    pub priority: String,
    /// The contacts taking part, first the one who started it.
    pub contacts: Vec<ConversationContact>,
    /// Who the conversation is assigned to, or null when unassigned.
    pub assignee: Option<Assignee>,
    /// The conversation's tags.
    pub tags: Vec<ConversationTag>,
    /// Free-form properties set by integrations.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_properties: Value,
}

/// A contact as a conversation lists it: enough to find the full contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationContact {
    /// The contact's id.
    pub id: i64,
    /// `user` (has a `user_id`) or `lead`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The integrator's id for the contact.
    pub user_id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
}

/// The teammate or team a conversation is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignee {
    /// A teammate id or a team id, as `type` says.
    pub id: i64,
    /// `teammate` or `team`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A tag on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationTag {
    /// The tag's id.
    pub id: i64,
    /// The tag's name.
    pub name: String,
}

/// `{"conversation": {...}}`: one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationResponse {
    /// The conversation.
    pub conversation: Conversation,
}

/// `GET /conversations`: one page of conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationsResponse {
    /// The conversations of this page.
    pub conversations: Vec<Conversation>,
    /// Links to the first, next and last pages, and the total count.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// A message of a conversation: a reply (seen by the contact) or a note (teammates only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// The message's id.
    pub id: i64,
    /// The text.
    pub body: String,
    /// When it was written, Unix seconds.
    pub created_at: i64,
    /// `reply` or `note`.
    pub message_type: String,
    /// Who wrote it.
    pub author: MessageAuthor,
    /// Whether the contact wrote it (true) or a teammate (false).
    pub is_inbound: bool,
    /// Attached files; gistd stores none, so always empty.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub attachments: Vec<Value>,
}

/// The author of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageAuthor {
    /// `teammate` or `contact`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The teammate id or contact id.
    pub id: i64,
}

/// `{"message": {...}}`: one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageResponse {
    /// The message.
    pub message: Message,
}

/// `GET /conversations/{id}/messages`: one page of messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesResponse {
    /// The messages of this page.
    pub messages: Vec<Message>,
    /// Links to the first, next and last pages, and the total count.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// `GET /conversations/count`: the workspace's conversations counted by state and by
/// assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationCount {
    /// Open conversations.
    pub open: i64,
    /// Closed conversations.
    pub closed: i64,
    /// Snoozed conversations.
    pub snoozed: i64,
    /// Every conversation, whatever its state.
    pub total: i64,
    /// Open conversations assigned to a teammate or a team.
    pub assigned: i64,
    /// Open conversations assigned to no one.
    pub unassigned: i64,
}

/// `{"conversation_count": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationCountResponse {
    /// The counts.
    pub conversation_count: ConversationCount,
}

/// The conversations assigned to one team or teammate, counted by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssigneeCount {
    /// The team or teammate id.
    pub id: i64,
    /// The team's or teammate's name.
    pub name: String,
    /// Open conversations assigned to it.
    pub open: i64,
    /// Closed conversations assigned to it.
    pub closed: i64,
    /// Snoozed conversations assigned to it.
    pub snoozed: i64,
}

/// The `conversation_count` of `GET /conversations/count/teams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamCounts {
    /// One entry per team of this page, teams without conversations included.
    pub teams: Vec<AssigneeCount>,
}

/// `GET /conversations/count/teams`: `{"conversation_count": {"teams": [...]}, "pages"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamCountsResponse {
    /// The counts per team.
    pub conversation_count: TeamCounts,
    /// Links to the first, next and last pages of teams, and the total count.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// The `conversation_count` of `GET /conversations/count/teammates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeammateCounts {
    /// One entry per teammate of this page, teammates without conversations included.
    pub teammates: Vec<AssigneeCount>,
}

/// `GET /conversations/count/teammates`:
/// `{"conversation_count": {"teammates": [...]}, "pages"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeammateCountsResponse {
    /// The counts per teammate.
    pub conversation_count: TeammateCounts,
    /// Links to the first, next and last pages of teammates, and the total count.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// How a request names a contact: by Gist id, by the integrator's `user_id`, or by
/// email (tried in that order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactReference {
    /// The contact's id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<i64>,
    /// The integrator's id for the contact.
    #[serde(default, deserialize_with = "crate::lenient::text")]
    pub user_id: Option<String>,
    /// The contact's email address.
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /conversations`: a contact starts a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateConversationRequest {
    /// The contact who writes the first message.
    #[serde(default)]
    pub from: Option<ContactReference>,
    /// The first message; required and not blank.
    #[serde(default)]
    pub body: Option<String>,
    /// An optional title.
    #[serde(default)]
    pub title: Option<String>,
    /// Optional custom properties (an object).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub custom_properties: Option<Value>,
}

/// `PATCH /conversations/{id}`: change the title, custom properties or state. Fields
/// left out are kept; custom properties are merged into the existing ones key by key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateConversationRequest {
    /// A new title.
    #[serde(default)]
    pub title: Option<String>,
    /// Properties to set (an object); a key set to null is removed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub custom_properties: Option<Value>,
    /// `open`, `closed` or `snoozed`.
    #[serde(default)]
    pub state: Option<String>,
    /// The teammate making the change; when given it must be a teammate of the workspace.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub teammate_id: Option<i64>,
}

/// Who writes a message posted through the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageFrom {
    /// `teammate` (the only author the API accepts); may be left out.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The writing teammate's id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub teammate_id: Option<i64>,
}

/// `POST /conversations/{id}/messages`: a teammate replies or leaves a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMessageRequest {
    /// `reply` (the default) or `note`.
    #[serde(default)]
    pub message_type: Option<String>,
    /// The writing teammate.
    #[serde(default)]
    pub from: Option<MessageFrom>,
    /// The text; required and not blank.
    #[serde(default)]
    pub body: Option<String>,
}

/// `PATCH /conversations/{id}/assign`: assign to a teammate or a team, or unassign.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignConversationRequest {
    /// The teammate making the change; when given it must be a teammate of the workspace.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub teammate_id: Option<i64>,
    /// The new assignee's id; null or absent unassigns.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub assignee_id: Option<i64>,
    /// `teammate` (the default) or `team`.
    #[serde(default)]
    pub assignee_type: Option<String>,
}

/// `PATCH /conversations/{id}/priority`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriorityRequest {
    /// The teammate making the change; when given it must be a teammate of the workspace.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub teammate_id: Option<i64>,
    /// `priority` or `not_priority`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// `POST /conversations/{id}/tags`: tag the conversation, creating the tag if missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagConversationRequest {
    /// Accepted for compatibility with Gist's client and ignored: tags apply to the
    /// whole conversation.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub message_id: Option<i64>,
    /// A tag name, or a list of tag names.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tags: Option<TagNames>,
}

/// One tag name or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TagNames {
    /// A single name, as Gist's Ruby client sends it.
    One(String),
    /// Several names.
    Many(Vec<String>),
}

impl TagNames {
    /// The non-blank names, trimmed.
    pub fn names(&self) -> Vec<String> {
        let all = match self {
            TagNames::One(name) => vec![name.clone()],
            TagNames::Many(names) => names.clone(),
        };
        all.into_iter()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }
}

/// `DELETE /conversations/{id}/tags`: remove one tag from the conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UntagConversationRequest {
    /// Accepted for compatibility with Gist's client and ignored.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub message_id: Option<i64>,
    /// The tag to remove.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub tag_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_bodies_may_be_strings() {
        let body: AssignConversationRequest =
            serde_json::from_str(r#"{"teammate_id": "3", "assignee_id": 4, "x": 1}"#)
                .expect("parses");
        assert_eq!(body.teammate_id, Some(3));
        assert_eq!(body.assignee_id, Some(4));
    }

    #[test]
    fn tags_may_be_one_name_or_a_list() {
        let one: TagConversationRequest =
            serde_json::from_str(r#"{"tags": " vip "}"#).expect("parses");
        assert_eq!(one.tags.map(|tags| tags.names()), Some(vec!["vip".into()]));
        let many: TagConversationRequest =
            serde_json::from_str(r#"{"tags": ["a", ""]}"#).expect("parses");
        assert_eq!(many.tags.map(|tags| tags.names()), Some(vec!["a".into()]));
    }
}
