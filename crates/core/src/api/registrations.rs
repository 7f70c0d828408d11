//! Organisation registration requests, registry checks, officer review, attachments.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorCode};
use super::{PersonRef, RequesterRef, Timestamp};
use crate::crypto::Digest32;
use crate::ids::CitizenId;
use crate::ids::{AttachmentId, NewProvince, OrgEid, RegistrationId};
use crate::org_type::{
    DocumentKind, FieldError, OrgField, OrgType, OrganisationDetails, RegistryKind,
};

/// Who is asking: the legal representative / head, or a person they authorised
/// (Decree 69/2024, Art. 12).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequesterCapacity {
    /// The legal representative or head of the organisation.
    LegalRepresentative,
    /// A person authorised by the legal representative; the authorisation letter is attached.
    Authorised,
}

/// The body a person confirms when submitting a registration (action kind
/// `register_organisation`), sent as [`super::Confirmed<RegistrationSubmission>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationSubmission {
    /// One of the four organisation types.
    pub org_type: OrgType,
    /// The organisation's details, validated for that type.
    pub details: OrganisationDetails,
    /// In what capacity the requester asks.
    pub capacity: RequesterCapacity,
}

impl RegistrationSubmission {
    /// The submission for `details`, with the capacity derived from whether `requester` is one
    /// of the legal representatives entered, so the two can never disagree.
    pub fn new(org_type: OrgType, details: OrganisationDetails, requester: &CitizenId) -> Self {
        let capacity = if details.is_legal_representative(requester) {
            RequesterCapacity::LegalRepresentative
        } else {
            RequesterCapacity::Authorised
        };
        RegistrationSubmission {
            org_type,
            details,
            capacity,
        }
    }
}

/// A document scanned at the counter, named as the officer's phone confirms it: the
/// attachment id it is stored under once confirmed, its kind, and its media type, size and
/// SHA-256 — the phone signs the digest of exactly the file the officer scanned.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedDocument {
    /// The attachment it becomes.
    pub id: AttachmentId,
    /// What document it is.
    pub kind: DocumentKind,
    /// Its type, as recognised from its content.
    pub media_type: MediaType,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Digest32,
}

/// A co-representative without an e-ID account who consented on paper at the counter: the
/// signed paper is one of the [`InPersonRegistration::scans`] (kind
/// [`DocumentKind::ConsentPaper`]).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperConsent {
    /// The co-representative, one of the details' representatives.
    pub citizen_id: CitizenId,
    /// The scan of the signed paper.
    pub paper: AttachmentId,
}

/// A registration an officer takes at the counter (Cách 2), the body of the console action
/// `register_in_person` that the officer's phone confirms: the requester whose identity the
/// officer checked, the details validated for the type (their documents naming the scans),
/// every scan with its digest, and the consents given on paper. Filed, it makes the same
/// records as a registration sent from the app, with the officer as actor.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InPersonRegistration {
    /// One of the four organisation types.
    pub org_type: OrgType,
    /// The person at the counter who asks (a legal representative, or a person they
    /// authorised); they hold an e-ID account.
    pub requester: CitizenId,
    /// The organisation's details, validated for that type.
    pub details: OrganisationDetails,
    /// The documents scanned at the counter.
    pub scans: Vec<ScannedDocument>,
    /// The co-representatives without an account who consented on paper.
    pub paper_consents: Vec<PaperConsent>,
}

/// Form errors cross the API as `validation_failed` with one detail per field. A detail's
/// `field` is the [`OrgField`] code, with `[row]` for a representative's field
/// (`representative_citizen_id[1]`), so the device can put each message under its field.
impl From<&FieldError> for ApiError {
    fn from(e: &FieldError) -> Self {
        let field = match e.index {
            Some(i) => format!("{}[{i}]", e.field.code()),
            None => e.field.code().to_owned(),
        };
        ApiError {
            code: e.code.clone(),
            message_vi: e.message_vi.clone(),
            message_en: e.message_en.clone(),
            field: Some(field),
            details: Vec::new(),
            retry_after_secs: None,
            attempts_left: None,
            unbound_at: None,
        }
    }
}

impl ApiError {
    /// `validation_failed` with one detail per field error.
    pub fn validation_failed(errors: &[FieldError]) -> Self {
        ApiError::new(ErrorCode::ValidationFailed)
            .with_details(errors.iter().map(Into::into).collect())
    }
}

/// Where a registration request stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Waiting for the other legal representatives to consent.
    AwaitingConsent,
    /// Being checked against the registry.
    Checking,
    /// Waiting for an officer (authorised requester, type 4, or a registry mismatch).
    AwaitingOfficer,
    /// The officer asked for more information; the requester can answer.
    InformationRequested,
    /// Approved: the organisation's e-ID account exists.
    Approved,
    /// Rejected, with a reason.
    Rejected,
    /// Withdrawn by the requester, or refused by a co-representative.
    Withdrawn,
}

impl RegistrationStatus {
    /// Every status, in the order a request usually goes through them.
    pub const ALL: [RegistrationStatus; 7] = [
        RegistrationStatus::AwaitingConsent,
        RegistrationStatus::Checking,
        RegistrationStatus::AwaitingOfficer,
        RegistrationStatus::InformationRequested,
        RegistrationStatus::Approved,
        RegistrationStatus::Rejected,
        RegistrationStatus::Withdrawn,
    ];

    /// The stable machine name: the serde name, which is also the word the server stores.
    pub fn code(self) -> &'static str {
        match self {
            RegistrationStatus::AwaitingConsent => "awaiting_consent",
            RegistrationStatus::Checking => "checking",
            RegistrationStatus::AwaitingOfficer => "awaiting_officer",
            RegistrationStatus::InformationRequested => "information_requested",
            RegistrationStatus::Approved => "approved",
            RegistrationStatus::Rejected => "rejected",
            RegistrationStatus::Withdrawn => "withdrawn",
        }
    }

    /// Whether nothing more will happen to the request.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Approved
                | RegistrationStatus::Rejected
                | RegistrationStatus::Withdrawn
        )
    }

    /// Vietnamese label for lists.
    pub fn label_vi(self) -> &'static str {
        match self {
            RegistrationStatus::AwaitingConsent => "Chờ người đại diện khác đồng ý",
            RegistrationStatus::Checking => "Đang đối chiếu dữ liệu",
            RegistrationStatus::AwaitingOfficer => "Chờ cán bộ xét duyệt",
            RegistrationStatus::InformationRequested => "Cần bổ sung thông tin",
            RegistrationStatus::Approved => "Đã phê duyệt",
            RegistrationStatus::Rejected => "Bị từ chối",
            RegistrationStatus::Withdrawn => "Đã rút",
        }
    }

    /// English label for lists.
    pub fn label_en(self) -> &'static str {
        match self {
            RegistrationStatus::AwaitingConsent => "Awaiting co-representatives' consent",
            RegistrationStatus::Checking => "Checking registry data",
            RegistrationStatus::AwaitingOfficer => "Awaiting officer review",
            RegistrationStatus::InformationRequested => "More information requested",
            RegistrationStatus::Approved => "Approved",
            RegistrationStatus::Rejected => "Rejected",
            RegistrationStatus::Withdrawn => "Withdrawn",
        }
    }
}

/// A registration request as the requester and officers see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    /// The request.
    pub id: RegistrationId,
    /// Organisation type.
    pub org_type: OrgType,
    /// What was submitted (with the answers to information requests applied).
    pub details: OrganisationDetails,
    /// In what capacity the requester asked.
    pub capacity: RequesterCapacity,
    /// Who asked (taken at the counter, they may have no account yet).
    pub requester: RequesterRef,
    /// Where it stands.
    pub status: RegistrationStatus,
    /// When it was submitted.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub submitted_at: Timestamp,
    /// The legal due date: 3 working days when the registry settles it, 15 days when it must
    /// be verified (Decree 69/2024, Art. 13).
    pub due_on: NaiveDate,
    /// Past its due date and not final.
    pub overdue: bool,
    /// The registry check, once done (type 4 has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_check: Option<RegistryCheck>,
    /// Consents of the other legal representatives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<ConsentView>,
    /// Attached documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentView>,
    /// Everything that happened, oldest first.
    pub history: Vec<RegistrationEvent>,
    /// The organisation's e-ID number once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_eid: Option<OrgEid>,
}

/// A line of a request's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationEvent {
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Who (requester, co-representative, officer; `None` for the system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<PersonRef>,
    /// What.
    pub kind: RegistrationEventKind,
}

/// What happened to a request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RegistrationEventKind {
    /// The requester submitted it.
    Submitted,
    /// A co-representative consented.
    Consented,
    /// A co-representative refused; the request is withdrawn.
    Refused,
    /// The registry was checked.
    RegistryChecked {
        /// Whether everything matched.
        matched: bool,
    },
    /// Sent to an officer, and why.
    SentToOfficer {
        /// Why it needs an officer.
        reason: OfficerReviewReason,
    },
    /// The officer asked for more information.
    InformationRequested {
        /// The officer's question.
        question: String,
    },
    /// The requester answered.
    InformationProvided {
        /// The answer.
        answer: String,
    },
    /// Approved.
    Approved {
        /// The organisation's new e-ID number.
        org_eid: OrgEid,
    },
    /// Rejected.
    Rejected {
        /// Why, in words the requester understands.
        reason: String,
    },
    /// Withdrawn by the requester.
    Withdrawn,
}

impl RequesterCapacity {
    /// In Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            RequesterCapacity::LegalRepresentative => {
                "Người đại diện theo pháp luật / người đứng đầu"
            }
            RequesterCapacity::Authorised => "Người được ủy quyền",
        }
    }

    /// In English.
    pub fn label_en(self) -> &'static str {
        match self {
            RequesterCapacity::LegalRepresentative => "Legal representative / head",
            RequesterCapacity::Authorised => "Authorised person",
        }
    }
}

impl RegistrationEventKind {
    /// What happened, in Vietnamese, without the words a person wrote (a question, an answer,
    /// a reason), which a screen shows beside it under the text policy.
    pub fn headline_vi(&self) -> &'static str {
        match self {
            RegistrationEventKind::Submitted => "Đã gửi yêu cầu",
            RegistrationEventKind::Consented => "Người đại diện khác đã đồng ý",
            RegistrationEventKind::Refused => "Người đại diện khác đã từ chối",
            RegistrationEventKind::RegistryChecked { matched: true } => {
                "Đã đối chiếu: thông tin khớp"
            }
            RegistrationEventKind::RegistryChecked { matched: false } => {
                "Đã đối chiếu: có thông tin không khớp"
            }
            RegistrationEventKind::SentToOfficer { .. } => "Chuyển cán bộ xem xét",
            RegistrationEventKind::InformationRequested { .. } => "Cán bộ yêu cầu bổ sung",
            RegistrationEventKind::InformationProvided { .. } => "Người yêu cầu đã trả lời",
            RegistrationEventKind::Approved { .. } => "Đã phê duyệt",
            RegistrationEventKind::Rejected { .. } => "Bị từ chối",
            RegistrationEventKind::Withdrawn => "Đã rút yêu cầu",
        }
    }

    /// The same in English.
    pub fn headline_en(&self) -> &'static str {
        match self {
            RegistrationEventKind::Submitted => "Request sent",
            RegistrationEventKind::Consented => "A co-representative consented",
            RegistrationEventKind::Refused => "A co-representative refused",
            RegistrationEventKind::RegistryChecked { matched: true } => {
                "Register checked: details match"
            }
            RegistrationEventKind::RegistryChecked { matched: false } => {
                "Register checked: some details differ"
            }
            RegistrationEventKind::SentToOfficer { .. } => "Sent to an officer",
            RegistrationEventKind::InformationRequested { .. } => "The officer asks",
            RegistrationEventKind::InformationProvided { .. } => "The requester answered",
            RegistrationEventKind::Approved { .. } => "Approved",
            RegistrationEventKind::Rejected { .. } => "Rejected",
            RegistrationEventKind::Withdrawn => "Withdrawn",
        }
    }
}

impl OfficerReviewReason {
    /// Why the request waits for an officer, in Vietnamese.
    pub fn explanation_vi(self) -> &'static str {
        match self {
            OfficerReviewReason::AuthorisedRequester => {
                "Người nộp là người được ủy quyền: cán bộ kiểm tra giấy ủy quyền."
            }
            OfficerReviewReason::NoRegistry => {
                "Tổ chức không có cơ sở dữ liệu để đối chiếu: cán bộ xác minh quyết định thành lập."
            }
            OfficerReviewReason::RegistryMismatch => {
                "Thông tin khác với cơ sở dữ liệu đăng ký: cán bộ kiểm tra lại."
            }
            OfficerReviewReason::RepresentativeMismatch => {
                "Người nộp không phải người đại diện ghi trong cơ sở dữ liệu đăng ký."
            }
            OfficerReviewReason::NotInRegistry => "Cơ sở dữ liệu đăng ký không có tổ chức này.",
            OfficerReviewReason::CoRepresentativeWithoutAccount => {
                "Một người đại diện khác chưa có tài khoản: cán bộ lấy ý kiến đồng ý của họ."
            }
        }
    }

    /// The same in English.
    pub fn explanation_en(self) -> &'static str {
        match self {
            OfficerReviewReason::AuthorisedRequester => {
                "The requester is an authorised person: an officer checks the authorisation letter."
            }
            OfficerReviewReason::NoRegistry => {
                "No register knows this kind of organisation: an officer checks the founding decision."
            }
            OfficerReviewReason::RegistryMismatch => {
                "The details differ from the register: an officer checks them."
            }
            OfficerReviewReason::RepresentativeMismatch => {
                "The requester is not the representative recorded in the register."
            }
            OfficerReviewReason::NotInRegistry => "The register does not know this organisation.",
            OfficerReviewReason::CoRepresentativeWithoutAccount => {
                "Another representative has no account: an officer obtains their consent."
            }
        }
    }
}

/// Why a request waits for an officer instead of being approved automatically.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerReviewReason {
    /// The requester is an authorised person: the letter must be checked.
    AuthorisedRequester,
    /// Type 4: no registry to check against.
    NoRegistry,
    /// The registry's data differs from what was entered.
    RegistryMismatch,
    /// The requester is not the representative recorded in the registry.
    RepresentativeMismatch,
    /// The registry does not know the organisation.
    NotInRegistry,
    /// Another legal representative has no e-ID account, so cannot consent in the app: the
    /// officer obtains their consent (Decree 69/2024, Art. 12).
    CoRepresentativeWithoutAccount,
}

/// A co-representative's consent, as shown on the request: every co-representative is listed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    /// The co-representative's full name.
    pub full_name: String,
    /// Their masked identification number, e.g. `001******345`.
    pub citizen_id_masked: String,
    /// Their account: shown only to the officers of the request's province, so a requester
    /// does not learn who among the people they listed has an account (a co-representative
    /// without one is listed too, waiting, like one who has not answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::ids::AccountId>,
    /// `None` while waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented: Option<bool>,
    /// When they answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub answered_at: Option<Timestamp>,
    /// This line is the reader's own: the reader is this co-representative, asked to answer.
    /// Only ever true on the reader's own line, so it tells nobody anything about another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub you: bool,
}

/// A co-representative's answer (action kinds `consent_to_registration` /
/// `refuse_registration`), sent as [`super::Confirmed<ConsentDecision>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDecision {
    /// The request.
    pub registration: RegistrationId,
    /// Consent or refuse.
    pub consent: bool,
    /// What the co-representative was shown and answers about: [`consent_subject_digest`] of
    /// the request as the device displayed it. The signature covers it, so the consent is
    /// bound to those details, and the server refuses it (`conflict`) when the request it
    /// holds differs.
    pub request_digest: Digest32,
}

/// What a co-representative consents to (Decree 69/2024, Art. 12): the request as filed in
/// their name — which type, which details (representatives and letter included), who asked
/// and in what capacity. Hashed canonically by [`consent_subject_digest`]; never sent.
#[derive(Serialize)]
struct ConsentSubject<'a> {
    org_type: OrgType,
    details: &'a OrganisationDetails,
    capacity: RequesterCapacity,
    /// `null` while the requester has no account (taken at the counter); an account id
    /// hashes as it always did.
    requester: Option<&'a crate::ids::AccountId>,
}

/// The digest a co-representative's answer carries ([`ConsentDecision::request_digest`]):
/// the SHA-256 of the canonical JSON of what the request says. The device computes it from
/// the request it showed, the server from the request it stores; they agree only when the
/// person saw what the server holds.
pub fn consent_subject_digest(
    org_type: OrgType,
    details: &OrganisationDetails,
    capacity: RequesterCapacity,
    requester: Option<&crate::ids::AccountId>,
) -> Result<Digest32, crate::signed_action::ActionError> {
    crate::signed_action::canonical_body_hash(&ConsentSubject {
        org_type,
        details,
        capacity,
        requester,
    })
}

impl RegistrationView {
    /// [`consent_subject_digest`] of this request as shown.
    pub fn consent_digest(&self) -> Result<Digest32, crate::signed_action::ActionError> {
        consent_subject_digest(
            self.org_type,
            &self.details,
            self.capacity,
            self.requester.account.as_ref(),
        )
    }

    /// The reader's own line among the co-representatives, when the reader is one of them.
    pub fn own_consent(&self) -> Option<&ConsentView> {
        self.consents.iter().find(|c| c.you)
    }

    /// Whether the reader, a co-representative, may still answer: the request waits for
    /// consents and the reader has not answered.
    pub fn awaits_your_consent(&self) -> bool {
        self.status == RegistrationStatus::AwaitingConsent
            && self.own_consent().is_some_and(|c| c.consented.is_none())
    }
}

/// The requester withdraws a request before it is decided (action kind
/// `withdraw_registration`), sent as [`super::Confirmed<RegistrationWithdrawal>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationWithdrawal {
    /// The request.
    pub registration: RegistrationId,
}

/// The requester's answer to an information request (action kind
/// `answer_information_request`), sent as [`super::Confirmed<InformationAnswer>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationAnswer {
    /// The request.
    pub registration: RegistrationId,
    /// The answer in words.
    pub answer: String,
    /// Corrected details, when the officer asked for a correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_details: Option<OrganisationDetails>,
    /// Further documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentId>,
}

/// What a registry said about the organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCheck {
    /// Which registry.
    pub registry: RegistryKind,
    /// When it was asked.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub checked_at: Timestamp,
    /// Whether it knows the organisation at all.
    pub found: bool,
    /// Whether the organisation is active there (not dissolved or suspended).
    pub active: bool,
    /// Fields whose entered value differs from the registry's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<FieldMismatch>,
    /// Whether the requester is a legal representative recorded in the registry.
    pub requester_is_recorded_representative: bool,
}

/// One field that differs between the form and the registry.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMismatch {
    /// The field.
    pub field: OrgField,
    /// The registry's value (shown to officers; identification numbers masked).
    pub registry_value: String,
}

/// An officer's decision on a request (action kind `review_registration`), sent as
/// [`super::Confirmed<OfficerDecision>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerDecision {
    /// The request.
    pub registration: RegistrationId,
    /// Approve, reject or ask.
    pub decision: Decision,
}

/// What the officer decided.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Decision {
    /// Approve: the organisation's account is created.
    Approve,
    /// Reject, saying why in words the requester understands.
    Reject {
        /// The reason.
        reason: String,
    },
    /// Ask the requester for more information.
    RequestInformation {
        /// The question.
        question: String,
    },
}

/// A line of the officer queue: overdue requests first, then by due date.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    /// The request.
    pub id: RegistrationId,
    /// Organisation type.
    pub org_type: OrgType,
    /// Organisation name.
    pub name: String,
    /// Province of the head office.
    pub province: NewProvince,
    /// Status.
    pub status: RegistrationStatus,
    /// Why it waits for an officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<OfficerReviewReason>,
    /// Submitted.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub submitted_at: Timestamp,
    /// Legal due date.
    pub due_on: NaiveDate,
    /// Past due.
    pub overdue: bool,
}

/// Registration statistics for a province (or the whole country).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationStatistics {
    /// The province, or `None` for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<NewProvince>,
    /// Count per status.
    pub by_status: Vec<(RegistrationStatus, u64)>,
    /// Count per organisation type.
    pub by_type: Vec<(OrgType, u64)>,
    /// Requests past their due date that are not final.
    pub overdue: u64,
    /// Requests decided after their due date.
    pub decided_late: u64,
}

/// The accepted kinds of attachment, recognised by content (magic bytes), not by name.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    /// `application/pdf`.
    Pdf,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl MediaType {
    /// Largest attachment accepted, in bytes (10 MiB).
    pub const MAX_SIZE: u64 = 10 * 1024 * 1024;

    /// Recognises a file by its first bytes. Names and declared types are not trusted.
    pub fn sniff(content: &[u8]) -> Option<MediaType> {
        if content.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if content.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }
}

/// An uploaded attachment's metadata (the content is fetched separately, by its owner and
/// officers only).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    /// The attachment.
    pub id: AttachmentId,
    /// What document it is.
    pub kind: DocumentKind,
    /// Its type, as recognised from its content.
    pub media_type: MediaType,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Digest32,
    /// When it was uploaded.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub uploaded_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed() -> RegistrationView {
        serde_json::from_value(serde_json::json!({
            "id": "reg_0123456789abcdef", "org_type": "enterprise",
            "details": {
                "name_vi": "Công ty Cổ phần Thương mại Sông Hồng",
                "established_on": "2012-09-01",
                "head_office": {"address": "Số 5 đường Nguyễn Huệ, phường Sài Gòn", "province": "ho_chi_minh"},
                "enterprise_code": "0308680125",
                "representatives": [
                    {"full_name": "Nguyễn Văn An", "citizen_id": "001080012345"},
                    {"full_name": "Trần Thị Mai", "citizen_id": "074192034567"}
                ],
                "contact_phone": "0912345678"
            },
            "capacity": "legal_representative",
            "requester": {"account": "acc_an", "full_name": "Nguyễn Văn An", "citizen_id_masked": "001******345"},
            "status": "awaiting_consent", "submitted_at": "2026-12-02T07:00:00Z",
            "due_on": "2026-12-07", "overdue": false,
            "consents": [{"full_name": "Trần Thị Mai", "citizen_id_masked": "074******567"}],
            "history": []
        }))
        .unwrap()
    }

    #[test]
    fn a_consent_digest_names_what_was_filed_and_nothing_the_reader_sees_differently() {
        let view = filed();
        let digest = view.consent_digest().unwrap();
        // What differs between readers (status, consents, history, masking) does not count.
        let mut other_reader = view.clone();
        other_reader.consents[0].you = true;
        other_reader.status = RegistrationStatus::Withdrawn;
        assert_eq!(other_reader.consent_digest().unwrap(), digest);
        // Every part of what was filed does.
        let mut changed = Vec::new();
        let mut v = view.clone();
        v.details.name_vi = crate::org_type::Name::parse("Công ty Sông Hồng").unwrap();
        changed.push(v);
        let mut v = view.clone();
        v.details.representatives.pop();
        changed.push(v);
        let mut v = view.clone();
        v.capacity = RequesterCapacity::Authorised;
        changed.push(v);
        let mut v = view.clone();
        v.requester.account = Some(crate::ids::AccountId::parse("acc_other").unwrap());
        changed.push(v);
        let mut v = view.clone();
        v.requester.account = None;
        changed.push(v);
        let mut v = view.clone();
        v.org_type = OrgType::Cooperative;
        changed.push(v);
        for v in changed {
            assert_ne!(v.consent_digest().unwrap(), digest, "{v:?}");
        }
    }

    #[test]
    fn a_consent_is_awaited_only_from_the_readers_own_unanswered_line() {
        let mut v = filed();
        assert!(!v.awaits_your_consent(), "no line is the reader's");
        v.consents[0].you = true;
        assert!(v.awaits_your_consent());
        v.consents[0].consented = Some(true);
        assert!(!v.awaits_your_consent());
        let json = serde_json::to_value(filed()).unwrap();
        assert!(
            json["consents"][0].get("you").is_none(),
            "false is left out"
        );
    }

    #[test]
    fn attachments_are_recognised_by_content_not_by_name() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n..."), Some(MediaType::Pdf));
        assert_eq!(
            MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaType::Png)
        );
        assert_eq!(MediaType::sniff(b"MZ\x90\0 a windows exe"), None);
        assert_eq!(MediaType::sniff(b"<html>%PDF-"), None);
        assert_eq!(MediaType::sniff(b""), None);
    }

    #[test]
    fn each_field_error_becomes_a_detail_naming_its_field_and_row() {
        let sent = vec![
            FieldError::required(OrgField::NameVi, None),
            FieldError::required(OrgField::RepresentativeCitizenId, Some(2)),
        ];
        let api = ApiError::validation_failed(&sent);
        assert_eq!(api.kind(), Some(ErrorCode::ValidationFailed));
        let fields: Vec<_> = api.details.iter().map(|d| d.field.as_deref()).collect();
        assert_eq!(
            fields,
            [Some("name_vi"), Some("representative_citizen_id[2]")]
        );
        assert_eq!(api.details[1].code, sent[1].code);
        let json = serde_json::to_string(&api).unwrap();
        let back: ApiError = serde_json::from_str(&json).unwrap();
        assert_eq!(back, api);
    }

    #[test]
    fn final_statuses_are_exactly_the_decided_ones() {
        use RegistrationStatus::*;
        let finals: Vec<_> = RegistrationStatus::ALL
            .iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, [&Approved, &Rejected, &Withdrawn]);
        for s in RegistrationStatus::ALL {
            assert_ne!(s.label_vi(), s.label_en());
        }
    }

    #[test]
    fn every_status_is_listed_once_and_its_code_is_its_serde_name() {
        // The match fails to compile when a status is added, so `ALL` is updated with it.
        let position = |s: RegistrationStatus| match s {
            RegistrationStatus::AwaitingConsent => 0,
            RegistrationStatus::Checking => 1,
            RegistrationStatus::AwaitingOfficer => 2,
            RegistrationStatus::InformationRequested => 3,
            RegistrationStatus::Approved => 4,
            RegistrationStatus::Rejected => 5,
            RegistrationStatus::Withdrawn => 6,
        };
        for (i, s) in RegistrationStatus::ALL.into_iter().enumerate() {
            assert_eq!(position(s), i);
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
        }
    }
}
