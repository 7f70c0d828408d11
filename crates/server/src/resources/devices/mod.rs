//! Devices: binding a phone to an account, resetting a forgotten passcode, and locking one's
//! own account after losing the phone.
//!
//! One active device per account. Binding needs the password and a one-time code sent to the
//! registered phone, and proof that the new device holds its device key; it unbinds the old
//! device (its confirmation keys are voided and every session of the account ends) and tells
//! the person by SMS and in the inbox. Each two-step operation is a `start` that checks the
//! password and sends a code, and a `finish` that redeems the code (single use, 5 minutes,
//! 5 tries).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::routing::post;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    AccountView, ApiError, CodeSent, DeviceBindingFinish, DeviceBindingStart, DeviceView,
    ErrorCode, NotificationKind, PasscodeResetFinish, PasscodeResetStart, Platform, SecretText,
    SelfLockFinish, SelfLockStart, SessionKind, paths,
};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId};
use serde::{Deserialize, Serialize};

use crate::http::auth::{self, Authed, SessionContext, parse_json, parse_stored};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::{self, Channel, InboxItem};
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::resources::accounts::{self, AccountRow};
use crate::resources::confirmation::method_text;
use crate::resources::sessions;
use crate::store::audit::{self, AuditRecord};

/// One-time-code purpose of device binding.
pub const BINDING_PURPOSE: &str = "device_binding";
/// One-time-code purpose of a passcode reset.
pub const PASSCODE_RESET_PURPOSE: &str = "passcode_reset";
/// One-time-code purpose of a self-lock.
pub const SELF_LOCK_PURPOSE: &str = "self_lock";

/// Longest device name kept, in characters.
const MAX_DEVICE_NAME: usize = 64;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::DEVICE_BINDING_START, post(binding_start))
        .route(paths::DEVICE_BINDING_FINISH, post(binding_finish))
        .route(paths::PASSCODE_RESET_START, post(passcode_reset_start))
        .route(paths::PASSCODE_RESET_FINISH, post(passcode_reset_finish))
        .route(paths::SELF_LOCK_START, post(self_lock_start))
        .route(paths::SELF_LOCK_FINISH, post(self_lock_finish))
}

/// What a pending code remembers between `start` and `finish`.
#[derive(Serialize, Deserialize)]
struct CodePayload {
    account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<String>,
}

impl CodePayload {
    fn to_json(&self) -> ServerResult<String> {
        serde_json::to_string(self).map_err(|e| ServerError::Internal(e.to_string()))
    }

    fn from_json(text: &str) -> ServerResult<Self> {
        parse_stored(serde_json::from_str(text))
    }
}

async fn read_request(req: Request) -> ServerResult<(Parts, axum::body::Bytes)> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    Ok((parts, body))
}

/// Checks an identification number and password, with the same answer
/// (`invalid_credentials`) and the same hashing work whether the number has no account or the
/// password is wrong. Counts against the number's password-attempt limit.
pub async fn check_password(
    state: &AppState,
    citizen_id: &CitizenId,
    password: &SecretText,
    action: &str,
) -> ServerResult<AccountRow> {
    let citizen_key = state.keys.citizen_key(citizen_id);
    rate_limit::per_account(state, &citizen_key).await?;
    let account = accounts::find_account_by_citizen(state, citizen_id).await?;
    let ok = match &account {
        Some(a) => accounts::verify_password(&a.password_hash, password.expose()).await,
        None => {
            accounts::dummy_password_check().await;
            false
        }
    };
    match account {
        Some(a) if ok => Ok(a),
        other => {
            audit::append(
                state,
                AuditRecord {
                    actor: other.as_ref().map(|a| a.id.as_str()),
                    action,
                    subject_key: Some(&citizen_key),
                    denied: true,
                    ..AuditRecord::default()
                },
            )
            .await?;
            tracing::info!(citizen = %citizen_id.masked(), action, "password refused");
            Err(ServerError::code(ErrorCode::InvalidCredentials))
        }
    }
}

/// Where codes and alerts for an account go: its owner's phone and e-mail in the registry.
struct Contact {
    phone: String,
    email: Option<String>,
}

async fn contact(state: &AppState, citizen_key: &[u8]) -> ServerResult<Contact> {
    let person = accounts::citizen_by_key(state, citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok(Contact {
        phone: person.phone.as_str().to_owned(),
        email: person.email.map(|e| e.as_str().to_owned()),
    })
}

impl Contact {
    /// E-mail when there is one, else SMS: for a person whose phone may be lost.
    fn email_first(&self) -> (Channel, &str) {
        match &self.email {
            Some(email) => (Channel::Email, email.as_str()),
            None => (Channel::Sms, self.phone.as_str()),
        }
    }
}

fn account_id(text: &str) -> ServerResult<AccountId> {
    parse_stored(AccountId::parse(text))
}

async fn bound_device_view(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Json<DeviceView>> {
    accounts::active_device(state, account)
        .await?
        .map(Json)
        .ok_or_else(|| ServerError::Internal("the device just bound is not active".into()))
}

fn platform_text(platform: Platform) -> String {
    serde_json::to_value(platform)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn validation(field: &str) -> ServerError {
    ServerError::from(
        ApiError::new(ErrorCode::ValidationFailed).with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(field),
        ]),
    )
}

/// The session must be the phone's own (not a desktop signed in by QR code).
fn device_session(session: &SessionContext) -> ServerResult<&DeviceId> {
    match (&session.device, session.kind) {
        (Some(device), SessionKind::Device) => Ok(device),
        _ => Err(ServerError::code(ErrorCode::Forbidden)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading devices
// ---------------------------------------------------------------------------------------------

/// Unbinds the account's active device, voiding its confirmation keys, and returns the ids of
/// the devices unbound. Run it in the transaction that also ends the account's sessions.
pub async fn unbind_devices(
    conn: &mut sqlx::AnyConnection,
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

async fn insert_confirmation_key(
    conn: &mut sqlx::AnyConnection,
    device: &str,
    method: ConfirmationMethod,
    key: &PublicKey,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO confirmation_keys (key_id, device_id, method, public_key, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key.key_id().as_bytes().to_vec())
    .bind(device)
    .bind(method_text(method))
    .bind(key.as_bytes().to_vec())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether any of `keys` is already registered, as a device key or a confirmation key. Keys
/// are never reused: a new binding brings new keys.
async fn any_key_known(state: &AppState, keys: &[&PublicKey]) -> ServerResult<bool> {
    for key in keys {
        let id = key.key_id().as_bytes().to_vec();
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM devices WHERE device_key_id = $1 \
             UNION ALL SELECT 1 FROM confirmation_keys WHERE key_id = $1",
        )
        .bind(id)
        .fetch_optional(&state.pool)
        .await?;
        if known.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---------------------------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------------------------

/// `POST /v1/devices/binding/start`: identification number and password; a one-time code
/// goes to the registered phone.
async fn binding_start(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<CodeSent>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: DeviceBindingStart = parse_json(&body)?;
    let account = check_password(
        &state,
        &request.citizen_id,
        &request.password,
        "device.bind.start",
    )
    .await?;
    if account.locked {
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }
    let contact = contact(&state, &account.citizen_key).await?;
    let payload = CodePayload {
        account: account.id.as_str().to_owned(),
        device: None,
    }
    .to_json()?;
    let sent = accounts::issue_code(
        &state,
        BINDING_PURPOSE,
        &account.citizen_key,
        &payload,
        Channel::Sms,
        &contact.phone,
    )
    .await?;
    audit::append(
        &state,
        AuditRecord {
            actor: Some(account.id.as_str()),
            action: "device.bind.start",
            subject_key: Some(&account.citizen_key),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/devices/binding/finish`: the code and the new device's keys. The request proof
/// is signed by the new device key (proof of possession) over a body holding the single-use
/// pending id and code, so it cannot be replayed.
async fn binding_finish(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<DeviceView>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: DeviceBindingFinish = parse_json(&body)?;
    let device_key = &request.device_key;
    auth::verify_proof(
        &state,
        &parts,
        &body,
        device_key,
        None,
        &device_key.key_id().to_string(),
    )
    .await?;
    let name = request.device_name.trim();
    if name.is_empty() || name.chars().count() > MAX_DEVICE_NAME {
        return Err(validation("device_name"));
    }
    let mut keys = vec![device_key, &request.passcode_key];
    keys.extend(request.biometric_key.as_ref());
    let distinct: std::collections::HashSet<_> = keys.iter().map(|k| k.key_id()).collect();
    if distinct.len() != keys.len() {
        return Err(validation("passcode_key"));
    }
    if any_key_known(&state, &keys).await? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }

    let (citizen_key, payload) =
        accounts::redeem_code(&state, BINDING_PURPOSE, &request.pending_id, &request.code).await?;
    let payload = CodePayload::from_json(&payload)?;
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT locked FROM accounts WHERE id = $1 AND citizen_key = $2")
            .bind(&payload.account)
            .bind(&citizen_key)
            .fetch_optional(&state.pool)
            .await?;
    match locked {
        None => return Err(ServerError::code(ErrorCode::OneTimeCodeInvalid)),
        Some(l) if l != 0 => return Err(ServerError::code(ErrorCode::AccountLocked)),
        Some(_) => {}
    }

    let now = state.now();
    let device_id = new_id("dev");
    let mut tx = state.pool.begin().await?;
    // One active device per account: the old one goes, with its keys and every session.
    let old = unbind_devices(&mut tx, &payload.account, now).await?;
    sessions::end_all_sessions(&mut tx, &payload.account, now).await?;
    sqlx::query(
        "INSERT INTO devices (id, account_id, name, platform, device_key, device_key_id, bound_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&device_id)
    .bind(&payload.account)
    .bind(name)
    .bind(platform_text(request.platform))
    .bind(device_key.as_bytes().to_vec())
    .bind(device_key.key_id().as_bytes().to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    insert_confirmation_key(
        &mut tx,
        &device_id,
        ConfirmationMethod::Passcode,
        &request.passcode_key,
        now,
    )
    .await?;
    if let Some(key) = &request.biometric_key {
        insert_confirmation_key(&mut tx, &device_id, ConfirmationMethod::Biometric, key, now)
            .await?;
    }
    tx.commit().await?;

    for old_id in &old {
        audit::append(
            &state,
            AuditRecord {
                actor: Some(&payload.account),
                device: Some(old_id),
                action: "device.unbind",
                object: Some(&format!("device:{old_id}")),
                subject_key: Some(&citizen_key),
                ..AuditRecord::default()
            },
        )
        .await?;
    }
    audit::append(
        &state,
        AuditRecord {
            actor: Some(&payload.account),
            device: Some(&device_id),
            action: "device.bind",
            object: Some(&format!("device:{device_id}")),
            subject_key: Some(&citizen_key),
            ..AuditRecord::default()
        },
    )
    .await?;
    let contact = contact(&state, &citizen_key).await?;
    let text_vi = format!(
        "Tài khoản định danh của bạn vừa được liên kết với thiết bị \"{name}\". Thiết bị cũ (nếu có) \
         đã bị hủy liên kết và mọi phiên đăng nhập đã kết thúc. Nếu không phải bạn, hãy khóa tài khoản ngay."
    );
    let text_en = format!(
        "Your e-ID account was just bound to the device \"{name}\". Any previous device was unbound \
         and every session ended. If this was not you, lock your account now."
    );
    outbox::send(
        &state,
        Some(&payload.account),
        Channel::Sms,
        &contact.phone,
        "alert.device_changed",
        "Thiết bị mới",
        &text_vi,
    )
    .await?;
    outbox::notify(
        &state,
        &payload.account,
        InboxItem {
            kind: NotificationKind::DeviceChanged,
            title_vi: "Tài khoản được liên kết với thiết bị mới",
            title_en: "Account bound to a new device",
            body_vi: &text_vi,
            body_en: &text_en,
            link: None,
        },
    )
    .await?;
    bound_device_view(&state, &account_id(&payload.account)?).await
}

// ---------------------------------------------------------------------------------------------
// Passcode reset
// ---------------------------------------------------------------------------------------------

/// The stored state of the session's device, refusing a device that must be bound again.
async fn usable_device(state: &AppState, session: &SessionContext) -> ServerResult<String> {
    let device = device_session(session)?;
    let wrong: Option<i64> = sqlx::query_scalar(
        "SELECT wrong_confirmations FROM devices WHERE id = $1 AND account_id = $2 AND unbound_at IS NULL",
    )
    .bind(device.as_str())
    .bind(session.account.as_str())
    .fetch_optional(&state.pool)
    .await?;
    match wrong {
        None => Err(ServerError::code(ErrorCode::DeviceNotBound)),
        // After 10 wrong confirmations only a new binding helps (its rule, not the reset's).
        Some(n) if n >= state.config.limits.confirmation_rebind_after => {
            Err(ServerError::code(ErrorCode::DeviceRebindRequired))
        }
        Some(_) => Ok(device.as_str().to_owned()),
    }
}

/// `POST /v1/devices/passcode/reset/start`, in the phone's session: the password; a code goes
/// to the registered phone.
async fn passcode_reset_start(
    State(state): State<AppState>,
    authed: Authed<PasscodeResetStart>,
) -> ServerResult<Json<CodeSent>> {
    let session = &authed.session;
    let device = usable_device(&state, session).await?;
    let account = accounts::find_account(&state, &session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let citizen_key = account.citizen_key;
    let hash = account.password_hash;
    rate_limit::per_account(&state, &citizen_key).await?;
    if !accounts::verify_password(&hash, authed.body.password.expose()).await {
        audit_device(
            &state,
            session,
            "device.passcode_reset.start",
            &device,
            true,
        )
        .await?;
        return Err(ServerError::code(ErrorCode::InvalidCredentials));
    }
    let contact = contact(&state, &citizen_key).await?;
    let payload = CodePayload {
        account: session.account.as_str().to_owned(),
        device: Some(device.clone()),
    }
    .to_json()?;
    let sent = accounts::issue_code(
        &state,
        PASSCODE_RESET_PURPOSE,
        &citizen_key,
        &payload,
        Channel::Sms,
        &contact.phone,
    )
    .await?;
    audit_device(
        &state,
        session,
        "device.passcode_reset.start",
        &device,
        false,
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/devices/passcode/reset/finish`, in the same phone's session: the code and the new
/// passcode-derived key. The old passcode key is voided and the wrong-confirmation count and
/// lock are cleared.
async fn passcode_reset_finish(
    State(state): State<AppState>,
    authed: Authed<PasscodeResetFinish>,
) -> ServerResult<Json<DeviceView>> {
    let session = &authed.session;
    let request = &authed.body;
    let device = usable_device(&state, session).await?;
    if any_key_known(&state, &[&request.passcode_key]).await? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    let (citizen_key, payload) = accounts::redeem_code(
        &state,
        PASSCODE_RESET_PURPOSE,
        &request.pending_id,
        &request.code,
    )
    .await?;
    let payload = CodePayload::from_json(&payload)?;
    if payload.account != session.account.as_str() || payload.device.as_deref() != Some(&device) {
        audit_device(&state, session, "device.passcode_reset", &device, true).await?;
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    let now = state.now();
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "UPDATE confirmation_keys SET revoked_at = $1 \
         WHERE device_id = $2 AND method = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(&device)
    .bind(method_text(ConfirmationMethod::Passcode))
    .execute(&mut *tx)
    .await?;
    insert_confirmation_key(
        &mut tx,
        &device,
        ConfirmationMethod::Passcode,
        &request.passcode_key,
        now,
    )
    .await?;
    sqlx::query(
        "UPDATE devices SET wrong_confirmations = 0, confirmation_locked_until = NULL WHERE id = $1",
    )
    .bind(&device)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    audit_device(&state, session, "device.passcode_reset", &device, false).await?;
    // The person hears of it on the phone number too, in case it was not them.
    let contact = contact(&state, &citizen_key).await?;
    outbox::send(
        &state,
        Some(session.account.as_str()),
        Channel::Sms,
        &contact.phone,
        "alert.passcode_reset",
        "Mã PIN đã được đặt lại",
        "Mã PIN xác nhận trên thiết bị của bạn vừa được đặt lại; mã PIN cũ không còn dùng được. \
         Nếu không phải bạn, hãy khóa tài khoản ngay.",
    )
    .await?;
    bound_device_view(&state, &session.account).await
}

async fn audit_device(
    state: &AppState,
    session: &SessionContext,
    action: &str,
    device: &str,
    denied: bool,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor: Some(session.account.as_str()),
            acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
            device: Some(device),
            action,
            object: Some(&format!("device:{device}")),
            subject_key: None,
            denied,
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Self-lock
// ---------------------------------------------------------------------------------------------

/// `POST /v1/accounts/lock/start`: identification number and password; the code goes by
/// e-mail, since the phone may be in someone else's hands (by SMS when there is no e-mail).
async fn self_lock_start(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<CodeSent>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: SelfLockStart = parse_json(&body)?;
    let account = check_password(
        &state,
        &request.citizen_id,
        &request.password,
        "account.self_lock.start",
    )
    .await?;
    if account.locked {
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }
    let contact = contact(&state, &account.citizen_key).await?;
    let (channel, recipient) = contact.email_first();
    let payload = CodePayload {
        account: account.id.as_str().to_owned(),
        device: None,
    }
    .to_json()?;
    let sent = accounts::issue_code(
        &state,
        SELF_LOCK_PURPOSE,
        &account.citizen_key,
        &payload,
        channel,
        recipient,
    )
    .await?;
    audit::append(
        &state,
        AuditRecord {
            actor: Some(account.id.as_str()),
            action: "account.self_lock.start",
            subject_key: Some(&account.citizen_key),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/accounts/lock/finish`: the code. Locks the account, ends every session and
/// unbinds the device, in one transaction. Only an officer unlocks it (Decree 69/2024,
/// Art. 15; `accounts::set_lock`).
async fn self_lock_finish(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<AccountView>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: SelfLockFinish = parse_json(&body)?;
    let (citizen_key, payload) = accounts::redeem_code(
        &state,
        SELF_LOCK_PURPOSE,
        &request.pending_id,
        &request.code,
    )
    .await?;
    let payload = CodePayload::from_json(&payload)?;
    let now = state.now();
    let mut tx = state.pool.begin().await?;
    let locked = sqlx::query(
        "UPDATE accounts SET locked = 1, locked_reason = 'self' WHERE id = $1 AND citizen_key = $2",
    )
    .bind(&payload.account)
    .bind(&citizen_key)
    .execute(&mut *tx)
    .await?;
    if locked.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::OneTimeCodeInvalid));
    }
    let ended = sessions::end_all_sessions(&mut tx, &payload.account, now).await?;
    let old = unbind_devices(&mut tx, &payload.account, now).await?;
    tx.commit().await?;
    tracing::info!(
        sessions = ended,
        devices = old.len(),
        "account locked by its owner"
    );
    audit::append(
        &state,
        AuditRecord {
            actor: Some(&payload.account),
            action: "account.self_lock",
            object: Some(&format!("account:{}", payload.account)),
            subject_key: Some(&citizen_key),
            ..AuditRecord::default()
        },
    )
    .await?;
    let contact = contact(&state, &citizen_key).await?;
    let text_vi = "Tài khoản định danh của bạn đã bị khóa theo yêu cầu của bạn. Mọi phiên đăng nhập \
                   đã kết thúc và thiết bị đã bị hủy liên kết. Để mở khóa, vui lòng liên hệ cơ quan công an.";
    let text_en = "Your e-ID account was locked at your request. Every session ended and the device \
                   was unbound. To unlock it, please contact the police.";
    let (channel, recipient) = contact.email_first();
    outbox::send(
        &state,
        Some(&payload.account),
        channel,
        recipient,
        "alert.account_locked",
        "Tài khoản đã bị khóa",
        text_vi,
    )
    .await?;
    outbox::notify(
        &state,
        &payload.account,
        InboxItem {
            kind: NotificationKind::AccountLockChanged,
            title_vi: "Tài khoản đã bị khóa",
            title_en: "Account locked",
            body_vi: text_vi,
            body_en: text_en,
            link: None,
        },
    )
    .await?;
    let account = account_id(&payload.account)?;
    accounts::account_view(&state, &account).await.map(Json)
}
