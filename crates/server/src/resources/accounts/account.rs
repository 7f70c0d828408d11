//! Accounts: a level (1 self-registered, 2 verified in person), a password hash, and a lock
//! (Decree 69/2024, Art. 15).

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{AccountView, ErrorCode, NotificationKind, paths};
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId, Password};

use super::citizens::citizen_in;
use super::password::hash_password;
use crate::http::auth::SessionContext;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::{Channel, InboxItem};
use crate::infra::state::AppState;
use crate::store::accounts::{self, AccountRecord, AccountViewRow};
use crate::store::audit::AuditRecord;
use crate::store::citizens;
use crate::store::delegations;
use crate::store::organisations;
use crate::store::registration_attachments;
use crate::store::registrations;
use crate::store::sessions;
use crate::store::tx::Tx;
use crate::store::values::parse_stored;

/// An account as stored.
#[derive(Clone)]
pub struct AccountRow {
    /// The account.
    pub id: AccountId,
    /// Keyed hash of the owner's identification number.
    pub citizen_key: Vec<u8>,
    /// Level 1 or 2.
    pub level: AccountLevel,
    /// The argon2id hash of the password (PHC string).
    pub password_hash: String,
    /// Locked by its owner or an officer.
    pub locked: bool,
}

impl std::fmt::Debug for AccountRow {
    /// The password hash stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRow")
            .field("id", &self.id)
            .field("level", &self.level)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

/// The level as stored: a number (not a word), so levels compare in SQL.
fn level_number(level: AccountLevel) -> i64 {
    match level {
        AccountLevel::Level1 => 1,
        AccountLevel::Level2 => 2,
    }
}

fn level_from_number(n: i64) -> ServerResult<AccountLevel> {
    match n {
        1 => Ok(AccountLevel::Level1),
        2 => Ok(AccountLevel::Level2),
        _ => Err(ServerError::Internal(format!("stored account level {n}"))),
    }
}

impl TryFrom<AccountRecord> for AccountRow {
    type Error = ServerError;

    fn try_from(row: AccountRecord) -> ServerResult<AccountRow> {
        Ok(AccountRow {
            id: parse_stored(AccountId::parse(&row.id))?,
            citizen_key: row.citizen_key,
            level: level_from_number(row.level)?,
            password_hash: row.password_hash,
            locked: row.locked != 0,
        })
    }
}

/// The account of the person with this identification number, if they have one.
pub async fn find_account_by_citizen(
    state: &AppState,
    id: &CitizenId,
) -> ServerResult<Option<AccountRow>> {
    find_account_by_key(state, &state.keys.citizen_key(id)).await
}

/// The account of the person with this citizen key, if they have one.
pub async fn find_account_by_key(state: &AppState, key: &[u8]) -> ServerResult<Option<AccountRow>> {
    find_account_by_key_in(&mut *state.pool.acquire().await?, key).await
}

/// [`find_account_by_key`] on the caller's connection (inside its transaction).
pub async fn find_account_by_key_in(
    conn: &mut sqlx::AnyConnection,
    key: &[u8],
) -> ServerResult<Option<AccountRow>> {
    accounts::by_key(conn, key)
        .await?
        .map(AccountRow::try_from)
        .transpose()
}

/// An account by its id.
pub async fn find_account(state: &AppState, id: &AccountId) -> ServerResult<Option<AccountRow>> {
    find_account_in(&mut *state.pool.acquire().await?, id).await
}

/// [`find_account`] on the caller's connection (inside its transaction).
pub async fn find_account_in(
    conn: &mut sqlx::AnyConnection,
    id: &AccountId,
) -> ServerResult<Option<AccountRow>> {
    accounts::by_id(conn, id.as_str())
        .await?
        .map(AccountRow::try_from)
        .transpose()
}

/// Creates an account for a person in the registry. A person has at most one account: a
/// second is `account_exists`; a person not in the registry is `not_found`.
pub async fn create_account(
    state: &AppState,
    citizen_id: &CitizenId,
    password: &Password,
    level: AccountLevel,
) -> ServerResult<AccountId> {
    let key = state.keys.citizen_key(citizen_id);
    {
        let conn = &mut *state.pool.acquire().await?;
        if !citizens::exists(conn, &key).await? {
            return Err(ServerError::code(ErrorCode::NotFound));
        }
        // Checked before hashing to spare the work; the unique constraint decides races.
        if accounts::by_key(conn, &key).await?.is_some() {
            return Err(ServerError::code(ErrorCode::AccountExists));
        }
    }
    let hash = hash_password(password).await?;
    let mut tx = Tx::begin(state, "account.create").await?;
    let id = insert_account(&mut tx, &key, &hash, level).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts the account of the person with citizen key `key` (in the registry), with its
/// audit entry, as part of an action. A second account is `account_exists`.
pub(super) async fn insert_account(
    tx: &mut Tx,
    key: &[u8],
    password_hash: &str,
    level: AccountLevel,
) -> ServerResult<AccountId> {
    let id = parse_stored(AccountId::parse(&new_id("acc")))?;
    let now = tx.now();
    if !accounts::insert(
        tx.conn()?,
        id.as_str(),
        key,
        level_number(level),
        password_hash,
        now,
    )
    .await?
    {
        return Err(ServerError::code(ErrorCode::AccountExists));
    }
    let object = format!("account:{id}");
    let action = match level {
        AccountLevel::Level1 => "account.created.level_1",
        AccountLevel::Level2 => "account.created.level_2",
    };
    tx.audit(AuditRecord {
        actor: None,
        action,
        object: Some(&object),
        subject_key: Some(key),
        ..AuditRecord::default()
    });
    link_by_identification_number(tx, &id, key).await?;
    Ok(id)
}

/// What a person did or was named in before they had an account is linked to the account
/// they create, by their identification number's keyed hash, in the account's creation:
///
/// - a legal representative who had no account when their organisation was registered (taken
///   at the counter, or named by another representative) becomes an owner of it — as the
///   representatives with an account became owners at the approval — audited
///   (`organisation.owner_linked`) and told;
/// - a requester taken at the counter without an account becomes the requester of those
///   requests (audited `registration.requester_linked`), the owner of their scans and the
///   registrant of the organisations approved from them, as if they had filed from the app.
async fn link_by_identification_number(
    tx: &mut Tx,
    account: &AccountId,
    key: &[u8],
) -> ServerResult<()> {
    for id in registrations::link_requester(tx.conn()?, account, key).await? {
        let object = format!("registration:{id}");
        tx.audit(AuditRecord {
            actor: None,
            action: "registration.requester_linked",
            object: Some(&object),
            subject_key: Some(key),
            ..AuditRecord::default()
        });
    }
    registration_attachments::link_owner(tx.conn()?, account, key).await?;
    organisations::link_registrant(tx.conn()?, account.as_str(), key).await?;
    let now = tx.now();
    for (eid, name) in organisations::represented_by(tx.conn()?, key).await? {
        delegations::make_owner(tx.conn()?, &new_id("dlg"), &eid, account.as_str(), now).await?;
        let object = format!("organisation:{eid}");
        tx.audit(AuditRecord {
            actor: None,
            action: "organisation.owner_linked",
            object: Some(&object),
            subject_key: Some(key),
            ..AuditRecord::default()
        });
        let body_vi = format!(
            "Bạn là người đại diện theo pháp luật của {name} ({eid}) nên đã trở thành chủ tài khoản định danh điện tử của tổ chức."
        );
        let body_en = format!(
            "As a legal representative of {name} ({eid}), you are now an owner of its e-ID account."
        );
        let link = paths::fill(paths::ORGANISATION, "eid", &eid);
        tx.notify(
            account.as_str(),
            InboxItem {
                kind: NotificationKind::DelegationChanged,
                title_vi: "Bạn là chủ tài khoản tổ chức",
                title_en: "You are an organisation account's owner",
                body_vi: &body_vi,
                body_en: &body_en,
                link: Some(&link),
            },
        )
        .await?;
    }
    Ok(())
}

/// Sets an account's level (level 2 after an officer verified the person in person).
pub async fn set_level(
    state: &AppState,
    account: &AccountId,
    level: AccountLevel,
) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "account.set_level").await?;
    let key = accounts::set_level(tx.conn()?, account.as_str(), level_number(level))
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let object = format!("account:{account}");
    let action = match level {
        AccountLevel::Level1 => "account.level_set.level_1",
        AccountLevel::Level2 => "account.level_set.level_2",
    };
    tx.audit(AuditRecord {
        action,
        object: Some(&object),
        subject_key: Some(&key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// Who changes a lock, for the audit trail.
#[derive(Clone, Copy, Debug, Default)]
pub struct LockActor<'a> {
    /// The account acting (an officer, or the owner); `None` for the CLI.
    pub account: Option<&'a AccountId>,
    /// The device it acted from.
    pub device: Option<&'a DeviceId>,
}

/// Locks or unlocks an account (Decree 69/2024, Art. 15). Locking ends every session of the
/// account at once; a locked account can do nothing until it is unlocked (authentication
/// refuses it). The person is told in the in-app inbox and by SMS. Device binding is left as
/// it is (self-lock, which also unbinds the device, does that part itself). The change, its
/// audit entry and the notices commit together.
///
/// Locking a locked account, or unlocking an unlocked one, is `invalid_state`.
pub async fn set_lock(
    state: &AppState,
    account: &AccountId,
    lock: bool,
    reason: &str,
    actor: LockActor<'_>,
) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "account.lock").await?;
    set_lock_in(&mut tx, state, account, lock, reason, actor).await?;
    tx.commit().await
}

/// [`set_lock`] as a step of `tx`.
pub async fn set_lock_in(
    tx: &mut Tx,
    state: &AppState,
    account: &AccountId,
    lock: bool,
    reason: &str,
    actor: LockActor<'_>,
) -> ServerResult<()> {
    let changed = accounts::set_lock(
        tx.conn()?,
        account.as_str(),
        lock,
        if lock { Some(reason) } else { None },
    )
    .await?;
    let Some(key) = changed else {
        return Err(match find_account_in(tx.conn()?, account).await? {
            None => ServerError::code(ErrorCode::NotFound),
            Some(_) => ServerError::code(ErrorCode::InvalidState),
        });
    };
    let now = tx.now();
    if lock {
        sessions::end_all(tx.conn()?, account.as_str(), now).await?;
        // An officer's console sessions end with the lock too (`resources::console`).
        crate::store::console_sessions::delete_of_account(tx.conn()?, account.as_str()).await?;
    }

    let object = format!("account:{account}");
    tx.audit(AuditRecord {
        actor: actor.account.map(AccountId::as_str),
        device: actor.device.map(DeviceId::as_str),
        action: if lock {
            "account.locked"
        } else {
            "account.unlocked"
        },
        object: Some(&object),
        subject_key: Some(&key),
        ..AuditRecord::default()
    });

    let (title_vi, title_en, body_vi, body_en) = if lock {
        (
            "Tài khoản đã bị khóa",
            "Your account was locked",
            format!("Tài khoản định danh điện tử của bạn đã bị khóa. Lý do: {reason}"),
            format!("Your e-ID account was locked. Reason: {reason}"),
        )
    } else {
        (
            "Tài khoản đã được mở khóa",
            "Your account was unlocked",
            format!("Tài khoản định danh điện tử của bạn đã được mở khóa. Lý do: {reason}"),
            format!("Your e-ID account was unlocked. Reason: {reason}"),
        )
    };
    tx.notify(
        account.as_str(),
        InboxItem {
            kind: NotificationKind::AccountLockChanged,
            title_vi,
            title_en,
            body_vi: &body_vi,
            body_en: &body_en,
            link: Some(&object),
        },
    )
    .await?;
    if let Some(person) = citizen_in(tx.conn()?, state, &key).await? {
        tx.send(
            Some(account.as_str()),
            Channel::Sms,
            person.phone.as_str(),
            if lock {
                "alert.account_locked"
            } else {
                "alert.account_unlocked"
            },
            title_vi,
            &body_vi,
        )
        .await?;
    }
    Ok(())
}

/// The account as its owner sees it.
pub async fn account_view(state: &AppState, account: &AccountId) -> ServerResult<AccountView> {
    let row = accounts::view(&mut *state.pool.acquire().await?, account.as_str())
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    account_view_from(account, row)
}

/// The account of a request's session as its owner sees it, as the request's authentication
/// read it (no statement of its own).
pub fn session_account_view(session: &SessionContext) -> ServerResult<AccountView> {
    account_view_from(&session.account, session.account_view.clone())
}

/// [`AccountView`] of `account`, read as `row`.
fn account_view_from(account: &AccountId, row: AccountViewRow) -> ServerResult<AccountView> {
    Ok(AccountView {
        id: account.clone(),
        full_name: row.full_name,
        citizen_id_masked: row.citizen_masked,
        level: level_from_number(row.level)?,
        locked: row.locked != 0,
        officer: match (row.officer_province, row.officer_granted_at) {
            (Some(province), Some(granted_at)) => {
                Some(crate::authz::officer_role_from(&province, granted_at)?)
            }
            _ => None,
        },
    })
}
