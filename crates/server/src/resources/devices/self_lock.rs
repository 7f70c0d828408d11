//! Locking one's own account after losing the phone: the password, then a one-time code sent
//! by e-mail (the phone may be in someone else's hands). Only an officer unlocks it.

use axum::Json;
use axum::extract::{Request, State};
use dinhdanh_core::api::{
    AccountView, CodeSent, ErrorCode, NotificationKind, SelfLockFinish, SelfLockStart,
};

use super::two_step::{
    CodePayload, CodeTo, account_id, contact, read_request, start_with_password, unbind_devices,
};
use crate::http::auth::parse_json;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::InboxItem;
use crate::infra::rate_limit::{self, PasswordRoute};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, purpose};
use crate::store::accounts as stored_accounts;
use crate::store::audit::AuditRecord;
use crate::store::oidc_logouts::{self, Ended};
use crate::store::sessions;
use crate::store::tx::Tx;

/// `POST /v1/accounts/lock/start`: identification number and password; the code goes by
/// e-mail, since the phone may be in someone else's hands (by SMS when there is no e-mail).
pub(super) async fn self_lock_start(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<CodeSent>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: SelfLockStart = parse_json(&body)?;
    let sent = start_with_password(
        &state,
        &parts,
        &request.citizen_id,
        &request.password,
        "account.self_lock.start",
        PasswordRoute::SelfLock,
        purpose::SELF_LOCK,
        CodeTo::EmailFirst,
    )
    .await?;
    Ok(Json(sent))
}

/// `POST /v1/accounts/lock/finish`: the code. Locks the account, ends every session and
/// unbinds the device, in one transaction with the audit entry and the alerts. Only an
/// officer unlocks it (Decree 69/2024, Art. 15; `accounts::set_lock`).
pub(super) async fn self_lock_finish(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<AccountView>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: SelfLockFinish = parse_json(&body)?;
    let (citizen_key, payload) = accounts::redeem_code(
        &state,
        purpose::SELF_LOCK,
        &request.pending_id,
        &request.code,
    )
    .await?;
    let payload = CodePayload::from_json(&payload)?;
    let mut tx = Tx::begin(&state, "account.self_lock").await?;
    let now = tx.now();
    if !stored_accounts::lock_by_owner(tx.conn()?, &payload.account, &citizen_key).await? {
        return Err(ServerError::code(ErrorCode::OneTimeCodeInvalid));
    }
    let ended = sessions::end_all(tx.conn()?, &payload.account, now).await?;
    let old = unbind_devices(tx.conn()?, &payload.account, now).await?;
    // Every service the person is signed in to is told (back-channel logout, after the
    // commit), and its tokens are revoked.
    oidc_logouts::end_sign_ins(&mut tx, Ended::Account(&payload.account), "account_locked").await?;
    tracing::info!(
        sessions = ended,
        devices = old.len(),
        "account locked by its owner"
    );
    tx.audit(AuditRecord {
        actor: Some(&payload.account),
        action: "account.self_lock",
        object: Some(&format!("account:{}", payload.account)),
        subject_key: Some(&citizen_key),
        ..AuditRecord::default()
    });
    let contact = contact(tx.conn()?, &state, &citizen_key).await?;
    let text_vi = "Tài khoản định danh của bạn đã bị khóa theo yêu cầu của bạn. Mọi phiên đăng nhập \
                   đã kết thúc và thiết bị đã bị hủy liên kết. Để mở khóa, vui lòng liên hệ cơ quan công an.";
    let text_en = "Your e-ID account was locked at your request. Every session ended and the device \
                   was unbound. To unlock it, please contact the police.";
    let (channel, recipient) = contact.email_first();
    tx.send(
        Some(&payload.account),
        channel,
        recipient,
        "alert.account_locked",
        "Tài khoản đã bị khóa",
        text_vi,
    )
    .await?;
    tx.notify(
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
    tx.commit().await?;
    let account = account_id(&payload.account)?;
    accounts::account_view(&state, &account).await.map(Json)
}
