//! Validation of the names people type: email addresses, workspace slugs and names,
//! app names and descriptions.
//!
//! App names are chosen by whoever registers the app and shown on other people's consent
//! pages, so besides HTML escaping (done by the templates) they may not contain control
//! or bidirectional-override characters that could make one name look like another.

/// Longest display name (user, workspace, app) in characters.
pub const MAX_NAME_LENGTH: usize = 100;
/// Longest app description in characters.
pub const MAX_DESCRIPTION_LENGTH: usize = 1000;

/// Normalises and checks an email address: trimmed, lower-cased, one `@` with text on
/// both sides and a dot in the domain. Deliverability is not checked.
pub fn parse_email(value: &str) -> Result<String, String> {
    let email = value.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err("Enter a valid email address.".to_owned())
    }
}

/// Checks a display name: trimmed, 1 to 100 characters, no control or bidi characters.
pub fn parse_display_name(value: &str, what: &str) -> Result<String, String> {
    let name = value.trim();
    if name.is_empty() {
        return Err(format!("{what} is required."));
    }
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(format!(
            "{what} can have at most {MAX_NAME_LENGTH} characters."
        ));
    }
    if name.chars().any(is_deceptive) {
        return Err(format!(
            "{what} cannot contain control or text-direction characters."
        ));
    }
    Ok(name.to_owned())
}

/// Checks a free-text description: at most 1000 characters, no bidi or control
/// characters except line breaks.
pub fn parse_description(value: &str) -> Result<String, String> {
    let text = value.trim();
    if text.chars().count() > MAX_DESCRIPTION_LENGTH {
        return Err(format!(
            "The description can have at most {MAX_DESCRIPTION_LENGTH} characters."
        ));
    }
    if text
        .chars()
        .any(|c| c != '\n' && c != '\r' && is_deceptive(c))
    {
        return Err("The description cannot contain control or text-direction characters.".into());
    }
    Ok(text.to_owned())
}

/// Slugs that would shadow a page under `/workspaces/`.
const RESERVED_SLUGS: &[&str] = &["new"];

/// Checks a workspace slug: 3 to 40 of `a-z 0-9 -`, starting with a letter or digit, and
/// not one of the reserved words.
pub fn parse_slug(value: &str) -> Result<String, String> {
    let slug = value.trim().to_lowercase();
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(format!("The slug `{slug}` is reserved; choose another."));
    }
    let valid = (3..=40).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if valid {
        Ok(slug)
    } else {
        Err("A slug has 3 to 40 characters: lower-case letters, digits and dashes.".into())
    }
}

/// A slug made from a workspace name, for when none is given.
pub fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(32).collect();
    while slug.len() < 3 {
        slug.push('0');
    }
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        slug.push_str("-workspace");
    }
    slug
}

/// Control characters and the Unicode characters that reorder or hide text.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{061C}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            parse_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        assert!(parse_email("ada").is_err());
        assert!(parse_email("ada@localhost").is_err());
        assert!(parse_email("a b@example.com").is_err());
    }

    #[test]
    fn names_refuse_direction_overrides() {
        assert!(parse_display_name("Good App", "Name").is_ok());
        assert!(parse_display_name("Evil\u{202E}ppA dooG", "Name").is_err());
        assert!(parse_display_name("   ", "Name").is_err());
        assert!(parse_display_name(&"x".repeat(101), "Name").is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(parse_slug("Acme-Inc").unwrap(), "acme-inc");
        assert!(parse_slug("a").is_err());
        assert!(parse_slug("acme inc").is_err());
        assert_eq!(slug_from_name("Acme, Inc."), "acme-inc");
        assert_eq!(slug_from_name("!"), "000");
        assert!(parse_slug("new").is_err());
        assert_eq!(slug_from_name("New"), "new-workspace");
    }
}
