//! The app's HTML pages: self-contained (inline style, no external resources), with every
//! value from outside escaped.

use gist_client::gist_types::Teammate;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;\
padding:0 1rem;line-height:1.5;color:#1d2433}a.button{display:inline-block;padding:.6rem 1rem;\
background:#3451b2;color:#fff;border-radius:.4rem;text-decoration:none}table{border-collapse:\
collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #d8dce5}\
.error{color:#a4262c}code{background:#f0f2f6;padding:0 .2rem}";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A whole page around `body` (already HTML).
fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title),
    )
}

/// `/`: what the app does and the log-in link.
pub fn welcome() -> String {
    layout(
        "Gist quick start",
        "<p>This app asks your Gist workspace for permission to read its contacts and \
         teammates, then lists the teammates.</p>\
         <p><a class=\"button\" href=\"/auth/gist\">Log in with Gist</a></p>\
         <p>To pre-select a workspace, add its slug: \
         <code>/auth/gist?workspace=your-slug</code>.</p>",
    )
}

/// The callback's state is missing, unknown or not the one sent.
pub fn bad_state(had_session: bool) -> String {
    let why = if had_session {
        "The <code>state</code> sent back does not match the one this browser sent."
    } else {
        "This browser has no log-in in progress (it may have expired after 10 minutes, or \
         been used already)."
    };
    layout(
        "Log-in refused",
        &format!(
            "<p class=\"error\">{why} The request may not have come from this app, so it \
             was ignored.</p><p><a href=\"/\">Start again</a></p>"
        ),
    )
}

/// The user (or gistd) refused the authorization.
pub fn denied(error: &str, description: &str) -> String {
    let explanation = match error {
        "access_denied" => "You chose not to give this app access. Nothing was shared.",
        _ => "gistd did not authorize the app.",
    };
    let description = match description.is_empty() {
        true => String::new(),
        false => format!("<p>{}</p>", escape(description)),
    };
    layout(
        "Access not granted",
        &format!(
            "<p class=\"error\">Error: <code>{}</code></p><p>{explanation}</p>{description}\
             <p><a href=\"/\">Start again</a></p>",
            escape(error)
        ),
    )
}

/// Something went wrong talking to gistd.
pub fn problem(message: &str) -> String {
    layout(
        "Something went wrong",
        &format!(
            "<p class=\"error\">{}</p><p><a href=\"/\">Start again</a></p>",
            escape(message)
        ),
    )
}

/// The result: the workspace's teammates.
pub fn teammates(workspace_name: &str, teammates: &[Teammate]) -> String {
    let rows: String = teammates
        .iter()
        .map(|teammate| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&teammate.name),
                escape(&teammate.email)
            )
        })
        .collect();
    layout(
        "Connected to Gist",
        &format!(
            "<p>The app can now read <strong>{}</strong>. Its teammates:</p>\
             <table><thead><tr><th>Name</th><th>Email</th></tr></thead>\
             <tbody>{rows}</tbody></table><p><a href=\"/\">Back</a></p>",
            escape(workspace_name)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let page = denied("<script>", "a & b");
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn pages_load_nothing_from_elsewhere() {
        for page in [welcome(), bad_state(true), problem("x")] {
            assert!(!page.contains("http://") && !page.contains("https://"));
        }
    }
}
