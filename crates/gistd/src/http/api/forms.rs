//! Forms: list them, fetch one (`GET /forms?form_id=ID`, the shape Gist's Ruby client
//! uses), subscribe a contact through one (recording a submission) and list a form's
//! submissions. API key only: Gist documents no scope for forms.

use super::ApiCaller;
use super::conventions::{ApiJson, ListQuery, PageParams, path_id};
use super::events::{ContactKeys, resolve_contact, stored_object};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::storage::marketing::{self, FormRow, SubmissionRow};
use axum::Json;
use axum::extract::{Path, State};
use gist_types::marketing::{
    ContactRef, Form, FormResponse, FormSubmission, FormSubscribeRequest, FormsResponse,
    SubmissionResponse, SubmissionsResponse,
};
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The form routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_forms))
        .routes(routes!(subscribe_form))
        .routes(routes!(list_form_submissions))
}

/// `GET /forms` answers a list, or one form when `form_id` is given.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FormsAnswer {
    /// Without `form_id`.
    List(FormsResponse),
    /// With `form_id`.
    One(FormResponse),
}

fn to_form(row: FormRow) -> Form {
    Form {
        id: row.id,
        name: row.name,
        submission_count: row.submission_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn to_submission(row: SubmissionRow) -> FormSubmission {
    FormSubmission {
        id: row.id,
        form_id: row.form_id,
        contact: ContactRef {
            id: row.contact_id,
            email: row.email,
            user_id: row.user_id,
        },
        fields: stored_object(&row.fields),
        created_at: row.created_at,
    }
}

async fn require_form(state: &AppState, workspace_id: i64, id: i64) -> Result<FormRow, ApiError> {
    marketing::find_form(&state.db, workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No form has the id {id}.")))
}

/// List the workspace's forms, or fetch one with `form_id`.
#[utoipa::path(
    get,
    path = "/forms",
    tag = "forms",
    security(("bearer" = [])),
    params(
        ("form_id" = Option<i64>, Query, description = "Fetch this form alone, as `{\"form\": ...}`"),
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of forms, or the one form asked for (API key only)", body = FormsAnswer),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No form has `form_id` in this workspace", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_forms(
    State(state): State<AppState>,
    caller: ApiCaller,
    query: ListQuery,
) -> Result<Json<FormsAnswer>, ApiError> {
    caller.require_api_key()?;
    if let Some(form_id) = query.fields.non_empty("form_id") {
        let id = path_id(form_id.trim(), "form")?;
        let row = require_form(&state, caller.workspace_id, id).await?;
        return Ok(Json(FormsAnswer::One(FormResponse { form: to_form(row) })));
    }

    let (rows, total) = marketing::list_forms(
        &state.db,
        caller.workspace_id,
        query.per_page,
        query.offset(),
    )
    .await?;
    Ok(Json(FormsAnswer::List(FormsResponse {
        forms: rows.into_iter().map(to_form).collect(),
        pages: query.pages(&state, "/forms", total),
    })))
}

/// Subscribe a contact through a form, recording a submission.
///
/// The contact is named by `id`, `user_id` or `email`; an unknown email address creates
/// a lead, as a sign-up form does. The values in `fields` and every other top-level
/// member are recorded as the submission's fields.
#[utoipa::path(
    post,
    path = "/forms/{id}/subscribe",
    tag = "forms",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Form id")),
    request_body = FormSubscribeRequest,
    responses(
        (status = 200, description = "The recorded submission (API key only)", body = SubmissionResponse),
        (status = 400, description = "No contact key, or malformed JSON", body = gist_types::ApiErrorBody),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such form or contact in this workspace", body = gist_types::ApiErrorBody),
        (status = 422, description = "A member has the wrong type", body = gist_types::ApiErrorBody),
    )
)]
pub async fn subscribe_form(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FormSubscribeRequest>,
) -> Result<Json<SubmissionResponse>, ApiError> {
    caller.require_api_key()?;
    let id = path_id(&id, "form")?;
    require_form(&state, caller.workspace_id, id).await?;

    let keys = ContactKeys {
        id: body.id,
        user_id: body.user_id.as_deref(),
        email: body.email.as_deref(),
    };
    let contact = resolve_contact(&state, caller.workspace_id, keys, true).await?;

    let mut fields = body.other;
    fields.extend(body.fields.unwrap_or_default());
    let fields = Value::Object(fields).to_string();
    let row = marketing::insert_submission(&state.db, id, contact.id, &fields, state.now()).await?;
    tracing::info!(
        workspace.id = caller.workspace_id,
        form.id = id,
        contact.id = contact.id,
        "form submission recorded"
    );
    Ok(Json(SubmissionResponse {
        submission: to_submission(row),
    }))
}

/// List a form's submissions, newest first.
#[utoipa::path(
    get,
    path = "/forms/{id}/submissions",
    tag = "forms",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Form id"),
        PageParams,
    ),
    responses(
        (status = 200, description = "One page of submissions (API key only)", body = SubmissionsResponse),
        (status = 403, description = "An OAuth token was used", body = gist_types::ApiErrorBody),
        (status = 404, description = "No such form in this workspace", body = gist_types::ApiErrorBody),
    )
)]
pub async fn list_form_submissions(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Json<SubmissionsResponse>, ApiError> {
    caller.require_api_key()?;
    let id = path_id(&id, "form")?;
    require_form(&state, caller.workspace_id, id).await?;
    let (rows, total) =
        marketing::list_submissions(&state.db, id, query.per_page, query.offset()).await?;
    Ok(Json(SubmissionsResponse {
        submissions: rows.into_iter().map(to_submission).collect(),
        pages: query.pages(&state, &format!("/forms/{id}/submissions"), total),
    }))
}
