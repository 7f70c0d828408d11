//! Binding a phone to an account: the password and a one-time code sent to the registered
//! phone, and proof that the new device holds its device key. Binding unbinds the old device.

use axum::Json;
use axum::extract::{Request, State};
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    CodeSent, DeviceBindingFinish, DeviceBindingStart, DeviceView, ErrorCode, NotificationKind,
};

use super::two_step::{
    CodePayload, CodeTo, account_id, any_key_known, bound_device_view, contact,
    insert_confirmation_key, read_request, start_with_password, unbind_devices, validation,
};
use crate::http::auth::{self, parse_json};
use crate::infra::error::{ServerError, ServerResult, invalid_text};
use crate::infra::ids::new_id;
use crate::infra::outbox::{Channel, InboxItem};
use crate::infra::rate_limit::{self, PasswordRoute};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, purpose};
use crate::store::accounts as stored_accounts;
use crate::store::audit::AuditRecord;
use crate::store::devices::{self, NewDevice};
use crate::store::sessions;
use crate::store::tx::Tx;
use crate::store::values::word;

/// `POST /v1/devices/binding/start`: identification number and password; a one-time code
/// goes to the registered phone.
pub(super) async fn binding_start(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<CodeSent>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: DeviceBindingStart = parse_json(&body)?;
    let sent = start_with_password(
        &state,
        &parts,
        &request.citizen_id,
        &request.password,
        "device.bind.start",
        PasswordRoute::Guarded,
        purpose::DEVICE_BINDING,
        CodeTo::Phone,
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/devices/binding/finish`: the code and the new device's keys. The request proof
/// is signed by the new device key (proof of possession) over a body holding the single-use
/// pending id and code, so it cannot be replayed. The old device goes, with its keys and
/// every session, in the transaction that binds the new one, with the audit entries and the
/// alerts.
pub(super) async fn binding_finish(
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
    // Shown to others (sessions, notices, SMS text): the one text policy, one line.
    let name = dinhdanh_core::text::label(&request.device_name)
        .map_err(|p| invalid_text(p, "device_name"))?;
    let name = name.as_str();
    let mut keys = vec![device_key, &request.passcode_key];
    keys.extend(request.biometric_key.as_ref());
    let distinct: std::collections::HashSet<_> = keys.iter().map(|k| k.key_id()).collect();
    if distinct.len() != keys.len() {
        return Err(validation("passcode_key"));
    }
    let (citizen_key, payload) = accounts::redeem_code(
        &state,
        purpose::DEVICE_BINDING,
        &request.pending_id,
        &request.code,
    )
    .await?;
    // Asked only once the code is right: before it, the answer would tell anyone whether a
    // key is registered — with a stolen phone's salt, a way to try passcodes that no
    // wrong-confirmation count sees.
    if any_key_known(&state, &keys).await? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    let payload = CodePayload::from_json(&payload)?;

    let mut tx = Tx::begin(&state, "device.bind").await?;
    match stored_accounts::locked_of(tx.conn()?, &payload.account, &citizen_key).await? {
        None => return Err(ServerError::code(ErrorCode::OneTimeCodeInvalid)),
        Some(l) if l != 0 => return Err(ServerError::code(ErrorCode::AccountLocked)),
        Some(_) => {}
    }
    let now = tx.now();
    let device_id = new_id("dev");
    // One active device per account: the old one goes, with its keys and every session.
    let old = unbind_devices(tx.conn()?, &payload.account, now).await?;
    sessions::end_all(tx.conn()?, &payload.account, now).await?;
    devices::insert(
        tx.conn()?,
        NewDevice {
            id: &device_id,
            account: &payload.account,
            name,
            platform: &word(&request.platform)?,
            device_key: device_key.as_bytes().to_vec(),
            device_key_id: device_key.key_id().as_bytes().to_vec(),
            bound_at: now,
        },
    )
    .await?;
    insert_confirmation_key(
        tx.conn()?,
        &device_id,
        ConfirmationMethod::Passcode,
        &request.passcode_key,
        now,
    )
    .await?;
    if let Some(key) = &request.biometric_key {
        insert_confirmation_key(
            tx.conn()?,
            &device_id,
            ConfirmationMethod::Biometric,
            key,
            now,
        )
        .await?;
    }

    for old_id in &old {
        tx.audit(AuditRecord {
            actor: Some(&payload.account),
            device: Some(old_id),
            action: "device.unbind",
            object: Some(&format!("device:{old_id}")),
            subject_key: Some(&citizen_key),
            ..AuditRecord::default()
        });
    }
    tx.audit(AuditRecord {
        actor: Some(&payload.account),
        device: Some(&device_id),
        action: "device.bind",
        object: Some(&format!("device:{device_id}")),
        subject_key: Some(&citizen_key),
        ..AuditRecord::default()
    });
    let contact = contact(tx.conn()?, &state, &citizen_key).await?;
    let text_vi = format!(
        "Tài khoản định danh của bạn vừa được liên kết với thiết bị \"{name}\". Thiết bị cũ (nếu có) \
         đã bị hủy liên kết và mọi phiên đăng nhập đã kết thúc. Nếu không phải bạn, hãy khóa tài khoản ngay."
    );
    let text_en = format!(
        "Your e-ID account was just bound to the device \"{name}\". Any previous device was unbound \
         and every session ended. If this was not you, lock your account now."
    );
    tx.send(
        Some(&payload.account),
        Channel::Sms,
        &contact.phone,
        "alert.device_changed",
        "Thiết bị mới",
        &text_vi,
    )
    .await?;
    tx.notify(
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
    tx.commit().await?;
    bound_device_view(&state, &account_id(&payload.account)?).await
}
