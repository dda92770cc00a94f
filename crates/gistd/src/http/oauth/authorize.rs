//! The authorization endpoint and consent page (RFC 6749 section 4.1.1 and 4.1.2).
//!
//! Order of checks matters. Problems with the client or the redirect URI are shown on
//! an error page and never redirected, since the redirect target is not trusted yet
//! (RFC 6749 section 4.1.2.1). Every later problem is sent back to the client's redirect
//! URI with `error`, the unchanged `state`, and `iss` (RFC 9207), so a client can tell
//! which server answered.

use crate::config::{CODE_TTL, MAX_STATE_LENGTH};
use crate::domain::pkce::CodeChallenge;
use crate::domain::redirect_uri;
use crate::domain::scope::ScopeSet;
use crate::domain::secret::{Secret, SecretKind};
use crate::http::error::PageError;
use crate::http::forms::Fields;
use crate::http::pages::{Nav, render};
use crate::http::session::{CurrentUser, MaybeUser};
use crate::http::state::AppState;
use crate::storage::apps::{self, App};
use crate::storage::grants::{self, CodeRecord, NewCode};
use crate::storage::workspaces::{self, Workspace};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Why an authorization request stopped.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown as a page: the client or redirect URI cannot be trusted with a redirect.
    Page(PageError),
    /// Sent back to the client.
    Redirect(Box<ErrorRedirect>),
}

/// An error to send back to the client's redirect URI.
#[derive(Debug)]
pub struct ErrorRedirect {
    redirect_uri: String,
    error: &'static str,
    description: String,
    state: Option<String>,
    issuer: String,
    status: StatusCode,
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::Page(error) => error.into_response(),
            AuthorizeError::Redirect(redirect) => {
                let mut params = vec![
                    ("error", redirect.error),
                    ("error_description", redirect.description.as_str()),
                ];
                if let Some(state) = &redirect.state {
                    params.push(("state", state));
                }
                params.push(("iss", &redirect.issuer));
                let location = redirect_uri::with_query_params(&redirect.redirect_uri, &params);
                redirect_to(redirect.status, &location)
            }
        }
    }
}

impl From<PageError> for AuthorizeError {
    fn from(error: PageError) -> Self {
        AuthorizeError::Page(error)
    }
}

impl From<crate::storage::StorageError> for AuthorizeError {
    fn from(error: crate::storage::StorageError) -> Self {
        AuthorizeError::Page(error.into())
    }
}

fn redirect_to(status: StatusCode, location: &str) -> Response {
    (
        status,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store"),
        ],
    )
        .into_response()
}

/// A validated authorization request.
#[derive(Debug)]
pub struct AuthorizationRequest {
    app: App,
    redirect_uri: String,
    scope: ScopeSet,
    state: Option<String>,
    challenge: Option<CodeChallenge>,
    prompt: Option<String>,
    issuer: String,
}

impl AuthorizationRequest {
    fn error(
        &self,
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> AuthorizeError {
        AuthorizeError::Redirect(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.into(),
            state: self.state.clone(),
            issuer: self.issuer.clone(),
            status,
        }))
    }

    /// Validates the request's parameters (see the module docs for the order).
    async fn from_fields(
        state: &AppState,
        fields: &Fields,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let page = |message: &str| AuthorizeError::Page(PageError::BadRequest(message.to_owned()));

        if fields.len() > crate::http::forms::MAX_FIELDS {
            return Err(page("The authorization request has too many parameters."));
        }
        let repeated = fields.repeated();
        // Checked by name: `repeated()` names only the first repeated parameter, and a
        // repeated `scope` before two different client_ids must not earn a redirect.
        if ["client_id", "redirect_uri"]
            .into_iter()
            .any(|name| fields.all(name).nth(1).is_some())
        {
            return Err(page(
                "The authorization request repeats client_id or redirect_uri.",
            ));
        }
        let client_id = fields
            .non_empty("client_id")
            .ok_or_else(|| page("The authorization request has no client_id."))?;
        let app = apps::find_app_by_client_id(&state.db, client_id)
            .await?
            .ok_or_else(|| {
                page(
                    "No app is registered with this client_id. Check the app's Authentication tab.",
                )
            })?;
        let presented = fields
            .non_empty("redirect_uri")
            .ok_or_else(|| page("The authorization request has no redirect_uri."))?;
        if !app
            .redirect_uri_list()
            .any(|registered| redirect_uri::matches(registered, presented))
        {
            return Err(page(
                "This redirect_uri is not registered for the app. Its developer must add it, exactly, in the developer hub.",
            ));
        }
        let client_state = fields.non_empty("state").map(str::to_owned);
        if client_state
            .as_ref()
            .is_some_and(|s| s.len() > MAX_STATE_LENGTH)
        {
            return Err(page(&format!(
                "The state parameter is longer than {MAX_STATE_LENGTH} bytes."
            )));
        }

        let mut request = AuthorizationRequest {
            redirect_uri: presented.to_owned(),
            scope: ScopeSet::default(),
            state: client_state,
            challenge: None,
            prompt: fields.non_empty("prompt").map(str::to_owned),
            issuer: state.base_url.to_string(),
            app,
        };
        let refuse =
            |error, description: String| Err(request.error(StatusCode::FOUND, error, description));

        if let Some(name) = repeated {
            return refuse(
                "invalid_request",
                format!("The parameter `{name}` is repeated."),
            );
        }
        match fields.non_empty("response_type") {
            None | Some("code") => {}
            Some(_) => {
                return refuse(
                    "unsupported_response_type",
                    "Only response_type=code is supported.".into(),
                );
            }
        }

        let app_scopes = ScopeSet::from_stored(&request.app.scopes);
        let scope = match fields.non_empty("scope").map(ScopeSet::parse) {
            Some(Err(unknown)) => return refuse("invalid_scope", format!("{unknown}.")),
            Some(Ok(scope)) if !scope.is_empty() => scope,
            _ => app_scopes.clone(),
        };
        if scope.is_empty() {
            return refuse(
                "invalid_scope",
                "No scope was requested and the app has none ticked.".into(),
            );
        }
        if let Some(missing) = scope.iter().find(|wanted| !app_scopes.contains(*wanted)) {
            return refuse(
                "invalid_scope",
                format!("The app may not request `{missing}`; tick it in the developer hub first."),
            );
        }

        let method = fields.non_empty("code_challenge_method");
        let challenge = match fields.non_empty("code_challenge") {
            Some(challenge) => match CodeChallenge::parse(challenge, method) {
                Ok(challenge) => Some(challenge),
                Err(error) => return refuse("invalid_request", error.to_string()),
            },
            None if method.is_some() => {
                return refuse(
                    "invalid_request",
                    "code_challenge_method was sent without code_challenge.".into(),
                );
            }
            None => None,
        };

        request.scope = scope;
        request.challenge = challenge;
        Ok(request)
    }

    fn prompt_is(&self, value: &str) -> bool {
        self.prompt
            .as_deref()
            .is_some_and(|prompt| prompt.split(' ').any(|p| p == value))
    }
}

struct ScopeLine {
    slug: &'static str,
    description: &'static str,
}

struct WorkspaceChoice {
    slug: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    nav: Nav,
    csrf: String,
    user_email: String,
    app_name: String,
    app_description: String,
    client_id: String,
    redirect_host: String,
    scopes: Vec<ScopeLine>,
    workspaces: Vec<WorkspaceChoice>,
    authorization_request: String,
}

/// `GET /oauth/authorize`: validates the request, sends visitors to log in, skips consent
/// already given, and otherwise shows the consent page.
pub async fn show_consent(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    RawQuery(query): RawQuery,
) -> Result<Response, AuthorizeError> {
    let query = query.unwrap_or_default();
    let fields = Fields::parse(query.as_bytes());
    let request = AuthorizationRequest::from_fields(&state, &fields).await?;

    let Some(user) = user else {
        if request.prompt_is("none") {
            return Err(request.error(
                StatusCode::FOUND,
                "login_required",
                "The user is not logged in.",
            ));
        }
        let next = format!("/oauth/authorize?{query}");
        let login = form_urlencoded::Serializer::for_suffix(String::from("/login?"), 7)
            .append_pair("next", &next)
            .finish();
        return Ok(redirect_to(StatusCode::FOUND, &login));
    };

    let administered: Vec<_> = workspaces::list_workspaces_of_user(&state.db, user.user.id)
        .await?
        .into_iter()
        .filter(|workspace| workspace.role == "owner" || workspace.role == "admin")
        .collect();
    if administered.is_empty() {
        // prompt=none promises the client no page is shown; with no workspace to grant,
        // there can be no consent either.
        if request.prompt_is("none") {
            return Err(request.error(
                StatusCode::FOUND,
                "consent_required",
                "The user administers no workspace, so none can be connected.",
            ));
        }
        return Err(PageError::Forbidden(
            "Only a workspace's owner or admin can connect an app to it, and you administer no workspace. \
             Create one from the home page, then try again."
                .into(),
        )
        .into());
    }

    // Gist puts the workspace's identifier in `state`; when it names a workspace this user
    // administers, that workspace is the one to grant.
    let preselected = administered
        .iter()
        .find(|workspace| request.state.as_deref() == Some(workspace.slug.as_str()))
        .or(if administered.len() == 1 {
            administered.first()
        } else {
            None
        });

    if let Some(workspace) = preselected
        && !request.prompt_is("consent")
    {
        let granted =
            grants::find_consent(&state.db, request.app.id, workspace.id, user.user.id).await?;
        let covers =
            granted.is_some_and(|scope| request.scope.is_subset_of(&ScopeSet::from_stored(&scope)));
        if covers {
            let workspace = Workspace {
                id: workspace.id,
                slug: workspace.slug.clone(),
                name: workspace.name.clone(),
            };
            return issue_code(&state, &request, &user, &workspace, None, StatusCode::FOUND).await;
        }
    }
    if request.prompt_is("none") {
        return Err(request.error(
            StatusCode::FOUND,
            "consent_required",
            "The user has not granted these scopes yet.",
        ));
    }

    let selected_slug = preselected.map(|workspace| workspace.slug.clone());
    let page = ConsentPage {
        nav: Nav::of(&user),
        csrf: user.csrf.clone(),
        user_email: user.user.email.clone(),
        app_name: request.app.name.clone(),
        app_description: request.app.description.clone(),
        client_id: request.app.client_id.clone(),
        redirect_host: url::Url::parse(&request.redirect_uri)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default(),
        scopes: request
            .scope
            .iter()
            .map(|scope| ScopeLine {
                slug: scope.slug(),
                description: scope.description(),
            })
            .collect(),
        workspaces: administered
            .into_iter()
            .map(|workspace| WorkspaceChoice {
                selected: selected_slug.as_deref() == Some(workspace.slug.as_str()),
                slug: workspace.slug,
                name: workspace.name,
            })
            .collect(),
        authorization_request: URL_SAFE_NO_PAD.encode(query.as_bytes()),
    };
    Ok(render(&page)?)
}

/// `POST /oauth/authorize`: the consent form's Allow or Deny. The original request
/// travels in the form, encoded so that `state` comes back byte for byte, and is
/// validated again here.
pub async fn decide_consent(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Fields,
) -> Result<Response, AuthorizeError> {
    user.check_csrf(&form)?;
    let original = form
        .get("authorization_request")
        .and_then(|encoded| URL_SAFE_NO_PAD.decode(encoded).ok())
        .ok_or_else(|| {
            PageError::BadRequest(
                "The consent form is incomplete; start again from the app.".into(),
            )
        })?;
    let request = AuthorizationRequest::from_fields(&state, &Fields::parse(&original)).await?;

    if form.get("decision") != Some("allow") {
        tracing::info!(client.id = %request.app.client_id, user.id = user.user.id, "consent denied");
        return Err(request.error(
            StatusCode::SEE_OTHER,
            "access_denied",
            "The user denied access.",
        ));
    }

    let slug = form.get("workspace").unwrap_or("");
    let workspace = workspaces::find_workspace_by_slug(&state.db, slug)
        .await?
        .ok_or_else(|| PageError::BadRequest("Choose a workspace to connect.".into()))?;
    let role = workspaces::find_role(&state.db, workspace.id, user.user.id).await?;
    if !matches!(role.as_deref(), Some("owner" | "admin")) {
        return Err(PageError::Forbidden(
            "Only the workspace's owner or an admin can connect an app to it.".into(),
        )
        .into());
    }

    let previous =
        grants::find_consent(&state.db, request.app.id, workspace.id, user.user.id).await?;
    let consent = previous
        .map(|scope| ScopeSet::from_stored(&scope))
        .unwrap_or_default()
        .union(&request.scope);
    tracing::info!(client.id = %request.app.client_id, workspace.id = workspace.id, user.id = user.user.id, "consent given");
    issue_code(
        &state,
        &request,
        &user,
        &workspace,
        Some(consent),
        StatusCode::SEE_OTHER,
    )
    .await
}

/// Stores a new authorization code (with the consent, when one was just given) and
/// redirects to the client with it.
async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &CurrentUser,
    workspace: &Workspace,
    consent: Option<ScopeSet>,
    status: StatusCode,
) -> Result<Response, AuthorizeError> {
    let code = Secret::generate(SecretKind::AuthorizationCode);
    let code_hash = code.hash();
    let now = state.now();
    let new_code = NewCode {
        code_hash: code_hash.as_str().to_owned(),
        record: CodeRecord {
            app_id: request.app.id,
            workspace_id: workspace.id,
            user_id: user.user.id,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.to_string(),
            code_challenge: request.challenge.as_ref().map(|c| c.as_str().to_owned()),
            expires_at: now + CODE_TTL,
        },
    };
    match consent {
        Some(consent) => {
            grants::insert_consent_and_code(&state.db, &consent.to_string(), &new_code, now).await?
        }
        None => grants::insert_code(&state.db, &new_code, now).await?,
    }

    let mut params = vec![("code", code.expose())];
    if let Some(client_state) = &request.state {
        params.push(("state", client_state));
    }
    params.push(("iss", &state.base_url));
    Ok(redirect_to(
        status,
        &redirect_uri::with_query_params(&request.redirect_uri, &params),
    ))
}
