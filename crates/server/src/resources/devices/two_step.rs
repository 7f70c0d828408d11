//! What the two-step device flows share: the password check of their first step, what a
//! pending code remembers, where codes and alerts go, and the device rows they change.

use axum::Json;
use axum::extract::Request;
use axum::http::request::Parts;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{ApiError, CodeSent, DeviceView, ErrorCode, SecretText, SessionKind};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::http::auth::{self, SessionContext};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::Channel;
use crate::infra::rate_limit::{PasswordAttempt, PasswordRoute, Source};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, AccountRow};
use crate::store::audit::{self, AuditRecord};
use crate::store::devices;
use crate::store::tx::Tx;
use crate::store::values::{parse_stored, word};

/// What a pending code remembers between `start` and `finish`.
#[derive(Serialize, Deserialize)]
pub(super) struct CodePayload {
    pub(super) account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) device: Option<String>,
}

impl CodePayload {
    pub(super) fn to_json(&self) -> ServerResult<String> {
        serde_json::to_string(self).map_err(|e| ServerError::Internal(e.to_string()))
    }

    pub(super) fn from_json(text: &str) -> ServerResult<Self> {
        parse_stored(serde_json::from_str(text))
    }
}

pub(super) async fn read_request(req: Request) -> ServerResult<(Parts, axum::body::Bytes)> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    Ok((parts, body))
}

/// Checks an identification number and password, with the same answer
/// (`invalid_credentials`) and the same hashing work whether the number has no account or the
/// password is wrong. A wrong password counts against the number's password limits for this
/// source (`route` says which: self-lock is never refused for failures from elsewhere); the
/// count and the refusal's audit entry stay whatever the action then does. Call it before the
/// action's transaction begins.
async fn check_password(
    state: &AppState,
    parts: &Parts,
    citizen_id: &CitizenId,
    password: &SecretText,
    action: &str,
    route: PasswordRoute,
) -> ServerResult<AccountRow> {
    let citizen_key = state.keys.citizen_key(citizen_id);
    let attempt =
        PasswordAttempt::reserve(state, &citizen_key, Source::Address(parts), route).await?;
    let account = accounts::find_account_by_citizen(state, citizen_id).await?;
    let ok = match &account {
        Some(a) => accounts::verify_password(&a.password_hash, password.expose()).await,
        None => {
            accounts::dummy_password_check().await;
            false
        }
    };
    match account {
        Some(a) if ok => {
            attempt.succeeded(state).await?;
            Ok(a)
        }
        other => {
            attempt.failed();
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
pub(super) struct Contact {
    pub(super) phone: String,
    pub(super) email: Option<String>,
}

/// The contact of the person with this citizen key, read on `conn`.
pub(super) async fn contact(
    conn: &mut AnyConnection,
    state: &AppState,
    citizen_key: &[u8],
) -> ServerResult<Contact> {
    let person = accounts::citizen_in(conn, state, citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok(Contact {
        phone: person.phone.as_str().to_owned(),
        email: person.email.map(|e| e.as_str().to_owned()),
    })
}

impl Contact {
    /// E-mail when there is one, else SMS: for a person whose phone may be lost.
    pub(super) fn email_first(&self) -> (Channel, &str) {
        match &self.email {
            Some(email) => (Channel::Email, email.as_str()),
            None => (Channel::Sms, self.phone.as_str()),
        }
    }
}

/// Where the first step of a password-and-code flow sends its code.
pub(super) enum CodeTo {
    /// The registered phone, by SMS.
    Phone,
    /// E-mail when there is one ([`Contact::email_first`]): the phone may be lost.
    EmailFirst,
}

/// The first step of a password-and-code flow (binding, self-lock): the password (counted per
/// `route`, before the action's transaction), an account that is not locked, and a one-time
/// code for `purpose` sent as `to` says, issued and audited as `action` in one transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn start_with_password(
    state: &AppState,
    parts: &Parts,
    citizen_id: &CitizenId,
    password: &SecretText,
    action: &'static str,
    route: PasswordRoute,
    purpose: &str,
    to: CodeTo,
) -> ServerResult<CodeSent> {
    let account = check_password(state, parts, citizen_id, password, action, route).await?;
    if account.locked {
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }
    let contact = contact(
        &mut *state.pool.acquire().await?,
        state,
        &account.citizen_key,
    )
    .await?;
    let (channel, recipient) = match to {
        CodeTo::Phone => (Channel::Sms, contact.phone.as_str()),
        CodeTo::EmailFirst => contact.email_first(),
    };
    let payload = CodePayload {
        account: account.id.as_str().to_owned(),
        device: None,
    }
    .to_json()?;
    let mut tx = Tx::begin(state, action).await?;
    let sent = accounts::issue_code(
        &mut tx,
        state,
        purpose,
        &account.citizen_key,
        &payload,
        channel,
        recipient,
    )
    .await?;
    tx.audit(AuditRecord {
        actor: Some(account.id.as_str()),
        action,
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(sent)
}

pub(super) fn account_id(text: &str) -> ServerResult<AccountId> {
    parse_stored(AccountId::parse(text))
}

pub(super) async fn bound_device_view(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Json<DeviceView>> {
    accounts::active_device(state, account)
        .await?
        .map(Json)
        .ok_or_else(|| ServerError::Internal("the device just bound is not active".into()))
}

pub(super) fn validation(field: &str) -> ServerError {
    ServerError::from(
        ApiError::new(ErrorCode::ValidationFailed).with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(field),
        ]),
    )
}

/// The session must be the phone's own (not a desktop signed in by QR code).
pub(super) fn device_session(session: &SessionContext) -> ServerResult<&DeviceId> {
    match (&session.device, session.kind) {
        (Some(device), SessionKind::Device) => Ok(device),
        _ => Err(ServerError::code(ErrorCode::Forbidden)),
    }
}

/// Unbinds the account's active device, voiding its confirmation keys, and returns the ids of
/// the devices unbound. Run it in the transaction that also ends the account's sessions.
pub async fn unbind_devices(
    conn: &mut AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<Vec<String>> {
    devices::unbind_all(conn, account, now).await
}

pub(super) async fn insert_confirmation_key(
    conn: &mut AnyConnection,
    device: &str,
    method: ConfirmationMethod,
    key: &PublicKey,
    now: i64,
) -> ServerResult<()> {
    devices::insert_key(
        conn,
        device,
        &word(&method)?,
        key.key_id().as_bytes().to_vec(),
        key.as_bytes().to_vec(),
        now,
    )
    .await
}

/// Whether any of `keys` is already registered, as a device key or a confirmation key. Keys
/// are never reused: a new binding brings new keys.
pub(super) async fn any_key_known(state: &AppState, keys: &[&PublicKey]) -> ServerResult<bool> {
    let conn = &mut *state.pool.acquire().await?;
    for key in keys {
        if devices::key_known(conn, key.key_id().as_bytes().to_vec()).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
