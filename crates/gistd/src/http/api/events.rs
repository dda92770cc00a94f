//! Events: `GET /events` lists what the workspace's contacts did (scope `read_events`);
//! `POST /events` tracks one (API key only: Gist documents no scope for tracking, and
//! `read_events` only reads).
//!
//! Tracking for an email address the workspace does not know creates a lead, as Gist's
//! contacts are de-duplicated by email and its event objects carry the contact's
//! `email`: an integration may track a visitor's events before it ever upserts the
//! contact. An unknown `id` or `user_id` is a 404, since neither can make a contact
//! reachable again.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::contacts::{self, ContactKey};
use crate::storage::events::{self, EventRow};
use axum::Json;
use axum::extract::State;
use gist_types::events::{Event, EventResponse, EventsResponse, TrackEventRequest};
use gist_types::marketing::ContactRef;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest event name accepted.
const MAX_NAME_CHARS: usize = 255;

/// The event routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events, track_event))
}

/// The contact keys a request may carry, in the order they are tried.
pub(super) struct ContactKeys<'a> {
    /// Gist's id.
    pub id: Option<i64>,
    /// The integrator's id.
    pub user_id: Option<&'a str>,
    /// Email address.
    pub email: Option<&'a str>,
}

/// Finds the contact a request names: by `id`, else `user_id`, else `email` (the order
/// Gist matches contacts in). An unknown email address becomes a new lead when
/// `create_lead`; anything else unknown is a 404, and no key at all a 400.
pub(super) async fn resolve_contact(
    state: &AppState,
    workspace_id: i64,
    keys: ContactKeys<'_>,
    create_lead: bool,
) -> Result<ContactRef, ApiError> {
    let user_id = non_empty(keys.user_id);
    let email = non_empty(keys.email);
    let not_found =
        || ApiError::NotFound("No contact matches the given id, user_id or email.".into());

    let contact_id = if let Some(id) = keys.id {
        contacts::find_contact_id(&state.db, workspace_id, &ContactKey::Id(id)).await?
    } else if let Some(user_id) = user_id {
        contacts::find_contact_id(&state.db, workspace_id, &ContactKey::UserId(user_id)).await?
    } else if let Some(email) = email {
        if !email.contains('@') {
            return Err(ApiError::Unprocessable(
                "`email` must be an email address.".into(),
            ));
        }
        match contacts::find_contact_id(&state.db, workspace_id, &ContactKey::Email(email)).await? {
            Some(id) => Some(id),
            None if create_lead => {
                let id = contacts::find_or_insert_lead(&state.db, workspace_id, email, state.now())
                    .await?;
                tracing::info!(workspace.id = workspace_id, contact.id = id, "lead created");
                Some(id)
            }
            None => None,
        }
    } else {
        return Err(ApiError::BadRequest(
            "Name the contact with `id`, `user_id` or `email`.".into(),
        ));
    };

    let id = contact_id.ok_or_else(not_found)?;
    let (email, user_id) = events::find_contact_keys(&state.db, workspace_id, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(ContactRef { id, email, user_id })
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Parses a JSON object stored as text; anything else reads as empty.
pub(super) fn stored_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn to_event(row: EventRow) -> Event {
    Event {
        id: row.id,
        name: row.name,
        contact_id: row.contact_id,
        email: row.email,
        user_id: row.user_id,
        properties: stored_object(&row.properties),
        occurred_at: row.occurred_at,
        created_at: row.created_at,
    }
}

/// List the workspace's events, newest first.
#[utoipa::path(
    get,
    path = "/events",
    tag = "events",
    security(("bearer" = [])),
    params(
        ("event_type" = Option<String>, Query, description = "`all` (the default) or an event name"),
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of events (scope `read_events`)", body = EventsResponse),
        (status = 400, description = "Bad paging parameters", body = gist_types::ApiErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = gist_types::ApiErrorBody),
        (status = 403, description = "The token lacks `read_events`", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_events(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<EventsResponse>, ApiError> {
    caller.require(Scope::ReadEvents)?;
    let event_type = query
        .fields
        .non_empty("event_type")
        .map(str::trim)
        .filter(|name| !name.eq_ignore_ascii_case("all"));

    let (rows, total) = events::list_events(
        &state.db,
        caller.workspace_id,
        event_type,
        query.per_page,
        query.offset(),
    )
    .await?;

    Ok(Json(EventsResponse {
        events: rows.into_iter().map(to_event).collect(),
        pages: query.pages(&state, "/events", total),
    }))
}

/// Track an event for a contact.
#[utoipa::path(
    post,
    path = "/events",
    tag = "events",
    security(("bearer" = [])),
    request_body = TrackEventRequest,
    responses(
        (status = 200, description = "The tracked event (API key only: no documented scope)", body = EventResponse),
        (status = 400, description = "No `event_name`, no contact key, or malformed JSON", body = gist_types::ApiErrorBody),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No contact has the given `id` or `user_id`", body = gist_types::ApiErrorBody),
        (status = 422, description = "A member has the wrong type, or `email` is not an address", body = gist_types::ApiErrorBody),
    )
)]
pub async fn track_event(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<TrackEventRequest>,
) -> Result<Json<EventResponse>, ApiError> {
    caller.require_api_key()?;
    let name = body
        .event_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ApiError::BadRequest("`event_name` is required.".into()))?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::Unprocessable(format!(
            "`event_name` is longer than {MAX_NAME_CHARS} characters."
        )));
    }

    let keys = ContactKeys {
        id: body.id,
        user_id: body.user_id.as_deref(),
        email: body.email.as_deref(),
    };
    let contact = resolve_contact(&state, caller.workspace_id, keys, true).await?;

    let now = state.now();
    let properties = Value::Object(body.properties.unwrap_or_default()).to_string();
    let row = events::insert_event(
        &state.db,
        caller.workspace_id,
        contact.id,
        name,
        &properties,
        body.occurred_at.unwrap_or(now),
        now,
    )
    .await?;
    tracing::info!(
        workspace.id = caller.workspace_id,
        event.id = row.id,
        contact.id = contact.id,
        "event tracked"
    );
    Ok(Json(EventResponse {
        event: to_event(row),
    }))
}
