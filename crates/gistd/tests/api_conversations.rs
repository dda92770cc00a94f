//! The conversations and teams endpoints: every endpoint's happy path and error paths,
//! with the workspace API key and with OAuth tokens obtained through the real consent
//! page, and isolation between workspaces.

mod support;

use gistd::storage::{Db, teams, workspaces};
use reqwest::Method;
use serde_json::{Value, json};
use support::{REDIRECT_URI, TestServer, authorize_url, location, query_param};

/// Every scope these endpoints use; the fixture app may request them all.
const SCOPES: &str = "read_conversations write_conversations read_teams read_teammates";

/// A running server with workspace `acme` (a contact, two teammates, a team) and a
/// second workspace `other` with its own key, contact, teammate and team.
struct Env {
    server: TestServer,
    fixture: support::Fixture,
    http: reqwest::Client,
    key: String,
    other_key: String,
    /// Contact `ada@example.com` (user_id `u-1`) of acme.
    contact: i64,
    /// The owner's teammate id in acme.
    owner: i64,
    /// A second teammate of acme.
    teammate: i64,
    /// Team `Support` of acme, with the second teammate in it.
    team: i64,
    /// Contact of the other workspace.
    other_contact: i64,
    /// The other workspace's owner (a teammate there, not in acme).
    other_owner: i64,
    /// A team of the other workspace.
    other_team: i64,
}

/// A response, read in full.
struct Reply {
    status: u16,
    body: Value,
}

impl Env {
    async fn start() -> Env {
        // The manual clock never moves, so one rate-limit window would cover the whole
        // test: raise the limit out of the way.
        let server = TestServer::start_with(|settings| settings.api_rate_limit = 1_000_000).await;
        let fixture = server.fixture(SCOPES).await;
        let key = server.api_key(fixture.workspace_id).await;
        let workspace = fixture.workspace_id;

        let owner = members(&server.db, workspace).await[0];
        let teammate_user = server.create_user("tom@example.com", "Tom Teammate").await;
        workspaces::insert_member(&server.db, workspace, teammate_user, "member", 1)
            .await
            .expect("test setup or request succeeds");
        let teammate = members(&server.db, workspace).await[1];
        let team = teams::insert_team(&server.db, workspace, "Support", 1)
            .await
            .expect("test setup or request succeeds");
        assert!(
            teams::add_teammate_to_team(&server.db, workspace, team, teammate)
                .await
                .expect("test setup or request succeeds")
        );
        let contact = insert_contact(&server.db, workspace, "ada@example.com", Some("u-1")).await;

        server.create_user("olga@example.com", "Olga Other").await;
        let other = server
            .create_workspace("olga@example.com", "Other", "other")
            .await;
        let other_key = server.api_key(other).await;
        let other_owner = members(&server.db, other).await[0];
        let other_team = teams::insert_team(&server.db, other, "Elsewhere", 1)
            .await
            .expect("test setup or request succeeds");
        let other_contact = insert_contact(&server.db, other, "bob@example.com", None).await;

        Env {
            server,
            fixture,
            http: reqwest::Client::new(),
            key,
            other_key,
            contact,
            owner,
            teammate,
            team,
            other_contact,
            other_owner,
            other_team,
        }
    }

    /// Sends `method path` with `token` and an optional JSON body.
    async fn call(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.server.url(&format!("/api{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("test setup or request succeeds");
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .expect("test setup or request succeeds");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        Reply { status, body }
    }

    /// Sends a request with the other workspace's key.
    async fn as_other(&self, method: Method, path: String, body: Option<Value>) -> Reply {
        self.call(&self.other_key, method, &path, body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(&self.key, Method::GET, path, None).await
    }

    async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        self.call(&self.key, method, path, Some(body)).await
    }

    /// Sends a raw body text, for malformed JSON.
    async fn send_raw(&self, method: Method, path: &str, text: &str) -> Reply {
        let response = self
            .http
            .request(method, self.server.url(&format!("/api{path}")))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(text.to_owned())
            .send()
            .await
            .expect("test setup or request succeeds");
        let status = response.status().as_u16();
        let body = response
            .json()
            .await
            .expect("test setup or request succeeds");
        Reply { status, body }
    }

    /// Starts a conversation from the acme contact; returns it.
    async fn start_conversation(&self, body: &str) -> Value {
        let reply = self
            .send(
                Method::POST,
                "/conversations",
                json!({"from": {"id": self.contact}, "body": body}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["conversation"].clone()
    }

    /// An access token for acme with `scope`, through the log-in and consent pages.
    async fn token(&self, scope: &str) -> String {
        let browser = self.server.browser();
        browser.login(&self.fixture.email).await;
        let url = authorize_url(&self.server, &self.fixture.client_id, scope, &[]);
        let response = browser.get(&url).await;
        let redirect = match response.status().as_u16() {
            200 => {
                let page = response
                    .text()
                    .await
                    .expect("test setup or request succeeds");
                browser.decide(&page, "allow", "acme").await
            }
            _ => location(&response),
        };
        let code = query_param(&redirect, "code").expect("a code");
        let reply: Value = self
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
            .expect("test setup or request succeeds")
            .json()
            .await
            .expect("test setup or request succeeds");
        reply["access_token"].as_str().expect("a token").to_owned()
    }
}

/// Membership ids of a workspace, oldest first.
async fn members(db: &Db, workspace_id: i64) -> Vec<i64> {
    workspaces::list_members(db, workspace_id)
        .await
        .expect("test setup or request succeeds")
        .into_iter()
        .map(|member| member.id)
        .collect()
}

/// Inserts a contact with plain SQL (the contacts API is another resource's).
async fn insert_contact(db: &Db, workspace_id: i64, email: &str, user_id: Option<&str>) -> i64 {
    let sql = "INSERT INTO contacts (workspace_id, email, user_id, name, created_at, updated_at) \
               VALUES ($1, $2, $3, 'A Contact', 1, 1) RETURNING id";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql)
            .bind(workspace_id)
            .bind(email)
            .bind(user_id)
            .fetch_one(pool)
            .await
            .expect("test setup or request succeeds"),
        Db::Postgres(pool) => sqlx::query_scalar(sql)
            .bind(workspace_id)
            .bind(email)
            .bind(user_id)
            .fetch_one(pool)
            .await
            .expect("test setup or request succeeds"),
    }
}

fn error_code(reply: &Reply) -> &str {
    reply.body["errors"][0]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn a_contact_starts_a_conversation_whose_first_message_is_their_inbound_reply() {
    let env = Env::start().await;

    let reply = env
        .send(
            Method::POST,
            "/conversations",
            json!({
                "from": {"id": env.contact.to_string()},
                "body": "Hello, my order is late",
                "title": "Late order",
                "custom_properties": {"order": 42},
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let conversation = &reply.body["conversation"];
    assert_eq!(conversation["state"], "open");
    assert_eq!(conversation["title"], "Late order");
    assert_eq!(conversation["priority"], "not_priority");
    assert_eq!(conversation["contacts"][0]["id"], env.contact);
    assert_eq!(conversation["contacts"][0]["type"], "user");
    assert_eq!(conversation["assignee"], Value::Null);
    assert_eq!(conversation["tags"], json!([]));
    assert_eq!(conversation["custom_properties"], json!({"order": 42}));
    assert!(conversation["created_at"].is_i64());
    let id = conversation["id"].as_i64().unwrap();

    let messages = env.get(&format!("/conversations/{id}/messages")).await;
    assert_eq!(messages.status, 200);
    let first = &messages.body["messages"][0];
    assert_eq!(first["body"], "Hello, my order is late");
    assert_eq!(first["message_type"], "reply");
    assert_eq!(first["is_inbound"], true);
    assert_eq!(
        first["author"],
        json!({"type": "contact", "id": env.contact})
    );

    for from in [
        json!({"user_id": "u-1"}),
        json!({"email": "ADA@example.com"}),
    ] {
        let reply = env
            .send(
                Method::POST,
                "/conversations",
                json!({"from": from, "body": "Again"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["conversation"]["contacts"][0]["id"], env.contact);
    }

    let found = env.get(&format!("/conversations/{id}")).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["conversation"], *conversation);
}

#[tokio::test]
async fn starting_a_conversation_needs_a_known_contact_and_a_non_empty_body() {
    let env = Env::start().await;
    let post = |body: Value| env.send(Method::POST, "/conversations", body);

    let unknown = post(json!({"from": {"email": "nobody@example.com"}, "body": "Hi"})).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(error_code(&unknown), "not_found");
    let unknown_id = post(json!({"from": {"id": 999_999}, "body": "Hi"})).await;
    assert_eq!(unknown_id.status, 404);

    let empty = post(json!({"from": {"id": env.contact}, "body": "   "})).await;
    assert_eq!(empty.status, 422);
    let missing = post(json!({"from": {"id": env.contact}})).await;
    assert_eq!(missing.status, 422);
    let nobody = post(json!({"body": "Hi"})).await;
    assert_eq!(nobody.status, 422);
    let wrong_type = post(json!({"from": {"id": env.contact}, "body": 5})).await;
    assert_eq!(wrong_type.status, 422);
    let bad_properties =
        post(json!({"from": {"id": env.contact}, "body": "Hi", "custom_properties": [1]})).await;
    assert_eq!(bad_properties.status, 422);
    let malformed = env
        .send_raw(Method::POST, "/conversations", "{\"body\": ")
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(error_code(&malformed), "bad_request");

    let list = env.get("/conversations").await;
    assert_eq!(list.body["conversations"], json!([]), "nothing was created");
}

#[tokio::test]
async fn conversations_are_listed_by_state_in_order_and_in_pages() {
    let env = Env::start().await;
    let mut ids = Vec::new();
    for index in 0..3 {
        env.server.clock.advance(10);
        ids.push(env.start_conversation(&format!("Message {index}")).await["id"].clone());
    }
    env.server.clock.advance(10);
    let closed = env
        .send(
            Method::PATCH,
            &format!("/conversations/{}", ids[0]),
            json!({"state": "closed"}),
        )
        .await;
    assert_eq!(closed.status, 200);
    env.send(
        Method::PATCH,
        &format!("/conversations/{}", ids[1]),
        json!({"state": "snoozed"}),
    )
    .await;

    let ids_of = |reply: &Reply| -> Vec<Value> {
        reply.body["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|conversation| conversation["id"].clone())
            .collect()
    };
    // Default: every state, most recently updated first.
    let all = env.get("/conversations").await;
    assert_eq!(all.status, 200);
    assert_eq!(ids_of(&all).len(), 3);
    assert_eq!(all.body["pages"]["total_count"], 3);
    assert_eq!(
        ids_of(&all)[2],
        ids[2],
        "the untouched one is the least recent"
    );

    let open = env.get("/conversations?state=open").await;
    assert_eq!(ids_of(&open), vec![ids[2].clone()]);
    let closed = env.get("/conversations?state=closed").await;
    assert_eq!(ids_of(&closed), vec![ids[0].clone()]);
    let snoozed = env.get("/conversations?state=snoozed").await;
    assert_eq!(ids_of(&snoozed), vec![ids[1].clone()]);

    let oldest_first = env
        .get("/conversations?order=asc&order_by=created_at&state=all")
        .await;
    assert_eq!(ids_of(&oldest_first), ids);

    let first = env
        .get("/conversations?order=asc&order_by=created_at&per_page=2")
        .await;
    assert_eq!(ids_of(&first), ids[..2].to_vec());
    let next = first.body["pages"]["next"].as_str().unwrap().to_owned();
    assert!(next.contains("page=2"), "{next}");
    let second: Value = env
        .http
        .get(&next)
        .bearer_auth(&env.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["conversations"][0]["id"], ids[2]);
    assert!(second["pages"].get("next").is_none());

    for bad in [
        "state=pending",
        "order_by=title",
        "order=sideways",
        "per_page=0",
    ] {
        let reply = env.get(&format!("/conversations?{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn updating_a_conversation_merges_custom_properties_and_changes_its_state() {
    let env = Env::start().await;
    let reply = env
        .send(
            Method::POST,
            "/conversations",
            json!({"from": {"id": env.contact}, "body": "Hi",
                   "custom_properties": {"keep": 1, "drop": 2, "change": "a"}}),
        )
        .await;
    let id = reply.body["conversation"]["id"].as_i64().unwrap();
    let path = format!("/conversations/{id}");

    let updated = env
        .send(
            Method::PATCH,
            &path,
            json!({"title": "Renamed",
                   "custom_properties": {"drop": null, "change": "b", "new": true}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let conversation = &updated.body["conversation"];
    assert_eq!(conversation["title"], "Renamed");
    assert_eq!(
        conversation["custom_properties"],
        json!({"keep": 1, "change": "b", "new": true})
    );

    let closed = env
        .send(
            Method::PATCH,
            &path,
            json!({"state": "closed", "teammate_id": env.owner.to_string()}),
        )
        .await;
    assert_eq!(closed.status, 200);
    assert_eq!(closed.body["conversation"]["state"], "closed");
    assert_eq!(
        closed.body["conversation"]["title"], "Renamed",
        "title kept"
    );

    // A fetched conversation posted back, read-only fields and all, changes nothing.
    let mut whole = closed.body["conversation"].clone();
    whole["unknown_field"] = json!("ignored");
    let echoed = env.send(Method::PATCH, &path, whole).await;
    assert_eq!(echoed.status, 200, "{}", echoed.body);
    assert_eq!(echoed.body["conversation"]["state"], "closed");
    assert_eq!(
        echoed.body["conversation"]["custom_properties"],
        closed.body["conversation"]["custom_properties"]
    );

    for body in [
        json!({"state": ""}),
        json!({"state": "pending"}),
        json!({"state": "open", "teammate_id": env.other_owner}),
        json!({"custom_properties": "text"}),
        json!({"title": 7}),
    ] {
        let reply = env.send(Method::PATCH, &path, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(error_code(&reply), "validation_error");
    }
    let malformed = env.send_raw(Method::PATCH, &path, "{state").await;
    assert_eq!(malformed.status, 400);
    let unchanged = env.get(&path).await;
    assert_eq!(unchanged.body["conversation"]["state"], "closed");

    let missing = env
        .send(
            Method::PATCH,
            "/conversations/999999",
            json!({"title": "x"}),
        )
        .await;
    assert_eq!(missing.status, 404);
    let not_an_id = env.get("/conversations/abc").await;
    assert_eq!(not_an_id.status, 404);
}

#[tokio::test]
async fn deleting_a_conversation_returns_it_and_removes_it() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Bye").await;
    let path = format!("/conversations/{}", conversation["id"]);

    // Gist's Ruby client sends `{}` on every DELETE.
    let deleted = env.send(Method::DELETE, &path, json!({})).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["conversation"], conversation);

    assert_eq!(env.get(&path).await.status, 404);
    assert_eq!(
        env.get(&format!("{path}/messages")).await.status,
        404,
        "its messages went with it"
    );
    let again = env.call(&env.key, Method::DELETE, &path, None).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn teammates_reply_and_leave_notes_and_messages_come_in_pages() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Question").await;
    let path = format!("/conversations/{}/messages", conversation["id"]);

    let reply = env
        .send(
            Method::POST,
            &path,
            json!({"message_type": "reply", "body": "Answer",
                   "from": {"type": "teammate", "teammate_id": env.teammate}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let message = &reply.body["message"];
    assert_eq!(message["body"], "Answer");
    assert_eq!(message["message_type"], "reply");
    assert_eq!(message["is_inbound"], false);
    assert_eq!(
        message["author"],
        json!({"type": "teammate", "id": env.teammate})
    );
    assert!(message["id"].is_i64() && message["created_at"].is_i64());

    let note = env
        .send(
            Method::POST,
            &path,
            json!({"message_type": "note", "body": "Internal",
                   "from": {"type": "teammate", "teammate_id": env.owner.to_string()}}),
        )
        .await;
    assert_eq!(note.status, 200);
    assert_eq!(note.body["message"]["message_type"], "note");

    for body in [
        json!({"message_type": "reply", "body": "", "from": {"teammate_id": env.owner}}),
        json!({"message_type": "shout", "body": "x", "from": {"teammate_id": env.owner}}),
        json!({"message_type": "reply", "body": "x", "from": {"teammate_id": env.other_owner}}),
        json!({"message_type": "reply", "body": "x",
               "from": {"type": "contact", "teammate_id": env.owner}}),
        json!({"message_type": "reply", "body": "x"}),
    ] {
        let reply = env.send(Method::POST, &path, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
    }
    let missing = env
        .send(
            Method::POST,
            "/conversations/999999/messages",
            json!({"body": "x", "from": {"teammate_id": env.owner}}),
        )
        .await;
    assert_eq!(missing.status, 404);

    let page = env.get(&format!("{path}?per_page=2")).await;
    assert_eq!(page.status, 200);
    let bodies: Vec<&str> = page.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Question", "Answer"]);
    assert_eq!(page.body["pages"]["total_count"], 3);
    let rest = env.get(&format!("{path}?per_page=2&page=2")).await;
    assert_eq!(rest.body["messages"][0]["body"], "Internal");
}

#[tokio::test]
async fn conversations_are_assigned_to_teammates_or_teams_and_unassigned() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Help").await;
    let path = format!("/conversations/{}/assign", conversation["id"]);

    let to_teammate = env
        .send(
            Method::PATCH,
            &path,
            json!({"teammate_id": env.owner, "assignee_id": env.teammate.to_string(),
                   "assignee_type": "teammate"}),
        )
        .await;
    assert_eq!(to_teammate.status, 200, "{}", to_teammate.body);
    assert_eq!(
        to_teammate.body["conversation"]["assignee"],
        json!({"id": env.teammate, "type": "teammate"})
    );

    let to_team = env
        .send(
            Method::PATCH,
            &path,
            json!({"teammate_id": env.owner, "assignee_id": env.team, "assignee_type": "team"}),
        )
        .await;
    assert_eq!(
        to_team.body["conversation"]["assignee"],
        json!({"id": env.team, "type": "team"})
    );

    for body in [
        json!({"assignee_id": env.other_team, "assignee_type": "team"}),
        json!({"assignee_id": env.other_owner, "assignee_type": "teammate"}),
        json!({"assignee_id": env.team, "assignee_type": "robot"}),
        json!({"teammate_id": env.other_owner, "assignee_id": env.owner}),
    ] {
        let reply = env.send(Method::PATCH, &path, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
    }
    let still = env
        .get(&format!("/conversations/{}", conversation["id"]))
        .await;
    assert_eq!(still.body["conversation"]["assignee"]["type"], "team");

    let unassigned = env
        .send(
            Method::PATCH,
            &path,
            json!({"teammate_id": env.owner, "assignee_id": null}),
        )
        .await;
    assert_eq!(unassigned.status, 200);
    assert_eq!(unassigned.body["conversation"]["assignee"], Value::Null);

    let missing = env
        .send(Method::PATCH, "/conversations/999999/assign", json!({}))
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn priority_is_set_and_cleared() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Urgent").await;
    let path = format!("/conversations/{}/priority", conversation["id"]);

    let set = env
        .send(
            Method::PATCH,
            &path,
            json!({"teammate_id": env.owner, "priority": "priority"}),
        )
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.body["conversation"]["priority"], "priority");
    let cleared = env
        .send(Method::PATCH, &path, json!({"priority": "not_priority"}))
        .await;
    assert_eq!(cleared.body["conversation"]["priority"], "not_priority");

    for body in [
        json!({"priority": "urgent"}),
        json!({}),
        json!({"priority": true}),
    ] {
        assert_eq!(env.send(Method::PATCH, &path, body).await.status, 422);
    }
    let missing = env
        .send(
            Method::PATCH,
            "/conversations/999999/priority",
            json!({"priority": "priority"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn tags_are_added_by_name_and_removed_by_id() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Tag me").await;
    let path = format!("/conversations/{}/tags", conversation["id"]);

    let tagged = env
        .send(Method::POST, &path, json!({"message_id": 1, "tags": "VIP"}))
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.body);
    let tags = tagged.body["conversation"]["tags"].clone();
    assert_eq!(tags.as_array().unwrap().len(), 1);
    assert_eq!(tags[0]["name"], "VIP");
    let tag_id = tags[0]["id"].as_i64().unwrap();

    // Names are case-insensitive: `vip` is the same tag, and tagging twice is harmless.
    let again = env.send(Method::POST, &path, json!({"tags": "vip"})).await;
    assert_eq!(again.body["conversation"]["tags"], tags);
    let two = env
        .send(Method::POST, &path, json!({"tags": ["billing"]}))
        .await;
    assert_eq!(
        two.body["conversation"]["tags"].as_array().unwrap().len(),
        2
    );

    for body in [json!({}), json!({"tags": " "}), json!({"tags": 3})] {
        assert_eq!(env.send(Method::POST, &path, body).await.status, 422);
    }

    let untagged = env
        .send(
            Method::DELETE,
            &path,
            json!({"message_id": 1, "tag_id": tag_id.to_string()}),
        )
        .await;
    assert_eq!(untagged.status, 200, "{}", untagged.body);
    let names: Vec<&str> = untagged.body["conversation"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["billing"]);

    let not_on_it = env
        .send(Method::DELETE, &path, json!({"tag_id": tag_id}))
        .await;
    assert_eq!(not_on_it.status, 200, "untagging twice is not an error");
    let unknown = env
        .send(Method::DELETE, &path, json!({"tag_id": 999_999}))
        .await;
    assert_eq!(unknown.status, 404);
    let no_tag = env.send(Method::DELETE, &path, json!({})).await;
    assert_eq!(no_tag.status, 422);
    let missing = env
        .send(
            Method::POST,
            "/conversations/999999/tags",
            json!({"tags": "x"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn counts_are_given_by_state_by_team_and_by_teammate() {
    let env = Env::start().await;
    let mut ids = Vec::new();
    for index in 0..4 {
        ids.push(env.start_conversation(&format!("M{index}")).await["id"].clone());
    }
    let shared = &env;
    let assign = |id: &Value, body: Value| {
        let path = format!("/conversations/{id}/assign");
        async move { shared.send(Method::PATCH, &path, body).await }
    };
    assign(
        &ids[0],
        json!({"assignee_id": env.team, "assignee_type": "team"}),
    )
    .await;
    assign(&ids[1], json!({"assignee_id": env.teammate})).await;
    assign(&ids[2], json!({"assignee_id": env.teammate})).await;
    env.send(
        Method::PATCH,
        &format!("/conversations/{}", ids[2]),
        json!({"state": "closed"}),
    )
    .await;
    env.send(
        Method::PATCH,
        &format!("/conversations/{}", ids[3]),
        json!({"state": "snoozed"}),
    )
    .await;

    let count = env.get("/conversations/count").await;
    assert_eq!(count.status, 200, "{}", count.body);
    assert_eq!(
        count.body,
        json!({"conversation_count": {"open": 2, "closed": 1, "snoozed": 1, "total": 4,
                                      "assigned": 2, "unassigned": 0}})
    );

    let by_team = env.get("/conversations/count/teams").await;
    assert_eq!(by_team.status, 200);
    assert_eq!(
        by_team.body["conversation_count"]["teams"],
        json!([{"id": env.team, "name": "Support", "open": 1, "closed": 0, "snoozed": 0}])
    );
    assert_eq!(by_team.body["pages"]["total_count"], 1);

    let by_teammate = env.get("/conversations/count/teammates").await;
    assert_eq!(by_teammate.status, 200);
    assert_eq!(
        by_teammate.body["conversation_count"]["teammates"],
        json!([
            {"id": env.owner, "name": "Ada Admin", "open": 0, "closed": 0, "snoozed": 0},
            {"id": env.teammate, "name": "Tom Teammate", "open": 1, "closed": 1, "snoozed": 0},
        ])
    );
    let paged = env
        .get("/conversations/count/teammates?per_page=1&page=2")
        .await;
    assert_eq!(
        paged.body["conversation_count"]["teammates"][0]["id"],
        env.teammate
    );
    assert_eq!(paged.body["pages"]["total_count"], 2);
}

#[tokio::test]
async fn teams_are_listed_and_fetched_with_their_teammates() {
    let env = Env::start().await;
    let workspace = env.fixture.workspace_id;
    let sales = teams::insert_team(&env.server.db, workspace, "Sales", 2)
        .await
        .unwrap();
    for teammate in [env.owner, env.teammate] {
        teams::add_teammate_to_team(&env.server.db, workspace, sales, teammate)
            .await
            .unwrap();
    }
    let duplicate = teams::insert_team(&env.server.db, workspace, "Sales", 3).await;
    assert!(duplicate.is_err(), "team names are unique in a workspace");
    assert!(
        !teams::add_teammate_to_team(&env.server.db, workspace, sales, env.other_owner)
            .await
            .unwrap(),
        "a teammate of another workspace cannot join"
    );

    let list = env.get("/teams").await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body["teams"],
        json!([
            {"id": sales, "name": "Sales", "teammate_ids": [env.owner, env.teammate],
             "created_at": 2},
            {"id": env.team, "name": "Support", "teammate_ids": [env.teammate], "created_at": 1},
        ])
    );
    assert_eq!(list.body["pages"]["total_count"], 2);
    let first = env.get("/teams?per_page=1").await;
    assert_eq!(first.body["teams"][0]["id"], sales);
    assert!(first.body["pages"]["next"].is_string());

    let one = env.get(&format!("/teams/{sales}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(
        one.body["team"]["teammate_ids"],
        json!([env.owner, env.teammate])
    );
    assert_eq!(env.get("/teams/999999").await.status, 404);

    // The teammates endpoint shows the same membership from the other side.
    let teammate = env.get(&format!("/teammates/{}", env.teammate)).await;
    assert_eq!(
        teammate.body["teammate"]["team_ids"],
        json!([env.team, sales])
    );

    assert!(
        teams::remove_teammate_from_team(&env.server.db, workspace, sales, env.owner)
            .await
            .unwrap()
    );
    let one = env.get(&format!("/teams/{sales}")).await;
    assert_eq!(one.body["team"]["teammate_ids"], json!([env.teammate]));

    // Deleting a team unassigns the conversations that were assigned to it.
    let conversation = env.start_conversation("For sales").await;
    env.send(
        Method::PATCH,
        &format!("/conversations/{}/assign", conversation["id"]),
        json!({"assignee_id": sales, "assignee_type": "team"}),
    )
    .await;
    assert!(
        teams::delete_team(&env.server.db, workspace, sales, 5)
            .await
            .unwrap()
    );
    assert_eq!(env.get(&format!("/teams/{sales}")).await.status, 404);
    let after = env
        .get(&format!("/conversations/{}", conversation["id"]))
        .await;
    assert_eq!(after.body["conversation"]["assignee"], Value::Null);
    assert!(
        !teams::delete_team(&env.server.db, workspace, env.other_team, 5)
            .await
            .unwrap(),
        "another workspace's team cannot be deleted"
    );
}

#[tokio::test]
async fn oauth_tokens_reach_each_endpoint_only_with_its_scope() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Scoped").await;
    let id = conversation["id"].as_i64().unwrap();
    let reads = [
        "/conversations".to_owned(),
        format!("/conversations/{id}"),
        format!("/conversations/{id}/messages"),
        "/conversations/count".to_owned(),
        "/conversations/count/teams".to_owned(),
        "/conversations/count/teammates".to_owned(),
    ];
    let writes = [
        (
            Method::POST,
            "/conversations".to_owned(),
            json!({"from": {"id": env.contact}, "body": "Hi"}),
        ),
        (
            Method::PATCH,
            format!("/conversations/{id}"),
            json!({"title": "t"}),
        ),
        (
            Method::POST,
            format!("/conversations/{id}/messages"),
            json!({"body": "b", "from": {"teammate_id": env.owner}}),
        ),
        (
            Method::PATCH,
            format!("/conversations/{id}/assign"),
            json!({"assignee_id": env.owner}),
        ),
        (
            Method::PATCH,
            format!("/conversations/{id}/priority"),
            json!({"priority": "priority"}),
        ),
        (
            Method::POST,
            format!("/conversations/{id}/tags"),
            json!({"tags": "t"}),
        ),
        (
            Method::DELETE,
            format!("/conversations/{id}/tags"),
            json!({"tag_id": 999_999}),
        ),
    ];
    let team_reads = ["/teams".to_owned(), format!("/teams/{}", env.team)];

    let read_only = env.token("read_conversations").await;
    for path in &reads {
        let reply = env.call(&read_only, Method::GET, path, None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    for (method, path, body) in &writes {
        let reply = env
            .call(&read_only, method.clone(), path, Some(body.clone()))
            .await;
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(error_code(&reply), "insufficient_scope");
    }
    for path in &team_reads {
        assert_eq!(
            env.call(&read_only, Method::GET, path, None).await.status,
            403
        );
    }

    let write_only = env.token("write_conversations read_teams").await;
    for (method, path, body) in &writes {
        let reply = env
            .call(&write_only, method.clone(), path, Some(body.clone()))
            .await;
        // The untag request names an unknown tag: past the scope check, a 404.
        let expected = if path.ends_with("/tags") && method == Method::DELETE {
            404
        } else {
            200
        };
        assert_eq!(reply.status, expected, "{method} {path}: {}", reply.body);
    }
    for path in &reads {
        assert_eq!(
            env.call(&write_only, Method::GET, path, None).await.status,
            403
        );
    }
    for path in &team_reads {
        let reply = env.call(&write_only, Method::GET, path, None).await;
        assert_eq!(reply.status, 200, "{path}");
    }

    let deleter = env.token("write_conversations").await;
    let path = format!("/conversations/{id}");
    assert_eq!(
        env.call(&read_only, Method::DELETE, &path, Some(json!({})))
            .await
            .status,
        403
    );
    assert_eq!(
        env.call(&deleter, Method::DELETE, &path, Some(json!({})))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn another_workspace_sees_and_changes_none_of_these_conversations_or_teams() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Private").await;
    let id = conversation["id"].as_i64().unwrap();
    let tagged = env
        .send(
            Method::POST,
            &format!("/conversations/{id}/tags"),
            json!({"tags": "secret"}),
        )
        .await;
    let tag_id = tagged.body["conversation"]["tags"][0]["id"].clone();
    let other =
        |method: Method, path: String, body: Option<Value>| env.as_other(method, path, body);

    let list = other(Method::GET, "/conversations".into(), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["conversations"], json!([]));
    assert_eq!(list.body["pages"]["total_count"], 0);
    let count = other(Method::GET, "/conversations/count".into(), None).await;
    assert_eq!(count.body["conversation_count"]["total"], 0);
    let teams = other(Method::GET, "/teams".into(), None).await;
    assert_eq!(teams.body["teams"][0]["id"], env.other_team);
    assert_eq!(teams.body["teams"].as_array().unwrap().len(), 1);
    let by_team = other(Method::GET, "/conversations/count/teams".into(), None).await;
    assert_eq!(
        by_team.body["conversation_count"]["teams"][0]["id"],
        env.other_team
    );
    let by_teammate = other(Method::GET, "/conversations/count/teammates".into(), None).await;
    assert_eq!(
        by_teammate.body["conversation_count"]["teammates"],
        json!([{"id": env.other_owner, "name": "Olga Other", "open": 0, "closed": 0, "snoozed": 0}])
    );

    let attempts = [
        (Method::GET, format!("/conversations/{id}"), None),
        (Method::GET, format!("/conversations/{id}/messages"), None),
        (
            Method::PATCH,
            format!("/conversations/{id}"),
            Some(json!({"state": "closed"})),
        ),
        (
            Method::POST,
            format!("/conversations/{id}/messages"),
            Some(json!({"body": "x", "from": {"teammate_id": env.other_owner}})),
        ),
        (
            Method::PATCH,
            format!("/conversations/{id}/assign"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/conversations/{id}/priority"),
            Some(json!({"priority": "priority"})),
        ),
        (
            Method::POST,
            format!("/conversations/{id}/tags"),
            Some(json!({"tags": "x"})),
        ),
        (
            Method::DELETE,
            format!("/conversations/{id}/tags"),
            Some(json!({"tag_id": tag_id})),
        ),
        (
            Method::DELETE,
            format!("/conversations/{id}"),
            Some(json!({})),
        ),
        (Method::GET, format!("/teams/{}", env.team), None),
    ];
    for (method, path, body) in attempts {
        let reply = other(method.clone(), path.clone(), body).await;
        assert_eq!(reply.status, 404, "{method} {path}");
    }

    // Acme's contact cannot start a conversation in the other workspace, and acme cannot
    // use the other workspace's contact or its own untag with the other's tag.
    let foreign_contact = other(
        Method::POST,
        "/conversations".into(),
        Some(json!({"from": {"id": env.contact}, "body": "Hi"})),
    )
    .await;
    assert_eq!(foreign_contact.status, 404);
    let reverse = env
        .send(
            Method::POST,
            "/conversations",
            json!({"from": {"id": env.other_contact}, "body": "Hi"}),
        )
        .await;
    assert_eq!(reverse.status, 404);

    let unchanged = env.get(&format!("/conversations/{id}")).await;
    assert_eq!(unchanged.status, 200);
    assert_eq!(unchanged.body["conversation"], tagged.body["conversation"]);
}

#[tokio::test]
async fn removing_a_teammate_unassigns_their_conversations() {
    let env = Env::start().await;
    let conversation = env.start_conversation("Help").await;
    let assign = format!("/conversations/{}/assign", conversation["id"]);
    let body = json!({"assignee_id": env.teammate, "assignee_type": "teammate"});
    assert_eq!(env.send(Method::PATCH, &assign, body).await.status, 200);

    let removed = gistd::storage::workspaces::delete_member(
        &env.server.db,
        env.fixture.workspace_id,
        env.teammate,
    )
    .await
    .unwrap();
    assert!(removed);

    let fetched = env
        .get(&format!("/conversations/{}", conversation["id"]))
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["conversation"]["assignee"], Value::Null);
}
