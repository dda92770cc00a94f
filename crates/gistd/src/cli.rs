//! The `gistd` command line: `serve`, `migrate`, and the set-up commands scripts use.
//! Every command takes `--database` (or `GISTD_DATABASE`) and prints JSON with `--json`.

use crate::app::Application;
use crate::config::{self, Settings};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::secret::Secret;
use crate::service::{self, ServiceError};
use crate::storage::{Db, StorageError, backup, marketing, segments, teams, workspaces};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

/// gistd: a self-hostable, Gist-compatible OAuth 2 provider, developer hub and REST API.
#[derive(Debug, Parser)]
#[command(name = "gistd", version, about)]
pub struct Cli {
    /// Database: a SQLite file path (created if missing), `sqlite:PATH`, or
    /// `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "GISTD_DATABASE", default_value = config::DEFAULT_DATABASE)]
    database: String,

    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent copy of a SQLite database, even while servers use it.
    Backup(BackupArgs),
    /// Replace a SQLite database with a backup, after checking the backup.
    Restore(RestoreArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage apps (OAuth clients).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage workspace API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Manage segments (Gist's API only reads them).
    #[command(subcommand)]
    Segment(NamedCommand),
    /// Manage forms (Gist's API only reads them and records submissions).
    #[command(subcommand)]
    Form(NamedCommand),
    /// Manage email campaigns (Gist's API only reads them and subscribes contacts).
    #[command(subcommand)]
    Campaign(NamedCommand),
    /// Manage subscription types (Gist's API only reads them and attaches contacts).
    #[command(subcommand, name = "subscription-type")]
    SubscriptionType(SubscriptionTypeCommand),
    /// Manage teams (Gist's API only reads them).
    #[command(subcommand)]
    Team(NamedCommand),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GISTD_LISTEN", default_value = config::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Public base URL, e.g. https://gistd.example.com (default: http://LISTEN).
    #[arg(long, env = "GISTD_BASE_URL", value_parser = config::parse_base_url)]
    base_url: Option<String>,
    /// Seed a demo user, workspace and app, and print how to use them.
    /// `GISTD_DEMO` takes true/false, 1/0, yes/no or on/off.
    #[arg(long, env = "GISTD_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// REST API requests allowed per workspace in each rate-limit window.
    #[arg(long, env = "GISTD_API_RATE_LIMIT", default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..))]
    api_rate_limit: i64,
    /// Length of the REST API's rate-limit window, in seconds.
    #[arg(long, env = "GISTD_API_RATE_WINDOW", default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=3600))]
    api_rate_window: i64,
    /// Access token lifetime: seconds, a number with s/m/h/d, or `never`.
    #[arg(long, env = "GISTD_ACCESS_TOKEN_TTL", default_value = "2h")]
    access_token_ttl: config::Lifetime,
    /// Time between two purges of expired codes, sessions and tokens: seconds, a number
    /// with s/m/h/d, or `never` to turn upkeep off on this instance.
    #[arg(long, env = "GISTD_UPKEEP_INTERVAL", default_value = "10m")]
    upkeep_interval: config::Lifetime,
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// The file to write; it must not exist. (For PostgreSQL, use pg_dump.)
    #[arg(long)]
    to: std::path::PathBuf,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// The backup to restore, a file written by `gistd backup`.
    #[arg(long)]
    from: std::path::PathBuf,
    /// Replace the database named by --database if it exists. Stop every server using
    /// it first.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        /// Email address (the log-in name).
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (required, so it never appears in
        /// the process list or shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace owned by an existing user.
    Create {
        /// Email address of the owner.
        #[arg(long)]
        owner: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Identifier used in URLs and as Gist's workspace_id (default: from the name).
        #[arg(long)]
        slug: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// Register an app and print its client_id and client_secret.
    Create {
        /// Email address of the owner.
        #[arg(long)]
        owner: String,
        /// App name, shown on consent pages.
        #[arg(long)]
        name: String,
        /// Description, shown on consent pages.
        #[arg(long, default_value = "")]
        description: String,
        /// A redirect URI (repeat for several).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Scopes the app may request, space-separated.
        #[arg(long)]
        scopes: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create (or regenerate) a workspace's API key and print it.
    Create {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
    },
}

/// Creating a workspace object that has only a name: segments, forms, campaigns, teams.
#[derive(Debug, Subcommand)]
enum NamedCommand {
    /// Create one and print its id.
    Create {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// Name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum SubscriptionTypeCommand {
    /// Create a subscription type and print its id.
    Create {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// What contacts opt in to.
        #[arg(long, default_value = "")]
        description: String,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GISTD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn open_db(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}

fn report(json_output: bool, value: serde_json::Value, text: String) {
    if json_output {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn user_facing(error: ServiceError) -> anyhow::Error {
    match error.user_message() {
        Some(message) => anyhow::anyhow!(message),
        None => anyhow::Error::new(error),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    match cli.command {
        Command::Serve(args) => serve(cli.database, cli.json, args, clock).await,
        Command::Migrate => {
            open_db(&cli.database).await?;
            report(
                cli.json,
                json!({"migrated": true}),
                "Database is up to date.".into(),
            );
            Ok(())
        }
        Command::Backup(BackupArgs { to }) => {
            backup::backup_sqlite(&cli.database, &to).await?;
            report(
                cli.json,
                json!({"backup": to.display().to_string()}),
                format!("Backed up to {}.", to.display()),
            );
            Ok(())
        }
        Command::Restore(RestoreArgs { from, force }) => {
            backup::restore_sqlite(&cli.database, &from, force).await?;
            report(
                cli.json,
                json!({"restored": from.display().to_string()}),
                format!("Restored {} into {}.", from.display(), cli.database),
            );
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            name,
            password_stdin: _,
        }) => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = Secret::new(password.trim_end_matches(['\r', '\n']));
            let db = open_db(&cli.database).await?;
            let id = service::create_user(&db, now, &email, &name, password)
                .await
                .map_err(user_facing)?;
            report(
                cli.json,
                json!({"id": id, "email": email.trim().to_lowercase()}),
                format!("Created user {id}."),
            );
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create { owner, name, slug }) => {
            let db = open_db(&cli.database).await?;
            let owner = service::require_user(&db, &owner)
                .await
                .map_err(user_facing)?;
            let workspace = service::create_workspace(&db, now, owner.id, &name, slug.as_deref())
                .await
                .map_err(user_facing)?;
            report(
                cli.json,
                json!({"id": workspace.id, "slug": workspace.slug, "name": workspace.name}),
                format!("Created workspace {} ({}).", workspace.name, workspace.slug),
            );
            Ok(())
        }
        Command::App(AppCommand::Create {
            owner,
            name,
            description,
            redirect_uris,
            scopes,
        }) => {
            let db = open_db(&cli.database).await?;
            let owner = service::require_user(&db, &owner)
                .await
                .map_err(user_facing)?;
            let uris = service::parse_redirect_uris(redirect_uris.iter().map(String::as_str))
                .map_err(user_facing)?;
            let scopes = service::parse_app_scopes(&scopes).map_err(user_facing)?;
            let (app, secret) =
                service::create_app(&db, now, owner.id, &name, &description, &uris, &scopes)
                    .await
                    .map_err(user_facing)?;
            report(
                cli.json,
                json!({
                    "client_id": app.client_id,
                    "client_secret": secret.expose(),
                    "redirect_uris": uris,
                    "scopes": scopes.to_string(),
                }),
                format!(
                    "Created app {}.\nclient_id:     {}\nclient_secret: {}\n(The secret is shown only now.)",
                    app.name,
                    app.client_id,
                    secret.expose()
                ),
            );
            Ok(())
        }
        Command::Segment(NamedCommand::Create { workspace, name }) => {
            let kind = Named::Segment;
            create_named(&cli.database, cli.json, kind, &workspace, &name, "", now).await
        }
        Command::Form(NamedCommand::Create { workspace, name }) => {
            let kind = Named::Form;
            create_named(&cli.database, cli.json, kind, &workspace, &name, "", now).await
        }
        Command::Campaign(NamedCommand::Create { workspace, name }) => {
            let kind = Named::Campaign;
            create_named(&cli.database, cli.json, kind, &workspace, &name, "", now).await
        }
        Command::SubscriptionType(SubscriptionTypeCommand::Create {
            workspace,
            name,
            description,
        }) => {
            let kind = Named::SubscriptionType;
            create_named(
                &cli.database,
                cli.json,
                kind,
                &workspace,
                &name,
                &description,
                now,
            )
            .await
        }
        Command::Team(NamedCommand::Create { workspace, name }) => {
            let kind = Named::Team;
            create_named(&cli.database, cli.json, kind, &workspace, &name, "", now).await
        }
        Command::ApiKey(ApiKeyCommand::Create { workspace }) => {
            let db = open_db(&cli.database).await?;
            let found = workspaces::find_workspace_by_slug(&db, &workspace)
                .await?
                .ok_or_else(|| anyhow::anyhow!("No workspace has the slug {workspace}."))?;
            let key = service::regenerate_api_key(&db, now, found.id)
                .await
                .map_err(user_facing)?;
            report(
                cli.json,
                json!({"workspace": found.slug, "api_key": key.expose()}),
                format!(
                    "API key for {}: {}\n(The key is shown only now; any previous key no longer works.)",
                    found.slug,
                    key.expose()
                ),
            );
            Ok(())
        }
    }
}

/// The kinds of object `create_named` makes.
#[derive(Debug, Clone, Copy)]
enum Named {
    Segment,
    Form,
    Campaign,
    SubscriptionType,
    Team,
}

impl Named {
    fn label(self) -> &'static str {
        match self {
            Named::Segment => "segment",
            Named::Form => "form",
            Named::Campaign => "campaign",
            Named::SubscriptionType => "subscription type",
            Named::Team => "team",
        }
    }
}

/// `gistd segment|form|campaign|subscription-type|team create`: inserts the object into
/// the workspace named by `slug` and reports its id.
async fn create_named(
    database: &str,
    json_output: bool,
    kind: Named,
    slug: &str,
    name: &str,
    description: &str,
    now: i64,
) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        anyhow::bail!("The {} needs a non-empty --name.", kind.label());
    }
    let db = open_db(database).await?;
    let workspace = workspaces::find_workspace_by_slug(&db, slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("No workspace has the slug {slug}."))?;
    let id = match kind {
        Named::Segment => segments::insert_segment(&db, workspace.id, name, now).await,
        Named::Form => marketing::insert_form(&db, workspace.id, name, now).await,
        Named::Campaign => marketing::insert_campaign(&db, workspace.id, name, now).await,
        Named::SubscriptionType => {
            marketing::insert_subscription_type(&db, workspace.id, name, description.trim(), now)
                .await
        }
        Named::Team => teams::insert_team(&db, workspace.id, name, now).await,
    }
    .map_err(|error| match error {
        StorageError::Conflict(what) => {
            // Storage names the taken thing in lower case ("a team with this name").
            let mut chars = what.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            anyhow::anyhow!(
                "{}{} already exists.",
                first.unwrap_or_default(),
                chars.as_str()
            )
        }
        other => anyhow::Error::new(other),
    })?;
    report(
        json_output,
        json!({"id": id, "workspace": workspace.slug, "name": name}),
        format!(
            "Created {} {id} ({name}) in {}.",
            kind.label(),
            workspace.slug
        ),
    );
    Ok(())
}

async fn serve(
    database: String,
    json_output: bool,
    args: ServeArgs,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let settings = Settings {
        listen: args.listen,
        database,
        base_url: args.base_url,
        access_token_ttl: args.access_token_ttl.0,
        api_rate_limit: args.api_rate_limit,
        api_rate_window_seconds: args.api_rate_window,
        upkeep_interval_seconds: args.upkeep_interval.0,
        ..Settings::default()
    };
    let app = Application::build(settings, clock.clone()).await?;
    // Install the signal handlers before announcing anything: a script or supervisor that
    // sends SIGTERM as soon as it has read the demo line must get a clean stop, not the
    // default action of a signal nobody handles yet.
    let shutdown = shutdown_signal()?;

    if args.demo {
        let demo = service::seed_demo(app.db(), clock.now())
            .await
            .map_err(user_facing)?;
        let base = app.base_url().to_owned();
        report(
            json_output,
            json!({
                "base_url": base,
                "email": demo.email,
                "password": demo.password.expose(),
                "workspace": demo.workspace_slug,
                "client_id": demo.client_id,
                "client_secret": demo.client_secret.expose(),
                "redirect_uri": demo.redirect_uri,
            }),
            format!(
                "\ngistd demo is ready at {base}\n\n  Log in:         {base}/login\n  Email:          {}\n  Password:       {}\n  Workspace:      {}\n\n  Demo app (redirect URI {}):\n  GIST_CLIENT_ID={}\n  GIST_CLIENT_SECRET={}\n  GIST_BASE_URL={base}\n\n  The password and client secret are new at every start with --demo.\n",
                demo.email,
                demo.password.expose(),
                demo.workspace_slug,
                demo.redirect_uri,
                demo.client_id,
                demo.client_secret.expose(),
            ),
        );
    }

    app.run_until_stopped(shutdown).await?;
    tracing::info!("gistd stopped");
    Ok(())
}

/// Installs handlers for SIGINT (Ctrl-C) and SIGTERM at once, and returns a future that
/// completes when either signal arrives.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}
