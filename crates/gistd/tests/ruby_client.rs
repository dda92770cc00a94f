//! Replays the requests of Gist's own Ruby client (gist-api-ruby) byte for byte as far as
//! the reference describes them, and checks each answer has the shape the gem reads: a
//! 2xx status, a JSON body (the gem parses every body, so no 204), the resource-named
//! wrapper and the fields it reads with their JSON types (integer ids, string `user_id`,
//! integer Unix-second timestamps).
//!
//! The gem's habits reproduced here: `Content-Type: application/json` on every request,
//! GET included; a `{}` body on every DELETE; query strings concatenated unescaped (so
//! `?email=ada+news@example.com` keeps a literal `+`); `campaigns/` with a trailing
//! slash; the whole `Authorization: Bearer <token>` value from the caller; and an update
//! made by posting a whole fetched object back with one field changed.

mod support;

use gistd::storage::{marketing, segments, teams};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Fixture, REDIRECT_URI, TestServer, authorize_url, location, query_param};

/// Every scope Gist documents; the OAuth pass is granted all of them.
const ALL_SCOPES: &str = "read_contact write_contact read_bulk_contacts write_bulk_contacts \
                          read_conversations write_conversations read_events read_tags \
                          write_tags read_teams read_teammates";

/// The email the gem looks up unescaped: its `+` must stay a plus.
const EMAIL: &str = "ada+news@example.com";

/// The gem's HTTP layer: one `Authorization` value, JSON on every request.
struct Gem {
    http: reqwest::Client,
    base: String,
    authorization: String,
}

impl Gem {
    fn new(server: &TestServer, token: &str) -> Gem {
        Gem {
            http: reqwest::Client::new(),
            base: server.url("/api/"),
            authorization: format!("Bearer {token}"),
        }
    }

    /// Sends `method` to `path` (relative, query already concatenated as the gem does);
    /// DELETE always carries `{}` when no body is given. Returns status and raw body.
    async fn raw(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, String) {
        let body = match (body, method == Method::DELETE) {
            (Some(body), _) => Some(body.to_string()),
            (None, true) => Some("{}".to_owned()),
            (None, false) => None,
        };
        // Built from a string so the query reaches the server exactly as written.
        let url = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body read"))
    }

    /// A call the gem expects to succeed: 2xx with a JSON object body.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        let (status, text) = self.raw(method, path, body.as_ref()).await;
        assert!(
            (200..300).contains(&status) && status != 204,
            "{what} answered {status}: {text}"
        );
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{what}: the body is not JSON: {text:?}"));
        assert!(body.is_object(), "{what}: not a JSON object: {body}");
        body
    }

    async fn get(&self, path: &str) -> Value {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> Value {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Value {
        self.call(Method::DELETE, path, None).await
    }
}

/// The JSON type a field must have.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Str,
    Bool,
    Arr,
    Obj,
    /// Present, and a string or null.
    StrOrNull,
    /// Present, and an integer or null.
    IntOrNull,
    /// Present, and an object or null.
    ObjOrNull,
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::Int => value.is_i64(),
            Kind::Str => value.is_string(),
            Kind::Bool => value.is_boolean(),
            Kind::Arr => value.is_array(),
            Kind::Obj => value.is_object(),
            Kind::StrOrNull => value.is_string() || value.is_null(),
            Kind::IntOrNull => value.is_i64() || value.is_null(),
            Kind::ObjOrNull => value.is_object() || value.is_null(),
        }
    }
}

use Kind::*;

/// Fields and their types.
type Shape = [(&'static str, Kind)];

/// The fields the gem (and integrations built on it) read from each object.
const CONTACT: &[(&str, Kind)] = &[
    ("id", Int),
    ("type", Str),
    ("email", StrOrNull),
    ("user_id", StrOrNull),
    ("name", StrOrNull),
    ("created_at", Int),
    ("updated_at", Int),
    ("last_seen_at", IntOrNull),
    ("signed_up_at", IntOrNull),
    ("tags", Arr),
    ("segments", Arr),
    ("custom_properties", Obj),
    ("location_data", Obj),
    ("unsubscribed_from_emails", Bool),
];
const CONVERSATION: &[(&str, Kind)] = &[
    ("id", Int),
    ("created_at", Int),
    ("updated_at", Int),
    ("state", Str),
    ("title", StrOrNull),
    ("contacts", Arr),
    ("assignee", ObjOrNull),
    ("tags", Arr),
    ("custom_properties", Obj),
];
const MESSAGE: &[(&str, Kind)] = &[
    ("id", Int),
    ("body", Str),
    ("created_at", Int),
    ("author", Obj),
];
const EVENT: &[(&str, Kind)] = &[("id", Int), ("name", Str), ("created_at", Int)];
const TAG: &[(&str, Kind)] = &[("id", Int), ("name", Str)];
const NAMED: &[(&str, Kind)] = &[
    ("id", Int),
    ("name", Str),
    ("created_at", Int),
    ("updated_at", Int),
];
const TEAM: &[(&str, Kind)] = &[("id", Int), ("name", Str)];
const TEAMMATE: &[(&str, Kind)] = &[
    ("id", Int),
    ("name", Str),
    ("email", Str),
    ("team_ids", Arr),
    ("away_mode_enabled", Bool),
];

/// Panics unless `object` has every field of `shape` with its JSON type.
fn check(what: &str, object: &Value, shape: &[(&str, Kind)]) {
    assert!(object.is_object(), "{what} is not an object: {object}");
    for (field, kind) in shape {
        let value = object.get(*field);
        assert!(
            value.is_some_and(|value| kind.accepts(value)),
            "{what}.{field} should be {kind:?}, is {value:?} in {object}"
        );
    }
}

/// The object under `key` of a single-resource answer, checked against `shape`.
fn one(body: &Value, key: &str, shape: &[(&str, Kind)]) -> Value {
    check(key, &body[key], shape);
    body[key].clone()
}

/// The items under `key` of a list answer, each checked against `shape`; at least `min`.
fn many(body: &Value, key: &str, shape: &[(&str, Kind)], min: usize) -> Vec<Value> {
    let items = body[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` should be a list in {body}"));
    assert!(
        items.len() >= min,
        "`{key}` has {} items: {body}",
        items.len()
    );
    for item in items {
        check(key, item, shape);
    }
    items.clone()
}

/// Panics unless a list answer carries Gist's `pages` object.
fn paged(body: &Value) {
    let pages = &body["pages"];
    assert!(pages["first"].is_string(), "pages.first: {body}");
    assert!(pages["last"].is_string(), "pages.last: {body}");
    assert!(pages["total_count"].is_i64(), "pages.total_count: {body}");
}

fn id(object: &Value) -> i64 {
    object["id"].as_i64().expect("an integer id")
}

/// The objects the API only reads, made in storage: one segment, form, campaign,
/// subscription type and team.
struct Seeded {
    segment: i64,
    form: i64,
    campaign: i64,
    subscription_type: i64,
    team: i64,
}

async fn start() -> (TestServer, Fixture, Seeded) {
    let server = TestServer::start_with(|settings| settings.api_rate_limit = 1_000_000).await;
    let fixture = server.fixture(ALL_SCOPES).await;
    let (db, workspace, now) = (&server.db, fixture.workspace_id, server.clock_now());
    let seeded = Seeded {
        segment: segments::insert_segment(db, workspace, "Customers", now)
            .await
            .expect("segment"),
        form: marketing::insert_form(db, workspace, "Newsletter", now)
            .await
            .expect("form"),
        campaign: marketing::insert_campaign(db, workspace, "Onboarding", now)
            .await
            .expect("campaign"),
        subscription_type: marketing::insert_subscription_type(
            db,
            workspace,
            "Product news",
            "Monthly",
            now,
        )
        .await
        .expect("subscription type"),
        team: teams::insert_team(db, workspace, "Support", now)
            .await
            .expect("team"),
    };
    (server, fixture, seeded)
}

/// An OAuth access token for `acme` with `scope`, through the log-in and consent pages.
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
        _ => location(&response),
    };
    let code = query_param(&redirect, "code").expect("code");
    let tokens: Value = reqwest::Client::new()
        .post(server.url("/oauth/token"))
        .json(&json!({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": fixture.client_id,
            "client_secret": fixture.client_secret,
        }))
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

#[tokio::test]
async fn every_call_of_the_ruby_gem_gets_the_shape_it_reads_with_an_api_key() {
    let (server, fixture, seeded) = start().await;
    let gem = Gem::new(&server, &server.api_key(fixture.workspace_id).await);

    // Teammates and teams: the acting teammate of the conversation calls comes from here.
    let teammates = many(&gem.get("teammates").await, "teammates", TEAMMATE, 1);
    let teammate = id(&teammates[0]);
    one(
        &gem.get(&format!("teammates/{teammate}")).await,
        "teammate",
        TEAMMATE,
    );
    many(&gem.get("teams").await, "teams", TEAM, 1);
    one(
        &gem.get(&format!("teams/{}", seeded.team)).await,
        "team",
        TEAM,
    );

    // Contacts: create (a user, then a lead), find every way, update by posting back.
    let created = gem
        .post(
            "contacts",
            json!({"email": EMAIL, "user_id": "u-1", "name": "Ada",
                   "custom_properties": {"plan": "pro"}, "tags": ["vip"]}),
        )
        .await;
    let ada = one(&created, "contact", CONTACT);
    assert_eq!(ada["email"], EMAIL);
    assert_eq!(ada["user_id"], "u-1");
    let lead = one(
        &gem.post("contacts", json!({"email": "lead@example.com"}))
            .await,
        "contact",
        CONTACT,
    );
    let listed = gem
        .get("contacts?page=1&per_page=10&order=desc&order_by=created_at")
        .await;
    many(&listed, "contacts", CONTACT, 2);
    paged(&listed);
    let by_email = one(
        &gem.get(&format!("contacts?email={EMAIL}")).await,
        "contact",
        CONTACT,
    );
    assert_eq!(id(&by_email), id(&ada), "the `+` must stay a plus");
    let by_user = one(&gem.get("contacts?user_id=u-1").await, "contact", CONTACT);
    assert_eq!(id(&by_user), id(&ada));
    let mut fetched = one(
        &gem.get(&format!("contacts/{}", id(&ada))).await,
        "contact",
        CONTACT,
    );
    fetched["name"] = json!("Ada Lovelace");
    let updated = one(&gem.post("contacts", fetched).await, "contact", CONTACT);
    assert_eq!(
        (id(&updated), &updated["name"]),
        (id(&ada), &json!("Ada Lovelace"))
    );
    assert_eq!(updated["custom_properties"]["plan"], "pro");
    let batch = gem
        .post(
            "contacts/batch",
            json!({"contacts": [{"email": "b1@example.com"}, {"email": "b2@example.com",
                                 "user_id": "u-2"}]}),
        )
        .await;
    many(&batch, "contacts", CONTACT, 2);

    // Tags: list, create, tag and untag contacts (the overloaded POST /tags).
    let tag = one(&gem.post("tags", json!({"name": "beta"})).await, "tag", TAG);
    many(&gem.get("tags").await, "tags", TAG, 2);
    let contacts = json!([{"id": id(&ada)}, {"id": id(&lead)}]);
    one(
        &gem.post(
            "tags",
            json!({"id": id(&tag), "name": "beta", "contacts": contacts}),
        )
        .await,
        "tag",
        TAG,
    );
    let untag = json!([{"id": id(&lead), "untag": true}]);
    one(
        &gem.post(
            "tags",
            json!({"id": id(&tag), "name": "beta", "contacts": untag}),
        )
        .await,
        "tag",
        TAG,
    );

    // Conversations: start, list, fetch, update, reply, assign, prioritise, tag, count.
    let conversation = one(
        &gem.post(
            "conversations",
            json!({"from": {"email": EMAIL}, "body": "Hello?", "title": "Question"}),
        )
        .await,
        "conversation",
        CONVERSATION,
    );
    let path = format!("conversations/{}", id(&conversation));
    assert_eq!(conversation["contacts"][0]["id"], id(&ada));
    let listed = gem
        .get("conversations?order=desc&order_by=updated_at&page=1&per_page=20&state=all")
        .await;
    many(&listed, "conversations", CONVERSATION, 1);
    paged(&listed);
    let mut fetched = one(&gem.get(&path).await, "conversation", CONVERSATION);
    fetched["title"] = json!("Renamed");
    let renamed = one(
        &gem.patch(&path, fetched).await,
        "conversation",
        CONVERSATION,
    );
    assert_eq!(renamed["title"], "Renamed");
    let messages = gem
        .get(&format!("{path}/messages?page=1&per_page=10"))
        .await;
    many(&messages, "messages", MESSAGE, 1);
    let reply = gem
        .post(
            &format!("{path}/messages"),
            json!({"message_type": "reply", "body": "On it.",
                   "from": {"type": "teammate", "teammate_id": teammate}}),
        )
        .await;
    let message = one(&reply, "message", MESSAGE);
    assert_eq!(message["author"]["type"], "teammate");
    assert!(message["author"]["id"].is_i64(), "{reply}");
    let assigned = gem
        .patch(
            &format!("{path}/assign"),
            json!({"teammate_id": teammate, "assignee_id": teammate,
                   "assignee_type": "teammate"}),
        )
        .await;
    let assigned = one(&assigned, "conversation", CONVERSATION);
    assert_eq!(assigned["assignee"]["id"], teammate);
    let priority = json!({"teammate_id": teammate, "priority": "priority"});
    one(
        &gem.patch(&format!("{path}/priority"), priority).await,
        "conversation",
        CONVERSATION,
    );
    let message_id = id(&message);
    let tagged = gem
        .post(
            &format!("{path}/tags"),
            json!({"message_id": message_id, "tags": "urgent"}),
        )
        .await;
    let tagged = one(&tagged, "conversation", CONVERSATION);
    let urgent = tagged["tags"]
        .as_array()
        .and_then(|tags| tags.iter().find(|tag| tag["name"] == "urgent"))
        .map(id)
        .expect("the conversation carries the tag");
    let untag = json!({"message_id": message_id, "tag_id": urgent});
    let untagged = gem
        .call(Method::DELETE, &format!("{path}/tags"), Some(untag))
        .await;
    assert_eq!(
        one(&untagged, "conversation", CONVERSATION)["tags"],
        json!([])
    );
    let state = json!({"state": "closed", "teammate_id": teammate});
    let closed = one(&gem.patch(&path, state).await, "conversation", CONVERSATION);
    assert_eq!(closed["state"], "closed");
    let count = gem.get("conversations/count").await;
    check("conversation_count", &count["conversation_count"], &[]);
    for per in ["teams", "teammates"] {
        let counts = gem.get(&format!("conversations/count/{per}?page=1")).await;
        assert!(counts["conversation_count"][per].is_array(), "{counts}");
    }

    // Events: track, then list all types.
    let tracked = gem
        .post(
            "events",
            json!({"event_name": "signed_up", "email": EMAIL,
                   "properties": {"plan": "pro"}, "occurred_at": null}),
        )
        .await;
    let event = one(&tracked, "event", EVENT);
    assert_eq!(event["email"], EMAIL);
    many(
        &gem.get("events?event_type=all&page=1&per_page=10").await,
        "events",
        EVENT,
        1,
    );

    // Segments, forms, campaigns and subscription types.
    let segment_list = gem.get("segments?include_count=true").await;
    many(&segment_list, "segments", NAMED, 1);
    let segment = format!("segments/{}?include_count=true", seeded.segment);
    one(&gem.get(&segment).await, "segment", NAMED);
    many(&gem.get("forms").await, "forms", NAMED, 1);
    one(
        &gem.get(&format!("forms?form_id={}", seeded.form)).await,
        "form",
        NAMED,
    );
    let subscribe = json!({"email": EMAIL, "fields": {"source": "gem"}});
    let submitted = gem
        .post(&format!("forms/{}/subscribe", seeded.form), subscribe)
        .await;
    assert!(submitted["submission"]["id"].is_i64(), "{submitted}");
    let submissions = gem.get(&format!("forms/{}/submissions", seeded.form)).await;
    assert!(
        submissions["submissions"]
            .as_array()
            .is_some_and(|list| !list.is_empty())
    );
    many(&gem.get("campaigns").await, "campaigns", NAMED, 1);
    let campaign = format!("campaigns/{}", seeded.campaign);
    one(&gem.get(&campaign).await, "campaign", NAMED);
    let subscribed = gem
        .post(
            "campaigns/",
            json!({"id": seeded.campaign, "email": EMAIL, "starting_email_index": 0,
                   "reactivate_if_removed": true}),
        )
        .await;
    one(&subscribed, "campaign", NAMED);
    assert!(subscribed["status"].is_string(), "{subscribed}");
    many(
        &gem.get("subscription_types").await,
        "subscription_types",
        NAMED,
        1,
    );
    let path = format!("subscription_types/{}", seeded.subscription_type);
    one(&gem.get(&path).await, "subscription_type", NAMED);
    let attached = gem
        .post(&path, json!({"email": EMAIL, "status": "subscribed"}))
        .await;
    one(&attached, "subscription_type", NAMED);

    // Deletions, each with the gem's `{}` body.
    let deleted = gem
        .delete(&format!("conversations/{}", id(&conversation)))
        .await;
    assert_eq!(
        id(&one(&deleted, "conversation", &[("id", Int)])),
        id(&conversation)
    );
    one(&gem.delete(&format!("tags/{}", id(&tag))).await, "tag", TAG);
    let gone = gem.delete(&format!("contacts/{}", id(&lead))).await;
    assert_eq!(id(&one(&gone, "contact", CONTACT)), id(&lead));
    let gone = gem.delete("contacts?user_id=u-2").await;
    assert_eq!(one(&gone, "contact", CONTACT)["user_id"], "u-2");
    let gone = gem.delete(&format!("contacts?email={EMAIL}")).await;
    assert_eq!(id(&one(&gone, "contact", CONTACT)), id(&ada));
    let (status, _) = gem
        .raw(Method::GET, &format!("contacts/{}", id(&ada)), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_gems_read_calls_work_with_an_oauth_token_granted_every_scope() {
    let (server, fixture, seeded) = start().await;
    let key = Gem::new(&server, &server.api_key(fixture.workspace_id).await);
    let ada = key
        .post(
            "contacts",
            json!({"email": EMAIL, "user_id": "u-1", "tags": ["vip"]}),
        )
        .await["contact"]
        .clone();
    let conversation = key
        .post(
            "conversations",
            json!({"from": {"id": id(&ada)}, "body": "Hi"}),
        )
        .await["conversation"]
        .clone();
    key.post("events", json!({"event_name": "seen", "user_id": "u-1"}))
        .await;
    let gem = Gem::new(&server, &oauth_token(&server, &fixture, ALL_SCOPES).await);

    let reads: &[(String, &str, &Shape)] = &[
        (
            "contacts?page=1&per_page=10&order=asc&order_by=updated_at".into(),
            "contacts",
            CONTACT,
        ),
        (format!("contacts?email={EMAIL}"), "contact", CONTACT),
        ("contacts?user_id=u-1".into(), "contact", CONTACT),
        (format!("contacts/{}", id(&ada)), "contact", CONTACT),
        (
            "conversations?state=all&order_by=updated_at".into(),
            "conversations",
            CONVERSATION,
        ),
        (
            format!("conversations/{}", id(&conversation)),
            "conversation",
            CONVERSATION,
        ),
        (
            format!("conversations/{}/messages", id(&conversation)),
            "messages",
            MESSAGE,
        ),
        ("events?event_type=all".into(), "events", EVENT),
        ("tags".into(), "tags", TAG),
        ("segments".into(), "segments", NAMED),
        (format!("segments/{}", seeded.segment), "segment", NAMED),
        ("teams".into(), "teams", TEAM),
        (format!("teams/{}", seeded.team), "team", TEAM),
        ("teammates".into(), "teammates", TEAMMATE),
    ];
    for (path, key, shape) in reads {
        let body = gem.get(path).await;
        if body[*key].is_array() {
            many(&body, key, shape, 1);
        } else {
            one(&body, key, shape);
        }
    }
    for path in ["conversations/count", "conversations/count/teams"] {
        assert!(gem.get(path).await["conversation_count"].is_object());
    }

    // No documented scope covers these: an OAuth token is refused in the errors envelope.
    let api_key_only = [
        "forms".to_owned(),
        format!("campaigns/{}", seeded.campaign),
        "subscription_types".to_owned(),
    ];
    for path in api_key_only {
        let (status, text) = gem.raw(Method::GET, &path, None).await;
        let body: Value = serde_json::from_str(&text).expect("JSON error body");
        assert_eq!(status, 403, "{path}: {text}");
        assert!(body["errors"][0]["message"].is_string(), "{path}: {text}");
    }
}
