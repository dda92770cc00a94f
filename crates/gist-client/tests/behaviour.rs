//! The SDK's own behaviour against a real gistd: following `pages.next` across pages,
//! waiting out 429 answers, and turning error answers into [`gist_client::Error`].

mod support;

use gist_client::params::ContactListParams;
use gist_client::{Client, Error};
use gist_types::ContactRequest;
use support::TestServer;

#[tokio::test]
async fn collect_all_follows_pages_next_across_three_pages() {
    let server = TestServer::start("read_contact").await;
    let client = server.client();
    for batch in 0..2 {
        let contacts = (0..60)
            .map(|n| ContactRequest {
                email: Some(format!("person{}@example.com", batch * 60 + n)),
                ..ContactRequest::default()
            })
            .collect();
        client.contacts().batch(contacts).await.expect("batch");
    }
    let params = ContactListParams {
        per_page: Some(50),
        order: Some("asc".into()),
        ..ContactListParams::default()
    };

    let mut pages = client.contacts().list(params.clone()).pages();
    let mut sizes = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        sizes.push(page.len());
    }
    assert_eq!(sizes, vec![50, 50, 20]);
    assert!(pages.next_page().await.expect("after the end").is_none());

    let all = client
        .contacts()
        .list(params.clone())
        .pages()
        .collect_all()
        .await
        .expect("all");
    assert_eq!(all.len(), 120);
    let mut ids: Vec<i64> = all.iter().map(|contact| contact.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "every contact once");

    let second = client
        .contacts()
        .list(ContactListParams {
            page: Some(2),
            ..params
        })
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 50);
    assert_eq!(second.links.page, Some(2));
    assert_eq!(second.links.total_pages, Some(3));
    assert!(second.links.prev.is_some() && second.links.next.is_some());
}

#[tokio::test]
async fn rate_limited_requests_are_retried_after_retry_after() {
    let server = TestServer::start_with("read_contact", |settings| {
        settings.api_rate_limit = 2;
        settings.api_rate_window_seconds = 1;
    })
    .await;
    let client = server.client();

    // Six requests at two per one-second window cannot all fit in one window: some are
    // refused with 429 and must be waited out for all six to succeed.
    for _ in 0..6 {
        client
            .teammates()
            .list()
            .await
            .expect("succeeds after waiting");
    }
}

#[tokio::test]
async fn rate_limiting_is_an_error_once_attempts_run_out() {
    let server = TestServer::start_with("read_contact", |settings| {
        settings.api_rate_limit = 2;
        settings.api_rate_window_seconds = 3600;
    })
    .await;
    let client = server.client().with_max_attempts(1);

    let mut refusal = None;
    for _ in 0..5 {
        if let Err(error) = client.teammates().list().await {
            refusal = Some(error);
            break;
        }
    }
    match refusal.expect("the third request of the window is refused") {
        Error::RateLimited {
            retry_after,
            attempts,
        } => {
            assert_eq!(attempts, 1);
            assert!(retry_after.is_some_and(|wait| wait.as_secs() >= 1));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }

    // A server asking for a longer wait than the client accepts is not waited for.
    let impatient = server
        .client()
        .with_max_retry_wait(std::time::Duration::from_millis(1));
    assert!(matches!(
        impatient.teammates().list().await,
        Err(Error::RateLimited { attempts: 1, .. })
    ));
}

#[tokio::test]
async fn an_unknown_id_is_an_api_error_with_status_404_and_the_errors_list() {
    let server = TestServer::start("read_contact").await;
    let client = server.client();

    match client.contacts().find(424_242).await {
        Err(Error::Api { status, errors }) => {
            assert_eq!(status, 404);
            assert_eq!(errors[0].code, "not_found");
            assert!(!errors[0].message.is_empty());
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    let error = client.tags().delete(424_242).await.expect_err("404");
    assert_eq!(error.status(), Some(404));
    assert!(error.to_string().contains("404"));
}

#[tokio::test]
async fn a_bad_key_is_a_401_and_a_dead_server_a_network_error() {
    let server = TestServer::start("read_contact").await;
    let client = Client::new(&server.api_url(), "gsk_not_a_real_key").expect("client");
    let error = client.teammates().list().await.expect_err("refused");
    assert_eq!(error.status(), Some(401));

    let nowhere = Client::new("http://127.0.0.1:9/api", "gsk_x").expect("client");
    assert!(matches!(
        nowhere.teammates().list().await,
        Err(Error::Network(_))
    ));
    assert!(matches!(
        Client::new("not a url", "gsk_x"),
        Err(Error::InvalidUrl(_))
    ));
    assert!(matches!(
        Client::new("http://127.0.0.1/api", "bad\ntoken"),
        Err(Error::InvalidToken)
    ));
}
