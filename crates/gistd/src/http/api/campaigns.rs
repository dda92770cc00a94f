//! Campaigns: list and fetch, and Gist's overloaded `POST /campaigns` (also reached as
//! `/campaigns/`, which Gist's Ruby client posts to) that subscribes a contact to a
//! campaign or, with `unsubscribed: true`, unsubscribes it. API key only: Gist
//! documents no scope for campaigns.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use super::events::{ContactKeys, resolve_contact};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::marketing::{self, CampaignRow};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::marketing::{
    Campaign, CampaignResponse, CampaignSubscriptionRequest, CampaignSubscriptionResponse,
    CampaignsResponse,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The campaign routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, update_campaign_subscription))
        .routes(routes!(find_campaign))
}

fn to_campaign(row: CampaignRow) -> Campaign {
    Campaign {
        id: row.id,
        name: row.name,
        subscriber_count: row.subscriber_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

async fn require_campaign(
    state: &AppState,
    workspace_id: i64,
    id: i64,
) -> Result<CampaignRow, ApiError> {
    marketing::find_campaign(&state.db, workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No campaign has the id {id}.")))
}

/// List the workspace's campaigns.
#[utoipa::path(
    get,
    path = "/campaigns",
    tag = "campaigns",
    security(("bearer" = [])),
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of campaigns (API key only)", body = CampaignsResponse),
        (status = 401, description = "Missing or invalid credentials", body = gist_types::ApiErrorBody),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_campaigns(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<CampaignsResponse>, ApiError> {
    caller.require_api_key()?;
    let (rows, total) = marketing::list_campaigns(
        &state.db,
        caller.workspace_id,
        query.per_page,
        query.offset(),
    )
    .await?;
    Ok(Json(CampaignsResponse {
        campaigns: rows.into_iter().map(to_campaign).collect(),
        pages: query.pages(&state, "/campaigns", total),
    }))
}

/// Fetch one campaign.
#[utoipa::path(
    get,
    path = "/campaigns/{id}",
    tag = "campaigns",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "The campaign (API key only)", body = CampaignResponse),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such campaign in this workspace", body = gist_types::ApiErrorBody),
    )
)]
pub async fn find_campaign(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CampaignResponse>, ApiError> {
    caller.require_api_key()?;
    let id = path_id(&id, "campaign")?;
    let row = require_campaign(&state, caller.workspace_id, id).await?;
    Ok(Json(CampaignResponse {
        campaign: to_campaign(row),
    }))
}

/// Subscribe a contact to a campaign, or unsubscribe it (`unsubscribed: true`).
///
/// Subscribing an email address the workspace does not know creates a lead, as a
/// sign-up form feeding a campaign would; unsubscribing one is a 404. A contact already
/// subscribed keeps its place; one that was unsubscribed stays so unless
/// `reactivate_if_removed` is true (the `status` in the answer says which happened).
#[utoipa::path(
    post,
    path = "/campaigns",
    tag = "campaigns",
    security(("bearer" = [])),
    request_body = CampaignSubscriptionRequest,
    responses(
        (status = 200, description = "Where the contact now stands (API key only)", body = CampaignSubscriptionResponse),
        (status = 400, description = "No campaign `id`, no contact key, or malformed JSON", body = gist_types::ApiErrorBody),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such campaign or contact in this workspace", body = gist_types::ApiErrorBody),
        (status = 422, description = "A member has the wrong type or a negative `starting_email_index`", body = gist_types::ApiErrorBody),
    )
)]
pub async fn update_campaign_subscription(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(body): ApiJson<CampaignSubscriptionRequest>,
) -> Result<Json<CampaignSubscriptionResponse>, ApiError> {
    caller.require_api_key()?;
    let id = body
        .id
        .ok_or_else(|| ApiError::BadRequest("`id` (the campaign's id) is required.".into()))?;
    let starting_email_index = body.starting_email_index.unwrap_or(0);
    if starting_email_index < 0 {
        return Err(ApiError::Unprocessable(
            "`starting_email_index` must not be negative.".into(),
        ));
    }
    require_campaign(&state, caller.workspace_id, id).await?;
    let unsubscribe = body.unsubscribed == Some(true);

    // `id` names the campaign here, so the contact is named by user_id or email only.
    let keys = ContactKeys {
        id: None,
        user_id: body.user_id.as_deref(),
        email: body.email.as_deref(),
    };
    let contact = resolve_contact(&state, caller.workspace_id, keys, !unsubscribe).await?;

    let now = state.now();
    let subscription = if unsubscribe {
        marketing::update_campaign_unsubscribed(&state.db, id, contact.id, now).await?
    } else {
        let reactivate = body.reactivate_if_removed == Some(true);
        marketing::update_campaign_subscribed(
            &state.db,
            id,
            contact.id,
            starting_email_index,
            reactivate,
            now,
        )
        .await?
    };
    tracing::info!(
        workspace.id = caller.workspace_id,
        campaign.id = id,
        contact.id = contact.id,
        status = %subscription.status,
        "campaign subscription changed"
    );

    let campaign = require_campaign(&state, caller.workspace_id, id).await?;
    Ok(Json(CampaignSubscriptionResponse {
        campaign: to_campaign(campaign),
        contact,
        status: subscription.status,
        starting_email_index: subscription.starting_email_index,
    }))
}
