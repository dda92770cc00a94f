//! Operations shared by the web pages and the CLI: each validates its input with the
//! domain rules, then writes through storage. Keeping them here means a workspace made
//! with `gistd workspace create` obeys exactly the rules of one made in the browser.

use crate::domain::names;
use crate::domain::password;
use crate::domain::redirect_uri::RedirectUri;
use crate::domain::scope::ScopeSet;
use crate::domain::secret::{Secret, SecretKind};
use crate::storage::apps::{App, NewApp};
use crate::storage::workspaces::Workspace;
use crate::storage::{Db, StorageError, accounts, apps, workspaces};

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; the text says which, for the person who typed it.
    #[error("{0}")]
    Invalid(String),
    /// Something named in the input does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Storage failed or refused the write.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl ServiceError {
    /// The message to show a person, or `None` for internal failures that must only be
    /// logged.
    pub fn user_message(&self) -> Option<String> {
        match self {
            ServiceError::Invalid(message) | ServiceError::NotFound(message) => {
                Some(message.clone())
            }
            ServiceError::Storage(StorageError::Conflict(what)) => {
                Some(format!("{} already exists.", capitalise(what)))
            }
            _ => None,
        }
    }
}

/// `text` with its first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Hashes a password on a blocking thread.
pub async fn hash_password(password: Secret) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || password::hash_password(&password))
        .await
        .map_err(|e| ServiceError::Hashing(e.to_string()))?
        .map_err(|e| ServiceError::Hashing(e.to_string()))
}

/// Creates a user account.
pub async fn create_user(
    db: &Db,
    now: i64,
    email: &str,
    name: &str,
    password: Secret,
) -> Result<i64, ServiceError> {
    let email = names::parse_email(email).map_err(ServiceError::Invalid)?;
    let name = names::parse_display_name(name, "Name").map_err(ServiceError::Invalid)?;
    password::check_new_password(&password).map_err(ServiceError::Invalid)?;
    let hash = hash_password(password).await?;
    Ok(accounts::insert_user(db, &email, &name, &hash, now).await?)
}

/// Finds a user by email address, or explains that there is none.
pub async fn require_user(db: &Db, email: &str) -> Result<accounts::User, ServiceError> {
    let email = names::parse_email(email).map_err(ServiceError::Invalid)?;
    accounts::find_user_by_email(db, &email)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("No account has the email address {email}.")))
}

/// Creates a workspace owned by `owner_id`. Without a slug, one is made from the name.
pub async fn create_workspace(
    db: &Db,
    now: i64,
    owner_id: i64,
    name: &str,
    slug: Option<&str>,
) -> Result<Workspace, ServiceError> {
    let name = names::parse_display_name(name, "Workspace name").map_err(ServiceError::Invalid)?;
    let slug = match slug.map(str::trim).filter(|slug| !slug.is_empty()) {
        Some(slug) => names::parse_slug(slug).map_err(ServiceError::Invalid)?,
        None => names::slug_from_name(&name),
    };
    let id = workspaces::insert_workspace(db, &slug, &name, owner_id, now).await?;
    Ok(Workspace { id, slug, name })
}

/// Parses the redirect URIs an app is registered with: one per line or per item.
pub fn parse_redirect_uris<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, ServiceError> {
    let mut uris: Vec<String> = Vec::new();
    for value in values
        .into_iter()
        .flat_map(str::lines)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let uri = RedirectUri::parse(value).map_err(|e| ServiceError::Invalid(e.to_string()))?;
        if !uris.iter().any(|known| known == uri.as_str()) {
            uris.push(uri.as_str().to_owned());
        }
    }
    if uris.len() > 20 {
        return Err(ServiceError::Invalid(
            "An app can have at most 20 redirect URLs.".into(),
        ));
    }
    Ok(uris)
}

/// Parses the scopes an app may request.
pub fn parse_app_scopes(value: &str) -> Result<ScopeSet, ServiceError> {
    ScopeSet::parse(value).map_err(|e| ServiceError::Invalid(format!("{e}.")))
}

/// Registers an app and returns it with its first client secret, which is shown once.
pub async fn create_app(
    db: &Db,
    now: i64,
    owner_id: i64,
    name: &str,
    description: &str,
    redirect_uris: &[String],
    scopes: &ScopeSet,
) -> Result<(App, Secret), ServiceError> {
    let name = names::parse_display_name(name, "App name").map_err(ServiceError::Invalid)?;
    let description = names::parse_description(description).map_err(ServiceError::Invalid)?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = Secret::generate(SecretKind::ClientSecret);
    let secret_hash = secret.hash();
    let new_app = NewApp {
        client_id: &client_id,
        owner_user_id: owner_id,
        name: &name,
        description: &description,
        secret_hash: secret_hash.as_str(),
        secret_hint: &secret.hint(),
        redirect_uris: &redirect_uris.join("\n"),
        scopes: &scopes.to_string(),
    };
    apps::insert_app(db, &new_app, now).await?;
    let app = apps::find_app_by_client_id(db, &client_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound("The new app vanished.".into()))?;
    Ok((app, secret))
}

/// Gives an app a new client secret; the old one stops working at once.
pub async fn rotate_app_secret(db: &Db, now: i64, app_id: i64) -> Result<Secret, ServiceError> {
    let secret = Secret::generate(SecretKind::ClientSecret);
    apps::update_app_secret(db, app_id, secret.hash().as_str(), &secret.hint(), now).await?;
    Ok(secret)
}

/// Creates or regenerates a workspace's API key; the previous key stops working at once.
pub async fn regenerate_api_key(
    db: &Db,
    now: i64,
    workspace_id: i64,
) -> Result<Secret, ServiceError> {
    let key = Secret::generate(SecretKind::ApiKey);
    workspaces::upsert_api_key(db, workspace_id, key.hash().as_str(), &key.hint(), now).await?;
    Ok(key)
}

/// What `--demo` prints so a person can try the flow.
#[derive(Debug)]
pub struct DemoCredentials {
    /// The demo user's email address.
    pub email: String,
    /// The demo user's password, fresh at every start.
    pub password: Secret,
    /// The demo workspace's slug.
    pub workspace_slug: String,
    /// The demo app's client id.
    pub client_id: String,
    /// The demo app's client secret, fresh at every start.
    pub client_secret: Secret,
    /// The demo app's redirect URI.
    pub redirect_uri: String,
}

/// The demo user's email address.
pub const DEMO_EMAIL: &str = "demo@gistd.test";
/// The demo workspace's slug.
pub const DEMO_WORKSPACE: &str = "demo";
/// The demo app's redirect URI: the quick-start app's callback.
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:3000/oauth/gist/callback";
/// The demo app's name, shown on the consent page.
pub const DEMO_APP_NAME: &str = "Quick-start demo app";

/// Seeds, once, a demo user, workspace (with a few teammates) and app. At every call the
/// demo user's password and the demo app's secret are replaced by fresh random values,
/// because only their hashes are stored and the operator needs to see them.
pub async fn seed_demo(db: &Db, now: i64) -> Result<DemoCredentials, ServiceError> {
    let password = Secret::new(Secret::generate(SecretKind::Csrf).expose()[4..20].to_owned());
    let user_id = match accounts::find_user_by_email(db, DEMO_EMAIL).await? {
        Some(user) => {
            let hash = hash_password(password.clone()).await?;
            accounts::update_password(db, user.id, &hash).await?;
            user.id
        }
        None => create_user(db, now, DEMO_EMAIL, "Demo Admin", password.clone()).await?,
    };

    let workspace = match workspaces::find_workspace_by_slug(db, DEMO_WORKSPACE).await? {
        Some(workspace) => workspace,
        None => {
            let workspace =
                create_workspace(db, now, user_id, "Demo Workspace", Some(DEMO_WORKSPACE)).await?;
            for (email, name, role) in [
                ("grace@gistd.test", "Grace Hopper", "admin"),
                ("alan@gistd.test", "Alan Turing", "member"),
            ] {
                let unusable = Secret::generate(SecretKind::Csrf);
                let teammate = match accounts::find_user_by_email(db, email).await? {
                    Some(user) => user.id,
                    None => create_user(db, now, email, name, unusable).await?,
                };
                workspaces::insert_member(db, workspace.id, teammate, role, now).await?;
            }
            workspace
        }
    };

    let existing = apps::list_apps_of_owner(db, user_id)
        .await?
        .into_iter()
        .find(|app| app.name == DEMO_APP_NAME);
    let (client_id, client_secret) = match existing {
        Some(app) => (app.client_id, rotate_app_secret(db, now, app.id).await?),
        None => {
            let uris = vec![DEMO_REDIRECT_URI.to_owned()];
            let scopes = ScopeSet::parse("read_contact read_teammates read_teams read_tags")
                .map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let description = "The sample integration from the OAuth 2 quick start. It reads \
                               your contacts, teammates, teams and tags.";
            let (app, secret) =
                create_app(db, now, user_id, DEMO_APP_NAME, description, &uris, &scopes).await?;
            (app.client_id, secret)
        }
    };

    Ok(DemoCredentials {
        email: DEMO_EMAIL.to_owned(),
        password,
        workspace_slug: workspace.slug,
        client_id,
        client_secret,
        redirect_uri: DEMO_REDIRECT_URI.to_owned(),
    })
}
