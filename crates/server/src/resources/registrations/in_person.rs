//! In person (Cách 2): a registration an officer takes at the counter for a person who came
//! with their documents — from the officer console, confirmed on the officer's phone, or with
//! the `registration in-person` command — with the same checks and records as in the app and
//! the officer as actor.
//!
//! The documents are scanned. When the officer submits, each scan is checked as an upload is
//! and its content kept under its digest ([`keep_scan`]), with no database row; the phone
//! confirms the scans' digests with the rest, and only the confirmed filing stores them as the
//! requester's attachments, in the request's own transaction. A co-representative without an
//! e-ID account may consent on a signed paper, scanned the same way: their consent is recorded
//! as given, with the paper.
//!
//! The requester needs no account: the officer checks their identity card, and a person of the
//! people records without an account is recorded by their number's keyed hash — the request,
//! its scans and, once approved, the organisation — until they create one, when account
//! creation makes them its requester, owner and registrant (`accounts::insert_account`).

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ApiError, ErrorCode, InPersonRegistration, RegistrationSubmission, RegistrationView,
    ScannedDocument,
};
use dinhdanh_core::ids::{AccountId, AttachmentId, CitizenId};
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm};

use super::attachments::{keep_content, kept_content, store_attachment_as};
use super::dates::vietnam_date;
use super::lifecycle::finish;
use super::stored::reload;
use super::submission::{FiledBy, check_not_registered, check_submission, file_in, validation};
use super::views::view;
use crate::authz;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::resources::accounts::{self, AccountRow};
use crate::store::accounts as store_accounts;
use crate::store::audit::{Actor, refuse};
use crate::store::citizens;
use crate::store::tx::Tx;

/// Checks a scanned document as every upload is checked (at most 10 MiB, a PDF, JPEG or PNG by
/// content: `attachment_rejected` with field `size` or `media_type`) and keeps its content
/// under its digest; the scan names the attachment it becomes once the filing is confirmed.
pub async fn keep_scan(
    state: &AppState,
    kind: DocumentKind,
    content: &[u8],
) -> ServerResult<ScannedDocument> {
    let (media_type, sha256) = keep_content(state, content).await?;
    Ok(ScannedDocument {
        id: AttachmentId::parse(&new_id("att"))
            .map_err(|e| ServerError::Internal(e.to_string()))?,
        kind,
        media_type,
        size: content.len() as u64,
        sha256,
    })
}

fn malformed(field: &str) -> ServerError {
    ApiError::new(ErrorCode::MalformedRequest)
        .with_field(field)
        .into()
}

async fn refused(state: &AppState, officer: &Actor) -> ServerError {
    refuse(
        state,
        Some(officer),
        "registration.in_person.refused",
        "registration:new",
        ErrorCode::Forbidden,
    )
    .await
}

/// Every scan is used once: by the document field of its kind, or by one paper consent of a
/// co-representative (not the requester, each at most once).
fn scans_fit(body: &InPersonRegistration) -> bool {
    let scan = |id: &AttachmentId, kind: DocumentKind| {
        body.scans.iter().any(|s| &s.id == id && s.kind == kind)
    };
    let details = &body.details;
    let mut used = 0;
    for (kind, id) in [
        (
            DocumentKind::AuthorisationLetter,
            &details.authorisation_letter,
        ),
        (DocumentKind::FoundingDecision, &details.founding_decision),
    ] {
        if let Some(id) = id {
            if !scan(id, kind) {
                return false;
            }
            used += 1;
        }
    }
    for (i, paper) in body.paper_consents.iter().enumerate() {
        let co_representative = paper.citizen_id != body.requester
            && details
                .representatives
                .iter()
                .any(|r| r.citizen_id == paper.citizen_id);
        let once = body.paper_consents[..i]
            .iter()
            .all(|p| p.citizen_id != paper.citizen_id && p.paper != paper.paper);
        if !co_representative || !once || !scan(&paper.paper, DocumentKind::ConsentPaper) {
            return false;
        }
        used += 1;
    }
    let distinct = body
        .scans
        .iter()
        .enumerate()
        .all(|(i, s)| body.scans[..i].iter().all(|o| o.id != s.id));
    distinct && used == body.scans.len()
}

/// The checks of an in-person registration by `officer`, in this order: an officer
/// (`forbidden`, audited), the requester in the people records (`not_found`, field
/// `requester`) and, if they have an account, at level 2 (`level_too_low`, field
/// `requester`), the scans (`malformed_request`), the details with the
/// core crate's rules for the type and the requester (`validation_failed`), the head office in
/// the officer's province (`forbidden`, audited), and the paper consents of representatives
/// who have no account (`account_exists`, field `representative_citizen_id[row]`). Returns
/// the requester's account, `None` when they have none yet.
async fn check(
    state: &AppState,
    officer: &Actor,
    body: &InPersonRegistration,
) -> ServerResult<Option<AccountId>> {
    let Some(province) = authz::officer_province(state, &officer.account).await? else {
        return Err(refused(state, officer).await);
    };
    if accounts::find_citizen(state, &body.requester)
        .await?
        .is_none()
    {
        return Err(ApiError::new(ErrorCode::NotFound)
            .with_field("requester")
            .into());
    }
    let requester = accounts::find_account_by_citizen(state, &body.requester).await?;
    if requester
        .as_ref()
        .is_some_and(|a| a.level != AccountLevel::Level2)
    {
        return Err(ApiError::new(ErrorCode::LevelTooLow)
            .with_field("requester")
            .into());
    }
    if !scans_fit(body) {
        return Err(malformed("scans"));
    }
    body.details
        .revalidate(body.org_type, &body.requester, vietnam_date(state.now()))
        .map_err(|e| validation(&e))?;
    if body.details.head_office.province != province {
        return Err(refused(state, officer).await);
    }
    for paper in &body.paper_consents {
        if accounts::find_account_by_citizen(state, &paper.citizen_id)
            .await?
            .is_some()
        {
            let row = body
                .details
                .representatives
                .iter()
                .position(|r| r.citizen_id == paper.citizen_id)
                .unwrap_or_default();
            return Err(ApiError::new(ErrorCode::AccountExists)
                .with_field(format!("representative_citizen_id[{row}]"))
                .into());
        }
    }
    Ok(requester.map(|a| a.id))
}

/// What the officer's phone shows before it confirms an in-person registration: the checks of
/// [`file_in_person`] made now, the organisation not registered nor asked for already, and
/// every scan kept; answers the one-line summaries (Vietnamese, English), naming the
/// organisation, its type, the requester, the documents and the paper consents.
pub async fn check_in_person(
    state: &AppState,
    officer: &Actor,
    body: &InPersonRegistration,
) -> ServerResult<(String, String)> {
    let account = check(state, officer, body).await?;
    check_not_registered(&mut *state.pool.acquire().await?, &body.details).await?;
    for scan in &body.scans {
        if kept_content(state, &scan.sha256).await?.is_none() {
            return Err(malformed("scans"));
        }
    }
    let name = accounts::find_citizen(state, &body.requester)
        .await?
        .map(|c| c.full_name)
        .unwrap_or_default();
    let masked = body.requester.masked();
    let (no_account_vi, no_account_en) = match account {
        Some(_) => ("", ""),
        None => (", chưa có tài khoản", ", no account yet"),
    };
    let org = body.details.name_vi.as_str();
    let (n, t) = (body.org_type.number(), body.org_type);
    let docs_vi: Vec<&str> = body.scans.iter().map(|s| s.kind.label_vi()).collect();
    let docs_en: Vec<&str> = body.scans.iter().map(|s| s.kind.label_en()).collect();
    let papers = body.paper_consents.len();
    Ok((
        format!(
            "Đăng ký tại quầy cho «{org}» (loại {n}: {}); người nộp {name} ({masked}{no_account_vi}); \
             tài liệu đã quét: {}; {papers} người đại diện đồng ý trên giấy",
            t.label_vi(),
            list_or_none(&docs_vi, "không có"),
        ),
        format!(
            "Register «{org}» at the counter (type {n}: {}); requester {name} ({masked}{no_account_en}); \
             scanned documents: {}; {papers} representative(s) consented on paper",
            t.label_en(),
            list_or_none(&docs_en, "none"),
        ),
    ))
}

fn list_or_none(items: &[&str], none: &str) -> String {
    if items.is_empty() {
        none.to_owned()
    } else {
        items.join(", ")
    }
}

/// Files an in-person registration confirmed by `officer` (on their phone, or at the command
/// line): every check of [`check_in_person`] again, then in one transaction the scans stored
/// as the requester's attachments (each read back by its confirmed digest), the request filed
/// as from the app — duplicates refused, co-representatives with an account asked in the app,
/// those who consented on paper recorded as consenting with their paper, the registry checked
/// — with the officer as actor and as the request's in-person officer.
pub async fn file_in_person(
    state: &AppState,
    officer: &Actor,
    body: &InPersonRegistration,
) -> ServerResult<RegistrationView> {
    check(state, officer, body).await?;
    let requester_key = state.keys.citizen_key(&body.requester);
    let mut tx = Tx::begin(state, "registration.in_person").await?;
    // Read again in the filing's transaction: an account created meanwhile is the requester,
    // and one created from now on links this request (its creation waits for the lock).
    let backend = tx.backend();
    citizens::lock_against_account_creation(tx.conn()?, backend, &requester_key).await?;
    let requester = match store_accounts::by_key(tx.conn()?, &requester_key).await? {
        None => None,
        Some(record) => {
            let account = AccountRow::try_from(record)?;
            if account.level != AccountLevel::Level2 {
                return Err(ApiError::new(ErrorCode::LevelTooLow)
                    .with_field("requester")
                    .into());
            }
            Some(account.id)
        }
    };
    for scan in &body.scans {
        let content = kept_content(state, &scan.sha256)
            .await?
            .ok_or_else(|| malformed("scans"))?;
        let stored = store_attachment_as(
            &mut tx,
            state,
            &scan.id,
            requester.as_ref(),
            &requester_key,
            scan.kind,
            &content,
        )
        .await?;
        if stored.media_type != scan.media_type || stored.size != scan.size {
            return Err(malformed("scans"));
        }
    }
    let submission =
        RegistrationSubmission::new(body.org_type, body.details.clone(), &body.requester);
    let details = check_submission(tx.conn()?, state, &body.requester, &submission).await?;
    let by = FiledBy {
        requester: requester.as_ref(),
        requester_citizen: &body.requester,
        actor: officer,
        in_person_officer: Some(&officer.account),
        paper_consents: &body.paper_consents,
    };
    let (id, approval) = file_in(
        &mut tx,
        state,
        by,
        body.org_type,
        submission.capacity,
        &details,
    )
    .await?;
    finish(&mut tx, state, approval, officer).await?;
    tx.commit().await?;
    view(state, &reload(state, &id).await?, &officer.account).await
}

/// A registration an officer files at the desk for a person who came with their documents
/// (the `registration in-person` command): the form validated for the type and the requester,
/// the documents scanned ([`keep_scan`]), then [`file_in_person`] with the officer's account
/// as actor. The officer must serve the head office's province; the requester must be in the
/// people records, and an account they have must be at level 2 (which the officer can grant
/// after checking their card).
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
    if authz::officer_province(state, &officer.id).await?.is_none() {
        return Err(refused(state, &actor).await);
    }
    let mut form = form.clone();
    let mut scans = Vec::with_capacity(documents.len());
    for (kind, content) in documents {
        let scan = keep_scan(state, *kind, content).await?;
        match kind {
            DocumentKind::AuthorisationLetter => form.authorisation_letter = scan.id.to_string(),
            DocumentKind::FoundingDecision => form.founding_decision = scan.id.to_string(),
            // Paper consents name their representative: the console's form only.
            DocumentKind::ConsentPaper => return Err(malformed("documents")),
        }
        scans.push(scan);
    }
    let details = form
        .validate_for_requester(org_type, requester_citizen, vietnam_date(state.now()))
        .map_err(|e| validation(&e))?;
    let body = InPersonRegistration {
        org_type,
        requester: requester_citizen.clone(),
        details,
        scans,
        paper_consents: Vec::new(),
    };
    file_in_person(state, &actor, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::api::{MediaType, PaperConsent};
    use dinhdanh_core::crypto::sha256;
    use dinhdanh_core::ids::{Gender, OldProvince};
    use dinhdanh_core::org_type::RepresentativeForm;

    fn person(serial: u32) -> CitizenId {
        CitizenId::from_parts(
            OldProvince::from_code(1).unwrap(),
            Gender::Female,
            1990,
            serial,
        )
        .unwrap()
    }

    fn scan(n: u8, kind: DocumentKind) -> ScannedDocument {
        ScannedDocument {
            id: AttachmentId::parse(&format!("att_00000000000000{n:02}")).unwrap(),
            kind,
            media_type: MediaType::Pdf,
            size: 10,
            sha256: sha256(&[n]),
        }
    }

    /// A type-4 intake asked by `head`, with `other` the second representative, its founding
    /// decision scanned, and `other`'s paper consent.
    fn intake() -> InPersonRegistration {
        let (head, other) = (person(1), person(2));
        let decision = scan(1, DocumentKind::FoundingDecision);
        let paper = scan(2, DocumentKind::ConsentPaper);
        let rep = |c: &CitizenId| RepresentativeForm {
            full_name: "Nguyễn Thị Lan".into(),
            citizen_id: c.as_str().into(),
        };
        let form = OrganisationForm {
            name_vi: "Hội Cờ tướng phường Tràng Tiền".into(),
            established_on: "2019-09-01".into(),
            head_office_address: "Số 1 phố Tràng Tiền".into(),
            head_office_province: "ha_noi".into(),
            representatives: vec![rep(&head), rep(&other)],
            contact_phone: "0912345678".into(),
            founding_decision: decision.id.to_string(),
            ..OrganisationForm::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let details = form
            .validate_for_requester(OrgType::OrganisationWithoutRegistration, &head, today)
            .unwrap();
        InPersonRegistration {
            org_type: OrgType::OrganisationWithoutRegistration,
            requester: head,
            details,
            paper_consents: vec![PaperConsent {
                citizen_id: other,
                paper: paper.id.clone(),
            }],
            scans: vec![decision, paper],
        }
    }

    #[test]
    fn every_scan_is_used_once_by_a_document_or_a_co_representatives_paper() {
        assert!(scans_fit(&intake()));

        let mut unused = intake();
        unused
            .scans
            .push(scan(3, DocumentKind::AuthorisationLetter));
        assert!(!scans_fit(&unused), "a scan nothing names");

        let mut missing = intake();
        missing.scans.remove(0);
        assert!(!scans_fit(&missing), "a document without its scan");

        let mut requester = intake();
        requester.paper_consents[0].citizen_id = requester.requester.clone();
        assert!(!scans_fit(&requester), "the requester's own paper");

        let mut stranger = intake();
        stranger.paper_consents[0].citizen_id = person(3);
        assert!(
            !scans_fit(&stranger),
            "a paper of someone not a representative"
        );

        let mut wrong_kind = intake();
        wrong_kind.scans[1].kind = DocumentKind::AuthorisationLetter;
        assert!(
            !scans_fit(&wrong_kind),
            "a paper scanned as another document"
        );

        let mut twice = intake();
        let again = twice.paper_consents[0].clone();
        twice.paper_consents.push(again);
        assert!(!scans_fit(&twice), "one person's paper twice");

        let mut same_id = intake();
        same_id.scans[1].id = same_id.scans[0].id.clone();
        same_id.paper_consents[0].paper = same_id.scans[0].id.clone();
        assert!(!scans_fit(&same_id), "two scans under one id");
    }
}
