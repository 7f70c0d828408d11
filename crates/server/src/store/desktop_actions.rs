//! Actions waiting for a phone as stored (`desktop_actions`): what a desktop session or a
//! console session asked for, the body the phone must confirm, and the outcome the asker is
//! told. `state` goes
//! pending -> confirming -> done | refused, or pending -> declined | cancelled; the move out of
//! `pending` is one conditional `UPDATE`, so an action is answered once.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;
use crate::store::console_sessions::IDLE_SECS;

/// An action as the phone and the desktop see it. (The row's `target`, the direct route's, is
/// written for whoever reads the table; the phone's confirmation names the action itself.)
#[derive(sqlx::FromRow)]
pub struct DesktopActionRow {
    /// `dact_…`.
    pub id: String,
    /// The desktop session that asked (`None` when a console session did).
    pub desktop_session: Option<String>,
    /// The keyed hash of the console session's token that asked (`None` for a desktop).
    pub console_session: Option<Vec<u8>>,
    /// The action kind's word.
    pub kind: String,
    /// The canonical JSON the phone confirms.
    pub body: String,
    /// The one-line summary, in Vietnamese.
    pub summary_vi: String,
    /// The one-line summary, in English.
    pub summary_en: String,
    /// When it was asked for.
    pub created_at: i64,
    /// When it stops waiting.
    pub expires_at: i64,
    /// `pending`, `confirming`, `done`, `refused`, `declined` or `cancelled`.
    pub state: String,
}

/// The session that asked for an action: neither holds a confirmation key.
#[derive(Clone, Copy, Debug)]
pub enum AskedBy<'a> {
    /// A desktop signed in by QR code: its `sessions` id.
    Desktop(&'a str),
    /// The officer console: the keyed hash of its session's token.
    Console(&'a [u8]),
}

/// A new action, waiting for the phone.
pub struct NewDesktopAction<'a> {
    /// `dact_…`.
    pub id: &'a str,
    /// The person.
    pub account: &'a str,
    /// The session that asks.
    pub asked_by: AskedBy<'a>,
    /// The action kind's word.
    pub kind: &'a str,
    /// The canonical JSON the phone confirms.
    pub body: &'a str,
    /// The direct route's target.
    pub target: &'a str,
    /// The summary, in Vietnamese.
    pub summary_vi: &'a str,
    /// The summary, in English.
    pub summary_en: &'a str,
    /// Now.
    pub created_at: i64,
    /// When it stops waiting.
    pub expires_at: i64,
}

const COLUMNS: &str = "id, desktop_session, console_session, kind, body, summary_vi, \
                       summary_en, created_at, expires_at, state";

/// SQL condition: the session that asked is still live at `$2` (now) — a desktop's not ended
/// nor past its absolute expiry; a console's neither idle for [`IDLE_SECS`] nor past its end.
/// An action of a signed-out desktop or console is never listed nor confirmed.
fn asker_live() -> String {
    format!(
        "(desktop_session IN (SELECT id FROM sessions \
          WHERE revoked_at IS NULL AND absolute_expires_at > $2) \
         OR console_session IN (SELECT token_hash FROM console_sessions \
          WHERE absolute_expires_at > $2 AND last_seen_at > $2 - {IDLE_SECS}))"
    )
}

/// The action `id` of `account`, if it is theirs.
pub async fn find_for_account(
    conn: &mut AnyConnection,
    id: &str,
    account: &str,
) -> ServerResult<Option<DesktopActionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desktop_actions WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account)
    .fetch_optional(conn)
    .await?)
}

/// What waits for `account`'s phone at `now`, oldest first: pending, unexpired, its desktop
/// still signed in.
pub async fn waiting_for(
    conn: &mut AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<Vec<DesktopActionRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM desktop_actions \
         WHERE account_id = $1 AND state = 'pending' AND expires_at > $2 AND {} \
         ORDER BY created_at, id",
        asker_live()
    ))
    .bind(account)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Whether the session that asked for action `id` is still live at `now`.
pub async fn asker_live_for(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<bool> {
    let live: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM desktop_actions WHERE id = $1 AND {}",
        asker_live()
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(live.is_some())
}

/// How many actions the session `asked_by` has waiting at `now`.
pub async fn count_waiting(
    conn: &mut AnyConnection,
    asked_by: AskedBy<'_>,
    now: i64,
) -> ServerResult<i64> {
    let query = match asked_by {
        AskedBy::Desktop(id) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM desktop_actions \
             WHERE desktop_session = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(id),
        AskedBy::Console(hash) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM desktop_actions \
             WHERE console_session = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(hash),
    };
    Ok(query.bind(now).fetch_one(conn).await?)
}

/// Forgets the actions that expired before `before`.
pub async fn sweep_expired(conn: &mut AnyConnection, before: i64) -> ServerResult<()> {
    sqlx::query("DELETE FROM desktop_actions WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new, pending action.
pub async fn insert(conn: &mut AnyConnection, new: &NewDesktopAction<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO desktop_actions (id, account_id, desktop_session, console_session, kind, \
         body, target, summary_vi, summary_en, created_at, expires_at, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')",
    )
    .bind(new.id)
    .bind(new.account)
    .bind(match new.asked_by {
        AskedBy::Desktop(id) => Some(id),
        AskedBy::Console(_) => None,
    })
    .bind(match new.asked_by {
        AskedBy::Desktop(_) => None,
        AskedBy::Console(hash) => Some(hash),
    })
    .bind(new.kind)
    .bind(new.body)
    .bind(new.target)
    .bind(new.summary_vi)
    .bind(new.summary_en)
    .bind(new.created_at)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a pending, unexpired action to `new_state` (`confirming`, `declined`, `cancelled`);
/// false when it was not pending or has expired (whoever answers first wins).
pub async fn answer(
    conn: &mut AnyConnection,
    id: &str,
    new_state: &str,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE desktop_actions SET state = $3, answered_at = $2 \
         WHERE id = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .bind(new_state)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the outcome of a confirmed action (`done` or `refused`) and the event the desktop
/// is told.
pub async fn store_outcome(
    conn: &mut AnyConnection,
    id: &str,
    new_state: &str,
    event: &str,
) -> ServerResult<()> {
    sqlx::query("UPDATE desktop_actions SET state = $2, event = $3 WHERE id = $1")
        .bind(id)
        .bind(new_state)
        .bind(event)
        .execute(conn)
        .await?;
    Ok(())
}

/// The state and stored event of action `id`, for its waiting desktop.
#[derive(sqlx::FromRow)]
pub struct OutcomeRow {
    /// The state word.
    pub state: String,
    /// The event, once there is one.
    pub event: Option<String>,
}

/// The state and event of action `id`, if it still exists.
pub async fn outcome(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<OutcomeRow>> {
    Ok(
        sqlx::query_as("SELECT state, event FROM desktop_actions WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}
