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
//! ## Epochs: a restore to an earlier point
//!
//! A database restored from a backup ends before the last checkpoint, exactly like a trail
//! cut short. The operator says so with `dinhdanh-server audit new-epoch --reason "…"`
//! ([`start_epoch`], `epochs.rs`): the trail must be intact; an `audit.epoch.started` entry is
//! appended and a signed [`EpochStart`] — the previous checkpoint next to the head as found,
//! and the reason — is carried by every later checkpoint, which are signed with the epoch
//! number. Verification then accepts the shorter trail, requires it to still hold each
//! epoch's starting head, and reports the epochs.
//!
//! [`ServerKeys::audit_signing`]: crate::infra::keys::ServerKeys::audit_signing

mod checkpoints;
mod epochs;
mod reading;
mod verification;
mod writing;

pub use checkpoints::{
    CHECKPOINT_ENV, CHECKPOINT_EVERY, CHECKPOINT_FILE, Checkpoint, CheckpointSink, EpochFacts,
    EpochStart, FileCheckpoints, checkpoint_location, checkpoint_message,
    checkpoint_message_in_epoch, current_checkpoint, use_checkpoint_sink,
};
pub use epochs::{EpochRefused, MAX_EPOCH_REASON_CHARS, start_epoch};
pub use reading::{digest, entries_about, entries_for_organisation, entries_of_person, outcome};
pub use verification::{Break, ChainReport, CheckpointState, verify_chain, verify_chain_report};
pub use writing::{
    Actor, AuditRecord, EntryFields, after_commit, append, append_all_in, append_in, audit_record,
    entry_hash, genesis_hash, refuse, refuse_with,
};
