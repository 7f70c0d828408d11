//! The in-app inbox (`notifications`), as its owner reads it. Written by
//! [`crate::infra::outbox`].

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// A notification as stored.
#[derive(sqlx::FromRow)]
pub struct NotificationRow {
    /// Its id.
    pub id: String,
    /// The kind's word.
    pub kind: String,
    /// Title, Vietnamese.
    pub title_vi: String,
    /// Title, English.
    pub title_en: String,
    /// Body, Vietnamese.
    pub body_vi: String,
    /// Body, English.
    pub body_en: String,
    /// What it is about.
    pub link: Option<String>,
    /// When it arrived.
    pub created_at: i64,
    /// When it was read.
    pub read_at: Option<i64>,
}

/// The account's newest `limit` notifications, newest first.
pub async fn newest(
    conn: &mut AnyConnection,
    account: &str,
    limit: i64,
) -> ServerResult<Vec<NotificationRow>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, title_vi, title_en, body_vi, body_en, link, created_at, read_at \
         FROM notifications WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(account)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
