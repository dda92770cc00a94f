//! The API's own description: the OpenAPI 3 document and an HTML page that renders it
//! (server-side, so the page needs no script and no CDN).

use crate::http::error::PageError;
use crate::http::pages::{Nav, render};
use crate::http::state::AppState;
use askama::Template;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document, shared with the handlers that serve it.
#[derive(Clone)]
pub struct ApiDocument(pub Arc<OpenApi>);

/// The documentation routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_openapi))
        .routes(routes!(show_docs))
}

/// The OpenAPI 3 document of this API, with this server as its base URL.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "documentation",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
pub async fn show_openapi(
    State(state): State<AppState>,
    Extension(doc): Extension<ApiDocument>,
) -> Response {
    let mut document = (*doc.0).clone();
    document.servers = Some(vec![utoipa::openapi::Server::new(format!(
        "{}/api",
        state.base_url
    ))]);
    axum::Json(document).into_response()
}

struct Operation {
    method: String,
    path: String,
    summary: String,
    tag: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    nav: Nav,
    base_url: String,
    operations: Vec<Operation>,
}

/// An HTML page listing every operation of the API.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "documentation",
    responses((status = 200, description = "The API reference as a web page", content_type = "text/html"))
)]
pub async fn show_docs(
    State(state): State<AppState>,
    Extension(doc): Extension<ApiDocument>,
) -> Result<Response, PageError> {
    let mut operations = Vec::new();
    for (path, item) in &doc.0.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                operations.push(Operation {
                    method: method.to_owned(),
                    path: path.clone(),
                    summary: operation.summary.clone().unwrap_or_default(),
                    tag: operation
                        .tags
                        .as_ref()
                        .and_then(|tags| tags.first().cloned())
                        .unwrap_or_default(),
                });
            }
        }
    }
    operations.sort_by(|a, b| (&a.tag, &a.path).cmp(&(&b.tag, &b.path)));
    render(&DocsPage {
        nav: Nav::anonymous(),
        base_url: format!("{}/api", state.base_url),
        operations,
    })
}
