//! Registration requests as stored: the request row, its co-representatives' consents, its
//! history, and the attachments linked to it. Typed rows; stored enums are their serde words
//! ([`crate::store::values::word`]). A status is written only where the request still has the
//! status it was read with, so that of two concurrent changes the second finds nothing.

use dinhdanh_core::api::RegistrationStatus;
use dinhdanh_core::ids::{AccountId, AttachmentId, RegistrationId};
use sqlx::AnyConnection;

use crate::infra::db::Backend;
use crate::infra::error::ServerResult;
use crate::store::values::word;

/// A request as stored (details still encrypted).
#[derive(sqlx::FromRow)]
pub struct RegistrationRow {
    /// The request's id.
    pub id: String,
    /// The requester's account; `None` while the requester, taken at the counter, has none.
    pub requester: Option<String>,
    /// The keyed hash of the requester's identification number.
    pub requester_key: Vec<u8>,
    /// The organisation type's word.
    pub org_type: String,
    /// What identifies the organisation for duplicate checks.
    pub org_key: String,
    /// Head-office province key.
    pub province: String,
    /// The requester's capacity's word.
    pub capacity: String,
    /// The details, encrypted.
    pub details_enc: Vec<u8>,
    /// The status's word.
    pub status: String,
    /// Why an officer looks at it (word).
    pub reason: Option<String>,
    /// The registry check as JSON.
    pub registry_check: Option<String>,
    /// Unix seconds.
    pub submitted_at: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// Unix seconds.
    pub decided_at: Option<i64>,
    /// The organisation's e-ID once approved.
    pub org_eid: Option<String>,
}

/// A request to insert.
pub struct NewRegistration<'a> {
    /// The request's id.
    pub id: &'a RegistrationId,
    /// The requester's account, if they have one.
    pub requester: Option<&'a AccountId>,
    /// The keyed hash of the requester's identification number.
    pub requester_key: &'a [u8],
    /// The organisation type's word.
    pub org_type: String,
    /// What identifies the organisation.
    pub org_key: &'a str,
    /// The organisation's name.
    pub name_vi: &'a str,
    /// Head-office province key.
    pub province: &'a str,
    /// The capacity's word.
    pub capacity: String,
    /// The details, encrypted.
    pub details_enc: Vec<u8>,
    /// The status it starts with.
    pub status: RegistrationStatus,
    /// Unix seconds.
    pub submitted_at: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// The officer who filed it at the desk, if so.
    pub in_person_officer: Option<&'a AccountId>,
}

/// Loads a request.
pub async fn find(
    conn: &mut AnyConnection,
    id: &RegistrationId,
) -> ServerResult<Option<RegistrationRow>> {
    Ok(sqlx::query_as(
        "SELECT id, requester, requester_key, org_type, org_key, province, capacity, details_enc, status, reason, \
         registry_check, submitted_at, due_on, decided_at, org_eid FROM registrations WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?)
}

/// How many open requests there are for the organisation with `org_key`.
pub async fn open_for(conn: &mut AnyConnection, org_key: &str) -> ServerResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE org_key = $1 AND is_open = 1")
            .bind(org_key)
            .fetch_one(conn)
            .await?,
    )
}

/// Inserts a new, open request; `false` when another open request for the organisation got
/// there first (the one-open-request index).
pub async fn insert(conn: &mut AnyConnection, new: &NewRegistration<'_>) -> ServerResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO registrations (id, requester, requester_key, org_type, org_key, name_vi, \
         province, capacity, details_enc, status, is_open, submitted_at, due_on, \
         in_person_officer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13)",
    )
    .bind(new.id.as_str())
    .bind(new.requester.map(|a| a.as_str().to_owned()))
    .bind(new.requester_key.to_vec())
    .bind(&new.org_type)
    .bind(new.org_key)
    .bind(new.name_vi)
    .bind(new.province)
    .bind(&new.capacity)
    .bind(new.details_enc.clone())
    .bind(word(&new.status)?)
    .bind(new.submitted_at)
    .bind(&new.due_on)
    .bind(new.in_person_officer.map(|a| a.as_str().to_owned()))
    .execute(conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes `to` where the request still has `from` (open while `to` is not final, decided at
/// `now` when it is); `false` when another change got there first.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    from: RegistrationStatus,
    to: RegistrationStatus,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE registrations SET status = $1, is_open = $2, decided_at = $3 \
         WHERE id = $4 AND status = $5",
    )
    .bind(word(&to)?)
    .bind(i64::from(!to.is_final()))
    .bind(to.is_final().then_some(now))
    .bind(id.as_str())
    .bind(word(&from)?)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps what the registry said (JSON), why an officer looks at the request (word) and its
/// due date (`YYYY-MM-DD`).
pub async fn set_check(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    registry_check: Option<String>,
    reason: Option<String>,
    due_on: String,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE registrations SET registry_check = $1, reason = $2, due_on = $3 WHERE id = $4",
    )
    .bind(registry_check)
    .bind(reason)
    .bind(due_on)
    .bind(id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps the organisation's e-ID on an approved request.
pub async fn set_org_eid(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    org_eid: &str,
) -> ServerResult<()> {
    sqlx::query("UPDATE registrations SET org_eid = $1 WHERE id = $2")
        .bind(org_eid)
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the details with the requester's corrections, and the registry check when the
/// registry was asked again.
pub async fn set_details(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    details_enc: Vec<u8>,
    capacity: String,
    name_vi: &str,
    registry_check: Option<String>,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE registrations SET details_enc = $1, capacity = $2, name_vi = $3, \
         registry_check = COALESCE($4, registry_check) WHERE id = $5",
    )
    .bind(details_enc)
    .bind(capacity)
    .bind(name_vi)
    .bind(registry_check)
    .bind(id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `account` the requester of the requests recorded for its person's citizen key
/// `citizen_key` while they had no account (taken at the counter); answers their ids.
pub async fn link_requester(
    conn: &mut AnyConnection,
    account: &AccountId,
    citizen_key: &[u8],
) -> ServerResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE registrations SET requester = $1 \
         WHERE requester IS NULL AND requester_key = $2 RETURNING id",
    )
    .bind(account.as_str())
    .bind(citizen_key.to_vec())
    .fetch_all(conn)
    .await?)
}

/// The requests a person made or is asked to consent to, newest first, at most 200.
pub async fn ids_of_person(
    conn: &mut AnyConnection,
    account: &AccountId,
    citizen_key: &[u8],
) -> ServerResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM registrations WHERE requester = $1 OR id IN \
         (SELECT registration_id FROM registration_consents WHERE citizen_key = $2) \
         ORDER BY submitted_at DESC, id LIMIT 200",
    )
    .bind(account.as_str())
    .bind(citizen_key.to_vec())
    .fetch_all(conn)
    .await?)
}

// ---- Consents ------------------------------------------------------------------------------

/// A co-representative's consent as stored.
#[derive(sqlx::FromRow)]
pub struct ConsentRow {
    /// Their account, if they have one.
    pub account_id: Option<String>,
    /// Their name as entered.
    pub full_name: String,
    /// Their masked identification number.
    pub citizen_masked: String,
    /// 1 consented, 0 refused, none yet.
    pub consented: Option<i64>,
    /// Unix seconds.
    pub answered_at: Option<i64>,
}

/// Records a co-representative whose consent is needed.
pub async fn insert_consent(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    citizen_key: Vec<u8>,
    account: Option<&AccountId>,
    full_name: &str,
    citizen_masked: &str,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO registration_consents \
         (registration_id, citizen_key, account_id, full_name, citizen_masked) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.as_str())
    .bind(citizen_key)
    .bind(account.map(|a| a.as_str().to_owned()))
    .bind(full_name)
    .bind(citizen_masked)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a co-representative without an account who consented at the counter on the
/// signed paper `paper` (scanned), answered `now`.
pub async fn insert_paper_consent(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    citizen_key: Vec<u8>,
    full_name: &str,
    citizen_masked: &str,
    paper: &AttachmentId,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO registration_consents \
         (registration_id, citizen_key, full_name, citizen_masked, consented, answered_at, \
         consent_paper) VALUES ($1, $2, $3, $4, 1, $5, $6)",
    )
    .bind(id.as_str())
    .bind(citizen_key)
    .bind(full_name)
    .bind(citizen_masked)
    .bind(now)
    .bind(paper.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a co-representative's answer; `false` when they had answered already or are not
/// one.
pub async fn answer_consent(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    citizen_key: &[u8],
    account: &AccountId,
    consented: bool,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE registration_consents SET consented = $1, answered_at = $2, account_id = $3 \
         WHERE registration_id = $4 AND citizen_key = $5 AND consented IS NULL",
    )
    .bind(i64::from(consented))
    .bind(now)
    .bind(account.as_str())
    .bind(id.as_str())
    .bind(citizen_key.to_vec())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many co-representatives with an account have not answered yet.
pub async fn consents_awaited(conn: &mut AnyConnection, id: &RegistrationId) -> ServerResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_consents WHERE registration_id = $1 \
         AND account_id IS NOT NULL AND consented IS NULL",
    )
    .bind(id.as_str())
    .fetch_one(conn)
    .await?)
}

/// How many co-representatives have no account (and so cannot answer in the app) and gave no
/// consent on paper at the counter.
pub async fn consents_without_account(
    conn: &mut AnyConnection,
    id: &RegistrationId,
) -> ServerResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_consents WHERE registration_id = $1 \
         AND account_id IS NULL AND consent_paper IS NULL",
    )
    .bind(id.as_str())
    .fetch_one(conn)
    .await?)
}

/// The consents of every co-representative (with an account or not), by name.
pub async fn consents(
    conn: &mut AnyConnection,
    id: &RegistrationId,
) -> ServerResult<Vec<ConsentRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, full_name, citizen_masked, consented, answered_at \
         FROM registration_consents WHERE registration_id = $1 ORDER BY full_name",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?)
}

// ---- History -------------------------------------------------------------------------------

/// One entry of a request's history.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    /// Unix seconds.
    pub at: i64,
    /// Who did it, if a person.
    pub actor: Option<String>,
    /// What happened, as JSON.
    pub event: String,
}

/// Appends to a request's history.
pub async fn add_event(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    at: i64,
    actor: Option<&AccountId>,
    event_json: String,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO registration_events (registration_id, seq, at, actor, event) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM registration_events \
         WHERE registration_id = $1",
    )
    .bind(id.as_str())
    .bind(at)
    .bind(actor.map(|a| a.as_str().to_owned()))
    .bind(event_json)
    .execute(conn)
    .await?;
    Ok(())
}

/// A request's history, oldest first.
pub async fn events(conn: &mut AnyConnection, id: &RegistrationId) -> ServerResult<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT at, actor, event FROM registration_events WHERE registration_id = $1 ORDER BY seq",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?)
}

// ---- Attachments of a request --------------------------------------------------------------

/// Links an attachment to a request (once).
pub async fn link_attachment(
    conn: &mut AnyConnection,
    id: &RegistrationId,
    attachment: &AttachmentId,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO registration_attachments (registration_id, attachment_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id.as_str())
    .bind(attachment.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

// ---- Officers' lists -----------------------------------------------------------------------

/// A request as a list shows it.
#[derive(sqlx::FromRow)]
pub struct ListedRow {
    /// The request's id.
    pub id: String,
    /// The organisation type's word.
    pub org_type: String,
    /// The organisation's name.
    pub name_vi: String,
    /// Head-office province key.
    pub province: String,
    /// The status's word.
    pub status: String,
    /// Why an officer looks at it (word).
    pub reason: Option<String>,
    /// Unix seconds.
    pub submitted_at: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

const LISTED: &str = "SELECT id, org_type, name_vi, province, status, reason, submitted_at, due_on FROM registrations";

/// Which of a province's waiting requests a queue lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only requests in this status (one of the waiting ones); `None`: both.
    pub status: Option<RegistrationStatus>,
    /// Only organisations of this type.
    pub org_type: Option<dinhdanh_core::org_type::OrgType>,
}

/// The condition of a province's queue: the head office in `$1`, waiting for an officer
/// (`$2`, `$3`), of the type `$4` unless it is empty. The one rule of which requests an
/// officer's queue holds, for the API's queue and the console's.
const WAITING_IN: &str = "province = $1 AND status IN ($2, $3) AND ($4 = '' OR org_type = $4)";

/// The words bound to `$2`, `$3` and `$4` of [`WAITING_IN`].
fn queue_words(filter: &QueueFilter) -> ServerResult<(String, String, String)> {
    let (a, b) = match filter.status {
        Some(s) => (word(&s)?, word(&s)?),
        None => (
            word(&RegistrationStatus::AwaitingOfficer)?,
            word(&RegistrationStatus::InformationRequested)?,
        ),
    };
    let org_type = filter.org_type.as_ref().map(word).transpose()?;
    Ok((a, b, org_type.unwrap_or_default()))
}

/// A request's place in the queue's order: due date, then submission, then id (unique), so
/// that a page can start right after (or end right before) a row, whatever was decided or
/// filed since the page before was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueKey {
    /// `YYYY-MM-DD`.
    pub due_on: String,
    /// Unix seconds.
    pub submitted_at: i64,
    /// The request's id.
    pub id: String,
}

impl ListedRow {
    /// This row's place in the queue's order.
    pub fn queue_key(&self) -> QueueKey {
        QueueKey {
            due_on: self.due_on.clone(),
            submitted_at: self.submitted_at,
            id: self.id.clone(),
        }
    }
}

/// Where a page of the queue starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueFrom {
    /// The first rows.
    Start,
    /// The rows after this one.
    After(QueueKey),
    /// The rows before this one (the page before a page), read backwards.
    Before(QueueKey),
}

/// The requests waiting for an officer in `province` that `filter` lets through, overdue first,
/// then by due date, at most `limit` from `from` (keyset paging, so page 2,000 costs what page
/// 1 does). Rows read backwards ([`QueueFrom::Before`]) come nearest first.
///
/// Overdue means due before today, so ordering by due date alone puts the overdue first. Each
/// waiting status is read as its own range of the index on `(province, status, due_on,
/// submitted_at, id)` — or `(province, status, org_type, …)` with a type's filter — and the
/// two ranges merged: with `status IN (…)` neither backend can walk one index in this order.
pub async fn waiting_in(
    conn: &mut AnyConnection,
    province: &str,
    filter: &QueueFilter,
    from: &QueueFrom,
    limit: i64,
) -> ServerResult<Vec<ListedRow>> {
    let (a, b, org_type) = queue_words(filter)?;
    let statuses = if a == b { vec![a] } else { vec![a, b] };
    // Parameters: $1 province, $2 type (when filtered), then the key, then the limit.
    let mut n: usize = 1;
    let mut next = || {
        n += 1;
        n
    };
    let type_cond = if org_type.is_empty() {
        String::new()
    } else {
        format!(" AND org_type = ${}", next())
    };
    let (key_cond, order) = match from {
        QueueFrom::Start => (String::new(), "due_on, submitted_at, id"),
        QueueFrom::After(_) => {
            let (d, s, i) = (next(), next(), next());
            (
                format!(" AND (due_on, submitted_at, id) > (${d}, ${s}, ${i})"),
                "due_on, submitted_at, id",
            )
        }
        QueueFrom::Before(_) => {
            let (d, s, i) = (next(), next(), next());
            (
                format!(" AND (due_on, submitted_at, id) < (${d}, ${s}, ${i})"),
                "due_on DESC, submitted_at DESC, id DESC",
            )
        }
    };
    let lim = next();
    let first_status = next();
    let branches: Vec<String> = (0..statuses.len())
        .map(|k| {
            format!(
                "SELECT * FROM ({LISTED} WHERE province = $1 AND status = ${}{type_cond}{key_cond} \
                 ORDER BY {order} LIMIT ${lim}) AS s{k}",
                first_status + k
            )
        })
        .collect();
    let sql = format!(
        "SELECT * FROM ({}) AS waiting ORDER BY {order} LIMIT ${lim}",
        branches.join(" UNION ALL ")
    );
    let mut query = sqlx::query_as(&sql).bind(province);
    if !org_type.is_empty() {
        query = query.bind(org_type);
    }
    if let QueueFrom::After(k) | QueueFrom::Before(k) = from {
        query = query
            .bind(k.due_on.clone())
            .bind(k.submitted_at)
            .bind(k.id.clone());
    }
    query = query.bind(limit);
    for s in statuses {
        query = query.bind(s);
    }
    Ok(query.fetch_all(conn).await?)
}

/// How many requests [`waiting_in`] lists in all, and how many of them are due before
/// `today`.
pub async fn count_waiting_in(
    conn: &mut AnyConnection,
    province: &str,
    filter: &QueueFilter,
    today: &str,
) -> ServerResult<(i64, i64)> {
    let (a, b, org_type) = queue_words(filter)?;
    let (all, overdue): (i64, Option<i64>) = sqlx::query_as(&format!(
        "SELECT COUNT(*), SUM(CASE WHEN due_on < $5 THEN 1 ELSE 0 END) FROM registrations \
         WHERE {WAITING_IN}"
    ))
    .bind(province)
    .bind(a)
    .bind(b)
    .bind(org_type)
    .bind(today)
    .fetch_one(conn)
    .await?;
    Ok((all, overdue.unwrap_or(0)))
}

/// One request as a list shows it.
pub async fn listed(
    conn: &mut AnyConnection,
    id: &RegistrationId,
) -> ServerResult<Option<ListedRow>> {
    Ok(sqlx::query_as(&format!("{LISTED} WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?)
}

/// Every request, newest first, optionally only those with `status`, at most `limit`.
pub async fn newest(
    conn: &mut AnyConnection,
    status: Option<RegistrationStatus>,
    limit: i64,
) -> ServerResult<Vec<ListedRow>> {
    Ok(match status {
        Some(status) => {
            sqlx::query_as(&format!(
                "{LISTED} WHERE status = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2"
            ))
            .bind(word(&status)?)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "{LISTED} ORDER BY submitted_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    })
}

/// The statistics of a province's requests of one type and status.
#[derive(sqlx::FromRow)]
pub struct CountedGroup {
    /// The head office's province key.
    pub province: String,
    /// The organisation type's word.
    pub org_type: String,
    /// The status's word.
    pub status: String,
    /// How many.
    pub n: i64,
    /// Of them, open and past their due date.
    pub overdue: i64,
    /// Of them, decided after their due date (Vietnam's calendar).
    pub late: i64,
}

/// The requests of `province` (of every province for `None`) counted by province, type and
/// status, with how many are overdue on `today` (`YYYY-MM-DD`) and how many were decided late:
/// aggregates, so a hundred thousand requests are counted without being listed, and the
/// national scope's in one pass rather than one per province (each of those visited most of
/// the table's pages, a province's rows being spread over all of them).
pub async fn statistics_by_province(
    conn: &mut AnyConnection,
    backend: Backend,
    province: Option<&str>,
    today: &str,
) -> ServerResult<Vec<CountedGroup>> {
    // Decided late: on a Vietnam day after the due date, that is from the due date's next
    // midnight in Vietnam (UTC+7) on, in Unix seconds.
    let due_day_ends = match backend {
        Backend::Sqlite => "CAST(strftime('%s', due_on) AS BIGINT) + 61200",
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM CAST(due_on AS DATE)) AS BIGINT) + 61200",
    };
    let select = format!(
        "SELECT province, org_type, status, COUNT(*) AS n, \
         SUM(CASE WHEN is_open = 1 AND due_on < $1 THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN decided_at IS NOT NULL AND decided_at >= {due_day_ends} \
             THEN 1 ELSE 0 END) AS late \
         FROM registrations"
    );
    let group = "GROUP BY province, org_type, status";
    Ok(match province {
        Some(p) => {
            sqlx::query_as(&format!("{select} WHERE province = $2 {group}"))
                .bind(today)
                .bind(p)
                .fetch_all(conn)
                .await?
        }
        None => {
            sqlx::query_as(&format!("{select} {group}"))
                .bind(today)
                .fetch_all(conn)
                .await?
        }
    })
}

/// Requests counted per week.
#[derive(sqlx::FromRow)]
pub struct WeekRow {
    /// Weeks since the first one counted (0 for the first).
    pub week: i64,
    /// How many.
    pub n: i64,
}

/// The requests of `province` (every province for `None`) submitted (`approved` false) or
/// approved (`approved` true) since `since` (Unix seconds), counted per seven days from
/// `since`: one aggregate, whichever the backend (integer division), for the dashboard's
/// weekly trend.
pub async fn weekly_counts(
    conn: &mut AnyConnection,
    province: Option<&str>,
    since: i64,
    approved: bool,
) -> ServerResult<Vec<WeekRow>> {
    let (at, only) = if approved {
        ("decided_at", "status = 'approved' AND ")
    } else {
        ("submitted_at", "")
    };
    let mut sql = format!(
        "SELECT ({at} - $1) / 604800 AS week, COUNT(*) AS n FROM registrations \
         WHERE {only}{at} >= $1"
    );
    if province.is_some() {
        sql.push_str(" AND province = $2");
    }
    sql.push_str(" GROUP BY week");
    let mut query = sqlx::query_as(&sql).bind(since);
    if let Some(p) = province {
        query = query.bind(p);
    }
    Ok(query.fetch_all(conn).await?)
}

/// What counting an open request's due date again needs.
#[derive(sqlx::FromRow)]
pub struct OpenDueRow {
    /// The request's id.
    pub id: String,
    /// The organisation type's word.
    pub org_type: String,
    /// The status's word.
    pub status: String,
    /// Unix seconds.
    pub submitted_at: i64,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// Every request not decided yet (`is_open`), oldest first.
pub async fn open_due_dates(conn: &mut AnyConnection) -> ServerResult<Vec<OpenDueRow>> {
    Ok(sqlx::query_as(
        "SELECT id, org_type, status, submitted_at, due_on FROM registrations \
         WHERE is_open = 1 ORDER BY submitted_at, id",
    )
    .fetch_all(conn)
    .await?)
}

/// Moves an open request's due date (`YYYY-MM-DD`); `false` when it was decided meanwhile.
pub async fn set_open_due_on(
    conn: &mut AnyConnection,
    id: &str,
    due_on: &str,
) -> ServerResult<bool> {
    let done = sqlx::query("UPDATE registrations SET due_on = $1 WHERE id = $2 AND is_open = 1")
        .bind(due_on)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The accounts that see a request as theirs: its requester and the legal representatives
/// named in it who have an account (`authz::may_read_registration`, officers aside).
pub async fn people(conn: &mut AnyConnection, id: &RegistrationId) -> ServerResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT requester FROM registrations WHERE id = $1 AND requester IS NOT NULL \
         UNION \
         SELECT a.id FROM registration_consents c JOIN accounts a ON a.citizen_key = c.citizen_key \
         WHERE c.registration_id = $1",
    )
    .bind(id.as_str())
    .fetch_all(conn)
    .await?)
}
