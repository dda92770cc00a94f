//! Workspace data pages: teams, conversations, contacts, and the marketing objects
//! (segments, forms, campaigns, subscription types) that Gist's API mostly only reads,
//! so they are created here.
//!
//! Every page is for members of the workspace only (others get 404, so a workspace's
//! existence does not leak); every form checks the session's CSRF token first and
//! changes nothing unless the member is the owner or an admin (403 otherwise).

use super::workspaces::{Membership, load_membership};
use super::{Nav, format_date, render};
use crate::http::error::PageError;
use crate::http::forms::Fields;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;
use crate::storage::contacts::{self, ContactFilter, ContactOrder};
use crate::storage::conversations::{self, ConversationFilter, OrderBy};
use crate::storage::workspaces::{self, Member, Workspace};
use crate::storage::{marketing, segments, tags, teams};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// Rows per page of the conversation and contact lists.
const PER_PAGE: i64 = 50;
/// Most teams or marketing objects of one kind a page lists.
const LIST_LIMIT: i64 = 500;
/// Longest name (in characters) the forms accept.
const MAX_NAME_CHARS: usize = 200;
/// Longest subscription type description (in characters).
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// `?page=` and `?state=` of the list pages; kept as text so a bad value is a clear 400
/// page rather than axum's plain-text rejection.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    page: Option<String>,
    state: Option<String>,
}

impl ListParams {
    /// The 1-based page number.
    fn page(&self) -> Result<i64, PageError> {
        match self
            .page
            .as_deref()
            .map(str::trim)
            .filter(|page| !page.is_empty())
        {
            None => Ok(1),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|page| (1..=1_000_000).contains(page))
                .ok_or_else(|| PageError::BadRequest("The page must be a positive number.".into())),
        }
    }
}

/// Links to the neighbouring pages of a paged list.
struct Pager {
    page: i64,
    pages: i64,
    total: i64,
    previous: Option<String>,
    next: Option<String>,
}

impl Pager {
    /// `base` is the list's URL with its other query parameters and a trailing `?` or
    /// `&`, ready for `page=N`.
    fn new(base: &str, page: i64, total: i64) -> Pager {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        Pager {
            page,
            pages,
            total,
            previous: (page > 1).then(|| format!("{base}page={}", page - 1)),
            next: (page < pages).then(|| format!("{base}page={}", page + 1)),
        }
    }
}

/// An id from the path; anything but a number is simply not found.
fn parse_id(text: &str) -> Result<i64, PageError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(PageError::NotFound)
}

/// A required, trimmed text field of at most `max` characters.
fn required_text(
    fields: &Fields,
    name: &str,
    label: &str,
    max: usize,
) -> Result<String, PageError> {
    let value = fields.get(name).unwrap_or("").trim();
    if value.is_empty() {
        return Err(PageError::BadRequest(format!("Enter a {label}.")));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(PageError::BadRequest(format!(
            "The {label} must be at most {max} characters, on one line."
        )));
    }
    Ok(value.to_owned())
}

/// Formats Unix seconds as a UTC date and time, for messages and details.
fn format_time(unix_seconds: i64) -> String {
    let seconds = unix_seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        format_date(unix_seconds),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// The checks of every form, in order: the CSRF token, membership (404), admin (403).
async fn admin_of(
    state: &AppState,
    user: &CurrentUser,
    slug: &str,
    fields: &Fields,
) -> Result<Membership, PageError> {
    user.check_csrf(fields)?;
    let membership = load_membership(state, user, slug).await?;
    membership.require_admin()?;
    Ok(membership)
}

/// The workspace's members by membership (teammate) id.
async fn members_by_id(
    state: &AppState,
    workspace_id: i64,
) -> Result<HashMap<i64, Member>, PageError> {
    Ok(workspaces::list_members(&state.db, workspace_id)
        .await?
        .into_iter()
        .map(|member| (member.id, member))
        .collect())
}

// ---------------------------------------------------------------------------------
// Teams

struct TeammateRow {
    id: i64,
    name: String,
    email: String,
}

struct TeamRow {
    id: i64,
    name: String,
    created: String,
    teammates: Vec<TeammateRow>,
    /// Members not in the team, for the "add" select.
    others: Vec<TeammateRow>,
}

#[derive(Template)]
#[template(path = "workspace_teams.html")]
struct TeamsPage {
    nav: Nav,
    workspace: Workspace,
    is_admin: bool,
    teams: Vec<TeamRow>,
    total: i64,
}

/// `GET /workspaces/{slug}/teams`: every team with its teammates.
pub async fn show_teams(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let workspace_id = membership.workspace.id;
    let members = workspaces::list_members(&state.db, workspace_id).await?;
    let (list, total) = teams::list_teams(&state.db, workspace_id, LIST_LIMIT, 0).await?;
    let mut rows = Vec::with_capacity(list.len());
    for team in list {
        let ids = teams::list_team_teammate_ids(&state.db, workspace_id, team.id).await?;
        let (inside, outside): (Vec<&Member>, Vec<&Member>) =
            members.iter().partition(|member| ids.contains(&member.id));
        let row = |member: &&Member| TeammateRow {
            id: member.id,
            name: member.name.clone(),
            email: member.email.clone(),
        };
        rows.push(TeamRow {
            id: team.id,
            name: team.name,
            created: format_date(team.created_at),
            teammates: inside.iter().map(row).collect(),
            others: outside.iter().map(row).collect(),
        });
    }
    render(&TeamsPage {
        nav: Nav::of(&user),
        is_admin: membership.is_admin(),
        workspace: membership.workspace,
        teams: rows,
        total,
    })
}

/// `POST /workspaces/{slug}/teams`: creates a team (admins only).
pub async fn create_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let name = required_text(&fields, "name", "team name", MAX_NAME_CHARS)?;
    let id = teams::insert_team(&state.db, membership.workspace.id, &name, state.now()).await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        team.id = id,
        "team created"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/teams")).into_response())
}

/// `POST /workspaces/{slug}/teams/{team_id}/teammates`: puts a member in a team.
pub async fn add_team_teammate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, team_id)): Path<(String, String)>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let team_id = parse_id(&team_id)?;
    let teammate_id = fields
        .get("teammate_id")
        .and_then(|id| id.trim().parse::<i64>().ok())
        .ok_or_else(|| PageError::BadRequest("Choose a teammate.".into()))?;
    let workspace_id = membership.workspace.id;
    teams::find_team(&state.db, workspace_id, team_id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !teams::add_teammate_to_team(&state.db, workspace_id, team_id, teammate_id).await? {
        return Err(PageError::BadRequest(
            "That teammate is not a member of this workspace.".into(),
        ));
    }
    tracing::info!(
        workspace.id = workspace_id,
        team.id = team_id,
        teammate.id = teammate_id,
        "teammate added to team"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/teams")).into_response())
}

/// `POST /workspaces/{slug}/teams/{team_id}/teammates/{teammate_id}/remove`.
pub async fn remove_team_teammate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, team_id, teammate_id)): Path<(String, String, String)>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let (team_id, teammate_id) = (parse_id(&team_id)?, parse_id(&teammate_id)?);
    let workspace_id = membership.workspace.id;
    if !teams::remove_teammate_from_team(&state.db, workspace_id, team_id, teammate_id).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(
        workspace.id = workspace_id,
        team.id = team_id,
        teammate.id = teammate_id,
        "teammate removed from team"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/teams")).into_response())
}

/// `POST /workspaces/{slug}/teams/{team_id}/delete`: deletes a team; its conversations
/// become unassigned.
pub async fn delete_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, team_id)): Path<(String, String)>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let team_id = parse_id(&team_id)?;
    let workspace_id = membership.workspace.id;
    if !teams::delete_team(&state.db, workspace_id, team_id, state.now()).await? {
        return Err(PageError::NotFound);
    }
    tracing::info!(
        workspace.id = workspace_id,
        team.id = team_id,
        "team deleted"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/teams")).into_response())
}

// ---------------------------------------------------------------------------------
// Conversations

/// The states a conversation can be in, for the filter.
const STATES: [&str; 3] = ["open", "closed", "snoozed"];

/// Who a conversation is assigned to, in words.
async fn assignee_label(
    state: &AppState,
    workspace_id: i64,
    members: &HashMap<i64, Member>,
    assignee_type: Option<&str>,
    assignee_id: Option<i64>,
) -> Result<String, PageError> {
    Ok(match (assignee_type, assignee_id) {
        (Some("teammate"), Some(id)) => members
            .get(&id)
            .map(|member| member.name.clone())
            .unwrap_or_else(|| format!("Former teammate {id}")),
        (Some("team"), Some(id)) => match teams::find_team(&state.db, workspace_id, id).await? {
            Some(team) => format!("Team {}", team.name),
            None => format!("Deleted team {id}"),
        },
        _ => "Unassigned".to_owned(),
    })
}

struct ConversationListRow {
    id: i64,
    title: String,
    state: String,
    priority: bool,
    assignee: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "workspace_conversations.html")]
struct ConversationsPage {
    nav: Nav,
    workspace: Workspace,
    states: [&'static str; 3],
    state_filter: String,
    conversations: Vec<ConversationListRow>,
    pager: Pager,
}

/// `GET /workspaces/{slug}/conversations?state=&page=`: newest change first.
pub async fn list_conversations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let page = params.page()?;
    let state_filter = match params.state.as_deref().map(str::trim).unwrap_or("") {
        "" | "all" => None,
        known if STATES.contains(&known) => Some(known),
        _ => {
            return Err(PageError::BadRequest(
                "The state must be open, closed or snoozed.".into(),
            ));
        }
    };
    let workspace_id = membership.workspace.id;
    let filter = ConversationFilter {
        state: state_filter,
        order_by: OrderBy::UpdatedAt,
        descending: true,
    };
    let (rows, total) = conversations::list_conversations(
        &state.db,
        workspace_id,
        filter,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    let members = members_by_id(&state, workspace_id).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let assignee = assignee_label(
            &state,
            workspace_id,
            &members,
            row.assignee_type.as_deref(),
            row.assignee_id,
        )
        .await?;
        list.push(ConversationListRow {
            id: row.id,
            title: row
                .title
                .filter(|title| !title.is_empty())
                .unwrap_or_default(),
            state: row.state,
            priority: row.priority == "priority",
            assignee,
            updated: format_time(row.updated_at),
        });
    }
    let base = match state_filter {
        Some(filter) => format!("/workspaces/{slug}/conversations?state={filter}&"),
        None => format!("/workspaces/{slug}/conversations?"),
    };
    render(&ConversationsPage {
        nav: Nav::of(&user),
        workspace: membership.workspace,
        states: STATES,
        state_filter: state_filter.unwrap_or("").to_owned(),
        conversations: list,
        pager: Pager::new(&base, page, total),
    })
}

struct ContactLink {
    id: i64,
    label: String,
}

struct MessageView {
    kind: String,
    author: String,
    body: String,
    written: String,
}

#[derive(Template)]
#[template(path = "workspace_conversation.html")]
struct ConversationPage {
    nav: Nav,
    workspace: Workspace,
    id: i64,
    title: String,
    state: String,
    priority: String,
    assignee: String,
    created: String,
    updated: String,
    contacts: Vec<ContactLink>,
    tags: Vec<String>,
    messages: Vec<MessageView>,
    message_total: i64,
}

/// Most messages one conversation page shows (the oldest first).
const MESSAGE_LIMIT: i64 = 500;

/// The name, else email, else user id, else id of a contact.
fn contact_label(
    name: Option<&str>,
    email: Option<&str>,
    user_id: Option<&str>,
    id: i64,
) -> String {
    [name, email, user_id]
        .into_iter()
        .flatten()
        .find(|text| !text.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Contact {id}"))
}

/// `GET /workspaces/{slug}/conversations/{id}`: one conversation, read-only.
pub async fn show_conversation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let id = parse_id(&id)?;
    let workspace_id = membership.workspace.id;
    let conversation = conversations::find_conversation(&state.db, workspace_id, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let members = members_by_id(&state, workspace_id).await?;
    let assignee = assignee_label(
        &state,
        workspace_id,
        &members,
        conversation.assignee_type.as_deref(),
        conversation.assignee_id,
    )
    .await?;
    let people = conversations::list_conversation_contacts(&state.db, id).await?;
    let contacts: Vec<ContactLink> = people
        .iter()
        .map(|contact| ContactLink {
            id: contact.id,
            label: contact_label(
                contact.name.as_deref(),
                contact.email.as_deref(),
                contact.user_id.as_deref(),
                contact.id,
            ),
        })
        .collect();
    let tags = conversations::list_conversation_tags(&state.db, id)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let (rows, message_total) =
        conversations::list_messages(&state.db, id, MESSAGE_LIMIT, 0).await?;
    let messages = rows
        .into_iter()
        .map(|message| {
            let author = match message.author_type.as_str() {
                "teammate" => members
                    .get(&message.author_id)
                    .map(|member| member.name.clone())
                    .unwrap_or_else(|| format!("Former teammate {}", message.author_id)),
                _ => contacts
                    .iter()
                    .find(|contact| contact.id == message.author_id)
                    .map(|contact| contact.label.clone())
                    .unwrap_or_else(|| format!("Contact {}", message.author_id)),
            };
            MessageView {
                kind: message.message_type,
                author,
                body: message.body,
                written: format_time(message.created_at),
            }
        })
        .collect();
    render(&ConversationPage {
        nav: Nav::of(&user),
        workspace: membership.workspace,
        id,
        title: conversation.title.unwrap_or_default(),
        state: conversation.state,
        priority: conversation.priority.replace('_', " "),
        assignee,
        created: format_time(conversation.created_at),
        updated: format_time(conversation.updated_at),
        contacts,
        tags,
        messages,
        message_total,
    })
}

// ---------------------------------------------------------------------------------
// Contacts

struct ContactListRow {
    id: i64,
    name: String,
    email: String,
    kind: &'static str,
    tags: Vec<String>,
    created: String,
}

#[derive(Template)]
#[template(path = "workspace_contacts.html")]
struct ContactsPage {
    nav: Nav,
    workspace: Workspace,
    contacts: Vec<ContactListRow>,
    pager: Pager,
}

/// `GET /workspaces/{slug}/contacts?page=`: newest first, with their tags.
pub async fn list_contacts(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let page = params.page()?;
    let workspace_id = membership.workspace.id;
    let (rows, total) = contacts::list_contacts(
        &state.db,
        workspace_id,
        &ContactFilter::default(),
        ContactOrder::CreatedAt,
        true,
        (page - 1) * PER_PAGE,
        PER_PAGE,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|contact| contact.id).collect();
    let mut tags_of: HashMap<i64, Vec<String>> = HashMap::new();
    for tag in tags::list_tags_of_contacts(&state.db, &ids).await? {
        tags_of.entry(tag.contact_id).or_default().push(tag.name);
    }
    let contacts = rows
        .into_iter()
        .map(|contact| ContactListRow {
            id: contact.id,
            name: contact.name.unwrap_or_default(),
            email: contact.email.unwrap_or_default(),
            kind: if contact.user_id.is_some() {
                "User"
            } else {
                "Lead"
            },
            tags: tags_of.remove(&contact.id).unwrap_or_default(),
            created: format_date(contact.created_at),
        })
        .collect();
    render(&ContactsPage {
        nav: Nav::of(&user),
        workspace: membership.workspace,
        contacts,
        pager: Pager::new(&format!("/workspaces/{slug}/contacts?"), page, total),
    })
}

#[derive(Template)]
#[template(path = "workspace_contact.html")]
struct ContactPage {
    nav: Nav,
    workspace: Workspace,
    id: i64,
    label: String,
    facts: Vec<(&'static str, String)>,
    tags: Vec<String>,
    segments: Vec<String>,
    custom_properties: String,
}

/// `GET /workspaces/{slug}/contacts/{id}`: one contact, read-only.
pub async fn show_contact(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let id = parse_id(&id)?;
    let contact = contacts::find_contacts(&state.db, membership.workspace.id, &[id])
        .await?
        .pop()
        .ok_or(PageError::NotFound)?;
    let tags = tags::list_tags_of_contacts(&state.db, &[id])
        .await?
        .into_iter()
        .map(|tag| tag.name)
        .collect();
    let segments = segments::list_segments_of_contacts(&state.db, &[id])
        .await?
        .into_iter()
        .map(|segment| segment.name)
        .collect();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let time = |value: Option<i64>| value.map(format_time).unwrap_or_default();
    let facts = vec![
        (
            "Type",
            if contact.user_id.is_some() {
                "User"
            } else {
                "Lead"
            }
            .to_owned(),
        ),
        ("Name", text(&contact.name)),
        ("Email", text(&contact.email)),
        ("User id", text(&contact.user_id)),
        ("Phone", text(&contact.phone)),
        ("Signed up", time(contact.signed_up_at)),
        ("Last seen", time(contact.last_seen_at)),
        ("Last contacted", time(contact.last_contacted_at)),
        ("Sessions", contact.session_count.to_string()),
        (
            "Email subscription",
            if contact.unsubscribed_from_emails {
                "Unsubscribed"
            } else {
                "Subscribed"
            }
            .to_owned(),
        ),
        ("Created", format_time(contact.created_at)),
        ("Updated", format_time(contact.updated_at)),
    ];
    // Pretty-printed for reading; the stored text as it is if it is not valid JSON.
    let custom_properties = serde_json::from_str::<serde_json::Value>(&contact.custom_properties)
        .ok()
        .filter(|value| value.as_object().is_some_and(|object| !object.is_empty()))
        .map(|value| serde_json::to_string_pretty(&value).unwrap_or_default())
        .unwrap_or_default();
    render(&ContactPage {
        nav: Nav::of(&user),
        workspace: membership.workspace,
        id,
        label: contact_label(
            contact.name.as_deref(),
            contact.email.as_deref(),
            contact.user_id.as_deref(),
            id,
        ),
        facts: facts
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .collect(),
        tags,
        segments,
        custom_properties,
    })
}

// ---------------------------------------------------------------------------------
// Marketing: segments, forms, campaigns, subscription types

struct NamedRow {
    id: i64,
    name: String,
    description: String,
    count: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "workspace_marketing.html")]
struct MarketingPage {
    nav: Nav,
    workspace: Workspace,
    is_admin: bool,
    segments: Vec<NamedRow>,
    segment_total: i64,
    forms: Vec<NamedRow>,
    form_total: i64,
    campaigns: Vec<NamedRow>,
    campaign_total: i64,
    subscription_types: Vec<NamedRow>,
    subscription_type_total: i64,
}

/// `GET /workspaces/{slug}/marketing`: segments, forms, campaigns and subscription types.
pub async fn show_marketing(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let membership = load_membership(&state, &user, &slug).await?;
    let workspace_id = membership.workspace.id;
    let db = &state.db;
    let (segment_rows, segment_total) =
        segments::list_segments(db, workspace_id, true, 0, LIST_LIMIT).await?;
    let (form_rows, form_total) = marketing::list_forms(db, workspace_id, LIST_LIMIT, 0).await?;
    let (campaign_rows, campaign_total) =
        marketing::list_campaigns(db, workspace_id, LIST_LIMIT, 0).await?;
    let (type_rows, subscription_type_total) =
        marketing::list_subscription_types(db, workspace_id, LIST_LIMIT, 0).await?;
    let named = |id, name, description, count, created_at| NamedRow {
        id,
        name,
        description,
        count,
        created: format_date(created_at),
    };
    render(&MarketingPage {
        nav: Nav::of(&user),
        is_admin: membership.is_admin(),
        workspace: membership.workspace,
        segments: segment_rows
            .into_iter()
            .map(|s| {
                named(
                    s.id,
                    s.name,
                    String::new(),
                    s.count.unwrap_or(0),
                    s.created_at,
                )
            })
            .collect(),
        segment_total,
        forms: form_rows
            .into_iter()
            .map(|f| {
                named(
                    f.id,
                    f.name,
                    String::new(),
                    f.submission_count,
                    f.created_at,
                )
            })
            .collect(),
        form_total,
        campaigns: campaign_rows
            .into_iter()
            .map(|c| {
                named(
                    c.id,
                    c.name,
                    String::new(),
                    c.subscriber_count,
                    c.created_at,
                )
            })
            .collect(),
        campaign_total,
        subscription_types: type_rows
            .into_iter()
            .map(|t| {
                named(
                    t.id,
                    t.name,
                    t.description,
                    t.subscriber_count,
                    t.created_at,
                )
            })
            .collect(),
        subscription_type_total,
    })
}

/// `POST /workspaces/{slug}/segments`: creates an (empty) segment.
pub async fn create_segment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let name = required_text(&fields, "name", "segment name", MAX_NAME_CHARS)?;
    let id =
        segments::insert_segment(&state.db, membership.workspace.id, &name, state.now()).await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        segment.id = id,
        "segment created"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/marketing")).into_response())
}

/// `POST /workspaces/{slug}/forms`: creates a form.
pub async fn create_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let name = required_text(&fields, "name", "form name", MAX_NAME_CHARS)?;
    let id = marketing::insert_form(&state.db, membership.workspace.id, &name, state.now()).await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        form.id = id,
        "form created"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/marketing")).into_response())
}

/// `POST /workspaces/{slug}/campaigns`: creates a campaign.
pub async fn create_campaign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let name = required_text(&fields, "name", "campaign name", MAX_NAME_CHARS)?;
    let id =
        marketing::insert_campaign(&state.db, membership.workspace.id, &name, state.now()).await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        campaign.id = id,
        "campaign created"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/marketing")).into_response())
}

/// `POST /workspaces/{slug}/subscription-types`: creates a subscription type.
pub async fn create_subscription_type(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let membership = admin_of(&state, &user, &slug, &fields).await?;
    let name = required_text(&fields, "name", "subscription type name", MAX_NAME_CHARS)?;
    let description = fields.get("description").unwrap_or("").trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(PageError::BadRequest(format!(
            "The description must be at most {MAX_DESCRIPTION_CHARS} characters."
        )));
    }
    let id = marketing::insert_subscription_type(
        &state.db,
        membership.workspace.id,
        &name,
        description,
        state.now(),
    )
    .await?;
    tracing::info!(
        workspace.id = membership.workspace.id,
        subscription_type.id = id,
        "subscription type created"
    );
    Ok(Redirect::to(&format!("/workspaces/{slug}/marketing")).into_response())
}

/// The routes of these pages, merged into the page router by `http::router`.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/workspaces/{slug}/teams",
            get(show_teams).post(create_team),
        )
        .route(
            "/workspaces/{slug}/teams/{team_id}/teammates",
            post(add_team_teammate),
        )
        .route(
            "/workspaces/{slug}/teams/{team_id}/teammates/{teammate_id}/remove",
            post(remove_team_teammate),
        )
        .route(
            "/workspaces/{slug}/teams/{team_id}/delete",
            post(delete_team),
        )
        .route("/workspaces/{slug}/conversations", get(list_conversations))
        .route(
            "/workspaces/{slug}/conversations/{id}",
            get(show_conversation),
        )
        .route("/workspaces/{slug}/contacts", get(list_contacts))
        .route("/workspaces/{slug}/contacts/{id}", get(show_contact))
        .route("/workspaces/{slug}/marketing", get(show_marketing))
        .route("/workspaces/{slug}/segments", post(create_segment))
        .route("/workspaces/{slug}/forms", post(create_form))
        .route("/workspaces/{slug}/campaigns", post(create_campaign))
        .route(
            "/workspaces/{slug}/subscription-types",
            post(create_subscription_type),
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn pager_links_neighbours_only() {
        let pager = super::Pager::new("/x?", 1, 120);
        assert_eq!(
            (pager.pages, pager.previous, pager.next.as_deref()),
            (3, None, Some("/x?page=2"))
        );
        let last = super::Pager::new("/x?state=open&", 3, 120);
        assert_eq!(last.previous.as_deref(), Some("/x?state=open&page=2"));
        assert!(last.next.is_none());
        assert_eq!(super::Pager::new("/x?", 1, 0).pages, 1);
    }

    #[test]
    fn times_show_hours_and_minutes() {
        assert_eq!(
            super::format_time(1_796_342_400 + 3_723),
            "2026-12-04 01:02 UTC"
        );
    }
}
