//! Checkpoints: the chain's head signed with the audit key and kept outside the database, and
//! the throttle that decides when one is written.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use dinhdanh_core::crypto::{Digest32, PublicKey, Signature};
use serde::{Deserialize, Serialize};

use super::reading::{digest, entries_between, stored_head};
use super::verification::PAGE;
use super::writing::genesis_hash;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// Domain tag of checkpoint signatures (epoch 0).
const CHECKPOINT_DOMAIN: &[u8] = b"dinhdanh/audit-checkpoint/v1";

/// Domain tag of checkpoint signatures in a later epoch (the epoch is signed too).
const CHECKPOINT_EPOCH_DOMAIN: &[u8] = b"dinhdanh/audit-checkpoint/v2";

/// Domain tag of the signed record that starts an epoch.
const EPOCH_DOMAIN: &[u8] = b"dinhdanh/audit-epoch/v1";

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
    /// ECDSA P-256/SHA-256 over [`checkpoint_message_in_epoch`].
    pub signature: Signature,
    /// The checkpoint epoch: 0 until an operator accepted a restore to an earlier point
    /// ([`super::start_epoch`]); then the number of epochs started, each in [`Self::epochs`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u64,
    /// How each later epoch began, oldest first: what the previous checkpoint had signed and
    /// where the trail stood instead. Carried forward by every later checkpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epochs: Vec<EpochStart>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What an epoch's start records: an operator accepted that the trail no longer reaches the
/// previous checkpoint (a restore from a backup), and said why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochFacts {
    /// The epoch this starts (1 for the first restart).
    pub epoch: u64,
    /// When, Unix seconds.
    pub at: i64,
    /// Why, as the operator wrote it.
    pub reason: String,
    /// The previous checkpoint's position: how far the trail had reached.
    pub previous_seq: u64,
    /// The previous checkpoint's hash.
    pub previous_hash: Digest32,
    /// When the previous checkpoint was made.
    pub previous_at: i64,
    /// The trail's last entry when the epoch started (the restored head).
    pub found_seq: u64,
    /// Its hash.
    pub found_hash: Digest32,
}

impl EpochFacts {
    /// The signed bytes: domain tag, then every field, fixed-width big-endian, the reason
    /// length-prefixed.
    pub fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(EPOCH_DOMAIN.len() + 160 + self.reason.len());
        m.extend((EPOCH_DOMAIN.len() as u64).to_be_bytes());
        m.extend(EPOCH_DOMAIN);
        m.extend(self.epoch.to_be_bytes());
        m.extend(self.at.to_be_bytes());
        m.extend(self.previous_seq.to_be_bytes());
        m.extend(self.previous_hash.as_bytes());
        m.extend(self.previous_at.to_be_bytes());
        m.extend(self.found_seq.to_be_bytes());
        m.extend(self.found_hash.as_bytes());
        m.extend((self.reason.len() as u64).to_be_bytes());
        m.extend(self.reason.as_bytes());
        m
    }

    /// How many entries of the earlier trail this database lacks, when the trail was cut
    /// short (`None` when it went on past the previous checkpoint with other entries).
    pub fn entries_lost(&self) -> Option<u64> {
        self.previous_seq
            .checked_sub(self.found_seq)
            .filter(|n| *n > 0)
    }
}

/// [`EpochFacts`] signed by the audit key; kept in every later checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochStart {
    /// What it records.
    #[serde(flatten)]
    pub facts: EpochFacts,
    /// ECDSA P-256/SHA-256 by the audit key over [`EpochFacts::message`].
    pub signature: Signature,
}

impl EpochStart {
    /// Signs `facts` with `key`.
    pub fn sign(key: &p256::ecdsa::SigningKey, facts: EpochFacts) -> Self {
        let signature = dinhdanh_core::crypto::sign_with(key, &facts.message());
        EpochStart { facts, signature }
    }

    /// Whether `key` signed exactly these facts.
    pub fn is_signed_by(&self, key: &PublicKey) -> bool {
        dinhdanh_core::crypto::verify(key, &self.facts.message(), &self.signature).is_ok()
    }
}

/// The signed bytes of an epoch-0 checkpoint: domain tag, then `seq` (u64), the head hash (32
/// bytes) and `at` (i64), all fixed-width big-endian, so no two checkpoints share an encoding.
pub fn checkpoint_message(seq: u64, head_hash: &Digest32, at: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 8 + 8 + 32 + 8);
    m.extend((CHECKPOINT_DOMAIN.len() as u64).to_be_bytes());
    m.extend(CHECKPOINT_DOMAIN);
    m.extend(seq.to_be_bytes());
    m.extend(head_hash.as_bytes());
    m.extend(at.to_be_bytes());
    m
}

/// The signed bytes of a checkpoint in `epoch`: [`checkpoint_message`] in epoch 0 (so
/// checkpoints written before epochs existed still verify), else another domain tag followed
/// by the epoch, `seq`, the head hash and `at`.
pub fn checkpoint_message_in_epoch(epoch: u64, seq: u64, head_hash: &Digest32, at: i64) -> Vec<u8> {
    if epoch == 0 {
        return checkpoint_message(seq, head_hash, at);
    }
    let mut m = Vec::with_capacity(CHECKPOINT_EPOCH_DOMAIN.len() + 8 + 8 + 8 + 32 + 8);
    m.extend((CHECKPOINT_EPOCH_DOMAIN.len() as u64).to_be_bytes());
    m.extend(CHECKPOINT_EPOCH_DOMAIN);
    m.extend(epoch.to_be_bytes());
    m.extend(seq.to_be_bytes());
    m.extend(head_hash.as_bytes());
    m.extend(at.to_be_bytes());
    m
}

impl Checkpoint {
    /// Signs `(seq, head_hash, at)` with `key`, in epoch 0.
    pub fn sign(key: &p256::ecdsa::SigningKey, seq: u64, head_hash: Digest32, at: i64) -> Self {
        Self::sign_after(key, Vec::new(), seq, head_hash, at)
    }

    /// Signs `(seq, head_hash, at)` with `key` in the epoch `epochs` lead to (their number),
    /// carrying them.
    pub fn sign_after(
        key: &p256::ecdsa::SigningKey,
        epochs: Vec<EpochStart>,
        seq: u64,
        head_hash: Digest32,
        at: i64,
    ) -> Self {
        let epoch = epochs.len() as u64;
        let signature = dinhdanh_core::crypto::sign_with(
            key,
            &checkpoint_message_in_epoch(epoch, seq, &head_hash, at),
        );
        Checkpoint {
            seq,
            head_hash,
            at,
            key: PublicKey::from_verifying_key(key.verifying_key()),
            signature,
            epoch,
            epochs,
        }
    }

    /// Whether `key` signed exactly these fields, and every epoch record it carries, numbered
    /// 1, 2, … up to its own epoch.
    pub fn is_signed_by(&self, key: &PublicKey) -> bool {
        let numbered = self.epoch == self.epochs.len() as u64
            && self
                .epochs
                .iter()
                .zip(1u64..)
                .all(|(e, n)| e.facts.epoch == n && e.is_signed_by(key));
        numbered
            && dinhdanh_core::crypto::verify(
                key,
                &checkpoint_message_in_epoch(self.epoch, self.seq, &self.head_hash, self.at),
                &self.signature,
            )
            .is_ok()
    }

    /// Whether this checkpoint is later than `other`: a later epoch, or further along the
    /// same one.
    pub fn is_later_than(&self, other: &Checkpoint) -> bool {
        (self.epoch, self.seq) > (other.epoch, other.seq)
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
        // Several writers may share the file: never go backwards (a new epoch, which starts
        // at an earlier position, is forwards).
        if let Ok(Some(current)) = self.load() {
            if current.is_later_than(checkpoint) {
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
pub(super) struct Checkpointer {
    data_dir: PathBuf,
    pub(super) sink: Arc<dyn CheckpointSink>,
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

pub(super) fn checkpointer(state: &AppState) -> Arc<Checkpointer> {
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

/// The newest checkpoint of this server (what `audit verify` compares with), if any.
pub fn current_checkpoint(state: &AppState) -> std::io::Result<Option<Checkpoint>> {
    checkpointer(state).sink.load()
}

/// After an append at `seq`: checkpoint now if one is due, else make sure one is written
/// within a second. Failures are logged, never returned: the entry is already committed.
pub(super) async fn after_append(state: &AppState, seq: i64) {
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
pub(super) async fn write_checkpoint(
    state: &AppState,
    checkpointer: &Checkpointer,
) -> ServerResult<()> {
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
    let checkpoint = Checkpoint::sign_after(
        state.keys.audit_signing(),
        previous.map(|p| p.epochs).unwrap_or_default(),
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

pub(super) fn remember(checkpointer: &Checkpointer, seq: i64) {
    if let Ok(mut t) = checkpointer.throttle.lock() {
        t.last_seq = Some(seq);
        t.last_at = Some(Instant::now());
    }
}
