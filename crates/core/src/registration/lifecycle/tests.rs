// Long on purpose, one kind of thing: the lifecycle tests, led by the written-out transition table.
use super::*;
use crate::api::FieldMismatch;
use crate::org_type::RegistryKind;
use proptest::prelude::*;

use Effect as E;
use RegistrationStatus as S;
use RequesterNotice as N;

// ---- Events as the table names them ------------------------------------------------------

const ALL_MATCH: Findings = Findings {
    active: true,
    organisation_mismatch: false,
    representative_mismatch: false,
    requester_is_recorded_representative: true,
};
/// A representative the registry records asks in person, everything matches, nobody is
/// without an account: approved at once.
const SETTLES: CheckOutcome = CheckOutcome {
    registry: RegistryAnswer::Found(ALL_MATCH),
    capacity: RequesterCapacity::LegalRepresentative,
    co_representative_without_account: false,
};
/// The same, asked by an authorised person: an officer checks the letter.
const NEEDS_OFFICER: CheckOutcome = CheckOutcome {
    capacity: RequesterCapacity::Authorised,
    ..SETTLES
};

const CONSENTED_OTHERS_AWAITED: Event = Event::CoRepresentativeConsented {
    others_awaited: true,
};
const CONSENTED_LAST: Event = Event::CoRepresentativeConsented {
    others_awaited: false,
};
const REFUSED: Event = Event::CoRepresentativeRefused;
const CHECKED_SETTLES: Event = Event::RegistryChecked(SETTLES);
const CHECKED_NEEDS_OFFICER: Event = Event::RegistryChecked(NEEDS_OFFICER);
const APPROVED: Event = Event::OfficerApproved;
const REJECTED: Event = Event::OfficerRejected;
const ASKED: Event = Event::OfficerAskedForInformation;
const ANSWERED: Event = Event::RequesterAnswered {
    corrected_details: false,
};
const ANSWERED_WITH_CORRECTIONS: Event = Event::RequesterAnswered {
    corrected_details: true,
};
const WITHDREW: Event = Event::RequesterWithdrew;

/// The expected outcome: the new status and effects, or the refusal's code.
type Expected = Result<(RegistrationStatus, Vec<Effect>), &'static str>;

fn to(status: RegistrationStatus, effects: &[Effect]) -> Expected {
    Ok((status, effects.to_vec()))
}

fn wrong() -> Expected {
    Err("registration.wrong_status")
}

fn decided() -> Expected {
    Err("registration.already_decided")
}

/// Every status against every event. A change to the machine changes a line here.
#[rustfmt::skip]
fn table() -> Vec<(RegistrationStatus, Event, Expected)> {
    let approve = [
        E::CreateOrganisation,
        E::NotifyRequester(N::Approved),
    ];
    vec![
        (S::AwaitingConsent, CONSENTED_OTHERS_AWAITED, to(S::AwaitingConsent, &[])),
        (S::AwaitingConsent, CONSENTED_LAST, to(S::Checking, &[E::CheckRegistry])),
        (S::AwaitingConsent, REFUSED, to(S::Withdrawn, &[E::NotifyRequester(N::ConsentRefused)])),
        (S::AwaitingConsent, CHECKED_SETTLES, wrong()),
        (S::AwaitingConsent, CHECKED_NEEDS_OFFICER, wrong()),
        (S::AwaitingConsent, APPROVED, wrong()),
        (S::AwaitingConsent, REJECTED, wrong()),
        (S::AwaitingConsent, ASKED, wrong()),
        (S::AwaitingConsent, ANSWERED, wrong()),
        (S::AwaitingConsent, ANSWERED_WITH_CORRECTIONS, wrong()),
        (S::AwaitingConsent, WITHDREW, to(S::Withdrawn, &[])),

        (S::Checking, CONSENTED_OTHERS_AWAITED, wrong()),
        (S::Checking, CONSENTED_LAST, wrong()),
        (S::Checking, REFUSED, wrong()),
        (S::Checking, CHECKED_SETTLES, to(S::Approved, &[
            E::SetDeadline(Deadline::RegistrySettles),
            E::CreateOrganisation,
            E::NotifyRequester(N::Approved),
        ])),
        (S::Checking, CHECKED_NEEDS_OFFICER, to(S::AwaitingOfficer, &[
            E::SetDeadline(Deadline::OfficerVerifies),
            E::SendToOfficer(OfficerReviewReason::AuthorisedRequester),
        ])),
        (S::Checking, APPROVED, wrong()),
        (S::Checking, REJECTED, wrong()),
        (S::Checking, ASKED, wrong()),
        (S::Checking, ANSWERED, wrong()),
        (S::Checking, ANSWERED_WITH_CORRECTIONS, wrong()),
        (S::Checking, WITHDREW, to(S::Withdrawn, &[])),

        (S::AwaitingOfficer, CONSENTED_OTHERS_AWAITED, wrong()),
        (S::AwaitingOfficer, CONSENTED_LAST, wrong()),
        (S::AwaitingOfficer, REFUSED, wrong()),
        (S::AwaitingOfficer, CHECKED_SETTLES, wrong()),
        (S::AwaitingOfficer, CHECKED_NEEDS_OFFICER, wrong()),
        (S::AwaitingOfficer, APPROVED, to(S::Approved, &approve)),
        (S::AwaitingOfficer, REJECTED, to(S::Rejected, &[E::NotifyRequester(N::Rejected)])),
        (S::AwaitingOfficer, ASKED, to(S::InformationRequested, &[
            E::NotifyRequester(N::InformationRequested),
        ])),
        (S::AwaitingOfficer, ANSWERED, wrong()),
        (S::AwaitingOfficer, ANSWERED_WITH_CORRECTIONS, wrong()),
        (S::AwaitingOfficer, WITHDREW, to(S::Withdrawn, &[])),

        (S::InformationRequested, CONSENTED_OTHERS_AWAITED, wrong()),
        (S::InformationRequested, CONSENTED_LAST, wrong()),
        (S::InformationRequested, REFUSED, wrong()),
        (S::InformationRequested, CHECKED_SETTLES, wrong()),
        (S::InformationRequested, CHECKED_NEEDS_OFFICER, wrong()),
        (S::InformationRequested, APPROVED, to(S::Approved, &approve)),
        (S::InformationRequested, REJECTED, to(S::Rejected, &[E::NotifyRequester(N::Rejected)])),
        (S::InformationRequested, ASKED, wrong()),
        (S::InformationRequested, ANSWERED, to(S::AwaitingOfficer, &[])),
        (S::InformationRequested, ANSWERED_WITH_CORRECTIONS, to(S::AwaitingOfficer, &[
            E::RecheckCorrectedDetails,
        ])),
        (S::InformationRequested, WITHDREW, to(S::Withdrawn, &[])),

        (S::Approved, CONSENTED_OTHERS_AWAITED, decided()),
        (S::Approved, CONSENTED_LAST, decided()),
        (S::Approved, REFUSED, decided()),
        (S::Approved, CHECKED_SETTLES, decided()),
        (S::Approved, CHECKED_NEEDS_OFFICER, decided()),
        (S::Approved, APPROVED, decided()),
        (S::Approved, REJECTED, decided()),
        (S::Approved, ASKED, decided()),
        (S::Approved, ANSWERED, decided()),
        (S::Approved, ANSWERED_WITH_CORRECTIONS, decided()),
        (S::Approved, WITHDREW, decided()),

        (S::Rejected, CONSENTED_OTHERS_AWAITED, decided()),
        (S::Rejected, CONSENTED_LAST, decided()),
        (S::Rejected, REFUSED, decided()),
        (S::Rejected, CHECKED_SETTLES, decided()),
        (S::Rejected, CHECKED_NEEDS_OFFICER, decided()),
        (S::Rejected, APPROVED, decided()),
        (S::Rejected, REJECTED, decided()),
        (S::Rejected, ASKED, decided()),
        (S::Rejected, ANSWERED, decided()),
        (S::Rejected, ANSWERED_WITH_CORRECTIONS, decided()),
        (S::Rejected, WITHDREW, decided()),

        (S::Withdrawn, CONSENTED_OTHERS_AWAITED, decided()),
        (S::Withdrawn, CONSENTED_LAST, decided()),
        (S::Withdrawn, REFUSED, decided()),
        (S::Withdrawn, CHECKED_SETTLES, decided()),
        (S::Withdrawn, CHECKED_NEEDS_OFFICER, decided()),
        (S::Withdrawn, APPROVED, decided()),
        (S::Withdrawn, REJECTED, decided()),
        (S::Withdrawn, ASKED, decided()),
        (S::Withdrawn, ANSWERED, decided()),
        (S::Withdrawn, ANSWERED_WITH_CORRECTIONS, decided()),
        (S::Withdrawn, WITHDREW, decided()),
    ]
}

/// Which kind of event this is. The match fails to compile when an event is added, so the
/// table gets rows for it.
fn event_kind(event: &Event) -> usize {
    match event {
        Event::CoRepresentativeConsented { .. } => 0,
        Event::CoRepresentativeRefused => 1,
        Event::RegistryChecked(_) => 2,
        Event::OfficerApproved => 3,
        Event::OfficerRejected => 4,
        Event::OfficerAskedForInformation => 5,
        Event::RequesterAnswered { .. } => 6,
        Event::RequesterWithdrew => 7,
    }
}
const EVENT_KINDS: usize = 8;

#[test]
fn every_status_and_event_gives_what_the_table_says() {
    for (status, event, expected) in table() {
        let got = handle(status, event);
        let got_short: Expected = match &got {
            Ok(t) => Ok((t.to, t.effects.clone())),
            Err(e) => Err(e.code()),
        };
        assert_eq!(got_short, expected, "{} + {}", status.code(), event.name());
        match got {
            Ok(t) => assert_eq!(t.from, status),
            Err(e) => assert_eq!(e.status(), status),
        }
    }
}

#[test]
fn the_table_has_one_row_for_every_status_and_every_event() {
    let rows = table();
    for status in RegistrationStatus::ALL {
        for kind in 0..EVENT_KINDS {
            assert!(
                rows.iter()
                    .any(|(s, e, _)| *s == status && event_kind(e) == kind),
                "no row for {} and event kind {kind}",
                status.code()
            );
        }
    }
    let mut pairs: Vec<(usize, String)> = rows
        .iter()
        .map(|(s, e, _)| (*s as usize, format!("{e:?}")))
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), rows.len(), "a pair appears twice");
}

#[test]
fn a_request_waits_for_consent_only_when_a_co_representative_can_answer_in_the_app() {
    use OrgType as T;
    let ask = E::AskCoRepresentativesForConsent;
    let check = E::CheckRegistry;
    let registry = E::SetDeadline(Deadline::RegistrySettles);
    let officer = E::SetDeadline(Deadline::OfficerVerifies);
    #[rustfmt::skip]
    let expected = [
        (T::Enterprise, true, S::AwaitingConsent, [registry, ask]),
        (T::Enterprise, false, S::Checking, [registry, check]),
        (T::Cooperative, true, S::AwaitingConsent, [registry, ask]),
        (T::Cooperative, false, S::Checking, [registry, check]),
        (T::OrganisationWithTaxCode, true, S::AwaitingConsent, [registry, ask]),
        (T::OrganisationWithTaxCode, false, S::Checking, [registry, check]),
        (T::OrganisationWithoutRegistration, true, S::AwaitingConsent, [officer, ask]),
        (T::OrganisationWithoutRegistration, false, S::Checking, [officer, check]),
    ];
    assert_eq!(expected.len(), OrgType::ALL.len() * 2);
    for (org_type, with_account, status, effects) in expected {
        let filed = file(Filing {
            org_type,
            co_representative_with_account: with_account,
        });
        assert_eq!(
            filed,
            Filed {
                status,
                effects: effects.to_vec()
            },
            "{org_type:?}, with account: {with_account}"
        );
    }
}

#[test]
fn the_first_reason_that_applies_sends_the_request_to_an_officer() {
    use OfficerReviewReason as R;
    use RegistryAnswer::{Found, NoRegistry, NotFound};
    use RequesterCapacity::{Authorised as Auth, LegalRepresentative as Rep};
    let inactive = Findings {
        active: false,
        ..ALL_MATCH
    };
    let both_differ = Findings {
        organisation_mismatch: true,
        representative_mismatch: true,
        ..ALL_MATCH
    };
    let people_differ = Findings {
        representative_mismatch: true,
        ..ALL_MATCH
    };
    let not_recorded = Findings {
        requester_is_recorded_representative: false,
        ..ALL_MATCH
    };
    let every_flaw = Findings {
        active: false,
        organisation_mismatch: true,
        representative_mismatch: true,
        requester_is_recorded_representative: false,
    };
    // (registry, capacity, a co-representative without account) -> reason
    let rows = [
        (NoRegistry, Rep, false, Some(R::NoRegistry)),
        (NoRegistry, Auth, true, Some(R::NoRegistry)),
        (NotFound, Rep, false, Some(R::NotInRegistry)),
        (NotFound, Auth, true, Some(R::NotInRegistry)),
        (Found(every_flaw), Auth, true, Some(R::RegistryMismatch)),
        (Found(inactive), Rep, false, Some(R::RegistryMismatch)),
        (Found(both_differ), Auth, true, Some(R::RegistryMismatch)),
        (
            Found(people_differ),
            Auth,
            true,
            Some(R::RepresentativeMismatch),
        ),
        (Found(ALL_MATCH), Auth, true, Some(R::AuthorisedRequester)),
        (
            Found(not_recorded),
            Auth,
            false,
            Some(R::AuthorisedRequester),
        ),
        (
            Found(not_recorded),
            Rep,
            true,
            Some(R::RepresentativeMismatch),
        ),
        (
            Found(ALL_MATCH),
            Rep,
            true,
            Some(R::CoRepresentativeWithoutAccount),
        ),
        (Found(ALL_MATCH), Rep, false, None),
    ];
    for (registry, capacity, without_account, reason) in rows {
        let outcome = CheckOutcome {
            registry,
            capacity,
            co_representative_without_account: without_account,
        };
        assert_eq!(outcome.officer_review_reason(), reason, "{outcome:?}");
    }
}

/// Every registry answer the decision can see.
fn every_registry_answer() -> Vec<RegistryAnswer> {
    let mut answers = vec![RegistryAnswer::NoRegistry, RegistryAnswer::NotFound];
    for bits in 0..16u8 {
        answers.push(RegistryAnswer::Found(Findings {
            active: bits & 1 != 0,
            organisation_mismatch: bits & 2 != 0,
            representative_mismatch: bits & 4 != 0,
            requester_is_recorded_representative: bits & 8 != 0,
        }));
    }
    answers
}

#[test]
fn only_a_clean_check_asked_by_a_recorded_representative_in_person_is_approved_at_once() {
    let mut approved = 0;
    for registry in every_registry_answer() {
        for capacity in [
            RequesterCapacity::LegalRepresentative,
            RequesterCapacity::Authorised,
        ] {
            for without_account in [false, true] {
                let outcome = CheckOutcome {
                    registry,
                    capacity,
                    co_representative_without_account: without_account,
                };
                let t = handle(S::Checking, Event::RegistryChecked(outcome)).unwrap();
                if t.to == S::Approved {
                    approved += 1;
                    assert_eq!(outcome, SETTLES);
                } else {
                    assert_eq!(t.to, S::AwaitingOfficer);
                }
            }
        }
    }
    assert_eq!(approved, 1);
}

#[test]
fn a_registry_check_matches_only_when_nothing_differs() {
    assert_eq!(RegistryAnswer::NoRegistry.matched(), None);
    assert_eq!(RegistryAnswer::NotFound.matched(), Some(false));
    assert_eq!(RegistryAnswer::Found(ALL_MATCH).matched(), Some(true));
    // Whether the requester is recorded is about who asks, not about the registry's data.
    let not_recorded = Findings {
        requester_is_recorded_representative: false,
        ..ALL_MATCH
    };
    assert_eq!(RegistryAnswer::Found(not_recorded).matched(), Some(true));
    for flawed in [
        Findings {
            active: false,
            ..ALL_MATCH
        },
        Findings {
            organisation_mismatch: true,
            ..ALL_MATCH
        },
        Findings {
            representative_mismatch: true,
            ..ALL_MATCH
        },
    ] {
        assert_eq!(RegistryAnswer::Found(flawed).matched(), Some(false));
    }
}

#[test]
fn differences_in_the_representatives_count_apart_from_the_organisations_own_data() {
    let check = |found: bool, fields: &[OrgField]| RegistryCheck {
        registry: RegistryKind::BusinessRegistry,
        checked_at: chrono::DateTime::UNIX_EPOCH,
        found,
        active: true,
        mismatches: fields
            .iter()
            .map(|f| FieldMismatch {
                field: *f,
                registry_value: "…".into(),
            })
            .collect(),
        requester_is_recorded_representative: false,
    };
    let found = |organisation_mismatch, representative_mismatch| {
        RegistryAnswer::Found(Findings {
            active: true,
            organisation_mismatch,
            representative_mismatch,
            requester_is_recorded_representative: false,
        })
    };
    assert_eq!(
        RegistryAnswer::from(&check(false, &[OrgField::NameVi])),
        RegistryAnswer::NotFound
    );
    assert_eq!(RegistryAnswer::from(&check(true, &[])), found(false, false));
    assert_eq!(
        RegistryAnswer::from(&check(true, &[OrgField::RepresentativeName])),
        found(false, true)
    );
    assert_eq!(
        RegistryAnswer::from(&check(true, &[OrgField::Representatives])),
        found(false, true)
    );
    assert_eq!(
        RegistryAnswer::from(&check(
            true,
            &[OrgField::HeadOfficeAddress, OrgField::Representatives]
        )),
        found(true, true)
    );
}

#[test]
fn the_requester_hears_of_each_decision_under_its_inbox_kind() {
    assert_eq!(N::Approved.kind(), NotificationKind::RegistrationApproved);
    assert_eq!(N::Rejected.kind(), NotificationKind::RegistrationRejected);
    assert_eq!(
        N::ConsentRefused.kind(),
        NotificationKind::RegistrationRejected
    );
    assert_eq!(
        N::InformationRequested.kind(),
        NotificationKind::InformationRequested
    );
}

#[test]
fn a_refusal_has_a_stable_code_answers_invalid_state_and_names_no_data() {
    let decided = handle(S::Approved, WITHDREW).unwrap_err();
    assert_eq!(decided.code(), "registration.already_decided");
    assert_eq!(
        decided.to_string(),
        "the request is already approved; `requester_withdrew` changes nothing"
    );
    let wrong = handle(S::AwaitingConsent, APPROVED).unwrap_err();
    assert_eq!(wrong.code(), "registration.wrong_status");
    assert_eq!(
        wrong.to_string(),
        "`officer_approved` does not apply to a request that is awaiting_consent"
    );
    for e in [decided, wrong] {
        assert_eq!(e.error_code(), ErrorCode::InvalidState);
    }
}

#[test]
fn only_a_counted_consent_leaves_the_status_as_it_was() {
    for (status, event, expected) in table() {
        if let Ok((to, _)) = expected {
            let t = handle(status, event).unwrap();
            assert_eq!(t.changes_status(), to != status);
            if !t.changes_status() {
                assert_eq!(event, CONSENTED_OTHERS_AWAITED);
            }
        }
    }
}

// ---- Properties over sequences -----------------------------------------------------------

fn arb_registry_answer() -> impl Strategy<Value = RegistryAnswer> {
    proptest::sample::select(every_registry_answer())
}

fn arb_outcome() -> impl Strategy<Value = CheckOutcome> {
    (
        arb_registry_answer(),
        proptest::sample::select(vec![
            RequesterCapacity::LegalRepresentative,
            RequesterCapacity::Authorised,
        ]),
        any::<bool>(),
    )
        .prop_map(|(registry, capacity, without_account)| CheckOutcome {
            registry,
            capacity,
            co_representative_without_account: without_account,
        })
}

fn arb_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        any::<bool>()
            .prop_map(|others_awaited| Event::CoRepresentativeConsented { others_awaited }),
        Just(REFUSED),
        arb_outcome().prop_map(Event::RegistryChecked),
        Just(APPROVED),
        Just(REJECTED),
        Just(ASKED),
        any::<bool>().prop_map(|corrected_details| Event::RequesterAnswered { corrected_details }),
        Just(WITHDREW),
    ]
}

fn arb_filing() -> impl Strategy<Value = Filing> {
    (
        proptest::sample::select(OrgType::ALL.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(org_type, with_account)| Filing {
            org_type,
            co_representative_with_account: with_account,
        })
}

/// One step of a run: the status before, the event, and what `handle` answered.
type Step = (
    RegistrationStatus,
    Event,
    Result<Transition, TransitionRefused>,
);

/// Files a request and feeds it `events`, as the I/O layer would: the status changes only on
/// a transition. Returns the filing, each step, and the status at the end.
fn run(filing: Filing, events: &[Event]) -> (Filed, Vec<Step>, RegistrationStatus) {
    let filed = file(filing);
    let mut status = filed.status;
    let mut steps = Vec::with_capacity(events.len());
    for &event in events {
        let result = handle(status, event);
        steps.push((status, event, result.clone()));
        if let Ok(t) = result {
            status = t.to;
        }
    }
    (filed, steps, status)
}

fn effects_of(filed: &Filed, steps: &[Step]) -> Vec<Effect> {
    let mut all = filed.effects.clone();
    for (_, _, r) in steps {
        if let Ok(t) = r {
            all.extend(t.effects.iter().copied());
        }
    }
    all
}

proptest! {
    #[test]
    fn the_deadline_read_back_from_a_status_is_the_last_one_the_machine_set(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let org_type = filing.org_type;
        let (filed, steps, _) = run(filing, &events);
        let set = |effects: &[Effect]| effects.iter().find_map(|e| match e {
            E::SetDeadline(d) => Some(*d),
            _ => None,
        });
        let mut last = set(&filed.effects);
        prop_assert_eq!(deadline(org_type, filed.status), last);
        for (_, _, result) in steps {
            let Ok(t) = result else { continue };
            last = set(&t.effects).or(last);
            let expected = if t.to.is_final() { None } else { last };
            prop_assert_eq!(deadline(org_type, t.to), expected, "{:?}", t);
        }
    }

    #[test]
    fn a_transition_starts_from_the_status_it_was_given_and_a_refusal_changes_nothing(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let (_, steps, _) = run(filing, &events);
        for (before, event, result) in steps {
            prop_assert_eq!(handle(before, event), result.clone(), "the machine is pure");
            match result {
                Ok(t) => prop_assert_eq!(t.from, before),
                Err(e) => {
                    prop_assert_eq!(e.status(), before);
                    prop_assert_eq!(e.event_name(), event.name());
                }
            }
        }
    }

    #[test]
    fn a_final_status_stays_final_whatever_happens_next(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let (_, steps, _) = run(filing, &events);
        for (before, _, result) in steps {
            if before.is_final() {
                prop_assert!(
                    matches!(result, Err(TransitionRefused::AlreadyDecided { .. })),
                    "{:?}", result
                );
            } else if let Err(e) = result {
                prop_assert!(matches!(e, TransitionRefused::WrongStatus { .. }), "{:?}", e);
            }
        }
    }

    #[test]
    fn the_organisation_account_is_created_once_and_only_for_an_approved_request(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let (filed, steps, last) = run(filing, &events);
        let effects = effects_of(&filed, &steps);
        let created = effects.iter().filter(|e| **e == E::CreateOrganisation).count();
        let told = effects.iter().filter(|e| **e == E::NotifyRequester(N::Approved)).count();
        prop_assert_eq!(created, usize::from(last == S::Approved));
        prop_assert_eq!(told, created);
    }

    #[test]
    fn no_decision_is_taken_before_every_consent_is_in(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let (filed, steps, _) = run(filing, &events);
        let mut left_consent = filed.status != S::AwaitingConsent;
        for (before, _, result) in steps {
            let Ok(t) = result else { continue };
            if left_consent {
                prop_assert_ne!(t.to, S::AwaitingConsent, "back to waiting for consent");
            }
            if before == S::AwaitingConsent {
                // Only consent, a refusal or a withdrawal moves a request waiting for consent.
                prop_assert!(matches!(t.to, S::AwaitingConsent | S::Checking | S::Withdrawn));
            }
            left_consent |= t.to != S::AwaitingConsent;
        }
    }

    #[test]
    fn each_effect_goes_with_the_status_it_leads_to(
        filing in arb_filing(),
        events in proptest::collection::vec(arb_event(), 0..40),
    ) {
        let (_, steps, _) = run(filing, &events);
        for (_, _, result) in steps {
            let Ok(t) = result else { continue };
            for effect in &t.effects {
                let fits = match effect {
                    E::CheckRegistry => t.to == S::Checking && t.from == S::AwaitingConsent,
                    E::SendToOfficer(_) | E::SetDeadline(Deadline::OfficerVerifies) => {
                        t.to == S::AwaitingOfficer && t.from == S::Checking
                    }
                    E::SetDeadline(Deadline::RegistrySettles) => {
                        t.to == S::Approved && t.from == S::Checking
                    }
                    E::CreateOrganisation | E::NotifyRequester(N::Approved) => t.to == S::Approved,
                    E::NotifyRequester(N::Rejected) => t.to == S::Rejected,
                    E::NotifyRequester(N::InformationRequested) => {
                        t.to == S::InformationRequested
                    }
                    E::NotifyRequester(N::ConsentRefused) => {
                        t.to == S::Withdrawn && t.from == S::AwaitingConsent
                    }
                    E::RecheckCorrectedDetails => {
                        t.to == S::AwaitingOfficer && t.from == S::InformationRequested
                    }
                    E::AskCoRepresentativesForConsent => false,
                };
                prop_assert!(fits, "{:?} on {:?} -> {:?}", effect, t.from, t.to);
            }
            // A request that waits for an officer always says why.
            if t.to == S::AwaitingOfficer && t.from == S::Checking {
                prop_assert!(t.effects.iter().any(|e| matches!(e, E::SendToOfficer(_))));
            }
        }
    }
}
