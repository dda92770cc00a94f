//! Tags (reference section 4.7): list, the overloaded `POST /tags` (create, rename, tag
//! and untag contacts), delete.
//!
//! Scopes: listing needs `read_tags`, everything else `write_tags` (tagging contacts
//! needs no contact scope, as in Gist).

use super::ApiCaller;
use super::contacts::MAX_BATCH;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use crate::domain::scope::Scope;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::contacts::{self, ContactKey};
use crate::storage::tags as store;
use axum::Json;
use axum::extract::{Path, State};
use gist_types::{ApiErrorBody, Tag, TagContactItem, TagRequest, TagResponse, TagsResponse};
use serde::de::IgnoredAny;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest tag name, in characters.
pub const MAX_TAG_NAME: usize = 255;

/// The tag routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags, save_tag))
        .routes(routes!(delete_tag))
}

/// A tag name from a request, trimmed; refused when blank or too long.
pub(super) fn tag_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::Unprocessable(
            "A tag name cannot be blank.".into(),
        ));
    }
    if name.chars().count() > MAX_TAG_NAME {
        return Err(ApiError::Unprocessable(format!(
            "A tag name is at most {MAX_TAG_NAME} characters."
        )));
    }
    Ok(name.to_owned())
}

fn to_tag(tag: store::Tag) -> Tag {
    Tag {
        id: tag.id,
        name: tag.name,
    }
}

/// List the workspace's tags, by name.
#[utoipa::path(
    get,
    path = "/tags",
    tag = "tags",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of tags (scope `read_tags`)", body = TagsResponse),
        (status = 401, description = "Missing or invalid credentials", body = ApiErrorBody),
        (status = 403, description = "The token lacks `read_tags`", body = ApiErrorBody),
    )
)]
pub async fn list_tags(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<TagsResponse>, ApiError> {
    caller.require(Scope::ReadTags)?;
    let (tags, total) = store::list_tags(
        &state.db,
        caller.workspace_id,
        query.offset(),
        query.per_page,
    )
    .await?;
    Ok(Json(TagsResponse {
        tags: tags.into_iter().map(to_tag).collect(),
        pages: Some(query.pages(&state, "/tags", total)),
    }))
}

/// Create or rename a tag, or tag or untag contacts.
///
/// `{name}` creates a tag, or returns the existing one with that name in any case.
/// `{id, name}` renames tag `id`. With `contacts`, each listed contact (by `id`,
/// `user_id` or `email`) gets the tag, or loses it when the item has `untag: true`; the
/// tag is named by `id`, or by `name` and then created if missing. All contacts must
/// exist, or nothing changes.
#[utoipa::path(
    post,
    path = "/tags",
    tag = "tags",
    security(("bearer" = [])),
    request_body = TagRequest,
    responses(
        (status = 200, description = "The tag (scope `write_tags`)", body = TagResponse),
        (status = 400, description = "Malformed JSON, or neither `name` nor `id`", body = ApiErrorBody),
        (status = 403, description = "The token lacks `write_tags`", body = ApiErrorBody),
        (status = 404, description = "No such tag, or a listed contact does not exist", body = ApiErrorBody),
        (status = 409, description = "Renaming to the name of another tag", body = ApiErrorBody),
        (status = 422, description = "A blank name, more than 100 contacts, or a contact item naming no contact", body = ApiErrorBody),
    )
)]
pub async fn save_tag(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(request): ApiJson<TagRequest>,
) -> Result<Json<TagResponse>, ApiError> {
    caller.require(Scope::WriteTags)?;
    let workspace_id = caller.workspace_id;

    let tag = match (request.contacts, request.id, request.name) {
        (Some(items), id, name) => tag_contacts(&state, workspace_id, items, id, name).await?,
        (None, Some(id), Some(name)) => {
            store::rename_tag(&state.db, workspace_id, id, &tag_name(&name)?)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("No tag has the id {id}.")))?
        }
        (None, None, Some(name)) => {
            store::find_or_create_tag(&state.db, workspace_id, &tag_name(&name)?, state.now())
                .await?
        }
        (None, _, None) => {
            return Err(ApiError::BadRequest(
                "Send a `name` to create a tag, an `id` and a `name` to rename one, or \
                 `contacts` to tag contacts."
                    .into(),
            ));
        }
    };
    Ok(Json(TagResponse { tag: to_tag(tag) }))
}

/// The tagging form of `POST /tags`: resolves every contact first, then the tag
/// (creating it by name only when some contact is to be tagged), then changes the links
/// in one transaction. With an `id`, the `name` is not read: Pipedream's Gist actions
/// send the id with a display label as `name`, which must not rename the tag.
async fn tag_contacts(
    state: &AppState,
    workspace_id: i64,
    items: Vec<TagContactItem>,
    id: Option<i64>,
    name: Option<String>,
) -> Result<store::Tag, ApiError> {
    if items.len() > MAX_BATCH {
        return Err(ApiError::Unprocessable(format!(
            "At most {MAX_BATCH} contacts can be tagged at once; this request has {}.",
            items.len()
        )));
    }
    let mut tag_ids = Vec::new();
    let mut untag_ids = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let key = match (&item.id, &item.user_id, &item.email) {
            (Some(id), _, _) => ContactKey::Id(*id),
            (None, Some(user_id), _) if !user_id.trim().is_empty() => ContactKey::UserId(user_id),
            (None, _, Some(email)) if !email.trim().is_empty() => ContactKey::Email(email),
            _ => {
                return Err(ApiError::Unprocessable(format!(
                    "contacts[{index}]: name the contact by `id`, `user_id` or `email`."
                )));
            }
        };
        let contact_id = contacts::find_contact_id(&state.db, workspace_id, &key)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("contacts[{index}]: no such contact.")))?;
        if item.untag == Some(true) {
            untag_ids.push(contact_id);
        } else {
            tag_ids.push(contact_id);
        }
    }

    let name = match (id, name) {
        (None, Some(name)) => Some(tag_name(&name)?),
        _ => None,
    };
    let tag = match (id, name) {
        (Some(id), _) => store::find_tag(&state.db, workspace_id, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("No tag has the id {id}.")))?,
        (None, Some(name)) if tag_ids.is_empty() => {
            store::find_tag_by_name(&state.db, workspace_id, &name)
                .await?
                .ok_or_else(|| ApiError::NotFound("No tag has this name.".into()))?
        }
        (None, Some(name)) => {
            store::find_or_create_tag(&state.db, workspace_id, &name, state.now()).await?
        }
        (None, None) => {
            return Err(ApiError::BadRequest(
                "Name the tag by `id` or `name`.".into(),
            ));
        }
    };
    store::tag_contacts(&state.db, tag.id, &tag_ids, &untag_ids, state.now()).await?;
    Ok(tag)
}

/// Delete a tag, taking it off every contact.
#[utoipa::path(
    delete,
    path = "/tags/{id}",
    tag = "tags",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Tag id")),
    responses(
        (status = 200, description = "The tag as it was before deletion (scope `write_tags`)", body = TagResponse),
        (status = 403, description = "The token lacks `write_tags`", body = ApiErrorBody),
        (status = 404, description = "No such tag in this workspace", body = ApiErrorBody),
    )
)]
pub async fn delete_tag(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    // Read, though unused, so a malformed body is refused before anything is deleted.
    _body: ApiJson<IgnoredAny>,
) -> Result<Json<TagResponse>, ApiError> {
    caller.require(Scope::WriteTags)?;
    let id = path_id(&id, "tag")?;
    let tag = store::delete_tag(&state.db, caller.workspace_id, id, state.now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No tag has the id {id}.")))?;
    Ok(Json(TagResponse { tag: to_tag(tag) }))
}
