//! The HTTP layer: one router listing every route, grouped by audience, and the
//! middleware every response passes through.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::time::Instant;

pub mod api;
pub mod error;
pub mod forms;
pub mod health;
pub mod listener;
pub mod oauth;
pub mod pages;
pub mod session;
pub mod state;

pub use state::AppState;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let oauth = Router::new()
        .route(
            "/oauth/authorize",
            get(oauth::authorize::show_consent).post(oauth::authorize::decide_consent),
        )
        .route("/oauth/token", post(oauth::token::issue_token))
        .route("/oauth2/token", post(oauth::token::issue_token))
        .route("/oauth/revoke", post(oauth::revoke::revoke_token))
        .route(
            "/oauth/introspect",
            post(oauth::introspect::introspect_token),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata::show_metadata),
        );

    let pages = Router::new()
        .route("/", get(pages::account::show_home))
        .route(
            "/signup",
            get(pages::account::show_signup).post(pages::account::create_account),
        )
        .route(
            "/login",
            get(pages::account::show_login).post(pages::account::create_session),
        )
        .route("/logout", post(pages::account::delete_session))
        .route(
            "/workspaces/new",
            get(pages::workspaces::show_new_workspace),
        )
        .route("/workspaces", post(pages::workspaces::create_workspace))
        .route("/workspaces/{slug}", get(pages::workspaces::show_workspace))
        .route(
            "/workspaces/{slug}/members",
            post(pages::workspaces::add_member),
        )
        .route(
            "/workspaces/{slug}/members/{member_id}/remove",
            post(pages::workspaces::remove_member),
        )
        .route(
            "/workspaces/{slug}/settings",
            get(pages::workspaces::show_settings),
        )
        .route(
            "/workspaces/{slug}/api-key",
            post(pages::workspaces::regenerate_api_key),
        )
        .route(
            "/workspaces/{slug}/connected-apps/{client_id}/revoke",
            post(pages::workspaces::disconnect_app),
        )
        .merge(pages::workspace_data::routes())
        .route("/developer", get(pages::developer::list_apps))
        .route("/developer/apps", post(pages::developer::create_app))
        .route(
            "/developer/apps/{client_id}",
            get(pages::developer::show_app).post(pages::developer::update_app),
        )
        .route(
            "/developer/apps/{client_id}/secret",
            post(pages::developer::rotate_secret),
        )
        .route("/static/style.css", get(pages::show_stylesheet));

    let (api, document) = api::routes().merge(api::docs::routes()).split_for_parts();
    // Unknown API paths and methods answer in the API's error format, not with HTML.
    let api = api
        .fallback(api::unknown_endpoint)
        .method_not_allowed_fallback(api::method_not_allowed);
    let api = Router::new()
        .nest("/api", api)
        .layer(axum::Extension(api::docs::ApiDocument(
            std::sync::Arc::new(document),
        )))
        .layer(middleware::from_fn(api::add_rate_limit_headers));

    // Operations: for load balancers and supervisors. Merged after the request log so
    // that polling every few seconds does not flood it; no auth, no rate limit.
    let operations = Router::new()
        .route("/healthz", get(health::show_health))
        .route("/readyz", get(health::show_readiness));

    Router::new()
        .merge(oauth)
        .merge(pages)
        .merge(api)
        .route_layer(middleware::from_fn(log_request))
        .merge(operations)
        .fallback(pages::show_not_found)
        .layer(DefaultBodyLimit::max(crate::config::MAX_BODY_BYTES))
        .layer(middleware::from_fn(set_security_headers))
        .with_state(state)
}

/// Logs one line per request with the route template (never the raw path or query,
/// which can carry codes, tokens and email addresses), the status and the duration.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if response.status().is_server_error() {
        tracing::warn!(http.method = %method, http.route = %route, http.status = status, duration_ms, "request failed");
    } else {
        tracing::info!(http.method = %method, http.route = %route, http.status = status, duration_ms, "request");
    }
    response
}

/// Headers on every response. Pages cannot be framed (clickjacking of the consent
/// page), run no script, and send no referrer (authorization URLs carry `state`).
/// There is deliberately no CSP `form-action`: browsers apply it to the redirect that
/// follows the consent form, which goes to the app's own redirect URI.
async fn set_security_headers(request: Request, next: Next) -> impl IntoResponse {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}
