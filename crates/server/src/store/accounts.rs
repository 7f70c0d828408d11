//! Personal accounts (`accounts`): level as a number (1, 2), `locked` as 0/1.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// An account as stored.
#[derive(sqlx::FromRow)]
pub struct AccountRecord {
    /// The account's id.
    pub id: String,
    /// Keyed hash of the owner's identification number.
    pub citizen_key: Vec<u8>,
    /// 1 or 2.
    pub level: i64,
    /// The argon2id hash (PHC string).
    pub password_hash: String,
    /// 0 or 1.
    pub locked: i64,
}

const COLUMNS: &str = "id, citizen_key, level, password_hash, locked";

/// The account of the person with this citizen key.
pub async fn by_key(conn: &mut AnyConnection, key: &[u8]) -> ServerResult<Option<AccountRecord>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE citizen_key = $1"
    ))
    .bind(key.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// An account by its id.
pub async fn by_id(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<AccountRecord>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The id of the account of the person with this citizen key.
pub async fn id_by_key(conn: &mut AnyConnection, key: &[u8]) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE citizen_key = $1")
            .bind(key.to_vec())
            .fetch_optional(conn)
            .await?,
    )
}

/// Inserts an unlocked account; `false` when the person already has one.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    key: &[u8],
    level: i64,
    password_hash: &str,
    now: i64,
) -> ServerResult<bool> {
    let done = sqlx::query(
        "INSERT INTO accounts (id, citizen_key, level, password_hash, locked, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (citizen_key) DO NOTHING",
    )
    .bind(id)
    .bind(key.to_vec())
    .bind(level)
    .bind(password_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the level; returns the owner's citizen key, `None` when there is no such account.
pub async fn set_level(
    conn: &mut AnyConnection,
    id: &str,
    level: i64,
) -> ServerResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("UPDATE accounts SET level = $1 WHERE id = $2 RETURNING citizen_key")
            .bind(level)
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Locks (with its reason) or unlocks an account that is in the other state; returns the
/// owner's citizen key, `None` when there is no such account in the other state.
pub async fn set_lock(
    conn: &mut AnyConnection,
    id: &str,
    lock: bool,
    reason: Option<&str>,
) -> ServerResult<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar(
        "UPDATE accounts SET locked = $1, locked_reason = $2 WHERE id = $3 AND locked = $4 \
         RETURNING citizen_key",
    )
    .bind(i64::from(lock))
    .bind(reason)
    .bind(id)
    .bind(i64::from(!lock))
    .fetch_optional(conn)
    .await?)
}

/// Locks the account at its owner's request (whatever its state); `false` when the account
/// is not the person's.
pub async fn lock_by_owner(conn: &mut AnyConnection, id: &str, key: &[u8]) -> ServerResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET locked = 1, locked_reason = 'self' WHERE id = $1 AND citizen_key = $2",
    )
    .bind(id)
    .bind(key.to_vec())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the account (of the person with this key) is locked, 0/1; `None` when the account
/// is not the person's.
pub async fn locked_of(
    conn: &mut AnyConnection,
    id: &str,
    key: &[u8],
) -> ServerResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT locked FROM accounts WHERE id = $1 AND citizen_key = $2")
            .bind(id)
            .bind(key.to_vec())
            .fetch_optional(conn)
            .await?,
    )
}

/// What an account's owner sees of it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountViewRow {
    /// 1 or 2.
    pub level: i64,
    /// 0 or 1.
    pub locked: i64,
    /// The owner's full name.
    pub full_name: String,
    /// The owner's identification number, masked.
    pub citizen_masked: String,
    /// The province of its officer grant, if it has one.
    pub officer_province: Option<String>,
    /// When that grant was made.
    pub officer_granted_at: Option<i64>,
}

/// The columns of an [`AccountViewRow`], for a read of `accounts a` joined with [`VIEW_JOINS`]
/// (also the session reads of `store::sessions` and `store::proof_nonces`).
pub const VIEW_COLUMNS: &str = "a.level, a.locked, c.full_name, c.citizen_masked, \
     o.province AS officer_province, o.granted_at AS officer_granted_at";

/// What [`VIEW_COLUMNS`] reads besides `accounts a`.
pub const VIEW_JOINS: &str = "JOIN citizens c ON c.citizen_key = a.citizen_key \
     LEFT JOIN officers o ON o.account_id = a.id";

/// The account with its owner's name and masked number, and its officer grant if any (one
/// statement: every signed-in screen reads this, issue 18).
pub async fn view(conn: &mut AnyConnection, id: &str) -> ServerResult<Option<AccountViewRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {VIEW_COLUMNS} FROM accounts a {VIEW_JOINS} WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}
