//! Micro-benchmarks of the code every request runs through: hashing a presented token,
//! parsing and checking scopes, matching a redirect URI, rendering a page of contacts,
//! and looking an access token up in a SQLite database of realistic size.
//!
//! `cargo bench -p gistd --bench hot_paths`. Only the library's public items are used, so
//! the figures are those of the code the server runs.

use divan::{Bencher, black_box};
use gist_types::{Contact, ContactType, ContactsResponse, Segment, Tag};
use gistd::domain::redirect_uri;
use gistd::domain::scope::{Scope, ScopeSet};
use gistd::domain::secret::{Secret, SecretHash, SecretKind};
use gistd::service;
use gistd::storage::Db;
use gistd::storage::grants::{self, CodeRecord, NewCode, NewTokens, Redemption};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

/// Every API request and token exchange hashes the presented secret once.
#[divan::bench]
fn secret_hash_of_access_token(bencher: Bencher) {
    let token = Secret::generate(SecretKind::AccessToken);
    bencher.bench(|| SecretHash::of(black_box(token.expose())));
}

/// The scope string of a typical authorization request.
const REQUESTED_SCOPES: &str = "read_contact write_contact read_bulk_contacts read_tags \
                                write_tags read_conversations read_teammates";

#[divan::bench]
fn scope_set_parse(bencher: Bencher) {
    bencher.bench(|| ScopeSet::parse(black_box(REQUESTED_SCOPES)));
}

/// An API request checks its handler's scope against the token's stored scopes; the
/// stored string is parsed first, as the request path does.
#[divan::bench]
fn scope_set_from_stored_then_contains(bencher: Bencher) {
    bencher.bench(|| {
        let granted = ScopeSet::from_stored(black_box(REQUESTED_SCOPES));
        granted.contains(black_box(Scope::ReadTeammates))
    });
}

#[divan::bench]
fn scope_set_contains(bencher: Bencher) {
    let set = ScopeSet::from_stored(REQUESTED_SCOPES);
    bencher.bench(|| set.contains(black_box(Scope::ReadTeammates)));
}

mod redirect_uri_matching {
    use super::{black_box, redirect_uri};

    const REGISTERED: &str = "https://app.example.com/oauth/gist/callback";
    const LOOPBACK: &str = "http://127.0.0.1:3000/oauth/gist/callback";

    /// The common case: the presented URI is the registered one.
    #[divan::bench]
    fn identical() -> bool {
        redirect_uri::matches(black_box(REGISTERED), black_box(REGISTERED))
    }

    /// A native app on another loopback port: the comparison that parses.
    #[divan::bench]
    fn loopback_other_port() -> bool {
        let presented = "http://127.0.0.1:49152/oauth/gist/callback";
        redirect_uri::matches(black_box(LOOPBACK), black_box(presented))
    }

    /// A refused URI (a different path on the registered host).
    #[divan::bench]
    fn mismatch() -> bool {
        let presented = "https://app.example.com/oauth/gist/callback/../evil";
        redirect_uri::matches(black_box(REGISTERED), black_box(presented))
    }
}

/// A contact with the fields a real integration fills in.
fn sample_contact(id: i64) -> Contact {
    let object = |value: serde_json::Value| match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Contact {
        contact_type: if id % 3 == 0 {
            ContactType::Lead
        } else {
            ContactType::User
        },
        id,
        name: Some(format!("Contact Number {id}")),
        email: Some(format!("contact-{id}@customer.example.com")),
        user_id: (id % 3 != 0).then(|| format!("user-{id}")),
        phone: Some("+44 20 7946 0958".into()),
        created_at: 1_760_000_000 + id,
        updated_at: 1_760_100_000 + id,
        last_seen_at: Some(1_760_200_000 + id),
        signed_up_at: Some(1_760_000_500 + id),
        last_contacted_at: None,
        session_count: id % 17,
        avatar: None,
        landing_url: Some("https://www.example.com/pricing".into()),
        original_referrer: Some("https://search.example.org/".into()),
        last_seen_ip: Some("203.0.113.7".into()),
        last_seen_user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0".into()),
        location_data: object(serde_json::json!({
            "city_name": "London", "country_code": "GB", "time_zone": "Europe/London"
        })),
        segments: vec![Segment {
            id: 1,
            name: "Active users".into(),
            created_at: 1_750_000_000,
            updated_at: 1_750_000_000,
            count: None,
        }],
        tags: vec![
            Tag {
                id: 1,
                name: "customer".into(),
            },
            Tag {
                id: 2,
                name: "newsletter".into(),
            },
        ],
        social_profiles: Vec::new(),
        custom_properties: object(serde_json::json!({
            "plan": "team", "seats": 12, "trial": false
        })),
        unsubscribed_from_emails: false,
    }
}

/// `GET /api/contacts` at 50 per page: the response body the handler serialises.
#[divan::bench]
fn render_contacts_page_of_50(bencher: Bencher) {
    let page = ContactsResponse {
        contacts: (1..=50).map(sample_contact).collect(),
        pages: Some(serde_json::json!({
            "page": 1, "per_page": 50, "total_count": 1000, "total_pages": 20,
            "first": "https://gistd.example.com/api/contacts?page=1&per_page=50",
            "next": "https://gistd.example.com/api/contacts?page=2&per_page=50",
            "last": "https://gistd.example.com/api/contacts?page=20&per_page=50",
        })),
    };
    bencher
        .counter(divan::counter::ItemsCount::new(50usize))
        .bench(|| serde_json::to_vec(black_box(&page)).map(|body| body.len()));
}

/// Access tokens in the lookup database, each in a grant of its own.
const STORED_TOKENS: usize = 10_000;

/// A SQLite database holding [`STORED_TOKENS`] live access tokens, made once for all
/// lookup benchmarks, with the tokens themselves (the database keeps only hashes).
struct TokenDatabase {
    runtime: tokio::runtime::Runtime,
    db: Db,
    tokens: Vec<String>,
    _dir: tempfile::TempDir,
}

fn token_database() -> &'static TokenDatabase {
    static DATABASE: OnceLock<TokenDatabase> = OnceLock::new();
    DATABASE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("bench.db");
        let (db, tokens) = runtime
            .block_on(fill_token_database(path.to_string_lossy().as_ref()))
            .expect("token database");
        TokenDatabase {
            runtime,
            db,
            tokens,
            _dir: dir,
        }
    })
}

/// Creates a user, workspace and app through the service layer, then issues each token
/// the way the token endpoint does: store a code, redeem it into a new grant.
async fn fill_token_database(path: &str) -> anyhow::Result<(Db, Vec<String>)> {
    let db = Db::connect(path).await?;
    db.migrate().await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let user_id = service::create_user(
        &db,
        now,
        "bench@example.com",
        "Bench",
        Secret::new("bench password 1234"),
    )
    .await?;
    let workspace = service::create_workspace(&db, now, user_id, "Bench", Some("bench")).await?;
    let uris = vec!["https://app.example.com/cb".to_owned()];
    let scopes = ScopeSet::from_stored(REQUESTED_SCOPES);
    let (app, _) = service::create_app(&db, now, user_id, "Bench App", "", &uris, &scopes).await?;

    let mut tokens = Vec::with_capacity(STORED_TOKENS);
    for _ in 0..STORED_TOKENS {
        let code = Secret::generate(SecretKind::AuthorizationCode).hash();
        let new_code = NewCode {
            code_hash: code.as_str().to_owned(),
            record: CodeRecord {
                app_id: app.id,
                workspace_id: workspace.id,
                user_id,
                redirect_uri: uris[0].clone(),
                scope: REQUESTED_SCOPES.to_owned(),
                code_challenge: None,
                expires_at: now + 600,
            },
        };
        grants::insert_code(&db, &new_code, now).await?;

        let access = Secret::generate(SecretKind::AccessToken);
        let refresh = Secret::generate(SecretKind::RefreshToken);
        let (access_hash, refresh_hash) = (access.hash(), refresh.hash());
        let issued = NewTokens {
            access_hash: access_hash.as_str().to_owned(),
            refresh_hash: refresh_hash.as_str().to_owned(),
            access_scope: None,
            access_expires_at: Some(now + 7200),
        };
        let accept = |_: &CodeRecord| Ok::<(), ()>(());
        match grants::redeem_code(&db, code.as_str(), app.id, issued, now, accept).await? {
            Redemption::Issued { .. } => tokens.push(access.expose().to_owned()),
            other => anyhow::bail!("a fresh code was not redeemed: {other:?}"),
        }
    }
    Ok((db, tokens))
}

mod access_token_lookup {
    use super::{Bencher, SecretHash, grants, token_database};

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() as i64)
    }

    /// A live token, cycling through all stored ones so the cache is not always warm on
    /// the same row. The hash is part of the measured work, as in a request.
    #[divan::bench]
    fn live_token_of_10k(bencher: Bencher) {
        let database = token_database();
        let now = now();
        let mut next = 0usize;
        bencher.bench_local(|| {
            let token = &database.tokens[next % database.tokens.len()];
            next += 1;
            let hash = SecretHash::of(token);
            let found = database.runtime.block_on(grants::find_live_access_token(
                &database.db,
                hash.as_str(),
                now,
            ));
            assert!(matches!(found, Ok(Some(_))), "a stored token was not found");
        });
    }

    /// An unknown token: the index says no at once.
    #[divan::bench]
    fn unknown_token_of_10k(bencher: Bencher) {
        let database = token_database();
        let now = now();
        let hash = SecretHash::of("gat_this-token-was-never-issued");
        bencher.bench_local(|| {
            let found = database.runtime.block_on(grants::find_live_access_token(
                &database.db,
                hash.as_str(),
                now,
            ));
            assert!(matches!(found, Ok(None)), "an unknown token was found");
        });
    }
}
