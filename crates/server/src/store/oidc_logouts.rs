//! Ending sign-ins at relying parties and the back-channel logouts that tell them
//! (`oidc_logouts`, an outbox of its own), and the session ids (`sid`) of sign-ins.
//!
//! [`end_sign_ins`] is a step of the action that ends the person's standing — a delegation
//! revoked, an organisation locked or closed, an account locked, a consent to a service
//! withdrawn — or of the sweep that notices
//! a delegation past its last day ([`end_lapsed_sign_ins`]): in the action's transaction it
//! revokes the live access tokens of every sign-in concerned and queues one logout per sign-in
//! at a client with a back-channel logout URI. The queue is woken after the commit
//! ([`TOPIC`]); delivery, signing and retries are `resources::oidc`'s, off the request path.
//! The logout token is signed at each attempt, so the table holds no token.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::store::roles::live;
use crate::store::tx::Tx;

/// The wake-up topic of the delivery queue (`infra::wakeups`).
pub const TOPIC: &str = "oidc.logouts";

/// Whose sign-ins end.
#[derive(Clone, Copy, Debug)]
pub enum Ended<'a> {
    /// Every live sign-in of the account, personal or for any organisation (it was locked).
    Account(&'a str),
    /// Every live sign-in made as the organisation (it was locked or closed).
    Organisation(&'a str),
    /// The account's sign-ins as the organisation, once it holds no live delegation there.
    Delegate {
        /// The organisation.
        eid: &'a str,
        /// The person.
        account: &'a str,
    },
    /// Every live sign-in of the account at one service, personal or for any organisation
    /// (the person withdrew their consent to it).
    Service {
        /// The person.
        account: &'a str,
        /// The relying party.
        client_id: &'a str,
    },
    /// Every live sign-in whose person may no longer act as signed in: no live delegation
    /// (one expired), the organisation not active, or the account locked (the sweep's
    /// safety net).
    Lapsed,
}

/// A live sign-in found for ending.
#[derive(sqlx::FromRow, Debug)]
struct LiveSignIn {
    sign_in_id: String,
    client_id: String,
    account_id: String,
    acting_for: Option<String>,
    backchannel_logout_uri: Option<String>,
}

/// A back-channel logout to deliver.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct LogoutRow {
    /// Its id.
    pub id: String,
    /// The relying party told.
    pub client_id: String,
    /// The sign-in that ended.
    pub sign_in_id: String,
    /// The person.
    pub account_id: String,
    /// The organisation they had signed in as.
    pub acting_for: Option<String>,
    /// Why (`delegation_revoked`, `organisation_locked`, …).
    pub reason: String,
    /// Attempts made, this one included once claimed.
    pub attempts: i64,
    /// When it is due (or, while an attempt is under way, when that attempt's lease ends).
    pub next_attempt_at: i64,
}

/// The `WHERE` condition (on `oidc_access_tokens t`) of the sign-ins `ended` names; `$1` is
/// now, `$2` and `$3` its parameters.
fn condition(ended: Ended<'_>) -> String {
    let no_live_delegation = format!(
        "NOT EXISTS (SELECT 1 FROM delegations d WHERE d.eid = t.acting_for \
         AND d.account_id = t.account_id AND {})",
        live("d.", "$1")
    );
    match ended {
        Ended::Account(_) => "t.account_id = $2".to_owned(),
        Ended::Service { .. } => "t.account_id = $2 AND t.client_id = $3".to_owned(),
        Ended::Organisation(_) => "t.acting_for = $2".to_owned(),
        Ended::Delegate { .. } => {
            format!("t.acting_for = $2 AND t.account_id = $3 AND {no_live_delegation}")
        }
        Ended::Lapsed => format!(
            "((t.acting_for IS NOT NULL AND ({no_live_delegation} OR NOT EXISTS \
             (SELECT 1 FROM organisations o WHERE o.eid = t.acting_for AND o.status = 'active'))) \
             OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = t.account_id AND a.locked <> 0))"
        ),
    }
}

/// What [`end_sign_ins`] ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndedSignIns {
    /// The sign-ins ended (ids, in the order found).
    pub sign_ins: Vec<String>,
    /// The live access tokens revoked with them.
    pub tokens_revoked: u64,
}

/// Ends the live sign-ins `ended` names as a step of `tx`: their access tokens are revoked
/// and, for each at an active client with a back-channel logout URI, a logout is queued for
/// delivery after the commit. Returns the sign-ins ended and how many live tokens that revoked.
pub async fn end_sign_ins(
    tx: &mut Tx,
    ended: Ended<'_>,
    reason: &str,
) -> ServerResult<EndedSignIns> {
    let now = tx.now();
    let sql = format!(
        "SELECT DISTINCT t.sign_in_id, t.client_id, t.account_id, t.acting_for, \
         c.backchannel_logout_uri FROM oidc_access_tokens t \
         JOIN oidc_clients c ON c.client_id = t.client_id AND c.status = 'active' \
         WHERE t.revoked_at IS NULL AND t.expires_at > $1 AND {}",
        condition(ended)
    );
    let mut query = sqlx::query_as::<_, LiveSignIn>(&sql).bind(now);
    match ended {
        Ended::Account(a) | Ended::Organisation(a) => query = query.bind(a),
        Ended::Delegate { eid, account } => query = query.bind(eid).bind(account),
        Ended::Service { account, client_id } => query = query.bind(account).bind(client_id),
        Ended::Lapsed => {}
    }
    let found = query.fetch_all(tx.conn()?).await?;
    let mut tokens_revoked = 0;
    for s in &found {
        tokens_revoked += sqlx::query(
            "UPDATE oidc_access_tokens SET revoked_at = $2 \
             WHERE sign_in_id = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(&s.sign_in_id)
        .bind(now)
        .execute(tx.conn()?)
        .await?
        .rows_affected();
        if s.backchannel_logout_uri.is_some() {
            sqlx::query(
                "INSERT INTO oidc_logouts (id, client_id, sign_in_id, account_id, acting_for, \
                 reason, created_at, attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7)",
            )
            .bind(new_id("lgo"))
            .bind(&s.client_id)
            .bind(&s.sign_in_id)
            .bind(&s.account_id)
            .bind(&s.acting_for)
            .bind(reason)
            .bind(now)
            .execute(tx.conn()?)
            .await?;
        }
    }
    if !found.is_empty() {
        tx.wake_after_commit(TOPIC);
    }
    Ok(EndedSignIns {
        sign_ins: found.into_iter().map(|s| s.sign_in_id).collect(),
        tokens_revoked,
    })
}

/// The sweep's part: ends, in a transaction of its own (`oidc.sign_ins_lapsed`), every live
/// sign-in whose person may no longer act as signed in — chiefly a delegation past its last
/// day, which no request notices. Returns how many ended.
pub async fn end_lapsed_sign_ins(state: &AppState) -> ServerResult<usize> {
    let mut tx = Tx::begin(state, "oidc.sign_ins_lapsed").await?;
    let ended = end_sign_ins(&mut tx, Ended::Lapsed, "lapsed").await?;
    tx.commit().await?;
    Ok(ended.sign_ins.len())
}

/// Up to `limit` logouts due at `now`, oldest due first.
pub async fn due(conn: &mut AnyConnection, now: i64, limit: i64) -> ServerResult<Vec<LogoutRow>> {
    Ok(sqlx::query_as(
        "SELECT id, client_id, sign_in_id, account_id, acting_for, reason, attempts, \
         next_attempt_at FROM oidc_logouts \
         WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Claims one attempt at `row` until `lease_until` (one conditional `UPDATE`, so two
/// instances never both send it); `false` when another claimed it first.
pub async fn claim(
    conn: &mut AnyConnection,
    row: &LogoutRow,
    lease_until: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE oidc_logouts SET attempts = attempts + 1, next_attempt_at = $3 \
         WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL \
         AND given_up_at IS NULL",
    )
    .bind(&row.id)
    .bind(row.next_attempt_at)
    .bind(lease_until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a logout delivered.
pub async fn delivered(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<()> {
    sqlx::query("UPDATE oidc_logouts SET delivered_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Schedules the next attempt at `at`.
pub async fn retry_at(conn: &mut AnyConnection, id: &str, at: i64) -> ServerResult<()> {
    sqlx::query("UPDATE oidc_logouts SET next_attempt_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives a logout up after its last attempt.
pub async fn give_up(conn: &mut AnyConnection, id: &str, now: i64) -> ServerResult<()> {
    sqlx::query("UPDATE oidc_logouts SET given_up_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the session id (`sid`) of a sign-in, as its code is redeemed.
pub async fn set_sid(conn: &mut AnyConnection, sign_in_id: &str, sid: &str) -> ServerResult<()> {
    sqlx::query("UPDATE oidc_sign_ins SET sid = $2 WHERE sign_in_id = $1")
        .bind(sign_in_id)
        .bind(sid)
        .execute(conn)
        .await?;
    Ok(())
}

/// The sign-in id and client of the session `sid`, if the sign-in is still kept.
pub async fn sign_in_of_sid(
    conn: &mut AnyConnection,
    sid: &str,
) -> ServerResult<Option<(String, String, Option<String>, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT sign_in_id, client_id, account_id, acting_for FROM oidc_sign_ins WHERE sid = $1",
    )
    .bind(sid)
    .fetch_optional(conn)
    .await?)
}
