//! Personal e-ID accounts and the citizen registry they are checked against.
//!
//! - **The citizen registry** stands in for the national population database: who exists, with
//!   their name, date of birth, gender, phone and e-mail. It is loaded from a CSV file shipped
//!   in the repository ([`parse_citizen_registry`], [`load_citizen_registry`]). Identification
//!   numbers are stored as a keyed hash for look-ups, an encrypted copy and a masked form, so a
//!   database dump alone lists none of them.
//! - **Accounts** have a level: level 1 is self-registered in the app (identification number,
//!   name, date of birth and phone checked against the registry, then a one-time code to that
//!   phone); level 2 is set by an officer who verified the person in person (the CLI) or by the
//!   demo seed. Passwords are hashed with argon2id.
//! - **One-time codes** ([`issue_code`], [`redeem_code`]) are shared by every flow that needs
//!   one: self-registration here, device binding, passcode reset and self-lock elsewhere. A code
//!   is 6 uniform random digits, stored only as a keyed hash bound to its pending operation,
//!   valid 5 minutes for 5 tries.
//! - **Personal data** (Decree 13/2023/NĐ-CP): a person sees everything held about them and the
//!   audit entries about them, never anyone else's.
//!
//! Every change is audited with the person's citizen key as the subject.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use chrono::NaiveDate;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    AccountView, AuditEntry, CodeSent, ConfirmationKeyView, DeviceView, ErrorCode, OneTimeCode,
    PersonalDataView, Platform, SelfRegistrationFinish, SelfRegistrationStart, paths,
};
use dinhdanh_core::ids::Password;
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId, Email, Gender, OrgEid, PhoneNumber};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::http::auth::{Authed, MAX_BODY, parse_json, parse_stored, public_key_from_db};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::{self, Channel, InboxItem};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::audit::{self, AuditRecord};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            paths::SELF_REGISTRATION_START,
            post(start_self_registration),
        )
        .route(
            paths::SELF_REGISTRATION_FINISH,
            post(finish_self_registration),
        )
        .route(paths::MY_DATA, get(my_data))
        .route(paths::MY_AUDIT, get(my_audit))
}

// ---------------------------------------------------------------------------------------------
// The citizen registry
// ---------------------------------------------------------------------------------------------

/// The header line of the registry file (after its `#` comment lines).
pub const REGISTRY_HEADER: &str = "citizen_id,full_name,date_of_birth,gender,phone,email";

/// Rows per `INSERT` when loading the registry: 9 parameters each, well under the limits of
/// both SQLite (32 766) and PostgreSQL (65 535).
const REGISTRY_BATCH: usize = 200;

/// A person in the citizen registry.
///
/// `Debug` shows the identification number masked (that is [`CitizenId`]'s own `Debug`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CitizenRecord {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Full name, with diacritics.
    pub full_name: String,
    /// Date of birth, in the year the number encodes.
    pub date_of_birth: NaiveDate,
    /// Gender, as the number encodes it.
    pub gender: Gender,
    /// Mobile number for one-time codes.
    pub phone: PhoneNumber,
    /// E-mail address, where the person gave one.
    pub email: Option<Email>,
}

/// A registry file that cannot be loaded: which line, and what is wrong with it (never the
/// line's content, which holds an identification number).
#[derive(Debug, thiserror::Error)]
#[error("citizen registry, line {line}: {problem}")]
pub struct RegistryError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

fn gender_text(gender: Gender) -> &'static str {
    match gender {
        Gender::Male => "male",
        Gender::Female => "female",
    }
}

fn parse_gender(text: &str) -> Option<Gender> {
    match text {
        "male" => Some(Gender::Male),
        "female" => Some(Gender::Female),
        _ => None,
    }
}

impl CitizenRecord {
    /// Checks that the parts agree: a non-empty name without control characters, a date of
    /// birth in the year the number encodes, the gender the number encodes.
    pub fn check(&self) -> Result<(), String> {
        use chrono::Datelike;
        let name = self.full_name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err("the full name is empty, too long or has control characters".into());
        }
        if self.date_of_birth.year() != i32::from(self.citizen_id.birth_year()) {
            return Err("the date of birth is not in the year the number encodes".into());
        }
        if self.gender != self.citizen_id.gender() {
            return Err("the gender is not the one the number encodes".into());
        }
        Ok(())
    }
}

/// Parses the registry file: `#` comment lines, the [`REGISTRY_HEADER`], then one person per
/// line. Every row must be complete and consistent ([`CitizenRecord::check`]) and every
/// identification number unique; the first problem is reported with its line number.
pub fn parse_citizen_registry(text: &str) -> Result<Vec<CitizenRecord>, RegistryError> {
    let mut people = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut header_seen = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let err = |problem: &str| RegistryError {
            line: line_no,
            problem: problem.to_owned(),
        };
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            if line != REGISTRY_HEADER {
                return Err(err("the header is not the expected one"));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [id, name, dob, gender, phone, email] = fields.as_slice() else {
            return Err(err("a row must have 6 columns"));
        };
        let record = CitizenRecord {
            citizen_id: CitizenId::parse(id).map_err(|_| err("invalid identification number"))?,
            full_name: name.trim().to_owned(),
            date_of_birth: NaiveDate::parse_from_str(dob, "%Y-%m-%d")
                .map_err(|_| err("invalid date of birth"))?,
            gender: parse_gender(gender).ok_or_else(|| err("gender must be male or female"))?,
            phone: PhoneNumber::parse(phone).map_err(|_| err("invalid phone number"))?,
            email: if email.is_empty() {
                None
            } else {
                Some(Email::parse(email).map_err(|_| err("invalid e-mail address"))?)
            },
        };
        record.check().map_err(|p| err(&p))?;
        if !seen.insert(record.citizen_id.clone()) {
            return Err(err("an identification number appears twice"));
        }
        people.push(record);
    }
    if !header_seen {
        return Err(RegistryError {
            line: 0,
            problem: "the file has no header".into(),
        });
    }
    Ok(people)
}

/// Loads the registry file into the `citizens` table. Idempotent: people already there are
/// kept as they are (`ON CONFLICT DO NOTHING`). Returns the number of people the file holds,
/// all of whom are in the table afterwards.
pub async fn load_citizen_registry(state: &AppState, csv_text: &str) -> ServerResult<usize> {
    let people =
        parse_citizen_registry(csv_text).map_err(|e| ServerError::Internal(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    let mut added = 0u64;
    for chunk in people.chunks(REGISTRY_BATCH) {
        let mut sql = String::from(
            "INSERT INTO citizens (citizen_key, citizen_enc, citizen_masked, full_name, \
             date_of_birth, gender, birth_province, phone, email) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        sql.push_str(" ON CONFLICT (citizen_key) DO NOTHING");
        let mut query = sqlx::query(&sql);
        for p in chunk {
            let row = StoredCitizen::new(state, p);
            query = row.bind_all(query);
        }
        added += query.execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    let object = format!("citizens:{added}");
    audit::append(
        state,
        AuditRecord {
            action: "citizen_registry.loaded",
            object: Some(&object),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(people.len())
}

/// A citizen as the columns of `citizens` hold it.
struct StoredCitizen {
    key: Vec<u8>,
    enc: Vec<u8>,
    masked: String,
    full_name: String,
    date_of_birth: String,
    gender: &'static str,
    birth_province: &'static str,
    phone: String,
    email: Option<String>,
}

impl StoredCitizen {
    fn new(state: &AppState, p: &CitizenRecord) -> Self {
        StoredCitizen {
            key: state.keys.citizen_key(&p.citizen_id),
            enc: state.keys.encrypt_citizen_id(&p.citizen_id),
            masked: p.citizen_id.masked(),
            full_name: p.full_name.nfc().collect(),
            date_of_birth: p.date_of_birth.format("%Y-%m-%d").to_string(),
            gender: gender_text(p.gender),
            birth_province: p.citizen_id.province().code_str(),
            phone: p.phone.as_str().to_owned(),
            email: p.email.as_ref().map(|e| e.as_str().to_owned()),
        }
    }

    fn bind_all<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        query
            .bind(self.key)
            .bind(self.enc)
            .bind(self.masked)
            .bind(self.full_name)
            .bind(self.date_of_birth)
            .bind(self.gender)
            .bind(self.birth_province)
            .bind(self.phone)
            .bind(self.email)
    }
}

/// Adds one person to the registry (tests, and people registered at a police office).
/// A person already there is `conflict`.
pub async fn insert_citizen(state: &AppState, record: &CitizenRecord) -> ServerResult<()> {
    record
        .check()
        .map_err(|p| ServerError::Internal(format!("citizen record: {p}")))?;
    let row = StoredCitizen::new(state, record);
    let key = row.key.clone();
    let query = sqlx::query(
        "INSERT INTO citizens (citizen_key, citizen_enc, citizen_masked, full_name, \
         date_of_birth, gender, birth_province, phone, email) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (citizen_key) DO NOTHING",
    );
    let done = row.bind_all(query).execute(&state.pool).await?;
    if done.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    audit::append(
        state,
        AuditRecord {
            action: "citizen.added",
            subject_key: Some(&key),
            ..AuditRecord::default()
        },
    )
    .await
}

/// The registry's record of a person.
pub async fn find_citizen(state: &AppState, id: &CitizenId) -> ServerResult<Option<CitizenRecord>> {
    citizen_by_key(state, &state.keys.citizen_key(id)).await
}

/// The registry's record of the person with this citizen key, the identification number
/// decrypted.
pub async fn citizen_by_key(state: &AppState, key: &[u8]) -> ServerResult<Option<CitizenRecord>> {
    let row = sqlx::query(
        "SELECT citizen_enc, full_name, date_of_birth, gender, phone, email \
         FROM citizens WHERE citizen_key = $1",
    )
    .bind(key.to_vec())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let enc: Vec<u8> = row.try_get("citizen_enc")?;
    let citizen_id = state.keys.decrypt_citizen_id(&enc).ok_or_else(|| {
        ServerError::Internal("a stored identification number does not decrypt".into())
    })?;
    let dob: String = row.try_get("date_of_birth")?;
    let gender: String = row.try_get("gender")?;
    let phone: String = row.try_get("phone")?;
    let email: Option<String> = row.try_get("email")?;
    Ok(Some(CitizenRecord {
        citizen_id,
        full_name: row.try_get("full_name")?,
        date_of_birth: parse_stored(NaiveDate::parse_from_str(&dob, "%Y-%m-%d"))?,
        gender: parse_gender(&gender)
            .ok_or_else(|| ServerError::Internal("stored gender does not parse".into()))?,
        phone: parse_stored(PhoneNumber::parse(&phone))?,
        email: email.map(|e| parse_stored(Email::parse(&e))).transpose()?,
    }))
}

/// Whether two spellings of a full name are the same name: compared after Unicode NFC
/// normalisation (Vietnamese keyboards may send "ễ" as one character or as "e" plus two
/// combining marks), lower-casing and collapsing of spaces.
pub fn names_match(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> String {
        let nfc: String = s.nfc().collect();
        nfc.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    canonical(a) == canonical(b)
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

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

fn account_row(row: &AnyRow) -> ServerResult<AccountRow> {
    let id: String = row.try_get("id")?;
    let level: i64 = row.try_get("level")?;
    let locked: i64 = row.try_get("locked")?;
    Ok(AccountRow {
        id: parse_stored(AccountId::parse(&id))?,
        citizen_key: row.try_get("citizen_key")?,
        level: level_from_number(level)?,
        password_hash: row.try_get("password_hash")?,
        locked: locked != 0,
    })
}

const ACCOUNT_COLUMNS: &str = "id, citizen_key, level, password_hash, locked";

/// The account of the person with this identification number, if they have one.
pub async fn find_account_by_citizen(
    state: &AppState,
    id: &CitizenId,
) -> ServerResult<Option<AccountRow>> {
    find_account_by_key(state, &state.keys.citizen_key(id)).await
}

/// The account of the person with this citizen key, if they have one.
pub async fn find_account_by_key(state: &AppState, key: &[u8]) -> ServerResult<Option<AccountRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE citizen_key = $1"
    ))
    .bind(key.to_vec())
    .fetch_optional(&state.pool)
    .await?;
    row.as_ref().map(account_row).transpose()
}

/// An account by its id.
pub async fn find_account(state: &AppState, id: &AccountId) -> ServerResult<Option<AccountRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&state.pool)
    .await?;
    row.as_ref().map(account_row).transpose()
}

/// Hashes a new password with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes, one
/// lane — OWASP's recommended minimum) on a blocking thread.
pub async fn hash_password(password: &Password) -> ServerResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let secret = Zeroizing::new(password.expose().to_owned());
    let salt_bytes = crate::infra::ids::random_bytes::<16>();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| ServerError::Internal(format!("salt: {e}")))?;
        argon2::Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServerError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| ServerError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches the argon2id `hash` (runs on a blocking thread; a hash that
/// does not parse matches nothing).
pub async fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let hash = hash.to_owned();
    let secret = Zeroizing::new(password.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A well-formed argon2id hash with the default parameters whose digest was written by hand:
/// no password is known to match it. Checking against it costs what checking a real account
/// costs (a unit test keeps its parameters equal to the defaults).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VydmVyLWR1bW15LXNhbHQ$G1n1pIvsZd5yTNvD1AYIYI6oBDsMpDUE8yCimTIgH4I";

/// Does the work of a password check against a dummy hash, so that a sign-in for an unknown
/// identification number takes as long as one with a wrong password and the timing does not
/// tell which numbers have accounts.
pub async fn dummy_password_check() {
    let _ = verify_password(DUMMY_HASH, "not-the-password").await;
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
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM citizens WHERE citizen_key = $1")
        .bind(key.clone())
        .fetch_optional(&state.pool)
        .await?;
    if exists.is_none() {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    // Checked before hashing to spare the work; the unique constraint decides races.
    if find_account_by_key(state, &key).await?.is_some() {
        return Err(ServerError::code(ErrorCode::AccountExists));
    }
    let hash = hash_password(password).await?;
    let id = parse_stored(AccountId::parse(&new_id("acc")))?;
    let done = sqlx::query(
        "INSERT INTO accounts (id, citizen_key, level, password_hash, locked, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (citizen_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(key.clone())
    .bind(level_number(level))
    .bind(hash)
    .bind(state.now())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::AccountExists));
    }
    let object = format!("account:{id}");
    let action = match level {
        AccountLevel::Level1 => "account.created.level_1",
        AccountLevel::Level2 => "account.created.level_2",
    };
    audit::append(
        state,
        AuditRecord {
            actor: None,
            action,
            object: Some(&object),
            subject_key: Some(&key),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(id)
}

/// Sets an account's level (level 2 after an officer verified the person in person).
pub async fn set_level(
    state: &AppState,
    account: &AccountId,
    level: AccountLevel,
) -> ServerResult<()> {
    let key: Option<Vec<u8>> =
        sqlx::query_scalar("UPDATE accounts SET level = $1 WHERE id = $2 RETURNING citizen_key")
            .bind(level_number(level))
            .bind(account.as_str())
            .fetch_optional(&state.pool)
            .await?;
    let key = key.ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let object = format!("account:{account}");
    let action = match level {
        AccountLevel::Level1 => "account.level_set.level_1",
        AccountLevel::Level2 => "account.level_set.level_2",
    };
    audit::append(
        state,
        AuditRecord {
            action,
            object: Some(&object),
            subject_key: Some(&key),
            ..AuditRecord::default()
        },
    )
    .await
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
/// it is (self-lock, which also unbinds the device, does that part itself).
///
/// Locking a locked account, or unlocking an unlocked one, is `invalid_state`.
pub async fn set_lock(
    state: &AppState,
    account: &AccountId,
    lock: bool,
    reason: &str,
    actor: LockActor<'_>,
) -> ServerResult<()> {
    let mut tx = state.pool.begin().await?;
    let key: Option<Vec<u8>> = sqlx::query_scalar(
        "UPDATE accounts SET locked = $1, locked_reason = $2 WHERE id = $3 AND locked = $4 \
         RETURNING citizen_key",
    )
    .bind(i64::from(lock))
    .bind(if lock { Some(reason) } else { None })
    .bind(account.as_str())
    .bind(i64::from(!lock))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(key) = key else {
        tx.rollback().await?;
        return Err(match find_account(state, account).await? {
            None => ServerError::code(ErrorCode::NotFound),
            Some(_) => ServerError::code(ErrorCode::InvalidState),
        });
    };
    if lock {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
        )
        .bind(state.now())
        .bind(account.as_str())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    let object = format!("account:{account}");
    audit::append(
        state,
        AuditRecord {
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
        },
    )
    .await?;

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
    outbox::notify(
        state,
        account.as_str(),
        InboxItem {
            kind: dinhdanh_core::api::NotificationKind::AccountLockChanged,
            title_vi,
            title_en,
            body_vi: &body_vi,
            body_en: &body_en,
            link: Some(&object),
        },
    )
    .await?;
    if let Some(person) = citizen_by_key(state, &key).await? {
        outbox::send(
            state,
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
    let row = sqlx::query(
        "SELECT a.level, a.locked, c.full_name, c.citizen_masked \
         FROM accounts a JOIN citizens c ON c.citizen_key = a.citizen_key WHERE a.id = $1",
    )
    .bind(account.as_str())
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let level: i64 = row.try_get("level")?;
    let locked: i64 = row.try_get("locked")?;
    Ok(AccountView {
        id: account.clone(),
        full_name: row.try_get("full_name")?,
        citizen_id_masked: row.try_get("citizen_masked")?,
        level: level_from_number(level)?,
        locked: locked != 0,
        officer: crate::authz::officer_role(state, account).await?,
    })
}

// ---------------------------------------------------------------------------------------------
// One-time codes
// ---------------------------------------------------------------------------------------------

/// The purposes one-time codes are issued for (`pending_codes.purpose`). A code redeems only
/// for the purpose it was issued for.
pub mod purpose {
    /// Self-registration of a level-1 account (SMS).
    pub const SELF_REGISTRATION: &str = "self_registration";
    /// Binding a device (SMS or e-mail).
    pub const DEVICE_BINDING: &str = "device_binding";
    /// Resetting a forgotten passcode (SMS).
    pub const PASSCODE_RESET: &str = "passcode_reset";
    /// Locking one's own account after losing the phone (e-mail).
    pub const SELF_LOCK: &str = "self_lock";
}

/// Codes one person may be sent per rate-limit window, whatever the purpose: sending an SMS
/// costs money and annoys its receiver, so no one can make the server send them in bulk.
const CODES_PER_PERSON_PER_WINDOW: i64 = 10;

/// Six uniformly random digits from the OS CSPRNG (rejection sampling: no digit string is
/// likelier than another).
fn random_code() -> Zeroizing<String> {
    // The largest multiple of 10^6 that fits in u32; values at or above it are drawn again.
    const ZONE: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let x = u32::from_be_bytes(crate::infra::ids::random_bytes::<4>());
        if x < ZONE {
            return Zeroizing::new(format!("{:06}", x % 1_000_000));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality of two hashes.
fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn code_use_vi(purpose: &str) -> &'static str {
    match purpose {
        purpose::SELF_REGISTRATION => "đăng ký tài khoản định danh điện tử",
        purpose::DEVICE_BINDING => "liên kết thiết bị",
        purpose::PASSCODE_RESET => "đặt lại mã PIN",
        purpose::SELF_LOCK => "khóa tài khoản",
        _ => "xác thực",
    }
}

/// Issues a one-time code for `purpose` and sends it to `recipient` (a phone number for
/// [`Channel::Sms`], an e-mail address for [`Channel::Email`]).
///
/// The code is stored only as `keys.code_hash(pending_id, code)`; `payload_json` is kept
/// with it for the flow's second step (put no secret and no clear identification number in
/// it). A new code for the same person and purpose voids the previous one, so pending codes
/// cannot be piled up to multiply the tries. At most [`CODES_PER_PERSON_PER_WINDOW`] codes
/// per person per rate-limit window (`rate_limited`).
pub async fn issue_code(
    state: &AppState,
    purpose: &str,
    citizen_key: &[u8],
    payload_json: &str,
    channel: Channel,
    recipient: &str,
) -> ServerResult<CodeSent> {
    crate::infra::rate_limit::hit(
        state,
        &format!("codes:{}", hex(citizen_key)),
        CODES_PER_PERSON_PER_WINDOW,
    )
    .await?;
    let now = state.now();
    sqlx::query(
        "DELETE FROM pending_codes WHERE expires_at <= $1 OR (purpose = $2 AND citizen_key = $3)",
    )
    .bind(now)
    .bind(purpose)
    .bind(citizen_key.to_vec())
    .execute(&state.pool)
    .await?;
    let pending_id = new_id("otp");
    let code = random_code();
    let expires_at = now + state.config.limits.code_ttl_secs;
    sqlx::query(
        "INSERT INTO pending_codes (id, purpose, citizen_key, code_hash, attempts, payload, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $7)",
    )
    .bind(&pending_id)
    .bind(purpose)
    .bind(citizen_key.to_vec())
    .bind(state.keys.code_hash(&pending_id, &code))
    .bind(payload_json)
    .bind(now)
    .bind(expires_at)
    .execute(&state.pool)
    .await?;
    let account: Option<String> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE citizen_key = $1")
            .bind(citizen_key.to_vec())
            .fetch_optional(&state.pool)
            .await?;
    let minutes = state.config.limits.code_ttl_secs / 60;
    let body = Zeroizing::new(format!(
        "Mã xác thực Định Danh để {} của bạn là {}. Mã có hiệu lực trong {minutes} phút. \
         Không cung cấp mã này cho bất kỳ ai.",
        code_use_vi(purpose),
        code.as_str()
    ));
    outbox::send(
        state,
        account.as_deref(),
        channel,
        recipient,
        &format!("code.{purpose}"),
        "Mã xác thực Định Danh",
        &body,
    )
    .await?;
    let sent_to = match channel {
        Channel::Sms => PhoneNumber::parse(recipient).map(|p| p.masked()),
        Channel::Email => Email::parse(recipient).map(|e| e.masked()),
    }
    .unwrap_or_else(|_| "***".to_owned());
    Ok(CodeSent {
        pending_id,
        sent_to,
        expires_at: timestamp(expires_at),
    })
}

/// Redeems a one-time code: on success the pending operation is used up and its citizen key
/// and payload returned. A wrong, expired, used-up or unknown code is `one_time_code_invalid`
/// (the same answer for all, so nothing is learnt by probing).
///
/// Attempts are counted atomically before the code is compared (`UPDATE … SET attempts =
/// attempts + 1 … RETURNING`), so concurrent guesses each use a try; the fifth wrong one voids
/// the code. Of two concurrent right answers only one wins the final `DELETE`.
pub async fn redeem_code(
    state: &AppState,
    purpose: &str,
    pending_id: &str,
    code: &OneTimeCode,
) -> ServerResult<(Vec<u8>, String)> {
    let invalid = || ServerError::code(ErrorCode::OneTimeCodeInvalid);
    let now = state.now();
    let row = sqlx::query(
        "UPDATE pending_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND purpose = $2 AND expires_at > $3 AND attempts < $4 \
         RETURNING citizen_key, code_hash, payload, attempts",
    )
    .bind(pending_id)
    .bind(purpose)
    .bind(now)
    .bind(state.config.limits.code_attempts)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(invalid)?;
    let citizen_key: Vec<u8> = row.try_get("citizen_key")?;
    let stored: Vec<u8> = row.try_get("code_hash")?;
    let attempts: i64 = row.try_get("attempts")?;
    let expected = state.keys.code_hash(pending_id, code.expose());
    if same_hash(&expected, &stored) {
        let used = sqlx::query("DELETE FROM pending_codes WHERE id = $1")
            .bind(pending_id)
            .execute(&state.pool)
            .await?;
        if used.rows_affected() != 1 {
            return Err(invalid());
        }
        let payload: String = row.try_get("payload")?;
        return Ok((citizen_key, payload));
    }
    let voided = attempts >= state.config.limits.code_attempts;
    if voided {
        sqlx::query("DELETE FROM pending_codes WHERE id = $1")
            .bind(pending_id)
            .execute(&state.pool)
            .await?;
    }
    let action = format!(
        "one_time_code.{purpose}.{}",
        if voided { "voided" } else { "wrong" }
    );
    audit::append(
        state,
        AuditRecord {
            action: &action,
            subject_key: Some(&citizen_key),
            denied: true,
            ..AuditRecord::default()
        },
    )
    .await?;
    Err(invalid())
}

// ---------------------------------------------------------------------------------------------
// Self-registration (level 1)
// ---------------------------------------------------------------------------------------------

/// What self-registration keeps between its two steps (no secret, no clear number).
#[derive(Serialize, Deserialize)]
struct RegistrationPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<Email>,
}

async fn read_request<T: serde::de::DeserializeOwned>(req: Request) -> ServerResult<(Parts, T)> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let value = parse_json(&bytes)?;
    Ok((parts, value))
}

/// `POST /v1/accounts/registration/start`: checks the person against the registry (number,
/// full name, date of birth, phone) and sends a code to the phone.
///
/// Any mismatch — including a number the registry does not hold — is the same
/// `registry_mismatch`, so the answer tells neither which field was wrong nor whether the
/// number exists. The comparison is one keyed look-up either way, so timing tells nothing
/// either. Only someone who matched every field learns that an account already exists.
async fn start_self_registration(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<CodeSent>> {
    let (parts, body) = read_request::<SelfRegistrationStart>(req).await?;
    crate::infra::rate_limit::per_ip(&state, &parts).await?;
    let key = state.keys.citizen_key(&body.citizen_id);
    let record = citizen_by_key(&state, &key).await?;
    let matches = record.as_ref().is_some_and(|r| {
        r.citizen_id == body.citizen_id
            && names_match(&r.full_name, &body.full_name)
            && r.date_of_birth == body.date_of_birth
            && r.phone == body.phone
    });
    let Some(record) = record.filter(|_| matches) else {
        audit::append(
            &state,
            AuditRecord {
                action: "account.self_registration.refused",
                subject_key: Some(&key),
                denied: true,
                ..AuditRecord::default()
            },
        )
        .await?;
        return Err(ServerError::code(ErrorCode::RegistryMismatch));
    };
    if find_account_by_key(&state, &key).await?.is_some() {
        return Err(ServerError::code(ErrorCode::AccountExists));
    }
    let payload = serde_json::to_string(&RegistrationPayload { email: body.email })
        .map_err(|e| ServerError::Internal(format!("payload: {e}")))?;
    let sent = issue_code(
        &state,
        purpose::SELF_REGISTRATION,
        &key,
        &payload,
        Channel::Sms,
        record.phone.as_str(),
    )
    .await?;
    audit::append(
        &state,
        AuditRecord {
            action: "account.self_registration.code_sent",
            subject_key: Some(&key),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/accounts/registration/finish`: redeems the code and creates the level-1 account
/// with the new password. An e-mail address given in step 1 becomes the contact address.
async fn finish_self_registration(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<AccountView>> {
    let (parts, body) = read_request::<SelfRegistrationFinish>(req).await?;
    crate::infra::rate_limit::per_ip(&state, &parts).await?;
    let (key, payload) = redeem_code(
        &state,
        purpose::SELF_REGISTRATION,
        &body.pending_id,
        &body.code,
    )
    .await?;
    let payload: RegistrationPayload = serde_json::from_str(&payload)
        .map_err(|e| ServerError::Internal(format!("stored payload: {e}")))?;
    let record = citizen_by_key(&state, &key).await?.ok_or_else(|| {
        ServerError::Internal("pending code for a citizen not in the registry".into())
    })?;
    let account = create_account(
        &state,
        &record.citizen_id,
        &body.password,
        AccountLevel::Level1,
    )
    .await?;
    if let Some(email) = payload.email.filter(|e| Some(e) != record.email.as_ref()) {
        sqlx::query("UPDATE citizens SET email = $1 WHERE citizen_key = $2")
            .bind(email.as_str())
            .bind(key.clone())
            .execute(&state.pool)
            .await?;
        let object = format!("account:{account}");
        audit::append(
            &state,
            AuditRecord {
                actor: Some(account.as_str()),
                action: "contact.email_set",
                object: Some(&object),
                subject_key: Some(&key),
                ..AuditRecord::default()
            },
        )
        .await?;
    }
    Ok(Json(account_view(&state, &account).await?))
}

// ---------------------------------------------------------------------------------------------
// Personal data (Decree 13/2023/NĐ-CP)
// ---------------------------------------------------------------------------------------------

/// The account's active device (the one not unbound), with its active confirmation keys.
pub async fn active_device(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<DeviceView>> {
    let row = sqlx::query(
        "SELECT id, name, platform, device_key, bound_at, wrong_confirmations, \
         confirmation_locked_until FROM devices WHERE account_id = $1 AND unbound_at IS NULL",
    )
    .bind(account.as_str())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let platform: String = row.try_get("platform")?;
    let device_key: Vec<u8> = row.try_get("device_key")?;
    let bound_at: i64 = row.try_get("bound_at")?;
    let wrong: i64 = row.try_get("wrong_confirmations")?;
    let locked_until: Option<i64> = row.try_get("confirmation_locked_until")?;
    let keys = sqlx::query(
        "SELECT method, public_key FROM confirmation_keys \
         WHERE device_id = $1 AND revoked_at IS NULL ORDER BY created_at",
    )
    .bind(&id)
    .fetch_all(&state.pool)
    .await?;
    let mut confirmation_keys = Vec::with_capacity(keys.len());
    for k in &keys {
        let method: String = k.try_get("method")?;
        let public: Vec<u8> = k.try_get("public_key")?;
        confirmation_keys.push(ConfirmationKeyView {
            key_id: public_key_from_db(&public)?.key_id(),
            method: parse_stored(serde_json::from_value::<ConfirmationMethod>(
                serde_json::Value::String(method),
            ))?,
            failed_attempts: u32::try_from(wrong).unwrap_or(u32::MAX),
            locked_until: locked_until.filter(|t| *t > state.now()).map(timestamp),
        });
    }
    Ok(Some(DeviceView {
        id: parse_stored(DeviceId::parse(&id))?,
        name: row.try_get("name")?,
        platform: parse_stored(serde_json::from_value::<Platform>(
            serde_json::Value::String(platform),
        ))?,
        device_key_id: public_key_from_db(&device_key)?.key_id(),
        confirmation_keys,
        bound_at: timestamp(bound_at),
    }))
}

/// Everything held about the person who owns `account`.
pub async fn personal_data(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<PersonalDataView> {
    let row = find_account(state, account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let person = citizen_by_key(state, &row.citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok(PersonalDataView {
        account: account_view(state, account).await?,
        citizen_id: person.citizen_id,
        date_of_birth: person.date_of_birth,
        phone: person.phone,
        email: person.email,
        device: active_device(state, account).await?,
        // Organisations arrive with organisation registration (a later issue); until then a
        // person acts for none.
        organisations: Vec::<OrgEid>::new(),
    })
}

/// `GET /v1/me/data`: everything held about the signed-in person. Reading it is audited too.
async fn my_data(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<PersonalDataView>> {
    let account = &auth.session.account;
    let view = personal_data(&state, account).await?;
    let key = state.keys.citizen_key(&view.citizen_id);
    let object = format!("account:{account}");
    audit::append(
        &state,
        AuditRecord {
            actor: Some(account.as_str()),
            device: auth.session.device.as_ref().map(DeviceId::as_str),
            action: "personal_data.viewed",
            object: Some(&object),
            subject_key: Some(&key),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(Json(view))
}

/// `GET /v1/me/audit`: the audit entries about the signed-in person.
async fn my_audit(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<AuditEntry>>> {
    let row = find_account(&state, &auth.session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    Ok(Json(audit::entries_about(&state, &row.citizen_key).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_the_unicode_form_case_or_spacing() {
        let composed = "Nguyễn Thị Thu Hà";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert!(names_match(composed, &decomposed));
        assert!(names_match(composed, "  nguyễn  THỊ thu hà "));
        assert!(!names_match(composed, "Nguyễn Thị Thu Hải"));
        assert!(
            !names_match(composed, "Nguyen Thi Thu Ha"),
            "diacritics matter"
        );
    }

    #[test]
    fn one_time_codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|_| random_code().as_str().to_owned())
            .collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 190, "200 draws from a million rarely repeat");
    }

    #[test]
    fn hashes_compare_in_full() {
        assert!(same_hash(&[1, 2, 3], &[1, 2, 3]));
        assert!(!same_hash(&[1, 2, 3], &[1, 2, 4]));
        assert!(!same_hash(&[1, 2], &[1, 2, 3]));
    }

    #[test]
    fn a_registry_row_must_agree_with_its_number() {
        let good = "citizen_id,full_name,date_of_birth,gender,phone,email\n\
                    079201012345,Lê Văn Tám,2001-05-06,male,0912345678,\n";
        let people = parse_citizen_registry(good).unwrap();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].email, None);

        let wrong_year = good.replace("2001-05-06", "2002-05-06");
        assert_eq!(parse_citizen_registry(&wrong_year).unwrap_err().line, 2);
        let wrong_gender = good.replace(",male,", ",female,");
        assert!(parse_citizen_registry(&wrong_gender).is_err());
        let bad_phone = good.replace("0912345678", "0112345678");
        assert!(parse_citizen_registry(&bad_phone).is_err());
        let twice = format!("{good}079201012345,Lê Văn Bảy,2001-01-01,male,0912345679,\n");
        let err = parse_citizen_registry(&twice).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            !err.to_string().contains("079201012345"),
            "errors never quote the number"
        );
        assert!(parse_citizen_registry("no header\n").is_err());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        use argon2::password_hash::PasswordHash;
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = argon2::Params::try_from(&parsed).unwrap();
        let default = argon2::Params::default();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
    }
}
