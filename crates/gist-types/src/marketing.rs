//! Forms, campaigns and subscription types: the marketing objects Gist's API mostly reads.
//! Gist documents none of their fields beyond `id` and `name`; the rest is gistd's
//! choice, named in Gist's style (Unix-second times, integer ids).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A contact as the marketing endpoints name one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRef {
    /// The contact's id.
    pub id: i64,
    /// Email address, when it has one.
    pub email: Option<String>,
    /// The integrator's id, when the contact is a user.
    pub user_id: Option<String>,
}

/// A form contacts submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Form {
    /// The form's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// How many submissions it has received.
    pub submission_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// `GET /forms?form_id=ID`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormResponse {
    /// The form.
    pub form: Form,
}

/// `GET /forms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormsResponse {
    /// One page of forms, oldest first.
    pub forms: Vec<Form>,
    /// Links and counts, as on every list.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// The body of `POST /forms/{id}/subscribe`: who submits (one of `id`, `user_id`,
/// `email`; an unknown email address creates a lead) and what they entered, in `fields`
/// and as any other top-level members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormSubscribeRequest {
    /// The contact's id (a number or a string of digits).
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
    /// The submitted field values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fields: Option<Map<String, Value>>,
    /// Any other members, recorded as field values too.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub other: Map<String, Value>,
}

/// One submission of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormSubmission {
    /// The submission's id.
    pub id: i64,
    /// The form submitted.
    pub form_id: i64,
    /// Who submitted it.
    pub contact: ContactRef,
    /// What they entered.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Map<String, Value>,
    /// Unix seconds.
    pub created_at: i64,
}

/// `POST /forms/{id}/subscribe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionResponse {
    /// The recorded submission.
    pub submission: FormSubmission,
}

/// `GET /forms/{id}/submissions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmissionsResponse {
    /// One page of submissions, newest first.
    pub submissions: Vec<FormSubmission>,
    /// Links and counts, as on every list.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// An email campaign contacts can be subscribed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    /// The campaign's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Contacts currently subscribed.
    pub subscriber_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// `GET /campaigns/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignResponse {
    /// The campaign.
    pub campaign: Campaign,
}

/// `GET /campaigns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignsResponse {
    /// One page of campaigns, oldest first.
    pub campaigns: Vec<Campaign>,
    /// Links and counts, as on every list.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// The body of `POST /campaigns`, which subscribes a contact to the campaign `id`, or
/// unsubscribes it when `unsubscribed` is true.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignSubscriptionRequest {
    /// The campaign's id (required; a number or a string of digits).
    #[serde(
        default,
        deserialize_with = "crate::lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<i64>,
    /// The contact's email address (an unknown one creates a lead when subscribing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The contact's `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Which email of the campaign to start from (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_email_index: Option<i64>,
    /// Subscribe again a contact that was unsubscribed; without it such a contact stays
    /// unsubscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivate_if_removed: Option<bool>,
    /// `true` unsubscribes instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribed: Option<bool>,
}

/// What `POST /campaigns` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignSubscriptionResponse {
    /// The campaign, with its new subscriber count.
    pub campaign: Campaign,
    /// The contact.
    pub contact: ContactRef,
    /// `subscribed` or `unsubscribed`: the contact's state now.
    pub status: String,
    /// The email the contact starts from.
    pub starting_email_index: i64,
}

/// A kind of email a contact can opt in to or out of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionType {
    /// The subscription type's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Contacts currently subscribed.
    pub subscriber_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// `GET /subscription_types/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionTypeResponse {
    /// The subscription type.
    pub subscription_type: SubscriptionType,
}

/// `GET /subscription_types`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionTypesResponse {
    /// One page of subscription types, oldest first.
    pub subscription_types: Vec<SubscriptionType>,
    /// Links and counts, as on every list.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pages: Value,
}

/// The body of `POST /subscription_types/{id}` (gistd's choice: Gist does not document
/// it): one of `contact_id`, `user_id`, `email` naming an existing contact, and `status`.
/// `id` is not read as the contact, since a fetched subscription type posted back
/// carries its own `id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionTypeContactRequest {
    /// The contact's id (a number or a string of digits).
    #[serde(
        default,
        deserialize_with = "crate::lenient::id",
        skip_serializing_if = "Option::is_none"
    )]
    pub contact_id: Option<i64>,
    /// The contact's `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The contact's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `subscribed` (the default: attach) or `unsubscribed` (detach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What `POST /subscription_types/{id}` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionTypeContactResponse {
    /// The subscription type, with its new subscriber count.
    pub subscription_type: SubscriptionType,
    /// The contact.
    pub contact: ContactRef,
    /// `subscribed` or `unsubscribed`: the contact's state now.
    pub status: String,
}
