//! Every resource group of the SDK against a real gistd, with a workspace API key: each
//! call goes over HTTP to the server and its answer is decoded into the shared wire
//! types.

mod support;

use gist_client::params::{
    ContactListParams, ConversationListParams, EventListParams, ListParams, SegmentListParams,
};
use gist_types::conversations::{
    AssignConversationRequest, ContactReference, CreateConversationRequest, CreateMessageRequest,
    MessageFrom, PriorityRequest, TagConversationRequest, TagNames, UntagConversationRequest,
    UpdateConversationRequest,
};
use gist_types::events::TrackEventRequest;
use gist_types::marketing::{
    CampaignSubscriptionRequest, FormSubscribeRequest, SubscriptionTypeContactRequest,
};
use gist_types::{ContactRequest, TagContactItem, TagRequest};
use gistd::storage::{marketing, segments, teams};
use support::{TestServer, now};

fn contact(email: &str) -> ContactRequest {
    ContactRequest {
        email: Some(email.to_owned()),
        ..ContactRequest::default()
    }
}

#[tokio::test]
async fn contacts_are_saved_found_listed_and_deleted_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let client = server.client();
    let contacts = client.contacts();

    let ada = contacts
        .save(&ContactRequest {
            user_id: Some("u-1".into()),
            name: Some("Ada".into()),
            ..contact("ada+news@example.com")
        })
        .await
        .expect("created");
    assert_eq!(ada.user_id.as_deref(), Some("u-1"));
    let renamed = contacts
        .save(&ContactRequest {
            id: Some(ada.id),
            name: Some("Ada Lovelace".into()),
            ..ContactRequest::default()
        })
        .await
        .expect("updated");
    assert_eq!(renamed.id, ada.id);
    assert_eq!(renamed.name.as_deref(), Some("Ada Lovelace"));

    assert_eq!(contacts.find(ada.id).await.expect("by id").id, ada.id);
    let by_email = contacts
        .find_by_email("ada+news@example.com")
        .await
        .expect("by email, with its plus kept");
    assert_eq!(by_email.id, ada.id);
    assert_eq!(
        contacts
            .find_by_user_id("u-1")
            .await
            .expect("by user id")
            .id,
        ada.id
    );

    let batch = contacts
        .batch(vec![contact("b@example.com"), contact("c@example.com")])
        .await
        .expect("batch");
    assert_eq!(batch.len(), 2);
    let page = contacts
        .list(ContactListParams {
            email_like: Some("example.com".into()),
            ..ContactListParams::default()
        })
        .await
        .expect("list");
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.links.total_count, Some(3));

    assert_eq!(
        contacts.delete(batch[0].id).await.expect("delete").id,
        batch[0].id
    );
    contacts
        .delete_by_email("c@example.com")
        .await
        .expect("delete by email");
    contacts
        .delete_by_user_id("u-1")
        .await
        .expect("delete by user id");
    let left = contacts
        .list(ContactListParams::default())
        .await
        .expect("list");
    assert!(left.items.is_empty());
}

#[tokio::test]
async fn conversations_messages_assignment_priority_tags_and_counts_work_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let client = server.client();
    let ada = client
        .contacts()
        .save(&contact("ada@example.com"))
        .await
        .expect("contact");
    let teammate = client.teammates().list().await.expect("teammates")[0].id;
    let conversations = client.conversations();

    let started = conversations
        .create(&CreateConversationRequest {
            from: Some(ContactReference {
                id: Some(ada.id),
                ..ContactReference::default()
            }),
            body: Some("Hello?".into()),
            title: Some("First".into()),
            custom_properties: None,
        })
        .await
        .expect("started");
    assert_eq!(started.contacts[0].id, ada.id);
    let id = started.id;

    let updated = conversations
        .update(
            id,
            &UpdateConversationRequest {
                title: Some("Renamed".into()),
                ..UpdateConversationRequest::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(updated.title.as_deref(), Some("Renamed"));

    let reply = conversations
        .create_message(
            id,
            &CreateMessageRequest {
                message_type: Some("reply".into()),
                from: Some(MessageFrom {
                    kind: Some("teammate".into()),
                    teammate_id: Some(teammate),
                }),
                body: Some("Hi Ada".into()),
            },
        )
        .await
        .expect("reply");
    assert!(!reply.is_inbound);
    let messages = conversations
        .messages(id, ListParams::default())
        .pages()
        .collect_all()
        .await
        .expect("messages");
    assert_eq!(messages.len(), 2);

    let assigned = conversations
        .assign(
            id,
            &AssignConversationRequest {
                assignee_id: Some(teammate),
                assignee_type: Some("teammate".into()),
                teammate_id: None,
            },
        )
        .await
        .expect("assigned");
    assert_eq!(assigned.assignee.map(|a| a.id), Some(teammate));

    let prioritised = conversations
        .set_priority(
            id,
            &PriorityRequest {
                priority: Some("priority".into()),
                teammate_id: None,
            },
        )
        .await
        .expect("priority");
    assert_eq!(prioritised.priority, "priority");

    let tagged = conversations
        .tag(
            id,
            &TagConversationRequest {
                message_id: None,
                tags: Some(TagNames::One("vip".into())),
            },
        )
        .await
        .expect("tagged");
    let tag_id = tagged.tags[0].id;
    let untagged = conversations
        .untag(
            id,
            &UntagConversationRequest {
                message_id: None,
                tag_id: Some(tag_id),
            },
        )
        .await
        .expect("untagged");
    assert!(untagged.tags.is_empty());

    let count = conversations.count().await.expect("count");
    assert_eq!((count.open, count.assigned), (1, 1));
    let by_teammate = conversations
        .count_by_teammate(ListParams::default())
        .await
        .expect("per teammate");
    assert_eq!(
        by_teammate
            .items
            .iter()
            .find(|c| c.id == teammate)
            .map(|c| c.open),
        Some(1)
    );
    let team = teams::insert_team(&server.db, server.workspace_id, "Support", now())
        .await
        .expect("team");
    let by_team = conversations
        .count_by_team(ListParams::default())
        .await
        .expect("per team");
    assert_eq!(by_team.items[0].id, team);

    let listed = conversations
        .list(ConversationListParams {
            state: Some("open".into()),
            ..ConversationListParams::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(conversations.find(id).await.expect("find").id, id);
    assert_eq!(conversations.delete(id).await.expect("delete").id, id);
}

#[tokio::test]
async fn events_are_tracked_and_listed_through_the_sdk() {
    let server = TestServer::start("read_events").await;
    let client = server.client();

    let event = client
        .events()
        .track(&TrackEventRequest {
            event_name: Some("signed_up".into()),
            email: Some("new@example.com".into()),
            ..TrackEventRequest::default()
        })
        .await
        .expect("tracked");
    assert_eq!(event.name, "signed_up");
    let listed = client
        .events()
        .list(EventListParams {
            event_type: Some("signed_up".into()),
            ..EventListParams::default()
        })
        .await
        .expect("listed");
    assert_eq!(listed.items[0].id, event.id);
}

#[tokio::test]
async fn tags_are_created_applied_listed_and_deleted_through_the_sdk() {
    let server = TestServer::start("read_tags").await;
    let client = server.client();
    let ada = client
        .contacts()
        .save(&contact("ada@example.com"))
        .await
        .expect("contact");

    let vip = client.tags().create("VIP").await.expect("created");
    client
        .tags()
        .save(&TagRequest {
            id: Some(vip.id),
            contacts: Some(vec![TagContactItem {
                id: Some(ada.id),
                ..TagContactItem::default()
            }]),
            ..TagRequest::default()
        })
        .await
        .expect("applied");
    let tagged = client.contacts().find(ada.id).await.expect("contact");
    assert_eq!(tagged.tags[0].name, "VIP");

    let tags = client
        .tags()
        .list(ListParams::default())
        .await
        .expect("listed");
    assert_eq!(tags.items.len(), 1);
    assert_eq!(
        client.tags().delete(vip.id).await.expect("deleted").id,
        vip.id
    );
}

#[tokio::test]
async fn segments_are_listed_and_found_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let id = segments::insert_segment(&server.db, server.workspace_id, "Active", now())
        .await
        .expect("segment");
    let client = server.client();

    let listed = client
        .segments()
        .list(SegmentListParams {
            include_count: Some(true),
            ..SegmentListParams::default()
        })
        .await
        .expect("listed");
    assert_eq!(listed.items[0].count, Some(0));
    let found = client.segments().find(id, true).await.expect("found");
    assert_eq!((found.name.as_str(), found.count), ("Active", Some(0)));
    assert_eq!(
        client
            .segments()
            .find(id, false)
            .await
            .expect("found")
            .count,
        None
    );
}

#[tokio::test]
async fn forms_take_submissions_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let id = marketing::insert_form(&server.db, server.workspace_id, "Newsletter", now())
        .await
        .expect("form");
    let client = server.client();

    let listed = client
        .forms()
        .list(ListParams::default())
        .await
        .expect("listed");
    assert_eq!(listed.items[0].id, id);
    let submission = client
        .forms()
        .subscribe(
            id,
            &FormSubscribeRequest {
                email: Some("reader@example.com".into()),
                ..FormSubscribeRequest::default()
            },
        )
        .await
        .expect("subscribed");
    assert_eq!(submission.form_id, id);
    assert_eq!(
        client
            .forms()
            .find(id)
            .await
            .expect("found")
            .submission_count,
        1
    );
    let submissions = client
        .forms()
        .submissions(id, ListParams::default())
        .pages()
        .collect_all()
        .await
        .expect("submissions");
    assert_eq!(submissions[0].id, submission.id);
}

#[tokio::test]
async fn campaigns_subscribe_and_unsubscribe_contacts_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let id = marketing::insert_campaign(&server.db, server.workspace_id, "Welcome", now())
        .await
        .expect("campaign");
    let client = server.client();

    let listed = client
        .campaigns()
        .list(ListParams::default())
        .await
        .expect("listed");
    assert_eq!(listed.items[0].id, id);
    let subscribed = client
        .campaigns()
        .update_subscription(&CampaignSubscriptionRequest {
            id: Some(id),
            email: Some("reader@example.com".into()),
            ..CampaignSubscriptionRequest::default()
        })
        .await
        .expect("subscribed");
    assert_eq!(subscribed.status, "subscribed");
    assert_eq!(
        client
            .campaigns()
            .find(id)
            .await
            .expect("found")
            .subscriber_count,
        1
    );
    let unsubscribed = client
        .campaigns()
        .update_subscription(&CampaignSubscriptionRequest {
            id: Some(id),
            email: Some("reader@example.com".into()),
            unsubscribed: Some(true),
            ..CampaignSubscriptionRequest::default()
        })
        .await
        .expect("unsubscribed");
    assert_eq!(unsubscribed.status, "unsubscribed");
}

#[tokio::test]
async fn subscription_types_take_and_release_contacts_through_the_sdk() {
    let server = TestServer::start("read_contact").await;
    let id = marketing::insert_subscription_type(
        &server.db,
        server.workspace_id,
        "News",
        "Monthly news",
        now(),
    )
    .await
    .expect("subscription type");
    let client = server.client();
    let ada = client
        .contacts()
        .save(&contact("ada@example.com"))
        .await
        .expect("contact");

    let listed = client
        .subscription_types()
        .list(ListParams::default())
        .await
        .expect("listed");
    assert_eq!(listed.items[0].id, id);
    let answer = client
        .subscription_types()
        .update_contact(
            id,
            &SubscriptionTypeContactRequest {
                contact_id: Some(ada.id),
                ..SubscriptionTypeContactRequest::default()
            },
        )
        .await
        .expect("subscribed");
    assert_eq!(answer.status, "subscribed");
    let found = client.subscription_types().find(id).await.expect("found");
    assert_eq!(found.subscriber_count, 1);
}

#[tokio::test]
async fn teams_and_teammates_are_read_through_the_sdk() {
    let server = TestServer::start("read_teams").await;
    let client = server.client();
    let teammates = client.teammates().list().await.expect("teammates");
    assert_eq!(teammates.len(), 1);
    let me = client
        .teammates()
        .find(teammates[0].id)
        .await
        .expect("teammate");
    assert_eq!(me.email, support::EMAIL);

    let team = teams::insert_team(&server.db, server.workspace_id, "Support", now())
        .await
        .expect("team");
    teams::add_teammate_to_team(&server.db, server.workspace_id, team, me.id)
        .await
        .expect("member");
    let listed = client
        .teams()
        .list(ListParams::default())
        .await
        .expect("teams");
    assert_eq!(listed.items[0].id, team);
    let found = client.teams().find(team).await.expect("team");
    assert_eq!(found.teammate_ids, vec![me.id]);
}
