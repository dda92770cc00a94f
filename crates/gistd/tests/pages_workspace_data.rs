//! The workspace data pages (teams, conversations, contacts, marketing), driven through
//! real HTTP the way a browser would: who may see them, who may change things, CSRF,
//! escaping, and that what the forms create is what the API then shows.

mod support;

use gistd::storage::workspaces;
use serde_json::{Value, json};
use support::{Browser, TestServer, session_csrf};

/// A markup name that must come back escaped, never as a tag.
const XSS: &str = "<script>alert(1)</script>";
/// How [`XSS`] reads once escaped by askama.
const XSS_ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// Two workspaces and the people around them.
struct World {
    server: TestServer,
    /// Owner of `acme`.
    owner: Browser,
    /// A plain member of `acme`.
    member: Browser,
    /// Owner of `other`, not a member of `acme`.
    outsider: Browser,
    /// `acme`'s API key.
    key: String,
    /// `other`'s API key.
    other_key: String,
    /// The plain member's membership (teammate) id in `acme`.
    member_teammate_id: i64,
}

async fn world() -> World {
    let server = TestServer::start().await;
    server.create_user("owner@example.com", "Olive Owner").await;
    let member_user = server
        .create_user("member@example.com", "Milo Member")
        .await;
    server
        .create_user("outsider@example.com", "Otto Outsider")
        .await;
    let acme = server
        .create_workspace("owner@example.com", "Acme", "acme")
        .await;
    let other = server
        .create_workspace("outsider@example.com", "Other", "other")
        .await;
    workspaces::insert_member(&server.db, acme, member_user, "member", server.clock_now())
        .await
        .expect("member added");
    let member_teammate_id = workspaces::list_members(&server.db, acme)
        .await
        .expect("members")
        .into_iter()
        .find(|member| member.user_id == member_user)
        .expect("the member")
        .id;
    let key = server.api_key(acme).await;
    let other_key = server.api_key(other).await;
    let owner = server.browser();
    owner.login("owner@example.com").await;
    let member = server.browser();
    member.login("member@example.com").await;
    let outsider = server.browser();
    outsider.login("outsider@example.com").await;
    World {
        server,
        owner,
        member,
        outsider,
        key,
        other_key,
        member_teammate_id,
    }
}

impl World {
    /// GET an API path with `key`; asserts 200 and returns the JSON.
    async fn api_get(&self, key: &str, path: &str) -> Value {
        let response = reqwest::Client::new()
            .get(self.server.url(&format!("/api{path}")))
            .bearer_auth(key)
            .send()
            .await
            .expect("API GET");
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// POST JSON to an API path with `key`; asserts 200 and returns the JSON.
    async fn api_post(&self, key: &str, path: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(self.server.url(&format!("/api{path}")))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("API POST");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, 200, "POST {path}: {body}");
        body
    }
}

/// GET a page; returns its status and body.
async fn page(browser: &Browser, path: &str) -> (u16, String) {
    let response = browser.get(path).await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("HTML"))
}

/// Posts a form with the browser's session CSRF token plus `fields`; returns the status.
async fn submit(browser: &Browser, path: &str, fields: &[(&str, &str)]) -> u16 {
    let csrf = session_csrf(browser).await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(path, &all).await.status().as_u16()
}

/// The names in the list `wrapper` of an API response.
fn names(body: &Value, wrapper: &str) -> Vec<String> {
    body[wrapper]
        .as_array()
        .unwrap_or_else(|| panic!("{wrapper} list in {body}"))
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

const DATA_PAGES: [&str; 4] = [
    "/workspaces/acme/teams",
    "/workspaces/acme/conversations",
    "/workspaces/acme/contacts",
    "/workspaces/acme/marketing",
];

#[tokio::test]
async fn every_data_page_is_for_members_of_the_workspace_only() {
    let world = world().await;
    let (_, home) = page(&world.member, "/workspaces/acme").await;
    for path in DATA_PAGES {
        assert!(
            home.contains(&format!("href=\"{path}\"")),
            "workspace page links {path}"
        );
        assert_eq!(page(&world.owner, path).await.0, 200, "owner sees {path}");
        let (status, body) = page(&world.member, path).await;
        assert_eq!(status, 200, "member sees {path}");
        assert!(body.contains("Acme"));
        assert_eq!(
            page(&world.outsider, path).await.0,
            404,
            "outsider gets 404 on {path}"
        );
        let anonymous = world.server.browser();
        assert_ne!(
            page(&anonymous, path).await.0,
            200,
            "anonymous is not shown {path}"
        );
    }
    assert_eq!(page(&world.owner, "/workspaces/nope/teams").await.0, 404);
    world.server.stop().await;
}

#[tokio::test]
async fn admins_manage_teams_on_the_page_and_the_api_shows_them() {
    let world = world().await;
    let name = format!("{XSS} Support");
    assert_eq!(
        submit(&world.owner, "/workspaces/acme/teams", &[("name", &name)]).await,
        303
    );
    let teams = world.api_get(&world.key, "/teams").await;
    assert_eq!(names(&teams, "teams"), [name.as_str()]);
    let team_id = teams["teams"][0]["id"].as_i64().expect("id");
    assert!(
        names(&world.api_get(&world.other_key, "/teams").await, "teams").is_empty(),
        "the other workspace sees none"
    );

    let (_, body) = page(&world.member, "/workspaces/acme/teams").await;
    assert!(
        body.contains(&format!("{XSS_ESCAPED} Support")),
        "escaped name shown"
    );
    assert!(!body.contains(XSS), "never raw markup");
    assert!(!body.contains("Create team"), "members see no admin forms");

    // The same name again is a clear 400, not a 500.
    assert_eq!(
        submit(&world.owner, "/workspaces/acme/teams", &[("name", &name)]).await,
        400
    );
    assert_eq!(
        submit(&world.owner, "/workspaces/acme/teams", &[("name", "  ")]).await,
        400
    );

    let teammates = format!("/workspaces/acme/teams/{team_id}/teammates");
    let member = world.member_teammate_id.to_string();
    assert_eq!(
        submit(&world.owner, &teammates, &[("teammate_id", &member)]).await,
        303
    );
    let team = world
        .api_get(&world.key, &format!("/teams/{team_id}"))
        .await;
    assert_eq!(
        team["team"]["teammate_ids"],
        json!([world.member_teammate_id])
    );
    let (_, body) = page(&world.owner, "/workspaces/acme/teams").await;
    assert!(body.contains("Milo Member"));
    assert!(body.contains("Remove from team"));

    // A teammate of no membership here, and a team of another workspace's id space.
    assert_eq!(
        submit(&world.owner, &teammates, &[("teammate_id", "99999")]).await,
        400
    );
    assert_eq!(
        submit(
            &world.owner,
            "/workspaces/acme/teams/99999/teammates",
            &[("teammate_id", &member)]
        )
        .await,
        404
    );

    // A plain member can change nothing.
    let remove = format!("{teammates}/{member}/remove");
    let delete = format!("/workspaces/acme/teams/{team_id}/delete");
    assert_eq!(submit(&world.member, &remove, &[]).await, 403);
    assert_eq!(submit(&world.member, &delete, &[]).await, 403);
    assert_eq!(
        submit(&world.member, &teammates, &[("teammate_id", &member)]).await,
        403
    );
    assert_eq!(
        submit(&world.member, "/workspaces/acme/teams", &[("name", "Mine")]).await,
        403
    );
    // An outsider does not even learn the workspace exists.
    assert_eq!(submit(&world.outsider, &delete, &[]).await, 404);

    assert_eq!(submit(&world.owner, &remove, &[]).await, 303);
    let team = world
        .api_get(&world.key, &format!("/teams/{team_id}"))
        .await;
    assert_eq!(team["team"]["teammate_ids"], json!([]));
    assert_eq!(
        submit(&world.owner, &remove, &[]).await,
        404,
        "already removed"
    );

    assert_eq!(submit(&world.owner, &delete, &[]).await, 303);
    assert!(names(&world.api_get(&world.key, "/teams").await, "teams").is_empty());
    assert_eq!(
        submit(&world.owner, &delete, &[]).await,
        404,
        "already deleted"
    );
    world.server.stop().await;
}

#[tokio::test]
async fn forms_without_the_session_csrf_token_change_nothing() {
    let world = world().await;
    let routes = [
        "/workspaces/acme/teams",
        "/workspaces/acme/segments",
        "/workspaces/acme/forms",
        "/workspaces/acme/campaigns",
        "/workspaces/acme/subscription-types",
    ];
    for route in routes {
        let missing = world.owner.post_form(route, &[("name", "Sneaky")]).await;
        assert_eq!(missing.status(), 403, "{route} without a token");
        let wrong = world
            .owner
            .post_form(route, &[("csrf", "forged"), ("name", "Sneaky")])
            .await;
        assert_eq!(wrong.status(), 403, "{route} with a wrong token");
        // Another user's valid token is no good for this browser session either.
        let foreign = session_csrf(&world.outsider).await;
        let borrowed = world
            .owner
            .post_form(route, &[("csrf", &foreign), ("name", "Sneaky")])
            .await;
        assert_eq!(
            borrowed.status(),
            403,
            "{route} with another session's token"
        );
    }
    assert!(names(&world.api_get(&world.key, "/teams").await, "teams").is_empty());
    assert!(names(&world.api_get(&world.key, "/segments").await, "segments").is_empty());
    assert!(names(&world.api_get(&world.key, "/forms").await, "forms").is_empty());
    assert!(names(&world.api_get(&world.key, "/campaigns").await, "campaigns").is_empty());
    let types = world.api_get(&world.key, "/subscription_types").await;
    assert!(names(&types, "subscription_types").is_empty());
    world.server.stop().await;
}

#[tokio::test]
async fn admins_create_segments_forms_campaigns_and_subscription_types() {
    let world = world().await;
    let kinds = [
        ("/workspaces/acme/segments", "/segments", "segments"),
        ("/workspaces/acme/forms", "/forms", "forms"),
        ("/workspaces/acme/campaigns", "/campaigns", "campaigns"),
        (
            "/workspaces/acme/subscription-types",
            "/subscription_types",
            "subscription_types",
        ),
    ];
    for (route, api, wrapper) in kinds {
        let name = format!("{XSS} {wrapper}");
        let fields = [
            ("name", name.as_str()),
            ("description", "Weekly <b>news</b>"),
        ];
        assert_eq!(
            submit(&world.member, route, &fields).await,
            403,
            "member on {route}"
        );
        assert_eq!(
            submit(&world.outsider, route, &fields).await,
            404,
            "outsider on {route}"
        );
        assert_eq!(
            submit(&world.owner, route, &[("name", "")]).await,
            400,
            "empty name"
        );
        assert_eq!(
            submit(&world.owner, route, &fields).await,
            303,
            "owner on {route}"
        );
        assert_eq!(
            names(&world.api_get(&world.key, api).await, wrapper),
            [name.as_str()]
        );
        let other = world.api_get(&world.other_key, api).await;
        assert!(
            names(&other, wrapper).is_empty(),
            "{api} of the other workspace"
        );
        let (_, body) = page(&world.member, "/workspaces/acme/marketing").await;
        assert!(
            body.contains(&format!("{XSS_ESCAPED} {wrapper}")),
            "{wrapper} on the page"
        );
        assert!(!body.contains(XSS));
    }
    let types = world.api_get(&world.key, "/subscription_types").await;
    assert_eq!(
        types["subscription_types"][0]["description"],
        "Weekly <b>news</b>"
    );
    let (_, body) = page(&world.owner, "/workspaces/acme/marketing").await;
    assert!(body.contains("Weekly &#60;b&#62;news&#60;/b&#62;"));
    assert!(body.contains("Create segment"), "admins see the forms");
    let (_, body) = page(&world.member, "/workspaces/acme/marketing").await;
    assert!(!body.contains("Create segment"), "members do not");
    world.server.stop().await;
}

#[tokio::test]
async fn conversations_and_contacts_are_shown_read_only_to_members() {
    let world = world().await;
    let contact = world
        .api_post(
            &world.key,
            "/contacts",
            json!({"email": "xss@example.com", "name": XSS, "user_id": "u-1",
                   "tags": [format!("{XSS} tag")], "custom_properties": {"plan": "<i>pro</i>"}}),
        )
        .await;
    let contact_id = contact["contact"]["id"].as_i64().expect("contact id");
    let conversation = world
        .api_post(
            &world.key,
            "/conversations",
            json!({"from": {"email": "xss@example.com"}, "body": format!("Hello {XSS}"),
                   "title": format!("{XSS} title")}),
        )
        .await;
    let conversation_id = conversation["conversation"]["id"]
        .as_i64()
        .expect("conversation id");
    // The other workspace's data must never show here.
    world
        .api_post(
            &world.other_key,
            "/contacts",
            json!({"email": "secret@example.com"}),
        )
        .await;
    let foreign = world
        .api_post(
            &world.other_key,
            "/conversations",
            json!({"from": {"email": "secret@example.com"}, "body": "private"}),
        )
        .await;
    let foreign_id = foreign["conversation"]["id"].as_i64().expect("id");

    let (status, list) = page(&world.member, "/workspaces/acme/conversations").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("{XSS_ESCAPED} title")));
    assert!(list.contains(&format!("/workspaces/acme/conversations/{conversation_id}")));
    assert!(!list.contains(XSS));
    let (_, open) = page(&world.member, "/workspaces/acme/conversations?state=open").await;
    assert!(open.contains(&format!("{XSS_ESCAPED} title")));
    let (_, closed) = page(&world.member, "/workspaces/acme/conversations?state=closed").await;
    assert!(
        !closed.contains("title</a>"),
        "no closed conversation listed"
    );
    assert!(closed.contains("0 conversations"));
    assert_eq!(
        page(&world.member, "/workspaces/acme/conversations?state=bogus")
            .await
            .0,
        400
    );
    assert_eq!(
        page(&world.member, "/workspaces/acme/conversations?page=0")
            .await
            .0,
        400
    );

    let detail = format!("/workspaces/acme/conversations/{conversation_id}");
    let (status, body) = page(&world.member, &detail).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("Hello {XSS_ESCAPED}")),
        "message shown escaped"
    );
    assert!(body.contains(&format!("/workspaces/acme/contacts/{contact_id}")));
    assert!(body.contains("Unassigned"));
    assert!(!body.contains(XSS));
    assert!(
        !body.contains("<form method=\"post\" action=\"/workspaces/acme/conv"),
        "read-only"
    );
    assert_eq!(page(&world.outsider, &detail).await.0, 404);
    let foreign_path = format!("/workspaces/acme/conversations/{foreign_id}");
    assert_eq!(
        page(&world.owner, &foreign_path).await.0,
        404,
        "other workspace's id"
    );
    assert_eq!(
        page(&world.owner, "/workspaces/acme/conversations/abc")
            .await
            .0,
        404
    );

    let (status, contacts) = page(&world.member, "/workspaces/acme/contacts").await;
    assert_eq!(status, 200);
    assert!(contacts.contains("xss@example.com"));
    assert!(
        contacts.contains(&format!("{XSS_ESCAPED} tag")),
        "tags listed"
    );
    assert!(!contacts.contains("secret@example.com"));
    assert!(!contacts.contains(XSS));

    let detail = format!("/workspaces/acme/contacts/{contact_id}");
    let (status, body) = page(&world.member, &detail).await;
    assert_eq!(status, 200);
    assert!(body.contains("u-1"));
    assert!(
        body.contains("&#60;i&#62;pro&#60;/i&#62;"),
        "custom properties escaped"
    );
    assert!(!body.contains(XSS));
    assert_eq!(page(&world.outsider, &detail).await.0, 404);
    assert_eq!(
        page(&world.owner, "/workspaces/acme/contacts/99999")
            .await
            .0,
        404
    );
    world.server.stop().await;
}

#[tokio::test]
async fn the_contact_list_pages_through_every_contact() {
    let world = world().await;
    let batch: Vec<Value> = (0..55)
        .map(|n| json!({"email": format!("c{n:02}@example.com")}))
        .collect();
    for contact in batch {
        world.api_post(&world.key, "/contacts", contact).await;
    }
    let (_, first) = page(&world.member, "/workspaces/acme/contacts").await;
    assert!(first.contains("55 contacts"));
    assert!(first.contains("Page 1 of 2"));
    assert!(first.contains("href=\"/workspaces/acme/contacts?page=2\""));
    let (_, second) = page(&world.member, "/workspaces/acme/contacts?page=2").await;
    assert!(second.contains("Page 2 of 2"));
    assert!(second.contains("href=\"/workspaces/acme/contacts?page=1\""));
    let seen = (0..55)
        .filter(|n| {
            let email = format!("c{n:02}@example.com");
            first.contains(&email) || second.contains(&email)
        })
        .count();
    assert_eq!(seen, 55, "every contact on one of the two pages");
    let on_both = (0..55)
        .filter(|n| {
            let email = format!("c{n:02}@example.com");
            first.contains(&email) && second.contains(&email)
        })
        .count();
    assert_eq!(on_both, 0, "no contact on both pages");
    world.server.stop().await;
}
