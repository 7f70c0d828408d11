//! Submission: the checks a new request passes (the details again with the core crate's
//! rules, the capacity, the attachments), and filing it — duplicates and organisations that
//! already have an account are refused, the request is stored, and the core's `file` says
//! whether co-representatives are asked first or the registry is checked at once. Also the
//! requester's own list and a request's page.

use axum::Json;
use axum::extract::{Path, State};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ApiError, ErrorCode, NotificationKind, PaperConsent, RegistrationEventKind,
    RegistrationSubmission, RegistrationView, RequesterCapacity,
};
use dinhdanh_core::ids::{AccountId, AttachmentId, CitizenId, RegistrationId};
use dinhdanh_core::org_type::{DocumentKind, FieldError, OrgType, OrganisationDetails};
use dinhdanh_core::registration::lifecycle::{self, Effect};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use sqlx::AnyConnection;

use super::dates::{due_date_in, stored_date, vietnam_date};
use super::lifecycle::{Approval, check_registry, finish, unexpected};
use super::people::{Message, link, person_of, tell};
use super::stored::{
    StoredRegistration, encrypt_details, existing_organisation, load_in, org_key, reload,
};
use super::views::{add_event, load_visible, view};
use crate::http::auth::{Authed, SessionContext};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::store::audit::{Actor, refuse};
use crate::store::registration_attachments as attachments;
use crate::store::registrations::{self as store, NewRegistration};
use crate::store::tx::Tx;
use crate::store::values::{parse_stored, word};

/// The core's field errors as the API's `validation_failed`.
pub(super) fn validation(errors: &[FieldError]) -> ServerError {
    ApiError::validation_failed(errors).into()
}

/// Checks a submission for `requester`: the details again with the core crate's rules for the
/// type, the capacity against the representatives, and the attachments (each the requester's
/// own — by their number, since a requester taken at the counter may have no account — of the
/// right kind, read through `conn`). Returns the details to store.
pub(super) async fn check_submission(
    conn: &mut AnyConnection,
    state: &AppState,
    requester: &CitizenId,
    submission: &RegistrationSubmission,
) -> ServerResult<OrganisationDetails> {
    let today = vietnam_date(state.now());
    let details = submission
        .details
        .revalidate(submission.org_type, requester, today)
        .map_err(|e| validation(&e))?;
    let derived = RegistrationSubmission::new(submission.org_type, details.clone(), requester);
    if derived.capacity != submission.capacity {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("capacity"),
            ])
            .into());
    }
    check_attachments(conn, &state.keys.citizen_key(requester), &details).await?;
    Ok(details)
}

/// The attachments named in `details` must exist, belong to the person with citizen key
/// `owner` and be of their kind.
async fn check_attachments(
    conn: &mut AnyConnection,
    owner: &[u8],
    details: &OrganisationDetails,
) -> ServerResult<()> {
    let mut errors = Vec::new();
    for (kind, id) in [
        (
            DocumentKind::AuthorisationLetter,
            &details.authorisation_letter,
        ),
        (DocumentKind::FoundingDecision, &details.founding_decision),
    ] {
        let Some(id) = id else { continue };
        if !owns_attachment(conn, owner, id, Some(kind)).await? {
            errors.push(FieldError::new(
                kind.field(),
                None,
                "not_found",
                format!(
                    "{} không tìm thấy trong các tệp bạn đã tải lên.",
                    kind.label_vi()
                ),
                format!("{} is not among the files you uploaded.", kind.label_en()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(validation(&errors))
    }
}

/// Whether the attachment (of `kind`, when given) is the person's with citizen key `owner`.
pub(super) async fn owns_attachment(
    conn: &mut AnyConnection,
    owner: &[u8],
    id: &AttachmentId,
    kind: Option<DocumentKind>,
) -> ServerResult<bool> {
    let stored = attachments::kind_owned_by(conn, id, owner).await?;
    Ok(match (stored, kind) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(k)) => s == word(&k)?,
    })
}

/// Who files a request: the requester in the app, or an officer at the desk for them.
#[derive(Clone, Copy)]
pub(super) struct FiledBy<'a> {
    /// The requester's account; `None` for a requester taken at the counter who has none.
    pub(super) requester: Option<&'a AccountId>,
    /// The requester's identification number.
    pub(super) requester_citizen: &'a CitizenId,
    /// Who is recorded as actor: the requester's session, or the officer's account.
    pub(super) actor: &'a Actor,
    /// The officer filing at the desk, when the requester is not in a session of their own.
    pub(super) in_person_officer: Option<&'a AccountId>,
    /// Co-representatives without an account who consented on paper at the counter (only an
    /// officer's filing has any).
    pub(super) paper_consents: &'a [PaperConsent],
}

/// Files a checked submission as the action `action`, then finishes an automatic approval.
async fn file(
    state: &AppState,
    action: &'static str,
    by: FiledBy<'_>,
    org_type: OrgType,
    capacity: RequesterCapacity,
    details: &OrganisationDetails,
) -> ServerResult<StoredRegistration> {
    let mut tx = Tx::begin(state, action).await?;
    let (id, approval) = file_in(&mut tx, state, by, org_type, capacity, details).await?;
    finish(&mut tx, state, approval, by.actor).await?;
    tx.commit().await?;
    reload(state, &id).await
}

/// The field a duplicate is reported on: the organisation's registry code, or its name.
fn code_field(details: &OrganisationDetails) -> &'static str {
    if details.enterprise_code.is_some() {
        "enterprise_code"
    } else if details.cooperative_code.is_some() {
        "cooperative_code"
    } else if details.tax_code.is_some() {
        "tax_code"
    } else if details.agency_code.is_some() {
        "agency_code"
    } else {
        "name_vi"
    }
}

/// Refuses an organisation that already has an account (`organisation_already_registered`)
/// or an open request (`duplicate_registration`), on its code's field.
pub(super) async fn check_not_registered(
    conn: &mut AnyConnection,
    details: &OrganisationDetails,
) -> ServerResult<()> {
    if existing_organisation(conn, details).await?.is_some() {
        return Err(ApiError::new(ErrorCode::OrganisationAlreadyRegistered)
            .with_field(code_field(details))
            .into());
    }
    if store::open_for(conn, &org_key(details)).await? > 0 {
        return Err(ApiError::new(ErrorCode::DuplicateRegistration)
            .with_field(code_field(details))
            .into());
    }
    Ok(())
}

/// Files a checked submission in `tx`: refuses duplicates and organisations that already have
/// an account, stores the request, asks co-representatives for consent or checks the
/// registry at once (the core's `file`). Returns the request's id, and the approval to finish
/// once `tx` committed when the registry settled it.
pub(super) async fn file_in(
    tx: &mut Tx,
    state: &AppState,
    by: FiledBy<'_>,
    org_type: OrgType,
    capacity: RequesterCapacity,
    details: &OrganisationDetails,
) -> ServerResult<(RegistrationId, Option<Approval>)> {
    check_not_registered(tx.conn()?, details).await?;
    let key = org_key(details);
    let duplicate = || -> ServerError {
        ApiError::new(ErrorCode::DuplicateRegistration)
            .with_field(code_field(details))
            .into()
    };

    let id =
        RegistrationId::parse(&new_id("reg")).map_err(|e| ServerError::Internal(e.to_string()))?;
    let now = tx.now();
    let co_reps = details.co_representatives(by.requester_citizen);
    // (look-up key, account if any, name, masked number, paper consent) of each other
    // representative.
    let mut others = Vec::with_capacity(co_reps.len());
    for rep in &co_reps {
        let paper = by
            .paper_consents
            .iter()
            .find(|p| &p.citizen_id == rep)
            .map(|p| p.paper.clone());
        let key = state.keys.citizen_key(rep);
        let account = accounts::find_account_by_key_in(tx.conn()?, &key)
            .await?
            .map(|a| a.id);
        let name = details
            .representatives
            .iter()
            .find(|r| &r.citizen_id == rep)
            .map(|r| r.full_name.as_str().to_owned())
            .unwrap_or_default();
        others.push((key, account, name, rep.masked(), paper));
    }
    let with_account: Vec<AccountId> = others.iter().filter_map(|o| o.1.clone()).collect();
    let filed = lifecycle::file(lifecycle::Filing {
        org_type,
        co_representative_with_account: !with_account.is_empty(),
    });
    let deadline = filed
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::SetDeadline(d) => Some(*d),
            _ => None,
        })
        .ok_or_else(|| ServerError::Internal("a filing without a deadline".into()))?;
    let due_on = due_date_in(tx, now, deadline).await?;
    let inserted = store::insert(
        tx.conn()?,
        &NewRegistration {
            id: &id,
            requester: by.requester,
            requester_key: &state.keys.citizen_key(by.requester_citizen),
            org_type: word(&org_type)?,
            org_key: &key,
            name_vi: details.name_vi.as_str(),
            province: details.head_office.province.key(),
            capacity: word(&capacity)?,
            details_enc: encrypt_details(state, details)?,
            status: filed.status,
            submitted_at: now,
            due_on: stored_date(due_on),
            // An officer at the desk files with no session of the requester's.
            in_person_officer: by.in_person_officer,
        },
    )
    .await?;
    if !inserted {
        return Err(duplicate());
    }
    for (key, account, name, masked, paper) in others {
        match (&account, paper) {
            // Checked before: only a representative without an account consents on paper.
            (None, Some(paper)) => {
                store::insert_paper_consent(tx.conn()?, &id, key, &name, &masked, &paper, now)
                    .await?;
            }
            _ => {
                store::insert_consent(tx.conn()?, &id, key, account.as_ref(), &name, &masked)
                    .await?
            }
        }
    }
    let papers = by.paper_consents.iter().map(|p| &p.paper);
    for a in [&details.authorisation_letter, &details.founding_decision]
        .into_iter()
        .flatten()
        .chain(papers)
    {
        store::link_attachment(tx.conn()?, &id, a).await?;
    }
    add_event(
        tx,
        &id,
        Some(&by.actor.account),
        &RegistrationEventKind::Submitted,
    )
    .await?;
    let requester_key = state.keys.citizen_key(by.requester_citizen);
    tx.audit(by.actor.record(
        "registration.submitted",
        &link(&id),
        Some(&requester_key),
        false,
    ));
    let mut approval = None;
    for effect in &filed.effects {
        match effect {
            // Stored with the request.
            Effect::SetDeadline(_) => {}
            Effect::AskCoRepresentativesForConsent => {
                for account in &with_account {
                    tell(tx, state, account, consent_request(details, &id)).await?;
                }
            }
            Effect::CheckRegistry => {
                let reg = load_in(tx.conn()?, state, &id)
                    .await?
                    .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
                approval = check_registry(tx, state, &reg, by.actor).await?;
            }
            other => return Err(unexpected(other)),
        }
    }
    Ok((id, approval))
}

/// What a co-representative with an account is asked.
fn consent_request(details: &OrganisationDetails, id: &RegistrationId) -> Message<'static> {
    Message {
        kind: NotificationKind::ConsentRequested,
        title_vi: "Yêu cầu đồng ý đăng ký tổ chức",
        title_en: "Your consent to an organisation registration",
        body_vi: format!(
            "Yêu cầu đăng ký tài khoản định danh điện tử cho {} cần sự đồng ý của bạn với tư cách người đại diện theo pháp luật.",
            details.name_vi
        ),
        body_en: format!(
            "A request to register {} for an e-ID needs your consent as one of its legal representatives.",
            details.name_vi
        ),
        link: link(id),
    }
}

/// A new registration checked before its confirmation: the requester and the details to
/// store. Made by [`check_new_registration`], used up by [`file_new_registration`].
pub struct CheckedRegistration {
    account: AccountId,
    citizen: CitizenId,
    org_type: OrgType,
    capacity: RequesterCapacity,
    details: OrganisationDetails,
}

/// The target a new registration is confirmed for: `registration:new`.
pub fn new_registration_target() -> ServerResult<ActionTarget> {
    ActionTarget::new("registration", "new").map_err(|e| ServerError::Internal(e.to_string()))
}

/// The checks a submission passes before anyone is asked to confirm it, in this order: level 2
/// (`level_too_low`, audited), the details, capacity and attachments (`validation_failed`).
/// Shared by the direct route and by a desktop's request confirmed on the phone, which runs
/// them when the desktop asks (so the phone never confirms something invalid) and again when
/// the phone confirms.
pub async fn check_new_registration(
    state: &AppState,
    session: &SessionContext,
    submission: &RegistrationSubmission,
) -> ServerResult<CheckedRegistration> {
    let (account, person) = person_of(state, &session.account).await?;
    if account.level != AccountLevel::Level2 {
        return Err(refuse(
            state,
            Some(&session.actor()),
            "registration.submit.refused",
            "registration:new",
            ErrorCode::LevelTooLow,
        )
        .await);
    }
    let details = check_submission(
        &mut *state.pool.acquire().await?,
        state,
        &person.citizen_id,
        submission,
    )
    .await?;
    Ok(CheckedRegistration {
        account: account.id,
        citizen: person.citizen_id,
        org_type: submission.org_type,
        capacity: submission.capacity,
        details,
    })
}

/// `submission` with the requester's capacity derived from the session's person (a legal
/// representative when their identification number is one of the representatives'), whatever
/// it said. A desktop knows only the masked number and cannot tell; the phone is then asked
/// to confirm the corrected submission, which is what is filed.
pub async fn with_derived_capacity(
    state: &AppState,
    session: &SessionContext,
    submission: RegistrationSubmission,
) -> ServerResult<RegistrationSubmission> {
    let (_, person) = person_of(state, &session.account).await?;
    Ok(RegistrationSubmission::new(
        submission.org_type,
        submission.details,
        &person.citizen_id,
    ))
}

/// The organisation's name as the person entered it, for summaries ("Công ty …").
pub fn submission_name(submission: &RegistrationSubmission) -> &str {
    submission.details.name_vi.as_str()
}

/// Files a checked, confirmed registration with `session` as actor: duplicates
/// (`duplicate_registration`) and existing accounts (`organisation_already_registered`) are
/// refused here.
pub async fn file_new_registration(
    state: &AppState,
    session: &SessionContext,
    checked: CheckedRegistration,
) -> ServerResult<RegistrationView> {
    let reg = file(
        state,
        "registration.submit",
        FiledBy {
            requester: Some(&checked.account),
            requester_citizen: &checked.citizen,
            actor: &session.actor(),
            in_person_officer: None,
            paper_consents: &[],
        },
        checked.org_type,
        checked.capacity,
        &checked.details,
    )
    .await?;
    view(state, &reg, &session.account).await
}

/// A submission names no object in its path (`POST /v1/registrations`).
impl ConfirmedBody for RegistrationSubmission {}

/// `POST /v1/registrations`: submit a request, confirmed (`register_organisation`, target
/// `registration:new`). Checked in this order: level 2 (`level_too_low`), the details, capacity
/// and attachments (`validation_failed`), the confirmation (`step_up_required` without one); then duplicates (`duplicate_registration`) and existing accounts
/// (`organisation_already_registered`).
pub(super) async fn submit(
    State(state): State<AppState>,
    action: ConfirmedAction<RegistrationSubmission>,
) -> ServerResult<Json<RegistrationView>> {
    let checked = check_new_registration(&state, &action.session, action.body()?).await?;
    let (session, id) = action
        .verify_then(
            &state,
            ActionKind::RegisterOrganisation,
            &new_registration_target()?,
            "registration.submit",
            async |tx, session, _| {
                let actor = session.actor();
                let by = FiledBy {
                    requester: Some(&checked.account),
                    requester_citizen: &checked.citizen,
                    actor: &actor,
                    in_person_officer: None,
                    paper_consents: &[],
                };
                let (id, approval) = file_in(
                    tx,
                    &state,
                    by,
                    checked.org_type,
                    checked.capacity,
                    &checked.details,
                )
                .await?;
                finish(tx, &state, approval, &actor).await?;
                Ok(id)
            },
        )
        .await?;
    Ok(Json(
        view(&state, &reload(&state, &id).await?, &session.account).await?,
    ))
}

/// `GET /v1/registrations`: the requests the person made or is asked to consent to, newest
/// first.
pub(super) async fn list_own(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<RegistrationView>>> {
    let account = accounts::find_account(&state, &auth.session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let ids = store::ids_of_person(
        &mut *state.pool.acquire().await?,
        &account.id,
        &account.citizen_key,
    )
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = parse_stored(RegistrationId::parse(&id))?;
        if let Some(reg) = super::stored::load(&state, &id).await? {
            out.push(view(&state, &reg, &auth.session.account).await?);
        }
    }
    Ok(Json(out))
}

/// `GET /v1/registrations/{id}`: requester, co-representatives and officers of the province.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<RegistrationView>> {
    let reg = load_visible(&state, &auth.session, &id).await?;
    Ok(Json(view(&state, &reg, &auth.session.account).await?))
}
