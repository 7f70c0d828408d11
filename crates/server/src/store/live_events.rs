//! The live events (`live_events`, migration 0019): what changed for whom, written in the
//! transaction of the change ([`crate::store::tx::Tx::publish`]) and read by the sessions'
//! streams ([`crate::resources::live`]) after the last one each has sent.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// Whom an event is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// A person (every session of theirs).
    Account(String),
    /// The people who see all of an organisation's delegations
    /// ([`crate::authz::hears_organisation_events`]).
    Organisation(String),
}

impl Audience {
    /// The wake-up topic ([`crate::infra::wakeups`]) of the streams listening for it.
    pub fn topic(&self) -> String {
        match self {
            Audience::Account(id) => account_topic(id),
            Audience::Organisation(eid) => organisation_topic(eid),
        }
    }
}

/// The wake-up topic of a person's streams.
pub fn account_topic(account: &str) -> String {
    format!("live:acc:{account}")
}

/// The wake-up topic of the streams hearing an organisation.
pub fn organisation_topic(eid: &str) -> String {
    format!("live:org:{eid}")
}

/// The wake-up topic of a session's stream: woken when the session ends, so the stream
/// re-checks it at once.
pub fn session_topic(session: &str) -> String {
    format!("live:ses:{session}")
}

/// Writes an event (its JSON) for `audience` inside the caller's transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    audience: &Audience,
    event: &str,
    now: i64,
) -> ServerResult<()> {
    let (account, org) = match audience {
        Audience::Account(a) => (Some(a.as_str()), None),
        Audience::Organisation(o) => (None, Some(o.as_str())),
    };
    sqlx::query(
        "INSERT INTO live_events (account_id, org_eid, event, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account)
    .bind(org)
    .bind(event)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An event as a stream reads it.
#[derive(sqlx::FromRow)]
pub struct LiveEventRow {
    /// Its place in the order of writing.
    pub seq: i64,
    /// The JSON of the [`dinhdanh_core::api::LiveEvent`].
    pub event: String,
}

/// `account_id = $1`, or also `org_eid IN ($first, ...)` for `orgs`.
fn audience_clause(orgs: &[String], first: usize) -> String {
    if orgs.is_empty() {
        return "account_id = $1".to_owned();
    }
    let list: Vec<String> = (0..orgs.len()).map(|i| format!("${}", i + first)).collect();
    format!("(account_id = $1 OR org_eid IN ({}))", list.join(", "))
}

/// The events of `account` and of `orgs` after `after`, oldest first, at most `limit`.
pub async fn after(
    conn: &mut AnyConnection,
    account: &str,
    orgs: &[String],
    after: i64,
    limit: i64,
) -> ServerResult<Vec<LiveEventRow>> {
    let sql = format!(
        "SELECT seq, event FROM live_events WHERE {} AND seq > $2 ORDER BY seq LIMIT $3",
        audience_clause(orgs, 4)
    );
    let mut q = sqlx::query_as(&sql).bind(account).bind(after).bind(limit);
    for o in orgs {
        q = q.bind(o.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

/// The newest event of `account` or `orgs` written before `before` (Unix seconds), or 0:
/// where a new stream starts reading (what is older was not told to it; the app reads its
/// screens when the stream opens).
pub async fn last_before(
    conn: &mut AnyConnection,
    account: &str,
    orgs: &[String],
    before: i64,
) -> ServerResult<i64> {
    let sql = format!(
        "SELECT MAX(seq) FROM live_events WHERE {} AND created_at < $2",
        audience_clause(orgs, 3)
    );
    let mut q = sqlx::query_scalar(&sql).bind(account).bind(before);
    for o in orgs {
        q = q.bind(o.as_str());
    }
    let seq: Option<i64> = q.fetch_one(conn).await?;
    Ok(seq.unwrap_or(0))
}

/// Forgets the events written before `before`; returns how many.
pub async fn sweep_before(conn: &mut AnyConnection, before: i64) -> ServerResult<u64> {
    Ok(sqlx::query("DELETE FROM live_events WHERE created_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}
