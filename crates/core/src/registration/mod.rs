//! The organisation registration flow as a pure state machine.
//!
//! It follows the steps of the VNeID "Định danh tổ chức" guidance and Decree 69/2024/NĐ-CP,
//! Art. 12: a person with a level-2 account starts, confirms their identity (passcode or
//! biometric), chooses the organisation type, enters the details, reviews them, confirms the
//! submission, and the request is filed; other legal representatives consent; an officer
//! approves, rejects or asks for more information, which the requester answers.
//!
//! ```text
//! NotStarted -Start-> ConfirmingIdentity -Confirmed-> ChoosingType -ChooseType-> EnteringDetails
//!   EnteringDetails -SubmitDetails(ok)-> Reviewing -Proceed-> ConfirmingSubmission
//!   ConfirmingSubmission -Confirmed-> Submitting -SubmitAccepted-> Submitted
//!                                                -SubmitAwaitingConsent-> AwaitingConsent
//!                                                -SubmitFailed-> EnteringDetails | Reviewing
//!   AwaitingConsent -ConsentGiven-> AwaitingConsent, -ReviewStarted-> Submitted
//!   Submitted -Approved-> Approved, -Rejected-> Rejected,
//!             -MoreInformationRequested-> MoreInformationRequested -Answer-> SendingAnswer
//!   SendingAnswer -AnswerAccepted-> Submitted
//!   AwaitingConsent | Submitted | MoreInformationRequested -Withdraw-> Withdrawing -> Withdrawn
//!   any step before Submitting -Cancel-> Cancelled
//! ```
//!
//! Sans-IO (STYLE.md, practice 1): [`State::handle`] takes an [`Event`] (something the person
//! did or the server answered) and returns the next state and the [`Effect`]s an I/O layer must
//! carry out (ask for a confirmation, send the request, show errors, notify). The UI, the app
//! and the tests drive the same machine; nothing here touches the network, a clock or a key.
//!
//! **A confirmation event proves nothing on its own.** [`Event::Confirmed`] records that the
//! I/O layer says it obtained the person's passcode or biometric confirmation, and which
//! method it used. The machine trusts it only to move the screens along. What protects the
//! request is the signature the device makes with the confirmation key over the submitted
//! action (see `crate::signed_action`), which the server verifies; a forged `Confirmed` event
//! gets a request without a valid signature, which the server refuses.

pub mod lifecycle;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::{AccountLevel, ConfirmationMethod};
use crate::ids::{CitizenId, OrgEid, RegistrationId};
use crate::org_type::{
    FieldError, OrgType, OrganisationDetails, OrganisationForm, TextProblem, parse_text,
};

/// Longest answer to an officer's question, in characters.
pub const MAX_ANSWER_CHARS: usize = 2000;

/// What a confirmation (passcode or biometric) is asked for. A confirmation obtained for one
/// purpose is refused for another, so a stale identity confirmation cannot submit a request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationPurpose {
    /// Step 3 of the guidance: confirm who is starting a registration.
    StartRegistration,
    /// Confirm sending the request ("Tôi xác nhận các thông tin trên là đúng ...").
    SubmitRegistration,
}

impl ConfirmationPurpose {
    /// Stable machine name.
    pub fn code(self) -> &'static str {
        match self {
            ConfirmationPurpose::StartRegistration => "start_registration",
            ConfirmationPurpose::SubmitRegistration => "submit_registration",
        }
    }
}

/// The I/O layer's report that the person confirmed. It is a claim, not a proof: see the
/// module documentation. The server checks the signature made with the confirmation key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// What the confirmation was asked for.
    pub purpose: ConfirmationPurpose,
    /// How the person confirmed.
    pub method: ConfirmationMethod,
}

/// An error the server returned, in the shape errors cross every bridge
/// (`{code, message_vi, message_en}`), with the field errors it found, if any.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFailure {
    /// Stable machine code.
    pub code: String,
    /// Message in Vietnamese.
    pub message_vi: String,
    /// Message in English.
    pub message_en: String,
    /// Problems with particular fields (e.g. the tax code is not in the tax registry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_errors: Vec<FieldError>,
}

/// A message for the person, shown as a banner or a notification.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Stable machine code, e.g. `registration.submitted`.
    pub code: String,
    /// Message in Vietnamese.
    pub message_vi: String,
    /// Message in English.
    pub message_en: String,
}

impl Notice {
    fn new(code: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Notice {
            code: format!("registration.{code}"),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }

    fn from_failure(f: &ServerFailure) -> Self {
        Notice {
            code: f.code.clone(),
            message_vi: f.message_vi.clone(),
            message_en: f.message_en.clone(),
        }
    }
}

/// Why a filed request ended without an e-ID.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectionReason {
    /// An officer (or the registry check) refused the request; the text is theirs.
    Officer {
        /// The officer's reason.
        reason: String,
    },
    /// A co-representative refused consent (Decree 69/2024, Art. 12).
    ConsentDeclined {
        /// Who declined.
        representative: CitizenId,
    },
}

/// What every state after filing knows: the request, its type and its details.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filed {
    /// The request's id.
    pub registration: RegistrationId,
    /// The organisation type.
    pub org_type: OrgType,
    /// The details as submitted.
    pub details: OrganisationDetails,
}

/// A step of the registration flow, with everything the screen of that step needs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Nothing happened yet.
    #[default]
    NotStarted,
    /// Waiting for the person to confirm their identity (guidance step 3).
    ConfirmingIdentity {
        /// The person registering.
        requester: CitizenId,
    },
    /// Choosing the organisation type. Keeps what was typed before going back.
    ChoosingType {
        /// The person registering.
        requester: CitizenId,
        /// The type chosen before, if the person came back here.
        previous: Option<OrgType>,
        /// What was typed so far.
        form: OrganisationForm,
    },
    /// Entering the organisation's details.
    EnteringDetails {
        /// The person registering.
        requester: CitizenId,
        /// The chosen type.
        org_type: OrgType,
        /// What was typed so far.
        form: OrganisationForm,
        /// Errors to show under their fields.
        errors: Vec<FieldError>,
    },
    /// Reviewing the validated details before confirming.
    Reviewing {
        /// The person registering.
        requester: CitizenId,
        /// The chosen type.
        org_type: OrgType,
        /// What was typed (kept for going back).
        form: OrganisationForm,
        /// The validated details.
        details: OrganisationDetails,
    },
    /// Waiting for the passcode or biometric confirmation of the submission.
    ConfirmingSubmission {
        /// The person registering.
        requester: CitizenId,
        /// The chosen type.
        org_type: OrgType,
        /// What was typed.
        form: OrganisationForm,
        /// The validated details.
        details: OrganisationDetails,
    },
    /// The request is being sent; the outcome is not known yet, so it cannot be cancelled.
    Submitting {
        /// The person registering.
        requester: CitizenId,
        /// The chosen type.
        org_type: OrgType,
        /// What was typed (kept so a failure returns to it intact).
        form: OrganisationForm,
        /// The details being sent.
        details: OrganisationDetails,
    },
    /// Filed, waiting for the other legal representatives' consent before it proceeds
    /// (Decree 69/2024, Art. 12).
    AwaitingConsent {
        /// The request.
        filed: Filed,
        /// Representatives whose consent is still missing.
        pending: Vec<CitizenId>,
    },
    /// Filed and under review.
    Submitted {
        /// The request.
        filed: Filed,
        /// The date by which the authority must answer, as the server computed it.
        due_on: NaiveDate,
    },
    /// The officer asked a question.
    MoreInformationRequested {
        /// The request.
        filed: Filed,
        /// The due date before the question.
        due_on: NaiveDate,
        /// The officer's question.
        question: String,
    },
    /// The answer is being sent.
    SendingAnswer {
        /// The request.
        filed: Filed,
        /// The due date before the question.
        due_on: NaiveDate,
        /// The officer's question.
        question: String,
        /// The answer being sent (normalised).
        answer: String,
    },
    /// A withdrawal is being sent; the state to return to if it fails is kept.
    Withdrawing {
        /// The state the withdrawal was asked from (`AwaitingConsent`, `Submitted` or
        /// `MoreInformationRequested`).
        previous: Box<State>,
    },
    /// Approved: the organisation has its e-ID.
    Approved {
        /// The request.
        filed: Filed,
        /// The organisation's e-ID number.
        org_eid: OrgEid,
    },
    /// Refused.
    Rejected {
        /// The request.
        filed: Filed,
        /// Why.
        reason: RejectionReason,
    },
    /// Withdrawn by the requester.
    Withdrawn {
        /// The request.
        filed: Filed,
    },
    /// Abandoned before anything was sent.
    Cancelled,
}

/// Something the person did or the server answered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The person opens "Đăng ký định danh tổ chức" with their account.
    Start {
        /// Their account's level; level 2 is required.
        level: AccountLevel,
        /// Their personal identification number.
        requester: CitizenId,
    },
    /// The I/O layer obtained a confirmation (a claim only; see the module documentation).
    Confirmed {
        /// What was confirmed and how.
        confirmation: Confirmation,
    },
    /// The person dismissed the confirmation prompt, or it failed.
    ConfirmationCancelled,
    /// The person chose a type.
    ChooseType {
        /// The type.
        org_type: OrgType,
    },
    /// The person changed the form (sent as they type, or at least before `Back`).
    EditForm {
        /// The whole form as it is now.
        form: OrganisationForm,
    },
    /// The person pressed "continue" on the form.
    SubmitDetails {
        /// The whole form.
        form: OrganisationForm,
        /// The caller's date (core has no clock), for the date checks.
        today: NaiveDate,
    },
    /// The person went back one step (from the form or the review), keeping what was typed.
    Back,
    /// The person accepted the review and wants to submit.
    Proceed,
    /// The person abandoned the registration before it was sent.
    Cancel,
    /// The server filed the request and it is under review.
    SubmitAccepted {
        /// The request's id.
        registration: RegistrationId,
        /// The legal due date.
        due_on: NaiveDate,
    },
    /// The server filed the request; other representatives must consent first.
    SubmitAwaitingConsent {
        /// The request's id.
        registration: RegistrationId,
        /// Whose consent is needed.
        pending: Vec<CitizenId>,
    },
    /// The server refused or could not take the request.
    SubmitFailed {
        /// The failure.
        failure: ServerFailure,
    },
    /// A co-representative consented.
    ConsentGiven {
        /// Who.
        representative: CitizenId,
    },
    /// A co-representative refused.
    ConsentDeclined {
        /// Who.
        representative: CitizenId,
    },
    /// Every consent is in; the review starts.
    ReviewStarted {
        /// The legal due date.
        due_on: NaiveDate,
    },
    /// The authority approved.
    Approved {
        /// The organisation's e-ID number.
        org_eid: OrgEid,
    },
    /// The authority rejected.
    Rejected {
        /// The officer's reason.
        reason: String,
    },
    /// The officer asks for more information.
    MoreInformationRequested {
        /// The question.
        question: String,
    },
    /// The person answers the officer's question.
    Answer {
        /// The answer.
        text: String,
    },
    /// The server took the answer; the review resumes.
    AnswerAccepted {
        /// The new legal due date.
        due_on: NaiveDate,
    },
    /// The server could not take the answer.
    AnswerFailed {
        /// The failure.
        failure: ServerFailure,
    },
    /// The person withdraws the filed request.
    Withdraw,
    /// The server withdrew the request.
    WithdrawAccepted,
    /// The server could not withdraw the request.
    WithdrawFailed {
        /// The failure.
        failure: ServerFailure,
    },
}

/// What the I/O layer must do after a transition.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Ask the person for their passcode or biometric, then send [`Event::Confirmed`] with this
    /// purpose (or [`Event::ConfirmationCancelled`]).
    RequestConfirmation {
        /// What the confirmation is for.
        purpose: ConfirmationPurpose,
    },
    /// Sign the request with the confirmation key for `method` and send it; answer with
    /// `SubmitAccepted`, `SubmitAwaitingConsent` or `SubmitFailed`.
    Submit {
        /// The organisation type.
        org_type: OrgType,
        /// The details.
        details: Box<OrganisationDetails>,
        /// The confirmation method the person used.
        method: ConfirmationMethod,
    },
    /// Show these errors under their fields.
    ShowFieldErrors {
        /// The errors.
        errors: Vec<FieldError>,
    },
    /// Tell the person something.
    Notify {
        /// The message.
        notice: Notice,
    },
    /// Send the answer to the officer's question.
    SendAnswer {
        /// The request.
        registration: RegistrationId,
        /// The answer.
        text: String,
    },
    /// Ask the server to withdraw the request.
    Withdraw {
        /// The request.
        registration: RegistrationId,
    },
}

/// Why an event could not be handled. The state did not change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The event makes no sense in this state (e.g. `Approved` before anything was sent).
    /// Carries names only, never data, so it can be logged.
    #[error("event `{event}` is not valid in state `{state}`")]
    InvalidTransition {
        /// Name of the state.
        state: &'static str,
        /// Name of the event.
        event: &'static str,
    },
    /// Only a level-2 account may register an organisation (Decree 69/2024, Art. 12).
    #[error("a level-2 account is required to register an organisation")]
    Level2Required,
    /// A confirmation obtained for another purpose.
    #[error("confirmation was for `{}`, expected `{}`", .got.code(), .expected.code())]
    WrongConfirmationPurpose {
        /// What this step needs.
        expected: ConfirmationPurpose,
        /// What the confirmation was for.
        got: ConfirmationPurpose,
    },
    /// A consent event about someone whose consent is not awaited.
    #[error("no consent is awaited from this person")]
    ConsentNotAwaited,
    /// The answer to the officer is empty, too long or has control characters.
    #[error("the answer {}", .0.message_en())]
    InvalidAnswer(TextProblem),
}

impl FlowError {
    /// Stable machine code, e.g. `registration.invalid_transition`.
    pub fn code(&self) -> String {
        let tail = match self {
            FlowError::InvalidTransition { .. } => "invalid_transition",
            FlowError::Level2Required => "level2_required",
            FlowError::WrongConfirmationPurpose { .. } => "wrong_confirmation_purpose",
            FlowError::ConsentNotAwaited => "consent_not_awaited",
            FlowError::InvalidAnswer(p) => return format!("registration.answer.{}", p.code()),
        };
        format!("registration.{tail}")
    }

    /// Message in Vietnamese, for the person.
    pub fn message_vi(&self) -> String {
        match self {
            FlowError::InvalidTransition { .. } => {
                "Thao tác này không thực hiện được ở bước hiện tại.".into()
            }
            FlowError::Level2Required => {
                "Cần tài khoản định danh điện tử mức độ 2 để đăng ký định danh tổ chức.".into()
            }
            FlowError::WrongConfirmationPurpose { .. } => {
                "Xác nhận không đúng thao tác, vui lòng xác nhận lại.".into()
            }
            FlowError::ConsentNotAwaited => {
                "Không có yêu cầu đồng ý nào đang chờ người này.".into()
            }
            FlowError::InvalidAnswer(p) => format!("Nội dung trả lời {}.", p.message_vi()),
        }
    }

    /// Message in English, for the person.
    pub fn message_en(&self) -> String {
        match self {
            FlowError::InvalidTransition { .. } => {
                "This action is not possible at this step.".into()
            }
            FlowError::Level2Required => {
                "A level-2 electronic identity account is required to register an organisation."
                    .into()
            }
            FlowError::WrongConfirmationPurpose { .. } => {
                "The confirmation was for another action; please confirm again.".into()
            }
            FlowError::ConsentNotAwaited => "No consent is awaited from this person.".into(),
            FlowError::InvalidAnswer(p) => format!("The answer {}.", p.message_en()),
        }
    }
}

/// A transition's outcome before it is handed out: on failure the unchanged state comes back
/// with the error, so [`State::apply`] can keep it without cloning. (Boxed: a state with a
/// whole form in it is large, and failures are rare.)
type Step = Result<(State, Vec<Effect>), Box<(State, FlowError)>>;

impl State {
    /// The state a new flow starts in.
    pub fn new() -> Self {
        State::NotStarted
    }

    /// The state's name, stable, for logs and [`FlowError::InvalidTransition`].
    pub fn name(&self) -> &'static str {
        match self {
            State::NotStarted => "not_started",
            State::ConfirmingIdentity { .. } => "confirming_identity",
            State::ChoosingType { .. } => "choosing_type",
            State::EnteringDetails { .. } => "entering_details",
            State::Reviewing { .. } => "reviewing",
            State::ConfirmingSubmission { .. } => "confirming_submission",
            State::Submitting { .. } => "submitting",
            State::AwaitingConsent { .. } => "awaiting_consent",
            State::Submitted { .. } => "submitted",
            State::MoreInformationRequested { .. } => "more_information_requested",
            State::SendingAnswer { .. } => "sending_answer",
            State::Withdrawing { .. } => "withdrawing",
            State::Approved { .. } => "approved",
            State::Rejected { .. } => "rejected",
            State::Withdrawn { .. } => "withdrawn",
            State::Cancelled => "cancelled",
        }
    }

    /// The filed request, in every state after the server took it (`None` before).
    pub fn filed(&self) -> Option<&Filed> {
        match self {
            State::AwaitingConsent { filed, .. }
            | State::Submitted { filed, .. }
            | State::MoreInformationRequested { filed, .. }
            | State::SendingAnswer { filed, .. }
            | State::Approved { filed, .. }
            | State::Rejected { filed, .. }
            | State::Withdrawn { filed } => Some(filed),
            State::Withdrawing { previous } => previous.filed(),
            _ => None,
        }
    }

    /// Whether the flow is over: no event is valid any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            State::Approved { .. }
                | State::Rejected { .. }
                | State::Withdrawn { .. }
                | State::Cancelled
        )
    }

    /// Handles one event: the next state and what the I/O layer must do, or why the event is
    /// refused. Never panics, whatever the state and the event.
    ///
    /// The state is taken by value so a used state cannot be acted on twice; on error it is
    /// dropped — use [`State::apply`] to keep it.
    pub fn handle(self, event: Event) -> Result<(State, Vec<Effect>), FlowError> {
        self.step(event).map_err(|failed| failed.1)
    }

    /// Handles one event in place: on success `self` becomes the next state and the effects
    /// are returned; on error `self` is left exactly as it was.
    pub fn apply(&mut self, event: Event) -> Result<Vec<Effect>, FlowError> {
        let current = std::mem::replace(self, State::NotStarted);
        match current.step(event) {
            Ok((next, effects)) => {
                *self = next;
                Ok(effects)
            }
            Err(failed) => {
                let (unchanged, e) = *failed;
                *self = unchanged;
                Err(e)
            }
        }
    }

    fn step(self, event: Event) -> Step {
        use State as S;
        let invalid = |state: State, event: &Event| -> Step {
            let e = FlowError::InvalidTransition {
                state: state.name(),
                event: event.name(),
            };
            fail(state, e)
        };
        match (self, event) {
            // Start: Decree 69/2024, Art. 12 — the requester uses a level-2 account.
            (S::NotStarted, Event::Start { level, requester }) => {
                if level < AccountLevel::Level2 {
                    return fail(S::NotStarted, FlowError::Level2Required);
                }
                Ok((
                    S::ConfirmingIdentity { requester },
                    vec![Effect::RequestConfirmation {
                        purpose: ConfirmationPurpose::StartRegistration,
                    }],
                ))
            }

            (S::ConfirmingIdentity { requester }, Event::Confirmed { confirmation }) => {
                let expected = ConfirmationPurpose::StartRegistration;
                if confirmation.purpose != expected {
                    let e = FlowError::WrongConfirmationPurpose {
                        expected,
                        got: confirmation.purpose,
                    };
                    return Err(Box::new((S::ConfirmingIdentity { requester }, e)));
                }
                Ok((
                    S::ChoosingType {
                        requester,
                        previous: None,
                        form: OrganisationForm::default(),
                    },
                    vec![],
                ))
            }
            (S::ConfirmingIdentity { .. }, Event::ConfirmationCancelled) => {
                Ok((S::NotStarted, vec![]))
            }

            (
                S::ChoosingType {
                    requester, form, ..
                },
                Event::ChooseType { org_type },
            ) => Ok((
                // The form is kept across a change of type: fields that now belong to another
                // type are reported by validation ("belongs to type 1"), not silently dropped.
                S::EnteringDetails {
                    requester,
                    org_type,
                    form,
                    errors: vec![],
                },
                vec![],
            )),

            (
                S::EnteringDetails {
                    requester,
                    org_type,
                    form: old,
                    errors,
                },
                Event::EditForm { form },
            ) => {
                // An error stays only while its field still holds the value it was about.
                let errors = errors
                    .into_iter()
                    .filter(|e| old.value_of(e.field, e.index) == form.value_of(e.field, e.index))
                    .collect();
                Ok((
                    S::EnteringDetails {
                        requester,
                        org_type,
                        form,
                        errors,
                    },
                    vec![],
                ))
            }
            (
                S::EnteringDetails {
                    requester,
                    org_type,
                    ..
                },
                Event::SubmitDetails { form, today },
            ) => match form.validate_for_requester(org_type, &requester, today) {
                Ok(details) => Ok((
                    S::Reviewing {
                        requester,
                        org_type,
                        form,
                        details,
                    },
                    vec![],
                )),
                Err(errors) => Ok((
                    S::EnteringDetails {
                        requester,
                        org_type,
                        form,
                        errors: errors.clone(),
                    },
                    vec![Effect::ShowFieldErrors { errors }],
                )),
            },
            (
                S::EnteringDetails {
                    requester,
                    org_type,
                    form,
                    ..
                },
                Event::Back,
            ) => Ok((
                S::ChoosingType {
                    requester,
                    previous: Some(org_type),
                    form,
                },
                vec![],
            )),

            (
                S::Reviewing {
                    requester,
                    org_type,
                    form,
                    details,
                },
                Event::Proceed,
            ) => Ok((
                S::ConfirmingSubmission {
                    requester,
                    org_type,
                    form,
                    details,
                },
                vec![Effect::RequestConfirmation {
                    purpose: ConfirmationPurpose::SubmitRegistration,
                }],
            )),
            (
                S::Reviewing {
                    requester,
                    org_type,
                    form,
                    ..
                },
                Event::Back,
            ) => Ok((
                S::EnteringDetails {
                    requester,
                    org_type,
                    form,
                    errors: vec![],
                },
                vec![],
            )),

            (
                S::ConfirmingSubmission {
                    requester,
                    org_type,
                    form,
                    details,
                },
                Event::Confirmed { confirmation },
            ) => {
                let expected = ConfirmationPurpose::SubmitRegistration;
                if confirmation.purpose != expected {
                    let e = FlowError::WrongConfirmationPurpose {
                        expected,
                        got: confirmation.purpose,
                    };
                    let unchanged = S::ConfirmingSubmission {
                        requester,
                        org_type,
                        form,
                        details,
                    };
                    return Err(Box::new((unchanged, e)));
                }
                let submit = Effect::Submit {
                    org_type,
                    details: Box::new(details.clone()),
                    method: confirmation.method,
                };
                Ok((
                    S::Submitting {
                        requester,
                        org_type,
                        form,
                        details,
                    },
                    vec![submit],
                ))
            }
            (
                S::ConfirmingSubmission {
                    requester,
                    org_type,
                    form,
                    details,
                },
                Event::ConfirmationCancelled,
            ) => Ok((
                S::Reviewing {
                    requester,
                    org_type,
                    form,
                    details,
                },
                vec![],
            )),

            (
                S::Submitting {
                    org_type, details, ..
                },
                Event::SubmitAccepted {
                    registration,
                    due_on,
                },
            ) => {
                let notice = Notice::new(
                    "submitted",
                    format!(
                        "Đã gửi yêu cầu đăng ký. Hạn trả kết quả: {}.",
                        vi_date(due_on)
                    ),
                    format!("Registration request sent. Due by {due_on}."),
                );
                let filed = Filed {
                    registration,
                    org_type,
                    details,
                };
                Ok((S::Submitted { filed, due_on }, vec![notify(notice)]))
            }
            (
                S::Submitting {
                    org_type, details, ..
                },
                Event::SubmitAwaitingConsent {
                    registration,
                    pending,
                },
            ) => {
                let notice = Notice::new(
                    "awaiting_consent",
                    "Đã gửi yêu cầu đăng ký. Đang chờ những người đại diện theo pháp luật khác đồng ý.",
                    "Registration request sent. Waiting for the other legal representatives to consent.",
                );
                let filed = Filed {
                    registration,
                    org_type,
                    details,
                };
                Ok((S::AwaitingConsent { filed, pending }, vec![notify(notice)]))
            }
            (
                S::Submitting {
                    requester,
                    org_type,
                    form,
                    details,
                },
                Event::SubmitFailed { failure },
            ) => {
                let notice = notify(Notice::from_failure(&failure));
                if failure.field_errors.is_empty() {
                    // Nothing wrong with a field (network, server busy): back to the review,
                    // from where the person can try again.
                    Ok((
                        S::Reviewing {
                            requester,
                            org_type,
                            form,
                            details,
                        },
                        vec![notice],
                    ))
                } else {
                    // Back to the form, data intact, with the server's errors under the fields.
                    let errors = failure.field_errors;
                    Ok((
                        S::EnteringDetails {
                            requester,
                            org_type,
                            form,
                            errors: errors.clone(),
                        },
                        vec![notice, Effect::ShowFieldErrors { errors }],
                    ))
                }
            }

            // Decree 69/2024, Art. 12: the request proceeds only once the other legal
            // representatives have consented.
            (S::AwaitingConsent { filed, mut pending }, Event::ConsentGiven { representative }) => {
                let Some(pos) = pending.iter().position(|p| *p == representative) else {
                    return fail(
                        S::AwaitingConsent { filed, pending },
                        FlowError::ConsentNotAwaited,
                    );
                };
                pending.remove(pos);
                let notice = Notice::new(
                    "consent_given",
                    "Một người đại diện theo pháp luật đã đồng ý.",
                    "A legal representative has consented.",
                );
                Ok((S::AwaitingConsent { filed, pending }, vec![notify(notice)]))
            }
            (S::AwaitingConsent { filed, pending }, Event::ConsentDeclined { representative }) => {
                if !pending.contains(&representative) {
                    return fail(
                        S::AwaitingConsent { filed, pending },
                        FlowError::ConsentNotAwaited,
                    );
                }
                let notice = Notice::new(
                    "consent_declined",
                    "Một người đại diện theo pháp luật không đồng ý; yêu cầu đã dừng.",
                    "A legal representative declined; the request has stopped.",
                );
                let reason = RejectionReason::ConsentDeclined { representative };
                Ok((S::Rejected { filed, reason }, vec![notify(notice)]))
            }
            // The server decides when consent is complete (it may know of consents given
            // elsewhere); `pending` is only what this device has heard of.
            (S::AwaitingConsent { filed, .. }, Event::ReviewStarted { due_on }) => {
                let notice = Notice::new(
                    "review_started",
                    format!(
                        "Yêu cầu đang được xem xét. Hạn trả kết quả: {}.",
                        vi_date(due_on)
                    ),
                    format!("The request is under review. Due by {due_on}."),
                );
                Ok((S::Submitted { filed, due_on }, vec![notify(notice)]))
            }

            (S::Submitted { filed, due_on }, Event::MoreInformationRequested { question }) => {
                let notice = Notice::new(
                    "more_information_requested",
                    "Cán bộ yêu cầu bổ sung thông tin.",
                    "The officer asks for more information.",
                );
                Ok((
                    S::MoreInformationRequested {
                        filed,
                        due_on,
                        question,
                    },
                    vec![notify(notice)],
                ))
            }

            (
                S::MoreInformationRequested {
                    filed,
                    due_on,
                    question,
                },
                Event::Answer { text },
            ) => match parse_text(&text, MAX_ANSWER_CHARS, true) {
                Ok(answer) => {
                    let send = Effect::SendAnswer {
                        registration: filed.registration.clone(),
                        text: answer.clone(),
                    };
                    Ok((
                        S::SendingAnswer {
                            filed,
                            due_on,
                            question,
                            answer,
                        },
                        vec![send],
                    ))
                }
                Err(p) => fail(
                    S::MoreInformationRequested {
                        filed,
                        due_on,
                        question,
                    },
                    FlowError::InvalidAnswer(p),
                ),
            },

            (S::SendingAnswer { filed, .. }, Event::AnswerAccepted { due_on }) => {
                let notice = Notice::new(
                    "answer_sent",
                    "Đã gửi thông tin bổ sung.",
                    "Your answer has been sent.",
                );
                Ok((S::Submitted { filed, due_on }, vec![notify(notice)]))
            }
            (
                S::SendingAnswer {
                    filed,
                    due_on,
                    question,
                    ..
                },
                Event::AnswerFailed { failure },
            ) => Ok((
                S::MoreInformationRequested {
                    filed,
                    due_on,
                    question,
                },
                vec![notify(Notice::from_failure(&failure))],
            )),

            // Withdrawal: possible while the request waits for consent or for the officer.
            (
                previous @ (S::AwaitingConsent { .. }
                | S::Submitted { .. }
                | S::MoreInformationRequested { .. }),
                Event::Withdraw,
            ) => {
                let Some(registration) = previous.filed().map(|f| f.registration.clone()) else {
                    return invalid(previous, &Event::Withdraw);
                };
                Ok((
                    S::Withdrawing {
                        previous: Box::new(previous),
                    },
                    vec![Effect::Withdraw { registration }],
                ))
            }
            (S::Withdrawing { previous }, Event::WithdrawAccepted) => match *previous {
                S::AwaitingConsent { filed, .. }
                | S::Submitted { filed, .. }
                | S::MoreInformationRequested { filed, .. } => {
                    let notice = Notice::new(
                        "withdrawn",
                        "Đã rút yêu cầu đăng ký.",
                        "The registration request has been withdrawn.",
                    );
                    Ok((S::Withdrawn { filed }, vec![notify(notice)]))
                }
                other => invalid(
                    S::Withdrawing {
                        previous: Box::new(other),
                    },
                    &Event::WithdrawAccepted,
                ),
            },
            (S::Withdrawing { previous }, Event::WithdrawFailed { failure }) => {
                Ok((*previous, vec![notify(Notice::from_failure(&failure))]))
            }
            // The officer may decide while a withdrawal is on its way: the decision stands.
            (
                S::Withdrawing { previous },
                event @ (Event::Approved { .. } | Event::Rejected { .. }),
            ) => {
                let event_name = event.name();
                match (*previous).step(event) {
                    Ok(next) => Ok(next),
                    Err(failed) => fail(
                        S::Withdrawing {
                            previous: Box::new(failed.0),
                        },
                        FlowError::InvalidTransition {
                            state: "withdrawing",
                            event: event_name,
                        },
                    ),
                }
            }

            // Decisions. Approval only after consent is complete (from `Submitted`); a
            // rejection may come at any point after filing (e.g. the registry check fails).
            (S::Submitted { filed, .. }, Event::Approved { org_eid }) => {
                let notice = Notice::new(
                    "approved",
                    format!("Tổ chức đã được cấp định danh điện tử: {org_eid}."),
                    format!("The organisation's e-ID has been issued: {org_eid}."),
                );
                Ok((S::Approved { filed, org_eid }, vec![notify(notice)]))
            }
            (
                S::AwaitingConsent { filed, .. }
                | S::Submitted { filed, .. }
                | S::MoreInformationRequested { filed, .. },
                Event::Rejected { reason },
            ) => {
                let notice = Notice::new(
                    "rejected",
                    "Yêu cầu đăng ký bị từ chối.",
                    "The registration request was rejected.",
                );
                let reason = RejectionReason::Officer { reason };
                Ok((S::Rejected { filed, reason }, vec![notify(notice)]))
            }

            // Cancel: any step before the request is sent. Nothing left the device.
            (
                S::ConfirmingIdentity { .. }
                | S::ChoosingType { .. }
                | S::EnteringDetails { .. }
                | S::Reviewing { .. }
                | S::ConfirmingSubmission { .. },
                Event::Cancel,
            ) => Ok((S::Cancelled, vec![])),

            (state, event) => invalid(state, &event),
        }
    }
}

impl Event {
    /// The event's name, stable, for logs and [`FlowError::InvalidTransition`].
    pub fn name(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::Confirmed { .. } => "confirmed",
            Event::ConfirmationCancelled => "confirmation_cancelled",
            Event::ChooseType { .. } => "choose_type",
            Event::EditForm { .. } => "edit_form",
            Event::SubmitDetails { .. } => "submit_details",
            Event::Back => "back",
            Event::Proceed => "proceed",
            Event::Cancel => "cancel",
            Event::SubmitAccepted { .. } => "submit_accepted",
            Event::SubmitAwaitingConsent { .. } => "submit_awaiting_consent",
            Event::SubmitFailed { .. } => "submit_failed",
            Event::ConsentGiven { .. } => "consent_given",
            Event::ConsentDeclined { .. } => "consent_declined",
            Event::ReviewStarted { .. } => "review_started",
            Event::Approved { .. } => "approved",
            Event::Rejected { .. } => "rejected",
            Event::MoreInformationRequested { .. } => "more_information_requested",
            Event::Answer { .. } => "answer",
            Event::AnswerAccepted { .. } => "answer_accepted",
            Event::AnswerFailed { .. } => "answer_failed",
            Event::Withdraw => "withdraw",
            Event::WithdrawAccepted => "withdraw_accepted",
            Event::WithdrawFailed { .. } => "withdraw_failed",
        }
    }
}

/// A refused event: the unchanged state and why.
fn fail(state: State, error: FlowError) -> Step {
    Err(Box::new((state, error)))
}

fn notify(notice: Notice) -> Effect {
    Effect::Notify { notice }
}

/// A date as Vietnamese readers write it: `dd/mm/yyyy`.
fn vi_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org_type::{OrgField, RepresentativeForm};
    use proptest::prelude::*;

    const LEGAL_REP: &str = "079153000123";
    const CO_REP: &str = "001085012345";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 15).unwrap()
    }

    fn due() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 30).unwrap()
    }

    fn cid(s: &str) -> CitizenId {
        CitizenId::parse(s).unwrap()
    }

    /// Vinamilk, submitted by its legal representative, with a co-representative.
    fn form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Công ty Cổ phần Sữa Việt Nam".into(),
            abbreviated_name: "VINAMILK".into(),
            established_on: "2003-11-20".into(),
            head_office_address: "Số 10 Tân Trào, Phường Tân Mỹ".into(),
            head_office_province: "ho_chi_minh".into(),
            enterprise_code: "0300588569".into(),
            representatives: vec![
                RepresentativeForm {
                    full_name: "Mai Kiều Liên".into(),
                    citizen_id: LEGAL_REP.into(),
                },
                RepresentativeForm {
                    full_name: "Nguyễn Văn Bình".into(),
                    citizen_id: CO_REP.into(),
                },
            ],
            contact_phone: "0912345678".into(),
            ..OrganisationForm::default()
        }
    }

    fn details() -> OrganisationDetails {
        form().validate(OrgType::Enterprise, today()).unwrap()
    }

    fn filed() -> Filed {
        Filed {
            registration: RegistrationId::parse("reg_01").unwrap(),
            org_type: OrgType::Enterprise,
            details: details(),
        }
    }

    fn confirmed(purpose: ConfirmationPurpose) -> Event {
        Event::Confirmed {
            confirmation: Confirmation {
                purpose,
                method: ConfirmationMethod::Biometric,
            },
        }
    }

    fn failure(field_errors: Vec<FieldError>) -> ServerFailure {
        ServerFailure {
            code: "registry.not_found".into(),
            message_vi: "Không tìm thấy doanh nghiệp trong Cơ sở dữ liệu quốc gia.".into(),
            message_en: "The enterprise was not found in the national database.".into(),
            field_errors,
        }
    }

    /// One state of every kind, with consistent data.
    fn sample_states() -> Vec<State> {
        let requester = cid(LEGAL_REP);
        vec![
            State::NotStarted,
            State::ConfirmingIdentity {
                requester: requester.clone(),
            },
            State::ChoosingType {
                requester: requester.clone(),
                previous: None,
                form: form(),
            },
            State::EnteringDetails {
                requester: requester.clone(),
                org_type: OrgType::Enterprise,
                form: form(),
                errors: vec![],
            },
            State::Reviewing {
                requester: requester.clone(),
                org_type: OrgType::Enterprise,
                form: form(),
                details: details(),
            },
            State::ConfirmingSubmission {
                requester: requester.clone(),
                org_type: OrgType::Enterprise,
                form: form(),
                details: details(),
            },
            State::Submitting {
                requester,
                org_type: OrgType::Enterprise,
                form: form(),
                details: details(),
            },
            State::AwaitingConsent {
                filed: filed(),
                pending: vec![cid(CO_REP)],
            },
            State::Submitted {
                filed: filed(),
                due_on: due(),
            },
            State::MoreInformationRequested {
                filed: filed(),
                due_on: due(),
                question: "Đề nghị bổ sung địa chỉ chi nhánh.".into(),
            },
            State::SendingAnswer {
                filed: filed(),
                due_on: due(),
                question: "Đề nghị bổ sung địa chỉ chi nhánh.".into(),
                answer: "Không có chi nhánh.".into(),
            },
            State::Withdrawing {
                previous: Box::new(State::Submitted {
                    filed: filed(),
                    due_on: due(),
                }),
            },
            State::Approved {
                filed: filed(),
                org_eid: org_eid(),
            },
            State::Rejected {
                filed: filed(),
                reason: RejectionReason::Officer {
                    reason: "Thông tin không khớp.".into(),
                },
            },
            State::Withdrawn { filed: filed() },
            State::Cancelled,
        ]
    }

    fn org_eid() -> OrgEid {
        OrgEid::from_serial(1).unwrap()
    }

    /// One event of every kind (two for `Confirmed`, one per purpose), labelled.
    fn sample_events() -> Vec<(&'static str, Event)> {
        vec![
            (
                "start",
                Event::Start {
                    level: AccountLevel::Level2,
                    requester: cid(LEGAL_REP),
                },
            ),
            (
                "confirmed_start",
                confirmed(ConfirmationPurpose::StartRegistration),
            ),
            (
                "confirmed_submit",
                confirmed(ConfirmationPurpose::SubmitRegistration),
            ),
            ("confirmation_cancelled", Event::ConfirmationCancelled),
            (
                "choose_type",
                Event::ChooseType {
                    org_type: OrgType::Enterprise,
                },
            ),
            ("edit_form", Event::EditForm { form: form() }),
            (
                "submit_details",
                Event::SubmitDetails {
                    form: form(),
                    today: today(),
                },
            ),
            ("back", Event::Back),
            ("proceed", Event::Proceed),
            ("cancel", Event::Cancel),
            (
                "submit_accepted",
                Event::SubmitAccepted {
                    registration: RegistrationId::parse("reg_01").unwrap(),
                    due_on: due(),
                },
            ),
            (
                "submit_awaiting_consent",
                Event::SubmitAwaitingConsent {
                    registration: RegistrationId::parse("reg_01").unwrap(),
                    pending: vec![cid(CO_REP)],
                },
            ),
            (
                "submit_failed",
                Event::SubmitFailed {
                    failure: failure(vec![FieldError::required(OrgField::TaxCode, None)]),
                },
            ),
            (
                "consent_given",
                Event::ConsentGiven {
                    representative: cid(CO_REP),
                },
            ),
            (
                "consent_declined",
                Event::ConsentDeclined {
                    representative: cid(CO_REP),
                },
            ),
            ("review_started", Event::ReviewStarted { due_on: due() }),
            ("approved", Event::Approved { org_eid: org_eid() }),
            (
                "rejected",
                Event::Rejected {
                    reason: "Thông tin không khớp.".into(),
                },
            ),
            (
                "more_information_requested",
                Event::MoreInformationRequested {
                    question: "Đề nghị bổ sung.".into(),
                },
            ),
            (
                "answer",
                Event::Answer {
                    text: "Đã bổ sung.".into(),
                },
            ),
            ("answer_accepted", Event::AnswerAccepted { due_on: due() }),
            (
                "answer_failed",
                Event::AnswerFailed {
                    failure: failure(vec![]),
                },
            ),
            ("withdraw", Event::Withdraw),
            ("withdraw_accepted", Event::WithdrawAccepted),
            (
                "withdraw_failed",
                Event::WithdrawFailed {
                    failure: failure(vec![]),
                },
            ),
        ]
    }

    /// The expected outcome of each (state, event label): `Ok(next state)` or `Err(code)`.
    /// Every pair not listed is an invalid transition.
    const VALID: &[(&str, &str, Result<&str, &str>)] = &[
        ("not_started", "start", Ok("confirming_identity")),
        (
            "confirming_identity",
            "confirmed_start",
            Ok("choosing_type"),
        ),
        (
            "confirming_identity",
            "confirmed_submit",
            Err("registration.wrong_confirmation_purpose"),
        ),
        (
            "confirming_identity",
            "confirmation_cancelled",
            Ok("not_started"),
        ),
        ("confirming_identity", "cancel", Ok("cancelled")),
        ("choosing_type", "choose_type", Ok("entering_details")),
        ("choosing_type", "cancel", Ok("cancelled")),
        ("entering_details", "edit_form", Ok("entering_details")),
        ("entering_details", "submit_details", Ok("reviewing")),
        ("entering_details", "back", Ok("choosing_type")),
        ("entering_details", "cancel", Ok("cancelled")),
        ("reviewing", "proceed", Ok("confirming_submission")),
        ("reviewing", "back", Ok("entering_details")),
        ("reviewing", "cancel", Ok("cancelled")),
        (
            "confirming_submission",
            "confirmed_submit",
            Ok("submitting"),
        ),
        (
            "confirming_submission",
            "confirmed_start",
            Err("registration.wrong_confirmation_purpose"),
        ),
        (
            "confirming_submission",
            "confirmation_cancelled",
            Ok("reviewing"),
        ),
        ("confirming_submission", "cancel", Ok("cancelled")),
        ("submitting", "submit_accepted", Ok("submitted")),
        (
            "submitting",
            "submit_awaiting_consent",
            Ok("awaiting_consent"),
        ),
        ("submitting", "submit_failed", Ok("entering_details")),
        ("awaiting_consent", "consent_given", Ok("awaiting_consent")),
        ("awaiting_consent", "consent_declined", Ok("rejected")),
        ("awaiting_consent", "review_started", Ok("submitted")),
        ("awaiting_consent", "rejected", Ok("rejected")),
        ("awaiting_consent", "withdraw", Ok("withdrawing")),
        ("submitted", "approved", Ok("approved")),
        ("submitted", "rejected", Ok("rejected")),
        (
            "submitted",
            "more_information_requested",
            Ok("more_information_requested"),
        ),
        ("submitted", "withdraw", Ok("withdrawing")),
        ("more_information_requested", "answer", Ok("sending_answer")),
        ("more_information_requested", "rejected", Ok("rejected")),
        ("more_information_requested", "withdraw", Ok("withdrawing")),
        ("sending_answer", "answer_accepted", Ok("submitted")),
        (
            "sending_answer",
            "answer_failed",
            Ok("more_information_requested"),
        ),
        ("withdrawing", "withdraw_accepted", Ok("withdrawn")),
        ("withdrawing", "withdraw_failed", Ok("submitted")),
        ("withdrawing", "approved", Ok("approved")),
        ("withdrawing", "rejected", Ok("rejected")),
    ];

    #[test]
    fn every_state_and_event_pair_has_the_expected_outcome() {
        let states = sample_states();
        let events = sample_events();
        let mut seen = Vec::new();
        for state in &states {
            let mut refused = 0;
            for (label, event) in &events {
                let want = VALID
                    .iter()
                    .find(|(s, e, _)| *s == state.name() && e == label)
                    .map(|(_, _, r)| *r);
                let mut applied = state.clone();
                let got = applied.apply(event.clone());
                let handled = state.clone().handle(event.clone());
                match (want, got, handled) {
                    (Some(Ok(next)), Ok(effects), Ok((h_state, h_effects))) => {
                        assert_eq!(applied.name(), next, "{} + {label}", state.name());
                        assert_eq!(h_state, applied, "handle and apply agree");
                        assert_eq!(h_effects, effects);
                        seen.push((state.name(), *label));
                    }
                    (Some(Err(code)), Err(e), Err(h)) => {
                        assert_eq!(e.code(), code, "{} + {label}", state.name());
                        assert_eq!(h, e);
                        assert_eq!(
                            &applied, state,
                            "a refused event leaves the state as it was"
                        );
                        refused += 1;
                        seen.push((state.name(), *label));
                    }
                    (None, Err(e), Err(_)) => {
                        assert_eq!(
                            e,
                            FlowError::InvalidTransition {
                                state: state.name(),
                                event: event.name(),
                            },
                            "{} + {label}",
                            state.name()
                        );
                        assert_eq!(
                            &applied, state,
                            "a refused event leaves the state as it was"
                        );
                        refused += 1;
                    }
                    (want, got, _) => {
                        panic!("{} + {label}: wanted {want:?}, got {got:?}", state.name())
                    }
                }
            }
            assert!(refused > 0, "{} refuses at least one event", state.name());
        }
        // Every listed transition was exercised (no typo in the table).
        for (s, e, _) in VALID {
            assert!(seen.contains(&(*s, *e)), "{s} + {e} not exercised");
        }
        // Every kind of state and event is in the samples.
        assert_eq!(states.len(), 16);
        assert_eq!(events.len(), 25);
    }

    #[test]
    fn terminal_states_accept_no_event() {
        for state in sample_states().into_iter().filter(State::is_terminal) {
            for (_, event) in sample_events() {
                assert!(state.clone().handle(event).is_err(), "{}", state.name());
            }
        }
    }

    /// Drives a machine through events, failing the test on any refusal; returns all effects.
    fn drive(state: &mut State, events: Vec<Event>) -> Vec<Effect> {
        let mut all = Vec::new();
        for event in events {
            let name = event.name();
            match state.apply(event) {
                Ok(effects) => all.extend(effects),
                Err(e) => panic!("{} refused {name}: {e}", state.name()),
            }
        }
        all
    }

    #[test]
    fn the_happy_path_goes_from_start_to_an_approved_e_id() {
        let mut s = State::new();
        let mut effects = drive(
            &mut s,
            vec![Event::Start {
                level: AccountLevel::Level2,
                requester: cid(LEGAL_REP),
            }],
        );
        assert_eq!(
            effects,
            [Effect::RequestConfirmation {
                purpose: ConfirmationPurpose::StartRegistration
            }]
        );
        drive(
            &mut s,
            vec![
                confirmed(ConfirmationPurpose::StartRegistration),
                Event::ChooseType {
                    org_type: OrgType::Enterprise,
                },
                Event::SubmitDetails {
                    form: form(),
                    today: today(),
                },
            ],
        );
        assert!(matches!(&s, State::Reviewing { details: d, .. } if *d == details()));
        effects = drive(&mut s, vec![Event::Proceed]);
        assert_eq!(
            effects,
            [Effect::RequestConfirmation {
                purpose: ConfirmationPurpose::SubmitRegistration
            }]
        );
        effects = drive(
            &mut s,
            vec![Event::Confirmed {
                confirmation: Confirmation {
                    purpose: ConfirmationPurpose::SubmitRegistration,
                    method: ConfirmationMethod::Passcode,
                },
            }],
        );
        assert_eq!(
            effects,
            [Effect::Submit {
                org_type: OrgType::Enterprise,
                details: Box::new(details()),
                method: ConfirmationMethod::Passcode,
            }]
        );
        effects = drive(
            &mut s,
            vec![Event::SubmitAccepted {
                registration: RegistrationId::parse("reg_01").unwrap(),
                due_on: due(),
            }],
        );
        assert!(matches!(&s, State::Submitted { due_on, .. } if *due_on == due()));
        assert!(
            matches!(&effects[..], [Effect::Notify { notice }] if notice.message_vi.contains("30/07/2025"))
        );
        drive(&mut s, vec![Event::Approved { org_eid: org_eid() }]);
        assert!(matches!(&s, State::Approved { org_eid: e, .. } if *e == org_eid()));
        assert_eq!(s.filed().unwrap().registration.as_str(), "reg_01");
        assert!(s.is_terminal());
    }

    #[test]
    fn a_level_1_account_cannot_start_and_the_state_stays_not_started() {
        let mut s = State::NotStarted;
        let e = s
            .apply(Event::Start {
                level: AccountLevel::Level1,
                requester: cid(LEGAL_REP),
            })
            .unwrap_err();
        assert_eq!(e, FlowError::Level2Required);
        assert_eq!(e.code(), "registration.level2_required");
        assert!(e.message_vi().contains("mức độ 2"));
        assert_eq!(s, State::NotStarted);
    }

    #[test]
    fn going_back_keeps_everything_typed_even_across_a_change_of_type() {
        let mut s = sample_states()[3].clone(); // entering details
        let mut typed = form();
        typed.foreign_name = "Vietnam Dairy Products JSC".into();
        drive(
            &mut s,
            vec![Event::EditForm {
                form: typed.clone(),
            }],
        );
        drive(&mut s, vec![Event::Back]);
        assert!(
            matches!(&s, State::ChoosingType { form, previous: Some(OrgType::Enterprise), .. } if *form == typed)
        );
        drive(
            &mut s,
            vec![Event::ChooseType {
                org_type: OrgType::OrganisationWithoutRegistration,
            }],
        );
        assert!(matches!(&s, State::EnteringDetails { form, .. } if *form == typed));
        // The enterprise code typed earlier now says which type the organisation belongs to.
        drive(
            &mut s,
            vec![Event::SubmitDetails {
                form: typed.clone(),
                today: today(),
            }],
        );
        let State::EnteringDetails { errors, .. } = &s else {
            panic!("{}", s.name())
        };
        assert!(
            errors
                .iter()
                .any(|e| e.code == "enterprise_code.belongs_to_other_type")
        );

        // And back from the review returns to the form as typed.
        let mut s = sample_states()[4].clone();
        drive(&mut s, vec![Event::Back]);
        assert!(
            matches!(&s, State::EnteringDetails { form: f, errors, .. } if *f == form() && errors.is_empty())
        );
    }

    #[test]
    fn invalid_details_stay_on_the_form_with_every_error_shown() {
        let mut s = sample_states()[3].clone();
        let mut bad = form();
        bad.name_vi.clear();
        bad.contact_phone = "123".into();
        let effects = drive(
            &mut s,
            vec![Event::SubmitDetails {
                form: bad.clone(),
                today: today(),
            }],
        );
        let State::EnteringDetails {
            form: f, errors, ..
        } = &s
        else {
            panic!("{}", s.name())
        };
        assert_eq!(*f, bad);
        assert_eq!(errors.len(), 2);
        assert_eq!(
            effects,
            [Effect::ShowFieldErrors {
                errors: errors.clone()
            }]
        );

        // Fixing one field clears its error only.
        let mut fixed = bad.clone();
        fixed.name_vi = "Công ty Cổ phần Sữa Việt Nam".into();
        drive(&mut s, vec![Event::EditForm { form: fixed }]);
        let State::EnteringDetails { errors, .. } = &s else {
            panic!("{}", s.name())
        };
        let fields: Vec<OrgField> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, [OrgField::ContactPhone]);
    }

    #[test]
    fn an_authorised_person_is_asked_for_the_authorisation_letter() {
        let assistant = cid("079190001234");
        let mut s = State::EnteringDetails {
            requester: assistant,
            org_type: OrgType::Enterprise,
            form: form(),
            errors: vec![],
        };
        drive(
            &mut s,
            vec![Event::SubmitDetails {
                form: form(),
                today: today(),
            }],
        );
        let State::EnteringDetails { errors, .. } = &s else {
            panic!("{}", s.name())
        };
        assert_eq!(errors[0].code, "authorisation_letter.required");
    }

    #[test]
    fn server_field_errors_return_to_the_form_with_data_intact_and_errors_attached() {
        let mut s = sample_states()[6].clone(); // submitting
        let server_error = FieldError::new(
            OrgField::EnterpriseCode,
            None,
            "not_in_registry",
            "Mã số doanh nghiệp không có trong Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp.",
            "The enterprise code is not in the national business registration database.",
        );
        let effects = drive(
            &mut s,
            vec![Event::SubmitFailed {
                failure: failure(vec![server_error.clone()]),
            }],
        );
        assert!(
            matches!(&s, State::EnteringDetails { form: f, errors, .. } if *f == form() && *errors == [server_error.clone()])
        );
        assert!(effects.contains(&Effect::ShowFieldErrors {
            errors: vec![server_error]
        }));
        assert!(effects.iter().any(
            |e| matches!(e, Effect::Notify { notice } if notice.code == "registry.not_found")
        ));
    }

    #[test]
    fn a_server_failure_without_field_errors_returns_to_the_review_to_retry() {
        let mut s = sample_states()[6].clone();
        drive(
            &mut s,
            vec![Event::SubmitFailed {
                failure: failure(vec![]),
            }],
        );
        assert!(matches!(&s, State::Reviewing { details: d, .. } if *d == details()));
        drive(&mut s, vec![Event::Proceed]);
        assert_eq!(s.name(), "confirming_submission");
    }

    #[test]
    fn dismissing_the_submission_prompt_returns_to_the_review() {
        let mut s = sample_states()[5].clone();
        drive(&mut s, vec![Event::ConfirmationCancelled]);
        assert_eq!(s, sample_states()[4]);
    }

    #[test]
    fn the_request_waits_for_every_co_representative_before_review() {
        let third = cid("001070012345");
        let mut s = State::Submitting {
            requester: cid(LEGAL_REP),
            org_type: OrgType::Enterprise,
            form: form(),
            details: details(),
        };
        drive(
            &mut s,
            vec![Event::SubmitAwaitingConsent {
                registration: RegistrationId::parse("reg_01").unwrap(),
                pending: vec![cid(CO_REP), third.clone()],
            }],
        );
        // No approval while consent is missing.
        let e = s.apply(Event::Approved { org_eid: org_eid() }).unwrap_err();
        assert_eq!(e.code(), "registration.invalid_transition");
        drive(
            &mut s,
            vec![Event::ConsentGiven {
                representative: cid(CO_REP),
            }],
        );
        // The same consent twice is refused.
        let e = s
            .apply(Event::ConsentGiven {
                representative: cid(CO_REP),
            })
            .unwrap_err();
        assert_eq!(e, FlowError::ConsentNotAwaited);
        assert!(
            matches!(&s, State::AwaitingConsent { pending, .. } if *pending == [third.clone()])
        );
        drive(
            &mut s,
            vec![
                Event::ConsentGiven {
                    representative: third,
                },
                Event::ReviewStarted { due_on: due() },
            ],
        );
        assert!(matches!(&s, State::Submitted { due_on, .. } if *due_on == due()));
    }

    #[test]
    fn a_co_representative_who_declines_stops_the_request() {
        let mut s = sample_states()[7].clone();
        let stranger = cid("001070012345");
        let e = s
            .apply(Event::ConsentDeclined {
                representative: stranger,
            })
            .unwrap_err();
        assert_eq!(e, FlowError::ConsentNotAwaited);
        drive(
            &mut s,
            vec![Event::ConsentDeclined {
                representative: cid(CO_REP),
            }],
        );
        assert!(matches!(
            &s,
            State::Rejected { reason: RejectionReason::ConsentDeclined { representative }, .. }
                if *representative == cid(CO_REP)
        ));
    }

    #[test]
    fn an_officer_question_is_answered_and_the_review_resumes() {
        let mut s = sample_states()[8].clone(); // submitted
        drive(
            &mut s,
            vec![Event::MoreInformationRequested {
                question: "Đề nghị bổ sung quyết định bổ nhiệm.".into(),
            }],
        );
        for bad in ["   ", "a\u{0}b"] {
            let e = s.apply(Event::Answer { text: bad.into() }).unwrap_err();
            assert!(matches!(e, FlowError::InvalidAnswer(_)), "{bad:?}");
            assert_eq!(s.name(), "more_information_requested");
        }
        let e = s
            .apply(Event::Answer {
                text: "x".repeat(MAX_ANSWER_CHARS + 1),
            })
            .unwrap_err();
        assert_eq!(e.code(), "registration.answer.too_long");

        let effects = drive(
            &mut s,
            vec![Event::Answer {
                text: "  Đã tải lên quyết định.\r\nXin cảm ơn.  ".into(),
            }],
        );
        assert_eq!(
            effects,
            [Effect::SendAnswer {
                registration: RegistrationId::parse("reg_01").unwrap(),
                text: "Đã tải lên quyết định.\nXin cảm ơn.".into(),
            }]
        );
        // A failed send returns to the question; a retry then succeeds.
        drive(
            &mut s,
            vec![Event::AnswerFailed {
                failure: failure(vec![]),
            }],
        );
        assert!(
            matches!(&s, State::MoreInformationRequested { question, .. } if question.contains("bổ nhiệm"))
        );
        let later = NaiveDate::from_ymd_opt(2025, 8, 5).unwrap();
        drive(
            &mut s,
            vec![
                Event::Answer {
                    text: "Đã tải lên.".into(),
                },
                Event::AnswerAccepted { due_on: later },
            ],
        );
        assert!(matches!(&s, State::Submitted { due_on, .. } if *due_on == later));
    }

    #[test]
    fn a_failed_withdrawal_returns_to_where_it_was_asked() {
        for start in [7, 8, 9] {
            let before = sample_states()[start].clone();
            let mut s = before.clone();
            let effects = drive(&mut s, vec![Event::Withdraw]);
            assert_eq!(
                effects,
                [Effect::Withdraw {
                    registration: RegistrationId::parse("reg_01").unwrap()
                }]
            );
            assert_eq!(s.filed(), before.filed());
            drive(
                &mut s,
                vec![Event::WithdrawFailed {
                    failure: failure(vec![]),
                }],
            );
            assert_eq!(s, before);
        }
    }

    #[test]
    fn a_decision_that_crosses_a_withdrawal_stands_but_approval_still_needs_consent() {
        let mut s = sample_states()[8].clone();
        drive(
            &mut s,
            vec![Event::Withdraw, Event::Approved { org_eid: org_eid() }],
        );
        assert_eq!(s.name(), "approved");

        let mut s = sample_states()[7].clone(); // awaiting consent
        drive(&mut s, vec![Event::Withdraw]);
        let e = s.apply(Event::Approved { org_eid: org_eid() }).unwrap_err();
        assert_eq!(
            e,
            FlowError::InvalidTransition {
                state: "withdrawing",
                event: "approved"
            }
        );
        assert_eq!(s.name(), "withdrawing");
        drive(&mut s, vec![Event::WithdrawAccepted]);
        assert_eq!(s.name(), "withdrawn");
    }

    #[test]
    fn flow_errors_have_codes_and_both_languages_and_carry_no_data() {
        let errors = [
            FlowError::InvalidTransition {
                state: "submitted",
                event: "proceed",
            },
            FlowError::Level2Required,
            FlowError::WrongConfirmationPurpose {
                expected: ConfirmationPurpose::SubmitRegistration,
                got: ConfirmationPurpose::StartRegistration,
            },
            FlowError::ConsentNotAwaited,
            FlowError::InvalidAnswer(TextProblem::Empty),
        ];
        let mut codes: Vec<String> = errors.iter().map(FlowError::code).collect();
        for e in &errors {
            assert!(e.code().starts_with("registration."));
            assert!(!e.message_vi().is_empty() && !e.message_en().is_empty());
        }
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert_eq!(
            errors[0].to_string(),
            "event `proceed` is not valid in state `submitted`"
        );
    }

    #[test]
    fn a_state_survives_a_json_round_trip_so_a_draft_can_be_kept() {
        for state in sample_states() {
            let json = serde_json::to_string(&state).unwrap();
            let back: State = serde_json::from_str(&json).unwrap();
            assert_eq!(back, state);
        }
        let json = serde_json::to_value(State::NotStarted).unwrap();
        assert_eq!(json["state"], "not_started");
        for (_, event) in sample_events() {
            let back: Event =
                serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn the_debug_form_of_a_state_does_not_leak_identification_numbers() {
        let dbg = format!("{:?}", sample_states()[4]);
        assert!(!dbg.contains(LEGAL_REP), "{dbg}");
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        let pool = sample_events();
        let extra = vec![
            Event::Start {
                level: AccountLevel::Level1,
                requester: cid(LEGAL_REP),
            },
            Event::SubmitFailed {
                failure: failure(vec![]),
            },
            Event::SubmitDetails {
                form: OrganisationForm::default(),
                today: today(),
            },
            Event::ConsentGiven {
                representative: cid(LEGAL_REP),
            },
        ];
        let fixed: Vec<Event> = pool.into_iter().map(|(_, e)| e).chain(extra).collect();
        prop_oneof![
            4 => proptest::sample::select(fixed),
            1 => any::<String>().prop_map(|text| Event::Answer { text }),
            1 => (any::<String>(), any::<String>()).prop_map(|(name, phone)| {
                let mut f = form();
                f.name_vi = name;
                f.contact_phone = phone;
                Event::SubmitDetails { form: f, today: today() }
            }),
        ]
    }

    proptest! {
        #[test]
        fn no_sequence_of_events_panics_and_a_refusal_changes_nothing(
            events in proptest::collection::vec(arb_event(), 0..60)
        ) {
            let mut s = State::new();
            for event in events {
                let before = s.clone();
                let was_terminal = s.is_terminal();
                match s.apply(event) {
                    Ok(_) => prop_assert!(!was_terminal, "a terminal state moved"),
                    Err(_) => prop_assert_eq!(&s, &before),
                }
            }
        }
    }
}
