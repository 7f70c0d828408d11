//! The audit trail: its hash chain and the signed checkpoint kept outside the database.

use dinhdanh_core::api::{AuditEntry, AuditVerification};

use super::{AppState, ServerResult};
use crate::store::audit as inner;

pub use inner::{
    AuditRecord, Break, CHECKPOINT_ENV, CHECKPOINT_FILE, ChainReport, Checkpoint, CheckpointSink,
    CheckpointState, EntryFields, FileCheckpoints, digest, entry_hash, genesis_hash,
};
pub use inner::{EpochRefused, EpochStart, use_checkpoint_sink};

/// Starts a new checkpoint epoch (`audit new-epoch`), after a restore to an earlier point.
pub async fn start_epoch(state: &AppState, reason: &str) -> Result<EpochStart, EpochRefused> {
    inner::start_epoch(state, reason).await
}

/// Appends an entry.
pub async fn append(state: &AppState, record: AuditRecord<'_>) -> ServerResult<()> {
    inner::append(state, record).await
}

/// Verifies the chain and the checkpoint (the summary the API returns).
pub async fn verify_chain(state: &AppState) -> ServerResult<AuditVerification> {
    inner::verify_chain(state).await
}

/// Verifies the chain and the checkpoint, with what broke.
pub async fn verify_chain_report(state: &AppState) -> ServerResult<ChainReport> {
    inner::verify_chain_report(state).await
}

/// The entries about a person (by their subject key), as they may read them.
pub async fn entries_about(state: &AppState, subject_key: &[u8]) -> ServerResult<Vec<AuditEntry>> {
    inner::entries_about(state, subject_key).await
}
