//! Conversations (reference section 4.5): list, fetch, start from a contact, update,
//! delete; messages (list, reply, note); assignment, priority and tags; counts.
//!
//! Scopes: reads and counts need `read_conversations`, every write
//! `write_conversations`. A teammate id in a body is a membership id of the caller's
//! workspace; an unknown one is a 422, since the conversation itself exists.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::contacts::{self, ContactKey};
use crate::storage::conversations::{
    self as store, ConversationChanges, ConversationFilter, ConversationRow, MessageRow, OrderBy,
};
use crate::storage::{Db, tags, teams, workspaces};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::ApiErrorBody;
use gist_types::conversations::{
    AssignConversationRequest, Assignee, AssigneeCount, Conversation, ConversationContact,
    ConversationCount, ConversationCountResponse, ConversationResponse, ConversationTag,
    ConversationsResponse, CreateConversationRequest, CreateMessageRequest, Message, MessageAuthor,
    MessageResponse, MessagesResponse, PriorityRequest, TagConversationRequest, TeamCounts,
    TeamCountsResponse, TeammateCounts, TeammateCountsResponse, UntagConversationRequest,
    UpdateConversationRequest,
};
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The conversation routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations, create_conversation))
        .routes(routes!(
            find_conversation,
            update_conversation,
            delete_conversation
        ))
        .routes(routes!(list_messages, create_message))
        .routes(routes!(assign_conversation))
        .routes(routes!(update_priority))
        .routes(routes!(tag_conversation, untag_conversation))
        .routes(routes!(count_conversations))
        .routes(routes!(count_team_conversations))
        .routes(routes!(count_teammate_conversations))
}

const STATES: [&str; 3] = ["open", "closed", "snoozed"];

/// Builds the full conversation object of a row: contacts, assignee, tags.
async fn render(db: &Db, row: ConversationRow) -> Result<Conversation, ApiError> {
    let contacts = store::list_conversation_contacts(db, row.id)
        .await?
        .into_iter()
        .map(|contact| ConversationContact {
            id: contact.id,
            kind: match contact.user_id.as_deref() {
                Some(user_id) if !user_id.is_empty() => "user".to_owned(),
                _ => "lead".to_owned(),
            },
            user_id: contact.user_id,
            email: contact.email,
            name: contact.name,
        })
        .collect();
    let tags = store::list_conversation_tags(db, row.id)
        .await?
        .into_iter()
        .map(|(id, name)| ConversationTag { id, name })
        .collect();
    let assignee = match (row.assignee_type, row.assignee_id) {
        (Some(kind), Some(id)) => Some(Assignee { id, kind }),
        _ => None,
    };
    Ok(Conversation {
        id: row.id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        state: row.state,
        title: row.title,
        priority: row.priority,
        contacts,
        assignee,
        tags,
        custom_properties: Value::Object(parse_properties(&row.custom_properties)),
    })
}

/// Stored custom properties; text that is not a JSON object (never written by gistd)
/// reads as `{}` rather than failing the request.
fn parse_properties(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Checks that custom properties sent in a body are an object.
fn properties_object(value: Value) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(ApiError::Unprocessable(
            "`custom_properties` must be an object.".into(),
        )),
    }
}

/// The caller's conversation `id` as a row, or 404.
async fn find_row(db: &Db, workspace_id: i64, id: &str) -> Result<ConversationRow, ApiError> {
    let id = path_id(id, "conversation")?;
    store::find_conversation(db, workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No conversation has the id {id}.")))
}

/// The response of every call that changes one conversation: the conversation as it is now.
async fn respond(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<Json<ConversationResponse>, ApiError> {
    Ok(Json(ConversationResponse {
        conversation: load(db, workspace_id, id).await?,
    }))
}

/// The caller's conversation `id`, rendered, or 404.
async fn load(db: &Db, workspace_id: i64, id: i64) -> Result<Conversation, ApiError> {
    let row = store::find_conversation(db, workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No conversation has the id {id}.")))?;
    render(db, row).await
}

/// Refuses a teammate id that is not a teammate of the workspace.
async fn check_teammate(db: &Db, workspace_id: i64, id: Option<i64>) -> Result<(), ApiError> {
    match id {
        Some(id) if !store::is_teammate(db, workspace_id, id).await? => Err(
            ApiError::Unprocessable(format!("No teammate has the id {id}.")),
        ),
        _ => Ok(()),
    }
}

fn to_message(row: MessageRow) -> Message {
    Message {
        id: row.id,
        body: row.body,
        created_at: row.created_at,
        message_type: row.message_type,
        is_inbound: row.author_type == "contact",
        author: MessageAuthor {
            kind: row.author_type,
            id: row.author_id,
        },
        attachments: Vec::new(),
    }
}

/// List the workspace's conversations.
#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        PageParams,
        ("order" = Option<String>, Query, description = "`desc` (default) or `asc`"),
        ("order_by" = Option<String>, Query, description = "`updated_at` (default) or `created_at`"),
        ("state" = Option<String>, Query, description = "`all` (default), `open`, `closed` or `snoozed`"),
    ),
    responses(
        (status = 200, description = "A page of conversations (scope `read_conversations`)", body = ConversationsResponse),
        (status = 400, description = "A bad query parameter", body = ApiErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ApiErrorBody),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
    )
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<ConversationsResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;

    let wanted = query.fields.non_empty("state").map(str::trim);
    let state_filter = match wanted {
        None | Some("all") => None,
        Some(value) if STATES.contains(&value) => Some(value),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`state` must be `all`, `open`, `closed` or `snoozed`.".into(),
            ));
        }
    };
    let order_by = match query.fields.non_empty("order_by").map(str::trim) {
        None | Some("updated_at") => OrderBy::UpdatedAt,
        Some("created_at") => OrderBy::CreatedAt,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`order_by` must be `created_at` or `updated_at`.".into(),
            ));
        }
    };
    let descending = match query.fields.non_empty("order").map(str::trim) {
        None => true,
        Some(order) if order.eq_ignore_ascii_case("desc") => true,
        Some(order) if order.eq_ignore_ascii_case("asc") => false,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`order` must be `asc` or `desc`.".into(),
            ));
        }
    };

    let filter = ConversationFilter {
        state: state_filter,
        order_by,
        descending,
    };
    let (rows, total) = store::list_conversations(
        &state.db,
        caller.workspace_id,
        filter,
        query.per_page,
        query.offset(),
    )
    .await?;
    let mut conversations = Vec::with_capacity(rows.len());
    for row in rows {
        conversations.push(render(&state.db, row).await?);
    }
    Ok(Json(ConversationsResponse {
        conversations,
        pages: query.pages(&state, "/conversations", total),
    }))
}

/// Fetch one conversation.
#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation (scope `read_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
    )
)]
pub async fn find_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;
    Ok(Json(ConversationResponse {
        conversation: render(&state.db, row).await?,
    }))
}

/// Start a conversation from a contact.
///
/// The body becomes the conversation's first message, an inbound reply by the contact.
#[utoipa::path(
    post,
    path = "/conversations",
    tag = "conversations",
    security(("bearer" = [])),
    request_body = CreateConversationRequest,
    responses(
        (status = 200, description = "The new conversation (scope `write_conversations`)", body = ConversationResponse),
        (status = 400, description = "Malformed JSON", body = ApiErrorBody),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such contact in this workspace", body = ApiErrorBody),
        (status = 422, description = "No contact named, empty body or bad field types", body = ApiErrorBody),
    )
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<CreateConversationRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;

    let body = request.body.as_deref().map(str::trim).unwrap_or_default();
    if body.is_empty() {
        return Err(ApiError::Unprocessable("`body` must not be empty.".into()));
    }
    let from = request.from.unwrap_or_default();
    let key = if let Some(id) = from.id {
        ContactKey::Id(id)
    } else if let Some(user_id) = from.user_id.as_deref().filter(|id| !id.trim().is_empty()) {
        ContactKey::UserId(user_id)
    } else if let Some(email) = from
        .email
        .as_deref()
        .filter(|email| !email.trim().is_empty())
    {
        ContactKey::Email(email)
    } else {
        return Err(ApiError::Unprocessable(
            "`from` must name a contact by `id`, `user_id` or `email`.".into(),
        ));
    };
    let contact_id = contacts::find_contact_id(&state.db, caller.workspace_id, &key)
        .await?
        .ok_or_else(|| ApiError::NotFound("No contact matches `from`.".into()))?;
    let properties = properties_object(request.custom_properties.unwrap_or(Value::Null))?;
    let title = request
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());

    let id = store::insert_conversation(
        &state.db,
        caller.workspace_id,
        contact_id,
        title,
        &Value::Object(properties).to_string(),
        body,
        state.now(),
    )
    .await?;
    tracing::info!(
        workspace.id = caller.workspace_id,
        conversation.id = id,
        "conversation started through the API"
    );
    respond(&state.db, caller.workspace_id, id).await
}

/// Update a conversation's title, custom properties or state.
#[utoipa::path(
    patch,
    path = "/conversations/{id}",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = UpdateConversationRequest,
    responses(
        (status = 200, description = "The updated conversation (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
        (status = 422, description = "Empty or unknown state, unknown teammate, bad types", body = ApiErrorBody),
    )
)]
pub async fn update_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateConversationRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    let new_state = match request.state.as_deref().map(str::trim) {
        None => None,
        Some(value) if STATES.contains(&value) => Some(value),
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "`state` must be `open`, `closed` or `snoozed`.".into(),
            ));
        }
    };
    check_teammate(&state.db, caller.workspace_id, request.teammate_id).await?;
    // Merged key by key, so a client can set one property without resending the others;
    // a key sent as null is removed.
    let properties = match request.custom_properties {
        None => None,
        Some(patch) => {
            let patch = properties_object(patch)?;
            let mut merged = parse_properties(&row.custom_properties);
            for (key, value) in patch {
                if value.is_null() {
                    merged.remove(&key);
                } else {
                    merged.insert(key, value);
                }
            }
            Some(Value::Object(merged).to_string())
        }
    };

    let changes = ConversationChanges {
        title: request.title.as_deref().map(str::trim),
        state: new_state,
        priority: None,
        custom_properties: properties.as_deref(),
    };
    store::update_conversation(
        &state.db,
        caller.workspace_id,
        row.id,
        &changes,
        state.now(),
    )
    .await?;
    if let Some(new_state) = new_state {
        tracing::info!(
            workspace.id = caller.workspace_id,
            conversation.id = row.id,
            state = new_state,
            "conversation state changed"
        );
    }
    respond(&state.db, caller.workspace_id, row.id).await
}

/// Delete a conversation with its messages.
#[utoipa::path(
    delete,
    path = "/conversations/{id}",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation as it was before deletion (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
    )
)]
pub async fn delete_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    // Read, though unused, so a malformed body is refused before anything is deleted.
    _body: ApiJson<IgnoredAny>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;
    let id = row.id;
    let conversation = render(&state.db, row).await?;
    if !store::delete_conversation(&state.db, caller.workspace_id, id).await? {
        // Deleted by a concurrent request between the read and the delete.
        return Err(ApiError::NotFound(format!(
            "No conversation has the id {id}."
        )));
    }
    tracing::info!(
        workspace.id = caller.workspace_id,
        conversation.id = id,
        "conversation deleted"
    );
    Ok(Json(ConversationResponse { conversation }))
}

/// List a conversation's messages, oldest first.
#[utoipa::path(
    get,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Conversation id"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of messages (scope `read_conversations`)", body = MessagesResponse),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
    )
)]
pub async fn list_messages(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Json<MessagesResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;
    let (rows, total) =
        store::list_messages(&state.db, row.id, query.per_page, query.offset()).await?;
    Ok(Json(MessagesResponse {
        messages: rows.into_iter().map(to_message).collect(),
        pages: query.pages(
            &state,
            &format!("/conversations/{}/messages", row.id),
            total,
        ),
    }))
}

/// Reply to a conversation or leave a note, as a teammate.
#[utoipa::path(
    post,
    path = "/conversations/{id}/messages",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = CreateMessageRequest,
    responses(
        (status = 200, description = "The new message (scope `write_conversations`)", body = MessageResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
        (status = 422, description = "Empty body, unknown message type or teammate", body = ApiErrorBody),
    )
)]
pub async fn create_message(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CreateMessageRequest>,
) -> Result<Json<MessageResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    let message_type = match request.message_type.as_deref().map(str::trim) {
        None | Some("") | Some("reply") => "reply",
        Some("note") => "note",
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "`message_type` must be `reply` or `note`.".into(),
            ));
        }
    };
    let body = request.body.as_deref().map(str::trim).unwrap_or_default();
    if body.is_empty() {
        return Err(ApiError::Unprocessable("`body` must not be empty.".into()));
    }
    let from = request.from.unwrap_or_default();
    if let Some(kind) = from.kind.as_deref()
        && kind != "teammate"
    {
        return Err(ApiError::Unprocessable(
            "`from.type` must be `teammate`.".into(),
        ));
    }
    let teammate_id = from.teammate_id.ok_or_else(|| {
        ApiError::Unprocessable("`from.teammate_id` names the writing teammate.".into())
    })?;
    check_teammate(&state.db, caller.workspace_id, Some(teammate_id)).await?;

    let message = store::insert_teammate_message(
        &state.db,
        row.id,
        message_type,
        body,
        teammate_id,
        state.now(),
    )
    .await?;
    tracing::info!(
        workspace.id = caller.workspace_id,
        conversation.id = row.id,
        message.id = message.id,
        message.kind = message_type,
        "teammate message added"
    );
    Ok(Json(MessageResponse {
        message: to_message(message),
    }))
}

/// Assign a conversation to a teammate or a team, or unassign it.
#[utoipa::path(
    patch,
    path = "/conversations/{id}/assign",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = AssignConversationRequest,
    responses(
        (status = 200, description = "The conversation with its new assignee (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
        (status = 422, description = "Unknown assignee type, assignee or teammate", body = ApiErrorBody),
    )
)]
pub async fn assign_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AssignConversationRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    check_teammate(&state.db, caller.workspace_id, request.teammate_id).await?;
    let kind = match request.assignee_type.as_deref().map(str::trim) {
        None | Some("") | Some("teammate") => "teammate",
        Some("team") => "team",
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "`assignee_type` must be `teammate` or `team`.".into(),
            ));
        }
    };
    let assignee = match request.assignee_id {
        None => None,
        Some(assignee_id) => {
            let exists = match kind {
                "team" => teams::find_team(&state.db, caller.workspace_id, assignee_id)
                    .await?
                    .is_some(),
                _ => store::is_teammate(&state.db, caller.workspace_id, assignee_id).await?,
            };
            if !exists {
                return Err(ApiError::Unprocessable(format!(
                    "No {kind} has the id {assignee_id}."
                )));
            }
            Some((kind, assignee_id))
        }
    };

    store::update_assignee(
        &state.db,
        caller.workspace_id,
        row.id,
        assignee,
        state.now(),
    )
    .await?;
    respond(&state.db, caller.workspace_id, row.id).await
}

/// Mark a conversation as priority or not.
#[utoipa::path(
    patch,
    path = "/conversations/{id}/priority",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = PriorityRequest,
    responses(
        (status = 200, description = "The conversation (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
        (status = 422, description = "Unknown priority or teammate", body = ApiErrorBody),
    )
)]
pub async fn update_priority(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PriorityRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    let priority = match request.priority.as_deref().map(str::trim) {
        Some("priority") => "priority",
        Some("not_priority") => "not_priority",
        _ => {
            return Err(ApiError::Unprocessable(
                "`priority` must be `priority` or `not_priority`.".into(),
            ));
        }
    };
    check_teammate(&state.db, caller.workspace_id, request.teammate_id).await?;

    let changes = ConversationChanges {
        priority: Some(priority),
        ..ConversationChanges::default()
    };
    store::update_conversation(
        &state.db,
        caller.workspace_id,
        row.id,
        &changes,
        state.now(),
    )
    .await?;
    respond(&state.db, caller.workspace_id, row.id).await
}

/// Tag a conversation, creating the tag when the workspace has none of that name.
#[utoipa::path(
    post,
    path = "/conversations/{id}/tags",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = TagConversationRequest,
    responses(
        (status = 200, description = "The conversation with its tags (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation in this workspace", body = ApiErrorBody),
        (status = 422, description = "No tag name given", body = ApiErrorBody),
    )
)]
pub async fn tag_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<TagConversationRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    let names = request.tags.map(|tags| tags.names()).unwrap_or_default();
    if names.is_empty() {
        return Err(ApiError::Unprocessable(
            "`tags` must be a tag name (or a list of names).".into(),
        ));
    }
    let now = state.now();
    for name in names {
        let tag = tags::find_or_create_tag(&state.db, caller.workspace_id, &name, now).await?;
        store::insert_conversation_tag(&state.db, row.id, tag.id, now).await?;
    }
    respond(&state.db, caller.workspace_id, row.id).await
}

/// Remove a tag from a conversation.
///
/// Removing a tag the conversation does not carry is not an error.
#[utoipa::path(
    delete,
    path = "/conversations/{id}/tags",
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Conversation id")),
    request_body = UntagConversationRequest,
    responses(
        (status = 200, description = "The conversation with its tags (scope `write_conversations`)", body = ConversationResponse),
        (status = 403, description = "The token lacks `write_conversations`", body = ApiErrorBody),
        (status = 404, description = "No such conversation or tag in this workspace", body = ApiErrorBody),
        (status = 422, description = "No `tag_id` given", body = ApiErrorBody),
    )
)]
pub async fn untag_conversation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UntagConversationRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    caller.require(Scope::WriteConversations)?;
    let row = find_row(&state.db, caller.workspace_id, &id).await?;

    let tag_id = request
        .tag_id
        .ok_or_else(|| ApiError::Unprocessable("`tag_id` names the tag to remove.".into()))?;
    let tag = tags::find_tag(&state.db, caller.workspace_id, tag_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No tag has the id {tag_id}.")))?;
    store::delete_conversation_tag(&state.db, row.id, tag.id, state.now()).await?;
    respond(&state.db, caller.workspace_id, row.id).await
}

/// Count the workspace's conversations by state and assignment.
#[utoipa::path(
    get,
    path = "/conversations/count",
    tag = "conversations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts (scope `read_conversations`)", body = ConversationCountResponse),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
    )
)]
pub async fn count_conversations(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ConversationCountResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;
    let mut count = ConversationCount::default();
    for (conversation_state, all, assigned) in
        store::count_by_state(&state.db, caller.workspace_id).await?
    {
        count.total += all;
        match conversation_state.as_str() {
            "open" => {
                count.open = all;
                count.assigned = assigned;
                count.unassigned = all - assigned;
            }
            "closed" => count.closed = all,
            _ => count.snoozed = all,
        }
    }
    Ok(Json(ConversationCountResponse {
        conversation_count: count,
    }))
}

/// Adds per-state counts to `entries` from `(assignee id, state, count)` rows.
fn fill_counts(entries: &mut [AssigneeCount], rows: &[(i64, String, i64)]) {
    for entry in entries.iter_mut() {
        for (_, conversation_state, count) in rows.iter().filter(|(id, _, _)| *id == entry.id) {
            match conversation_state.as_str() {
                "open" => entry.open = *count,
                "closed" => entry.closed = *count,
                _ => entry.snoozed = *count,
            }
        }
    }
}

fn empty_count(id: i64, name: String) -> AssigneeCount {
    AssigneeCount {
        id,
        name,
        open: 0,
        closed: 0,
        snoozed: 0,
    }
}

/// Count the conversations assigned to each team.
#[utoipa::path(
    get,
    path = "/conversations/count/teams",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "Counts per team (scope `read_conversations`)", body = TeamCountsResponse),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
    )
)]
pub async fn count_team_conversations(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<TeamCountsResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;
    let (page, total) = teams::list_teams(
        &state.db,
        caller.workspace_id,
        query.per_page,
        query.offset(),
    )
    .await?;
    let rows = store::count_by_assignee(&state.db, caller.workspace_id, "team").await?;
    let mut entries: Vec<AssigneeCount> = page
        .into_iter()
        .map(|team| empty_count(team.id, team.name))
        .collect();
    fill_counts(&mut entries, &rows);
    Ok(Json(TeamCountsResponse {
        conversation_count: TeamCounts { teams: entries },
        pages: query.pages(&state, "/conversations/count/teams", total),
    }))
}

/// Count the conversations assigned to each teammate.
#[utoipa::path(
    get,
    path = "/conversations/count/teammates",
    tag = "conversations",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "Counts per teammate (scope `read_conversations`)", body = TeammateCountsResponse),
        (status = 403, description = "The token lacks `read_conversations`", body = ApiErrorBody),
    )
)]
pub async fn count_teammate_conversations(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<TeammateCountsResponse>, ApiError> {
    caller.require(Scope::ReadConversations)?;
    // Workspaces have few members, so the page is cut from the full list.
    let members = workspaces::list_members(&state.db, caller.workspace_id).await?;
    let total = i64::try_from(members.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from(query.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(query.per_page).unwrap_or(usize::MAX);
    let mut entries: Vec<AssigneeCount> = members
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|member| empty_count(member.id, member.name))
        .collect();
    let rows = store::count_by_assignee(&state.db, caller.workspace_id, "teammate").await?;
    fill_counts(&mut entries, &rows);
    Ok(Json(TeammateCountsResponse {
        conversation_count: TeammateCounts { teammates: entries },
        pages: query.pages(&state, "/conversations/count/teammates", total),
    }))
}
