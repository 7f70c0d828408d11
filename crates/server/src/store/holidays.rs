//! The working-day calendar as stored (`holidays`, migration 0010): weekdays off and weekend
//! days worked, and the one-row `holiday_calendar` that orders changes against the actions
//! that count due dates on it.

use sqlx::AnyConnection;

use crate::infra::db::Backend;
use crate::infra::error::ServerResult;

/// A day of the table as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HolidayRow {
    /// `YYYY-MM-DD`, Vietnam's date.
    pub day: String,
    /// The kind's word (`day_off`, `make_up_working_day`).
    pub kind: String,
    /// Its name in Vietnamese.
    pub name_vi: String,
    /// Its name in English.
    pub name_en: String,
    /// `release`, `operator` or `account:<id>`.
    pub set_by: String,
    /// When, in Unix seconds.
    pub set_at: i64,
}

const COLUMNS: &str = "day, kind, name_vi, name_en, set_by, set_at";

/// Before a change: takes the calendar's row lock, held to the commit, so an action counting
/// a due date on PostgreSQL (which reads the row `FOR SHARE`, [`lock_for_reading`]) waits for
/// the change, and the change waits for such actions under way.
pub async fn lock_for_change(conn: &mut AnyConnection) -> ServerResult<()> {
    sqlx::query("UPDATE holiday_calendar SET version = version + 1 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// Before counting a due date in a write transaction. On SQLite the transaction already holds
/// the database's write lock (`BEGIN IMMEDIATE`), so no change can run beside it.
pub async fn lock_for_reading(conn: &mut AnyConnection, backend: Backend) -> ServerResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT version FROM holiday_calendar WHERE id = 1 FOR SHARE")
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// Every day from `from` (`YYYY-MM-DD`) on: what a due date counted from `from` can meet.
pub async fn from_day(conn: &mut AnyConnection, from: &str) -> ServerResult<Vec<HolidayRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM holidays WHERE day >= $1 ORDER BY day"
    ))
    .bind(from)
    .fetch_all(conn)
    .await?)
}

/// The days between `first` and `last` (`YYYY-MM-DD`, both included), in order.
pub async fn between(
    conn: &mut AnyConnection,
    first: &str,
    last: &str,
) -> ServerResult<Vec<HolidayRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM holidays WHERE day >= $1 AND day <= $2 ORDER BY day"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(conn)
    .await?)
}

/// One day, if the table has it.
pub async fn find(conn: &mut AnyConnection, day: &str) -> ServerResult<Option<HolidayRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM holidays WHERE day = $1"))
            .bind(day)
            .fetch_optional(conn)
            .await?,
    )
}

/// Adds a day; `false` when the table already has that date (of either kind).
pub async fn insert(conn: &mut AnyConnection, row: &HolidayRow) -> ServerResult<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO holidays ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (day) DO NOTHING"
    ))
    .bind(&row.day)
    .bind(&row.kind)
    .bind(&row.name_vi)
    .bind(&row.name_en)
    .bind(&row.set_by)
    .bind(row.set_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a day; `false` when the table has no such date.
pub async fn delete(conn: &mut AnyConnection, day: &str) -> ServerResult<bool> {
    let done = sqlx::query("DELETE FROM holidays WHERE day = $1")
        .bind(day)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Lists the account as a keeper of the calendar (again: the grant's time moves).
pub async fn grant_keeper(conn: &mut AnyConnection, account: &str, now: i64) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO calendar_keepers (account_id, granted_at) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET granted_at = excluded.granted_at",
    )
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the account off the calendar's keepers; `false` when it was not one.
pub async fn revoke_keeper(conn: &mut AnyConnection, account: &str) -> ServerResult<bool> {
    let done = sqlx::query("DELETE FROM calendar_keepers WHERE account_id = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
