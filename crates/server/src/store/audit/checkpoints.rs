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
