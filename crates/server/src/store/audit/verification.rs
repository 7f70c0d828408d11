//! Verification: walking the whole chain and comparing its head with the signed checkpoint.

use dinhdanh_core::api;
use dinhdanh_core::crypto::PublicKey;

use super::checkpoints::{EpochStart, checkpointer, write_checkpoint};
use super::reading::{entries_between, stored_head};
use super::writing::genesis_hash;
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;

/// Rows read per query while walking the chain.
pub(super) const PAGE: i64 = 1000;

/// Why an entry breaks the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// The entry at this position is missing (deleted, or the head points past the end).
    Missing,
    /// The entry does not name the previous entry's hash (reordered, or one before it removed
    /// and the rest renumbered).
    Link,
    /// The entry's fields do not give its stored hash (a changed field or a forged hash).
    Hash,
}

/// The state of the checkpoint kept outside the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointState {
    /// The chain still has, at the checkpoint's position, the hash the server signed.
    Matches {
        /// The checkpointed position.
        seq: u64,
    },
    /// There is no checkpoint yet; fine only while the chain is empty.
    Missing,
    /// The checkpoint is not signed by this server's audit key.
    BadSignature,
    /// The chain is shorter than the checkpoint: entries were removed from the end.
    Truncated {
        /// The checkpointed position.
        seq: u64,
    },
    /// The entry at the checkpoint's position has another hash: the chain was rewritten.
    Rewritten {
        /// The checkpointed position.
        seq: u64,
    },
    /// The checkpoint could not be read.
    Unreadable(String),
}

/// A detailed verification result, for the `audit verify` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries read.
    pub entries: u64,
    /// The first broken entry, and how it is broken.
    pub first_broken: Option<(u64, Break)>,
    /// What the external checkpoint says.
    pub checkpoint: CheckpointState,
    /// Where the checkpoint is kept.
    pub checkpoint_location: String,
    /// The epochs started after restores, oldest first, as the (signed) checkpoint records
    /// them; empty in epoch 0.
    pub epochs: Vec<EpochStart>,
}

impl ChainReport {
    /// Whether the trail is intact and agrees with its checkpoint.
    pub fn is_ok(&self) -> bool {
        self.first_broken.is_none() && self.checkpoint_matches()
    }

    fn checkpoint_matches(&self) -> bool {
        match self.checkpoint {
            CheckpointState::Matches { .. } => true,
            CheckpointState::Missing => self.entries == 0,
            _ => false,
        }
    }

    /// The wire summary.
    pub fn summary(&self) -> api::AuditVerification {
        api::AuditVerification {
            entries: self.entries,
            first_broken: self.first_broken.map(|(seq, _)| seq),
            checkpoint_matches: self.checkpoint_matches(),
        }
    }
}

/// Walks the whole trail in order, recomputing every hash and link, and compares the head with
/// the signed checkpoint kept outside the database. When everything holds, writes a fresh
/// checkpoint of the current head.
pub async fn verify_chain(state: &AppState) -> ServerResult<api::AuditVerification> {
    Ok(verify_chain_report(state).await?.summary())
}

/// [`verify_chain`] with the details: how the first broken entry is broken, and what the
/// checkpoint says.
pub async fn verify_chain_report(state: &AppState) -> ServerResult<ChainReport> {
    let checkpointer = checkpointer(state);
    let checkpoint = checkpointer.sink.load();
    let (head_seq, head_hash) = stored_head(state).await?;

    let mut entries = 0u64;
    let mut first_broken: Option<(u64, Break)> = None;
    let mut expected_seq = 1i64;
    let mut prev = genesis_hash();
    let mut at_checkpoint: Option<Vec<u8>> = None;
    let checkpoint_seq = match &checkpoint {
        Ok(Some(c)) => i64::try_from(c.seq).ok(),
        _ => None,
    };
    // Where each epoch began: the trail must still hold the head it was found with.
    let epochs: Vec<EpochStart> = match &checkpoint {
        Ok(Some(c)) => c.epochs.clone(),
        _ => Vec::new(),
    };
    let mut anchors: Vec<(i64, Option<Vec<u8>>)> = epochs
        .iter()
        .map(|e| (i64::try_from(e.facts.found_seq).unwrap_or(i64::MAX), None))
        .collect();
    let note = |seq: i64, why: Break, first: &mut Option<(u64, Break)>| {
        if first.is_none() {
            *first = Some((u64::try_from(seq).unwrap_or_default(), why));
        }
    };
    // Only up to the head read above: entries appended meanwhile are checked next time.
    loop {
        let page = entries_between(state, expected_seq, head_seq, PAGE).await?;
        let Some(last) = page.last() else { break };
        let next_seq = last.seq + 1;
        for entry in &page {
            entries += 1;
            if entry.seq != expected_seq {
                note(expected_seq, Break::Missing, &mut first_broken);
            } else if entry.prev_hash != prev {
                note(entry.seq, Break::Link, &mut first_broken);
            } else if entry.recomputed_hash() != entry.hash {
                note(entry.seq, Break::Hash, &mut first_broken);
            }
            if Some(entry.seq) == checkpoint_seq {
                at_checkpoint = Some(entry.hash.clone());
            }
            for (seq, hash) in &mut anchors {
                if *seq == entry.seq {
                    *hash = Some(entry.hash.clone());
                }
            }
            prev = entry.hash.clone();
            expected_seq = entry.seq + 1;
        }
        expected_seq = next_seq;
    }
    let last_seq = expected_seq - 1;
    // The head row says how long the chain is: rows cut off the end show up here.
    if head_seq > last_seq {
        note(last_seq + 1, Break::Missing, &mut first_broken);
    } else if head_seq == last_seq && head_hash != prev {
        note(last_seq.max(1), Break::Hash, &mut first_broken);
    }

    let audit_key = PublicKey::from_verifying_key(state.keys.audit_signing().verifying_key());
    // An epoch's start whose head the trail no longer holds: rewritten since.
    let moved_anchor = epochs.iter().zip(&anchors).find_map(|(e, (seq, hash))| {
        let holds = match hash {
            Some(h) => h.as_slice() == e.facts.found_hash.as_bytes(),
            None => *seq == 0 && e.facts.found_hash.as_bytes().as_slice() == genesis_hash(),
        };
        (!holds).then_some(e.facts.found_seq)
    });
    let checkpoint_state = match checkpoint {
        Err(e) => CheckpointState::Unreadable(e.to_string()),
        Ok(None) => CheckpointState::Missing,
        Ok(Some(c)) if !c.is_signed_by(&audit_key) => CheckpointState::BadSignature,
        Ok(Some(c)) => match (moved_anchor, at_checkpoint) {
            (Some(seq), _) => CheckpointState::Rewritten { seq },
            (None, None) if c.seq == 0 => CheckpointState::Matches { seq: 0 },
            (None, None) => CheckpointState::Truncated { seq: c.seq },
            (None, Some(hash)) if hash == c.head_hash.as_bytes() => {
                CheckpointState::Matches { seq: c.seq }
            }
            (None, Some(_)) => CheckpointState::Rewritten { seq: c.seq },
        },
    };
    let report = ChainReport {
        entries,
        first_broken,
        checkpoint: checkpoint_state,
        checkpoint_location: checkpointer.sink.location(),
        epochs,
    };
    if report.is_ok() {
        // The trail checked out: anchor its current head (a no-op when already anchored).
        write_checkpoint(state, &checkpointer).await?;
    }
    Ok(report)
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Break::Missing => "missing",
            Break::Link => "does not link to the entry before it",
            Break::Hash => "its fields do not give its stored hash",
        })
    }
}

/// The report `dinhdanh-server audit verify` prints.
impl std::fmt::Display for ChainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "audit trail: {} entries", self.entries)?;
        match self.first_broken {
            None => writeln!(f, "chain: intact (every hash and link recomputed)")?,
            Some((seq, why)) => writeln!(f, "chain: BROKEN at entry {seq}: {why}")?,
        }
        write!(f, "checkpoint ({}): ", self.checkpoint_location)?;
        match &self.checkpoint {
            CheckpointState::Matches { seq } => {
                write!(f, "matches (signed head at entry {seq})")
            }
            CheckpointState::Missing if self.entries == 0 => write!(f, "none yet (empty trail)"),
            CheckpointState::Missing => write!(
                f,
                "MISSING while the trail has entries: it was deleted, or this is not the \
                 location the servers write to"
            ),
            CheckpointState::BadSignature => {
                write!(f, "NOT SIGNED by this server's audit key")
            }
            CheckpointState::Truncated { seq } => write!(
                f,
                "MISMATCH: the trail ends before the signed head at entry {seq} (entries removed)"
            ),
            CheckpointState::Rewritten { seq } => write!(
                f,
                "MISMATCH: entry {seq} no longer has the signed hash (the trail was rewritten)"
            ),
            CheckpointState::Unreadable(e) => write!(f, "UNREADABLE: {e}"),
        }?;
        if self.epochs.is_empty() {
            return Ok(());
        }
        write!(
            f,
            "\nepochs: {} (each started by an operator after a restore)",
            self.epochs.len()
        )?;
        let time = |at: i64| crate::infra::time::timestamp(at).to_rfc3339();
        for e in &self.epochs {
            let e = &e.facts;
            write!(
                f,
                "\n  epoch {} began {}; reason: {}\n    the checkpoint before it signed \
                 entry {} ({}); the trail then ended at entry {}: ",
                e.epoch,
                time(e.at),
                dinhdanh_core::text::shown(&e.reason, 500, false),
                e.previous_seq,
                time(e.previous_at),
                e.found_seq
            )?;
            match e.entries_lost() {
                Some(n) => write!(
                    f,
                    "{n} entries ({}–{}) of the earlier trail are lost",
                    e.found_seq + 1,
                    e.previous_seq
                )?,
                None => write!(
                    f,
                    "entry {} differs from the earlier trail's (entries from an earlier \
                     point on are not the ones checkpointed)",
                    e.previous_seq
                )?,
            }
        }
        Ok(())
    }
}
