//! Events: things a contact did, tracked by an integration (`POST /events`) and listed
//! back (`GET /events`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One tracked event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// The event's id.
    pub id: i64,
    /// The event name, as sent in `event_name`.
    pub name: String,
    /// The contact who did it (gistd deletes a contact's events with the contact, so this
    /// is always set today; it is nullable to leave room for anonymous events).
    pub contact_id: Option<i64>,
    /// That contact's email address, when it has one.
    pub email: Option<String>,
    /// That contact's `user_id`, when it is a user.
    pub user_id: Option<String>,
    /// Free-form properties sent with the event.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Map<String, Value>,
    /// When the event happened, Unix seconds.
    pub occurred_at: i64,
    /// When gistd recorded it, Unix seconds.
    pub created_at: i64,
}

/// `POST /events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventResponse {
    /// The tracked event.
    pub event: Event,
}

/// `GET /events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsResponse {
    /// One page of events, newest first.
    pub events: Vec<Event>,
    /// Links and counts: `first`, `next` (absent on the last page), `last`,
    /// `total_count`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// The body of `POST /events`: an event name and one key naming the contact. A contact
/// named by an email address gistd does not know is created as a lead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackEventRequest {
    /// The event name (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// The contact's Gist id (a number or a string of digits).
    #[serde(
        default,
        deserialize_with = "crate::lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    /// The contact's `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The contact's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Free-form properties of the event (an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub properties: Option<Map<String, Value>>,
    /// When it happened, Unix seconds; absent or null means now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<i64>,
}
