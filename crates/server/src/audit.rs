//! The audit trail: append-only and hash-chained. Each entry's hash covers its fields and the
//! previous entry's hash, so changing, removing or reordering a row breaks the chain from there
//! on. Appends update the one-row `audit_head` in the same transaction, which serialises them
//! across server instances (a row lock in PostgreSQL, the write lock in SQLite).
//!
//! Entries name accounts, organisations and devices by their opaque ids; the person an entry
//! is about is kept as a keyed hash (`subject_key`) so they can be shown their entries. No CCCD
//! number, password, passcode or token is ever written here.

use dinhdanh_core::api::AuditOutcome;
use dinhdanh_core::crypto::Digest32;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::error::{ServerError, ServerResult};
use crate::state::AppState;

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

/// The hash before the first entry.
pub fn genesis_hash() -> Vec<u8> {
    vec![0u8; 32]
}

/// Appends an entry, in its own transaction.
pub async fn append(state: &AppState, record: AuditRecord<'_>) -> ServerResult<()> {
    let mut tx = state.pool.begin().await?;
    // Take the head first: the UPDATE locks it until commit, so appends line up one by one.
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(genesis_hash())
    .execute(&mut *tx)
    .await?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: Vec<u8> = head.try_get("hash")?;
    let at = state.now();
    let outcome = if record.denied { "denied" } else { "success" };
    let fields = EntryFields {
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
    };
    let hash = entry_hash(&fields);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, acting_for, device, action, object, subject_key, outcome, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(seq)
    .bind(at)
    .bind(record.actor)
    .bind(record.acting_for)
    .bind(record.device)
    .bind(record.action)
    .bind(record.object)
    .bind(record.subject_key.map(<[u8]>::to_vec))
    .bind(outcome)
    .bind(prev_hash.clone())
    .bind(hash.clone())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Converts a stored outcome.
pub fn outcome(text: &str) -> AuditOutcome {
    if text == "denied" {
        AuditOutcome::Denied
    } else {
        AuditOutcome::Success
    }
}

/// A stored 32-byte hash as a digest.
pub fn digest(bytes: &[u8]) -> ServerResult<Digest32> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ServerError::Internal("stored hash has wrong length".into()))?;
    Ok(Digest32::from_bytes(arr))
}
