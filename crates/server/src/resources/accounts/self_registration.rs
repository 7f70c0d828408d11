//! Self-registration of a level-1 account: identification number, name, date of birth and
//! phone checked against the registry, then a one-time code to that phone.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    AccountView, CodeSent, ErrorCode, SelfRegistrationFinish, SelfRegistrationStart,
};
use dinhdanh_core::ids::Email;
use serde::{Deserialize, Serialize};

use super::account::{account_view, find_account_by_key, insert_account};
use super::citizens::{citizen_by_key, names_match};
use super::one_time_codes::{issue_code, purpose, redeem_code};
use super::password::hash_password;
use crate::http::auth::{MAX_BODY, parse_json};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::Channel;
use crate::infra::state::AppState;
use crate::store::audit::{self, AuditRecord};
use crate::store::citizens;
use crate::store::tx::Tx;

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
pub(super) async fn start_self_registration(
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
    let mut tx = Tx::begin(&state, "account.self_registration.start").await?;
    let sent = issue_code(
        &mut tx,
        &state,
        purpose::SELF_REGISTRATION,
        &key,
        &payload,
        Channel::Sms,
        record.phone.as_str(),
    )
    .await?;
    tx.audit(AuditRecord {
        action: "account.self_registration.code_sent",
        subject_key: Some(&key),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(Json(sent))
}

/// `POST /v1/accounts/registration/finish`: redeems the code and creates the level-1 account
/// with the new password. An e-mail address given in step 1 becomes the contact address.
pub(super) async fn finish_self_registration(
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
    // A person has at most one account: checked before hashing to spare the work; the unique
    // constraint decides races.
    if find_account_by_key(&state, &key).await?.is_some() {
        return Err(ServerError::code(ErrorCode::AccountExists));
    }
    let hash = hash_password(&body.password).await?;
    let mut tx = Tx::begin(&state, "account.self_registration.finish").await?;
    let account = insert_account(&mut tx, &key, &hash, AccountLevel::Level1).await?;
    if let Some(email) = payload.email.filter(|e| Some(e) != record.email.as_ref()) {
        citizens::set_email(tx.conn()?, &key, email.as_str()).await?;
        let object = format!("account:{account}");
        tx.audit(AuditRecord {
            actor: Some(account.as_str()),
            action: "contact.email_set",
            object: Some(&object),
            subject_key: Some(&key),
            ..AuditRecord::default()
        });
    }
    tx.commit().await?;
    Ok(Json(account_view(&state, &account).await?))
}
