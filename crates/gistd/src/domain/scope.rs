//! Gist's eleven OAuth scopes and sets of them.
//!
//! Slugs are exactly those on Gist's scope page. The quick start spells the first one
//! `read_contacts`; that spelling is accepted on input and the documented slug is what
//! gistd emits. Sets are ordered by the order of [`Scope::ALL`], so a scope string that
//! gistd prints is stable and clients may compare it.

use std::collections::BTreeSet;
use std::fmt;

/// One of Gist's documented OAuth scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Look up one contact.
    ReadContact,
    /// Create or update one contact.
    WriteContact,
    /// List contacts.
    ReadBulkContacts,
    /// Create or update contacts in batches.
    WriteBulkContacts,
    /// List and read conversations.
    ReadConversations,
    /// Start, reply to and change conversations.
    WriteConversations,
    /// List events.
    ReadEvents,
    /// List tags.
    ReadTags,
    /// Create, rename and delete tags, and tag contacts.
    WriteTags,
    /// List and read teams.
    ReadTeams,
    /// List and read teammates.
    ReadTeammates,
}

/// A scope string that names no Gist scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 11] = [
        Scope::ReadContact,
        Scope::WriteContact,
        Scope::ReadBulkContacts,
        Scope::WriteBulkContacts,
        Scope::ReadConversations,
        Scope::WriteConversations,
        Scope::ReadEvents,
        Scope::ReadTags,
        Scope::WriteTags,
        Scope::ReadTeams,
        Scope::ReadTeammates,
    ];

    /// The documented slug.
    pub fn slug(self) -> &'static str {
        match self {
            Scope::ReadContact => "read_contact",
            Scope::WriteContact => "write_contact",
            Scope::ReadBulkContacts => "read_bulk_contacts",
            Scope::WriteBulkContacts => "write_bulk_contacts",
            Scope::ReadConversations => "read_conversations",
            Scope::WriteConversations => "write_conversations",
            Scope::ReadEvents => "read_events",
            Scope::ReadTags => "read_tags",
            Scope::WriteTags => "write_tags",
            Scope::ReadTeams => "read_teams",
            Scope::ReadTeammates => "read_teammates",
        }
    }

    /// What the scope lets an app do, in plain words for the consent page.
    pub fn description(self) -> &'static str {
        match self {
            Scope::ReadContact => "Look up individual contacts",
            Scope::WriteContact => "Create and update individual contacts",
            Scope::ReadBulkContacts => "Read your whole contact list",
            Scope::WriteBulkContacts => "Create and update contacts in bulk",
            Scope::ReadConversations => "Read your conversations and their messages",
            Scope::WriteConversations => "Start, reply to, assign and close conversations",
            Scope::ReadEvents => "Read the events your contacts performed",
            Scope::ReadTags => "See your tags",
            Scope::WriteTags => "Create, rename and delete tags, and tag contacts",
            Scope::ReadTeams => "See your teams",
            Scope::ReadTeammates => "See your teammates' names and email addresses",
        }
    }

    /// Parses a slug, accepting the quick start's `read_contacts` spelling.
    pub fn parse(slug: &str) -> Result<Scope, UnknownScope> {
        if slug == "read_contacts" {
            return Ok(Scope::ReadContact);
        }
        Scope::ALL
            .into_iter()
            .find(|scope| scope.slug() == slug)
            .ok_or_else(|| UnknownScope(slug.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-separated scope string (RFC 6749 section 3.3). By the time it
    /// gets here, form decoding has turned `+` and `%20` into spaces; a `%2B` is a
    /// literal plus and so part of an (unknown) scope name. Empty means no scope.
    pub fn parse(value: &str) -> Result<ScopeSet, UnknownScope> {
        value
            .split(' ')
            .filter(|part| !part.is_empty())
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(ScopeSet)
    }

    /// Reads a scope string that gistd itself stored. Unknown names (which only a
    /// hand-edited database could hold) are dropped rather than trusted.
    pub fn from_stored(value: &str) -> ScopeSet {
        ScopeSet(
            value
                .split(' ')
                .filter_map(|part| Scope::parse(part).ok())
                .collect(),
        )
    }

    /// Whether the set holds no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether every scope of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scopes in both sets.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet(self.0.union(&other.0).copied().collect())
    }

    /// The scopes, in display order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.slug())?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_slugs_and_the_quick_start_alias() {
        let set = ScopeSet::parse("read_contacts read_teammates").unwrap();
        assert!(set.contains(Scope::ReadContact));
        assert_eq!(set.to_string(), "read_contact read_teammates");
    }

    #[test]
    fn output_order_is_stable_whatever_the_input_order() {
        let set = ScopeSet::parse("read_teammates  read_tags read_contact").unwrap();
        assert_eq!(set.to_string(), "read_contact read_tags read_teammates");
    }

    #[test]
    fn empty_string_is_no_scope() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn unknown_and_plus_joined_names_are_refused() {
        assert_eq!(
            ScopeSet::parse("read_everything"),
            Err(UnknownScope("read_everything".into()))
        );
        assert!(ScopeSet::parse("read_tags+read_teams").is_err());
        assert!(ScopeSet::parse("READ_TAGS").is_err());
    }

    #[test]
    fn subset_checks() {
        let small = ScopeSet::parse("read_tags").unwrap();
        let large = ScopeSet::parse("read_tags write_tags").unwrap();
        assert!(small.is_subset_of(&large));
        assert!(!large.is_subset_of(&small));
    }
}
