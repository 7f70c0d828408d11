//! Backups of the embedded server: the SQLite database (an online copy, `VACUUM INTO`, taken
//! while the server serves), the attachments on disk, the server keys and the audit
//! checkpoint, into one directory with a manifest of every file's SHA-256; and the restore of
//! such a directory into an empty data directory.
//!
//! **A backup holds secrets**: the server keys decrypt every stored identification number and
//! sign audit checkpoints. The directory is created mode 0700 and every file 0600, the
//! manifest says `contains_secrets`, and a `CONTAINS-SECRETS.txt` says so in words.
//!
//! Order matters for a copy taken while the server runs: the checkpoint is read first (it
//! never signs an entry the database does not hold, so the copy reaches it), then the
//! database is copied, then the attachments (their content is on disk before the row naming
//! it commits, so every row in the copy has its file).
//!
//! A restore never moves the audit checkpoint back: when the checkpoint location (the
//! default file in the data directory, or `DINHDANH_AUDIT_CHECKPOINT`) already holds a later
//! checkpoint than the backup's, it is kept, and `audit verify` reports the entries the
//! restored trail lacks until an operator runs `audit new-epoch` ([`super::audit::start_epoch`]).
//! PostgreSQL is backed up with `pg_dump` instead (docs/design/operations.md).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::audit::{self, Checkpoint, CheckpointSink, FileCheckpoints};
use super::registration_attachments::ATTACHMENTS_DIR;
use crate::infra::config::SQLITE_FILE;
use crate::infra::db::Backend;
use crate::infra::keys::{KEYS_ENV, KEYS_FILE};
use crate::infra::rate_limit::hex;
use crate::infra::state::AppState;

/// The manifest's file name in a backup.
pub const MANIFEST_FILE: &str = "backup.json";

/// The notice's file name in a backup.
pub const SECRETS_NOTICE_FILE: &str = "CONTAINS-SECRETS.txt";

/// The manifest format this server writes and reads.
pub const FORMAT: &str = "dinhdanh-backup/1";

/// The audit checkpoint's file name in a backup.
const CHECKPOINT_COPY: &str = "audit-checkpoint.json";

const SECRETS_NOTICE: &str = "\
THIS BACKUP CONTAINS SECRETS / BẢN SAO LƯU NÀY CHỨA KHÓA BÍ MẬT

server-keys.json holds the keys that decrypt every identification number stored in the
database and that sign the audit checkpoints. Anyone holding this directory can read the
people's identification numbers and forge audit checkpoints. Keep it encrypted at rest,
readable only by the operator (the files are mode 0600, the directory 0700), and destroy it
when it is no longer needed.

server-keys.json chứa khóa giải mã mọi số định danh cá nhân trong cơ sở dữ liệu và khóa ký
điểm kiểm tra nhật ký. Ai có thư mục này đều đọc được số định danh của mọi người. Hãy lưu trữ
có mã hóa, chỉ người vận hành được đọc, và hủy khi không còn cần.
";

/// One file of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    /// Path inside the backup, `/`-separated.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// Where the audit trail stood in the copied database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHead {
    /// The last entry's position.
    pub seq: i64,
    /// Its hash, lowercase hex.
    pub hash: String,
}

/// `backup.json`: what a backup holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// Always true: the server keys are in it (or, when they come from the environment, the
    /// database's encrypted identification numbers are, which are as sensitive with them).
    pub contains_secrets: bool,
    /// What the secrets are, in words.
    pub secrets: String,
    /// When it was taken, Unix seconds.
    pub created_at: i64,
    /// The server's version that took it.
    pub server_version: String,
    /// The database's schema version (its last migration).
    pub schema_version: i64,
    /// The audit trail's head in the copied database.
    pub audit_head: BackupHead,
    /// The checkpoint's position at the time, if there was one.
    pub checkpoint_seq: Option<u64>,
    /// Whether the server keys are in the backup (`false`: they came from
    /// `DINHDANH_SERVER_KEYS` and are kept by the deployment's secret store).
    pub keys_included: bool,
    /// Every file but the manifest and the notice.
    pub files: Vec<BackupFile>,
}

/// Why a backup or a restore did not happen. Nothing is left half-done in the data directory
/// by a refusal found before copying (every check comes first).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup directory must be new or empty.
    #[error("{0} is not empty: a backup goes into a new or empty directory")]
    TargetNotEmpty(PathBuf),
    /// The data directory to restore into already holds data.
    #[error(
        "{0} is not empty: restore into a new or empty data directory, or pass --overwrite to \
         replace its database, attachments and keys"
    )]
    DataDirNotEmpty(PathBuf),
    /// Only the embedded SQLite database is copied by this command.
    #[error(
        "the database is not the embedded SQLite file: back up and restore PostgreSQL with \
         pg_dump / pg_restore (docs/design/operations.md)"
    )]
    NotEmbedded,
    /// No manifest: not a backup.
    #[error("{0} is not a backup (no {MANIFEST_FILE})")]
    NotABackup(PathBuf),
    /// A manifest of another format.
    #[error("unknown backup format {0:?} (this server reads {FORMAT})")]
    UnknownFormat(String),
    /// The backup was taken by a newer server: this binary cannot run its schema.
    #[error(
        "the backup's database has schema version {backup}, newer than this server's \
         {binary}: restore it with the server version that took it ({server_version})"
    )]
    NewerSchema {
        /// The backup's schema version.
        backup: i64,
        /// This binary's newest migration.
        binary: i64,
        /// The version that took it.
        server_version: String,
    },
    /// A file is missing, of another size or content, or not one a backup holds.
    #[error("the backup is damaged: {path}: {why}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The backup has no server keys and none are configured.
    #[error(
        "the backup holds no server keys (they came from {KEYS_ENV}): set {KEYS_ENV} to the \
         same keys before restoring"
    )]
    KeysMissing,
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Something else the server reports.
    #[error(transparent)]
    Server(#[from] crate::infra::error::ServerError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_hash_name(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `dir` is absent or an empty directory.
fn is_absent_or_empty(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io(dir)(e)),
    }
}

/// Creates `dir` (and its parents) readable by the owner only.
fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))?;
    set_mode(dir, 0o700)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// A new file readable by the owner only; fails if it exists.
fn create_private_file(path: &Path) -> Result<std::fs::File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io(path))
}

/// Copies `from` to the new private file `to`, returning its size and SHA-256.
fn copy_private(from: &Path, to: &Path) -> Result<(u64, String), BackupError> {
    let mut input = std::fs::File::open(from).map_err(io(from))?;
    let mut output = create_private_file(to)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf).map_err(io(from))?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        output.write_all(chunk).map_err(io(to))?;
        size += n as u64;
    }
    output.sync_all().map_err(io(to))?;
    Ok((size, hex(&hasher.finalize())))
}

/// Size and SHA-256 of a file.
fn digest_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut input = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(u64, String), BackupError> {
    let mut f = create_private_file(path)?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    Ok((bytes.len() as u64, hex(&Sha256::digest(bytes))))
}

/// What [`backup`] wrote.
#[derive(Clone, Debug)]
pub struct BackupSummary {
    /// The manifest written.
    pub manifest: Manifest,
    /// The attachments copied.
    pub attachments: usize,
}

/// Takes a backup of the running server's embedded database, attachments, keys and audit
/// checkpoint into `dir` (new or empty; created 0700, files 0600). See the module's
/// documentation for the order and why.
pub async fn backup(state: &AppState, dir: &Path) -> Result<BackupSummary, BackupError> {
    if state.backend != Backend::Sqlite {
        return Err(BackupError::NotEmbedded);
    }
    if !is_absent_or_empty(dir)? {
        return Err(BackupError::TargetNotEmpty(dir.to_path_buf()));
    }
    create_private_dir(dir)?;
    let mut files = Vec::new();

    // 1. The checkpoint, before the database (the copy then reaches it).
    let checkpoint = audit::current_checkpoint(state).map_err(io(dir))?;
    if let Some(c) = &checkpoint {
        let json = serde_json::to_vec_pretty(c)
            .map_err(|e| io(dir)(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let (size, sha256) = write_private(&dir.join(CHECKPOINT_COPY), &json)?;
        files.push(BackupFile {
            path: CHECKPOINT_COPY.into(),
            size,
            sha256,
        });
    }

    // 2. The database: a consistent copy while others write (SQLite's VACUUM INTO).
    let db_copy = dir.join(SQLITE_FILE);
    let db_text = db_copy.to_str().ok_or_else(|| {
        io(dir)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the backup path is not UTF-8",
        ))
    })?;
    sqlx::query("VACUUM INTO $1")
        .bind(db_text)
        .execute(&state.pool)
        .await?;
    set_mode(&db_copy, 0o600)?;
    let (schema_version, audit_head) = describe_copy(&db_copy).await?;
    let (size, sha256) = digest_file(&db_copy)?;
    files.push(BackupFile {
        path: SQLITE_FILE.into(),
        size,
        sha256,
    });

    // 3. The keys.
    let keys_included = std::env::var_os(KEYS_ENV).is_none();
    if keys_included {
        let from = state.config.data_dir.join(KEYS_FILE);
        let (size, sha256) = copy_private(&from, &dir.join(KEYS_FILE))?;
        files.push(BackupFile {
            path: KEYS_FILE.into(),
            size,
            sha256,
        });
    }

    // 4. The attachments, after the database.
    let from_dir = state.config.data_dir.join(ATTACHMENTS_DIR);
    let to_dir = dir.join(ATTACHMENTS_DIR);
    let mut attachments = 0;
    if from_dir.is_dir() {
        create_private_dir(&to_dir)?;
        let mut names: Vec<String> = std::fs::read_dir(&from_dir)
            .map_err(io(&from_dir))?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_hash_name(n))
            .collect();
        names.sort();
        for name in names {
            let (size, sha256) = copy_private(&from_dir.join(&name), &to_dir.join(&name))?;
            files.push(BackupFile {
                path: format!("{ATTACHMENTS_DIR}/{name}"),
                size,
                sha256,
            });
            attachments += 1;
        }
    }

    write_private(&dir.join(SECRETS_NOTICE_FILE), SECRETS_NOTICE.as_bytes())?;
    let manifest = Manifest {
        format: FORMAT.into(),
        contains_secrets: true,
        secrets: if keys_included {
            format!(
                "{KEYS_FILE}: the server keys (decrypt identification numbers, sign audit \
                 checkpoints); see {SECRETS_NOTICE_FILE}"
            )
        } else {
            format!(
                "the keys came from {KEYS_ENV} and are not here; the database's encrypted \
                 identification numbers are; see {SECRETS_NOTICE_FILE}"
            )
        },
        created_at: state.now(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        audit_head,
        checkpoint_seq: checkpoint.map(|c| c.seq),
        keys_included,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| io(dir)(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    write_private(&dir.join(MANIFEST_FILE), &json)?;
    Ok(BackupSummary {
        manifest,
        attachments,
    })
}

/// The schema version and audit head of a copied database file.
async fn describe_copy(path: &Path) -> Result<(i64, BackupHead), BackupError> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    let schema_version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&mut conn)
            .await?;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut conn)
            .await?;
    conn.close().await?;
    let (seq, hash) = head.unwrap_or((0, audit::genesis_hash()));
    Ok((
        schema_version.unwrap_or_default(),
        BackupHead {
            seq,
            hash: hex(&hash),
        },
    ))
}

/// What happened to the audit checkpoint on restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoredCheckpoint {
    /// The backup's checkpoint was put in place.
    FromBackup {
        /// Its position.
        seq: u64,
    },
    /// A later checkpoint was already there and was kept: the restored trail falls short of
    /// it until an operator starts a new epoch.
    KeptLater {
        /// Its epoch.
        epoch: u64,
        /// Its position.
        seq: u64,
    },
    /// Neither had one.
    None,
}

/// What [`restore`] did.
#[derive(Clone, Debug)]
pub struct RestoreSummary {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Where the checkpoint is kept, and what happened to it.
    pub checkpoint_location: String,
    /// What happened to it.
    pub checkpoint: RestoredCheckpoint,
}

/// The files of the backup set in a data directory (what `--overwrite` replaces).
fn set_paths(data_dir: &Path) -> Vec<PathBuf> {
    let db = data_dir.join(SQLITE_FILE);
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let mut shm = db.clone().into_os_string();
    shm.push("-shm");
    vec![
        db,
        PathBuf::from(wal),
        PathBuf::from(shm),
        data_dir.join(KEYS_FILE),
        data_dir.join(ATTACHMENTS_DIR),
    ]
}

/// Checks every file of the backup in `from` against its manifest; returns the manifest.
pub fn check_backup(from: &Path) -> Result<Manifest, BackupError> {
    let manifest_path = from.join(MANIFEST_FILE);
    let text = match std::fs::read(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NotABackup(from.to_path_buf()));
        }
        Err(e) => return Err(io(&manifest_path)(e)),
    };
    let format = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format")?.as_str().map(str::to_owned));
    match format.as_deref() {
        Some(FORMAT) => {}
        Some(other) => return Err(BackupError::UnknownFormat(other.into())),
        None => return Err(BackupError::NotABackup(from.to_path_buf())),
    }
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|_| BackupError::Damaged {
        path: MANIFEST_FILE.into(),
        why: "not the expected JSON",
    })?;
    let binary = crate::infra::db::latest_migration(Backend::Sqlite);
    if manifest.schema_version > binary {
        return Err(BackupError::NewerSchema {
            backup: manifest.schema_version,
            binary,
            server_version: manifest.server_version.clone(),
        });
    }
    let mut has_db = false;
    for f in &manifest.files {
        let known = f.path == SQLITE_FILE
            || f.path == KEYS_FILE
            || f.path == CHECKPOINT_COPY
            || f.path
                .strip_prefix(ATTACHMENTS_DIR)
                .and_then(|p| p.strip_prefix('/'))
                .is_some_and(is_hash_name);
        if !known {
            return Err(BackupError::Damaged {
                path: f.path.clone(),
                why: "not a file a backup holds",
            });
        }
        has_db |= f.path == SQLITE_FILE;
        let (size, sha256) = match digest_file(&from.join(&f.path)) {
            Ok(d) => d,
            Err(BackupError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Err(BackupError::Damaged {
                    path: f.path.clone(),
                    why: "missing",
                });
            }
            Err(e) => return Err(e),
        };
        if size != f.size || sha256 != f.sha256 {
            return Err(BackupError::Damaged {
                path: f.path.clone(),
                why: "its content is not the one the manifest lists",
            });
        }
    }
    if !has_db {
        return Err(BackupError::Damaged {
            path: SQLITE_FILE.into(),
            why: "missing from the manifest",
        });
    }
    Ok(manifest)
}

/// Restores the backup in `from` into `data_dir` for the embedded server (run with no server
/// on that directory). `data_dir` must be new or empty unless `overwrite`, which replaces its
/// database, attachments and keys. The checkpoint goes where the server keeps it
/// (`DINHDANH_AUDIT_CHECKPOINT`, else the data directory) unless a later one is already there.
pub fn restore(
    from: &Path,
    data_dir: &Path,
    overwrite: bool,
) -> Result<RestoreSummary, BackupError> {
    let manifest = check_backup(from)?;
    if !manifest.keys_included && std::env::var_os(KEYS_ENV).is_none() {
        return Err(BackupError::KeysMissing);
    }
    if !is_absent_or_empty(data_dir)? {
        if !overwrite {
            return Err(BackupError::DataDirNotEmpty(data_dir.to_path_buf()));
        }
        for path in set_paths(data_dir) {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match removed {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
    }
    create_private_dir(data_dir)?;
    let mut backup_checkpoint = None;
    for f in &manifest.files {
        let source = from.join(&f.path);
        if f.path == CHECKPOINT_COPY {
            let bytes = std::fs::read(&source).map_err(io(&source))?;
            let c: Checkpoint =
                serde_json::from_slice(&bytes).map_err(|_| BackupError::Damaged {
                    path: f.path.clone(),
                    why: "not a checkpoint",
                })?;
            backup_checkpoint = Some(c);
            continue;
        }
        let target = data_dir.join(&f.path);
        if let Some(parent) = target.parent() {
            if parent != data_dir {
                create_private_dir(parent)?;
            }
        }
        let (_, sha256) = copy_private(&source, &target)?;
        if sha256 != f.sha256 {
            return Err(BackupError::Damaged {
                path: f.path.clone(),
                why: "changed while it was restored",
            });
        }
    }

    let sink = FileCheckpoints::default_for(data_dir);
    let existing = sink.load().map_err(io(data_dir))?;
    let checkpoint = match (existing, backup_checkpoint) {
        (Some(there), Some(ours)) if there == ours => {
            RestoredCheckpoint::FromBackup { seq: ours.seq }
        }
        (Some(there), Some(ours)) if !ours.is_later_than(&there) => RestoredCheckpoint::KeptLater {
            epoch: there.epoch,
            seq: there.seq,
        },
        (Some(there), None) => RestoredCheckpoint::KeptLater {
            epoch: there.epoch,
            seq: there.seq,
        },
        (_, Some(ours)) => {
            sink.store(&ours).map_err(io(data_dir))?;
            RestoredCheckpoint::FromBackup { seq: ours.seq }
        }
        (None, None) => RestoredCheckpoint::None,
    };
    Ok(RestoreSummary {
        manifest,
        checkpoint_location: sink.location(),
        checkpoint,
    })
}
