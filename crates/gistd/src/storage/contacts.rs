//! Contacts of a workspace: users (with a `user_id`) and leads (without).
//!
//! Email addresses are stored trimmed and in lower case, and are unique per workspace, as
//! are user ids. The upsert of Gist's `POST /contacts` lives here whole, so that a batch
//! of them is one transaction: either every contact of a batch is written or none is.

use super::tags::{self, TagRef};
use super::{BeginWrite as _, Db, StorageError, WriteTarget as _, conflict_as, on_pool};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How a request names a contact.
#[derive(Debug, Clone)]
pub enum ContactKey<'a> {
    /// Gist's id.
    Id(i64),
    /// The integrator's own id.
    UserId(&'a str),
    /// Email address (matched without regard to case).
    Email(&'a str),
}

/// A contact as stored, plus when a teammate last replied to it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    /// Row id.
    pub id: i64,
    /// The integrator's id; `None` for a lead.
    pub user_id: Option<String>,
    /// Lower-case email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Unix seconds.
    pub signed_up_at: Option<i64>,
    /// Unix seconds.
    pub last_seen_at: Option<i64>,
    /// IP address of the last visit.
    pub last_seen_ip: Option<String>,
    /// Browser of the last visit.
    pub last_seen_user_agent: Option<String>,
    /// First page visited.
    pub landing_url: Option<String>,
    /// Referrer of the first visit.
    pub original_referrer: Option<String>,
    /// Sessions so far.
    pub session_count: i64,
    /// Whether the contact opted out of email.
    pub unsubscribed_from_emails: bool,
    /// A JSON object.
    pub custom_properties: String,
    /// A JSON object.
    pub location_data: String,
    /// A JSON array.
    pub social_profiles: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// The newest teammate reply in a conversation with the contact, Unix seconds.
    pub last_contacted_at: Option<i64>,
}

/// The columns of [`Contact`] for a query on `contacts c`. `last_contacted_at` is
/// derived from the conversations, so it cannot disagree with them.
const COLUMNS: &str = "c.id, c.user_id, c.email, c.name, c.phone, c.avatar, c.signed_up_at, \
    c.last_seen_at, c.last_seen_ip, c.last_seen_user_agent, c.landing_url, c.original_referrer, \
    c.session_count, c.unsubscribed_from_emails, c.custom_properties, c.location_data, \
    c.social_profiles, c.created_at, c.updated_at, \
    (SELECT MAX(m.created_at) FROM conversation_contacts cc \
     JOIN messages m ON m.conversation_id = cc.conversation_id \
     WHERE cc.contact_id = c.id AND m.author_type = 'teammate' AND m.message_type = 'reply') \
    AS last_contacted_at";

/// `$first, $first+1, …` for `count` bind parameters (an `IN` list).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The stored form of an email address.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The id of the workspace's contact named by `key`.
pub async fn find_contact_id(
    db: &Db,
    workspace_id: i64,
    key: &ContactKey<'_>,
) -> Result<Option<i64>, StorageError> {
    Ok(on_pool!(db, pool => match key {
        ContactKey::Id(id) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id)
        .bind(*id)
        .fetch_optional(pool)
        .await?,
        ContactKey::UserId(user_id) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(*user_id)
        .fetch_optional(pool)
        .await?,
        ContactKey::Email(email) => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND email = $2",
        )
        .bind(workspace_id)
        .bind(normalize_email(email))
        .fetch_optional(pool)
        .await?,
    }))
}

/// The workspace's contacts with `ids`, in the order of `ids` (an id listed twice comes
/// twice; an unknown one is left out), in one query.
pub async fn find_contacts(
    db: &Db,
    workspace_id: i64,
    ids: &[i64],
) -> Result<Vec<Contact>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts c WHERE c.workspace_id = $1 AND c.id IN ({})",
        placeholders(2, ids.len())
    );
    let rows = on_pool!(db, pool => {
        let mut query = sqlx::query_as::<_, Contact>(&sql).bind(workspace_id);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await?
    });
    let by_id: HashMap<i64, Contact> = rows.into_iter().map(|row| (row.id, row)).collect();
    Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
}

/// Which contacts a list shows; every filter set must hold.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Contacts with this tag.
    pub tag_id: Option<i64>,
    /// Contacts with the tag of this name (in any case).
    pub tag_name: Option<String>,
    /// Contacts in this segment.
    pub segment_id: Option<i64>,
    /// Contacts whose email address contains this text, in any case.
    pub email_like: Option<String>,
    /// Contacts created at or after this time, Unix seconds.
    pub created_since: Option<i64>,
}

/// The time a contact list is sorted by (then by id, so equal times keep one order
/// from page to page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOrder {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
}

/// A value bound to a query built at run time.
enum Arg {
    Int(i64),
    Text(String),
}

/// Escapes `%`, `_` and `\` for `LIKE … ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// One page of the workspace's contacts matching `filter`, and how many match in all.
pub async fn list_contacts(
    db: &Db,
    workspace_id: i64,
    filter: &ContactFilter,
    order: ContactOrder,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Contact>, i64), StorageError> {
    let mut args = vec![Arg::Int(workspace_id)];
    let mut conditions = vec!["c.workspace_id = $1".to_owned()];
    let mut add = |condition: &str, arg: Arg| {
        args.push(arg);
        conditions.push(condition.replace("$N", &format!("${}", args.len())));
    };
    if let Some(tag_id) = filter.tag_id {
        add(
            "EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id = $N)",
            Arg::Int(tag_id),
        );
    }
    if let Some(name) = &filter.tag_name {
        add(
            "EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE ct.contact_id = c.id AND t.workspace_id = $1 AND t.name_key = $N)",
            Arg::Text(tags::name_key(name)),
        );
    }
    if let Some(segment_id) = filter.segment_id {
        add(
            "EXISTS (SELECT 1 FROM segment_contacts sc \
             WHERE sc.contact_id = c.id AND sc.segment_id = $N)",
            Arg::Int(segment_id),
        );
    }
    if let Some(text) = &filter.email_like {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        add("LOWER(c.email) LIKE $N ESCAPE '\\'", Arg::Text(pattern));
    }
    if let Some(since) = filter.created_since {
        add("c.created_at >= $N", Arg::Int(since));
    }
    let where_clause = conditions.join(" AND ");
    let column = match order {
        ContactOrder::CreatedAt => "c.created_at",
        ContactOrder::UpdatedAt => "c.updated_at",
    };
    let direction = if descending { "DESC" } else { "ASC" };
    let count = format!("SELECT COUNT(*) FROM contacts c WHERE {where_clause}");
    let page = format!(
        "SELECT {COLUMNS} FROM contacts c WHERE {where_clause} \
         ORDER BY {column} {direction}, c.id {direction} LIMIT ${} OFFSET ${}",
        args.len() + 1,
        args.len() + 2
    );

    macro_rules! bind_args {
        ($query:expr) => {{
            let mut query = $query;
            for arg in &args {
                query = match arg {
                    Arg::Int(value) => query.bind(*value),
                    Arg::Text(value) => query.bind(value.as_str()),
                };
            }
            query
        }};
    }
    Ok(on_pool!(db, pool => {
        let total = bind_args!(sqlx::query_scalar::<_, i64>(&count)).fetch_one(pool).await?;
        let rows = bind_args!(sqlx::query_as::<_, Contact>(&page))
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        (rows, total)
    }))
}

/// Deletes a contact; false when the workspace has no contact `id`.
pub async fn delete_contact(db: &Db, workspace_id: i64, id: i64) -> Result<bool, StorageError> {
    let sql = "DELETE FROM contacts WHERE workspace_id = $1 AND id = $2";
    let deleted = on_pool!(db, pool => sqlx::query(sql)
        .bind(workspace_id)
        .bind(id)
        .execute(pool.writer())
        .await?
        .rows_affected());
    Ok(deleted > 0)
}

/// One contact of `POST /contacts`: how to find it and what to change. `None` leaves a
/// field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactUpsert {
    /// Tried first to find the contact.
    pub id: Option<i64>,
    /// Tried second; set on the contact (a lead with a user id becomes a user).
    pub user_id: Option<String>,
    /// Tried third; set on the contact.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<Option<String>>,
    /// Phone number.
    pub phone: Option<Option<String>>,
    /// Unix seconds.
    pub signed_up_at: Option<i64>,
    /// IP address of the last visit.
    pub last_seen_ip: Option<Option<String>>,
    /// Browser of the last visit.
    pub last_seen_user_agent: Option<Option<String>>,
    /// Email opt-out.
    pub unsubscribed_from_emails: Option<bool>,
    /// Merged into the contact's properties; a null value removes that property.
    pub custom_properties: Map<String, Value>,
    /// Replaces the contact's location.
    pub location_data: Option<Map<String, Value>>,
    /// Tags to add (none are removed).
    pub tags: Vec<TagRef>,
}

/// Why an upsert (of a batch: of its item `index`) was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// An `id` matched no contact, and no `user_id` or `email` was given instead.
    #[error("no contact has the id {id}")]
    UnknownContact {
        /// Position in the batch.
        index: usize,
        /// The id sent.
        id: i64,
    },
    /// Nothing matched and there is neither `email` nor `user_id` to create a contact.
    #[error("a new contact needs an email or a user_id")]
    MissingKey {
        /// Position in the batch.
        index: usize,
    },
    /// A tag id that is not one of the workspace's tags.
    #[error("no tag has the id {id}")]
    UnknownTag {
        /// Position in the batch.
        index: usize,
        /// The id sent.
        id: i64,
    },
    /// The email address or user id belongs to another contact.
    #[error("the {field} belongs to another contact")]
    Taken {
        /// Position in the batch.
        index: usize,
        /// `email` or `user_id`.
        field: &'static str,
    },
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for UpsertError {
    fn from(error: sqlx::Error) -> Self {
        UpsertError::Storage(StorageError::Database(error))
    }
}

/// The columns an upsert writes, as stored; compared before and after to tell whether
/// anything changed.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Writable {
    user_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    signed_up_at: Option<i64>,
    last_seen_ip: Option<String>,
    last_seen_user_agent: Option<String>,
    unsubscribed_from_emails: bool,
    custom_properties: String,
    location_data: String,
}

impl Default for Writable {
    fn default() -> Self {
        Writable {
            user_id: None,
            email: None,
            name: None,
            phone: None,
            signed_up_at: None,
            last_seen_ip: None,
            last_seen_user_agent: None,
            unsubscribed_from_emails: false,
            custom_properties: "{}".to_owned(),
            location_data: "{}".to_owned(),
        }
    }
}

/// A contact found by an upsert.
#[derive(Debug, sqlx::FromRow)]
struct Matched {
    id: i64,
    #[sqlx(flatten)]
    fields: Writable,
}

impl ContactUpsert {
    /// The fields after this upsert is applied to `current`.
    fn apply(&self, current: &Writable) -> Writable {
        let mut next = current.clone();
        let set = |field: &mut Option<String>, value: &Option<Option<String>>| {
            if let Some(value) = value {
                field.clone_from(value);
            }
        };
        if let Some(user_id) = &self.user_id {
            next.user_id = Some(user_id.clone());
        }
        if let Some(email) = &self.email {
            next.email = Some(normalize_email(email));
        }
        set(&mut next.name, &self.name);
        set(&mut next.phone, &self.phone);
        set(&mut next.last_seen_ip, &self.last_seen_ip);
        set(&mut next.last_seen_user_agent, &self.last_seen_user_agent);
        if let Some(signed_up_at) = self.signed_up_at {
            next.signed_up_at = Some(signed_up_at);
        }
        if let Some(unsubscribed) = self.unsubscribed_from_emails {
            next.unsubscribed_from_emails = unsubscribed;
        }
        if !self.custom_properties.is_empty() {
            let mut properties: Map<String, Value> =
                serde_json::from_str(&current.custom_properties).unwrap_or_default();
            for (name, value) in &self.custom_properties {
                if value.is_null() {
                    properties.remove(name);
                } else {
                    properties.insert(name.clone(), value.clone());
                }
            }
            next.custom_properties = Value::Object(properties).to_string();
        }
        if let Some(location) = &self.location_data {
            next.location_data = Value::Object(location.clone()).to_string();
        }
        next
    }
}

/// Creates or updates each contact of `items`, in order and in one transaction, and
/// returns their ids (in the same order). Each item is matched by `id`, then
/// `user_id`, then `email`; a match is updated, otherwise a contact is created, which
/// needs an `email` or a `user_id`. A contact whose fields or tags change gets
/// `updated_at = now`.
pub async fn upsert_contacts(
    db: &Db,
    workspace_id: i64,
    items: &[ContactUpsert],
    now: i64,
) -> Result<Vec<i64>, UpsertError> {
    let items = items.to_vec();
    db.on_write_thread(move |db| async move {
        upsert_contacts_here(&db, workspace_id, &items, now).await
    })
    .await
}

async fn upsert_contacts_here(
    db: &Db,
    workspace_id: i64,
    items: &[ContactUpsert],
    now: i64,
) -> Result<Vec<i64>, UpsertError> {
    const WRITABLE: &str = "user_id, email, name, phone, signed_up_at, last_seen_ip, \
                            last_seen_user_agent, unsubscribed_from_emails, \
                            custom_properties, location_data";
    let by_id = format!("SELECT id, {WRITABLE} FROM contacts WHERE workspace_id = $1 AND id = $2");
    let by_user_id =
        format!("SELECT id, {WRITABLE} FROM contacts WHERE workspace_id = $1 AND user_id = $2");
    let by_email =
        format!("SELECT id, {WRITABLE} FROM contacts WHERE workspace_id = $1 AND email = $2");
    let id_by_user_id = "SELECT id FROM contacts WHERE workspace_id = $1 AND user_id = $2";
    let id_by_email = "SELECT id FROM contacts WHERE workspace_id = $1 AND email = $2";
    let insert = format!(
        "INSERT INTO contacts (workspace_id, {WRITABLE}, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id"
    );
    let update = "UPDATE contacts SET user_id = $2, email = $3, name = $4, phone = $5, \
                  signed_up_at = $6, last_seen_ip = $7, last_seen_user_agent = $8, \
                  unsubscribed_from_emails = $9, custom_properties = $10, location_data = $11, \
                  updated_at = $12 WHERE id = $1";
    let tag_exists = "SELECT id FROM tags WHERE workspace_id = $1 AND id = $2";
    let taken = "a contact with this email or user_id";

    macro_rules! bind_writable {
        ($query:expr, $fields:expr) => {
            $query
                .bind(&$fields.user_id)
                .bind(&$fields.email)
                .bind(&$fields.name)
                .bind(&$fields.phone)
                .bind($fields.signed_up_at)
                .bind(&$fields.last_seen_ip)
                .bind(&$fields.last_seen_user_agent)
                .bind($fields.unsubscribed_from_emails)
                .bind(&$fields.custom_properties)
                .bind(&$fields.location_data)
        };
    }

    on_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut ids = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let email = item.email.as_deref().map(normalize_email);

            // Match by id, then user id, then email.
            let mut matched = None;
            if let Some(id) = item.id {
                matched = sqlx::query_as::<_, Matched>(&by_id)
                    .bind(workspace_id).bind(id).fetch_optional(&mut *tx).await?;
            }
            if matched.is_none() && let Some(user_id) = &item.user_id {
                matched = sqlx::query_as::<_, Matched>(&by_user_id)
                    .bind(workspace_id).bind(user_id).fetch_optional(&mut *tx).await?;
            }
            if matched.is_none() && let Some(email) = &email {
                matched = sqlx::query_as::<_, Matched>(&by_email)
                    .bind(workspace_id).bind(email).fetch_optional(&mut *tx).await?;
                // A user found by email keeps its own user id: another one is a
                // different person, who cannot have the same address.
                if let (Some(found), Some(user_id)) = (&matched, &item.user_id)
                    && found.fields.user_id.as_ref().is_some_and(|own| own != user_id)
                {
                    return Err(UpsertError::Taken { index, field: "email" });
                }
            }

            let (id, before, after) = match matched {
                Some(found) => {
                    let after = item.apply(&found.fields);
                    if after.email != found.fields.email && let Some(email) = &after.email {
                        let owner = sqlx::query_scalar::<_, i64>(id_by_email)
                            .bind(workspace_id).bind(email).fetch_optional(&mut *tx).await?;
                        if owner.is_some_and(|owner| owner != found.id) {
                            return Err(UpsertError::Taken { index, field: "email" });
                        }
                    }
                    if after.user_id != found.fields.user_id && let Some(user_id) = &after.user_id {
                        let owner = sqlx::query_scalar::<_, i64>(id_by_user_id)
                            .bind(workspace_id).bind(user_id).fetch_optional(&mut *tx).await?;
                        if owner.is_some_and(|owner| owner != found.id) {
                            return Err(UpsertError::Taken { index, field: "user_id" });
                        }
                    }
                    (found.id, Some(found.fields), after)
                }
                None => {
                    if email.is_none() && item.user_id.is_none() {
                        return Err(match item.id {
                            Some(id) => UpsertError::UnknownContact { index, id },
                            None => UpsertError::MissingKey { index },
                        });
                    }
                    let after = item.apply(&Writable::default());
                    let id = bind_writable!(sqlx::query_scalar::<_, i64>(&insert).bind(workspace_id), after)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(conflict_as(taken))?;
                    (id, None, after)
                }
            };

            let mut tags_added = false;
            for tag in &item.tags {
                let tag_id = match tag {
                    TagRef::Id(tag_id) => sqlx::query_scalar::<_, i64>(tag_exists)
                        .bind(workspace_id).bind(*tag_id).fetch_optional(&mut *tx).await?
                        .ok_or(UpsertError::UnknownTag { index, id: *tag_id })?,
                    TagRef::Name(name) => {
                        let key = tags::name_key(name);
                        sqlx::query(tags::INSERT_TAG)
                            .bind(workspace_id).bind(name.trim()).bind(&key).bind(now)
                            .execute(&mut *tx).await?;
                        sqlx::query_as::<_, tags::Tag>(tags::SELECT_TAG_BY_KEY)
                            .bind(workspace_id).bind(&key).fetch_one(&mut *tx).await?.id
                    }
                };
                let linked = sqlx::query(tags::LINK_CONTACT)
                    .bind(id).bind(tag_id).execute(&mut *tx).await?.rows_affected();
                tags_added |= linked > 0;
            }

            if let Some(before) = before
                && (before != after || tags_added)
            {
                bind_writable!(sqlx::query(update).bind(id), after)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_as(taken))?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    })
}

/// The id of the workspace's contact with `email`, creating a lead (a contact without
/// `user_id`) when there is none. Two concurrent calls for one address get one contact:
/// the insert yields to the unique `(workspace_id, email)` constraint.
pub async fn find_or_insert_lead(
    db: &Db,
    workspace_id: i64,
    email: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let insert = "INSERT INTO contacts (workspace_id, email, created_at, updated_at) \
                  VALUES ($1, $2, $3, $3) ON CONFLICT (workspace_id, email) DO NOTHING";
    let select = "SELECT id FROM contacts WHERE workspace_id = $1 AND email = $2";
    let email = normalize_email(email);
    Ok(on_pool!(db, pool => {
        sqlx::query(insert).bind(workspace_id).bind(&email).bind(now).execute(pool.writer()).await?;
        sqlx::query_scalar::<_, i64>(select)
            .bind(workspace_id)
            .bind(&email)
            .fetch_one(pool.writer())
            .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 1), "$1");
    }

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(escape_like(r"a_b%c\d"), r"a\_b\%c\\d");
    }

    #[test]
    fn custom_properties_merge_and_null_removes() {
        let current = Writable {
            custom_properties: json!({"plan": "free", "age": 3, "gone": true}).to_string(),
            ..Writable::default()
        };
        let upsert = ContactUpsert {
            custom_properties: json!({"plan": "pro", "gone": null, "new": [1]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..ContactUpsert::default()
        };
        let next = upsert.apply(&current);
        let properties: Value = serde_json::from_str(&next.custom_properties).unwrap();
        assert_eq!(properties, json!({"plan": "pro", "age": 3, "new": [1]}));
    }

    #[test]
    fn absent_fields_stay_and_empty_ones_clear() {
        let current = Writable {
            name: Some("Ada".into()),
            phone: Some("+44".into()),
            email: Some("ada@example.com".into()),
            ..Writable::default()
        };
        let upsert = ContactUpsert {
            phone: Some(None),
            email: Some("  Ada@Example.COM ".into()),
            ..ContactUpsert::default()
        };
        let next = upsert.apply(&current);
        assert_eq!(next.name.as_deref(), Some("Ada"));
        assert_eq!(next.phone, None);
        assert_eq!(
            next,
            Writable {
                phone: None,
                ..current
            }
        );
    }
}
