//! Attachments (documents a person uploaded for a registration request) as stored: the
//! metadata; the content lives on disk, named by its SHA-256.

use dinhdanh_core::ids::{AccountId, AttachmentId, RegistrationId};
use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// The folder of the data directory that holds attachments' content, one file per content
/// named by the lowercase hex of its SHA-256.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// An attachment's metadata as stored.
#[derive(sqlx::FromRow)]
pub struct AttachmentRow {
    /// Its id.
    pub id: String,
    /// Whose it is: who uploaded it, or the requester of the request it was scanned for at the
    /// counter; `None` while that person has no account.
    pub owner_account: Option<String>,
    /// The document kind's word.
    pub kind: String,
    /// The media type's word.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: Vec<u8>,
    /// Unix seconds.
    pub uploaded_at: i64,
}

/// A new attachment's metadata.
pub struct NewAttachment<'a> {
    /// Its id.
    pub id: &'a str,
    /// Whose it is: the uploader's account, or the requester's (if any) for a scan.
    pub owner: Option<&'a AccountId>,
    /// The keyed hash of that person's identification number.
    pub owner_key: &'a [u8],
    /// The document kind's word.
    pub kind: String,
    /// The media type's word.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: Vec<u8>,
    /// Unix seconds.
    pub uploaded_at: i64,
}

const COLUMNS: &str =
    "a.id, a.owner_account, a.kind, a.media_type, a.size, a.sha256, a.uploaded_at";

/// Stores an attachment's metadata.
pub async fn insert(conn: &mut AnyConnection, new: &NewAttachment<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO attachments (id, owner_account, owner_key, kind, media_type, size, sha256, \
         uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.id)
    .bind(new.owner.map(|a| a.as_str().to_owned()))
    .bind(new.owner_key.to_vec())
    .bind(&new.kind)
    .bind(&new.media_type)
    .bind(new.size)
    .bind(new.sha256.clone())
    .bind(new.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many attachments `owner` uploaded since `since` (Unix seconds), and their bytes.
pub async fn uploaded_since(
    conn: &mut AnyConnection,
    owner: &AccountId,
    since: i64,
) -> ServerResult<(i64, i64)> {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments \
         WHERE owner_account = $1 AND uploaded_at >= $2",
    )
    .bind(owner.as_str())
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// An attachment.
pub async fn find(
    conn: &mut AnyConnection,
    id: &AttachmentId,
) -> ServerResult<Option<AttachmentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments a WHERE a.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?)
}

/// The kind's word of an attachment of the person with citizen key `owner_key`; `None` when
/// it is not theirs.
pub async fn kind_owned_by(
    conn: &mut AnyConnection,
    id: &AttachmentId,
    owner_key: &[u8],
) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT kind FROM attachments WHERE id = $1 AND owner_key = $2")
            .bind(id.as_str())
            .bind(owner_key.to_vec())
            .fetch_optional(conn)
            .await?,
    )
}

/// Makes `account` the owner of the attachments scanned for its person (citizen key
/// `citizen_key`) while they had no account; answers how many.
pub async fn link_owner(
    conn: &mut AnyConnection,
    account: &AccountId,
    citizen_key: &[u8],
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE attachments SET owner_account = $1 WHERE owner_account IS NULL AND owner_key = $2",
    )
    .bind(account.as_str())
    .bind(citizen_key.to_vec())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The attachments of a request, oldest first.
pub async fn of_registration(
    conn: &mut AnyConnection,
    id: &RegistrationId,
) -> ServerResult<Vec<AttachmentRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments a JOIN registration_attachments r \
         ON r.attachment_id = a.id WHERE r.registration_id = $1 ORDER BY a.uploaded_at, a.id"
    ))
    .bind(id.as_str())
    .fetch_all(conn)
    .await?)
}

/// Whether the attachment is linked to a request of `province` (key).
pub async fn attached_in_province(
    conn: &mut AnyConnection,
    id: &AttachmentId,
    province: &str,
) -> ServerResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_attachments ra \
         JOIN registrations r ON r.id = ra.registration_id \
         WHERE ra.attachment_id = $1 AND r.province = $2",
    )
    .bind(id.as_str())
    .bind(province)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
