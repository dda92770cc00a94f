//! Segments (reference section 4.8): list and fetch, optionally with how many contacts
//! each holds. The API cannot create segments; the command line does.
//!
//! Gist documents no scope for segments. gistd lets an OAuth token with
//! `read_bulk_contacts` read them (an API key always can): that scope already lists
//! every contact with its segments and filters contacts by `segment_id`, so segment
//! names and counts disclose nothing it does not, and refusing every OAuth token would
//! leave installed apps with no way to read segments at all.

use super::ApiCaller;
use super::conventions::{ListQuery, PageParams, path_id};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::segments as store;
use axum::Json;
use axum::extract::{Path, State};
use gist_types::{ApiErrorBody, Segment, SegmentResponse, SegmentsResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The segment routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_segments))
        .routes(routes!(find_segment))
}

/// Whether the query asks for counts: `include_count=true` (or `1`).
fn include_count(query: &ListQuery) -> Result<bool, ApiError> {
    match query.fields.non_empty("include_count") {
        None => Ok(false),
        Some(value) if value.eq_ignore_ascii_case("true") || value == "1" => Ok(true),
        Some(value) if value.eq_ignore_ascii_case("false") || value == "0" => Ok(false),
        Some(_) => Err(ApiError::BadRequest(
            "`include_count` must be `true` or `false`.".into(),
        )),
    }
}

fn to_segment(segment: store::Segment) -> Segment {
    Segment {
        id: segment.id,
        name: segment.name,
        created_at: segment.created_at,
        updated_at: segment.updated_at,
        count: segment.count,
    }
}

/// List the workspace's segments, oldest first.
#[utoipa::path(
    get,
    path = "/segments",
    tag = "segments",
    security(("bearer" = [])),
    params(
        PageParams,
        ("include_count" = Option<bool>, Query, description = "`true` adds each segment's number of contacts as `count`"),
    ),
    responses(
        (status = 200, description = "A page of segments (API key, or scope `read_bulk_contacts`)", body = SegmentsResponse),
        (status = 400, description = "A bad query parameter", body = ApiErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ApiErrorBody),
        (status = 403, description = "The token lacks `read_bulk_contacts`", body = ApiErrorBody),
    )
)]
pub async fn list_segments(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<SegmentsResponse>, ApiError> {
    caller.require(Scope::ReadBulkContacts)?;
    let include_count = include_count(&query)?;
    let (segments, total) = store::list_segments(
        &state.db,
        caller.workspace_id,
        include_count,
        query.offset(),
        query.per_page,
    )
    .await?;
    Ok(Json(SegmentsResponse {
        segments: segments.into_iter().map(to_segment).collect(),
        pages: Some(query.pages(&state, "/segments", total)),
    }))
}

/// Fetch one segment.
#[utoipa::path(
    get,
    path = "/segments/{id}",
    tag = "segments",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Segment id"),
        ("include_count" = Option<bool>, Query, description = "`true` adds the segment's number of contacts as `count`"),
    ),
    responses(
        (status = 200, description = "The segment (API key, or scope `read_bulk_contacts`)", body = SegmentResponse),
        (status = 403, description = "The token lacks `read_bulk_contacts`", body = ApiErrorBody),
        (status = 404, description = "No such segment in this workspace", body = ApiErrorBody),
    )
)]
pub async fn find_segment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Json<SegmentResponse>, ApiError> {
    caller.require(Scope::ReadBulkContacts)?;
    let id = path_id(&id, "segment")?;
    let include_count = include_count(&query)?;
    let segment = store::find_segment(&state.db, caller.workspace_id, id, include_count)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No segment has the id {id}.")))?;
    Ok(Json(SegmentResponse {
        segment: to_segment(segment),
    }))
}
