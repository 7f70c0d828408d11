//! The audit trail: append-only and hash-chained. Each entry's hash covers its fields and the
//! previous entry's hash, so changing, removing or reordering a row breaks the chain from there
//! on. Appends update the one-row `audit_head` in the same transaction, which serialises them
//! across server instances (a row lock in PostgreSQL, the write lock in SQLite).
//!
//! Entries name accounts, organisations and devices by their opaque ids; the person an entry
//! is about is kept as a keyed hash (`subject_key`) so they can be shown their entries. No CCCD
//! number, password, passcode or token is ever written here.
//!
//! ## Checkpoints: what a rewritten database cannot hide
//!
//! Someone who can write to the database can rewrite a row *and* recompute every hash after
//! it, which leaves a chain that verifies. To catch that, the chain's head is signed with the
//! server's audit key ([`ServerKeys::audit_signing`], ECDSA P-256 over [`checkpoint_message`])
//! and the signed [`Checkpoint`] is kept outside the database, by a [`CheckpointSink`]: by
//! default the file `audit-checkpoint.json` in the data directory, replaced atomically
//! (temporary file + rename). [`verify_chain`] then requires the entry at the checkpoint's
//! position to still have the signed hash.
//!
//! A checkpoint is written after appends, at most once a second or every
//! [`CHECKPOINT_EVERY`] appends (a throttled append schedules one for a second later, so the
//! tail is covered too), and after every successful verification. It only ever moves forward
//! along the chain: before signing a new head the writer re-checks every entry since the
//! previous checkpoint (or since the start, for the first one), so a checkpoint never blesses a
//! chain that no longer extends the one signed before.
//!
//! ## Several instances
//!
//! Every instance appends to the one chain in the database; each signs heads with the same
//! audit key (instances share `DINHDANH_SERVER_KEYS`). A checkpoint is a signed statement
//! "entry `seq` has hash `h`", so checkpoints written by different instances are all valid
//! witnesses of prefixes of that chain: with separate data directories each instance keeps
//! its own file and `audit verify` run next to any of them checks the chain against it. A
//! deployment that wants one place mounts a shared directory (every instance writes there; a
//! writer never replaces a checkpoint with an older one, and the rename keeps the file whole)
//! or ships checkpoints elsewhere (object storage with retention, a transparency log) by
//! registering its own [`CheckpointSink`] with [`use_checkpoint_sink`] before serving.
//! `DINHDANH_AUDIT_CHECKPOINT` overrides the default file's path.
//!
//! [`ServerKeys::audit_signing`]: crate::infra::keys::ServerKeys::audit_signing

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use dinhdanh_core::api::{self, AuditOutcome};
use dinhdanh_core::crypto::{Digest32, PublicKey, Signature};
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

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
    match append(state, audit_record(actor, action, object, None, true)).await {
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

/// The hash before the first entry.
pub fn genesis_hash() -> Vec<u8> {
    vec![0u8; 32]
}

/// Appends one entry in its own transaction: for records that stand alone (a refusal, whose
/// action changed nothing; a sign-in attempt). An action's entries go through
/// [`crate::store::tx::Tx::audit`] instead, so they commit with the change.
pub async fn append(state: &AppState, record: AuditRecord<'_>) -> ServerResult<()> {
    let mut tx = state.pool.begin().await?;
    let seq = append_in(&mut tx, state.now(), &record).await?;
    tx.commit().await?;
    after_append(state, seq).await;
    Ok(())
}

/// Appends one entry inside the caller's transaction and returns its position. The head's row
/// is locked from here to the commit, so call it last (as [`crate::store::tx::Tx`] does), and
/// call [`after_commit`] once the transaction has committed.
pub async fn append_in(
    conn: &mut sqlx::AnyConnection,
    at: i64,
    record: &AuditRecord<'_>,
) -> ServerResult<i64> {
    // Take the head first: the UPDATE locks it until commit, so appends line up one by one.
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(genesis_hash())
    .execute(&mut *conn)
    .await?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: Vec<u8> = head.try_get("hash")?;
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
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// What follows a committed append: the signed checkpoint, when one is due.
pub async fn after_commit(state: &AppState, seq: i64) {
    after_append(state, seq).await;
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

// ---------------------------------------------------------------------------------------------
// Reading entries back
// ---------------------------------------------------------------------------------------------

const ENTRY_COLUMNS: &str =
    "seq, at, actor, acting_for, device, action, object, subject_key, outcome, prev_hash, hash";

/// An entry as stored.
struct StoredEntry {
    seq: i64,
    at: i64,
    actor: Option<String>,
    acting_for: Option<String>,
    device: Option<String>,
    action: String,
    object: Option<String>,
    subject_key: Option<Vec<u8>>,
    outcome: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl StoredEntry {
    fn read(row: &AnyRow) -> ServerResult<Self> {
        Ok(StoredEntry {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            acting_for: row.try_get("acting_for")?,
            device: row.try_get("device")?,
            action: row.try_get("action")?,
            object: row.try_get("object")?,
            subject_key: row.try_get("subject_key")?,
            outcome: row.try_get("outcome")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    /// The hash this entry should have, recomputed from its fields.
    fn recomputed_hash(&self) -> Vec<u8> {
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
    /// than failing the whole list; [`verify_chain`] reports the tampering.
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
async fn entries_between(
    state: &AppState,
    from: i64,
    to: i64,
    limit: i64,
) -> ServerResult<Vec<StoredEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    ))
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;
    rows.iter().map(StoredEntry::read).collect()
}

/// The entries about one person (Decree 13/2023/NĐ-CP: a person may see how their data was
/// used), oldest first. `subject_key` is the keyed hash of their identification number
/// ([`crate::infra::keys::ServerKeys::citizen_key`]), the same value appends record.
pub async fn entries_about(
    state: &AppState,
    subject_key: &[u8],
) -> ServerResult<Vec<api::AuditEntry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE subject_key = $1 ORDER BY seq"
    ))
    .bind(subject_key.to_vec())
    .fetch_all(&state.pool)
    .await?;
    rows.iter()
        .map(|row| StoredEntry::read(row)?.to_api())
        .collect()
}

/// The chain's head as the database says: `(seq, hash)`; `(0, genesis)` before any append.
async fn stored_head(state: &AppState) -> ServerResult<(i64, Vec<u8>)> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&state.pool)
        .await?;
    match row {
        Some(row) => Ok((row.try_get("seq")?, row.try_get("hash")?)),
        None => Ok((0, genesis_hash())),
    }
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// Rows read per query while walking the chain.
const PAGE: i64 = 1000;

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
    let checkpoint_state = match checkpoint {
        Err(e) => CheckpointState::Unreadable(e.to_string()),
        Ok(None) => CheckpointState::Missing,
        Ok(Some(c)) if !c.is_signed_by(&audit_key) => CheckpointState::BadSignature,
        Ok(Some(c)) => match at_checkpoint {
            None if c.seq == 0 => CheckpointState::Matches { seq: 0 },
            None => CheckpointState::Truncated { seq: c.seq },
            Some(hash) if hash == c.head_hash.as_bytes() => CheckpointState::Matches { seq: c.seq },
            Some(_) => CheckpointState::Rewritten { seq: c.seq },
        },
    };
    let report = ChainReport {
        entries,
        first_broken,
        checkpoint: checkpoint_state,
        checkpoint_location: checkpointer.sink.location(),
    };
    if report.is_ok() {
        // The trail checked out: anchor its current head (a no-op when already anchored).
        write_checkpoint(state, &checkpointer).await?;
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------

/// Domain tag of checkpoint signatures.
const CHECKPOINT_DOMAIN: &[u8] = b"dinhdanh/audit-checkpoint/v1";

/// A checkpoint is due after this many appends even within the same second.
pub const CHECKPOINT_EVERY: i64 = 64;

/// ... and at most this often otherwise.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// The default checkpoint file, in the data directory.
pub const CHECKPOINT_FILE: &str = "audit-checkpoint.json";

/// Overrides the checkpoint file's path (a shared mount, for several instances).
pub const CHECKPOINT_ENV: &str = "DINHDANH_AUDIT_CHECKPOINT";

/// The chain's head, signed by the server's audit key, kept outside the database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The entry's position.
    pub seq: u64,
    /// Its hash.
    pub head_hash: Digest32,
    /// When the checkpoint was made, Unix seconds.
    pub at: i64,
    /// The audit key's public half (informational: verification uses the server's own key).
    pub key: PublicKey,
    /// ECDSA P-256/SHA-256 over [`checkpoint_message`].
    pub signature: Signature,
}

/// The signed bytes: domain tag, then `seq` (u64), the head hash (32 bytes) and `at` (i64), all
/// fixed-width big-endian, so no two checkpoints share an encoding.
pub fn checkpoint_message(seq: u64, head_hash: &Digest32, at: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + 8 + 32 + 8);
    m.extend((CHECKPOINT_DOMAIN.len() as u64).to_be_bytes());
    m.extend(CHECKPOINT_DOMAIN);
    m.extend(seq.to_be_bytes());
    m.extend(head_hash.as_bytes());
    m.extend(at.to_be_bytes());
    m
}

impl Checkpoint {
    /// Signs `(seq, head_hash, at)` with `key`.
    pub fn sign(key: &p256::ecdsa::SigningKey, seq: u64, head_hash: Digest32, at: i64) -> Self {
        let signature =
            dinhdanh_core::crypto::sign_with(key, &checkpoint_message(seq, &head_hash, at));
        Checkpoint {
            seq,
            head_hash,
            at,
            key: PublicKey::from_verifying_key(key.verifying_key()),
            signature,
        }
    }

    /// Whether `key` signed exactly these fields.
    pub fn is_signed_by(&self, key: &PublicKey) -> bool {
        dinhdanh_core::crypto::verify(
            key,
            &checkpoint_message(self.seq, &self.head_hash, self.at),
            &self.signature,
        )
        .is_ok()
    }
}

/// Where checkpoints are kept, outside the database. Implementations must keep the newest
/// checkpoint whole (never half-written) and should not replace it with an older one.
pub trait CheckpointSink: Send + Sync {
    /// The newest checkpoint, if any.
    fn load(&self) -> std::io::Result<Option<Checkpoint>>;
    /// Keeps `checkpoint` as the newest.
    fn store(&self, checkpoint: &Checkpoint) -> std::io::Result<()>;
    /// Where, for messages.
    fn location(&self) -> String;
}

/// The default sink: one JSON file, replaced atomically (temporary file + rename).
pub struct FileCheckpoints {
    path: PathBuf,
}

impl FileCheckpoints {
    /// Checkpoints kept at `path`.
    pub fn new(path: PathBuf) -> Self {
        FileCheckpoints { path }
    }

    /// `DINHDANH_AUDIT_CHECKPOINT` if set, else `audit-checkpoint.json` in `data_dir`.
    pub fn default_for(data_dir: &Path) -> Self {
        match std::env::var_os(CHECKPOINT_ENV) {
            Some(p) if !p.is_empty() => FileCheckpoints::new(PathBuf::from(p)),
            _ => FileCheckpoints::new(data_dir.join(CHECKPOINT_FILE)),
        }
    }
}

impl CheckpointSink for FileCheckpoints {
    fn load(&self) -> std::io::Result<Option<Checkpoint>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn store(&self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        use std::io::Write;
        // Several writers may share the file: never go backwards.
        if let Ok(Some(current)) = self.load() {
            if current.seq > checkpoint.seq {
                return Ok(());
            }
        }
        let json = serde_json::to_vec_pretty(checkpoint)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(
            ".{}.{}-{}.tmp",
            CHECKPOINT_FILE,
            std::process::id(),
            crate::infra::ids::new_id("t")
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_data()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

/// A sink and the throttle in front of it, one per data directory in this process. The
/// throttle is only a cost control: losing it (a restart) means the next append checkpoints.
struct Checkpointer {
    data_dir: PathBuf,
    sink: Arc<dyn CheckpointSink>,
    throttle: Mutex<Throttle>,
    /// One writer at a time; a second one finds it busy and leaves it to the first.
    writing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Throttle {
    last_seq: Option<i64>,
    last_at: Option<Instant>,
    flush_scheduled: bool,
}

fn checkpointers() -> &'static Mutex<Vec<Arc<Checkpointer>>> {
    static ALL: OnceLock<Mutex<Vec<Arc<Checkpointer>>>> = OnceLock::new();
    ALL.get_or_init(|| Mutex::new(Vec::new()))
}

/// Makes the server whose data directory is `data_dir` keep its audit checkpoints in `sink`
/// instead of the default file. Call before serving.
pub fn use_checkpoint_sink(data_dir: &Path, sink: Arc<dyn CheckpointSink>) {
    let mut all = checkpointers().lock().unwrap_or_else(|e| e.into_inner());
    all.retain(|c| c.data_dir != data_dir);
    all.push(Arc::new(Checkpointer {
        data_dir: data_dir.to_path_buf(),
        sink,
        throttle: Mutex::new(Throttle::default()),
        writing: tokio::sync::Mutex::new(()),
    }));
}

fn checkpointer(state: &AppState) -> Arc<Checkpointer> {
    let data_dir = &state.config.data_dir;
    let mut all = checkpointers().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = all.iter().find(|c| &c.data_dir == data_dir) {
        return c.clone();
    }
    let c = Arc::new(Checkpointer {
        data_dir: data_dir.clone(),
        sink: Arc::new(FileCheckpoints::default_for(data_dir)),
        throttle: Mutex::new(Throttle::default()),
        writing: tokio::sync::Mutex::new(()),
    });
    all.push(c.clone());
    c
}

/// Where the audit checkpoints of this server are kept.
pub fn checkpoint_location(state: &AppState) -> String {
    checkpointer(state).sink.location()
}

/// After an append at `seq`: checkpoint now if one is due, else make sure one is written
/// within a second. Failures are logged, never returned: the entry is already committed.
async fn after_append(state: &AppState, seq: i64) {
    let checkpointer = checkpointer(state);
    let (due, schedule) = {
        let mut t = checkpointer
            .throttle
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let due = match (t.last_seq, t.last_at) {
            (Some(last_seq), Some(last_at)) => {
                seq - last_seq >= CHECKPOINT_EVERY || last_at.elapsed() >= CHECKPOINT_INTERVAL
            }
            _ => true,
        };
        let schedule = !due && !t.flush_scheduled;
        if schedule {
            t.flush_scheduled = true;
        }
        (due, schedule)
    };
    if due {
        if let Err(e) = write_checkpoint(state, &checkpointer).await {
            tracing::error!(error = %e, "audit checkpoint not written");
        }
    } else if schedule {
        let state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(CHECKPOINT_INTERVAL).await;
            if let Ok(mut t) = checkpointer.throttle.lock() {
                t.flush_scheduled = false;
            }
            if let Err(e) = write_checkpoint(&state, &checkpointer).await {
                tracing::error!(error = %e, "audit checkpoint not written");
            }
        });
    }
}

/// Signs and stores the current head, after checking that the chain since the previous
/// checkpoint (or since the start) is intact and extends it. Does nothing when another
/// writer is busy or the head is already checkpointed; refuses (and logs) when the chain no
/// longer extends the previous checkpoint, so that checkpoint stays as evidence.
async fn write_checkpoint(state: &AppState, checkpointer: &Checkpointer) -> ServerResult<()> {
    let Ok(_writing) = checkpointer.writing.try_lock() else {
        return Ok(());
    };
    let (head_seq, head_hash) = stored_head(state).await?;
    let audit_key = PublicKey::from_verifying_key(state.keys.audit_signing().verifying_key());
    let previous = checkpointer
        .sink
        .load()
        .map_err(|e| ServerError::Internal(format!("reading the audit checkpoint: {e}")))?;
    let (from_seq, mut prev_hash) = match &previous {
        None => (1, genesis_hash()),
        Some(p) if !p.is_signed_by(&audit_key) => {
            return Err(ServerError::Internal(format!(
                "the audit checkpoint at {} is not signed by this server's audit key",
                checkpointer.sink.location()
            )));
        }
        Some(p) => {
            let seq = i64::try_from(p.seq).unwrap_or(i64::MAX);
            if seq > head_seq {
                return Err(ServerError::Internal(format!(
                    "the audit chain ends at {head_seq}, before its checkpoint at {seq}"
                )));
            }
            if seq == head_seq && p.head_hash.as_bytes() == head_hash.as_slice() {
                remember(checkpointer, head_seq);
                return Ok(());
            }
            if seq == 0 {
                (1, genesis_hash())
            } else {
                let anchor = entries_between(state, seq, seq, 1).await?;
                match anchor.first() {
                    Some(e) if e.hash == p.head_hash.as_bytes() => (seq + 1, e.hash.clone()),
                    _ => {
                        return Err(ServerError::Internal(format!(
                            "audit entry {seq} no longer has its checkpointed hash"
                        )));
                    }
                }
            }
        }
    };
    let mut expected = from_seq;
    while expected <= head_seq {
        let page = entries_between(state, expected, head_seq, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            if entry.seq != expected
                || entry.prev_hash != prev_hash
                || entry.recomputed_hash() != entry.hash
            {
                return Err(ServerError::Internal(format!(
                    "audit entry {expected} breaks the chain; checkpoint not advanced"
                )));
            }
            prev_hash = entry.hash.clone();
            expected += 1;
        }
    }
    if expected != head_seq + 1 || prev_hash != head_hash {
        return Err(ServerError::Internal(
            "the audit head does not match the last entry; checkpoint not advanced".into(),
        ));
    }
    let checkpoint = Checkpoint::sign(
        state.keys.audit_signing(),
        u64::try_from(head_seq).unwrap_or_default(),
        digest(&head_hash)?,
        state.now(),
    );
    checkpointer
        .sink
        .store(&checkpoint)
        .map_err(|e| ServerError::Internal(format!("writing the audit checkpoint: {e}")))?;
    remember(checkpointer, head_seq);
    Ok(())
}

fn remember(checkpointer: &Checkpointer, seq: i64) {
    if let Ok(mut t) = checkpointer.throttle.lock() {
        t.last_seq = Some(seq);
        t.last_at = Some(Instant::now());
    }
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
        }
    }
}
