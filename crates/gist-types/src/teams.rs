//! Teams: named groups of teammates that conversations can be assigned to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A team of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    /// The team's id.
    pub id: i64,
    /// The team's name, unique in its workspace.
    pub name: String,
    /// Ids of the teammates in the team.
    pub teammate_ids: Vec<i64>,
    /// When the team was created, Unix seconds.
    pub created_at: i64,
}

/// `{"team": {...}}`: one team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamResponse {
    /// The team.
    pub team: Team,
}

/// `GET /teams`: one page of teams, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamsResponse {
    /// The teams of this page.
    pub teams: Vec<Team>,
    /// Links to the first, next and last pages, and the total count.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}
