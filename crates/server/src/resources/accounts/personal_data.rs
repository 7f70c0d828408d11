//! Personal data (Decree 13/2023/NĐ-CP): a person sees everything held about them and the
//! audit entries about them, never anyone else's.

use axum::Json;
use axum::extract::State;
use dinhdanh_core::api::{
    AuditEntry, ConfirmationKeyView, DeviceView, ErrorCode, PersonalDataView,
};
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid};

use super::account::{account_view, find_account};
use super::citizens::citizen_by_key;
use crate::http::auth::Authed;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::audit::{self, AuditRecord};
use crate::store::devices;
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, public_key_from_db};

/// The account's active device (the one not unbound), with its active confirmation keys.
pub async fn active_device(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<DeviceView>> {
    let conn = &mut *state.pool.acquire().await?;
    let Some(row) = devices::active(conn, account.as_str()).await? else {
        return Ok(None);
    };
    let keys = devices::active_keys(conn, &row.id).await?;
    let mut confirmation_keys = Vec::with_capacity(keys.len());
    for k in &keys {
        confirmation_keys.push(ConfirmationKeyView {
            method: from_word(&k.method)?,
            failed_attempts: u32::try_from(row.wrong_confirmations).unwrap_or(u32::MAX),
            locked_until: row
                .confirmation_locked_until
                .filter(|t| *t > state.now())
                .map(timestamp),
        });
    }
    Ok(Some(DeviceView {
        id: parse_stored(DeviceId::parse(&row.id))?,
        name: row.name,
        platform: from_word(&row.platform)?,
        device_key_id: public_key_from_db(&row.device_key)?.key_id(),
        confirmation_keys,
        bound_at: timestamp(row.bound_at),
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

/// `GET /v1/me/data`: everything held about the signed-in person. Reading it is audited too:
/// no answer without its audit entry.
pub(super) async fn my_data(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<PersonalDataView>> {
    let account = &auth.session.account;
    let view = personal_data(&state, account).await?;
    let key = state.keys.citizen_key(&view.citizen_id);
    let object = format!("account:{account}");
    let mut tx = Tx::begin(&state, "personal_data.view").await?;
    tx.audit(AuditRecord {
        actor: Some(account.as_str()),
        device: auth.session.device.as_ref().map(DeviceId::as_str),
        action: "personal_data.viewed",
        object: Some(&object),
        subject_key: Some(&key),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(Json(view))
}

/// `GET /v1/me/audit`: the signed-in person's activity — the audit entries about them and
/// those of what they did themselves (also for an organisation), oldest first.
pub(super) async fn my_audit(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<AuditEntry>>> {
    let row = find_account(&state, &auth.session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    Ok(Json(
        audit::entries_of_person(&state, &auth.session.account, &row.citizen_key).await?,
    ))
}
