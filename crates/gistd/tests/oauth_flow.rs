//! The quick-start flow end to end, driven by the `oauth2` crate as a real client: build
//! the authorize URL, log in and consent through the HTML forms, exchange the code,
//! refresh, call the API, revoke, and see the token refused.

mod support;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use support::{REDIRECT_URI, TestServer, location, query_param};

#[tokio::test]
async fn quick_start_flow_works_with_a_standard_oauth2_client() {
    let server = TestServer::start().await;
    let fixture = server.fixture("read_contact read_teammates").await;

    let client = BasicClient::new(ClientId::new(fixture.client_id.clone()))
        .set_client_secret(ClientSecret::new(fixture.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(server.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(server.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read_teammates".into()))
        .add_scope(Scope::new("read_contacts".into()))
        .set_pkce_challenge(challenge)
        .url();

    // Not logged in yet: the authorize URL sends the browser to the log-in page, which
    // sends it back afterwards.
    let browser = server.browser();
    let response = browser.get(authorize_url.as_str()).await;
    assert_eq!(response.status(), 302);
    let login_url = location(&response);
    assert!(login_url.starts_with("/login?next="), "{login_url}");
    let login_page = browser.get(&login_url).await.text().await.unwrap();
    let next = support::hidden_field(&login_page, "next").unwrap();
    assert!(next.starts_with("/oauth/authorize?"), "{next}");
    let csrf = support::hidden_field(&login_page, "csrf").unwrap();
    let response = browser
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &fixture.email),
                ("password", support::PASSWORD),
                ("next", &next),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), next);

    // The consent page names the app and the scopes in plain words.
    let consent = browser.consent_page(&next).await;
    assert!(consent.contains("Test App"));
    assert!(consent.contains("See your teammates"));
    assert!(consent.contains("Look up individual contacts"));
    assert!(consent.contains(&fixture.client_id));

    let redirect = browser.decide(&consent, "allow", "acme").await;
    assert!(redirect.starts_with(REDIRECT_URI), "{redirect}");
    assert_eq!(
        query_param(&redirect, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(&redirect, "iss").as_deref(),
        Some(server.base_url.as_str())
    );
    let code = query_param(&redirect, "code").expect("code in the redirect");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    assert_eq!(token.expires_in().map(|d| d.as_secs()), Some(7200));
    let granted: Vec<String> = token
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(granted, ["read_contact", "read_teammates"]);
    let access = token.access_token().secret().clone();
    assert!(access.starts_with("gat_"));

    let teammates = http
        .get(server.url("/api/teammates"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(teammates.status(), 200);
    let body: serde_json::Value = teammates.json().await.unwrap();
    assert_eq!(body["teammates"][0]["email"], "admin@example.com");
    assert_eq!(body["teammates"][0]["role"], "owner");

    let refreshed = client
        .exchange_refresh_token(token.refresh_token().expect("refresh token"))
        .request_async(&http)
        .await
        .expect("refresh");
    let new_access = refreshed.access_token().secret().clone();
    assert_ne!(new_access, access);
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        token.refresh_token().unwrap().secret()
    );
    let teammates = http
        .get(server.url("/api/teammates"))
        .bearer_auth(&new_access)
        .send()
        .await
        .unwrap();
    assert_eq!(teammates.status(), 200);

    // The oauth2 crate refuses plain-http revocation URLs, so revoke with a plain form
    // post (client_secret_post; the exchanges above used HTTP Basic).
    let revoked = http
        .post(server.url("/oauth/revoke"))
        .form(&[
            ("token", new_access.as_str()),
            ("token_type_hint", "access_token"),
            ("client_id", &fixture.client_id),
            ("client_secret", &fixture.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let refused = http
        .get(server.url("/api/teammates"))
        .bearer_auth(&new_access)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "unauthorized");

    // A second authorization with the same scopes skips the consent page.
    let (again, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read_teammates".into()))
        .url();
    let response = browser.get(again.as_str()).await;
    assert_eq!(response.status(), 302);
    assert!(location(&response).starts_with(REDIRECT_URI));
    server.stop().await;
}
