//! Subscription types: list and fetch them, and attach a contact to one or detach it
//! (`POST /subscription_types/{id}`, whose body Gist does not document: gistd takes
//! `contact_id`, `user_id` or `email`, and `status`). API key only: Gist documents no
//! scope for subscription types.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use super::events::{ContactKeys, resolve_contact};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::marketing::{self, SubscriptionTypeRow};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::marketing::{
    SubscriptionType, SubscriptionTypeContactRequest, SubscriptionTypeContactResponse,
    SubscriptionTypeResponse, SubscriptionTypesResponse,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The subscription type routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscription_types))
        .routes(routes!(
            find_subscription_type,
            update_subscription_type_contact
        ))
}

fn to_subscription_type(row: SubscriptionTypeRow) -> SubscriptionType {
    SubscriptionType {
        id: row.id,
        name: row.name,
        description: row.description,
        subscriber_count: row.subscriber_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn require_subscription_type(
    state: &AppState,
    workspace_id: i64,
    id: i64,
) -> Result<SubscriptionTypeRow, ApiError> {
    marketing::find_subscription_type(&state.db, workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No subscription type has the id {id}.")))
}

/// List the workspace's subscription types.
#[utoipa::path(
    get,
    path = "/subscription_types",
    tag = "subscription_types",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of subscription types (API key only)", body = SubscriptionTypesResponse),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_subscription_types(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<SubscriptionTypesResponse>, ApiError> {
    caller.require_api_key()?;
    let (rows, total) = marketing::list_subscription_types(
        &state.db,
        caller.workspace_id,
        query.per_page,
        query.offset(),
    )
    .await?;
    Ok(Json(SubscriptionTypesResponse {
        subscription_types: rows.into_iter().map(to_subscription_type).collect(),
        pages: query.pages(&state, "/subscription_types", total),
    }))
}

/// Fetch one subscription type.
#[utoipa::path(
    get,
    path = "/subscription_types/{id}",
    tag = "subscription_types",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription type id")),
    responses(
        (status = 200, description = "The subscription type (API key only)", body = SubscriptionTypeResponse),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such subscription type in this workspace", body = gist_types::ApiErrorBody),
    )
)]
pub async fn find_subscription_type(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionTypeResponse>, ApiError> {
    caller.require_api_key()?;
    let id = path_id(&id, "subscription type")?;
    let row = require_subscription_type(&state, caller.workspace_id, id).await?;
    Ok(Json(SubscriptionTypeResponse {
        subscription_type: to_subscription_type(row),
    }))
}

/// Attach a contact to a subscription type, or detach it.
///
/// Gist does not document this body; gistd's choice: `{"contact_id" | "user_id" |
/// "email": ..., "status": "subscribed" | "unsubscribed"}`, `status` defaulting to
/// `subscribed`. The contact must exist (an unknown one is a 404, not a new lead).
#[utoipa::path(
    post,
    path = "/subscription_types/{id}",
    tag = "subscription_types",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Subscription type id")),
    request_body(
        content = SubscriptionTypeContactRequest,
        description = "gistd's choice (Gist does not document this body): the contact as \
                       `contact_id`, `user_id` or `email`, and `status` `subscribed` \
                       (attach, the default) or `unsubscribed` (detach)"
    ),
    responses(
        (status = 200, description = "The contact's status now (API key only)", body = SubscriptionTypeContactResponse),
        (status = 400, description = "No contact key, or malformed JSON", body = gist_types::ApiErrorBody),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such subscription type or contact in this workspace", body = gist_types::ApiErrorBody),
        (status = 422, description = "`status` is not `subscribed` or `unsubscribed`, or a member has the wrong type", body = gist_types::ApiErrorBody),
    )
)]
pub async fn update_subscription_type_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SubscriptionTypeContactRequest>,
) -> Result<Json<SubscriptionTypeContactResponse>, ApiError> {
    caller.require_api_key()?;
    let id = path_id(&id, "subscription type")?;
    let status = match body.status.as_deref().map(str::trim) {
        None | Some("") | Some("subscribed") => "subscribed",
        Some("unsubscribed") => "unsubscribed",
        Some(_) => {
            return Err(ApiError::Unprocessable(
                "`status` must be `subscribed` or `unsubscribed`.".into(),
            ));
        }
    };
    require_subscription_type(&state, caller.workspace_id, id).await?;

    let keys = ContactKeys {
        id: body.contact_id,
        user_id: body.user_id.as_deref(),
        email: body.email.as_deref(),
    };
    let contact = resolve_contact(&state, caller.workspace_id, keys, false).await?;

    marketing::update_subscription_type_status(&state.db, id, contact.id, status, state.now())
        .await?;
    tracing::info!(
        workspace.id = caller.workspace_id,
        subscription_type.id = id,
        contact.id = contact.id,
        status,
        "subscription type status changed"
    );

    let row = require_subscription_type(&state, caller.workspace_id, id).await?;
    Ok(Json(SubscriptionTypeContactResponse {
        subscription_type: to_subscription_type(row),
        contact,
        status: status.to_owned(),
    }))
}
