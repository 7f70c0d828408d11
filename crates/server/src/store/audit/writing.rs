//! Writing: the record of an action, the entry hash that chains it, and the append.

use std::sync::LazyLock;

use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid};
use sha2::{Digest, Sha256};

use super::checkpoints::after_append;
use crate::infra::db::Backend;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// Domain tag of entry hashes.
const ENTRY_DOMAIN: &[u8] = b"dinhdanh/audit-entry/v1";

/// What to record.
#[derive(Clone, Debug, Default)]
pub struct AuditRecord<'a> {
    /// Who acted (an account id), `None` for the system.
    pub actor: Option<&'a str>,
    /// For which organisation.
    pub acting_for: Option<&'a str>,
    /// From which device.
    pub device: Option<&'a str>,
    /// What, as a stable code (`session.created`).
    pub action: &'a str,
    /// On what (`session:ses_…`).
    pub object: Option<&'a str>,
    /// Keyed hash of the person the entry is about.
    pub subject_key: Option<&'a [u8]>,
    /// Denied rather than done.
    pub denied: bool,
}

/// Who acts, for the audit trail: a person, for an organisation, from a device — every entry
/// reads "person X for organisation Y". The server's one `Actor`; `None` where one is expected
/// means the system itself (the operator's CLI, a registry feed).
#[derive(Clone, Debug)]
pub struct Actor {
    /// The person's account.
    pub account: AccountId,
    /// The organisation they act for, if any.
    pub acting_for: Option<OrgEid>,
    /// The device.
    pub device: Option<DeviceId>,
}

impl Actor {
    /// A person acting for themselves, with no device (tests, and the CLI on their behalf).
    pub fn person(account: &AccountId) -> Self {
        Actor {
            account: account.clone(),
            acting_for: None,
            device: None,
        }
    }

    /// The record of `action` on `object` by this actor.
    pub fn record<'a>(
        &'a self,
        action: &'a str,
        object: &'a str,
        subject_key: Option<&'a [u8]>,
        denied: bool,
    ) -> AuditRecord<'a> {
        audit_record(Some(self), action, object, subject_key, denied)
    }
}

/// The audit record of `actor` (None: the system) doing `action` to `object`.
pub fn audit_record<'a>(
    actor: Option<&'a Actor>,
    action: &'a str,
    object: &'a str,
    subject_key: Option<&'a [u8]>,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: actor.map(|a| a.account.as_str()),
        acting_for: actor
            .and_then(|a| a.acting_for.as_ref())
            .map(OrgEid::as_str),
        device: actor.and_then(|a| a.device.as_ref()).map(DeviceId::as_str),
        action,
        object: Some(object),
        subject_key,
        denied,
    }
}

/// Audits a refusal (in its own transaction: the refused action changed nothing) and returns
/// the error to answer with; when the entry cannot be written, that failure is the answer.
pub async fn refuse(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    object: &str,
    code: dinhdanh_core::api::ErrorCode,
) -> ServerError {
    refuse_with(state, audit_record(actor, action, object, None, true), code).await
}

/// [`refuse`] with a record of the caller's making (no object yet, or a subject to name).
pub async fn refuse_with(
    state: &AppState,
    record: AuditRecord<'_>,
    code: dinhdanh_core::api::ErrorCode,
) -> ServerError {
    match append(state, record).await {
        Ok(()) => ServerError::code(code),
        Err(e) => e,
    }
}

/// The fields an entry's hash covers, in order.
pub struct EntryFields<'a> {
    /// Position.
    pub seq: i64,
    /// Time.
    pub at: i64,
    /// See [`AuditRecord`].
    pub actor: Option<&'a str>,
    /// See [`AuditRecord`].
    pub acting_for: Option<&'a str>,
    /// See [`AuditRecord`].
    pub device: Option<&'a str>,
    /// See [`AuditRecord`].
    pub action: &'a str,
    /// See [`AuditRecord`].
    pub object: Option<&'a str>,
    /// See [`AuditRecord`].
    pub subject_key: Option<&'a [u8]>,
    /// `success` or `denied`.
    pub outcome: &'a str,
    /// The previous entry's hash.
    pub prev_hash: &'a [u8],
}

/// The hash of an entry: SHA-256 over a length-prefixed encoding of every field.
pub fn entry_hash(f: &EntryFields<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |bytes: Option<&[u8]>| match bytes {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    };
    field(Some(ENTRY_DOMAIN));
    field(Some(&f.seq.to_be_bytes()));
    field(Some(&f.at.to_be_bytes()));
    field(f.actor.map(str::as_bytes));
    field(f.acting_for.map(str::as_bytes));
    field(f.device.map(str::as_bytes));
    field(Some(f.action.as_bytes()));
    field(f.object.map(str::as_bytes));
    field(f.subject_key);
    field(Some(f.outcome.as_bytes()));
    field(Some(f.prev_hash));
    h.finalize().to_vec()
}

/// The chain's head (`audit_head`) as stored: the last entry's position and hash.
#[derive(sqlx::FromRow)]
pub(super) struct Head {
    /// The last entry's position.
    pub(super) seq: i64,
    /// Its hash.
    pub(super) hash: Vec<u8>,
}

/// The hash before the first entry.
pub fn genesis_hash() -> Vec<u8> {
    vec![0u8; 32]
}

/// Appends one entry in its own transaction: for records that stand alone (a refusal, whose
/// action changed nothing; a sign-in attempt). An action's entries go through
/// [`crate::store::tx::Tx::audit`] instead, so they commit with the change.
pub async fn append(state: &AppState, record: AuditRecord<'_>) -> ServerResult<()> {
    let mut tx = crate::infra::db::begin_write(&state.pool, state.backend).await?;
    let seq = append_in(&mut tx, state.backend, state.now(), &record).await?;
    tx.commit().await?;
    after_append(state, seq).await;
    Ok(())
}

/// The columns of an entry's row, in the order [`append_all_in`] binds them.
const ENTRY_COLUMNS: &str = "seq, at, actor, acting_for, device, action, object, subject_key, \
     outcome, prev_hash, hash";
const ENTRY_COLUMN_COUNT: usize = 11;

/// The `INSERT` of `rows` entries; on PostgreSQL the head's new hash (the last parameter) is
/// written by the same statement (a data-modifying `WITH`, a round trip less, issue 18), which
/// SQLite has no such `WITH` for.
fn insert_entries(backend: Backend, rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=ENTRY_COLUMN_COUNT)
                .map(|column| format!("${}", row * ENTRY_COLUMN_COUNT + column))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let insert = format!(
        "INSERT INTO audit_log ({ENTRY_COLUMNS}) VALUES {}",
        values.join(", ")
    );
    match backend {
        Backend::Sqlite => insert,
        Backend::Postgres => format!(
            "WITH head AS (UPDATE audit_head SET hash = ${} WHERE id = 1) {insert}",
            rows * ENTRY_COLUMN_COUNT
        ),
    }
}

/// The statements of one entry and of two (a confirmed action's: the confirmation and the
/// change), made once per backend.
struct CommonInserts {
    one: String,
    two: String,
}

static INSERTS_SQLITE: LazyLock<CommonInserts> = LazyLock::new(|| CommonInserts {
    one: insert_entries(Backend::Sqlite, 1),
    two: insert_entries(Backend::Sqlite, 2),
});
static INSERTS_POSTGRES: LazyLock<CommonInserts> = LazyLock::new(|| CommonInserts {
    one: insert_entries(Backend::Postgres, 1),
    two: insert_entries(Backend::Postgres, 2),
});

/// Appends one entry inside the caller's transaction and returns its position; see
/// [`append_all_in`].
pub async fn append_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    at: i64,
    record: &AuditRecord<'_>,
) -> ServerResult<i64> {
    let seq = append_all_in(conn, backend, at, std::slice::from_ref(record)).await?;
    seq.ok_or_else(|| ServerError::Internal("an audit append wrote nothing".into()))
}

/// Appends `records`, in order, inside the caller's transaction and returns the last one's
/// position (`None` for none): the head taken once for all of them, the entries written by
/// one statement (on PostgreSQL with the head's new hash), whatever their number. The head's
/// row is locked from here to the commit, so call it last (as [`crate::store::tx::Tx`] does),
/// and call [`after_commit`] once the transaction has committed.
pub async fn append_all_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    at: i64,
    records: &[AuditRecord<'_>],
) -> ServerResult<Option<i64>> {
    if records.is_empty() {
        return Ok(None);
    }
    let count = i64::try_from(records.len())
        .map_err(|_| ServerError::Internal("too many audit entries".into()))?;
    // Take the head first: the UPDATE locks it until commit, so appends line up one by one.
    // The head row is made by the very first append only (a statement less on every other).
    const TAKE_HEAD: &str = "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash";
    let head: Option<Head> = sqlx::query_as(TAKE_HEAD)
        .bind(count)
        .fetch_optional(&mut *conn)
        .await?;
    let Head {
        seq: last,
        hash: mut prev_hash,
    } = match head {
        Some(head) => head,
        None => {
            sqlx::query(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(genesis_hash())
            .execute(&mut *conn)
            .await?;
            sqlx::query_as(TAKE_HEAD)
                .bind(count)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let common: &CommonInserts = match backend {
        Backend::Sqlite => &INSERTS_SQLITE,
        Backend::Postgres => &INSERTS_POSTGRES,
    };
    let built;
    let sql: &str = match records.len() {
        1 => &common.one,
        2 => &common.two,
        n => {
            built = insert_entries(backend, n);
            &built
        }
    };
    let mut insert = sqlx::query(sql);
    for (seq, record) in (last - count + 1..).zip(records) {
        let outcome = if record.denied { "denied" } else { "success" };
        let hash = entry_hash(&EntryFields {
            seq,
            at,
            actor: record.actor,
            acting_for: record.acting_for,
            device: record.device,
            action: record.action,
            object: record.object,
            subject_key: record.subject_key,
            outcome,
            prev_hash: &prev_hash,
        });
        insert = insert
            .bind(seq)
            .bind(at)
            .bind(record.actor)
            .bind(record.acting_for)
            .bind(record.device)
            .bind(record.action)
            .bind(record.object)
            .bind(record.subject_key.map(<[u8]>::to_vec))
            .bind(outcome)
            .bind(std::mem::replace(&mut prev_hash, hash.clone()))
            .bind(hash);
    }
    insert.execute(&mut *conn).await?;
    if backend == Backend::Sqlite {
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(prev_hash)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(last))
}

/// What follows a committed append: the signed checkpoint, when one is due.
pub async fn after_commit(state: &AppState, seq: i64) {
    after_append(state, seq).await;
}
