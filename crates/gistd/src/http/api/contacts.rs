//! Contacts (reference section 4.4): list with filters, find by id, email or user id,
//! upsert one or a batch, delete; and [`contact_objects`], the one place a stored
//! contact becomes Gist's contact object.
//!
//! Scopes: finding one contact needs `read_contact`, listing `read_bulk_contacts`,
//! upserting and deleting one `write_contact`, a batch `write_bulk_contacts`.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::contacts::{
    self as store, ContactFilter, ContactKey, ContactOrder, ContactUpsert, UpsertError,
};
use crate::storage::tags::TagRef;
use crate::storage::{Db, StorageError, segments, tags};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use gist_types::{
    ApiErrorBody, Contact, ContactRequest, ContactResponse, ContactTagItem, ContactType,
    ContactsBatchRequest, ContactsResponse, Segment, Tag,
};
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most contacts one `POST /contacts/batch` may carry.
pub const MAX_BATCH: usize = 100;
/// Longest `user_id`, in characters.
const MAX_USER_ID: usize = 255;
/// Longest email address (RFC 5321 section 4.5.3.1.3 allows 254 in a path).
const MAX_EMAIL: usize = 254;
/// Longest free-text field of a contact (name, phone, IP, user agent), in characters, so
/// one contact cannot make every page of the list huge.
const MAX_TEXT: usize = 1000;
/// Most tags one upsert may add.
const MAX_TAGS: usize = 100;

/// The contact routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            list_contacts,
            upsert_contact,
            delete_contact_by_key
        ))
        .routes(routes!(upsert_contacts_batch))
        .routes(routes!(find_contact, delete_contact))
}

/// Renders stored contacts as Gist's contact objects, in the order given. Every
/// response that shows a contact goes through here, so tags and segments look the same
/// everywhere; they are loaded for all `rows` with one query each.
pub async fn contact_objects(
    db: &Db,
    rows: Vec<store::Contact>,
) -> Result<Vec<Contact>, StorageError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut tags_of: HashMap<i64, Vec<Tag>> = HashMap::new();
    for tag in tags::list_tags_of_contacts(db, &ids).await? {
        tags_of.entry(tag.contact_id).or_default().push(Tag {
            id: tag.id,
            name: tag.name,
        });
    }
    let mut segments_of: HashMap<i64, Vec<Segment>> = HashMap::new();
    for segment in segments::list_segments_of_contacts(db, &ids).await? {
        segments_of
            .entry(segment.contact_id)
            .or_default()
            .push(Segment {
                id: segment.id,
                name: segment.name,
                created_at: segment.created_at,
                updated_at: segment.updated_at,
                count: None,
            });
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let tags = tags_of.get(&row.id).cloned().unwrap_or_default();
            let segments = segments_of.get(&row.id).cloned().unwrap_or_default();
            to_contact(row, tags, segments)
        })
        .collect())
}

fn to_contact(row: store::Contact, tags: Vec<Tag>, segments: Vec<Segment>) -> Contact {
    let object = |text: &str| serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default();
    Contact {
        contact_type: if row.user_id.is_some() {
            ContactType::User
        } else {
            ContactType::Lead
        },
        id: row.id,
        name: row.name,
        email: row.email,
        user_id: row.user_id,
        phone: row.phone,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last_seen_at: row.last_seen_at,
        signed_up_at: row.signed_up_at,
        last_contacted_at: row.last_contacted_at,
        session_count: row.session_count,
        avatar: row.avatar,
        landing_url: row.landing_url,
        original_referrer: row.original_referrer,
        last_seen_ip: row.last_seen_ip,
        last_seen_user_agent: row.last_seen_user_agent,
        location_data: object(&row.location_data),
        segments,
        tags,
        social_profiles: serde_json::from_str(&row.social_profiles).unwrap_or_default(),
        custom_properties: object(&row.custom_properties),
        unsubscribed_from_emails: row.unsubscribed_from_emails,
    }
}

/// The contact objects of `ids` (in that order), for one workspace.
async fn load_contacts(
    state: &AppState,
    workspace_id: i64,
    ids: &[i64],
) -> Result<Vec<Contact>, ApiError> {
    let rows = store::find_contacts(&state.db, workspace_id, ids).await?;
    Ok(contact_objects(&state.db, rows).await?)
}

/// The contact object of `id`, or a 404.
async fn load_contact(state: &AppState, workspace_id: i64, id: i64) -> Result<Contact, ApiError> {
    load_contacts(state, workspace_id, &[id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("No contact has the id {id}.")))
}

/// The contact a query names by `user_id` or `email`, if it names one. The email
/// address is read with its `+` kept (see [`ListQuery::literal`]).
fn query_key(query: &ListQuery) -> Option<(&'static str, String)> {
    if let Some(user_id) = query.fields.get("user_id") {
        return Some(("user_id", user_id.to_owned()));
    }
    query
        .literal("email")
        .or_else(|| query.fields.get("email").map(str::to_owned))
        .map(|email| ("email", email))
}

/// The id of the contact `query_key` found, or a 404 naming what was looked for.
async fn find_by_key(
    state: &AppState,
    workspace_id: i64,
    (field, value): (&'static str, String),
) -> Result<i64, ApiError> {
    let key = match field {
        "user_id" => ContactKey::UserId(&value),
        _ => ContactKey::Email(&value),
    };
    store::find_contact_id(&state.db, workspace_id, &key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No contact has this {field}.")))
}

/// A whole-number query parameter, if present.
fn number_param(query: &ListQuery, name: &str) -> Result<Option<i64>, ApiError> {
    query
        .fields
        .non_empty(name)
        .map(|text| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("`{name}` must be a whole number.")))
        })
        .transpose()
}

/// List contacts, or find one by `email` or `user_id`.
///
/// With `email` or `user_id` the answer is one `contact` (scope `read_contact`), as
/// Gist's clients expect; otherwise a page of `contacts` (scope `read_bulk_contacts`),
/// newest first unless `order=asc`.
#[utoipa::path(
    get,
    path = "/contacts",
    tag = "contacts",
    security(("bearer" = [])),
    params(
        ("email" = Option<String>, Query, description = "Find the one contact with this email address (a `+` in it may be left unescaped)"),
        ("user_id" = Option<String>, Query, description = "Find the one contact with this user id"),
        PageParams,
        ("order" = Option<String>, Query, description = "`desc` (default) or `asc`"),
        ("order_by" = Option<String>, Query, description = "`created_at` (default) or `updated_at`"),
        ("tag_id" = Option<i64>, Query, description = "Only contacts with this tag"),
        ("tags" = Option<String>, Query, description = "Only contacts with the tag of this name, in any case"),
        ("segment_id" = Option<i64>, Query, description = "Only contacts in this segment"),
        ("email_like" = Option<String>, Query, description = "Only contacts whose email address contains this text, in any case"),
        ("created_since" = Option<i64>, Query, description = "Only contacts created at or after this time, Unix seconds"),
    ),
    responses(
        (status = 200, description = "A page of contacts (scope `read_bulk_contacts`), or with `email` or `user_id` `{\"contact\": ...}` (scope `read_contact`)", body = ContactsResponse),
        (status = 400, description = "A bad query parameter", body = ApiErrorBody),
        (status = 401, description = "Missing or invalid credentials", body = ApiErrorBody),
        (status = 403, description = "The token lacks the scope", body = ApiErrorBody),
        (status = 404, description = "No contact has this email or user id", body = ApiErrorBody),
    )
)]
pub async fn list_contacts(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Response, ApiError> {
    if let Some(key) = query_key(&query) {
        caller.require(Scope::ReadContact)?;
        let id = find_by_key(&state, caller.workspace_id, key).await?;
        let contact = load_contact(&state, caller.workspace_id, id).await?;
        return Ok(Json(ContactResponse { contact }).into_response());
    }
    caller.require(Scope::ReadBulkContacts)?;

    for unsupported in ["status", "campaign_id", "form_id"] {
        if query.fields.non_empty(unsupported).is_some() {
            return Err(ApiError::BadRequest(format!(
                "Contacts cannot be filtered by `{unsupported}` here."
            )));
        }
    }
    let descending = match query.fields.non_empty("order") {
        None => true,
        Some(order) if order.eq_ignore_ascii_case("desc") => true,
        Some(order) if order.eq_ignore_ascii_case("asc") => false,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`order` must be `asc` or `desc`.".into(),
            ));
        }
    };
    let order = match query.fields.non_empty("order_by") {
        None | Some("created_at") => ContactOrder::CreatedAt,
        Some("updated_at") => ContactOrder::UpdatedAt,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`order_by` must be `created_at` or `updated_at`.".into(),
            ));
        }
    };
    let filter = ContactFilter {
        tag_id: number_param(&query, "tag_id")?,
        tag_name: query.fields.non_empty("tags").map(str::to_owned),
        segment_id: number_param(&query, "segment_id")?,
        email_like: query.literal("email_like").filter(|text| !text.is_empty()),
        created_since: number_param(&query, "created_since")?,
    };

    let (rows, total) = store::list_contacts(
        &state.db,
        caller.workspace_id,
        &filter,
        order,
        descending,
        query.offset(),
        query.per_page,
    )
    .await?;
    let contacts = contact_objects(&state.db, rows).await?;
    let pages = query.pages(&state, "/contacts", total);
    Ok(Json(ContactsResponse {
        contacts,
        pages: Some(pages),
    })
    .into_response())
}

/// Fetch one contact.
#[utoipa::path(
    get,
    path = "/contacts/{id}",
    tag = "contacts",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact (scope `read_contact`)", body = ContactResponse),
        (status = 403, description = "The token lacks `read_contact`", body = ApiErrorBody),
        (status = 404, description = "No such contact in this workspace", body = ApiErrorBody),
    )
)]
pub async fn find_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ContactResponse>, ApiError> {
    caller.require(Scope::ReadContact)?;
    let id = path_id(&id, "contact")?;
    let contact = load_contact(&state, caller.workspace_id, id).await?;
    Ok(Json(ContactResponse { contact }))
}

/// Validates one contact of a request and turns it into a storage upsert. `at` prefixes
/// error messages (`contacts[3]: `) in a batch.
fn to_upsert(request: ContactRequest, at: &str) -> Result<ContactUpsert, ApiError> {
    let invalid = |message: String| ApiError::Unprocessable(format!("{at}{message}"));

    if let Some(kind) = &request.contact_type
        && !matches!(kind.as_str(), "user" | "lead")
    {
        return Err(invalid("`type` must be `user` or `lead`.".into()));
    }
    let email = match request.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) if is_email(email) => Some(email.to_owned()),
        Some(_) => return Err(invalid("`email` is not an email address.".into())),
    };
    let user_id = match request.user_id {
        Some(user_id) if user_id.trim().is_empty() => None,
        Some(user_id) if user_id.chars().count() > MAX_USER_ID => {
            return Err(invalid(format!(
                "`user_id` is longer than {MAX_USER_ID} characters."
            )));
        }
        other => other,
    };
    if request.id.is_none() && email.is_none() && user_id.is_none() {
        return Err(ApiError::BadRequest(format!(
            "{at}A contact needs an `email` or a `user_id` (or the `id` of an existing contact)."
        )));
    }

    let texts = [
        ("name", request.full_name.as_ref().or(request.name.as_ref())),
        ("phone", request.phone.as_ref()),
        ("last_seen_ip", request.last_seen_ip.as_ref()),
        (
            "last_seen_user_agent",
            request.last_seen_user_agent.as_ref(),
        ),
    ];
    if let Some((field, _)) = texts
        .iter()
        .find(|(_, text)| text.is_some_and(|text| text.chars().count() > MAX_TEXT))
    {
        return Err(invalid(format!(
            "`{field}` is longer than {MAX_TEXT} characters."
        )));
    }
    if request
        .tags
        .as_ref()
        .is_some_and(|tags| tags.len() > MAX_TAGS)
    {
        return Err(invalid(format!(
            "At most {MAX_TAGS} tags can be added at once."
        )));
    }

    let mut custom_properties = request.custom_properties.unwrap_or_default();
    custom_properties.retain(|name, _| !name.trim().is_empty());
    let tags = request
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|item| match item {
            ContactTagItem::Name(name)
            | ContactTagItem::Tag {
                name: Some(name), ..
            } => super::tags::tag_name(&name).map(TagRef::Name),
            ContactTagItem::Id(id) | ContactTagItem::Tag { id: Some(id), .. } => Ok(TagRef::Id(id)),
            ContactTagItem::Tag { .. } => Err(ApiError::Unprocessable(
                "A tag needs a `name` or an `id`.".into(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| match error {
            ApiError::Unprocessable(message) => invalid(message),
            other => other,
        })?;

    Ok(ContactUpsert {
        id: request.id,
        user_id,
        email,
        name: text_change(request.full_name.or(request.name)),
        phone: text_change(request.phone),
        signed_up_at: request.signed_up_at,
        last_seen_ip: text_change(request.last_seen_ip),
        last_seen_user_agent: text_change(request.last_seen_user_agent),
        unsubscribed_from_emails: request.unsubscribed_from_emails,
        custom_properties,
        location_data: request.location_data,
        tags,
    })
}

/// A text field of a request: absent or null keeps the stored value, blank clears it.
fn text_change(value: Option<String>) -> Option<Option<String>> {
    value.map(|text| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    })
}

/// Whether `text` has the shape of an email address: something, `@`, a domain, no
/// spaces. Deliverability is the sender's business.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    text.chars().count() <= MAX_EMAIL
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|ch| ch.is_whitespace() || ch.is_control())
}

/// The API error for a refused upsert; `at` names the batch item.
fn upsert_error(error: UpsertError, batch: bool) -> ApiError {
    let at = |index: usize| {
        if batch {
            format!("contacts[{index}]: ")
        } else {
            String::new()
        }
    };
    match error {
        UpsertError::UnknownContact { index, id } => {
            ApiError::NotFound(format!("{}No contact has the id {id}.", at(index)))
        }
        UpsertError::MissingKey { index } => ApiError::BadRequest(format!(
            "{}A new contact needs an `email` or a `user_id`.",
            at(index)
        )),
        UpsertError::UnknownTag { index, id } => {
            ApiError::Unprocessable(format!("{}No tag has the id {id}.", at(index)))
        }
        UpsertError::Taken { index, field } => ApiError::Conflict(format!(
            "{}Another contact already has this {field}.",
            at(index)
        )),
        UpsertError::Storage(error) => error.into(),
    }
}

/// Create or update a contact.
///
/// The contact is found by `id`, then `user_id`, then `email`; when none matches, a
/// contact is created, a user with `user_id` or a lead without. Setting `user_id` on a
/// lead makes it a user. A fetched contact may be posted back whole.
#[utoipa::path(
    post,
    path = "/contacts",
    tag = "contacts",
    security(("bearer" = [])),
    request_body = ContactRequest,
    responses(
        (status = 200, description = "The contact as stored (scope `write_contact`)", body = ContactResponse),
        (status = 400, description = "Malformed JSON, or neither `email` nor `user_id`", body = ApiErrorBody),
        (status = 403, description = "The token lacks `write_contact`", body = ApiErrorBody),
        (status = 404, description = "Only an `id` was sent and no contact has it", body = ApiErrorBody),
        (status = 409, description = "Another contact has this email or user id", body = ApiErrorBody),
        (status = 422, description = "A field of the wrong type or shape", body = ApiErrorBody),
    )
)]
pub async fn upsert_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<ContactRequest>,
) -> Result<Json<ContactResponse>, ApiError> {
    caller.require(Scope::WriteContact)?;
    let upsert = to_upsert(request, "")?;

    let ids = store::upsert_contacts(&state.db, caller.workspace_id, &[upsert], state.now())
        .await
        .map_err(|error| upsert_error(error, false))?;

    let id = ids.first().copied().unwrap_or_default();
    let contact = load_contact(&state, caller.workspace_id, id).await?;
    Ok(Json(ContactResponse { contact }))
}

/// Create or update up to 100 contacts at once.
///
/// Each item is handled as by `POST /contacts`, in order, and all in one transaction:
/// when one is refused, none is written and the error names it (`contacts[3]: …`).
#[utoipa::path(
    post,
    path = "/contacts/batch",
    tag = "contacts",
    security(("bearer" = [])),
    request_body = ContactsBatchRequest,
    responses(
        (status = 200, description = "The contacts as stored, in the order sent (scope `write_bulk_contacts`)", body = ContactsResponse),
        (status = 400, description = "Malformed JSON, or an item with neither `email` nor `user_id`", body = ApiErrorBody),
        (status = 403, description = "The token lacks `write_bulk_contacts`", body = ApiErrorBody),
        (status = 404, description = "An item sent only an `id` and no contact has it", body = ApiErrorBody),
        (status = 409, description = "An item's email or user id belongs to another contact", body = ApiErrorBody),
        (status = 422, description = "More than 100 contacts, or a field of the wrong type or shape", body = ApiErrorBody),
    )
)]
pub async fn upsert_contacts_batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<ContactsBatchRequest>,
) -> Result<Json<ContactsResponse>, ApiError> {
    caller.require(Scope::WriteBulkContacts)?;
    if request.contacts.len() > MAX_BATCH {
        return Err(ApiError::Unprocessable(format!(
            "A batch holds at most {MAX_BATCH} contacts; this one has {}.",
            request.contacts.len()
        )));
    }
    let upserts = request
        .contacts
        .into_iter()
        .enumerate()
        .map(|(index, item)| to_upsert(item, &format!("contacts[{index}]: ")))
        .collect::<Result<Vec<_>, _>>()?;

    let ids = store::upsert_contacts(&state.db, caller.workspace_id, &upserts, state.now())
        .await
        .map_err(|error| upsert_error(error, true))?;

    let contacts = load_contacts(&state, caller.workspace_id, &ids).await?;
    Ok(Json(ContactsResponse {
        contacts,
        pages: None,
    }))
}

/// Deletes contact `id` and returns it as it was.
async fn delete_and_return(
    state: &AppState,
    workspace_id: i64,
    id: i64,
) -> Result<Json<ContactResponse>, ApiError> {
    let contact = load_contact(state, workspace_id, id).await?;
    if !store::delete_contact(&state.db, workspace_id, id).await? {
        return Err(ApiError::NotFound(format!("No contact has the id {id}.")));
    }
    Ok(Json(ContactResponse { contact }))
}

/// Delete a contact permanently.
#[utoipa::path(
    delete,
    path = "/contacts/{id}",
    tag = "contacts",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact as it was before deletion (scope `write_contact`)", body = ContactResponse),
        (status = 403, description = "The token lacks `write_contact`", body = ApiErrorBody),
        (status = 404, description = "No such contact in this workspace", body = ApiErrorBody),
    )
)]
pub async fn delete_contact(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    // Read, though unused, so a malformed body is refused before anything is deleted.
    _body: ApiJson<IgnoredAny>,
) -> Result<Json<ContactResponse>, ApiError> {
    caller.require(Scope::WriteContact)?;
    let id = path_id(&id, "contact")?;
    delete_and_return(&state, caller.workspace_id, id).await
}

/// Delete the contact with an email address or user id.
#[utoipa::path(
    delete,
    path = "/contacts",
    tag = "contacts",
    security(("bearer" = [])),
    params(
        ("email" = Option<String>, Query, description = "The contact's email address"),
        ("user_id" = Option<String>, Query, description = "The contact's user id"),
    ),
    responses(
        (status = 200, description = "The contact as it was before deletion (scope `write_contact`)", body = ContactResponse),
        (status = 400, description = "Neither `email` nor `user_id`", body = ApiErrorBody),
        (status = 403, description = "The token lacks `write_contact`", body = ApiErrorBody),
        (status = 404, description = "No contact has this email or user id", body = ApiErrorBody),
    )
)]
pub async fn delete_contact_by_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
    // Read, though unused, so a malformed body is refused before anything is deleted.
    _body: ApiJson<IgnoredAny>,
) -> Result<Json<ContactResponse>, ApiError> {
    caller.require(Scope::WriteContact)?;
    let key = query_key(&query).ok_or_else(|| {
        ApiError::BadRequest("Name the contact to delete by `email` or `user_id`.".into())
    })?;
    let id = find_by_key(&state, caller.workspace_id, key).await?;
    delete_and_return(&state, caller.workspace_id, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(is_email("ada+news@example.com"));
        assert!(is_email("a@b"));
        assert!(!is_email("ada"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("ada@"));
        assert!(!is_email("ada lovelace@example.com"));
        assert!(!is_email("ada@.com"));
    }

    #[test]
    fn full_name_wins_and_blank_clears() {
        let request = ContactRequest {
            email: Some("ada@example.com".into()),
            name: Some("Old".into()),
            full_name: Some(" New ".into()),
            phone: Some("  ".into()),
            ..ContactRequest::default()
        };
        let upsert = to_upsert(request, "").expect("valid");
        assert_eq!(upsert.name, Some(Some("New".into())));
        assert_eq!(upsert.phone, Some(None));
        assert_eq!(upsert.last_seen_ip, None);
    }

    #[test]
    fn a_contact_needs_a_key() {
        let error = to_upsert(ContactRequest::default(), "").expect_err("refused");
        assert!(matches!(error, ApiError::BadRequest(_)));
        let blank = ContactRequest {
            email: Some(" ".into()),
            user_id: Some("".into()),
            ..ContactRequest::default()
        };
        assert!(matches!(to_upsert(blank, ""), Err(ApiError::BadRequest(_))));
    }
}
