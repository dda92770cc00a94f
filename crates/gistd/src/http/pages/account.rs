//! Sign-up, log-in, log-out and the home page.

use super::{Nav, render, render_with_status};
use crate::domain::names;
use crate::domain::password;
use crate::domain::secret::{Secret, SecretHash};
use crate::http::error::PageError;
use crate::http::forms::Fields;
use crate::http::session::{self, CurrentUser, MaybeUser};
use crate::http::state::AppState;
use crate::service::{self, ServiceError};
use crate::storage::workspaces::WorkspaceWithRole;
use crate::storage::{accounts, apps, workspaces};
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    workspaces: Vec<WorkspaceWithRole>,
    app_count: usize,
}

/// `GET /`: the dashboard, or a welcome page for visitors.
pub async fn show_home(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    let Some(user) = user else {
        return render(&HomePage {
            nav: Nav::anonymous(),
            workspaces: Vec::new(),
            app_count: 0,
        });
    };
    let workspaces = workspaces::list_workspaces_of_user(&state.db, user.user.id).await?;
    let app_count = apps::list_apps_of_owner(&state.db, user.user.id)
        .await?
        .len();
    render(&HomePage {
        nav: Nav::of(&user),
        workspaces,
        app_count,
    })
}

/// The `next` query parameter of the log-in and sign-up pages.
#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    nav: Nav,
    csrf: String,
    next: String,
    email: String,
    name: String,
    error: Option<String>,
    min_password: usize,
}

fn with_cookie(
    response: Result<Response, PageError>,
    cookie: Option<axum::http::HeaderValue>,
) -> Response {
    let mut response = response.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /login`.
pub async fn show_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    let (csrf, cookie) = session::anonymous_csrf(&state, &headers);
    let next = session::safe_next(query.next.as_deref());
    let page = LoginPage {
        nav: Nav::anonymous(),
        csrf,
        next,
        email: String::new(),
        error: None,
    };
    with_cookie(render(&page), cookie)
}

/// `POST /login`: checks the password, throttling failures per account and per client
/// address, then starts a session.
pub async fn create_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    session::check_anonymous_csrf(&state, &headers, &fields)?;
    let (csrf, _) = session::anonymous_csrf(&state, &headers);
    let next = session::safe_next(fields.get("next"));
    let typed_email = fields.get("email").unwrap_or("").trim().to_owned();
    let password = Secret::new(fields.get("password").unwrap_or(""));
    let login_page = |error: String| LoginPage {
        nav: Nav::anonymous(),
        csrf: csrf.clone(),
        next: next.clone(),
        email: typed_email.clone(),
        error: Some(error),
    };

    let email = names::parse_email(&typed_email).unwrap_or_default();
    // The account key is a hash, so the throttle table holds no email addresses.
    let account_key = format!("account:{}", SecretHash::of(&email).as_str());
    let address_key = format!("address:{}", peer.ip());
    let settings = &state.settings;
    let window = settings.login_throttle_window_seconds;
    let now = state.now();

    for (key, limit, whose) in [
        (
            &account_key,
            settings.login_failures_per_account,
            "this account",
        ),
        (
            &address_key,
            settings.login_failures_per_address,
            "your network address",
        ),
    ] {
        if let Some((failures, started)) =
            accounts::find_login_failures(&state.db, key, now, window).await?
            && failures >= limit
        {
            let minutes = ((started + window - now).max(60) + 59) / 60;
            let throttle = if key == &account_key {
                "account"
            } else {
                "address"
            };
            tracing::warn!(throttle, "log-in throttled");
            let message = format!(
                "Too many failed log-in attempts for {whose}. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            return render_with_status(StatusCode::TOO_MANY_REQUESTS, &login_page(message));
        }
    }

    let user = accounts::find_user_by_email(&state.db, &email).await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || {
        password::verify_password(stored_hash.as_deref(), &password)
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))?;

    let Some(user) = user.filter(|_| verified) else {
        accounts::record_login_failure(&state.db, &account_key, now, window).await?;
        accounts::record_login_failure(&state.db, &address_key, now, window).await?;
        tracing::info!("log-in failed");
        let message = "The email address or password is incorrect.".to_owned();
        return render_with_status(StatusCode::UNAUTHORIZED, &login_page(message));
    };

    accounts::clear_login_failures(&state.db, &account_key).await?;
    tracing::info!(user.id = user.id, "logged in");
    logged_in_redirect(&state, user.id, &next).await
}

/// Starts a session for `user_id` and redirects to `next`. The response carries the
/// session cookie, so no cache may keep it.
async fn logged_in_redirect(
    state: &AppState,
    user_id: i64,
    next: &str,
) -> Result<Response, PageError> {
    let cookie = session::start_session(state, user_id).await?;
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie);
    headers.insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /signup`.
pub async fn show_signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    let (csrf, cookie) = session::anonymous_csrf(&state, &headers);
    let page = SignupPage {
        nav: Nav::anonymous(),
        csrf,
        next: session::safe_next(query.next.as_deref()),
        email: String::new(),
        name: String::new(),
        error: None,
        min_password: password::MIN_PASSWORD_LENGTH,
    };
    with_cookie(render(&page), cookie)
}

/// `POST /signup`: creates an account and logs it in.
pub async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    session::check_anonymous_csrf(&state, &headers, &fields)?;
    let (csrf, _) = session::anonymous_csrf(&state, &headers);
    let next = session::safe_next(fields.get("next"));
    let email = fields.get("email").unwrap_or("").trim().to_owned();
    let name = fields.get("name").unwrap_or("").trim().to_owned();
    let password = Secret::new(fields.get("password").unwrap_or(""));

    match service::create_user(&state.db, state.now(), &email, &name, password).await {
        Ok(user_id) => {
            tracing::info!(user.id = user_id, "account created");
            logged_in_redirect(&state, user_id, &next).await
        }
        Err(
            error @ (ServiceError::Invalid(_)
            | ServiceError::Storage(crate::storage::StorageError::Conflict(_))),
        ) => {
            let page = SignupPage {
                nav: Nav::anonymous(),
                csrf,
                next,
                email,
                name,
                error: error.user_message(),
                min_password: password::MIN_PASSWORD_LENGTH,
            };
            render_with_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /logout`.
pub async fn delete_session(
    State(state): State<AppState>,
    user: CurrentUser,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    user.end(&state).await?;
    let mut response = Redirect::to("/").into_response();
    let cookie = session::cookie_header(&state, session::session_cookie(&state), "", 0);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
