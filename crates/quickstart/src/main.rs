//! The quick-start app's binary: reads its configuration, then serves the app.
//!
//! Run with, while `gistd serve --demo` runs (it prints the demo app's id and secret):
//!
//! ```sh
//! GIST_CLIENT_ID=... GIST_CLIENT_SECRET=... GIST_BASE_URL=http://127.0.0.1:8080 \
//!   cargo run -p quickstart
//! ```
//!
//! then open <http://127.0.0.1:3000/>.

use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Gist's OAuth quick start against gistd.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The address to listen on; the redirect URI is derived from it.
    #[arg(long, env = "QUICKSTART_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = match quickstart::Config::from_env(cli.listen) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let redirect_uri = config.redirect_uri.clone();
    let router = match quickstart::router(config) {
        Ok(router) => router,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {}: {error}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(listen = %cli.listen, redirect_uri, "quickstart listening");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
