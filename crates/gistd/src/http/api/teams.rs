//! Teams (reference section 4.9): list and fetch, with the ids of their teammates.
//! Both need the `read_teams` scope. Teams are created and filled on the workspace
//! pages; the API only reads them, as Gist's does.

use super::ApiCaller;
use super::conventions::{ListQuery, PageParams, path_id};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::{Db, teams};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::ApiErrorBody;
use gist_types::teams::{Team, TeamResponse, TeamsResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The team routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams))
        .routes(routes!(find_team))
}

async fn to_team(db: &Db, workspace_id: i64, team: teams::Team) -> Result<Team, ApiError> {
    let teammate_ids = teams::list_team_teammate_ids(db, workspace_id, team.id).await?;
    Ok(Team {
        id: team.id,
        name: team.name,
        teammate_ids,
        created_at: team.created_at,
    })
}

/// List the workspace's teams, by name.
#[utoipa::path(
    get,
    path = "/teams",
    tag = "teams",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of teams (scope `read_teams`)", body = TeamsResponse),
        (status = 401, description = "Missing or invalid credentials", body = ApiErrorBody),
        (status = 403, description = "The token lacks `read_teams`", body = ApiErrorBody),
    )
)]
pub async fn list_teams(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<TeamsResponse>, ApiError> {
    caller.require(Scope::ReadTeams)?;
    let (page, total) = teams::list_teams(
        &state.db,
        caller.workspace_id,
        query.per_page,
        query.offset(),
    )
    .await?;
    let mut teams = Vec::with_capacity(page.len());
    for team in page {
        teams.push(to_team(&state.db, caller.workspace_id, team).await?);
    }
    Ok(Json(TeamsResponse {
        teams,
        pages: query.pages(&state, "/teams", total),
    }))
}

/// Fetch one team.
#[utoipa::path(
    get,
    path = "/teams/{id}",
    tag = "teams",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team (scope `read_teams`)", body = TeamResponse),
        (status = 403, description = "The token lacks `read_teams`", body = ApiErrorBody),
        (status = 404, description = "No such team in this workspace", body = ApiErrorBody),
    )
)]
pub async fn find_team(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<TeamResponse>, ApiError> {
    caller.require(Scope::ReadTeams)?;
    let id = path_id(&id, "team")?;
    let team = teams::find_team(&state.db, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No team has the id {id}.")))?;
    Ok(Json(TeamResponse {
        team: to_team(&state.db, caller.workspace_id, team).await?,
    }))
}
