//! Two `gistd serve` processes on one PostgreSQL database, as behind a load balancer:
//! whatever one instance starts (a session, a consent, a code, a token), the other can
//! finish, and a revocation on one is refused by the other at once. Skipped unless
//! `GISTD_TEST_POSTGRES` names a PostgreSQL server (set by `.ci/run`'s PostgreSQL pass).

mod process;

use process::{Browser, Database, EMAIL, Fixture, Server, TokenAnswer, free_port, http_client};
use serde_json::Value;

const SCOPES: &str = "read_teammates";

/// Starts two servers on one fresh PostgreSQL database (both at once, so their start-up
/// migrations race), then creates the fixture through the CLI.
async fn two_instances(test: &str) -> Option<(Database, Fixture, Server, Server)> {
    let database = Database::postgres(test).await?;
    let mut a = Server::spawn(&database, free_port(), &[]);
    let mut b = Server::spawn(&database, free_port(), &[]);
    a.wait_until_ready().await;
    b.wait_until_ready().await;
    let fixture = database.set_up(SCOPES);
    Some((database, fixture, a, b))
}

/// `GET /api/teammates` on `server` with `bearer`; the status.
async fn teammates_status(http: &reqwest::Client, server: &Server, bearer: &str) -> u16 {
    http.get(server.url("/api/teammates"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("GET /api/teammates")
        .status()
        .as_u16()
}

/// `POST /oauth/revoke` of `token` on `server`; panics unless it answers 200.
async fn revoke(http: &reqwest::Client, server: &Server, fixture: &Fixture, token: &str) {
    let response = http
        .post(server.url("/oauth/revoke"))
        .form(&[
            ("client_id", fixture.client_id.as_str()),
            ("client_secret", fixture.client_secret.as_str()),
            ("token", token),
        ])
        .send()
        .await
        .expect("POST /oauth/revoke");
    assert_eq!(response.status(), 200, "revocation is acknowledged");
}

#[tokio::test]
async fn an_authorization_started_on_one_instance_is_finished_and_revoked_on_the_other() {
    let Some((_database, fixture, a, b)) = two_instances(
        "an_authorization_started_on_one_instance_is_finished_and_revoked_on_the_other",
    )
    .await
    else {
        return;
    };
    let http = http_client();
    let browser = Browser::new();

    // The session made on A, and its CSRF token, are good on B: the consent page is shown
    // by B and the Allow is posted to A.
    browser.log_in(&a.base_url).await.expect("log-in on A");
    let code = browser
        .authorize(&b.base_url, &a.base_url, &fixture.client_id, SCOPES)
        .await
        .expect("consent shown on B, given on A");

    let redeemed = process::redeem(&http, &b.base_url, &fixture, &code)
        .await
        .expect("token request on B");
    let TokenAnswer::Issued { access, refresh } = redeemed else {
        panic!("B redeems a code issued by A: {redeemed:?}");
    };

    let response = http
        .get(a.url("/api/teammates"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("GET /api/teammates on A");
    assert_eq!(response.status(), 200, "A accepts a token issued by B");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["teammates"][0]["email"], EMAIL);

    // Revoked on B, refused by A on its very next request: nothing is cached.
    revoke(&http, &b, &fixture, &access).await;
    assert_eq!(
        teammates_status(&http, &a, &access).await,
        401,
        "A refuses at once a token revoked on B"
    );

    // The refresh token still works (only the access token was revoked), on either
    // instance; revoking it on B ends the grant, and A refuses both the access token it
    // just issued and another refresh.
    let refreshed = process::refresh(&http, &a.base_url, &fixture, &refresh)
        .await
        .expect("refresh on A");
    let TokenAnswer::Issued {
        access: second_access,
        refresh: second_refresh,
    } = refreshed
    else {
        panic!("A rotates a refresh token issued by B: {refreshed:?}");
    };
    assert_eq!(teammates_status(&http, &b, &second_access).await, 200);
    revoke(&http, &b, &fixture, &second_refresh).await;
    assert_eq!(
        teammates_status(&http, &a, &second_access).await,
        401,
        "A refuses at once the tokens of a grant revoked on B"
    );
    let again = process::refresh(&http, &a.base_url, &fixture, &second_refresh)
        .await
        .expect("refresh on A");
    assert!(
        matches!(again, TokenAnswer::InvalidGrant(_)),
        "A refuses a refresh token revoked on B: {again:?}"
    );
}

#[tokio::test]
async fn a_code_redeemed_on_both_instances_at_once_yields_exactly_one_token() {
    let Some((_database, fixture, a, b)) =
        two_instances("a_code_redeemed_on_both_instances_at_once_yields_exactly_one_token").await
    else {
        return;
    };
    let browser = Browser::new();
    browser.log_in(&a.base_url).await.expect("log-in on A");

    // Consent is given once; the later authorizations redirect with a code at once.
    const CODES: usize = 10;
    let mut codes = Vec::with_capacity(CODES);
    for index in 0..CODES {
        let on = if index % 2 == 0 { &a } else { &b };
        let code = browser
            .authorize(&on.base_url, &on.base_url, &fixture.client_id, SCOPES)
            .await
            .expect("a code");
        codes.push(code);
    }

    // Every code is sent to A and to B at the same moment, and all codes at once. Each
    // request gets its own connection so none waits behind another.
    let mut races = Vec::with_capacity(CODES);
    for code in codes {
        let (base_a, base_b) = (a.base_url.clone(), b.base_url.clone());
        let (fixture_a, fixture_b) = (fixture.clone(), fixture.clone());
        let code_b = code.clone();
        races.push(tokio::spawn(async move {
            let (http_a, http_b) = (http_client(), http_client());
            tokio::join!(
                async move { process::redeem(&http_a, &base_a, &fixture_a, &code).await },
                async move { process::redeem(&http_b, &base_b, &fixture_b, &code_b).await },
            )
        }));
    }

    for (index, race) in races.into_iter().enumerate() {
        let (on_a, on_b) = race.await.expect("race task");
        let answers = [
            on_a.expect("A answers the token request"),
            on_b.expect("B answers the token request"),
        ];
        let issued = answers
            .iter()
            .filter(|answer| matches!(answer, TokenAnswer::Issued { .. }))
            .count();
        assert_eq!(
            issued, 1,
            "code {index}: exactly one token, got {answers:?}"
        );
        // The loser is refused as a replay; RFC 6749 section 4.1.2 lets the server
        // revoke what the code issued, so the winner's token is not checked here.
        assert!(
            answers
                .iter()
                .any(|answer| matches!(answer, TokenAnswer::InvalidGrant(_))),
            "code {index}: the other request gets invalid_grant, got {answers:?}"
        );
    }
}
