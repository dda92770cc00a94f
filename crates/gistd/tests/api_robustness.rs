//! Every REST API operation that may carry a body (each POST, PATCH and DELETE of
//! `/api/openapi.json`, so a new endpoint is covered as soon as it is documented) gets
//! hostile bodies: malformed JSON, an array or a string instead of an object, a wrong
//! type in each known field, invalid UTF-8, more than 1 MiB. Each must be a 4xx in Gist's
//! `{"errors": [{"code", "message"}]}` envelope and change nothing (the resource lists
//! read back identical); a valid body with an unknown field added must still succeed.

mod support;

use gistd::storage::{marketing, teams};
use reqwest::Method;
use serde_json::{Value, json};
use support::TestServer;

/// The objects the operations act on. Path ids are filled with the `main` ones; the
/// valid DELETE requests use `spare` objects so later operations keep their targets.
struct World {
    contact: i64,
    spare_contact: i64,
    conversation: i64,
    spare_conversation: i64,
    message: i64,
    tag: i64,
    spare_tag: i64,
    teammate: i64,
    form: i64,
    campaign: i64,
    subscription_type: i64,
}

/// The API with the workspace's key; every body is sent as raw bytes.
struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    /// A request that must succeed; returns its body.
    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let what = format!("{method} {path}");
        let (status, body) = self.send(method, path, Some(body.to_string().into())).await;
        assert_eq!(status, 200, "{what}: {body}");
        body
    }

    /// Every list and object a body could change, read back.
    async fn snapshot(&self, world: &World) -> Vec<Value> {
        let paths = [
            "/contacts?per_page=100".to_owned(),
            format!("/contacts/{}", world.contact),
            "/tags?per_page=100".to_owned(),
            "/conversations?state=all&per_page=100".to_owned(),
            format!("/conversations/{}", world.conversation),
            format!(
                "/conversations/{}/messages?per_page=100",
                world.conversation
            ),
            "/events?per_page=100".to_owned(),
            format!("/forms/{}/submissions?per_page=100", world.form),
            "/campaigns?per_page=100".to_owned(),
            format!("/subscription_types/{}", world.subscription_type),
            "/subscription_types?per_page=100".to_owned(),
        ];
        let mut all = Vec::new();
        for path in paths {
            let (status, body) = self.send(Method::GET, &path, None).await;
            all.push(json!({"path": path, "status": status, "body": body}));
        }
        all
    }
}

async fn start() -> (TestServer, Api, World) {
    let server = TestServer::start_with(|settings| settings.api_rate_limit = 1_000_000).await;
    let fixture = server.fixture("read_contact").await;
    let api = Api {
        http: reqwest::Client::new(),
        base: server.url("/api"),
        key: server.api_key(fixture.workspace_id).await,
    };
    let (db, workspace, now) = (&server.db, fixture.workspace_id, server.clock_now());

    let contact = |email: &str| json!({"email": email, "user_id": email, "tags": ["beta"]});
    let post = |path: &'static str, body: Value| api.ok(Method::POST, path, body);
    let ada = post("/contacts", contact("ada@example.com")).await["contact"]["id"]
        .as_i64()
        .expect("contact id");
    let spare_contact = post("/contacts", contact("spare@example.com")).await["contact"]["id"]
        .as_i64()
        .expect("contact id");
    post("/contacts", contact("by-key@example.com")).await;
    let tag = post("/tags", json!({"name": "beta"})).await["tag"]["id"]
        .as_i64()
        .expect("tag id");
    let spare_tag = post("/tags", json!({"name": "spare"})).await["tag"]["id"]
        .as_i64()
        .expect("tag id");
    let (_, teammates) = api.send(Method::GET, "/teammates", None).await;
    let teammate = teammates["teammates"][0]["id"]
        .as_i64()
        .expect("teammate id");
    let start = json!({"from": {"id": ada}, "body": "Hello"});
    let conversation = post("/conversations", start.clone()).await["conversation"]["id"]
        .as_i64()
        .expect("conversation id");
    let spare_conversation = post("/conversations", start).await["conversation"]["id"]
        .as_i64()
        .expect("conversation id");
    let (_, messages) = api
        .send(
            Method::GET,
            &format!("/conversations/{conversation}/messages"),
            None,
        )
        .await;
    let message = messages["messages"][0]["id"].as_i64().expect("message id");
    let tagging = json!({"message_id": message, "tags": "beta"});
    api.ok(
        Method::POST,
        &format!("/conversations/{conversation}/tags"),
        tagging,
    )
    .await;
    teams::insert_team(db, workspace, "Support", now)
        .await
        .expect("team");

    let world = World {
        contact: ada,
        spare_contact,
        conversation,
        spare_conversation,
        message,
        tag,
        spare_tag,
        teammate,
        form: marketing::insert_form(db, workspace, "Newsletter", now)
            .await
            .expect("form"),
        campaign: marketing::insert_campaign(db, workspace, "Onboarding", now)
            .await
            .expect("campaign"),
        subscription_type: marketing::insert_subscription_type(db, workspace, "News", "", now)
            .await
            .expect("subscription type"),
    };
    (server, api, world)
}

/// The id of the object a documented path's `{id}` names, by its first segment.
fn path_for(method: &str, template: &str, world: &World) -> String {
    let id = match template.split('/').nth(1) {
        Some("contacts") => world.contact,
        Some("conversations") => world.conversation,
        Some("tags") => world.tag,
        Some("forms") => world.form,
        Some("campaigns") => world.campaign,
        Some("subscription_types") => world.subscription_type,
        _ if !template.contains("{id}") => 0,
        other => panic!("{template}: say which object `{other:?}` paths act on"),
    };
    let path = template.replace("{id}", &id.to_string());
    // `DELETE /contacts` names its contact in the query.
    if (method, path.as_str()) == ("delete", "/contacts") {
        return format!("{path}?email=ada@example.com");
    }
    path
}

/// A request that `method template` must accept, aimed at spare objects where it
/// destroys; the unknown field is added by the caller.
fn valid_request(method: &str, template: &str, world: &World) -> (String, Value) {
    let email = "ada@example.com";
    let conversation = format!("/conversations/{}", world.conversation);
    let acting = json!({"teammate_id": world.teammate});
    let (path, body) = match (method, template) {
        ("post", "/campaigns") => (
            "/campaigns".into(),
            json!({"id": world.campaign, "email": email}),
        ),
        ("post", "/contacts") => ("/contacts".into(), json!({"email": "new@example.com"})),
        ("post", "/contacts/batch") => (
            "/contacts/batch".into(),
            json!({"contacts": [{"email": "batch@example.com"}]}),
        ),
        ("delete", "/contacts/{id}") => (format!("/contacts/{}", world.spare_contact), json!({})),
        ("delete", "/contacts") => ("/contacts?email=by-key@example.com".into(), json!({})),
        ("post", "/conversations") => (
            "/conversations".into(),
            json!({"from": {"id": world.contact}, "body": "Another"}),
        ),
        ("patch", "/conversations/{id}") => (conversation, json!({"title": "Renamed"})),
        ("delete", "/conversations/{id}") => (
            format!("/conversations/{}", world.spare_conversation),
            json!({}),
        ),
        ("post", "/conversations/{id}/messages") => (
            format!("{conversation}/messages"),
            json!({"message_type": "reply", "body": "On it",
                   "from": {"type": "teammate", "teammate_id": world.teammate}}),
        ),
        ("patch", "/conversations/{id}/assign") => (
            format!("{conversation}/assign"),
            json!({"teammate_id": world.teammate, "assignee_id": world.teammate,
                   "assignee_type": "teammate"}),
        ),
        ("patch", "/conversations/{id}/priority") => {
            let mut body = acting;
            body["priority"] = json!("priority");
            (format!("{conversation}/priority"), body)
        }
        ("post", "/conversations/{id}/tags") => (
            format!("{conversation}/tags"),
            json!({"message_id": world.message, "tags": "urgent"}),
        ),
        ("delete", "/conversations/{id}/tags") => (
            format!("{conversation}/tags"),
            json!({"message_id": world.message, "tag_id": world.tag}),
        ),
        ("post", "/events") => (
            "/events".into(),
            json!({"event_name": "seen", "email": email}),
        ),
        ("post", "/forms/{id}/subscribe") => (
            format!("/forms/{}/subscribe", world.form),
            json!({"email": email}),
        ),
        ("post", "/subscription_types/{id}") => (
            format!("/subscription_types/{}", world.subscription_type),
            json!({"email": email, "status": "subscribed"}),
        ),
        ("post", "/tags") => ("/tags".into(), json!({"name": "fresh"})),
        ("delete", "/tags/{id}") => (format!("/tags/{}", world.spare_tag), json!({})),
        _ => panic!("{method} {template}: add a valid body to this table"),
    };
    (path, body)
}

/// The types a schema allows, following `$ref`, `oneOf`, `anyOf` and `allOf`.
fn types_of(schema: &Value, document: &Value, types: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return types_of(&document["components"]["schemas"][name], document, types);
    }
    match &schema["type"] {
        Value::String(kind) => types.push(kind.clone()),
        Value::Array(kinds) => types.extend(kinds.iter().filter_map(Value::as_str).map(Into::into)),
        _ if schema.get("properties").is_some() => types.push("object".into()),
        _ => {}
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        for member in schema[combinator].as_array().into_iter().flatten() {
            types_of(member, document, types);
        }
    }
}

/// For each property of an operation's JSON body, a value of a type it does not take:
/// `true` where only objects and arrays fit, a nested array where scalars fit.
fn wrong_types(operation: &Value, document: &Value) -> Vec<(String, Value)> {
    let mut schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        schema = &document["components"]["schemas"][name];
    }
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut types = Vec::new();
            types_of(property, document, &mut types);
            let container = !types.is_empty()
                && types
                    .iter()
                    .all(|kind| matches!(kind.as_str(), "object" | "array" | "null"));
            let wrong = if container {
                json!(true)
            } else {
                json!([[true]])
            };
            (name.clone(), wrong)
        })
        .collect()
}

/// Panics unless `body` is Gist's error envelope.
fn is_error_envelope(body: &Value) -> bool {
    body["errors"][0]["code"].is_string() && body["errors"][0]["message"].is_string()
}

#[tokio::test]
async fn hostile_bodies_are_refused_with_a_4xx_and_change_nothing_on_every_operation() {
    let (server, api, world) = start().await;
    let document: Value = reqwest::get(server.url("/api/openapi.json"))
        .await
        .expect("OpenAPI document")
        .json()
        .await
        .expect("OpenAPI JSON");

    // Destructive operations last, so the others still find their objects.
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().expect("paths") {
        for method in ["post", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method, template.clone(), item[method].clone()));
            }
        }
    }
    operations.sort_by_key(|(method, template, _)| (*method == "delete", template.clone()));
    assert!(
        operations.len() >= 15,
        "only {} operations",
        operations.len()
    );

    let oversized = format!("{{\"name\": \"{}\"}}", "a".repeat(1024 * 1024 + 16));
    let mut failures = Vec::new();
    let mut typed_fields = 0;
    for (method, template, operation) in &operations {
        let http_method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let path = path_for(method, template, &world);
        let mut hostile: Vec<(String, Vec<u8>)> = vec![
            ("malformed JSON".into(), b"{\"name\": ".to_vec()),
            ("an array".into(), b"[]".to_vec()),
            ("an array of an object".into(), b"[{}]".to_vec()),
            ("a string".into(), b"\"text\"".to_vec()),
            ("a number".into(), b"42".to_vec()),
            ("invalid UTF-8".into(), b"{\"name\": \"\xff\xfe\"}".to_vec()),
            ("over 1 MiB".into(), oversized.clone().into_bytes()),
        ];
        let wrong_fields = wrong_types(operation, &document);
        typed_fields += wrong_fields.len();
        for (field, wrong) in wrong_fields {
            let body = json!({ field.clone(): wrong });
            hostile.push((
                format!("`{field}` of a wrong type"),
                body.to_string().into(),
            ));
        }

        let before = api.snapshot(&world).await;
        for (what, body) in hostile {
            let (status, answer) = api.send(http_method.clone(), &path, Some(body)).await;
            if !(400..500).contains(&status) || !is_error_envelope(&answer) {
                let answer = answer.to_string();
                let answer = &answer[..answer.len().min(200)];
                failures.push(format!("{method} {path} with {what}: {status} {answer}"));
            }
        }
        if api.snapshot(&world).await != before {
            failures.push(format!("{method} {path}: hostile bodies changed data"));
        }

        let (path, mut body) = valid_request(method, template, &world);
        body["unknown_field_from_a_newer_client"] = json!({"nested": [1, "two"]});
        let (status, answer) = api
            .send(http_method, &path, Some(body.to_string().into()))
            .await;
        if status != 200 {
            failures.push(format!(
                "{method} {path} with an unknown field: {status} {answer}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        typed_fields >= 40,
        "only {typed_fields} body fields found in the document"
    );
}
