//! Reading entries back: the stored row, its wire form, and the chain's head.

use dinhdanh_core::api::{self, AuditOutcome};
use dinhdanh_core::crypto::Digest32;
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid};

use super::writing::{EntryFields, Head, entry_hash, genesis_hash};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

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

const ENTRY_COLUMNS: &str =
    "seq, at, actor, acting_for, device, action, object, subject_key, outcome, prev_hash, hash";

/// An entry as stored.
#[derive(sqlx::FromRow)]
pub(super) struct StoredEntry {
    pub(super) seq: i64,
    pub(super) at: i64,
    pub(super) actor: Option<String>,
    pub(super) acting_for: Option<String>,
    pub(super) device: Option<String>,
    pub(super) action: String,
    pub(super) object: Option<String>,
    pub(super) subject_key: Option<Vec<u8>>,
    pub(super) outcome: String,
    pub(super) prev_hash: Vec<u8>,
    pub(super) hash: Vec<u8>,
}

impl StoredEntry {
    /// The hash this entry should have, recomputed from its fields.
    pub(super) fn recomputed_hash(&self) -> Vec<u8> {
        entry_hash(&EntryFields {
            seq: self.seq,
            at: self.at,
            actor: self.actor.as_deref(),
            acting_for: self.acting_for.as_deref(),
            device: self.device.as_deref(),
            action: &self.action,
            object: self.object.as_deref(),
            subject_key: self.subject_key.as_deref(),
            outcome: &self.outcome,
            prev_hash: &self.prev_hash,
        })
    }

    /// The wire form. An id that no longer parses (a tampered row) is shown as absent rather
    /// than failing the whole list; [`super::verify_chain`] reports the tampering.
    fn to_api(&self) -> ServerResult<api::AuditEntry> {
        Ok(api::AuditEntry {
            seq: u64::try_from(self.seq).unwrap_or_default(),
            at: crate::infra::time::timestamp(self.at),
            actor: self.actor.as_deref().and_then(|a| AccountId::parse(a).ok()),
            acting_for: self
                .acting_for
                .as_deref()
                .and_then(|o| OrgEid::parse(o).ok()),
            device: self.device.as_deref().and_then(|d| DeviceId::parse(d).ok()),
            action: self.action.clone(),
            object: self.object.clone(),
            outcome: outcome(&self.outcome),
            prev_hash: digest(&self.prev_hash)?,
            hash: digest(&self.hash)?,
        })
    }
}

/// Entries with `seq` in `from..=to`, oldest first, at most `limit`.
pub(super) async fn entries_between(
    state: &AppState,
    from: i64,
    to: i64,
    limit: i64,
) -> ServerResult<Vec<StoredEntry>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    ))
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&state.pool)
    .await?)
}

/// The entries about one person (Decree 13/2023/NĐ-CP: a person may see how their data was
/// used), oldest first. `subject_key` is the keyed hash of their identification number
/// ([`crate::infra::keys::ServerKeys::citizen_key`]), the same value appends record.
pub async fn entries_about(
    state: &AppState,
    subject_key: &[u8],
) -> ServerResult<Vec<api::AuditEntry>> {
    let rows: Vec<StoredEntry> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE subject_key = $1 ORDER BY seq"
    ))
    .bind(subject_key.to_vec())
    .fetch_all(&state.pool)
    .await?;
    rows.iter().map(StoredEntry::to_api).collect()
}

/// The chain's head as the database says: `(seq, hash)`; `(0, genesis)` before any append.
pub(super) async fn stored_head(state: &AppState) -> ServerResult<(i64, Vec<u8>)> {
    let head: Option<Head> = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&state.pool)
        .await?;
    Ok(match head {
        Some(Head { seq, hash }) => (seq, hash),
        None => (0, genesis_hash()),
    })
}
