//! What people do to a filed request: a co-representative consents or refuses, the requester
//! answers an officer's question or withdraws. Each is confirmed with a signed action, and is
//! one event of the core's lifecycle, carried out in one transaction.

use axum::Json;
use axum::extract::State;
use dinhdanh_core::api::{
    ApiError, ConsentDecision, ErrorCode, InformationAnswer, RegistrationEventKind,
    RegistrationSubmission, RegistrationView, RegistrationWithdrawal, RequesterCapacity,
    consent_subject_digest,
};
use dinhdanh_core::org_type::OrganisationDetails;
use dinhdanh_core::registration::correction::check_correction;
use dinhdanh_core::registration::lifecycle::{Effect, Event, Transition};
use dinhdanh_core::signed_action::ActionKind;

use super::MAX_TEXT_CHARS;
use super::lifecycle::{Approval, check_registry, finish, handle, move_to, unexpected};
use super::people::{link, person_of, requester_message, target, tell_requester};
use super::stored::{StoredRegistration, encrypt_details, load, org_key, reload};
use super::submission::{check_submission, owns_attachment, validation};
use super::views::{add_event, view};
use crate::authz;
use crate::http::auth::SessionContext;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult, invalid_text};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts::AccountRow;
use crate::resources::registry;
use crate::store::audit::{Actor, refuse};
use crate::store::registrations as store;
use crate::store::tx::Tx;
use crate::store::values::word;

/// The path names the request the body names.
impl ConfirmedBody for ConsentDecision {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.registration.as_str(), "registration"))
    }
}

/// The path names the request the body names.
impl ConfirmedBody for InformationAnswer {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.registration.as_str(), "registration"))
    }
}

/// The path names the request the body names.
impl ConfirmedBody for RegistrationWithdrawal {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.registration.as_str(), "registration"))
    }
}

/// Loads the request a confirmed body names; `not_found` when there is none.
pub(super) async fn named(
    state: &AppState,
    id: &dinhdanh_core::ids::RegistrationId,
) -> ServerResult<StoredRegistration> {
    load(state, id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))
}

/// `POST /v1/registrations/{id}/consent`: a co-representative consents or refuses, confirmed
/// (`consent_to_registration` / `refuse_registration`, target `registration:<id>`). Consent
/// of the last one sends the request on to the registry check; a refusal withdraws it.
pub(super) async fn consent(
    State(state): State<AppState>,
    action: ConfirmedAction<ConsentDecision>,
) -> ServerResult<Json<RegistrationView>> {
    let reg = named(&state, &action.body()?.registration).await?;
    let (account, _) = person_of(&state, &action.session.account).await?;
    if !authz::is_co_representative(&state, reg.id.as_str(), &account.id).await? {
        return Err(refuse(
            &state,
            Some(&action.session.actor()),
            "registration.consent.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let consenting = action.body()?.consent;
    // Whether others are still awaited does not change whether a consent applies.
    handle(reg.status, consent_event(consenting, false))?;
    // The answer is about the request as the person was shown it (Art. 12: they consent to
    // what is filed in their name); one that names other details is refused before the
    // confirmation is verified, so no challenge is spent on it.
    if action.body()?.request_digest != subject_digest(&reg)? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    let kind = if consenting {
        ActionKind::ConsentToRegistration
    } else {
        ActionKind::RefuseRegistration
    };
    let actor = action.session.actor();
    let (session, _) = action
        .verify_then(
            &state,
            kind,
            &target(&reg.id)?,
            "registration.consent",
            async |tx, _, _| {
                let approval =
                    record_consent(tx, &state, &reg, &account, consenting, &actor).await?;
                finish(tx, &state, approval, &actor).await
            },
        )
        .await?;
    Ok(Json(
        view(&state, &reload(&state, &reg.id).await?, &session.account).await?,
    ))
}

/// What a co-representative answers about: the digest of the request as stored.
fn subject_digest(reg: &StoredRegistration) -> ServerResult<dinhdanh_core::crypto::Digest32> {
    consent_subject_digest(
        reg.org_type,
        &reg.details,
        reg.capacity,
        reg.requester.as_ref(),
    )
    .map_err(|e| ServerError::Internal(e.to_string()))
}

fn consent_event(consenting: bool, others_awaited: bool) -> Event {
    if consenting {
        Event::CoRepresentativeConsented { others_awaited }
    } else {
        Event::CoRepresentativeRefused
    }
}

/// Records a co-representative's answer and carries out what follows: with the last consent
/// the registry check (and perhaps an approval to finish), with a refusal the withdrawal and
/// the requester's notice.
async fn record_consent(
    tx: &mut Tx,
    state: &AppState,
    reg: &StoredRegistration,
    account: &AccountRow,
    consenting: bool,
    actor: &Actor,
) -> ServerResult<Option<Approval>> {
    let now = tx.now();
    let answered = store::answer_consent(
        tx.conn()?,
        &reg.id,
        &account.citizen_key,
        &account.id,
        consenting,
        now,
    )
    .await?;
    if !answered {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let (event_kind, action) = if consenting {
        (RegistrationEventKind::Consented, "registration.consented")
    } else {
        (RegistrationEventKind::Refused, "registration.refused")
    };
    let t = if consenting {
        add_event(tx, &reg.id, Some(&account.id), &event_kind).await?;
        tx.audit(actor.record(action, &link(&reg.id), Some(&account.citizen_key), false));
        let waiting = store::consents_awaited(tx.conn()?, &reg.id).await?;
        let t = handle(reg.status, consent_event(true, waiting > 0))?;
        move_to(tx, reg, &t).await?;
        t
    } else {
        let t = handle(reg.status, consent_event(false, false))?;
        move_to(tx, reg, &t).await?;
        add_event(tx, &reg.id, Some(&account.id), &event_kind).await?;
        tx.audit(actor.record(action, &link(&reg.id), Some(&account.citizen_key), false));
        t
    };
    let mut approval = None;
    for effect in &t.effects {
        match effect {
            Effect::CheckRegistry => {
                let checking = StoredRegistration {
                    status: t.to,
                    ..reg.clone()
                };
                approval = check_registry(tx, state, &checking, actor).await?;
            }
            Effect::NotifyRequester(notice) => {
                let m = requester_message(*notice, reg, None, None)?;
                tell_requester(tx, state, reg, m).await?;
            }
            other => return Err(unexpected(other)),
        }
    }
    Ok(approval)
}

/// Free text from a person to another (answer, reason, question): the one text policy
/// (`dinhdanh_core::text`), newlines allowed, 1..=2000 characters.
pub(super) fn free_text(text: &str, field: &str) -> ServerResult<String> {
    dinhdanh_core::text::message(text, MAX_TEXT_CHARS).map_err(|p| invalid_text(p, field))
}

fn invalid(field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(field),
        ])
        .into()
}

/// `POST /v1/registrations/{id}/answer`: the requester answers an officer's question,
/// confirmed (`answer_information_request`, target `registration:<id>`), optionally with
/// corrected details (same organisation) and further documents of their own.
pub(super) async fn answer(
    State(state): State<AppState>,
    action: ConfirmedAction<InformationAnswer>,
) -> ServerResult<Json<RegistrationView>> {
    let body = action.body()?;
    let reg = named(&state, &body.registration).await?;
    let account = &action.session.account;
    if reg.requester.as_ref() != Some(account) {
        return Err(refuse(
            &state,
            Some(&action.session.actor()),
            "registration.answer.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let t = handle(
        reg.status,
        Event::RequesterAnswered {
            corrected_details: body.corrected_details.is_some(),
        },
    )?;
    let text = free_text(&body.answer, "body.answer")?;
    let (_, person) = person_of(&state, account).await?;
    let mut conn = state.pool.acquire().await?;
    let corrected = match &body.corrected_details {
        None => None,
        Some(d) => {
            let submission =
                RegistrationSubmission::new(reg.org_type, d.clone(), &person.citizen_id);
            let details =
                check_submission(&mut conn, &state, &person.citizen_id, &submission).await?;
            if org_key(&details) != reg.org_key {
                return Err(invalid("corrected_details"));
            }
            // The representatives consented to the request as filed: a correction may not
            // change who they are or the letter they confirmed.
            check_correction(&reg.details, &details).map_err(|e| validation(&e))?;
            Some((details, submission.capacity))
        }
    };
    for a in &body.attachments {
        if !owns_attachment(&mut conn, &reg.requester_key, a, None).await? {
            return Err(invalid("attachments"));
        }
    }
    drop(conn);
    let checked = CheckedAnswer {
        t,
        text,
        corrected,
        requester_key: state.keys.citizen_key(&person.citizen_id),
    };
    let (session, _) = action
        .verify_then(
            &state,
            ActionKind::AnswerInformationRequest,
            &target(&reg.id)?,
            "registration.answer",
            async |tx, session, body| answer_in(tx, &state, &reg, checked, session, &body).await,
        )
        .await?;
    Ok(Json(
        view(&state, &reload(&state, &reg.id).await?, &session.account).await?,
    ))
}

/// What [`answer`]'s checks found: the request's move, the answer's text, the corrected
/// details with the requester's capacity (when there are some), the requester's key.
struct CheckedAnswer {
    t: Transition,
    text: String,
    corrected: Option<(OrganisationDetails, RequesterCapacity)>,
    requester_key: Vec<u8>,
}

/// The requester's answer as a step of `tx`: the request moves on; corrected details are
/// compared with the registry again (so the officer sees how they compare) and stored; the
/// documents are linked; the event and its audit entry written.
async fn answer_in(
    tx: &mut Tx,
    state: &AppState,
    reg: &StoredRegistration,
    checked: CheckedAnswer,
    session: &SessionContext,
    body: &InformationAnswer,
) -> ServerResult<()> {
    let CheckedAnswer {
        t,
        text,
        corrected,
        requester_key,
    } = checked;
    move_to(tx, reg, &t).await?;
    for effect in &t.effects {
        match (effect, &corrected) {
            (Effect::RecheckCorrectedDetails, Some((details, capacity))) => {
                let check = match registry::code_for(reg.org_type, details) {
                    Some((kind, code)) => {
                        let record = registry::adapter(state, kind)
                            .lookup_on(tx.conn()?, &code)
                            .await?;
                        let keys: Vec<Vec<u8>> = details
                            .representatives
                            .iter()
                            .map(|r| state.keys.citizen_key(&r.citizen_id))
                            .collect();
                        Some(registry::check(
                            kind,
                            record.as_ref(),
                            details,
                            &keys,
                            &requester_key,
                            timestamp(tx.now()),
                        ))
                    }
                    None => None,
                };
                let check = check
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| ServerError::Internal(e.to_string()))?;
                store::set_details(
                    tx.conn()?,
                    &reg.id,
                    encrypt_details(state, details)?,
                    word(capacity)?,
                    details.name_vi.as_str(),
                    check,
                )
                .await?;
                for a in [&details.authorisation_letter, &details.founding_decision]
                    .into_iter()
                    .flatten()
                {
                    store::link_attachment(tx.conn()?, &reg.id, a).await?;
                }
            }
            (other, _) => return Err(unexpected(other)),
        }
    }
    for a in &body.attachments {
        store::link_attachment(tx.conn()?, &reg.id, a).await?;
    }
    add_event(
        tx,
        &reg.id,
        Some(&session.account),
        &RegistrationEventKind::InformationProvided { answer: text },
    )
    .await?;
    tx.audit(
        session
            .actor()
            .record("registration.answered", &link(&reg.id), None, false),
    );
    Ok(())
}

/// `POST /v1/registrations/{id}/withdrawal`: the requester withdraws a request that is not
/// decided yet, confirmed (`withdraw_registration`, target `registration:<id>`).
pub(super) async fn withdraw(
    State(state): State<AppState>,
    action: ConfirmedAction<RegistrationWithdrawal>,
) -> ServerResult<Json<RegistrationView>> {
    let reg = named(&state, &action.body()?.registration).await?;
    if reg.requester.as_ref() != Some(&action.session.account) {
        return Err(refuse(
            &state,
            Some(&action.session.actor()),
            "registration.withdrawal.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let t = handle(reg.status, Event::RequesterWithdrew)?;
    let (session, _) = action
        .verify_then(
            &state,
            ActionKind::WithdrawRegistration,
            &target(&reg.id)?,
            "registration.withdrawal",
            async |tx, session, _| {
                move_to(tx, &reg, &t).await?;
                add_event(
                    tx,
                    &reg.id,
                    Some(&session.account),
                    &RegistrationEventKind::Withdrawn,
                )
                .await?;
                tx.audit(session.actor().record(
                    "registration.withdrawn",
                    &link(&reg.id),
                    None,
                    false,
                ));
                Ok(())
            },
        )
        .await?;
    Ok(Json(
        view(&state, &reload(&state, &reg.id).await?, &session.account).await?,
    ))
}
