//! What the confirmation check reads and writes: the confirmation keys a device registered
//! (one per method) with their last counter, and the device's wrong-confirmation counters
//! (columns of `devices`, so they survive restarts and every instance shares them). Keys are
//! registered at binding by the devices resource; only the confirmation check reads them here.

use std::sync::LazyLock;

use sqlx::AnyConnection;

use crate::infra::db::Backend;
use crate::infra::error::ServerResult;

/// The confirming device's state, as stored.
#[derive(sqlx::FromRow)]
pub struct ConfirmingDevice {
    /// The device.
    pub id: String,
    /// Its device key (33 SEC1 bytes).
    pub device_key: Vec<u8>,
    /// Consecutive wrong confirmations.
    pub wrong_confirmations: i64,
    /// Until when confirmation is locked, if it is.
    pub confirmation_locked_until: Option<i64>,
}

/// A device's active confirmation key for one method.
#[derive(sqlx::FromRow)]
pub struct ConfirmationKeyRow {
    /// The key's id.
    pub key_id: Vec<u8>,
    /// The public key (33 SEC1 bytes).
    pub public_key: Vec<u8>,
    /// The counter of the last confirmation it made, if any.
    pub last_counter: Option<i64>,
}

/// The confirming device's state with its active (unrevoked) key for one method, read together.
#[derive(sqlx::FromRow)]
pub struct ConfirmingDeviceAndKey {
    /// The device.
    #[sqlx(flatten)]
    pub device: ConfirmingDevice,
    /// The key's id, when the device registered a key for the method.
    pub key_id: Option<Vec<u8>>,
    /// Its public key (33 SEC1 bytes).
    pub public_key: Option<Vec<u8>>,
    /// The counter of its last confirmation, if any.
    pub last_counter: Option<i64>,
}

impl ConfirmingDeviceAndKey {
    /// The two parts: the device, and its key for the method if it registered one.
    pub fn split(self) -> (ConfirmingDevice, Option<ConfirmationKeyRow>) {
        let key = match (self.key_id, self.public_key) {
            (Some(key_id), Some(public_key)) => Some(ConfirmationKeyRow {
                key_id,
                public_key,
                last_counter: self.last_counter,
            }),
            _ => None,
        };
        (self.device, key)
    }
}

/// `account`'s bound device `device`, if it is still bound, with its active key for `method`
/// (its stored word), in one statement.
pub async fn confirming_device_and_key(
    conn: &mut AnyConnection,
    device: &str,
    account: &str,
    method: &str,
) -> ServerResult<Option<ConfirmingDeviceAndKey>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.device_key, d.wrong_confirmations, d.confirmation_locked_until, \
                k.key_id, k.public_key, k.last_counter \
         FROM devices d LEFT JOIN confirmation_keys k \
           ON k.device_id = d.id AND k.method = $3 AND k.revoked_at IS NULL \
         WHERE d.id = $1 AND d.account_id = $2 AND d.unbound_at IS NULL",
    )
    .bind(device)
    .bind(account)
    .bind(method)
    .fetch_optional(conn)
    .await?)
}

/// A right confirmation by `key_id` on `device`: `counter` stored as the key's last one, only
/// if it is above the stored one, and then the device's wrong-confirmation count and lock
/// cleared; false, with nothing changed, when the counter is not above (or the key was revoked
/// meanwhile). Conditional on the stored counter, so two concurrent confirmations with one
/// counter cannot both pass. One statement on PostgreSQL (a data-modifying `WITH`), two on
/// SQLite.
pub async fn accept(
    conn: &mut AnyConnection,
    backend: Backend,
    key_id: &[u8],
    counter: i64,
    device: &str,
) -> ServerResult<bool> {
    const ADVANCE: &str = "UPDATE confirmation_keys SET last_counter = $1 \
         WHERE key_id = $2 AND revoked_at IS NULL AND (last_counter IS NULL OR last_counter < $1)";
    match backend {
        Backend::Sqlite => {
            let stored = sqlx::query(ADVANCE)
                .bind(counter)
                .bind(key_id.to_vec())
                .execute(&mut *conn)
                .await?;
            if stored.rows_affected() != 1 {
                return Ok(false);
            }
            crate::store::devices::clear_wrong_confirmations(conn, device).await?;
            Ok(true)
        }
        Backend::Postgres => {
            let advanced: i64 = sqlx::query_scalar(&format!(
                "WITH advanced AS ({ADVANCE} RETURNING 1), \
                 cleared AS (UPDATE devices SET wrong_confirmations = 0, \
                   confirmation_locked_until = NULL \
                   WHERE id = $3 AND EXISTS (SELECT 1 FROM advanced)) \
                 SELECT COUNT(*) FROM advanced"
            ))
            .bind(counter)
            .bind(key_id.to_vec())
            .bind(device)
            .fetch_one(conn)
            .await?;
            Ok(advanced == 1)
        }
    }
}

/// [`reserve_attempt`]'s conditional `UPDATE`.
const RESERVE: &str = "UPDATE devices SET wrong_confirmations = wrong_confirmations + 1 \
     WHERE id = $1 AND account_id = $2 AND unbound_at IS NULL AND wrong_confirmations < $4 \
     AND (confirmation_locked_until IS NULL OR confirmation_locked_until <= $5) \
     AND EXISTS (SELECT 1 FROM confirmation_keys \
                 WHERE device_id = $1 AND method = $3 AND revoked_at IS NULL)";

/// [`RESERVE`] with the device and its key read by the same statement (PostgreSQL's
/// data-modifying `WITH`), made once.
static RESERVE_AND_READ: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH d AS ({RESERVE} \
           RETURNING id, device_key, wrong_confirmations, confirmation_locked_until) \
         SELECT d.id, d.device_key, d.wrong_confirmations, \
                d.confirmation_locked_until, k.key_id, k.public_key, k.last_counter \
         FROM d JOIN confirmation_keys k \
           ON k.device_id = d.id AND k.method = $3 AND k.revoked_at IS NULL"
    )
});

/// An attempt reserved by [`reserve_attempt`]: the device, its wrong-confirmation count now
/// counting this attempt, and its key for the method.
pub struct ReservedAttempt {
    /// The device (`wrong_confirmations` includes this attempt).
    pub device: ConfirmingDevice,
    /// Its active key for the method.
    pub key: ConfirmationKeyRow,
}

/// Reserves one attempt at a confirmation by `account`'s bound device `device` with its key
/// for `method` (its stored word), as if it were wrong: one conditional `UPDATE` that counts
/// it only while the device is bound to the account, below `rebind_after` wrong confirmations,
/// not locked at `now`, and holds an active key for the method; the device and that key are
/// returned with it. `None` when no attempt may be made (not bound, must be bound again,
/// locked, or no key for the method; nothing changed — `confirming_device_and_key` tells
/// which). Of concurrent attempts each sees the others' reservations (the row is written, so
/// they queue on its lock), so no burst gets more tries than the limits leave. A right
/// confirmation then clears the count ([`accept`]); a refusal that says nothing about the
/// passcode gives the attempt back ([`release_attempt`]). One statement on PostgreSQL (a
/// data-modifying `WITH`), two on SQLite.
#[allow(clippy::too_many_arguments)]
pub async fn reserve_attempt(
    conn: &mut AnyConnection,
    backend: Backend,
    device: &str,
    account: &str,
    method: &str,
    now: i64,
    rebind_after: i64,
) -> ServerResult<Option<ReservedAttempt>> {
    let reserved: Option<ConfirmingDeviceAndKey> = match backend {
        Backend::Sqlite => {
            let counted = sqlx::query(RESERVE)
                .bind(device)
                .bind(account)
                .bind(method)
                .bind(rebind_after)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            if counted.rows_affected() != 1 {
                return Ok(None);
            }
            // In the same transaction, after the write: the count read includes this attempt.
            confirming_device_and_key(conn, device, account, method).await?
        }
        Backend::Postgres => {
            sqlx::query_as(&RESERVE_AND_READ)
                .bind(device)
                .bind(account)
                .bind(method)
                .bind(rebind_after)
                .bind(now)
                .fetch_optional(conn)
                .await?
        }
    };
    Ok(reserved.and_then(|row| {
        let (device, key) = row.split();
        key.map(|key| ReservedAttempt { device, key })
    }))
}

/// Gives back an attempt [`reserve_attempt`] took, when the confirmation was refused for a
/// reason other than the passcode.
pub async fn release_attempt(conn: &mut AnyConnection, device: &str) -> ServerResult<()> {
    sqlx::query(
        "UPDATE devices SET wrong_confirmations = wrong_confirmations - 1 \
         WHERE id = $1 AND wrong_confirmations > 0",
    )
    .bind(device)
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the device's confirmation until `until`.
pub async fn lock_until(conn: &mut AnyConnection, device: &str, until: i64) -> ServerResult<()> {
    sqlx::query("UPDATE devices SET confirmation_locked_until = $1 WHERE id = $2")
        .bind(until)
        .bind(device)
        .execute(conn)
        .await?;
    Ok(())
}
