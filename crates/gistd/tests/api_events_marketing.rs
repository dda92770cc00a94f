//! Events, forms, campaigns and subscription types in the REST API, with an API key, with
//! OAuth tokens obtained through the real consent flow, and across two workspaces; and
//! the command-line `create` commands for the objects Gist's API only reads.

mod support;

use gistd::storage::{Db, marketing};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Browser, Fixture, REDIRECT_URI, TestServer, authorize_url, query_param};

/// The scopes the fixture's app may request.
const SCOPES: &str = "read_events read_contact";

/// A server with the `acme` fixture, its API key and a logged-in browser.
struct Env {
    server: TestServer,
    fixture: Fixture,
    key: String,
    browser: Browser,
    http: reqwest::Client,
}

impl Env {
    async fn start() -> Env {
        let server = TestServer::start().await;
        let fixture = server.fixture(SCOPES).await;
        let key = server.api_key(fixture.workspace_id).await;
        let browser = server.browser();
        browser.login(&fixture.email).await;
        Env {
            server,
            fixture,
            key,
            browser,
            http: reqwest::Client::new(),
        }
    }

    /// An access token for `acme` with `scope`, through the consent page.
    async fn token(&self, scope: &str) -> String {
        let url = authorize_url(&self.server, &self.fixture.client_id, scope, &[]);
        let page = self.browser.consent_page(&url).await;
        let redirect = self.browser.decide(&page, "allow", "acme").await;
        let code = query_param(&redirect, "code").expect("code");
        let response = self
            .http
            .post(self.server.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", &self.fixture.client_id),
                ("client_secret", &self.fixture.client_secret),
            ])
            .send()
            .await
            .expect("token request");
        let body: Value = response.json().await.expect("token JSON");
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// A second workspace `other` (its own owner) and its API key.
    async fn other_workspace(&self) -> (i64, String) {
        self.server
            .create_user("owner@other.example", "Olga Other")
            .await;
        let id = self
            .server
            .create_workspace("owner@other.example", "Other", "other")
            .await;
        (id, self.server.api_key(id).await)
    }

    /// Sends `method path` under `/api` with `token` and an optional raw JSON body, the
    /// way Gist's Ruby client does (a JSON Content-Type on every request).
    async fn raw(&self, method: Method, path: &str, token: &str, body: Option<&str>) -> Reply {
        let mut request = self
            .http
            .request(method, self.server.url(&format!("/api{path}")))
            .bearer_auth(token)
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{status} body is not JSON: {text}"));
        Reply { status, body }
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.raw(Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.raw(Method::POST, path, token, Some(&body.to_string()))
            .await
    }

    fn db(&self) -> &Db {
        &self.server.db
    }
}

/// A status and a JSON body.
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    /// Panics unless the status is 200; returns the body.
    fn ok(self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got {}", self.body);
        self.body
    }

    /// Panics unless this is an error with `status` in Gist's envelope.
    fn expect_error(&self, status: u16) {
        assert_eq!(self.status, status, "unexpected answer {}", self.body);
        assert!(
            self.body["errors"][0]["message"].is_string(),
            "errors envelope expected: {}",
            self.body
        );
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Inserts a user contact (with `user_id`) straight into the database.
async fn insert_user(db: &Db, workspace_id: i64, user_id: &str, email: &str) -> i64 {
    let sql = "INSERT INTO contacts (workspace_id, user_id, email, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $4) RETURNING id";
    let at = now();
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .bind(user_id)
            .bind(email)
            .bind(at)
            .fetch_one(pool)
            .await
            .expect("contact"),
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .bind(user_id)
            .bind(email)
            .bind(at)
            .fetch_one(pool)
            .await
            .expect("contact"),
    }
}

/// How many contacts the workspace has.
async fn count_contacts(db: &Db, workspace_id: i64) -> i64 {
    let sql = "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .fetch_one(pool)
            .await
            .expect("count"),
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .fetch_one(pool)
            .await
            .expect("count"),
    }
}

// ---------------------------------------------------------------------------------------
// Events

#[tokio::test]
async fn tracking_an_event_by_an_unknown_email_creates_a_lead_and_lists_the_event() {
    let env = Env::start().await;

    let event = env
        .post(
            "/events",
            &env.key,
            json!({
                "event_name": "Signed up",
                "email": "Lead@Example.com",
                "properties": {"plan": "pro", "seats": 3},
                "occurred_at": 1_700_000_000,
            }),
        )
        .await
        .ok();
    let event = &event["event"];
    assert_eq!(event["name"], "Signed up");
    assert_eq!(event["email"], "lead@example.com");
    assert_eq!(event["user_id"], Value::Null);
    assert_eq!(event["properties"], json!({"plan": "pro", "seats": 3}));
    assert_eq!(event["occurred_at"], 1_700_000_000);
    let contact_id = event["contact_id"].as_i64().expect("contact id");
    assert!(event["id"].is_i64());

    let again = env
        .post(
            "/events",
            &env.key,
            json!({"event_name": "Logged in", "email": "lead@example.com", "occurred_at": null}),
        )
        .await
        .ok();
    assert_eq!(
        again["event"]["contact_id"], contact_id,
        "one lead per email"
    );
    let occurred = again["event"]["occurred_at"].as_i64().expect("time");
    assert!((occurred - now()).abs() < 120, "null occurred_at means now");
    assert_eq!(again["event"]["properties"], json!({}));
    assert_eq!(count_contacts(env.db(), env.fixture.workspace_id).await, 1);

    let all = env.get("/events?event_type=all", &env.key).await.ok();
    let names: Vec<&str> = all["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Logged in", "Signed up"], "newest first");
    assert_eq!(all["pages"]["total_count"], 2);

    let filtered = env
        .get("/events?event_type=Signed%20up", &env.key)
        .await
        .ok();
    assert_eq!(filtered["events"].as_array().expect("events").len(), 1);
    assert_eq!(filtered["events"][0]["name"], "Signed up");
    assert_eq!(filtered["pages"]["total_count"], 1);
}

#[tokio::test]
async fn events_are_tracked_by_id_or_user_id_and_unknown_ones_are_not_found() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let id = insert_user(env.db(), ws, "u-1", "user@example.com").await;

    let by_user_id = env
        .post(
            "/events",
            &env.key,
            json!({"event_name": "a", "user_id": "u-1"}),
        )
        .await
        .ok();
    assert_eq!(by_user_id["event"]["contact_id"], id);
    assert_eq!(by_user_id["event"]["user_id"], "u-1");
    assert_eq!(by_user_id["event"]["email"], "user@example.com");

    let by_string_id = env
        .post(
            "/events",
            &env.key,
            json!({"event_name": "b", "id": id.to_string()}),
        )
        .await
        .ok();
    assert_eq!(by_string_id["event"]["contact_id"], id);

    env.post(
        "/events",
        &env.key,
        json!({"event_name": "c", "user_id": "nobody"}),
    )
    .await
    .expect_error(404);
    env.post(
        "/events",
        &env.key,
        json!({"event_name": "c", "id": 999_999}),
    )
    .await
    .expect_error(404);
    assert_eq!(count_contacts(env.db(), ws).await, 1, "no contact made");
}

#[tokio::test]
async fn tracking_without_a_name_or_contact_or_with_bad_input_is_refused() {
    let env = Env::start().await;
    let key = &env.key;

    env.post("/events", key, json!({"email": "a@example.com"}))
        .await
        .expect_error(400);
    env.post(
        "/events",
        key,
        json!({"event_name": "  ", "email": "a@example.com"}),
    )
    .await
    .expect_error(400);
    env.post("/events", key, json!({"event_name": "x"}))
        .await
        .expect_error(400);
    env.raw(Method::POST, "/events", key, Some("{\"event_name\": "))
        .await
        .expect_error(400);
    env.post(
        "/events",
        key,
        json!({"event_name": "x", "email": "a@example.com", "properties": "nope"}),
    )
    .await
    .expect_error(422);
    env.post(
        "/events",
        key,
        json!({"event_name": "x", "email": "a@example.com", "occurred_at": "yesterday"}),
    )
    .await
    .expect_error(422);
    env.post(
        "/events",
        key,
        json!({"event_name": "x", "email": "not-an-address"}),
    )
    .await
    .expect_error(422);
    env.post(
        "/events",
        key,
        json!({"event_name": 5, "email": "a@example.com"}),
    )
    .await
    .expect_error(422);

    let listed = env.get("/events", key).await.ok();
    assert_eq!(listed["events"], json!([]), "nothing was recorded");
    assert_eq!(count_contacts(env.db(), env.fixture.workspace_id).await, 0);
}

#[tokio::test]
async fn events_are_paged_with_next_links_until_the_last_page() {
    let env = Env::start().await;
    for index in 0..3 {
        env.post(
            "/events",
            &env.key,
            json!({"event_name": "view", "email": "p@example.com", "occurred_at": 100 + index}),
        )
        .await
        .ok();
    }

    let first = env.get("/events?per_page=2", &env.key).await.ok();
    assert_eq!(first["events"].as_array().expect("events").len(), 2);
    assert_eq!(first["events"][0]["occurred_at"], 102);
    let next = first["pages"]["next"].as_str().expect("next link");
    assert!(next.starts_with(&env.server.url("/api/events?")), "{next}");

    let path = next.split("/api").nth(1).expect("path");
    let second = env.get(path, &env.key).await.ok();
    assert_eq!(second["events"].as_array().expect("events").len(), 1);
    assert_eq!(second["events"][0]["occurred_at"], 100);
    assert!(
        second["pages"].get("next").is_none(),
        "no next on the last page"
    );

    env.get("/events?per_page=0", &env.key)
        .await
        .expect_error(400);
}

#[tokio::test]
async fn read_events_lets_a_token_list_events_but_never_track_them() {
    let env = Env::start().await;
    env.post(
        "/events",
        &env.key,
        json!({"event_name": "a", "email": "t@example.com"}),
    )
    .await
    .ok();

    let reader = env.token("read_events").await;
    let listed = env.get("/events", &reader).await.ok();
    assert_eq!(listed["events"].as_array().expect("events").len(), 1);
    env.post(
        "/events",
        &reader,
        json!({"event_name": "b", "email": "t@example.com"}),
    )
    .await
    .expect_error(403);

    let other = env.token("read_contact").await;
    env.get("/events", &other).await.expect_error(403);
    env.get("/events", "not-a-token").await.expect_error(401);
}

#[tokio::test]
async fn a_workspace_never_sees_or_tracks_for_another_workspaces_contacts() {
    let env = Env::start().await;
    let contact = insert_user(env.db(), env.fixture.workspace_id, "u-1", "a@example.com").await;
    env.post(
        "/events",
        &env.key,
        json!({"event_name": "mine", "id": contact}),
    )
    .await
    .ok();
    let (other_ws, other_key) = env.other_workspace().await;

    let theirs = env.get("/events", &other_key).await.ok();
    assert_eq!(theirs["events"], json!([]));
    env.post(
        "/events",
        &other_key,
        json!({"event_name": "x", "id": contact}),
    )
    .await
    .expect_error(404);
    env.post(
        "/events",
        &other_key,
        json!({"event_name": "x", "user_id": "u-1"}),
    )
    .await
    .expect_error(404);

    // The same email address is a different contact (a new lead) in the other workspace.
    let lead = env
        .post(
            "/events",
            &other_key,
            json!({"event_name": "x", "email": "a@example.com"}),
        )
        .await
        .ok();
    assert_ne!(lead["event"]["contact_id"], contact);
    assert_eq!(count_contacts(env.db(), other_ws).await, 1);
    let mine = env.get("/events", &env.key).await.ok();
    assert_eq!(mine["events"].as_array().expect("events").len(), 1);
}

// ---------------------------------------------------------------------------------------
// Campaigns

#[tokio::test]
async fn campaigns_are_listed_and_fetched_by_id() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let welcome = marketing::insert_campaign(env.db(), ws, "Welcome", now())
        .await
        .expect("campaign");
    marketing::insert_campaign(env.db(), ws, "Winback", now())
        .await
        .expect("campaign");

    let listed = env.get("/campaigns", &env.key).await.ok();
    assert_eq!(listed["campaigns"][0]["name"], "Welcome");
    assert_eq!(listed["campaigns"][1]["name"], "Winback");
    assert_eq!(listed["campaigns"][0]["subscriber_count"], 0);
    assert_eq!(listed["pages"]["total_count"], 2);

    let one = env
        .get(&format!("/campaigns/{welcome}"), &env.key)
        .await
        .ok();
    assert_eq!(one["campaign"]["id"], welcome);
    assert_eq!(one["campaign"]["name"], "Welcome");

    env.get("/campaigns/999999", &env.key)
        .await
        .expect_error(404);
    env.get("/campaigns/abc", &env.key).await.expect_error(404);
}

#[tokio::test]
async fn posting_to_campaigns_subscribes_unsubscribes_and_reactivates_a_contact() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let campaign = marketing::insert_campaign(env.db(), ws, "Welcome", now())
        .await
        .expect("campaign");
    let user = insert_user(env.db(), ws, "u-1", "user@example.com").await;

    // Gist's Ruby client posts to `campaigns/`, with the id as a string.
    let subscribed = env
        .post(
            "/campaigns/",
            &env.key,
            json!({"id": campaign.to_string(), "user_id": "u-1", "starting_email_index": 2}),
        )
        .await
        .ok();
    assert_eq!(subscribed["status"], "subscribed");
    assert_eq!(subscribed["contact"]["id"], user);
    assert_eq!(subscribed["campaign"]["id"], campaign);
    assert_eq!(subscribed["campaign"]["subscriber_count"], 1);
    assert_eq!(subscribed["starting_email_index"], 2);

    let unsubscribed = env
        .post(
            "/campaigns",
            &env.key,
            json!({"id": campaign, "email": "user@example.com", "unsubscribed": true}),
        )
        .await
        .ok();
    assert_eq!(unsubscribed["status"], "unsubscribed");
    assert_eq!(unsubscribed["campaign"]["subscriber_count"], 0);

    let stays = env
        .post(
            "/campaigns",
            &env.key,
            json!({"id": campaign, "user_id": "u-1"}),
        )
        .await
        .ok();
    assert_eq!(
        stays["status"], "unsubscribed",
        "removed contacts stay removed"
    );

    let back = env
        .post(
            "/campaigns",
            &env.key,
            json!({"id": campaign, "user_id": "u-1", "reactivate_if_removed": true}),
        )
        .await
        .ok();
    assert_eq!(back["status"], "subscribed");
    assert_eq!(back["starting_email_index"], 0);

    let lead = env
        .post(
            "/campaigns",
            &env.key,
            json!({"id": campaign, "email": "new@example.com"}),
        )
        .await
        .ok();
    assert_eq!(lead["status"], "subscribed");
    assert_eq!(lead["contact"]["email"], "new@example.com");
    assert_eq!(lead["campaign"]["subscriber_count"], 2);
}

#[tokio::test]
async fn campaign_subscriptions_with_bad_input_are_refused() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let campaign = marketing::insert_campaign(env.db(), ws, "Welcome", now())
        .await
        .expect("campaign");
    let key = &env.key;

    env.post("/campaigns", key, json!({"email": "a@example.com"}))
        .await
        .expect_error(400);
    env.post("/campaigns", key, json!({"id": campaign}))
        .await
        .expect_error(400);
    env.post(
        "/campaigns",
        key,
        json!({"id": 999_999, "email": "a@example.com"}),
    )
    .await
    .expect_error(404);
    env.post(
        "/campaigns",
        key,
        json!({"id": campaign, "user_id": "nobody"}),
    )
    .await
    .expect_error(404);
    env.post(
        "/campaigns",
        key,
        json!({"id": campaign, "email": "gone@example.com", "unsubscribed": true}),
    )
    .await
    .expect_error(404);
    env.post(
        "/campaigns",
        key,
        json!({"id": campaign, "email": "a@example.com", "starting_email_index": -1}),
    )
    .await
    .expect_error(422);
    env.post(
        "/campaigns",
        key,
        json!({"id": "seven", "email": "a@example.com"}),
    )
    .await
    .expect_error(422);
    env.raw(Method::POST, "/campaigns", key, Some("[1,"))
        .await
        .expect_error(400);
    assert_eq!(count_contacts(env.db(), ws).await, 0, "nothing was created");
}

#[tokio::test]
async fn campaigns_need_the_api_key_and_stay_in_their_workspace() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let campaign = marketing::insert_campaign(env.db(), ws, "Welcome", now())
        .await
        .expect("campaign");
    insert_user(env.db(), ws, "u-1", "user@example.com").await;

    let token = env.token("read_events read_contact").await;
    env.get("/campaigns", &token).await.expect_error(403);
    env.get(&format!("/campaigns/{campaign}"), &token)
        .await
        .expect_error(403);
    env.post(
        "/campaigns",
        &token,
        json!({"id": campaign, "user_id": "u-1"}),
    )
    .await
    .expect_error(403);

    let (other_ws, other_key) = env.other_workspace().await;
    let theirs = env.get("/campaigns", &other_key).await.ok();
    assert_eq!(theirs["campaigns"], json!([]));
    env.get(&format!("/campaigns/{campaign}"), &other_key)
        .await
        .expect_error(404);
    env.post(
        "/campaigns",
        &other_key,
        json!({"id": campaign, "email": "x@example.com"}),
    )
    .await
    .expect_error(404);
    assert_eq!(count_contacts(env.db(), other_ws).await, 0);
}

// ---------------------------------------------------------------------------------------
// Forms

#[tokio::test]
async fn forms_are_listed_fetched_by_form_id_and_subscribed_through() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let form = marketing::insert_form(env.db(), ws, "Newsletter", now())
        .await
        .expect("form");
    let user = insert_user(env.db(), ws, "u-1", "user@example.com").await;

    let listed = env.get("/forms", &env.key).await.ok();
    assert_eq!(listed["forms"][0]["id"], form);
    assert_eq!(listed["forms"][0]["name"], "Newsletter");
    assert_eq!(listed["pages"]["total_count"], 1);

    let one = env
        .get(&format!("/forms?form_id={form}"), &env.key)
        .await
        .ok();
    assert_eq!(one["form"]["id"], form);
    assert!(one.get("forms").is_none());
    env.get("/forms?form_id=999999", &env.key)
        .await
        .expect_error(404);

    let submitted = env
        .post(
            &format!("/forms/{form}/subscribe"),
            &env.key,
            json!({"email": "Reader@Example.com", "fields": {"topic": "rust"}, "name": "Rea"}),
        )
        .await
        .ok();
    let submission = &submitted["submission"];
    assert_eq!(submission["form_id"], form);
    assert_eq!(submission["contact"]["email"], "reader@example.com");
    assert_eq!(
        submission["fields"],
        json!({"topic": "rust", "name": "Rea"})
    );

    let by_user = env
        .post(
            &format!("/forms/{form}/subscribe"),
            &env.key,
            json!({"user_id": "u-1"}),
        )
        .await
        .ok();
    assert_eq!(by_user["submission"]["contact"]["id"], user);

    let submissions = env
        .get(&format!("/forms/{form}/submissions?per_page=1"), &env.key)
        .await
        .ok();
    assert_eq!(submissions["submissions"][0]["contact"]["id"], user);
    assert_eq!(submissions["pages"]["total_count"], 2);
    assert!(submissions["pages"]["next"].is_string());

    let counted = env
        .get(&format!("/forms?form_id={form}"), &env.key)
        .await
        .ok();
    assert_eq!(counted["form"]["submission_count"], 2);
}

#[tokio::test]
async fn form_subscriptions_with_bad_input_are_refused() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let form = marketing::insert_form(env.db(), ws, "Newsletter", now())
        .await
        .expect("form");
    let path = format!("/forms/{form}/subscribe");
    let key = &env.key;

    env.post(&path, key, json!({"fields": {"a": 1}}))
        .await
        .expect_error(400);
    env.post(
        &path,
        key,
        json!({"email": "a@example.com", "fields": "no"}),
    )
    .await
    .expect_error(422);
    env.post(&path, key, json!({"id": 999_999}))
        .await
        .expect_error(404);
    env.post(
        "/forms/999999/subscribe",
        key,
        json!({"email": "a@example.com"}),
    )
    .await
    .expect_error(404);
    env.get("/forms/999999/submissions", key)
        .await
        .expect_error(404);
    env.raw(Method::POST, &path, key, Some("{oops"))
        .await
        .expect_error(400);

    let submissions = env
        .get(&format!("/forms/{form}/submissions"), key)
        .await
        .ok();
    assert_eq!(submissions["submissions"], json!([]));
    assert_eq!(count_contacts(env.db(), ws).await, 0);
}

#[tokio::test]
async fn forms_need_the_api_key_and_stay_in_their_workspace() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let form = marketing::insert_form(env.db(), ws, "Newsletter", now())
        .await
        .expect("form");
    env.post(
        &format!("/forms/{form}/subscribe"),
        &env.key,
        json!({"email": "a@example.com"}),
    )
    .await
    .ok();

    let token = env.token("read_events read_contact").await;
    env.get("/forms", &token).await.expect_error(403);
    env.get(&format!("/forms/{form}/submissions"), &token)
        .await
        .expect_error(403);
    env.post(
        &format!("/forms/{form}/subscribe"),
        &token,
        json!({"email": "a@example.com"}),
    )
    .await
    .expect_error(403);

    let (_, other_key) = env.other_workspace().await;
    let theirs = env.get("/forms", &other_key).await.ok();
    assert_eq!(theirs["forms"], json!([]));
    env.get(&format!("/forms?form_id={form}"), &other_key)
        .await
        .expect_error(404);
    env.get(&format!("/forms/{form}/submissions"), &other_key)
        .await
        .expect_error(404);
    env.post(
        &format!("/forms/{form}/subscribe"),
        &other_key,
        json!({"email": "b@example.com"}),
    )
    .await
    .expect_error(404);
}

// ---------------------------------------------------------------------------------------
// Subscription types

#[tokio::test]
async fn subscription_types_are_listed_fetched_and_attached_and_detached() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let news = marketing::insert_subscription_type(env.db(), ws, "News", "Monthly news", now())
        .await
        .expect("type");
    let user = insert_user(env.db(), ws, "u-1", "user@example.com").await;

    let listed = env.get("/subscription_types", &env.key).await.ok();
    assert_eq!(listed["subscription_types"][0]["name"], "News");
    assert_eq!(
        listed["subscription_types"][0]["description"],
        "Monthly news"
    );
    assert_eq!(listed["pages"]["total_count"], 1);

    let one = env
        .get(&format!("/subscription_types/{news}"), &env.key)
        .await
        .ok();
    assert_eq!(one["subscription_type"]["id"], news);

    let path = format!("/subscription_types/{news}");
    let attached = env
        .post(&path, &env.key, json!({"contact_id": user.to_string()}))
        .await
        .ok();
    assert_eq!(attached["status"], "subscribed");
    assert_eq!(attached["contact"]["id"], user);
    assert_eq!(attached["subscription_type"]["subscriber_count"], 1);

    let detached = env
        .post(
            &path,
            &env.key,
            json!({"email": "user@example.com", "status": "unsubscribed"}),
        )
        .await
        .ok();
    assert_eq!(detached["status"], "unsubscribed");
    assert_eq!(detached["subscription_type"]["subscriber_count"], 0);

    let again = env
        .post(
            &path,
            &env.key,
            json!({"user_id": "u-1", "status": "subscribed"}),
        )
        .await
        .ok();
    assert_eq!(again["subscription_type"]["subscriber_count"], 1);
}

#[tokio::test]
async fn subscription_type_changes_with_bad_input_are_refused() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let news = marketing::insert_subscription_type(env.db(), ws, "News", "", now())
        .await
        .expect("type");
    insert_user(env.db(), ws, "u-1", "user@example.com").await;
    let path = format!("/subscription_types/{news}");
    let key = &env.key;

    env.post(&path, key, json!({"status": "subscribed"}))
        .await
        .expect_error(400);
    env.post(&path, key, json!({"user_id": "u-1", "status": "maybe"}))
        .await
        .expect_error(422);
    env.post(&path, key, json!({"user_id": "u-1", "status": 1}))
        .await
        .expect_error(422);
    env.post(&path, key, json!({"email": "unknown@example.com"}))
        .await
        .expect_error(404);
    env.post("/subscription_types/999999", key, json!({"user_id": "u-1"}))
        .await
        .expect_error(404);
    env.get("/subscription_types/999999", key)
        .await
        .expect_error(404);
    assert_eq!(count_contacts(env.db(), ws).await, 1, "no lead was made");
}

#[tokio::test]
async fn subscription_types_need_the_api_key_and_stay_in_their_workspace() {
    let env = Env::start().await;
    let ws = env.fixture.workspace_id;
    let news = marketing::insert_subscription_type(env.db(), ws, "News", "", now())
        .await
        .expect("type");
    insert_user(env.db(), ws, "u-1", "user@example.com").await;
    let path = format!("/subscription_types/{news}");

    let token = env.token("read_events read_contact").await;
    env.get("/subscription_types", &token)
        .await
        .expect_error(403);
    env.get(&path, &token).await.expect_error(403);
    env.post(&path, &token, json!({"user_id": "u-1"}))
        .await
        .expect_error(403);

    let (other_ws, other_key) = env.other_workspace().await;
    insert_user(env.db(), other_ws, "u-1", "user@example.com").await;
    let theirs = env.get("/subscription_types", &other_key).await.ok();
    assert_eq!(theirs["subscription_types"], json!([]));
    env.get(&path, &other_key).await.expect_error(404);
    env.post(&path, &other_key, json!({"user_id": "u-1"}))
        .await
        .expect_error(404);
}

// ---------------------------------------------------------------------------------------
// Command line

/// Runs the `gistd` binary on `database` with a clean environment.
fn gistd(database: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_gistd"));
    for name in [
        "GISTD_DATABASE",
        "GISTD_LISTEN",
        "GISTD_BASE_URL",
        "GISTD_DEMO",
        "GISTD_ACCESS_TOKEN_TTL",
    ] {
        command.env_remove(name);
    }
    let mut child = command
        .env("GISTD_LOG", "warn")
        .arg("--database")
        .arg(database)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gistd starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("stdin written");
    drop(input);
    child.wait_with_output().expect("gistd finishes")
}

/// The JSON a successful command printed.
fn printed(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[tokio::test]
async fn the_command_line_creates_segments_forms_campaigns_subscription_types_and_teams() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("gistd.db");
    let user = [
        "user",
        "create",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
        "--password-stdin",
        "--json",
    ];
    printed(&gistd(&database, &user, "correct horse battery staple\n"));
    let workspace = [
        "workspace",
        "create",
        "--owner",
        "ada@example.com",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--json",
    ];
    let workspace_id = printed(&gistd(&database, &workspace, ""))["id"]
        .as_i64()
        .expect("workspace id");

    let mut ids = Vec::new();
    for (kind, name) in [
        ("segment", "VIPs"),
        ("form", "Newsletter"),
        ("campaign", "Welcome"),
        ("team", "Support"),
    ] {
        let args = [
            kind,
            "create",
            "--workspace",
            "acme",
            "--name",
            name,
            "--json",
        ];
        let created = printed(&gistd(&database, &args, ""));
        assert_eq!(created["name"], name);
        assert_eq!(created["workspace"], "acme");
        ids.push(created["id"].as_i64().expect("id"));
    }
    let args = [
        "subscription-type",
        "create",
        "--workspace",
        "acme",
        "--name",
        "News",
        "--description",
        "Monthly news",
        "--json",
    ];
    let news = printed(&gistd(&database, &args, ""))["id"]
        .as_i64()
        .expect("id");

    let db = Db::connect(database.to_str().expect("path"))
        .await
        .expect("database");
    let form = marketing::find_form(&db, workspace_id, ids[1])
        .await
        .expect("query")
        .expect("form");
    assert_eq!(form.name, "Newsletter");
    let campaign = marketing::find_campaign(&db, workspace_id, ids[2])
        .await
        .expect("query")
        .expect("campaign");
    assert_eq!(campaign.name, "Welcome");
    let subscription_type = marketing::find_subscription_type(&db, workspace_id, news)
        .await
        .expect("query")
        .expect("subscription type");
    assert_eq!(subscription_type.description, "Monthly news");
    db.close().await;

    let twice = gistd(
        &database,
        &["team", "create", "--workspace", "acme", "--name", "Support"],
        "",
    );
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already exists"));
    assert!(twice.stdout.is_empty());

    let nowhere = gistd(
        &database,
        &["form", "create", "--workspace", "nope", "--name", "X"],
        "",
    );
    assert!(!nowhere.status.success());
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("No workspace has the slug nope"));

    let blank = gistd(
        &database,
        &["campaign", "create", "--workspace", "acme", "--name", " "],
        "",
    );
    assert!(!blank.status.success());
}

// ---------------------------------------------------------------------------------------
// OpenAPI

/// Every `$ref` under `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, member) in map {
                match member.as_str() {
                    Some(target) if name == "$ref" => found.push(target.to_owned()),
                    _ => refs(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_events_and_marketing_route() {
    let env = Env::start().await;
    let document: Value = env
        .http
        .get(env.server.url("/api/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");

    let paths = &document["paths"];
    for (path, method) in [
        ("/events", "get"),
        ("/events", "post"),
        ("/campaigns", "get"),
        ("/campaigns", "post"),
        ("/campaigns/{id}", "get"),
        ("/forms", "get"),
        ("/forms/{id}/subscribe", "post"),
        ("/forms/{id}/submissions", "get"),
        ("/subscription_types", "get"),
        ("/subscription_types/{id}", "get"),
        ("/subscription_types/{id}", "post"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["summary"].is_string(),
            "{method} {path} has no summary"
        );
    }

    let mut found = Vec::new();
    refs(paths, &mut found);
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .expect("schema reference");
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} does not resolve"
        );
    }
}
