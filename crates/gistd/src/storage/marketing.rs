//! Forms (and their submissions), campaigns (and who is subscribed to them) and
//! subscription types (and who opted in or out).

use super::{Db, StorageError, WriteTarget as _, on_pool};

/// A form with its submission count.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FormRow {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Submissions received.
    pub submission_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A form submission with its contact's keys.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionRow {
    /// Row id.
    pub id: i64,
    /// The form.
    pub form_id: i64,
    /// Who submitted it.
    pub contact_id: i64,
    /// That contact's email address.
    pub email: Option<String>,
    /// That contact's `user_id`.
    pub user_id: Option<String>,
    /// Field values, a JSON object as text.
    pub fields: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A campaign with its subscriber count.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Contacts subscribed now.
    pub subscriber_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A subscription type with its subscriber count.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionTypeRow {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Contacts subscribed now.
    pub subscriber_count: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A contact's place in a campaign.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignSubscription {
    /// `subscribed` or `unsubscribed`.
    pub status: String,
    /// The email the contact starts from.
    pub starting_email_index: i64,
}

const SELECT_FORM: &str = "SELECT f.id, f.name, \
     (SELECT COUNT(*) FROM form_submissions s WHERE s.form_id = f.id) AS submission_count, \
     f.created_at, f.updated_at FROM forms f";

const SELECT_SUBMISSION: &str = "SELECT s.id, s.form_id, s.contact_id, c.email, c.user_id, \
     s.fields, s.created_at FROM form_submissions s JOIN contacts c ON c.id = s.contact_id";

const SELECT_CAMPAIGN: &str = "SELECT m.id, m.name, \
     (SELECT COUNT(*) FROM campaign_subscriptions s \
      WHERE s.campaign_id = m.id AND s.status = 'subscribed') AS subscriber_count, \
     m.created_at, m.updated_at FROM campaigns m";

const SELECT_SUBSCRIPTION_TYPE: &str = "SELECT t.id, t.name, t.description, \
     (SELECT COUNT(*) FROM contact_subscription_types s \
      WHERE s.subscription_type_id = t.id AND s.status = 'subscribed') AS subscriber_count, \
     t.created_at, t.updated_at FROM subscription_types t";

/// Runs a paged `SELECT ... WHERE <alias>.workspace_id = $1` and its count.
macro_rules! page_of {
    ($db:expr, $row:ty, $select:expr, $table:literal, $alias:literal,
     $workspace_id:expr, $limit:expr, $offset:expr) => {{
        let page = format!(
            "{} WHERE {}.workspace_id = $1 ORDER BY {}.id LIMIT $2 OFFSET $3",
            $select, $alias, $alias
        );
        let count = concat!("SELECT COUNT(*) FROM ", $table, " WHERE workspace_id = $1");
        on_pool!($db, pool => {
            let rows = sqlx::query_as::<_, $row>(&page)
                .bind($workspace_id)
                .bind($limit)
                .bind($offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar::<_, i64>(count)
                .bind($workspace_id)
                .fetch_one(pool)
                .await?;
            (rows, total)
        })
    }};
}

/// Fetches one row of the workspace by id.
macro_rules! one_of {
    ($db:expr, $row:ty, $select:expr, $alias:literal, $workspace_id:expr, $id:expr) => {{
        let sql = format!("{} WHERE {}.workspace_id = $1 AND {}.id = $2", $select, $alias, $alias);
        on_pool!($db, pool => {
            sqlx::query_as::<_, $row>(&sql)
                .bind($workspace_id)
                .bind($id)
                .fetch_optional(pool)
                .await?
        })
    }};
}

/// Runs an `INSERT ... VALUES ($1 workspace, $2 name, $3 now) RETURNING id`.
async fn insert_named(
    db: &Db,
    sql: &str,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, StorageError> {
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .bind(name)
            .bind(now)
            .fetch_one(pool)
            .await?
    }))
}

/// One page of the workspace's forms, oldest first, and how many there are.
pub async fn list_forms(
    db: &Db,
    workspace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<FormRow>, i64), StorageError> {
    Ok(page_of!(
        db,
        FormRow,
        SELECT_FORM,
        "forms",
        "f",
        workspace_id,
        limit,
        offset
    ))
}

/// A form of the workspace.
pub async fn find_form(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<Option<FormRow>, StorageError> {
    Ok(one_of!(db, FormRow, SELECT_FORM, "f", workspace_id, id))
}

/// Creates a form and returns its id.
pub async fn insert_form(
    db: &Db,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO forms (workspace_id, name, created_at, updated_at) \
               VALUES ($1, $2, $3, $3) RETURNING id";
    insert_named(db, sql, workspace_id, name, now).await
}

/// Records a submission of `form_id` (already checked to be the caller's) by `contact_id`.
pub async fn insert_submission(
    db: &Db,
    form_id: i64,
    contact_id: i64,
    fields: &str,
    now: i64,
) -> Result<SubmissionRow, StorageError> {
    let insert = "INSERT INTO form_submissions (form_id, contact_id, fields, created_at) \
                  VALUES ($1, $2, $3, $4) RETURNING id";
    let select = format!("{SELECT_SUBMISSION} WHERE s.id = $1");
    Ok(on_pool!(db, pool => {
        let id = sqlx::query_scalar::<_, i64>(insert)
            .bind(form_id)
            .bind(contact_id)
            .bind(fields)
            .bind(now)
            .fetch_one(pool.writer())
            .await?;
        sqlx::query_as::<_, SubmissionRow>(&select).bind(id).fetch_one(pool.writer()).await?
    }))
}

/// One page of a form's submissions, newest first, and how many there are.
pub async fn list_submissions(
    db: &Db,
    form_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SubmissionRow>, i64), StorageError> {
    let page =
        format!("{SELECT_SUBMISSION} WHERE s.form_id = $1 ORDER BY s.id DESC LIMIT $2 OFFSET $3");
    let count = "SELECT COUNT(*) FROM form_submissions WHERE form_id = $1";
    Ok(on_pool!(db, pool => {
        let rows = sqlx::query_as::<_, SubmissionRow>(&page)
            .bind(form_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar::<_, i64>(count).bind(form_id).fetch_one(pool).await?;
        (rows, total)
    }))
}

/// One page of the workspace's campaigns, oldest first, and how many there are.
pub async fn list_campaigns(
    db: &Db,
    workspace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CampaignRow>, i64), StorageError> {
    Ok(page_of!(
        db,
        CampaignRow,
        SELECT_CAMPAIGN,
        "campaigns",
        "m",
        workspace_id,
        limit,
        offset
    ))
}

/// A campaign of the workspace.
pub async fn find_campaign(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<Option<CampaignRow>, StorageError> {
    Ok(one_of!(
        db,
        CampaignRow,
        SELECT_CAMPAIGN,
        "m",
        workspace_id,
        id
    ))
}

/// Creates a campaign and returns its id.
pub async fn insert_campaign(
    db: &Db,
    workspace_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO campaigns (workspace_id, name, created_at, updated_at) \
               VALUES ($1, $2, $3, $3) RETURNING id";
    insert_named(db, sql, workspace_id, name, now).await
}

/// Subscribes a contact to a campaign (both already checked to be the caller's) and
/// returns where it stands. A contact already subscribed keeps its place; one that was
/// unsubscribed stays so unless `reactivate`, in which case it starts again from
/// `starting_email_index`. One statement, so concurrent calls cannot interleave.
pub async fn update_campaign_subscribed(
    db: &Db,
    campaign_id: i64,
    contact_id: i64,
    starting_email_index: i64,
    reactivate: bool,
    now: i64,
) -> Result<CampaignSubscription, StorageError> {
    let upsert = "INSERT INTO campaign_subscriptions \
                  (campaign_id, contact_id, status, starting_email_index, created_at, updated_at) \
                  VALUES ($1, $2, 'subscribed', $3, $4, $4) \
                  ON CONFLICT (campaign_id, contact_id) DO UPDATE \
                  SET status = 'subscribed', starting_email_index = $3, updated_at = $4 \
                  WHERE campaign_subscriptions.status = 'unsubscribed' AND $5";
    on_pool!(db, pool => {
        sqlx::query(upsert)
            .bind(campaign_id)
            .bind(contact_id)
            .bind(starting_email_index)
            .bind(now)
            .bind(reactivate)
            .execute(pool.writer())
            .await?;
    });
    find_campaign_subscription(db, campaign_id, contact_id).await
}

/// Unsubscribes a contact from a campaign, recording the opt-out even when it was never
/// subscribed (so a later subscribe needs `reactivate_if_removed`).
pub async fn update_campaign_unsubscribed(
    db: &Db,
    campaign_id: i64,
    contact_id: i64,
    now: i64,
) -> Result<CampaignSubscription, StorageError> {
    let upsert = "INSERT INTO campaign_subscriptions \
                  (campaign_id, contact_id, status, starting_email_index, created_at, updated_at) \
                  VALUES ($1, $2, 'unsubscribed', 0, $3, $3) \
                  ON CONFLICT (campaign_id, contact_id) DO UPDATE \
                  SET status = 'unsubscribed', updated_at = $3";
    on_pool!(db, pool => {
        sqlx::query(upsert).bind(campaign_id).bind(contact_id).bind(now).execute(pool.writer()).await?;
    });
    find_campaign_subscription(db, campaign_id, contact_id).await
}

async fn find_campaign_subscription(
    db: &Db,
    campaign_id: i64,
    contact_id: i64,
) -> Result<CampaignSubscription, StorageError> {
    let sql = "SELECT status, starting_email_index FROM campaign_subscriptions \
               WHERE campaign_id = $1 AND contact_id = $2";
    Ok(on_pool!(db, pool => {
        sqlx::query_as::<_, CampaignSubscription>(sql)
            .bind(campaign_id)
            .bind(contact_id)
            .fetch_one(pool)
            .await?
    }))
}

/// One page of the workspace's subscription types, oldest first, and how many there are.
pub async fn list_subscription_types(
    db: &Db,
    workspace_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<SubscriptionTypeRow>, i64), StorageError> {
    Ok(page_of!(
        db,
        SubscriptionTypeRow,
        SELECT_SUBSCRIPTION_TYPE,
        "subscription_types",
        "t",
        workspace_id,
        limit,
        offset
    ))
}

/// A subscription type of the workspace.
pub async fn find_subscription_type(
    db: &Db,
    workspace_id: i64,
    id: i64,
) -> Result<Option<SubscriptionTypeRow>, StorageError> {
    Ok(one_of!(
        db,
        SubscriptionTypeRow,
        SELECT_SUBSCRIPTION_TYPE,
        "t",
        workspace_id,
        id
    ))
}

/// Creates a subscription type and returns its id.
pub async fn insert_subscription_type(
    db: &Db,
    workspace_id: i64,
    name: &str,
    description: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let sql = "INSERT INTO subscription_types (workspace_id, name, description, created_at, \
               updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id";
    Ok(on_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(workspace_id)
            .bind(name)
            .bind(description)
            .bind(now)
            .fetch_one(pool.writer())
            .await?
    }))
}

/// Sets a contact's status (`subscribed` or `unsubscribed`) for a subscription type
/// (both already checked to be the caller's).
pub async fn update_subscription_type_status(
    db: &Db,
    subscription_type_id: i64,
    contact_id: i64,
    status: &str,
    now: i64,
) -> Result<(), StorageError> {
    let sql = "INSERT INTO contact_subscription_types \
               (subscription_type_id, contact_id, status, updated_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (subscription_type_id, contact_id) DO UPDATE \
               SET status = $3, updated_at = $4";
    on_pool!(db, pool => {
        sqlx::query(sql)
            .bind(subscription_type_id)
            .bind(contact_id)
            .bind(status)
            .bind(now)
            .execute(pool.writer())
            .await?;
    });
    Ok(())
}
