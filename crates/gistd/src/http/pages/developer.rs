//! The developer hub: registering apps, their redirect URLs, scopes and secret.

use super::{Nav, format_date, render, render_with_status};
use crate::domain::scope::{Scope, ScopeSet};
use crate::http::error::PageError;
use crate::http::forms::Fields;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::service::{self, ServiceError};
use crate::storage::apps::{self, App};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

struct AppRow {
    client_id: String,
    name: String,
    created: String,
}

#[derive(Template)]
#[template(path = "developer.html")]
struct DeveloperPage {
    nav: Nav,
    apps: Vec<AppRow>,
    name: String,
    description: String,
    error: Option<String>,
}

async fn developer_page(
    state: &AppState,
    user: &CurrentUser,
    name: String,
    description: String,
    error: Option<String>,
) -> Result<DeveloperPage, PageError> {
    let apps = apps::list_apps_of_owner(&state.db, user.user.id)
        .await?
        .into_iter()
        .map(|app| AppRow {
            client_id: app.client_id,
            name: app.name,
            created: format_date(app.created_at),
        })
        .collect();
    Ok(DeveloperPage {
        nav: Nav::of(user),
        apps,
        name,
        description,
        error,
    })
}

/// `GET /developer`: the user's apps and the form that creates one.
pub async fn list_apps(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    render(&developer_page(&state, &user, String::new(), String::new(), None).await?)
}

/// `POST /developer/apps`: registers an app and shows its secret once.
pub async fn create_app(
    State(state): State<AppState>,
    user: CurrentUser,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let name = fields.get("name").unwrap_or("").to_owned();
    let description = fields.get("description").unwrap_or("").to_owned();
    let created = service::create_app(
        &state.db,
        state.now(),
        user.user.id,
        &name,
        &description,
        &[],
        &ScopeSet::default(),
    )
    .await;
    match created {
        Ok((app, secret)) => {
            tracing::info!(client.id = %app.client_id, user.id = user.user.id, "app registered");
            let notice = "App created. Add its redirect URLs and scopes below.".to_owned();
            render(&app_page(
                &user,
                app,
                Some(secret.expose().to_owned()),
                Some(notice),
                None,
            ))
        }
        Err(error) => match error.user_message() {
            Some(message) => {
                let page = developer_page(&state, &user, name, description, Some(message)).await?;
                render_with_status(StatusCode::BAD_REQUEST, &page)
            }
            None => Err(error.into()),
        },
    }
}

struct ScopeChoice {
    slug: &'static str,
    description: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    nav: Nav,
    app: App,
    redirect_uris: String,
    scopes: Vec<ScopeChoice>,
    new_secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

fn app_page(
    user: &CurrentUser,
    app: App,
    new_secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> AppPage {
    let ticked = ScopeSet::from_stored(&app.scopes);
    let scopes = Scope::ALL
        .into_iter()
        .map(|scope| ScopeChoice {
            slug: scope.slug(),
            description: scope.description(),
            checked: ticked.contains(scope),
        })
        .collect();
    AppPage {
        nav: Nav::of(user),
        redirect_uris: app.redirect_uri_list().collect::<Vec<_>>().join("\n"),
        app,
        scopes,
        new_secret,
        notice,
        error,
    }
}

/// Loads an app the current user owns; anyone else's is "not found".
async fn load_own_app(
    state: &AppState,
    user: &CurrentUser,
    client_id: &str,
) -> Result<App, PageError> {
    apps::find_app_by_client_id(&state.db, client_id)
        .await?
        .filter(|app| app.owner_user_id == user.user.id)
        .ok_or(PageError::NotFound)
}

/// `GET /developer/apps/{client_id}`: the app's Authentication tab.
pub async fn show_app(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let app = load_own_app(&state, &user, &client_id).await?;
    render(&app_page(&user, app, None, None, None))
}

/// `POST /developer/apps/{client_id}`: saves name, description, redirect URLs and scopes.
pub async fn update_app(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(client_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let app = load_own_app(&state, &user, &client_id).await?;
    let name = fields.get("name").unwrap_or("");
    let description = fields.get("description").unwrap_or("");
    let redirect_text = fields.get("redirect_uris").unwrap_or("");
    let scope_text = fields.all("scopes").collect::<Vec<_>>().join(" ");

    let validated = (|| {
        let name = crate::domain::names::parse_display_name(name, "App name")
            .map_err(ServiceError::Invalid)?;
        let description =
            crate::domain::names::parse_description(description).map_err(ServiceError::Invalid)?;
        let uris = service::parse_redirect_uris([redirect_text])?;
        let scopes = service::parse_app_scopes(&scope_text)?;
        Ok::<_, ServiceError>((name, description, uris, scopes))
    })();

    match validated {
        Ok((name, description, uris, scopes)) => {
            let uris = uris.join("\n");
            let scopes = scopes.to_string();
            apps::update_app_settings(
                &state.db,
                app.id,
                &name,
                &description,
                &uris,
                &scopes,
                state.now(),
            )
            .await?;
            tracing::info!(client.id = %app.client_id, "app settings saved");
            let app = load_own_app(&state, &user, &client_id).await?;
            render(&app_page(&user, app, None, Some("Saved.".into()), None))
        }
        Err(error) => {
            let mut page = app_page(&user, app, None, None, error.user_message());
            // Keep what the person typed so they can fix it.
            page.redirect_uris = redirect_text.to_owned();
            render_with_status(StatusCode::BAD_REQUEST, &page)
        }
    }
}

/// `POST /developer/apps/{client_id}/secret`: replaces the client secret and shows the
/// new one once. The old secret stops working at once; issued tokens keep working.
pub async fn rotate_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(client_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let app = load_own_app(&state, &user, &client_id).await?;
    let secret = service::rotate_app_secret(&state.db, state.now(), app.id).await?;
    tracing::info!(client.id = %app.client_id, "client secret rotated");
    let app = load_own_app(&state, &user, &client_id).await?;
    let notice = "A new secret was generated. The old one no longer works.".to_owned();
    render(&app_page(
        &user,
        app,
        Some(secret.expose().to_owned()),
        Some(notice),
        None,
    ))
}
