//! Teammates: the members of the caller's workspace, as Gist's teammate objects.

use super::ApiCaller;
use super::conventions::path_id;
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::workspaces::{self, Member};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::{Teammate, TeammateResponse, TeammatesResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The teammate routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teammates))
        .routes(routes!(find_teammate))
}

fn to_teammate(member: Member, team_ids: Vec<i64>) -> Teammate {
    Teammate {
        id: member.id,
        name: member.name,
        email: member.email,
        avatar: None,
        agent_status: "away".to_owned(),
        last_active_on: None,
        away_mode_enabled: false,
        team_ids,
        has_inbox_seat: true,
        role: member.role,
    }
}

/// List the workspace's teammates.
#[utoipa::path(
    get,
    path = "/teammates",
    tag = "teammates",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every teammate (scope `read_teammates`)", body = TeammatesResponse),
        (status = 401, description = "Missing or invalid credentials", body = gist_types::ApiErrorBody),
        (status = 403, description = "The token lacks `read_teammates`", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_teammates(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<TeammatesResponse>, ApiError> {
    caller.require(Scope::ReadTeammates)?;
    let teammates = workspaces::list_teammates(&state.db, caller.workspace_id)
        .await?
        .into_iter()
        .map(|(member, team_ids)| to_teammate(member, team_ids))
        .collect();
    Ok(Json(TeammatesResponse { teammates }))
}

/// Fetch one teammate.
#[utoipa::path(
    get,
    path = "/teammates/{id}",
    tag = "teammates",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Teammate id")),
    responses(
        (status = 200, description = "The teammate (scope `read_teammates`)", body = TeammateResponse),
        (status = 404, description = "No such teammate in this workspace", body = gist_types::ApiErrorBody),
    )
)]
pub async fn find_teammate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<TeammateResponse>, ApiError> {
    caller.require(Scope::ReadTeammates)?;
    let id = path_id(&id, "teammate")?;
    let not_found = || ApiError::NotFound(format!("No teammate has the id {id}."));
    let (member, team_ids) = workspaces::list_teammates(&state.db, caller.workspace_id)
        .await?
        .into_iter()
        .find(|(member, _)| member.id == id)
        .ok_or_else(not_found)?;
    Ok(Json(TeammateResponse {
        teammate: to_teammate(member, team_ids),
    }))
}
