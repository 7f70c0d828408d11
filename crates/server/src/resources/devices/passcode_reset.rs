//! Resetting a forgotten passcode, in the phone's own session: the password and a one-time
//! code to the registered phone; the new passcode key replaces the old one.

use axum::Json;
use axum::extract::State;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    CodeSent, DeviceView, ErrorCode, PasscodeResetFinish, PasscodeResetStart,
};

use super::two_step::{
    CodePayload, any_key_known, bound_device_view, contact, device_session, insert_confirmation_key,
};
use crate::http::auth::{Authed, SessionContext};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::Channel;
use crate::infra::rate_limit::{PasswordAttempt, PasswordRoute, Source};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, purpose};
use crate::store::audit::{self, AuditRecord};
use crate::store::devices;
use crate::store::tx::Tx;
use crate::store::values::word;

/// The session's device, refusing a device that must be bound again.
async fn usable_device(state: &AppState, session: &SessionContext) -> ServerResult<String> {
    let device = device_session(session)?;
    let wrong = devices::wrong_confirmations(
        &mut *state.pool.acquire().await?,
        device.as_str(),
        session.account.as_str(),
    )
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
pub(super) async fn passcode_reset_start(
    State(state): State<AppState>,
    authed: Authed<PasscodeResetStart>,
) -> ServerResult<Json<CodeSent>> {
    let session = &authed.session;
    let device = usable_device(&state, session).await?;
    let object = format!("device:{device}");
    let account = accounts::find_account(&state, &session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let citizen_key = account.citizen_key;
    let hash = account.password_hash;
    // The source is the phone whose session this is.
    let attempt = PasswordAttempt::reserve(
        &state,
        &citizen_key,
        Source::Device(&device),
        PasswordRoute::Guarded,
    )
    .await?;
    if accounts::verify_password(&hash, authed.body.password.expose()).await {
        attempt.succeeded(&state).await?;
    } else {
        attempt.failed();
        audit::append(
            &state,
            device_record(
                session,
                "device.passcode_reset.start",
                &device,
                &object,
                true,
            ),
        )
        .await?;
        return Err(ServerError::code(ErrorCode::InvalidCredentials));
    }
    let contact = contact(&mut *state.pool.acquire().await?, &state, &citizen_key).await?;
    let payload = CodePayload {
        account: session.account.as_str().to_owned(),
        device: Some(device.clone()),
    }
    .to_json()?;
    let mut tx = Tx::begin(&state, "device.passcode_reset.start").await?;
    let sent = accounts::issue_code(
        &mut tx,
        &state,
        purpose::PASSCODE_RESET,
        &citizen_key,
        &payload,
        Channel::Sms,
        &contact.phone,
    )
    .await?;
    tx.audit(device_record(
        session,
        "device.passcode_reset.start",
        &device,
        &object,
        false,
    ));
    tx.commit().await?;
    Ok(Json(sent))
}

/// `POST /v1/devices/passcode/reset/finish`, in the same phone's session: the code and the new
/// passcode-derived key. The old passcode key is voided and the wrong-confirmation count and
/// lock are cleared, in one transaction with the audit entry and the SMS alert.
pub(super) async fn passcode_reset_finish(
    State(state): State<AppState>,
    authed: Authed<PasscodeResetFinish>,
) -> ServerResult<Json<DeviceView>> {
    let session = &authed.session;
    let request = &authed.body;
    let device = usable_device(&state, session).await?;
    let object = format!("device:{device}");
    let (citizen_key, payload) = accounts::redeem_code(
        &state,
        purpose::PASSCODE_RESET,
        &request.pending_id,
        &request.code,
    )
    .await?;
    // Only after the code (see device binding): otherwise the phone's session alone could ask
    // whether a guessed passcode's key is the registered one, uncounted.
    if any_key_known(&state, &[&request.passcode_key]).await? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    let payload = CodePayload::from_json(&payload)?;
    if payload.account != session.account.as_str() || payload.device.as_deref() != Some(&device) {
        audit::append(
            &state,
            device_record(session, "device.passcode_reset", &device, &object, true),
        )
        .await?;
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    let mut tx = Tx::begin(&state, "device.passcode_reset").await?;
    let now = tx.now();
    devices::revoke_keys(
        tx.conn()?,
        &device,
        &word(&ConfirmationMethod::Passcode)?,
        now,
    )
    .await?;
    insert_confirmation_key(
        tx.conn()?,
        &device,
        ConfirmationMethod::Passcode,
        &request.passcode_key,
        now,
    )
    .await?;
    devices::clear_wrong_confirmations(tx.conn()?, &device).await?;
    tx.audit(device_record(
        session,
        "device.passcode_reset",
        &device,
        &object,
        false,
    ));
    // The person hears of it on the phone number too, in case it was not them.
    let contact = contact(tx.conn()?, &state, &citizen_key).await?;
    tx.send(
        Some(session.account.as_str()),
        Channel::Sms,
        &contact.phone,
        "alert.passcode_reset",
        "Mã PIN đã được đặt lại",
        "Mã PIN xác nhận trên thiết bị của bạn vừa được đặt lại; mã PIN cũ không còn dùng được. \
         Nếu không phải bạn, hãy khóa tài khoản ngay.",
    )
    .await?;
    tx.commit().await?;
    bound_device_view(&state, &session.account).await
}

/// The audit entry of a passcode-reset step on the session's device (`object`: `device:<id>`).
fn device_record<'a>(
    session: &'a SessionContext,
    action: &'a str,
    device: &'a str,
    object: &'a str,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: Some(session.account.as_str()),
        acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
        device: Some(device),
        action,
        object: Some(object),
        subject_key: None,
        denied,
    }
}
