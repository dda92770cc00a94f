//! Contacts: the people a workspace knows, either users (with the integrator's own
//! `user_id`) or leads (without).

use crate::lenient;
use crate::segments::Segment;
use crate::tags::Tag;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Whether a contact is a user or a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ContactType {
    /// A contact with a `user_id`.
    User,
    /// A contact known only by email address (or not at all yet).
    Lead,
}

/// A contact, with every field of Gist's contact object. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    /// `user` when the contact has a `user_id`, `lead` otherwise.
    #[serde(rename = "type")]
    pub contact_type: ContactType,
    /// The contact's id.
    pub id: i64,
    /// Full name.
    pub name: Option<String>,
    /// Email address, in lower case.
    pub email: Option<String>,
    /// The integrator's own id for this person.
    pub user_id: Option<String>,
    /// Phone number, as given.
    pub phone: Option<String>,
    /// When the contact was created.
    pub created_at: i64,
    /// When any field, tag or segment of the contact last changed.
    pub updated_at: i64,
    /// When the contact was last seen on the integrator's site or app.
    pub last_seen_at: Option<i64>,
    /// When the contact signed up with the integrator (`0` or null when unknown).
    pub signed_up_at: Option<i64>,
    /// When a teammate last replied to a conversation with the contact.
    pub last_contacted_at: Option<i64>,
    /// How many sessions the contact has had.
    pub session_count: i64,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// The first page the contact landed on.
    pub landing_url: Option<String>,
    /// The referrer of the contact's first visit.
    pub original_referrer: Option<String>,
    /// The IP address the contact was last seen from.
    pub last_seen_ip: Option<String>,
    /// The browser the contact was last seen with.
    pub last_seen_user_agent: Option<String>,
    /// Where the contact is: `city_name`, `region_name`, `country_name`, `country_code`,
    /// `continent_name`, `continent_code`, `latitude`, `longitude`, `postal_code`,
    /// `time_zone`, `utc_offset`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub location_data: Map<String, Value>,
    /// The segments the contact belongs to, by name.
    pub segments: Vec<Segment>,
    /// The contact's tags, by name.
    pub tags: Vec<Tag>,
    /// Social network profiles.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub social_profiles: Vec<Value>,
    /// The integrator's own properties: names to strings, numbers, booleans or arrays.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_properties: Map<String, Value>,
    /// Whether the contact asked to receive no more email.
    pub unsubscribed_from_emails: bool,
}

/// `GET /contacts/{id}`, `GET /contacts?email=` or `?user_id=`, `POST /contacts` and
/// `DELETE /contacts…`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactResponse {
    /// The contact found, created, updated or deleted.
    pub contact: Contact,
}

/// `GET /contacts` (with `pages`) and `POST /contacts/batch` (without).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactsResponse {
    /// One page of contacts, or the contacts of a batch in the order they were sent.
    pub contacts: Vec<Contact>,
    /// Links to the other pages (`first`, `next` unless this is the last, `last`) and
    /// `total_count`; lists only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Value>,
}

/// `POST /contacts`, and each item of `POST /contacts/batch`: creates or updates one
/// contact. An existing contact is found by `id`, then `user_id`, then `email`; a new one
/// needs `email` or `user_id` (with `user_id` it is a user, without a lead). Fields left
/// out or null are kept; an empty string clears a text field.
///
/// Read leniently, so a fetched contact can be posted back as it is: read-only fields
/// (`created_at`, `segments`, `avatar`…) are ignored, ids may be strings of digits, a
/// `user_id` or `phone` may be a number, and `unsubscribed_from_emails` may be the
/// string `"true"` or `"false"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRequest {
    /// The contact's id, to update it.
    #[serde(default, deserialize_with = "lenient::id")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<i64>,
    /// The integrator's own id; setting it on a lead makes the lead a user.
    #[serde(default, deserialize_with = "lenient::text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Email address (stored in lower case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Another spelling of `name`, used by Gist's Ruby client; wins over `name` when
    /// both are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Phone number.
    #[serde(default, deserialize_with = "lenient::text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// When the contact signed up with the integrator, Unix seconds.
    #[serde(default, deserialize_with = "lenient::time")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub signed_up_at: Option<i64>,
    /// IP address of the contact's last visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_ip: Option<String>,
    /// Browser of the contact's last visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_user_agent: Option<String>,
    /// Whether the contact opted out of email.
    #[serde(default, deserialize_with = "lenient::boolean")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<bool>))]
    pub unsubscribed_from_emails: Option<bool>,
    /// Properties merged into the contact's own: each one sent is set, a null removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub custom_properties: Option<Map<String, Value>>,
    /// Replaces the contact's location (the same keys as a contact's `location_data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub location_data: Option<Map<String, Value>>,
    /// Tags to add, by name (created when missing) or as tag objects; none are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<ContactTagItem>>,
    /// `user` or `lead`; informative only, since the type follows from `user_id`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub contact_type: Option<String>,
}

/// One item of a contact request's `tags`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ContactTagItem {
    /// A tag name.
    Name(String),
    /// An existing tag's id.
    Id(i64),
    /// A tag object as a fetched contact shows it; its name is used when it has one.
    Tag {
        /// The tag's id.
        #[serde(default, deserialize_with = "lenient::id")]
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        id: Option<i64>,
        /// The tag's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

/// `POST /contacts/batch`: up to 100 contacts, each created or updated as by
/// `POST /contacts`, all or none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactsBatchRequest {
    /// The contacts.
    pub contacts: Vec<ContactRequest>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fetched_contact_reads_as_a_request() {
        let fetched = json!({
            "type": "user", "id": "179351", "name": "Ruth", "email": "ruth@example.com",
            "user_id": 100488, "phone": null, "created_at": 1502979465, "signed_up_at": 0,
            "last_seen_at": 1502979465, "session_count": null, "avatar": "https://a/b.svg",
            "last_seen_ip": "", "location_data": {"city_name": "Paris"},
            "segments": [{"id": 578, "name": "Test", "created_at": 1, "updated_at": 2}],
            "tags": [{"id": 79, "name": "Completed"}], "social_profiles": [],
            "custom_properties": {"age": 23, "first_name": null},
            "unsubscribed_from_emails": "false"
        });
        let request: ContactRequest = serde_json::from_value(fetched).expect("parses");
        assert_eq!(request.id, Some(179351));
        assert_eq!(request.user_id.as_deref(), Some("100488"));
        assert_eq!(request.signed_up_at, Some(0));
        assert_eq!(request.unsubscribed_from_emails, Some(false));
        assert_eq!(request.contact_type.as_deref(), Some("user"));
        assert_eq!(
            request.tags,
            Some(vec![ContactTagItem::Tag {
                id: Some(79),
                name: Some("Completed".into())
            }])
        );
    }

    #[test]
    fn tags_may_be_names_ids_or_objects() {
        let request: ContactRequest =
            serde_json::from_value(json!({"tags": ["VIP", 7, {"id": "8"}]})).expect("parses");
        assert_eq!(
            request.tags,
            Some(vec![
                ContactTagItem::Name("VIP".into()),
                ContactTagItem::Id(7),
                ContactTagItem::Tag {
                    id: Some(8),
                    name: None
                },
            ])
        );
    }

    #[test]
    fn lenient_fields_refuse_nonsense() {
        let parse = |body: Value| serde_json::from_value::<ContactRequest>(body);
        assert!(parse(json!({"id": "seven"})).is_err());
        assert!(parse(json!({"unsubscribed_from_emails": "maybe"})).is_err());
        assert!(parse(json!({"signed_up_at": "yesterday"})).is_err());
        assert!(parse(json!({"user_id": ["a"]})).is_err());
        let fraction = parse(json!({"signed_up_at": 1700000000.75})).expect("parses");
        assert_eq!(fraction.signed_up_at, Some(1_700_000_000));
    }
}
