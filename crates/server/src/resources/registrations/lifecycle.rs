//! The server's side of the core's lifecycle machine
//! ([`dinhdanh_core::registration::lifecycle`]): the machine decides each status change and
//! names its effects; here the new status is written (only where the request still has the
//! status it was read with) and the effects are carried out — the registry check and what it
//! leads to, sending to an officer, and the approval.

use dinhdanh_core::api::{ErrorCode, RegistrationEventKind, RegistrationStatus};
use dinhdanh_core::registration::lifecycle::{
    self, CheckOutcome, Effect, Event, RegistryAnswer, Transition, TransitionRefused,
};

use super::dates::{due_date_in, stored_date};
use super::people::{link, requester_message, tell_requester};
use super::stored::{StoredRegistration, existing_organisation};
use super::views::add_event;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::{organisations, registry};
use crate::store::audit::Actor;
use crate::store::registrations as store;
use crate::store::tx::Tx;
use crate::store::values::word;

/// The error a refused event answers with (`invalid_state`).
pub(super) fn refused(e: TransitionRefused) -> ServerError {
    ServerError::code(e.error_code())
}

/// What `event` does to a request with `status`, or `invalid_state` when it does not apply.
pub(super) fn handle(status: RegistrationStatus, event: Event) -> ServerResult<Transition> {
    lifecycle::handle(status, event).map_err(refused)
}

/// Writes the transition's new status where the request still has its `from`;
/// `invalid_state` when another change got there first.
pub(super) async fn move_to(
    tx: &mut Tx,
    reg: &StoredRegistration,
    t: &Transition,
) -> ServerResult<()> {
    let now = tx.now();
    if store::set_status(tx.conn()?, &reg.id, t.from, t.to, now).await? {
        Ok(())
    } else {
        Err(ServerError::code(ErrorCode::InvalidState))
    }
}

/// An effect that does not belong where it came up: the machine and the server disagree.
pub(super) fn unexpected(effect: &Effect) -> ServerError {
    ServerError::Internal(format!("unexpected lifecycle effect {effect:?}"))
}

/// An approval whose status is written: what is left to do before its action commits.
#[must_use = "an approval is finished before its action commits"]
pub(super) struct Approval {
    reg: StoredRegistration,
    /// The audit action: `registration.approved` or `registration.approved_automatically`.
    action: &'static str,
    /// Approved by the registry check, no person decided it.
    automatic: bool,
    /// The transition's effects.
    effects: Vec<Effect>,
}

/// The registry check of a request whose status is `checking`, and what follows
/// ([`Event::RegistryChecked`]): keep what the registry said, then send the request to an
/// officer with the reason, or approve it ([`Approval`], finished by [`finish`]).
pub(super) async fn check_registry(
    tx: &mut Tx,
    state: &AppState,
    reg: &StoredRegistration,
    actor: &Actor,
) -> ServerResult<Option<Approval>> {
    let requester_key = &reg.requester_key;
    let without_account = store::consents_without_account(tx.conn()?, &reg.id).await?;
    let (check, registry_answer) = match registry::code_for(reg.org_type, &reg.details) {
        None => (None, RegistryAnswer::NoRegistry),
        Some((kind, code)) => {
            let record = registry::adapter(state, kind)
                .lookup_on(tx.conn()?, &code)
                .await?;
            let rep_keys: Vec<Vec<u8>> = reg
                .details
                .representatives
                .iter()
                .map(|r| state.keys.citizen_key(&r.citizen_id))
                .collect();
            let check = registry::check(
                kind,
                record.as_ref(),
                &reg.details,
                &rep_keys,
                requester_key,
                timestamp(tx.now()),
            );
            let answer = RegistryAnswer::from(&check);
            add_event(
                tx,
                &reg.id,
                None,
                &RegistrationEventKind::RegistryChecked {
                    matched: answer.matched().unwrap_or(false),
                },
            )
            .await?;
            (Some(check), answer)
        }
    };
    let t = handle(
        reg.status,
        Event::RegistryChecked(CheckOutcome {
            registry: registry_answer,
            capacity: reg.capacity,
            co_representative_without_account: without_account > 0,
        }),
    )?;
    let mut deadline = None;
    let mut reason = None;
    for effect in &t.effects {
        match effect {
            Effect::SetDeadline(d) => deadline = Some(*d),
            Effect::SendToOfficer(r) => reason = Some(*r),
            _ => {}
        }
    }
    let due_on = match deadline {
        Some(d) => due_date_in(tx, reg.submitted_at, d).await?,
        None => reg.due_on,
    };
    let check_json = check
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    let reason_word = reason.as_ref().map(word).transpose()?;
    store::set_check(
        tx.conn()?,
        &reg.id,
        check_json,
        reason_word,
        stored_date(due_on),
    )
    .await?;
    if t.to == RegistrationStatus::Approved {
        return approve(tx, reg, t, "registration.approved_automatically")
            .await
            .map(Some);
    }
    move_to(tx, reg, &t).await?;
    for effect in &t.effects {
        match effect {
            // Kept with the registry check above.
            Effect::SetDeadline(_) => {}
            Effect::SendToOfficer(reason) => {
                add_event(
                    tx,
                    &reg.id,
                    None,
                    &RegistrationEventKind::SentToOfficer { reason: *reason },
                )
                .await?;
                let action = format!("registration.sent_to_officer.{}", word(reason)?);
                tx.audit(actor.record(&action, &link(&reg.id), None, false));
            }
            other => return Err(unexpected(other)),
        }
    }
    Ok(None)
}

/// Approves a request ([`Event::RegistryChecked`] or [`Event::OfficerApproved`]): refused
/// when the organisation already has an account; writes the status; the rest is [`finish`].
pub(super) async fn approve(
    tx: &mut Tx,
    reg: &StoredRegistration,
    t: Transition,
    action: &'static str,
) -> ServerResult<Approval> {
    // Uniqueness is the store's business, not the machine's.
    if existing_organisation(tx.conn()?, &reg.details)
        .await?
        .is_some()
    {
        return Err(ServerError::code(ErrorCode::OrganisationAlreadyRegistered));
    }
    move_to(tx, reg, &t).await?;
    Ok(Approval {
        reg: reg.clone(),
        action,
        automatic: action == "registration.approved_automatically",
        effects: t.effects,
    })
}

/// Finishes an approval inside the approving action's transaction: creates the organisation's
/// account ([`Effect::CreateOrganisation`]), keeps its number on the request, records the
/// approval in the history and the audit trail, and tells the requester — all committed with
/// the status change, or none of it.
pub(super) async fn finish(
    tx: &mut Tx,
    state: &AppState,
    approval: Option<Approval>,
    actor: &Actor,
) -> ServerResult<()> {
    let Some(Approval {
        reg,
        action,
        automatic,
        effects,
    }) = approval
    else {
        return Ok(());
    };
    if !effects.contains(&Effect::CreateOrganisation) {
        return Err(ServerError::Internal(
            "an approval that creates no organisation".into(),
        ));
    }
    let eid = organisations::create_organisation_in(
        tx,
        state,
        organisations::NewOrganisation {
            org_type: reg.org_type,
            details: &reg.details,
            registration: Some(&reg.id),
            registered_by: match &reg.requester {
                Some(account) => organisations::Registrant::Account(account),
                None => organisations::Registrant::WithoutAccount(&reg.requester_key),
            },
        },
    )
    .await?;
    store::set_org_eid(tx.conn()?, &reg.id, eid.as_str()).await?;
    let event_actor = if automatic {
        None
    } else {
        Some(&actor.account)
    };
    add_event(
        tx,
        &reg.id,
        event_actor,
        &RegistrationEventKind::Approved {
            org_eid: eid.clone(),
        },
    )
    .await?;
    tx.audit(actor.record(action, &link(&reg.id), None, false));
    for effect in &effects {
        match effect {
            // Kept with the registry check, or already in place for an officer's approval.
            Effect::SetDeadline(_) | Effect::CreateOrganisation => {}
            Effect::NotifyRequester(notice) => {
                let m = requester_message(*notice, &reg, None, Some(&eid))?;
                tell_requester(tx, state, &reg, m).await?;
            }
            other => return Err(unexpected(other)),
        }
    }
    Ok(())
}
