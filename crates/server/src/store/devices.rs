//! Bound devices (`devices`) and their confirmation keys (`confirmation_keys`). One active
//! device per account (a unique index); keys are never reused.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// The active device of an account, as stored.
#[derive(sqlx::FromRow)]
pub struct DeviceRow {
    /// The device's id.
    pub id: String,
    /// The name the person gave it.
    pub name: String,
    /// The platform's word.
    pub platform: String,
    /// The device key (33 SEC1 bytes).
    pub device_key: Vec<u8>,
    /// When it was bound.
    pub bound_at: i64,
    /// Consecutive wrong confirmations.
    pub wrong_confirmations: i64,
    /// Until when confirmation is locked.
    pub confirmation_locked_until: Option<i64>,
}

/// The account's active device.
pub async fn active(conn: &mut AnyConnection, account: &str) -> ServerResult<Option<DeviceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, platform, device_key, bound_at, wrong_confirmations, \
         confirmation_locked_until FROM devices WHERE account_id = $1 AND unbound_at IS NULL",
    )
    .bind(account)
    .fetch_optional(conn)
    .await?)
}

/// A confirmation key as listed to its owner: only its method (the key and its id are never
/// served, see `ConfirmationKeyView`).
#[derive(sqlx::FromRow)]
pub struct ConfirmationKeyRow {
    /// The method's word.
    pub method: String,
}

/// The device's confirmation keys that are not revoked, oldest first.
pub async fn active_keys(
    conn: &mut AnyConnection,
    device: &str,
) -> ServerResult<Vec<ConfirmationKeyRow>> {
    Ok(sqlx::query_as(
        "SELECT method FROM confirmation_keys \
         WHERE device_id = $1 AND revoked_at IS NULL ORDER BY created_at",
    )
    .bind(device)
    .fetch_all(conn)
    .await?)
}

/// A device of an account as sign-in reads it: bound now, or unbound since.
#[derive(sqlx::FromRow)]
pub struct AccountDevice {
    /// The device key (33 SEC1 bytes).
    pub device_key: Vec<u8>,
    /// The name the person gave it.
    pub name: String,
    /// When it was unbound; `None` while it is bound.
    pub unbound_at: Option<i64>,
}

/// The device `device` of `account`, bound now or once (one look-up by primary key either
/// way, so the answer's time does not tell which).
pub async fn of_account(
    conn: &mut AnyConnection,
    device: &str,
    account: &str,
) -> ServerResult<Option<AccountDevice>> {
    Ok(sqlx::query_as(
        "SELECT device_key, name, unbound_at FROM devices WHERE id = $1 AND account_id = $2",
    )
    .bind(device)
    .bind(account)
    .fetch_optional(conn)
    .await?)
}

/// Whether the device bound to `account` now was bound at `at`, the moment another device of
/// the account was unbound: binding unbinds the old device and binds the new one in one
/// transaction, at one time. (A self-lock unbinds and binds nothing; after a later re-binding
/// the times differ too, and the caller then says only when the device was unbound.) Reads
/// the active device through the one-active-device index.
pub async fn bound_at_once(conn: &mut AnyConnection, account: &str, at: i64) -> ServerResult<bool> {
    let bound_at: Option<i64> = sqlx::query_scalar(
        "SELECT bound_at FROM devices WHERE account_id = $1 AND unbound_at IS NULL",
    )
    .bind(account)
    .fetch_optional(conn)
    .await?;
    Ok(bound_at == Some(at))
}

/// The wrong-confirmation count of `device` when it is bound to `account` now.
pub async fn wrong_confirmations(
    conn: &mut AnyConnection,
    device: &str,
    account: &str,
) -> ServerResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT wrong_confirmations FROM devices WHERE id = $1 AND account_id = $2 AND unbound_at IS NULL",
    )
    .bind(device)
    .bind(account)
    .fetch_optional(conn)
    .await?)
}

/// Unbinds the account's active device, voiding its confirmation keys, and returns the ids of
/// the devices unbound.
pub async fn unbind_all(
    conn: &mut AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<Vec<String>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "UPDATE devices SET unbound_at = $1 WHERE account_id = $2 AND unbound_at IS NULL RETURNING id",
    )
    .bind(now)
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        sqlx::query(
            "UPDATE confirmation_keys SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(ids)
}

/// A device to bind.
pub struct NewDevice<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its owner.
    pub account: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The platform's word.
    pub platform: &'a str,
    /// The device key (33 SEC1 bytes).
    pub device_key: Vec<u8>,
    /// The device key's id.
    pub device_key_id: Vec<u8>,
    /// When.
    pub bound_at: i64,
}

/// Binds a device.
pub async fn insert(conn: &mut AnyConnection, device: NewDevice<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO devices (id, account_id, name, platform, device_key, device_key_id, bound_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(device.id)
    .bind(device.account)
    .bind(device.name)
    .bind(device.platform)
    .bind(device.device_key)
    .bind(device.device_key_id)
    .bind(device.bound_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a confirmation key to a device.
pub async fn insert_key(
    conn: &mut AnyConnection,
    device: &str,
    method: &str,
    key_id: Vec<u8>,
    public_key: Vec<u8>,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO confirmation_keys (key_id, device_id, method, public_key, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key_id)
    .bind(device)
    .bind(method)
    .bind(public_key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes the device's live keys of one method.
pub async fn revoke_keys(
    conn: &mut AnyConnection,
    device: &str,
    method: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE confirmation_keys SET revoked_at = $1 \
         WHERE device_id = $2 AND method = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(device)
    .bind(method)
    .execute(conn)
    .await?;
    Ok(())
}

/// Clears the device's wrong-confirmation count and lock.
pub async fn clear_wrong_confirmations(conn: &mut AnyConnection, device: &str) -> ServerResult<()> {
    sqlx::query(
        "UPDATE devices SET wrong_confirmations = 0, confirmation_locked_until = NULL WHERE id = $1",
    )
    .bind(device)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a key with this id is registered, as a device key or a confirmation key.
pub async fn key_known(conn: &mut AnyConnection, key_id: Vec<u8>) -> ServerResult<bool> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM devices WHERE device_key_id = $1 \
         UNION ALL SELECT 1 FROM confirmation_keys WHERE key_id = $1",
    )
    .bind(key_id)
    .fetch_optional(conn)
    .await?;
    Ok(known.is_some())
}
