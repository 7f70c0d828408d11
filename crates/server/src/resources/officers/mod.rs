//! Officers: personal accounts granted an officer role for one of the 34 provinces. They sign
//! in like everyone else and act through the API and the officer console (`resources::console`);
//! in-person work goes through the CLI, which also grants and withdraws the role.
//!
//! **Scope.** An officer acts on the people "of their province". The registry holds no address,
//! so a person's province is the one where their birth was registered — the first three digits
//! of the identification number — mapped to today's 34 provinces with
//! [`OldProvince::current`](dinhdanh_core::ids::OldProvince::current). That is a proxy (people
//! move; the real system would use the permanent residence in the population database), but it
//! is deterministic, known for everyone, and the same rule everywhere in this server:
//! [`person_province`].
//!
//! Every officer action is authorised by role and province on the server, confirmed with the
//! officer's passcode or biometrics (a signed action), and audited with the officer as actor —
//! refusals too.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{AccountView, ErrorCode, OfficerAccountChange, paths};
use dinhdanh_core::ids::{AccountId, CitizenId, NewProvince};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use crate::authz;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult, invalid_text};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, LockActor};
use crate::store::audit::{self, Actor, AuditRecord};
use crate::store::tx::Tx;
use crate::store::{console_sessions, officers};

/// Longest reason an officer may give, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(paths::OFFICER_ACCOUNT_LOCK, post(change_account_lock))
}

/// The province a person belongs to for officers: where their birth was registered, on
/// today's map (see the module documentation for why).
pub fn person_province(citizen: &CitizenId) -> NewProvince {
    citizen.province().current()
}

/// Grants the officer role for `province` to the account of the person with this number
/// (done by the CLI). The account must exist (`not_found`) and be level 2 (`level_too_low`).
/// Granting again moves the officer to the new province.
pub async fn grant_officer(
    state: &AppState,
    citizen: &CitizenId,
    province: NewProvince,
) -> ServerResult<()> {
    let account = accounts::find_account_by_citizen(state, citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if account.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let mut tx = Tx::begin(state, "officer.grant").await?;
    let now = tx.now();
    officers::grant(tx.conn()?, account.id.as_str(), province.key(), now).await?;
    let object = format!("account:{}", account.id);
    let action = format!("officer.granted.{}", province.key());
    tx.audit(AuditRecord {
        action: &action,
        object: Some(&object),
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// Grants the read-only national scope to the account of the person with this number (done
/// by the CLI): the officer console's dashboard of every province, nothing else. It replaces a
/// provincial grant, as a provincial grant replaces it. The account must exist (`not_found`)
/// and be level 2 (`level_too_low`). Audited `officer.granted.national`.
pub async fn grant_national_officer(state: &AppState, citizen: &CitizenId) -> ServerResult<()> {
    let account = accounts::find_account_by_citizen(state, citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if account.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let mut tx = Tx::begin(state, "officer.grant").await?;
    let now = tx.now();
    officers::grant_national(tx.conn()?, account.id.as_str(), now).await?;
    let object = format!("account:{}", account.id);
    tx.audit(AuditRecord {
        action: "officer.granted.national",
        object: Some(&object),
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// Withdraws the officer role of the person with this number (done by the CLI), and in the
/// same transaction ends their officer console sessions, so the console refuses their next
/// request even before it would read the role again. The number of sessions ended. An account
/// that is not an officer is `not_found`, and nothing is written.
pub async fn revoke_officer(state: &AppState, citizen: &CitizenId) -> ServerResult<u64> {
    let account = accounts::find_account_by_citizen(state, citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let mut tx = Tx::begin(state, "officer.revoke").await?;
    let province = match officers::revoke(tx.conn()?, account.id.as_str()).await? {
        Some(province) => province,
        None if officers::revoke_national(tx.conn()?, account.id.as_str()).await? => {
            "national".to_owned()
        }
        None => return Err(ServerError::code(ErrorCode::NotFound)),
    };
    let ended = console_sessions::delete_of_account(tx.conn()?, account.id.as_str()).await?;
    let object = format!("account:{}", account.id);
    let action = format!("officer.revoked.{province}");
    tx.audit(AuditRecord {
        action: &action,
        object: Some(&object),
        subject_key: Some(&account.citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(ended)
}

/// Audits a refused officer action and returns the error to answer with.
async fn refuse(
    state: &AppState,
    auth_account: &AccountId,
    device: Option<&str>,
    object: Option<&str>,
    subject_key: Option<&[u8]>,
    code: ErrorCode,
) -> ServerError {
    let record = AuditRecord {
        actor: Some(auth_account.as_str()),
        device,
        action: "officer.account_lock.refused",
        object,
        subject_key,
        denied: true,
        ..AuditRecord::default()
    };
    audit::refuse_with(state, record, code).await
}

/// The route's path names no object: the body's `account` is the one changed.
impl ConfirmedBody for OfficerAccountChange {}

/// `POST /v1/officer/accounts/lock`: an officer locks or unlocks a personal account (Decree
/// 69/2024, Art. 15), confirmed with a signed action of kind `change_account_lock` whose
/// target is `account:<id>`.
///
/// Checked in this order: the caller is an officer (`forbidden`); the reason is given; the
/// account exists (`not_found`), is not the officer's own and belongs to the officer's province
/// (`forbidden`); then the confirmation is verified (`step_up_required` without one), and only
/// then is anything changed. Locking ends the person's sessions and
/// notifies them ([`accounts::set_lock_in`], in the confirmation's transaction).
async fn change_account_lock(
    State(state): State<AppState>,
    action: ConfirmedAction<OfficerAccountChange>,
) -> ServerResult<Json<AccountView>> {
    let actor = action.session.actor();
    let target = check_lock_change(&state, &actor, action.body()?)
        .await?
        .target;
    let (_, account) = action
        .verify_then(
            &state,
            ActionKind::ChangeAccountLock,
            &target,
            "account.lock",
            async |tx, _, change| {
                lock_change_in(tx, &state, &actor, &change).await?;
                Ok(change.account)
            },
        )
        .await?;
    Ok(Json(accounts::account_view(&state, &account).await?))
}

/// A lock or unlock an officer may make: the person's name and the confirmation's target.
pub struct CheckedLockChange {
    /// The person's name, from the registry.
    pub full_name: String,
    /// `account:<id>`, what the officer's confirmation names.
    pub target: ActionTarget,
}

/// Whether `actor` may lock or unlock as `change` asks, checked in this order: the actor is an
/// officer (`forbidden`); the reason is given, under the text policy; the account exists
/// (`not_found`), is not the officer's own and belongs to the officer's province
/// (`forbidden`). Refusals are audited.
pub async fn check_lock_change(
    state: &AppState,
    actor: &Actor,
    change: &OfficerAccountChange,
) -> ServerResult<CheckedLockChange> {
    let officer = &actor.account;
    let device = actor.device.as_ref().map(|d| d.as_str());
    let Some(province) = authz::officer_province(state, officer).await? else {
        return Err(refuse(state, officer, device, None, None, ErrorCode::Forbidden).await);
    };
    // The reason reaches the person's notification: the one text policy.
    if let Err(problem) = dinhdanh_core::text::message(&change.reason, MAX_REASON_CHARS) {
        return Err(invalid_text(problem, "body.reason"));
    }
    let object = format!("account:{}", change.account);
    let target_account = accounts::find_account(state, &change.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let person = accounts::citizen_by_key(state, &target_account.citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    let own = &target_account.id == officer;
    if !authz::may_change_account_lock(&province, &person_province(&person.citizen_id), own) {
        return Err(refuse(
            state,
            officer,
            device,
            Some(&object),
            Some(&target_account.citizen_key),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let target = ActionTarget::new("account", change.account.as_str())
        .map_err(|e| crate::infra::error::invalid_field(&e, "body.account"))?;
    Ok(CheckedLockChange {
        full_name: person.full_name,
        target,
    })
}

/// Carries out a lock or unlock an officer confirmed (on the phone, directly or for the
/// console): every check of [`check_lock_change`] again, then [`accounts::set_lock`] in one
/// transaction (locking ends the person's sessions and notifies them), audited with `actor`.
pub async fn apply_lock_change(
    state: &AppState,
    actor: &Actor,
    change: &OfficerAccountChange,
) -> ServerResult<AccountView> {
    check_lock_change(state, actor, change).await?;
    let mut tx = Tx::begin(state, "account.lock").await?;
    lock_change_in(&mut tx, state, actor, change).await?;
    tx.commit().await?;
    accounts::account_view(state, &change.account).await
}

/// The lock or unlock [`check_lock_change`] allowed, as a step of `tx`
/// ([`accounts::set_lock_in`]), audited with `actor`.
async fn lock_change_in(
    tx: &mut Tx,
    state: &AppState,
    actor: &Actor,
    change: &OfficerAccountChange,
) -> ServerResult<()> {
    let reason = dinhdanh_core::text::message(&change.reason, MAX_REASON_CHARS)
        .map_err(|p| invalid_text(p, "body.reason"))?;
    accounts::set_lock_in(
        tx,
        state,
        &change.account,
        change.lock,
        &reason,
        LockActor {
            account: Some(&actor.account),
            device: actor.device.as_ref(),
        },
    )
    .await
}
