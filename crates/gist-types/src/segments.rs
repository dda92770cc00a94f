//! Segments: named groups of a workspace's contacts.

use serde::{Deserialize, Serialize};

/// A segment, as `GET /segments` lists it and as a contact's `segments` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    /// The segment's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
    /// How many contacts the segment holds; only with `include_count=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// `GET /segments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentResponse {
    /// The segment.
    pub segment: Segment,
}

/// `GET /segments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SegmentsResponse {
    /// One page of the workspace's segments, oldest first.
    pub segments: Vec<Segment>,
    /// Links to the other pages (`first`, `next` unless this is the last, `last`) and
    /// `total_count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<serde_json::Value>,
}
