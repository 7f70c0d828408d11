//! Checkpoint epochs: how an operator accepts that the trail no longer reaches its last
//! checkpoint — after a restore from a backup — without that reading as tampering ever after.
//!
//! A checkpoint only moves forward, so a database restored to an earlier point fails
//! verification against the checkpoint written before the loss, as a truncation would. The
//! operator's `dinhdanh-server audit new-epoch --reason "…"` ([`start_epoch`]) checks that the
//! trail itself is intact (every hash and link) and that only the checkpoint disagrees, then
//! appends an `audit.epoch.started` entry and signs, with the audit key, a record of what was
//! lost: the previous checkpoint's position and hash next to the trail's head as found. The
//! record travels with every later checkpoint, outside the database, so someone who can only
//! write to the database cannot start an epoch to hide a cut; `audit verify` reports each one.

use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::text::TextProblem;

use super::checkpoints::{Checkpoint, EpochFacts, EpochStart, checkpointer, remember};
use super::reading::digest;
use super::verification::{CheckpointState, verify_chain_report};
use super::writing::{AuditRecord, Head, append_in};
use crate::infra::error::ServerError;
use crate::infra::state::AppState;

/// The most characters of an epoch's reason.
pub const MAX_EPOCH_REASON_CHARS: usize = 500;

/// Why a new epoch was not started.
#[derive(Debug, thiserror::Error)]
pub enum EpochRefused {
    /// The reason is empty, too long or holds characters the text policy refuses.
    #[error("--reason {}", .0.message_en())]
    Reason(TextProblem),
    /// Entries of the trail itself are broken: an epoch excuses a lost tail, never tampering.
    #[error(
        "the audit trail is broken at entry {0}; a new epoch only accepts entries lost by a \
         restore, not a changed trail"
    )]
    ChainBroken(u64),
    /// The trail reaches its checkpoint: nothing was lost.
    #[error("the audit trail matches its checkpoint (entry {0}); nothing to accept")]
    NothingLost(u64),
    /// There is no checkpoint to compare with.
    #[error("there is no audit checkpoint at {0}; nothing to accept")]
    NoCheckpoint(String),
    /// The checkpoint is not signed by this server's audit key (other server keys).
    #[error(
        "the audit checkpoint at {0} is not signed by this server's audit key: restore the \
         server keys of the backup first"
    )]
    OtherKeys(String),
    /// The checkpoint could not be read.
    #[error("the audit checkpoint cannot be read: {0}")]
    Unreadable(String),
    /// The database or the checkpoint's storage failed.
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for EpochRefused {
    fn from(e: sqlx::Error) -> Self {
        EpochRefused::Server(e.into())
    }
}

/// Starts a new checkpoint epoch (see the module's documentation): refused unless the trail
/// is intact and only falls short of, or differs from, a checkpoint signed by this server.
/// Run it with no server writing to the trail. Returns the signed record.
pub async fn start_epoch(state: &AppState, reason: &str) -> Result<EpochStart, EpochRefused> {
    let reason = dinhdanh_core::text::message(reason, MAX_EPOCH_REASON_CHARS)
        .map_err(EpochRefused::Reason)?;
    let report = verify_chain_report(state).await?;
    if let Some((seq, _)) = report.first_broken {
        return Err(EpochRefused::ChainBroken(seq));
    }
    match &report.checkpoint {
        CheckpointState::Matches { seq } => return Err(EpochRefused::NothingLost(*seq)),
        CheckpointState::Missing => {
            return Err(EpochRefused::NoCheckpoint(report.checkpoint_location));
        }
        CheckpointState::BadSignature => {
            return Err(EpochRefused::OtherKeys(report.checkpoint_location));
        }
        CheckpointState::Unreadable(e) => return Err(EpochRefused::Unreadable(e.clone())),
        CheckpointState::Truncated { .. } | CheckpointState::Rewritten { .. } => {}
    }
    let checkpointer = checkpointer(state);
    let previous = checkpointer
        .sink
        .load()
        .map_err(|e| EpochRefused::Unreadable(e.to_string()))?
        .ok_or_else(|| EpochRefused::NoCheckpoint(report.checkpoint_location.clone()))?;
    let key = state.keys.audit_signing();
    if !previous.is_signed_by(&PublicKey::from_verifying_key(key.verifying_key())) {
        return Err(EpochRefused::OtherKeys(report.checkpoint_location));
    }
    let epoch = previous.epoch + 1;

    // The entry that says so in the trail, and the head as found, in one transaction.
    let mut tx = crate::infra::db::begin_write(&state.pool, state.backend).await?;
    let found: Option<Head> = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (found_seq, found_hash) = match found {
        Some(Head { seq, hash }) => (seq, hash),
        None => (0, super::writing::genesis_hash()),
    };
    let object = format!("audit_epoch:{epoch}");
    let seq = append_in(
        &mut tx,
        state.backend,
        state.now(),
        &AuditRecord {
            action: "audit.epoch.started",
            object: Some(&object),
            ..AuditRecord::default()
        },
    )
    .await?;
    let head: Head = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;

    let start = EpochStart::sign(
        key,
        EpochFacts {
            epoch,
            at: state.now(),
            reason,
            previous_seq: previous.seq,
            previous_hash: previous.head_hash,
            previous_at: previous.at,
            found_seq: u64::try_from(found_seq).unwrap_or_default(),
            found_hash: digest(&found_hash)?,
        },
    );
    let mut epochs = previous.epochs;
    epochs.push(start.clone());
    let checkpoint = Checkpoint::sign_after(
        key,
        epochs,
        u64::try_from(seq).unwrap_or_default(),
        digest(&head.hash)?,
        state.now(),
    );
    checkpointer
        .sink
        .store(&checkpoint)
        .map_err(|e| ServerError::Internal(format!("writing the audit checkpoint: {e}")))?;
    remember(&checkpointer, seq);
    Ok(start)
}
