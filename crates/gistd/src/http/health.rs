//! Health checks for load balancers and supervisors: `/healthz` says the process is up,
//! `/readyz` says it can serve (database reachable, migrations current). Neither needs
//! credentials nor counts against a rate limit, and neither is logged per request: a load
//! balancer polls them every few seconds. Answers are never cached.

use super::AppState;
use crate::storage::NotReady;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `GET /healthz`: 200 whenever the process answers HTTP at all. It touches nothing
/// else, so a database outage does not make a supervisor restart healthy processes.
pub async fn show_health() -> Response {
    uncached(StatusCode::OK, json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when the database answers and every migration this binary knows
/// is applied; 503 with a reason otherwise, so the load balancer sends traffic elsewhere.
/// The reason names no host, user or driver message: those go to the log.
pub async fn show_readiness(State(state): State<AppState>) -> Response {
    match state.db.check_ready().await {
        Ok(()) => uncached(StatusCode::OK, json!({"status": "ready"})),
        Err(NotReady::Unreachable(error)) => {
            tracing::warn!(database = state.db.backend(), error = %error, "not ready: database unreachable");
            not_ready("database_unreachable", "The database does not answer.")
        }
        Err(NotReady::Migrations { missing }) => {
            tracing::warn!(?missing, "not ready: migrations not applied");
            not_ready(
                "migrations_pending",
                "The database lacks migrations this gistd needs; run `gistd migrate`.",
            )
        }
    }
}

fn not_ready(reason: &str, message: &str) -> Response {
    let body = json!({"status": "not_ready", "reason": reason, "message": message});
    uncached(StatusCode::SERVICE_UNAVAILABLE, body)
}

fn uncached(status: StatusCode, body: Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
