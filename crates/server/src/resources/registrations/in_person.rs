//! In person: a registration an officer files at the desk for a person who came with their
//! documents (the `registration in-person` command), with the same checks and records as in
//! the app and the officer as actor.

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{ErrorCode, RegistrationSubmission, RegistrationView};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm};

use super::attachments::store_attachment_in;
use super::dates::vietnam_date;
use super::lifecycle::finish;
use super::stored::reload;
use super::submission::{FiledBy, check_submission, file_in, validation};
use super::views::view;
use crate::authz;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::store::audit::{Actor, refuse};
use crate::store::tx::Tx;

/// A registration an officer files at the desk for a person who came with their documents
/// (the `registration in-person` command): the same checks and records as in the app, with
/// the officer as actor. The officer must serve the head office's province; the requester
/// needs a level-2 account (which the officer can grant after checking their card). Documents
/// are stored as the requester's attachments, in the same transaction as the request.
pub async fn register_in_person(
    state: &AppState,
    officer_citizen: &CitizenId,
    requester_citizen: &CitizenId,
    org_type: OrgType,
    form: &OrganisationForm,
    documents: &[(DocumentKind, Vec<u8>)],
) -> ServerResult<RegistrationView> {
    let officer = accounts::find_account_by_citizen(state, officer_citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let actor = Actor::person(&officer.id);
    let Some(province) = authz::officer_province(state, &officer.id).await? else {
        return Err(refuse(
            state,
            Some(&actor),
            "registration.in_person.refused",
            "registration:new",
            ErrorCode::Forbidden,
        )
        .await);
    };
    let requester = accounts::find_account_by_citizen(state, requester_citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if requester.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let mut tx = Tx::begin(state, "registration.in_person").await?;
    let mut form = form.clone();
    for (kind, content) in documents {
        let stored = store_attachment_in(&mut tx, state, &requester.id, *kind, content).await?;
        match kind {
            DocumentKind::AuthorisationLetter => form.authorisation_letter = stored.id.to_string(),
            DocumentKind::FoundingDecision => form.founding_decision = stored.id.to_string(),
        }
    }
    let today = vietnam_date(state.now());
    let details = form
        .validate_for_requester(org_type, requester_citizen, today)
        .map_err(|e| validation(&e))?;
    if details.head_office.province != province {
        // Nothing of the action stays; the refusal's entry stands alone.
        drop(tx);
        return Err(refuse(
            state,
            Some(&actor),
            "registration.in_person.refused",
            "registration:new",
            ErrorCode::Forbidden,
        )
        .await);
    }
    let submission = RegistrationSubmission::new(org_type, details, requester_citizen);
    let details = check_submission(
        tx.conn()?,
        state,
        &requester.id,
        requester_citizen,
        &submission,
    )
    .await?;
    let by = FiledBy {
        requester: &requester.id,
        requester_citizen,
        actor: &actor,
        in_person_officer: Some(&officer.id),
    };
    let (id, approval) =
        file_in(&mut tx, state, by, org_type, submission.capacity, &details).await?;
    finish(&mut tx, state, approval, &actor).await?;
    tx.commit().await?;
    view(state, &reload(state, &id).await?, &actor.account).await
}
