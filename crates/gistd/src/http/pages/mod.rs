//! HTML pages: accounts, workspaces and the developer hub. Templates (askama) escape
//! every value; each page is rendered with `Cache-Control: no-store` because most carry
//! a CSRF token or a secret.

use super::error::PageError;
use super::session::CurrentUser;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub mod account;
pub mod developer;
pub mod workspace_data;
pub mod workspaces;

/// What the page header needs: who is logged in, and the CSRF token of the log-out form.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// The logged-in user's name.
    pub user_name: Option<String>,
    /// CSRF token for the log-out form.
    pub csrf: String,
}

impl Nav {
    /// The header for a visitor who is not logged in.
    pub fn anonymous() -> Nav {
        Nav::default()
    }

    /// The header for `user`.
    pub fn of(user: &CurrentUser) -> Nav {
        Nav {
            user_name: Some(user.user.name.clone()),
            csrf: user.csrf.clone(),
        }
    }
}

/// Renders a page with status 200.
pub fn render(template: &impl Template) -> Result<Response, PageError> {
    render_with_status(StatusCode::OK, template)
}

/// Renders a page with `status`.
pub fn render_with_status(
    status: StatusCode,
    template: &impl Template,
) -> Result<Response, PageError> {
    let body = template.render()?;
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response())
}

/// The one stylesheet: served from the binary, no external fonts or CDNs.
pub async fn show_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/style.css"),
    )
}

/// The 404 page for every unknown path.
pub async fn show_not_found() -> PageError {
    PageError::NotFound
}

/// Formats Unix seconds as a UTC date, for listings.
pub fn format_date(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian
    // calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::format_date(0), "1970-01-01");
        assert_eq!(super::format_date(1_796_400_000), "2026-12-04");
        assert_eq!(super::format_date(951_782_400), "2000-02-29");
    }
}
