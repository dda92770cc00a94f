//! gistd: a self-hostable, Gist-compatible OAuth 2 provider, developer hub and REST API.
//!
//! Layers, from the outside in:
//! - [`cli`]: the `gistd` command line (serve, migrate and set-up commands);
//! - [`app`]: builds the server from a [`config::Settings`] and runs it;
//! - [`http`]: routes, handlers, pages and the mapping of every error to HTTP;
//! - [`domain`]: protocol rules with no I/O (scopes, redirect URIs, PKCE, secrets);
//! - [`storage`]: SQL for SQLite and PostgreSQL.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod service;
pub mod storage;
