//! The SDK's OAuth helper end to end against a real gistd: the authorization URL it
//! builds is opened in a cookie-keeping client that logs in and consents through the
//! HTML forms, then the code is exchanged, the tokens refreshed and revoked.

mod support;

use gist_client::oauth::{
    BodyFormat, FileTokenStore, MemoryTokenStore, OAuthClient, TokenManager, TokenStore,
};
use gist_client::{Client, Error};
use support::{Browser, REDIRECT_URI, TestServer, location, query_param};

const SCOPES: &str = "read_contact read_teammates";

fn oauth(server: &TestServer) -> OAuthClient {
    OAuthClient::new(
        &server.base_url,
        &server.client_id,
        &server.client_secret,
        REDIRECT_URI,
    )
    .expect("OAuth client")
}

/// Opens `authorize_url` as a person would: logs in when asked, allows on the consent
/// page (unless gistd skips it for an app already consented to), and returns the
/// redirect to the app.
async fn consent(server: &TestServer, authorize_url: &str) -> String {
    let browser = Browser::new(server);
    let first = browser.get(authorize_url).await;
    assert_eq!(first.status(), 302, "a visitor is sent to log in first");
    let login = format!("{}{}", server.base_url, location(&first));
    let next = query_param(&login, "next").expect("where to return after log-in");
    let back = browser.login(&next).await;

    let response = browser.get(&back).await;
    if response.status() == 302 {
        return location(&response);
    }
    assert_eq!(response.status(), 200, "the consent page");
    let page = response.text().await.expect("consent HTML");
    assert!(page.contains("SDK Test App"));
    browser.decide(&page, "allow", "acme").await
}

#[tokio::test]
async fn the_oauth_helper_authorizes_exchanges_refreshes_and_revokes() {
    let server = TestServer::start(SCOPES).await;
    let oauth = oauth(&server);

    let authorization = oauth.authorization(SCOPES).pkce().build();
    let redirect = consent(&server, authorization.url.as_str()).await;
    assert!(redirect.starts_with(REDIRECT_URI));
    let state = query_param(&redirect, "state").expect("state");
    assert!(authorization.state_matches(&state));
    let code = query_param(&redirect, "code").expect("code");

    let tokens = oauth
        .exchange_code(&code, authorization.pkce_verifier.as_ref())
        .await
        .expect("exchanged");
    assert_eq!(tokens.scope, SCOPES);
    assert_eq!(tokens.workspace_id, "acme");
    assert!(tokens.expires_at.is_some());
    let api = Client::new(&server.api_url(), &tokens.access_token).expect("client");
    assert_eq!(api.teammates().list().await.expect("teammates").len(), 1);

    let again = oauth
        .exchange_code(&code, authorization.pkce_verifier.as_ref())
        .await;
    match again {
        Err(Error::OAuth { status, error, .. }) => {
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
        }
        other => panic!("a used code must be refused, got {other:?}"),
    }

    // The replayed code revoked the first grant (RFC 6749 section 4.1.2); start over.
    let authorization = oauth.authorization(SCOPES).build();
    let redirect = consent(&server, authorization.url.as_str()).await;
    let code = query_param(&redirect, "code").expect("code");
    let tokens = oauth.exchange_code(&code, None).await.expect("exchanged");

    let refresh_token = tokens.refresh_token.clone().expect("refresh token");
    let refreshed = oauth.refresh(&refresh_token).await.expect("refreshed");
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_ne!(
        refreshed.refresh_token.as_deref(),
        Some(refresh_token.as_str())
    );
    let api = Client::new(&server.api_url(), &refreshed.access_token).expect("client");
    api.teammates().list().await.expect("the new token works");

    oauth
        .revoke(refreshed.refresh_token.as_deref().expect("rotated"))
        .await
        .expect("revoked");
    let error = api.teammates().list().await.expect_err("the grant is gone");
    assert_eq!(error.status(), Some(401));
    let error = oauth
        .refresh(refreshed.refresh_token.as_deref().expect("rotated"))
        .await
        .expect_err("a revoked refresh token");
    assert!(matches!(error, Error::OAuth { ref error, .. } if error == "invalid_grant"));
}

#[tokio::test]
async fn json_token_requests_work_as_forms_do() {
    let server = TestServer::start(SCOPES).await;
    let oauth = oauth(&server).with_body_format(BodyFormat::Json);

    let authorization = oauth.authorization(SCOPES).state("acme").build();
    let redirect = consent(&server, authorization.url.as_str()).await;
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("acme"));
    let code = query_param(&redirect, "code").expect("code");

    let tokens = oauth.exchange_code(&code, None).await.expect("exchanged");
    let refreshed = oauth
        .refresh(tokens.refresh_token.as_deref().expect("refresh token"))
        .await
        .expect("refreshed");
    oauth
        .revoke(&refreshed.access_token)
        .await
        .expect("revoked");
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client_error() {
    let server = TestServer::start(SCOPES).await;
    let oauth = OAuthClient::new(
        &server.base_url,
        &server.client_id,
        "gcs_wrong",
        REDIRECT_URI,
    )
    .expect("OAuth client");
    match oauth.refresh("grt_whatever").await {
        Err(Error::OAuth { status, error, .. }) => {
            assert_eq!((status, error.as_str()), (401, "invalid_client"));
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}

#[tokio::test]
async fn the_token_manager_refreshes_a_token_about_to_expire_and_saves_it() {
    // Access tokens live 30 s here: less than the manager's 60 s margin, so every
    // stored token is already "about to expire".
    let server = TestServer::start_with(SCOPES, |settings| {
        settings.access_token_ttl = Some(30);
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let store = FileTokenStore::new(dir.path().join("tokens.json"));
    let manager = TokenManager::new(oauth(&server), store);

    let error = manager.access_token().await.expect_err("nothing stored");
    assert!(matches!(error, Error::NotAuthorized(_)));

    let authorization = manager.oauth().authorization(SCOPES).build();
    let redirect = consent(&server, authorization.url.as_str()).await;
    let code = query_param(&redirect, "code").expect("code");
    let first = manager.exchange_code(&code, None).await.expect("exchanged");

    let token = manager.access_token().await.expect("refreshed token");
    assert_ne!(token, first.access_token, "refreshed before expiry");
    let stored = manager.store().load().await.expect("load").expect("tokens");
    assert_eq!(stored.access_token, token);
    assert_ne!(
        stored.refresh_token, first.refresh_token,
        "the rotated one is kept"
    );

    let client = manager.client(&server.api_url()).await.expect("client");
    client.teammates().list().await.expect("teammates");

    manager.revoke().await.expect("revoked");
    assert!(manager.store().load().await.expect("load").is_none());
    let error = client.teammates().list().await.expect_err("revoked grant");
    assert_eq!(error.status(), Some(401));
}

#[tokio::test]
async fn the_token_manager_keeps_a_token_with_time_left() {
    let server = TestServer::start(SCOPES).await;
    let manager = TokenManager::new(oauth(&server), MemoryTokenStore::new());

    let authorization = manager.oauth().authorization(SCOPES).build();
    let redirect = consent(&server, authorization.url.as_str()).await;
    let code = query_param(&redirect, "code").expect("code");
    let tokens = manager.exchange_code(&code, None).await.expect("exchanged");

    let token = manager.access_token().await.expect("token");
    assert_eq!(token, tokens.access_token, "two hours left: no refresh");
}
