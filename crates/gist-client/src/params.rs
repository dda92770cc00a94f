//! Query parameters of the list endpoints. Every field left `None` is not sent, so the
//! server's default applies (page 1, 50 per page, newest first).

use serde::Serialize;

/// Paging alone, for lists with no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100 (the server's default is 50).
    pub per_page: Option<i64>,
}

impl ListParams {
    /// The first page with `per_page` items per page.
    pub fn per_page(per_page: i64) -> ListParams {
        ListParams {
            page: None,
            per_page: Some(per_page),
        }
    }
}

/// `GET /contacts`: paging, order and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactListParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub per_page: Option<i64>,
    /// `desc` (the default) or `asc`.
    pub order: Option<String>,
    /// `created_at` (the default) or `updated_at`.
    pub order_by: Option<String>,
    /// Only contacts with this tag.
    pub tag_id: Option<i64>,
    /// Only contacts with the tag of this name, in any case.
    pub tags: Option<String>,
    /// Only contacts in this segment.
    pub segment_id: Option<i64>,
    /// Only contacts whose email address contains this text, in any case.
    pub email_like: Option<String>,
    /// Only contacts created at or after this time, Unix seconds.
    pub created_since: Option<i64>,
}

/// `GET /conversations`: paging, order and state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConversationListParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub per_page: Option<i64>,
    /// `desc` (the default) or `asc`.
    pub order: Option<String>,
    /// `updated_at` (the default) or `created_at`.
    pub order_by: Option<String>,
    /// `all` (the default), `open`, `closed` or `snoozed`.
    pub state: Option<String>,
}

/// `GET /events`: paging and the event name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventListParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub per_page: Option<i64>,
    /// `all` (the default) or one event name.
    pub event_type: Option<String>,
}

/// `GET /segments`: paging and whether to count each segment's contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SegmentListParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub per_page: Option<i64>,
    /// `true` fills in each segment's `count`.
    pub include_count: Option<bool>,
}
