//! A client for the Gist REST API and its OAuth 2 flow, as served by gistd (and by Gist,
//! whose paths it keeps).
//!
//! - [`Client`] holds a base URL and one credential (a workspace API key or an OAuth
//!   access token) and offers one method group per resource, as Gist's Ruby client does:
//!   [`contacts`](Client::contacts), [`conversations`](Client::conversations),
//!   [`events`](Client::events), [`tags`](Client::tags), [`segments`](Client::segments),
//!   [`forms`](Client::forms), [`campaigns`](Client::campaigns),
//!   [`subscription_types`](Client::subscription_types), [`teams`](Client::teams) and
//!   [`teammates`](Client::teammates). Requests and answers are the wire types of
//!   [`gist_types`], the ones the server itself uses.
//! - Lists come a page at a time: `.await` a [`List`] for one page, or walk every page
//!   with [`List::pages`], which follows each page's `pages.next`.
//! - Every failure is an [`Error`]: the API's status with its `errors` list, rate limiting
//!   (429 answers are retried after `Retry-After`, a bounded number of times), OAuth
//!   errors, network and decoding failures.
//! - [`oauth`] builds authorization URLs (with state and optional PKCE), exchanges codes,
//!   refreshes and revokes tokens, and keeps them in a [`TokenStore`](oauth::TokenStore)
//!   with a [`TokenManager`](oauth::TokenManager) that refreshes them before they expire.
//!
//! There is no global state: build as many clients as you need. HTTPS uses rustls.
//!
//! # Example
//!
//! Calling the API with a workspace API key:
//!
//! ```no_run
//! use gist_client::params::ContactListParams;
//! use gist_client::{Client, Error};
//! use gist_types::ContactRequest;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! let client = Client::new("http://127.0.0.1:8080/api", "gsk_your_workspace_api_key")?;
//!
//! let contact = client
//!     .contacts()
//!     .save(&ContactRequest {
//!         email: Some("ada@example.com".into()),
//!         name: Some("Ada Lovelace".into()),
//!         ..ContactRequest::default()
//!     })
//!     .await?;
//! println!("contact {} is a {:?}", contact.id, contact.contact_type);
//!
//! // Every contact, 100 per request, following `pages.next`.
//! let params = ContactListParams {
//!     per_page: Some(100),
//!     ..ContactListParams::default()
//! };
//! let everyone = client.contacts().list(params).pages().collect_all().await?;
//! println!("{} contacts", everyone.len());
//!
//! match client.contacts().find(999_999).await {
//!     Err(Error::Api { status: 404, errors }) => println!("not found: {}", errors[0].message),
//!     other => println!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The OAuth flow of an app, from the authorization URL to an API client:
//!
//! ```
//! use gist_client::oauth::{Authorization, MemoryTokenStore, OAuthClient, TokenManager};
//! use gist_client::{Client, Error};
//!
//! // 2. The callback: check the state, exchange the code, keep the tokens.
//! async fn callback(
//!     tokens: &TokenManager<MemoryTokenStore>,
//!     sent: &Authorization,
//!     code: &str,
//!     state: &str,
//! ) -> Result<(), Error> {
//!     if !sent.state_matches(state) {
//!         return Err(Error::NotAuthorized("the callback's state is not the one sent"));
//!     }
//!     tokens.exchange_code(code, sent.pkce_verifier.as_ref()).await?;
//!     Ok(())
//! }
//!
//! // 3. Later: an API client whose token is refreshed when it is about to expire.
//! async fn count_teammates(tokens: &TokenManager<MemoryTokenStore>) -> Result<usize, Error> {
//!     let client: Client = tokens.client("http://127.0.0.1:8080/api").await?;
//!     Ok(client.teammates().list().await?.len())
//! }
//!
//! # fn main() -> Result<(), Error> {
//! let oauth = OAuthClient::new(
//!     "http://127.0.0.1:8080",
//!     "your-client-id",
//!     "gcs_your_client_secret",
//!     "http://127.0.0.1:3000/oauth/gist/callback",
//! )?;
//!
//! // 1. Send the user to this URL; keep the whole `Authorization` in their session.
//! let authorization = oauth.authorization("read_contact read_teammates").pkce().build();
//! assert!(authorization.url.as_str().contains("code_challenge_method=S256"));
//!
//! let tokens = TokenManager::new(oauth, MemoryTokenStore::new());
//! # let _ = (callback, count_teammates, tokens);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod client;
mod error;
pub mod oauth;
mod pagination;
pub mod params;
mod resources;

pub use client::{Client, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_WAIT, DEFAULT_TIMEOUT};
pub use error::{Error, Result};
pub use gist_types;
pub use pagination::{List, Page, Pages};
pub use resources::{
    Campaigns, Contacts, Conversations, Events, Forms, Segments, SubscriptionTypes, Tags,
    Teammates, Teams,
};
