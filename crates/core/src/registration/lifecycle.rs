//! A registration request's life once it is filed, as a pure state machine (Decree
//! 69/2024/NĐ-CP, Arts. 12–13).
//!
//! The status is the wire enum [`RegistrationStatus`], the same word the server stores. A new
//! request starts with [`file`]; after that, [`handle`] takes the current status and an
//! [`Event`] (what happened: a co-representative answered, the registry answered, an officer
//! decided, the requester answered or withdrew) and returns a [`Transition`] — the status to
//! write and the [`Effect`]s the I/O layer must carry out — or a typed [`TransitionRefused`]
//! when the event does not apply to that status.
//!
//! ```text
//! file ─┬─ another representative has an account ──> AwaitingConsent
//!       └─ otherwise ──────────────────────────────> Checking
//! AwaitingConsent      -CoRepresentativeConsented (others awaited)-> AwaitingConsent
//!                      -CoRepresentativeConsented (the last one)---> Checking
//!                      -CoRepresentativeRefused--------------------> Withdrawn
//! Checking             -RegistryChecked (the registry settles it)--> Approved
//!                      -RegistryChecked (anything else)------------> AwaitingOfficer
//! AwaitingOfficer      -OfficerApproved-> Approved   -OfficerRejected-> Rejected
//!                      -OfficerAskedForInformation-> InformationRequested
//! InformationRequested -RequesterAnswered-> AwaitingOfficer
//!                      -OfficerApproved-> Approved   -OfficerRejected-> Rejected
//! every open status    -RequesterWithdrew-> Withdrawn
//! Approved, Rejected, Withdrawn: final; every event is refused.
//! ```
//!
//! Sans-IO (STYLE.md, practice 1): nothing here reads the database, the registry or a clock.
//! Events carry only what the decision needs (no texts, no identifiers): the I/O layer that fed
//! the event already holds the officer's reason, the answer, the request's id, and uses them to
//! carry out the effects. It must write the new status only where the request still has the
//! status it read (`UPDATE … WHERE status = <from>`), so that of two concurrent changes the
//! second finds nothing to update and is refused.
//!
//! What the machine does not decide: who may send an event (the requester, a co-representative,
//! an officer of the province: authorization), whether texts are well formed, whether the
//! organisation already has an account or an open request (uniqueness in the store), and the
//! calendar behind a [`Deadline`].

use crate::api::{
    ErrorCode, NotificationKind, OfficerReviewReason, RegistrationStatus, RegistryCheck,
    RequesterCapacity,
};
use crate::org_type::{OrgField, OrgType};

/// What filing a new request needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filing {
    /// The organisation type: types 1–3 have a registry that can settle the request, type 4
    /// has none.
    pub org_type: OrgType,
    /// Whether another legal representative whose consent is needed has an e-ID account, and
    /// so can be asked in the app (Decree 69/2024, Art. 12).
    pub co_representative_with_account: bool,
}

/// Where a new request starts, and what the I/O layer does as it stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filed {
    /// The status to store the request with.
    pub status: RegistrationStatus,
    /// What to do, in order.
    pub effects: Vec<Effect>,
}

/// Something that happened to a filed request, with only the facts the decision needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A co-representative consented (Decree 69/2024, Art. 12).
    CoRepresentativeConsented {
        /// Whether another co-representative with an account has still not answered. The
        /// request moves on only with the last consent.
        others_awaited: bool,
    },
    /// A co-representative refused: the request is withdrawn.
    CoRepresentativeRefused,
    /// The registry answered (or the type has none): settles the request or sends it to an
    /// officer.
    RegistryChecked(CheckOutcome),
    /// An officer approved the request.
    OfficerApproved,
    /// An officer rejected the request, with a reason.
    OfficerRejected,
    /// An officer asked the requester for more information.
    OfficerAskedForInformation,
    /// The requester answered the officer's question.
    RequesterAnswered {
        /// Whether the answer corrects the organisation's details.
        corrected_details: bool,
    },
    /// The requester withdrew the request.
    RequesterWithdrew,
}

impl Event {
    /// The event's stable name, for logs and [`TransitionRefused`].
    pub fn name(&self) -> &'static str {
        match self {
            Event::CoRepresentativeConsented { .. } => "co_representative_consented",
            Event::CoRepresentativeRefused => "co_representative_refused",
            Event::RegistryChecked(_) => "registry_checked",
            Event::OfficerApproved => "officer_approved",
            Event::OfficerRejected => "officer_rejected",
            Event::OfficerAskedForInformation => "officer_asked_for_information",
            Event::RequesterAnswered { .. } => "requester_answered",
            Event::RequesterWithdrew => "requester_withdrew",
        }
    }
}

/// What the registry check found, and the facts about the request it is weighed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// What the registry said.
    pub registry: RegistryAnswer,
    /// In what capacity the requester asked.
    pub capacity: RequesterCapacity,
    /// Whether a co-representative has no e-ID account, so could not consent in the app.
    pub co_representative_without_account: bool,
}

impl CheckOutcome {
    /// Why the request needs an officer, or `None` when the registry settles it and it is
    /// approved at once: found, active, matching, asked in person by a representative the
    /// registry records, every co-representative having consented in the app. The first
    /// reason that applies is given, in this order.
    pub fn officer_review_reason(&self) -> Option<OfficerReviewReason> {
        let found = match self.registry {
            RegistryAnswer::NoRegistry => return Some(OfficerReviewReason::NoRegistry),
            RegistryAnswer::NotFound => return Some(OfficerReviewReason::NotInRegistry),
            RegistryAnswer::Found(found) => found,
        };
        if !found.active || found.organisation_mismatch {
            Some(OfficerReviewReason::RegistryMismatch)
        } else if found.representative_mismatch {
            Some(OfficerReviewReason::RepresentativeMismatch)
        } else if self.capacity == RequesterCapacity::Authorised {
            // Decree 69/2024, Art. 12: an officer checks the authorisation letter.
            Some(OfficerReviewReason::AuthorisedRequester)
        } else if !found.requester_is_recorded_representative {
            Some(OfficerReviewReason::RepresentativeMismatch)
        } else if self.co_representative_without_account {
            // The officer obtains that representative's consent in person.
            Some(OfficerReviewReason::CoRepresentativeWithoutAccount)
        } else {
            None
        }
    }
}

/// What the registry said about the organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryAnswer {
    /// There is nothing to check against: type 4, or no registry code to look up.
    NoRegistry,
    /// The registry does not know the organisation.
    NotFound,
    /// The registry knows the organisation.
    Found(Findings),
}

impl RegistryAnswer {
    /// Whether everything matched, for the request's history; `None` when there was no
    /// registry to ask.
    pub fn matched(&self) -> Option<bool> {
        match self {
            RegistryAnswer::NoRegistry => None,
            RegistryAnswer::NotFound => Some(false),
            RegistryAnswer::Found(f) => {
                Some(f.active && !f.organisation_mismatch && !f.representative_mismatch)
            }
        }
    }
}

/// Reads the wire form of a registry check into what the decision weighs: differences in the
/// representatives (who they are, their names) count apart from differences in the
/// organisation's own data.
impl From<&RegistryCheck> for RegistryAnswer {
    fn from(check: &RegistryCheck) -> Self {
        if !check.found {
            return RegistryAnswer::NotFound;
        }
        let about_people =
            |f: OrgField| matches!(f, OrgField::Representatives | OrgField::RepresentativeName);
        RegistryAnswer::Found(Findings {
            active: check.active,
            organisation_mismatch: check.mismatches.iter().any(|m| !about_people(m.field)),
            representative_mismatch: check.mismatches.iter().any(|m| about_people(m.field)),
            requester_is_recorded_representative: check.requester_is_recorded_representative,
        })
    }
}

/// What a registry that knows the organisation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Findings {
    /// Active there (not dissolved or suspended).
    pub active: bool,
    /// The organisation's own data (name, date, address, …) differs from what was entered.
    pub organisation_mismatch: bool,
    /// The representatives differ from those entered.
    pub representative_mismatch: bool,
    /// The requester is a legal representative the registry records.
    pub requester_is_recorded_representative: bool,
}

/// The legal due date a request is under, counted from its submission (Decree 69/2024,
/// Art. 13). The calendar (working days, holidays) is the I/O layer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// 3 working days: the registry settles the request.
    RegistrySettles,
    /// 15 days: an officer verifies the request.
    OfficerVerifies,
}

/// What the I/O layer must do after a status change, in the order given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Store the due date that applies from now on.
    SetDeadline(Deadline),
    /// Ask every co-representative with an account for their consent (inbox, SMS, e-mail),
    /// then feed back their answers as [`Event::CoRepresentativeConsented`] or
    /// [`Event::CoRepresentativeRefused`].
    AskCoRepresentativesForConsent,
    /// Look the organisation up in its registry, keep what it said on the request (officers
    /// see it), and feed back [`Event::RegistryChecked`].
    CheckRegistry,
    /// Keep why the request waits for an officer: the officer's queue shows it.
    SendToOfficer(OfficerReviewReason),
    /// Create the organisation's e-ID account and keep its number on the request.
    CreateOrganisation,
    /// Ask the registry again about the corrected details and keep what it said, so the
    /// officer can compare; nothing waits for it.
    RecheckCorrectedDetails,
    /// Tell the requester (inbox, SMS, e-mail).
    NotifyRequester(RequesterNotice),
}

/// What the requester is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequesterNotice {
    /// The request is approved; the message gives the organisation's e-ID number.
    Approved,
    /// An officer rejected the request; the message gives the reason.
    Rejected,
    /// An officer asks for more information; the message gives the question.
    InformationRequested,
    /// A co-representative refused, so the request is withdrawn.
    ConsentRefused,
}

impl RequesterNotice {
    /// The inbox kind the notice is filed under.
    pub fn kind(self) -> NotificationKind {
        match self {
            RequesterNotice::Approved => NotificationKind::RegistrationApproved,
            RequesterNotice::Rejected | RequesterNotice::ConsentRefused => {
                NotificationKind::RegistrationRejected
            }
            RequesterNotice::InformationRequested => NotificationKind::InformationRequested,
        }
    }
}

/// A status change [`handle`] allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The status the request had: the store writes `to` only where it still has this one.
    pub from: RegistrationStatus,
    /// The new status (the same as `from` when only a consent was counted).
    pub to: RegistrationStatus,
    /// What to do, in order.
    pub effects: Vec<Effect>,
}

impl Transition {
    /// Whether the status changes.
    pub fn changes_status(&self) -> bool {
        self.from != self.to
    }
}

/// Why [`handle`] refused an event. Nothing changes. Carries names only, so it can be logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionRefused {
    /// The request is approved, rejected or withdrawn: nothing more happens to it.
    #[error("the request is already {}; `{event}` changes nothing", .status.code())]
    AlreadyDecided {
        /// The request's final status.
        status: RegistrationStatus,
        /// The refused event's name.
        event: &'static str,
    },
    /// The event does not apply to a request with this status (e.g. an officer's approval
    /// while co-representatives have not all consented).
    #[error("`{event}` does not apply to a request that is {}", .status.code())]
    WrongStatus {
        /// The request's status.
        status: RegistrationStatus,
        /// The refused event's name.
        event: &'static str,
    },
}

impl TransitionRefused {
    /// Stable machine code, e.g. `registration.wrong_status`.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionRefused::AlreadyDecided { .. } => "registration.already_decided",
            TransitionRefused::WrongStatus { .. } => "registration.wrong_status",
        }
    }

    /// The API error to answer with: `invalid_state` (409), as for a request another change
    /// got to first.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::InvalidState
    }

    /// The status the event was refused in.
    pub fn status(&self) -> RegistrationStatus {
        match self {
            TransitionRefused::AlreadyDecided { status, .. }
            | TransitionRefused::WrongStatus { status, .. } => *status,
        }
    }

    /// The refused event's name ([`Event::name`]).
    pub fn event_name(&self) -> &'static str {
        match self {
            TransitionRefused::AlreadyDecided { event, .. }
            | TransitionRefused::WrongStatus { event, .. } => event,
        }
    }
}

/// The deadline that applies to an open request of `org_type` with `status` — the last
/// [`Effect::SetDeadline`] its filing and transitions gave, read back from what is stored (so
/// due dates can be counted again when the calendar changes). `None` once decided: a decided
/// request keeps the due date it had.
pub fn deadline(org_type: OrgType, status: RegistrationStatus) -> Option<Deadline> {
    use RegistrationStatus as S;
    match status {
        S::Approved | S::Rejected | S::Withdrawn => None,
        // Sent to an officer by the registry check: the officer verifies it.
        S::AwaitingOfficer | S::InformationRequested => Some(Deadline::OfficerVerifies),
        // Still as filed.
        S::AwaitingConsent | S::Checking => Some(match org_type.verifying_registry() {
            Some(_) => Deadline::RegistrySettles,
            None => Deadline::OfficerVerifies,
        }),
    }
}

/// Files a new request: waits for the co-representatives who can consent in the app, else
/// goes straight to the registry check (Decree 69/2024, Arts. 12–13).
pub fn file(filing: Filing) -> Filed {
    // Art. 13: 3 working days when a registry can settle the request, 15 days when an officer
    // must verify it; a type without a registry always needs an officer.
    let deadline = match filing.org_type.verifying_registry() {
        Some(_) => Deadline::RegistrySettles,
        None => Deadline::OfficerVerifies,
    };
    if filing.co_representative_with_account {
        Filed {
            status: RegistrationStatus::AwaitingConsent,
            effects: vec![
                Effect::SetDeadline(deadline),
                Effect::AskCoRepresentativesForConsent,
            ],
        }
    } else {
        Filed {
            status: RegistrationStatus::Checking,
            effects: vec![Effect::SetDeadline(deadline), Effect::CheckRegistry],
        }
    }
}

/// Handles one event on a request with `status`: the new status and what to do, or why the
/// event does not apply. Pure and total: the same inputs give the same answer, and no input
/// panics.
pub fn handle(status: RegistrationStatus, event: Event) -> Result<Transition, TransitionRefused> {
    use Effect as E;
    use RegistrationStatus as S;
    if status.is_final() {
        return Err(TransitionRefused::AlreadyDecided {
            status,
            event: event.name(),
        });
    }
    let (to, effects) = match (status, event) {
        // Decree 69/2024, Art. 12: the request proceeds only once every other legal
        // representative who can answer in the app has consented; one refusal withdraws it.
        (
            S::AwaitingConsent,
            Event::CoRepresentativeConsented {
                others_awaited: true,
            },
        ) => (S::AwaitingConsent, vec![]),
        (
            S::AwaitingConsent,
            Event::CoRepresentativeConsented {
                others_awaited: false,
            },
        ) => (S::Checking, vec![E::CheckRegistry]),
        (S::AwaitingConsent, Event::CoRepresentativeRefused) => (
            S::Withdrawn,
            vec![E::NotifyRequester(RequesterNotice::ConsentRefused)],
        ),

        (S::Checking, Event::RegistryChecked(outcome)) => match outcome.officer_review_reason() {
            None => (
                S::Approved,
                vec![
                    E::SetDeadline(Deadline::RegistrySettles),
                    E::CreateOrganisation,
                    E::NotifyRequester(RequesterNotice::Approved),
                ],
            ),
            Some(reason) => (
                S::AwaitingOfficer,
                vec![
                    E::SetDeadline(Deadline::OfficerVerifies),
                    E::SendToOfficer(reason),
                ],
            ),
        },

        // An officer decides only once the request waits for them: never before every consent
        // is in and the registry was asked.
        (S::AwaitingOfficer | S::InformationRequested, Event::OfficerApproved) => (
            S::Approved,
            vec![
                E::CreateOrganisation,
                E::NotifyRequester(RequesterNotice::Approved),
            ],
        ),
        (S::AwaitingOfficer | S::InformationRequested, Event::OfficerRejected) => (
            S::Rejected,
            vec![E::NotifyRequester(RequesterNotice::Rejected)],
        ),
        // One question at a time: the next waits for the answer.
        (S::AwaitingOfficer, Event::OfficerAskedForInformation) => (
            S::InformationRequested,
            vec![E::NotifyRequester(RequesterNotice::InformationRequested)],
        ),
        (S::InformationRequested, Event::RequesterAnswered { corrected_details }) => {
            let effects = if corrected_details {
                vec![E::RecheckCorrectedDetails]
            } else {
                vec![]
            };
            (S::AwaitingOfficer, effects)
        }

        (
            S::AwaitingConsent | S::Checking | S::AwaitingOfficer | S::InformationRequested,
            Event::RequesterWithdrew,
        ) => (S::Withdrawn, vec![]),

        (status, event) => {
            return Err(TransitionRefused::WrongStatus {
                status,
                event: event.name(),
            });
        }
    };
    Ok(Transition {
        from: status,
        to,
        effects,
    })
}

#[cfg(test)]
mod tests;
