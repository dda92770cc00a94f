//! The `pages` object of every list response, typed for clients that follow it.
//!
//! The server builds this object itself; clients read it through [`PageLinks`], which
//! accepts any member being absent so that a server with fewer links still parses.

use serde::{Deserialize, Serialize};

/// Where a page of a list sits among the others, with full URLs to its neighbours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageLinks {
    /// This page's number, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    /// Items per page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<i64>,
    /// Items in the whole list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// Pages in the whole list (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<i64>,
    /// The first page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// The last page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// The previous page's URL; absent on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The next page's URL; absent (or null) on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
