//! Workspace pages: creation, members, the API key and connected apps.

use super::{Nav, format_date, render, render_with_status};
use crate::domain::scope::ScopeSet;
use crate::http::error::PageError;
use crate::http::forms::Fields;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::service;
use crate::storage::workspaces::{Member, Workspace};
use crate::storage::{apps, grants, workspaces};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "workspace_new.html")]
struct NewWorkspacePage {
    nav: Nav,
    name: String,
    slug: String,
    error: Option<String>,
}

/// `GET /workspaces/new`.
pub async fn show_new_workspace(user: CurrentUser) -> Result<Response, PageError> {
    render(&NewWorkspacePage {
        nav: Nav::of(&user),
        name: String::new(),
        slug: String::new(),
        error: None,
    })
}

/// `POST /workspaces`.
pub async fn create_workspace(
    State(state): State<AppState>,
    user: CurrentUser,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let name = fields.get("name").unwrap_or("").to_owned();
    let slug = fields.get("slug").unwrap_or("").to_owned();
    match service::create_workspace(&state.db, state.now(), user.user.id, &name, Some(&slug)).await
    {
        Ok(workspace) => {
            tracing::info!(
                workspace.id = workspace.id,
                user.id = user.user.id,
                "workspace created"
            );
            Ok(Redirect::to(&format!("/workspaces/{}", workspace.slug)).into_response())
        }
        Err(error) => match error.user_message() {
            Some(message) => render_with_status(
                StatusCode::BAD_REQUEST,
                &NewWorkspacePage {
                    nav: Nav::of(&user),
                    name,
                    slug,
                    error: Some(message),
                },
            ),
            None => Err(error.into()),
        },
    }
}

/// A workspace the current user belongs to, with their role.
pub(super) struct Membership {
    pub(super) workspace: Workspace,
    pub(super) role: String,
}

impl Membership {
    pub(super) fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }

    pub(super) fn require_admin(&self) -> Result<(), PageError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "Only the workspace's owner and admins can do this.".into(),
            ))
        }
    }
}

/// Loads `slug` if the user belongs to it. Other workspaces are "not found", so their
/// existence does not leak.
pub(super) async fn load_membership(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
) -> Result<Membership, PageError> {
    let workspace = workspaces::find_workspace_by_slug(&state.db, slug)
        .await?
        .ok_or(PageError::NotFound)?;
    let role = workspaces::find_role(&state.db, workspace.id, user.user.id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(Membership { workspace, role })
}

struct MemberRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    joined: String,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    nav: Nav,
    workspace: Workspace,
    is_admin: bool,
    members: Vec<MemberRow>,
    error: Option<String>,
}

async fn workspace_page(
    state: &AppState,
    user: &CurrentUser,
    membership: Membership,
    error: Option<String>,
) -> Result<WorkspacePage, PageError> {
    let members = workspaces::list_members(&state.db, membership.workspace.id).await?;
    let members = members
        .into_iter()
        .map(
            |Member {
                 id,
                 name,
                 email,
                 role,
                 created_at,
                 ..
             }| MemberRow {
                id,
                name,
                email,
                role,
                joined: format_date(created_at),
            },
        )
        .collect();
    Ok(WorkspacePage {
        nav: Nav::of(user),
        is_admin: membership.is_admin(),
        workspace: membership.workspace,
        members,
        error,
    })
}

/// `GET /workspaces/{slug}`: members.
pub async fn show_workspace(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    render(&workspace_page(&state, &user, membership, None).await?)
}

/// `POST /workspaces/{slug}/members`: adds an existing account as admin or member.
pub async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let membership = load_membership(&state, &user, &slug).await?;
    membership.require_admin()?;
    let role = match fields.get("role") {
        Some(role @ ("admin" | "member")) => role,
        _ => {
            return Err(PageError::BadRequest(
                "Choose the role admin or member.".into(),
            ));
        }
    };
    let outcome = async {
        let member = service::require_user(&state.db, fields.get("email").unwrap_or("")).await?;
        workspaces::insert_member(
            &state.db,
            membership.workspace.id,
            member.id,
            role,
            state.now(),
        )
        .await?;
        Ok::<_, service::ServiceError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/workspaces/{slug}")).into_response()),
        Err(error) => match error.user_message() {
            Some(message) => {
                let page = workspace_page(&state, &user, membership, Some(message)).await?;
                render_with_status(StatusCode::BAD_REQUEST, &page)
            }
            None => Err(error.into()),
        },
    }
}

/// `POST /workspaces/{slug}/members/{member_id}/remove`: removes a member other than
/// the owner.
pub async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, member_id)): Path<(String, i64)>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let membership = load_membership(&state, &user, &slug).await?;
    membership.require_admin()?;
    if !workspaces::delete_member(&state.db, membership.workspace.id, member_id).await? {
        return Err(PageError::BadRequest(
            "That member does not exist or is the owner.".into(),
        ));
    }
    Ok(Redirect::to(&format!("/workspaces/{slug}")).into_response())
}

struct ConnectedAppRow {
    client_id: String,
    name: String,
    scopes: Vec<&'static str>,
    granted: String,
}

#[derive(Template)]
#[template(path = "workspace_settings.html")]
struct SettingsPage {
    nav: Nav,
    workspace: Workspace,
    api_key_hint: Option<String>,
    api_key_created: Option<String>,
    new_api_key: Option<String>,
    connected_apps: Vec<ConnectedAppRow>,
    notice: Option<String>,
}

async fn settings_page(
    state: &AppState,
    user: &CurrentUser,
    workspace: Workspace,
    new_api_key: Option<String>,
    notice: Option<String>,
) -> Result<SettingsPage, PageError> {
    let key = workspaces::find_api_key_hint(&state.db, workspace.id).await?;
    let connected = grants::list_connected_apps(&state.db, workspace.id).await?;
    let connected_apps = connected
        .into_iter()
        .map(|app| ConnectedAppRow {
            client_id: app.client_id,
            name: app.name,
            scopes: ScopeSet::from_stored(&app.scope)
                .iter()
                .map(|scope| scope.slug())
                .collect(),
            granted: format_date(app.granted_at),
        })
        .collect();
    Ok(SettingsPage {
        nav: Nav::of(user),
        api_key_hint: key.as_ref().map(|(hint, _)| hint.clone()),
        api_key_created: key.map(|(_, created)| format_date(created)),
        workspace,
        new_api_key,
        connected_apps,
        notice,
    })
}

/// `GET /workspaces/{slug}/settings`: the API key and connected apps (admins only).
pub async fn show_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    membership.require_admin()?;
    render(&settings_page(&state, &user, membership.workspace, None, None).await?)
}

/// `POST /workspaces/{slug}/api-key`: creates or regenerates the key and shows it once.
pub async fn regenerate_api_key(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let membership = load_membership(&state, &user, &slug).await?;
    membership.require_admin()?;
    let key = service::regenerate_api_key(&state.db, state.now(), membership.workspace.id).await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        user.id = user.user.id,
        "API key regenerated"
    );
    let page = settings_page(
        &state,
        &user,
        membership.workspace,
        Some(key.expose().to_owned()),
        None,
    )
    .await?;
    render(&page)
}

/// `POST /workspaces/{slug}/connected-apps/{client_id}/revoke`: disconnects an app; its
/// tokens stop working at once.
pub async fn disconnect_app(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, client_id)): Path<(String, String)>,
    fields: Fields,
) -> Result<Response, PageError> {
    user.check_csrf(&fields)?;
    let membership = load_membership(&state, &user, &slug).await?;
    membership.require_admin()?;
    let app = apps::find_app_by_client_id(&state.db, &client_id)
        .await?
        .ok_or(PageError::NotFound)?;
    grants::disconnect_app(&state.db, app.id, membership.workspace.id, state.now()).await?;
    tracing::info!(workspace.id = membership.workspace.id, client.id = %app.client_id, "app disconnected");
    let notice = format!("{} no longer has access to this workspace.", app.name);
    render(&settings_page(&state, &user, membership.workspace, None, Some(notice)).await?)
}
