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

/// A person's own activity: the entries about them ([`entries_about`]) and the entries of
/// what they did themselves (`actor`), oldest first. What they did for an organisation is
/// theirs to see too, as are their refused attempts.
pub async fn entries_of_person(
    state: &AppState,
    account: &AccountId,
    subject_key: &[u8],
) -> ServerResult<Vec<api::AuditEntry>> {
    let rows: Vec<StoredEntry> = sqlx::query_as(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE subject_key = $1 OR actor = $2 ORDER BY seq"
    ))
    .bind(subject_key.to_vec())
    .bind(account.as_str())
    .fetch_all(&state.pool)
    .await?;
    rows.iter().map(StoredEntry::to_api).collect()
}

/// An entry made for an organisation, with the names a reader recognises.
#[derive(sqlx::FromRow)]
struct ActivityRow {
    seq: i64,
    at: i64,
    actor: Option<String>,
    actor_name: Option<String>,
    actor_masked: Option<String>,
    device: Option<String>,
    device_name: Option<String>,
    action: String,
    object: Option<String>,
    outcome: String,
}

/// The entries of actions done for the organisation `eid` (`acting_for`), newest first, at
/// most `limit`: who (name and masked number from the citizen registry's copy), from which
/// device (its name), when, what, on what. No subject key, no hash: nothing a reader needs.
pub async fn entries_for_organisation(
    state: &AppState,
    eid: &OrgEid,
    limit: i64,
) -> ServerResult<Vec<api::OrganisationActivityEntry>> {
    let rows: Vec<ActivityRow> = sqlx::query_as(
        "SELECT l.seq, l.at, l.actor, c.full_name AS actor_name, \
         c.citizen_masked AS actor_masked, l.device, d.name AS device_name, l.action, \
         l.object, l.outcome \
         FROM audit_log l \
         LEFT JOIN accounts a ON a.id = l.actor \
         LEFT JOIN citizens c ON c.citizen_key = a.citizen_key \
         LEFT JOIN devices d ON d.id = l.device \
         WHERE l.acting_for = $1 ORDER BY l.seq DESC LIMIT $2",
    )
    .bind(eid.as_str())
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| api::OrganisationActivityEntry {
            seq: u64::try_from(r.seq).unwrap_or_default(),
            at: crate::infra::time::timestamp(r.at),
            actor: r.actor.as_deref().and_then(|a| AccountId::parse(a).ok()),
            actor_name: r.actor_name,
            actor_citizen_id_masked: r.actor_masked,
            device: r.device.as_deref().and_then(|d| DeviceId::parse(d).ok()),
            device_name: r.device_name,
            action: r.action,
            object: r.object,
            outcome: outcome(&r.outcome),
        })
        .collect())
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
