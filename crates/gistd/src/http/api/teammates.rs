//! Teammates: the members of the caller's workspace, as Gist's teammate objects.

use super::ApiCaller;
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::workspaces;
use axum::Json;
use axum::extract::State;
use gist_types::{Teammate, TeammatesResponse};

/// `GET /api/teammates` (scope `read_teammates`).
pub async fn list_teammates(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<TeammatesResponse>, ApiError> {
    caller.require(Scope::ReadTeammates)?;
    let members = workspaces::list_members(&state.db, caller.workspace_id).await?;
    let teammates = members
        .into_iter()
        .map(|member| Teammate {
            id: member.id,
            name: member.name,
            email: member.email,
            avatar: None,
            agent_status: "away".to_owned(),
            last_active_on: None,
            away_mode_enabled: false,
            team_ids: Vec::new(),
            has_inbox_seat: true,
            role: member.role,
        })
        .collect();
    Ok(Json(TeammatesResponse { teammates }))
}
