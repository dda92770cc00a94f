//! The contacts, tags and segments endpoints of the REST API, over real HTTP: upsert
//! rules, lookups, filters, paging through a thousand contacts, the overloaded
//! `POST /tags`, segments, and the scope each endpoint needs.

mod support;

use gistd::domain::clock::Clock;
use gistd::storage::{Db, contacts, segments};
use serde_json::{Value, json};
use std::collections::HashSet;
use support::{Fixture, REDIRECT_URI, TestServer, authorize_url, location, query_param};

/// Every scope the fixture app may ask for in these tests.
const SCOPES: &str = "read_contact write_contact read_bulk_contacts write_bulk_contacts \
                      read_tags write_tags";

/// A response, read in full.
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    /// Panics unless the status is `status`; returns the body.
    fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer {}", self.body);
        self.body
    }

    /// Panics unless this is an API error with `status`; returns its message.
    fn expect_error(self, status: u16) -> String {
        let body = self.expect(status);
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {body}"))
            .to_owned()
    }
}

/// A REST API client with one bearer credential.
struct Api {
    http: reqwest::Client,
    base: String,
    bearer: String,
}

impl Api {
    fn new(server: &TestServer, bearer: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: server.url("/api"),
            bearer: bearer.to_owned(),
        }
    }

    /// `path` relative to `/api`, or an absolute URL (a `pages.next` link).
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .bearer_auth(&self.bearer)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path))).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(self.url(path))).await
    }

    /// `POST /contacts`, expecting success; returns the contact.
    async fn upsert(&self, body: Value) -> Value {
        self.post("/contacts", body).await.expect(200)["contact"].clone()
    }
}

/// A server with the fixture workspace and an API client holding its API key.
async fn start() -> (TestServer, Fixture, Api) {
    start_with(|_| {}).await
}

async fn start_with(
    configure: impl FnOnce(&mut gistd::config::Settings),
) -> (TestServer, Fixture, Api) {
    let server = TestServer::start_with(configure).await;
    let fixture = server.fixture(SCOPES).await;
    let key = server.api_key(fixture.workspace_id).await;
    let api = Api::new(&server, &key);
    (server, fixture, api)
}

/// An OAuth access token of the fixture app for `scope`, through the log-in and consent
/// pages.
async fn oauth_token(server: &TestServer, fixture: &Fixture, scope: &str) -> String {
    let browser = server.browser();
    browser.login(&fixture.email).await;
    let url = authorize_url(server, &fixture.client_id, scope, &[]);
    let response = browser.get(&url).await;
    let redirect = match response.status().as_u16() {
        200 => {
            let page = response.text().await.expect("consent page");
            browser.decide(&page, "allow", "acme").await
        }
        302 => location(&response),
        other => panic!("authorization answered {other}"),
    };
    let code = query_param(&redirect, "code").expect("code");
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &fixture.client_id),
            ("client_secret", &fixture.client_secret),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// The ids of a list of contacts (or tags, or segments).
fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

/// Runs one SQL statement with no parameters.
async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .expect("statement runs");
}

#[tokio::test]
async fn a_new_contact_with_only_an_email_is_a_lead_with_every_field() {
    let (_server, _fixture, api) = start().await;

    let contact = api.upsert(json!({"email": "  Ada@Example.com "})).await;

    assert_eq!(contact["type"], "lead");
    assert_eq!(contact["email"], "ada@example.com");
    assert_eq!(contact["user_id"], Value::Null);
    assert_eq!(contact["unsubscribed_from_emails"], false);
    assert_eq!(contact["created_at"], contact["updated_at"]);
    let fields = [
        "type",
        "id",
        "name",
        "email",
        "user_id",
        "phone",
        "created_at",
        "updated_at",
        "last_seen_at",
        "signed_up_at",
        "last_contacted_at",
        "session_count",
        "avatar",
        "landing_url",
        "original_referrer",
        "last_seen_ip",
        "last_seen_user_agent",
        "location_data",
        "segments",
        "tags",
        "social_profiles",
        "custom_properties",
        "unsubscribed_from_emails",
    ];
    let object = contact.as_object().expect("an object");
    for field in fields {
        assert!(object.contains_key(field), "no `{field}` in {contact}");
    }
    assert_eq!(object.len(), fields.len(), "unexpected fields in {contact}");
    assert!(contact["location_data"].is_object());
    assert!(contact["custom_properties"].is_object());
    assert!(contact["social_profiles"].is_array());
}

#[tokio::test]
async fn an_upsert_needs_an_email_or_a_user_id() {
    let (_server, _fixture, api) = start().await;

    for body in [
        json!({}),
        json!({"name": "Nobody"}),
        json!({"email": "", "user_id": " "}),
    ] {
        api.post("/contacts", body).await.expect_error(400);
    }
    api.post("/contacts", json!({"email": "not an address"}))
        .await
        .expect_error(422);
    api.post(
        "/contacts",
        json!({"email": "a@example.com", "type": "visitor"}),
    )
    .await
    .expect_error(422);
    // An id alone must name an existing contact.
    api.post("/contacts", json!({"id": 999_999, "name": "Ghost"}))
        .await
        .expect_error(404);
}

#[tokio::test]
async fn upserts_match_by_id_then_user_id_then_email_and_a_lead_becomes_a_user() {
    let (_server, _fixture, api) = start().await;
    let lead = api
        .upsert(json!({"email": "grace@example.com", "name": "Grace"}))
        .await;

    // By email: the same contact, now a user.
    let user = api
        .upsert(json!({"email": "GRACE@example.com", "user_id": "u-1", "phone": "555"}))
        .await;
    assert_eq!(user["id"], lead["id"]);
    assert_eq!(user["type"], "user");
    assert_eq!(user["user_id"], "u-1");
    assert_eq!(user["name"], "Grace");
    assert_eq!(user["phone"], "555");

    // By user id (sent as a number by some clients): the email address changes.
    api.upsert(json!({"user_id": 7, "email": "seven@example.com"}))
        .await;
    let seven = api
        .upsert(json!({"user_id": "7", "email": "new7@example.com"}))
        .await;
    assert_eq!(seven["email"], "new7@example.com");
    assert_eq!(seven["type"], "user");

    // By id, which wins over the other keys.
    let renamed = api
        .upsert(json!({"id": lead["id"].to_string(), "user_id": "u-2", "name": "Grace H."}))
        .await;
    assert_eq!(renamed["id"], lead["id"]);
    assert_eq!(renamed["user_id"], "u-2");
    assert_eq!(renamed["name"], "Grace H.");

    // An unknown id with an email falls through to the email.
    let by_email = api
        .upsert(json!({"id": 999_999, "email": "new7@example.com", "name": "Seven"}))
        .await;
    assert_eq!(by_email["id"], seven["id"]);

    // Blank clears a text field; absent and null keep it.
    let cleared = api
        .upsert(json!({"id": lead["id"], "phone": "", "name": null}))
        .await;
    assert_eq!(cleared["phone"], Value::Null);
    assert_eq!(cleared["name"], "Grace H.");

    // Gist's Ruby client sets `full_name` on a fetched object.
    let mut fetched = cleared.clone();
    fetched["full_name"] = json!("Grace Hopper");
    assert_eq!(api.upsert(fetched).await["name"], "Grace Hopper");
}

#[tokio::test]
async fn an_upsert_that_would_duplicate_an_email_or_user_id_is_a_conflict() {
    let (_server, _fixture, api) = start().await;
    let ada = api
        .upsert(json!({"email": "ada@example.com", "user_id": "ada"}))
        .await;
    let bob = api
        .upsert(json!({"email": "bob@example.com", "user_id": "bob"}))
        .await;

    // Bob's id with Ada's email or user id.
    let message = api
        .post(
            "/contacts",
            json!({"id": bob["id"], "email": "ADA@example.com"}),
        )
        .await
        .expect_error(409);
    assert!(message.contains("email"), "{message}");
    let message = api
        .post("/contacts", json!({"id": bob["id"], "user_id": "ada"}))
        .await
        .expect_error(409);
    assert!(message.contains("user_id"), "{message}");
    // A new user id with an email that belongs to another user.
    api.post(
        "/contacts",
        json!({"user_id": "carol", "email": "ada@example.com"}),
    )
    .await
    .expect_error(409);

    // Nothing changed.
    let after = api
        .get(&format!("/contacts/{}", bob["id"]))
        .await
        .expect(200);
    assert_eq!(after["contact"]["email"], "bob@example.com");
    assert_eq!(after["contact"]["user_id"], "bob");
    let after = api
        .get(&format!("/contacts/{}", ada["id"]))
        .await
        .expect(200);
    assert_eq!(after["contact"]["user_id"], "ada");
}

#[tokio::test]
async fn a_fetched_contact_posted_back_whole_changes_nothing() {
    let (server, fixture, api) = start().await;
    let created = api
        .upsert(json!({
            "email": "lin@example.com",
            "user_id": "lin",
            "name": "Lin",
            "signed_up_at": 1_700_000_000,
            "last_seen_ip": "192.0.2.1",
            "last_seen_user_agent": "Firefox",
            "unsubscribed_from_emails": "true",
            "custom_properties": {"plan": "pro", "seats": 3, "beta": true, "langs": ["en"]},
            "location_data": {"city_name": "Paris", "country_code": "FR", "latitude": 48.8},
            "tags": ["VIP", "Beta"],
        }))
        .await;
    let segment = segments::insert_segment(&server.db, fixture.workspace_id, "Active", 1)
        .await
        .expect("segment");
    let contact_id = created["id"].as_i64().expect("id");
    assert!(
        segments::add_contact_to_segment(&server.db, segment, contact_id)
            .await
            .expect("added")
    );
    let fetched = api
        .get(&format!("/contacts/{contact_id}"))
        .await
        .expect(200)["contact"]
        .clone();
    assert_eq!(fetched["unsubscribed_from_emails"], true);
    assert_eq!(fetched["tags"].as_array().map(Vec::len), Some(2));
    assert_eq!(fetched["segments"][0]["name"], "Active");

    server.clock.advance(60);
    let posted_back = api.upsert(fetched.clone()).await;

    assert_eq!(
        posted_back, fetched,
        "read-only fields ignored, nothing changed"
    );
}

#[tokio::test]
async fn custom_properties_merge_and_tags_add_and_changes_move_updated_at() {
    let (server, _fixture, api) = start().await;
    let contact = api
        .upsert(json!({
            "email": "max@example.com",
            "custom_properties": {"plan": "free", "age": 30},
            "tags": ["vip"],
        }))
        .await;

    server.clock.advance(100);
    let updated = api
        .upsert(json!({
            "email": "max@example.com",
            "custom_properties": {"plan": "pro", "age": null, "team": "core"},
            "tags": ["VIP", {"name": "Newsletter"}],
        }))
        .await;

    assert_eq!(
        updated["custom_properties"],
        json!({"plan": "pro", "team": "core"})
    );
    let names: Vec<&str> = updated["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| tag["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Newsletter", "vip"], "`VIP` is the existing `vip`");
    // The test clock is the wall clock plus an offset, so a second may tick between the
    // two requests.
    let moved = updated["updated_at"].as_i64().unwrap() - contact["updated_at"].as_i64().unwrap();
    assert!((100..=101).contains(&moved), "updated_at moved by {moved}");
    assert_eq!(updated["created_at"], contact["created_at"]);

    // A tag object with only an id must name one of the workspace's tags.
    api.post(
        "/contacts",
        json!({"email": "max@example.com", "tags": [{"id": 999_999}]}),
    )
    .await
    .expect_error(422);
}

#[tokio::test]
async fn contacts_are_found_by_id_email_or_user_id_and_misses_are_404() {
    let (_server, _fixture, api) = start().await;
    let contact = api
        .upsert(json!({"email": "ada+news@example.com", "user_id": "a b+c"}))
        .await;

    // Gist's Ruby client puts the address in the query unescaped: `+` stays a plus.
    let found = api
        .get("/contacts?email=ada+news@example.com")
        .await
        .expect(200);
    assert_eq!(found["contact"]["id"], contact["id"]);
    let found = api
        .get("/contacts?email=ADA%2Bnews%40example.com")
        .await
        .expect(200);
    assert_eq!(found["contact"]["id"], contact["id"]);
    let found = api.get("/contacts?user_id=a%20b%2Bc").await.expect(200);
    assert_eq!(found["contact"]["id"], contact["id"]);
    assert!(found.get("contacts").is_none(), "one contact, not a list");
    let found = api
        .get(&format!("/contacts/{}", contact["id"]))
        .await
        .expect(200);
    assert_eq!(found["contact"]["email"], "ada+news@example.com");

    api.get("/contacts?email=nobody@example.com")
        .await
        .expect_error(404);
    api.get("/contacts?user_id=nobody").await.expect_error(404);
    api.get("/contacts?email=").await.expect_error(404);
    api.get("/contacts/999999").await.expect_error(404);
    api.get("/contacts/abc").await.expect_error(404);
}

#[tokio::test]
async fn contacts_are_deleted_by_id_email_or_user_id_and_returned() {
    let (_server, _fixture, api) = start().await;
    let first = api
        .upsert(json!({"email": "one+x@example.com", "tags": ["t"]}))
        .await;
    let second = api.upsert(json!({"user_id": "two"})).await;
    let third = api.upsert(json!({"email": "three@example.com"})).await;

    let deleted = api
        .delete(&format!("/contacts/{}", third["id"]))
        .await
        .expect(200);
    assert_eq!(deleted["contact"], third);
    let deleted = api
        .delete("/contacts?email=one+x@example.com")
        .await
        .expect(200);
    assert_eq!(deleted["contact"]["id"], first["id"]);
    assert_eq!(deleted["contact"]["tags"][0]["name"], "t");
    let deleted = api.delete("/contacts?user_id=two").await.expect(200);
    assert_eq!(deleted["contact"]["id"], second["id"]);

    api.delete(&format!("/contacts/{}", third["id"]))
        .await
        .expect_error(404);
    api.delete("/contacts?user_id=two").await.expect_error(404);
    api.delete("/contacts").await.expect_error(400);
    let list = api.get("/contacts").await.expect(200);
    assert_eq!(list["contacts"], json!([]));
    assert_eq!(list["pages"]["total_count"], 0);
}

#[tokio::test]
async fn a_batch_upserts_in_order_all_or_nothing_and_at_most_100() {
    let (_server, _fixture, api) = start().await;
    let existing = api.upsert(json!({"email": "old@example.com"})).await;

    let batch = api
        .post(
            "/contacts/batch",
            json!({"contacts": [
                {"email": "new@example.com", "name": "New"},
                {"email": "old@example.com", "user_id": "old"},
                {"email": "new@example.com", "phone": "1"},
            ]}),
        )
        .await
        .expect(200);
    let contacts = &batch["contacts"];
    assert_eq!(contacts.as_array().map(Vec::len), Some(3));
    assert_eq!(contacts[1]["id"], existing["id"]);
    assert_eq!(contacts[1]["type"], "user");
    assert_eq!(contacts[0]["id"], contacts[2]["id"]);
    assert_eq!(contacts[2]["name"], "New");
    assert_eq!(contacts[2]["phone"], "1");
    assert!(batch.get("pages").is_none());

    // One bad item refuses the whole batch and is named.
    let message = api
        .post(
            "/contacts/batch",
            json!({"contacts": [{"email": "fine@example.com"}, {"name": "no key"}]}),
        )
        .await
        .expect_error(400);
    assert!(message.starts_with("contacts[1]"), "{message}");
    let message = api
        .post(
            "/contacts/batch",
            json!({"contacts": [{"email": "fine@example.com"}, {"email": "new@example.com", "user_id": "old"}]}),
        )
        .await
        .expect_error(409);
    assert!(message.starts_with("contacts[1]"), "{message}");
    api.get("/contacts?email=fine@example.com")
        .await
        .expect_error(404);

    let too_many: Vec<Value> = (0..101)
        .map(|n| json!({"email": format!("p{n}@example.com")}))
        .collect();
    api.post("/contacts/batch", json!({"contacts": too_many}))
        .await
        .expect_error(422);
    let empty = api
        .post("/contacts/batch", json!({"contacts": []}))
        .await
        .expect(200);
    assert_eq!(empty["contacts"], json!([]));
}

#[tokio::test]
async fn lists_filter_by_tag_segment_email_and_creation_time_and_sort() {
    let (server, fixture, api) = start().await;
    let ada = api
        .upsert(json!({"email": "ada@lovelace.org", "tags": ["VIP"]}))
        .await;
    server.clock.advance(10);
    let bob = api
        .upsert(json!({"email": "bob@example.com", "tags": ["vip", "b"]}))
        .await;
    server.clock.advance(10);
    let cy = api.upsert(json!({"email": "cy_x@EXAMPLE.com"})).await;
    let (ada, bob, cy) = (ada["id"].clone(), bob["id"].clone(), cy["id"].clone());
    let tag_id = api
        .get("/contacts?email=ada@lovelace.org")
        .await
        .expect(200)["contact"]["tags"][0]["id"]
        .clone();
    let segment = segments::insert_segment(&server.db, fixture.workspace_id, "S", 1)
        .await
        .expect("segment");
    for id in [&ada, &cy] {
        segments::add_contact_to_segment(&server.db, segment, id.as_i64().expect("id"))
            .await
            .expect("added");
    }
    let list = |query: String| {
        let api = &api;
        async move { ids(&api.get(&format!("/contacts{query}")).await.expect(200)["contacts"]) }
    };
    let as_ids = |values: &[&Value]| -> Vec<i64> {
        values.iter().map(|v| v.as_i64().expect("id")).collect()
    };

    assert_eq!(
        list(String::new()).await,
        as_ids(&[&cy, &bob, &ada]),
        "newest first"
    );
    assert_eq!(list("?order=asc".into()).await, as_ids(&[&ada, &bob, &cy]));
    assert_eq!(
        list(format!("?tag_id={tag_id}")).await,
        as_ids(&[&bob, &ada])
    );
    assert_eq!(list("?tags=Vip".into()).await, as_ids(&[&bob, &ada]));
    assert_eq!(list("?tags=nope".into()).await, Vec::<i64>::new());
    assert_eq!(
        list(format!("?segment_id={segment}")).await,
        as_ids(&[&cy, &ada])
    );
    assert_eq!(
        list("?email_like=EXAMPLE.COM".into()).await,
        as_ids(&[&cy, &bob])
    );
    assert_eq!(
        list("?email_like=y_".into()).await,
        as_ids(&[&cy]),
        "`_` is literal"
    );
    assert_eq!(
        list("?email_like=%25".into()).await,
        Vec::<i64>::new(),
        "`%` is literal"
    );
    let since = server.clock.now() - 15;
    assert_eq!(
        list(format!("?created_since={since}")).await,
        as_ids(&[&cy, &bob])
    );
    assert_eq!(
        list(format!("?tags=vip&created_since={since}&order=asc")).await,
        as_ids(&[&bob])
    );

    // Updating Ada moves her to the front of the list by update time.
    server.clock.advance(10);
    api.upsert(json!({"id": ada, "name": "Ada"})).await;
    assert_eq!(
        list("?order_by=updated_at".into()).await,
        as_ids(&[&ada, &cy, &bob])
    );

    for bad in [
        "?order=up",
        "?order_by=name",
        "?tag_id=x",
        "?created_since=yesterday",
        "?per_page=0",
        "?per_page=101",
        "?campaign_id=1",
    ] {
        api.get(&format!("/contacts{bad}")).await.expect_error(400);
    }
}

#[tokio::test]
async fn a_thousand_contacts_page_through_each_exactly_once_either_way() {
    let (_server, _fixture, api) = start_with(|settings| settings.api_rate_limit = 10_000).await;
    let mut created = HashSet::new();
    for batch in 0..10 {
        let contacts: Vec<Value> = (0..100)
            .map(|n| json!({"email": format!("person{:04}@example.com", batch * 100 + n)}))
            .collect();
        let reply = api
            .post("/contacts/batch", json!({"contacts": contacts}))
            .await;
        created.extend(ids(&reply.expect(200)["contacts"]));
    }
    assert_eq!(created.len(), 1000);

    // Following `pages.next` (30 a page: the last page is short).
    let mut seen = Vec::new();
    let mut url = "/contacts?per_page=30".to_owned();
    let mut pages = 0;
    loop {
        let page = api.get(&url).await.expect(200);
        pages += 1;
        assert_eq!(page["pages"]["total_count"], 1000);
        seen.extend(ids(&page["contacts"]));
        match page["pages"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http"), "a full URL: {next}");
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 34);
    assert_eq!(seen.len(), 1000, "no contact twice");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), created);

    // Counting pages until one is short (50 a page: the 21st is empty).
    let mut seen = Vec::new();
    let mut page_number = 1;
    loop {
        let page = api
            .get(&format!(
                "/contacts?order=asc&per_page=50&page={page_number}"
            ))
            .await
            .expect(200);
        let contacts = ids(&page["contacts"]);
        seen.extend(&contacts);
        if contacts.len() < 50 {
            break;
        }
        page_number += 1;
    }
    assert_eq!(page_number, 21);
    assert_eq!(seen.len(), 1000, "no contact twice");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), created);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "oldest first, equal times by id");
}

#[tokio::test]
async fn last_contacted_at_is_the_newest_teammate_reply() {
    let (server, fixture, api) = start().await;
    let contact = api.upsert(json!({"email": "talk@example.com"})).await;
    assert_eq!(contact["last_contacted_at"], Value::Null);
    let id = contact["id"].as_i64().expect("id");
    let workspace = fixture.workspace_id;
    execute(
        &server.db,
        &format!(
            "INSERT INTO conversations (id, workspace_id, state, created_at, updated_at) \
             VALUES (900, {workspace}, 'open', 1, 1)"
        ),
    )
    .await;
    execute(
        &server.db,
        &format!(
            "INSERT INTO conversation_contacts (conversation_id, contact_id) VALUES (900, {id})"
        ),
    )
    .await;
    execute(
        &server.db,
        "INSERT INTO messages (conversation_id, message_type, body, author_type, author_id, created_at) \
         VALUES (900, 'reply', 'hi', 'contact', 1, 500), (900, 'reply', 'hello', 'teammate', 1, 400), \
         (900, 'note', 'psst', 'teammate', 1, 600), (900, 'reply', 'older', 'teammate', 1, 300)",
    )
    .await;

    let found = api.get(&format!("/contacts/{id}")).await.expect(200);
    assert_eq!(found["contact"]["last_contacted_at"], 400);
}

#[tokio::test]
async fn tags_are_created_renamed_listed_and_deleted() {
    let (server, _fixture, api) = start().await;

    let vip = api
        .post("/tags", json!({"name": " VIP "}))
        .await
        .expect(200)["tag"]
        .clone();
    assert_eq!(vip["name"], "VIP");
    let again = api.post("/tags", json!({"name": "vip"})).await.expect(200);
    assert_eq!(
        again["tag"], vip,
        "an existing name in any case is that tag"
    );
    let beta = api.post("/tags", json!({"name": "beta"})).await.expect(200)["tag"].clone();

    let renamed = api
        .post(
            "/tags",
            json!({"id": vip["id"].to_string(), "name": "Gold"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["tag"], json!({"id": vip["id"], "name": "Gold"}));
    api.post("/tags", json!({"id": vip["id"], "name": "gold"}))
        .await
        .expect(200);
    api.post("/tags", json!({"id": vip["id"], "name": "BETA"}))
        .await
        .expect_error(409);
    api.post("/tags", json!({"id": 999_999, "name": "x"}))
        .await
        .expect_error(404);
    api.post("/tags", json!({"name": "  "}))
        .await
        .expect_error(422);
    api.post("/tags", json!({})).await.expect_error(400);

    let list = api.get("/tags").await.expect(200);
    assert_eq!(
        list["tags"],
        json!([beta, {"id": vip["id"], "name": "gold"}])
    );
    assert_eq!(list["pages"]["total_count"], 2);
    let page = api.get("/tags?per_page=1&page=2").await.expect(200);
    assert_eq!(ids(&page["tags"]), [vip["id"].as_i64().expect("id")]);

    // Deleting a tag takes it off its contacts.
    let contact = api
        .upsert(json!({"email": "t@example.com", "tags": ["beta"]}))
        .await;
    server.clock.advance(5);
    let deleted = api
        .delete(&format!("/tags/{}", beta["id"]))
        .await
        .expect(200);
    assert_eq!(deleted["tag"], beta);
    let after = api
        .get(&format!("/contacts/{}", contact["id"]))
        .await
        .expect(200);
    assert_eq!(after["contact"]["tags"], json!([]));
    // Wall clock plus offset: allow the second that may tick between requests.
    let moved =
        after["contact"]["updated_at"].as_i64().unwrap() - contact["updated_at"].as_i64().unwrap();
    assert!((5..=6).contains(&moved), "updated_at moved by {moved}");
    api.delete(&format!("/tags/{}", beta["id"]))
        .await
        .expect_error(404);
}

#[tokio::test]
async fn post_tags_with_contacts_tags_and_untags_them() {
    let (_server, _fixture, api) = start().await;
    let ada = api.upsert(json!({"email": "ada@example.com"})).await;
    let bob = api
        .upsert(json!({"email": "bob@example.com", "user_id": "bob"}))
        .await;
    let cy = api.upsert(json!({"email": "cy@example.com"})).await;
    let tags_of = |contact: Value| {
        let api = &api;
        async move {
            let found = api
                .get(&format!("/contacts/{}", contact["id"]))
                .await
                .expect(200);
            found["contact"]["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .map(|tag| tag["name"].as_str().expect("name").to_owned())
                .collect::<Vec<_>>()
        }
    };

    // By name, creating the tag; contacts by id (as a string), user id and email.
    let tag = api
        .post(
            "/tags",
            json!({"name": "Trial", "contacts": [
                {"id": ada["id"].to_string()}, {"user_id": "bob"}, {"email": "CY@example.com"},
            ]}),
        )
        .await
        .expect(200)["tag"]
        .clone();
    assert_eq!(tag["name"], "Trial");
    for contact in [&ada, &bob, &cy] {
        assert_eq!(tags_of(contact.clone()).await, ["Trial"]);
    }
    let listed = api
        .get(&format!("/contacts?tag_id={}", tag["id"]))
        .await
        .expect(200);
    assert_eq!(listed["pages"]["total_count"], 3);

    // By id with a display label as the name (as Pipedream sends): no rename; untag one.
    let reply = api
        .post(
            "/tags",
            json!({"id": tag["id"], "name": "some label", "contacts": [
                {"id": bob["id"], "untag": true}, {"id": ada["id"], "untag": false},
            ]}),
        )
        .await
        .expect(200);
    assert_eq!(reply["tag"], tag);
    assert_eq!(tags_of(bob.clone()).await, Vec::<String>::new());
    assert_eq!(tags_of(ada.clone()).await, ["Trial"]);

    // An unknown contact refuses the whole request, and creates no tag.
    api.post(
        "/tags",
        json!({"name": "Other", "contacts": [{"id": ada["id"]}, {"email": "nobody@example.com"}]}),
    )
    .await
    .expect_error(404);
    assert_eq!(tags_of(ada.clone()).await, ["Trial"]);
    let all = api.get("/tags").await.expect(200);
    assert_eq!(all["tags"].as_array().map(Vec::len), Some(1));
    api.post("/tags", json!({"name": "Other", "contacts": [{}]}))
        .await
        .expect_error(422);
    // Untagging only, from a tag that does not exist.
    api.post(
        "/tags",
        json!({"name": "Missing", "contacts": [{"id": ada["id"], "untag": true}]}),
    )
    .await
    .expect_error(404);
}

#[tokio::test]
async fn segments_are_listed_and_fetched_with_counts_on_request() {
    let (server, fixture, api) = start().await;
    let first = segments::insert_segment(&server.db, fixture.workspace_id, "Active", 10)
        .await
        .expect("segment");
    let second = segments::insert_segment(&server.db, fixture.workspace_id, "Dormant", 20)
        .await
        .expect("segment");
    for n in 0..3 {
        let contact = api
            .upsert(json!({"email": format!("s{n}@example.com")}))
            .await;
        let added = segments::add_contact_to_segment(
            &server.db,
            first,
            contact["id"].as_i64().expect("id"),
        )
        .await
        .expect("added");
        assert!(added);
    }

    let list = api.get("/segments").await.expect(200);
    assert_eq!(
        list["segments"],
        json!([
            {"id": first, "name": "Active", "created_at": 10, "updated_at": 10},
            {"id": second, "name": "Dormant", "created_at": 20, "updated_at": 20},
        ])
    );
    assert_eq!(list["pages"]["total_count"], 2);
    let counted = api.get("/segments?include_count=true").await.expect(200);
    assert_eq!(counted["segments"][0]["count"], 3);
    assert_eq!(counted["segments"][1]["count"], 0);

    let one = api.get(&format!("/segments/{second}")).await.expect(200);
    assert_eq!(one["segment"]["name"], "Dormant");
    assert!(one["segment"].get("count").is_none());
    let one = api
        .get(&format!("/segments/{first}?include_count=true"))
        .await
        .expect(200);
    assert_eq!(one["segment"]["count"], 3);
    api.get("/segments/999999").await.expect_error(404);
    api.get("/segments?include_count=maybe")
        .await
        .expect_error(400);

    // Another workspace's contact cannot join this workspace's segment.
    server.create_user("eve@example.com", "Eve").await;
    let other = server
        .create_workspace("eve@example.com", "Other", "other")
        .await;
    let stranger = contacts::upsert_contacts(
        &server.db,
        other,
        &[contacts::ContactUpsert {
            email: Some("stranger@example.com".into()),
            ..Default::default()
        }],
        1,
    )
    .await
    .expect("created");
    assert!(
        !segments::add_contact_to_segment(&server.db, first, stranger[0])
            .await
            .expect("checked")
    );
}

#[tokio::test]
async fn workspaces_see_only_their_own_contacts_tags_and_segments() {
    let (server, fixture, api) = start().await;
    let contact = api
        .upsert(json!({"email": "mine@example.com", "tags": ["mine"]}))
        .await;
    let segment = segments::insert_segment(&server.db, fixture.workspace_id, "Mine", 1)
        .await
        .expect("segment");
    server.create_user("eve@example.com", "Eve").await;
    let other = server
        .create_workspace("eve@example.com", "Other", "other")
        .await;
    let eve = Api::new(&server, &server.api_key(other).await);

    eve.get(&format!("/contacts/{}", contact["id"]))
        .await
        .expect_error(404);
    eve.get("/contacts?email=mine@example.com")
        .await
        .expect_error(404);
    eve.delete(&format!("/contacts/{}", contact["id"]))
        .await
        .expect_error(404);
    eve.post("/contacts", json!({"id": contact["id"], "name": "Stolen"}))
        .await
        .expect_error(404);
    eve.get(&format!("/segments/{segment}"))
        .await
        .expect_error(404);
    let tag_id = &contact["tags"][0]["id"];
    eve.delete(&format!("/tags/{tag_id}"))
        .await
        .expect_error(404);
    eve.post("/tags", json!({"id": tag_id, "name": "x"}))
        .await
        .expect_error(404);
    assert_eq!(
        eve.get("/contacts").await.expect(200)["contacts"],
        json!([])
    );
    assert_eq!(eve.get("/tags").await.expect(200)["tags"], json!([]));
    // The same email address is a different contact in another workspace.
    let theirs = eve.upsert(json!({"email": "mine@example.com"})).await;
    assert_ne!(theirs["id"], contact["id"]);
}

#[tokio::test]
async fn each_endpoint_needs_its_scope() {
    let (server, fixture, api) = start().await;
    let contact = api.upsert(json!({"email": "scoped@example.com"})).await;
    let id = contact["id"].clone();

    let read_one = Api::new(
        &server,
        &oauth_token(&server, &fixture, "read_contact").await,
    );
    read_one.get(&format!("/contacts/{id}")).await.expect(200);
    read_one
        .get("/contacts?email=scoped@example.com")
        .await
        .expect(200);
    read_one.get("/contacts").await.expect_error(403);
    read_one
        .post("/contacts", json!({"email": "x@example.com"}))
        .await
        .expect_error(403);
    read_one.get("/tags").await.expect_error(403);
    read_one.get("/segments").await.expect_error(403);

    let bulk = Api::new(
        &server,
        &oauth_token(&server, &fixture, "read_bulk_contacts").await,
    );
    bulk.get("/contacts").await.expect(200);
    bulk.get("/segments").await.expect(200);
    bulk.get(&format!("/contacts/{id}")).await.expect_error(403);

    let write = Api::new(
        &server,
        &oauth_token(&server, &fixture, "write_contact").await,
    );
    write
        .post("/contacts", json!({"email": "w@example.com"}))
        .await
        .expect(200);
    write
        .post("/contacts/batch", json!({"contacts": []}))
        .await
        .expect_error(403);
    write
        .delete("/contacts?email=w@example.com")
        .await
        .expect(200);

    let batch = Api::new(
        &server,
        &oauth_token(&server, &fixture, "write_bulk_contacts").await,
    );
    batch
        .post("/contacts/batch", json!({"contacts": []}))
        .await
        .expect(200);
    batch
        .post("/contacts", json!({"email": "b@example.com"}))
        .await
        .expect_error(403);
    batch
        .delete(&format!("/contacts/{id}"))
        .await
        .expect_error(403);

    let tags = Api::new(&server, &oauth_token(&server, &fixture, "read_tags").await);
    tags.get("/tags").await.expect(200);
    tags.post("/tags", json!({"name": "x"}))
        .await
        .expect_error(403);
    let write_tags = Api::new(&server, &oauth_token(&server, &fixture, "write_tags").await);
    let tag = write_tags
        .post("/tags", json!({"name": "x", "contacts": [{"id": id}]}))
        .await
        .expect(200);
    write_tags
        .delete(&format!("/tags/{}", tag["tag"]["id"]))
        .await
        .expect(200);
    write_tags.get("/tags").await.expect_error(403);
}
