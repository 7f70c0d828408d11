//! Which organisation a session acts for (`sessions.acting_for`): switching, and ending the
//! sessions acting for an organisation that closes.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Switches the person's live session to act for `to` (None: the personal account); `false`
/// when the session is not theirs or has ended.
pub async fn switch(
    conn: &mut AnyConnection,
    session: &str,
    account: &str,
    to: Option<&str>,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET acting_for = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(to.map(str::to_owned))
    .bind(session)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session acting for the organisation.
pub async fn end_sessions(conn: &mut AnyConnection, eid: &str, now: i64) -> ServerResult<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE acting_for = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(eid)
        .execute(conn)
        .await?;
    Ok(())
}
