//! Tags: labels on contacts, unique per workspace whatever their case.

use crate::lenient;
use serde::{Deserialize, Serialize};

/// A tag, as `GET /tags` lists it and as a contact's `tags` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tag {
    /// The tag's id.
    pub id: i64,
    /// The name as first written (`VIP` and `vip` are one tag).
    pub name: String,
}

/// `POST /tags` and `DELETE /tags/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagResponse {
    /// The tag created, renamed, applied, removed or deleted.
    pub tag: Tag,
}

/// `GET /tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagsResponse {
    /// One page of the workspace's tags, by name.
    pub tags: Vec<Tag>,
    /// Links to the other pages (`first`, `next` unless this is the last, `last`) and
    /// `total_count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<serde_json::Value>,
}

/// `POST /tags`, which does one of four things depending on the body:
/// - `{name}` creates a tag (an existing tag of that name, in any case, is returned);
/// - `{id, name}` renames tag `id`;
/// - `{name and/or id, contacts: [...]}` tags or untags contacts, creating a tag named
///   `name` when it is missing (with an `id`, the `name` is not used);
/// - in `contacts`, an item with `untag: true` takes the tag off that contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagRequest {
    /// An existing tag's id.
    #[serde(default, deserialize_with = "lenient::id")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<i64>,
    /// The tag's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Contacts to tag or untag (at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<TagContactItem>>,
}

/// One item of a tag request's `contacts`: a contact named by `id`, `user_id` or
/// `email`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagContactItem {
    /// The contact's id.
    #[serde(default, deserialize_with = "lenient::id")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<i64>,
    /// The integrator's id of the contact.
    #[serde(default, deserialize_with = "lenient::text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The contact's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `true` to take the tag off the contact instead of putting it on.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<bool>))]
    pub untag: Option<bool>,
}
