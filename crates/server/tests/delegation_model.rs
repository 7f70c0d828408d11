//! Model-based test of authorization in organisations: random sequences of steps — add a
//! delegate, accept or decline, revoke, read the record, list delegations, switch a session,
//! act in a switched session, let time pass — run against the server's own functions and
//! against a small reference policy written here from the rules, and the two must agree on
//! every step (allowed or denied, and what a list shows).
//!
//! The reference policy:
//! - A person's role in an organisation: owner if they are its legal representative; else the
//!   best role of their delegations that are accepted, not ended and not past their last day.
//! - Add: the actor's role may manage the requested role (owner: administrator or member;
//!   administrator: member; nobody adds owners); the person is level 2, has no open (pending
//!   or accepted, unexpired, unended) delegation there and is not an owner; the last day is
//!   not past.
//! - Answer: only the delegate, once, while the delegation is open.
//! - Revoke: an open delegation, by the delegate, or by someone whose role manages its role.
//! - Read: anyone with a role. List: owners and administrators see all; others their own rows,
//!   denied when they have none.
//! - Switch to an organisation: with a role; back to personal: always.
//! - Act in a switched session: with a role still; otherwise denied and back to personal.
//!
//! The steps call the functions the HTTP handlers call after verifying the confirmation
//! (which tests/organisations.rs covers over HTTP), so many cases run in a few seconds.

use crate::common;
use crate::identity;

use std::cell::Cell;

use chrono::NaiveDate;
use common::{Backend, Device, TestServer, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{AddDelegate, SessionKind};
use dinhdanh_core::ids::{
    AccountId, CitizenId, DelegationId, Email, EnterpriseCode, Gender, NewProvince, OldProvince,
    OrgEid, PhoneNumber, TaxCode,
};
use dinhdanh_core::org_type::{
    AddressLine, HeadOffice, LegalRepresentative, Name, OrgType, OrganisationDetails,
};
use dinhdanh_server::testing::accounts::CitizenRecord;
use dinhdanh_server::testing::organisations::{
    self, Actor, NewOrganisation, Registrant, end_of_day_vietnam,
};
use dinhdanh_server::testing::sessions::{self, NewSession};
use p256::ecdsa::SigningKey;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rand_core::{OsRng, RngCore};

/// People 0 and 1 own organisations 0 and 1; person 2 has a level-2 account and no role;
/// person 3 has a level-1 account.
const PEOPLE: usize = 4;
const ORGS: usize = 2;
const LEVEL_1: usize = 3;

thread_local! {
    /// Allowed and denied outcomes seen over all cases of the run on this thread, to show both
    /// sides were exercised (per thread: the run on each backend counts its own).
    static ALLOWED: Cell<usize> = const { Cell::new(0) };
    static DENIED: Cell<usize> = const { Cell::new(0) };
}

fn tally(allowed: bool) {
    let counter = if allowed { &ALLOWED } else { &DENIED };
    counter.with(|c| c.set(c.get() + 1));
}

#[derive(Clone, Debug)]
enum Step {
    Add {
        actor: usize,
        org: usize,
        person: usize,
        role: OrgRole,
        /// Last day, in days from today (Vietnam); -1 is yesterday.
        last_day: Option<i64>,
    },
    Answer {
        person: usize,
        pick: usize,
        accept: bool,
    },
    Revoke {
        actor: usize,
        pick: usize,
    },
    Read {
        actor: usize,
        org: usize,
    },
    List {
        actor: usize,
        org: usize,
    },
    Switch {
        person: usize,
        to: Option<usize>,
    },
    Act {
        person: usize,
    },
    Advance {
        hours: i64,
    },
}

fn role() -> impl Strategy<Value = OrgRole> {
    prop_oneof![
        Just(OrgRole::Owner),
        Just(OrgRole::Administrator),
        Just(OrgRole::Member)
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let p = || 0..PEOPLE;
    let o = || 0..ORGS;
    prop_oneof![
        4 => (p(), o(), p(), role(), proptest::option::of(-1i64..3)).prop_map(
            |(actor, org, person, role, last_day)| Step::Add { actor, org, person, role, last_day }
        ),
        3 => (p(), any::<usize>(), any::<bool>())
            .prop_map(|(person, pick, accept)| Step::Answer { person, pick, accept }),
        2 => (p(), any::<usize>()).prop_map(|(actor, pick)| Step::Revoke { actor, pick }),
        1 => (p(), o()).prop_map(|(actor, org)| Step::Read { actor, org }),
        1 => (p(), o()).prop_map(|(actor, org)| Step::List { actor, org }),
        2 => (p(), proptest::option::of(o())).prop_map(|(person, to)| Step::Switch { person, to }),
        2 => p().prop_map(|person| Step::Act { person }),
        1 => (1i64..30).prop_map(|hours| Step::Advance { hours }),
    ]
}

// ---------------------------------------------------------------------------------------------
// The reference policy
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct ModelDelegation {
    id: DelegationId,
    org: usize,
    person: usize,
    role: OrgRole,
    expires_at: Option<i64>,
    accepted: bool,
    ended: bool,
}

impl ModelDelegation {
    fn open(&self, now: i64) -> bool {
        !self.ended && self.expires_at.is_none_or(|e| now < e)
    }
    fn live(&self, now: i64) -> bool {
        self.accepted && self.open(now)
    }
}

#[derive(Default)]
struct Model {
    delegations: Vec<ModelDelegation>,
    acting: [Option<usize>; PEOPLE],
}

impl Model {
    fn role(&self, person: usize, org: usize, now: i64) -> Option<OrgRole> {
        if person == org {
            return Some(OrgRole::Owner);
        }
        self.delegations
            .iter()
            .filter(|d| d.org == org && d.person == person && d.live(now))
            .map(|d| d.role)
            .min()
    }

    fn may_add(&self, actor: usize, org: usize, person: usize, role: OrgRole, now: i64) -> bool {
        let manages = self
            .role(actor, org, now)
            .is_some_and(|r| role != OrgRole::Owner && r.may_manage(role));
        let open = self
            .delegations
            .iter()
            .any(|d| d.org == org && d.person == person && d.open(now));
        manages && person != LEVEL_1 && person != org && !open
    }

    /// What a list shows `actor`, or `None` when it is denied.
    fn list(&self, actor: usize, org: usize, now: i64) -> Option<usize> {
        let in_org = self.delegations.iter().filter(|d| d.org == org);
        match self.role(actor, org, now) {
            Some(OrgRole::Owner | OrgRole::Administrator) => Some(1 + in_org.count()),
            _ => Some(in_org.filter(|d| d.person == actor).count()).filter(|n| *n > 0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The world on the server
// ---------------------------------------------------------------------------------------------

struct World {
    people: Vec<(AccountId, CitizenId)>,
    orgs: Vec<OrgEid>,
    sessions: Vec<String>,
}

/// Adds a person drawn at random (any birth year from 1950 to 1999) to the registry: their
/// identification number ([`identity::insert_random_citizen`] draws again when it is taken).
async fn new_citizen(t: &TestServer) -> CitizenId {
    let record = identity::insert_random_citizen(t, |serial, phone| {
        let year = 1950 + (OsRng.next_u32() % 50) as u16;
        CitizenRecord {
            citizen_id: CitizenId::from_parts(
                OldProvince::from_code(1).unwrap(),
                Gender::Female,
                year,
                serial,
            )
            .unwrap(),
            full_name: "Phạm Văn Bình".into(),
            date_of_birth: NaiveDate::from_ymd_opt(i32::from(year), 5, 17).unwrap(),
            gender: Gender::Female,
            phone: PhoneNumber::parse(&format!("091{phone:07}")).unwrap(),
            email: Some(Email::parse("binh@example.vn").unwrap()),
        }
    })
    .await;
    record.citizen_id
}

/// A person in the registry with an account at `level` (inserted directly: the password is
/// not what this test is about, and hashing one costs a second in a debug build).
async fn person(t: &TestServer, level: i64) -> (AccountId, CitizenId) {
    let citizen_id = new_citizen(t).await;
    let id = format!("acc_model{}", OsRng.next_u64());
    sqlx::query(
        "INSERT INTO accounts (id, citizen_key, level, password_hash, locked, created_at) \
         VALUES ($1, $2, $3, 'not-a-hash', 0, $4)",
    )
    .bind(&id)
    .bind(t.state().keys.citizen_key(&citizen_id))
    .bind(level)
    .bind(t.now())
    .execute(&t.state().pool)
    .await
    .unwrap();
    (AccountId::parse(&id).unwrap(), citizen_id)
}

async fn organisation(t: &TestServer, owner: &(AccountId, CitizenId)) -> OrgEid {
    let tax = loop {
        if let Some(code) = TaxCode::from_body(OsRng.next_u32() % 1_000_000_000) {
            break code;
        }
    };
    let details = OrganisationDetails {
        name_vi: Name::parse(&format!("Công ty TNHH Mô hình {tax}")).unwrap(),
        abbreviated_name: None,
        foreign_name: None,
        established_on: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
        head_office: HeadOffice {
            address: AddressLine::parse("Số 1 phố Tràng Tiền").unwrap(),
            province: NewProvince::parse("ha_noi").unwrap(),
        },
        enterprise_code: Some(EnterpriseCode::parse(tax.as_str()).unwrap()),
        tax_code: Some(tax),
        cooperative_code: None,
        agency_code: None,
        representatives: vec![LegalRepresentative {
            full_name: Name::parse("Phạm Văn Bình").unwrap(),
            citizen_id: owner.1.clone(),
        }],
        contact_phone: PhoneNumber::parse("0912345678").unwrap(),
        contact_email: None,
        authorisation_letter: None,
        founding_decision: None,
    };
    organisations::create_organisation(
        t.state(),
        NewOrganisation {
            org_type: OrgType::Enterprise,
            details: &details,
            registration: None,
            registered_by: Registrant::Account(&owner.0),
        },
    )
    .await
    .unwrap()
}

async fn world(t: &TestServer) -> World {
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(person(t, if i == LEVEL_1 { 1 } else { 2 }).await);
    }
    let mut orgs = Vec::new();
    for owner in people.iter().take(ORGS) {
        orgs.push(organisation(t, owner).await);
    }
    let mut sessions_ = Vec::new();
    for (account, _) in &people {
        let key = SigningKey::random(&mut OsRng);
        let (_, view) = sessions::create_session(
            t.state(),
            NewSession {
                account,
                device: None,
                kind: SessionKind::Device,
                bound_key: &Device::public(&key),
                acting_for: None,
                client_name: "model",
            },
        )
        .await
        .unwrap();
        sessions_.push(view.id.as_str().to_owned());
    }
    World {
        people,
        orgs,
        sessions: sessions_,
    }
}

fn today_in_vietnam(now: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(now + 7 * 3600, 0)
        .unwrap()
        .date_naive()
}

async fn session_acting_for(t: &TestServer, session: &str) -> Option<String> {
    sqlx::query_scalar("SELECT acting_for FROM sessions WHERE id = $1")
        .bind(session)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

async fn run(t: &TestServer, steps: &[Step]) -> Result<(), TestCaseError> {
    let w = world(t).await;
    let state = t.state();
    let mut m = Model::default();
    let actor = |i: usize| Actor::person(&w.people[i].0);
    for (n, step) in steps.iter().enumerate() {
        let now = t.now();
        let at = format!("step {n}: {step:?}");
        match step.clone() {
            Step::Add {
                actor: a,
                org,
                person,
                role,
                last_day,
            } => {
                let expires_on =
                    last_day.map(|d| today_in_vietnam(now) + chrono::TimeDelta::days(d));
                let expected = m.may_add(a, org, person, role, now)
                    && expires_on.is_none_or(|d| end_of_day_vietnam(d) > now);
                let request = AddDelegate {
                    organisation: w.orgs[org].clone(),
                    citizen_id: w.people[person].1.clone(),
                    role,
                    expires_on,
                };
                let got = organisations::add_delegate(state, &actor(a), &request).await;
                prop_assert_eq!(got.is_ok(), expected, "{}: {:?}", at, got.as_ref().err());
                tally(expected);
                if let Ok(view) = got {
                    m.delegations.push(ModelDelegation {
                        id: view.id,
                        org,
                        person,
                        role,
                        expires_at: expires_on.map(end_of_day_vietnam),
                        accepted: false,
                        ended: false,
                    });
                }
            }
            Step::Answer {
                person,
                pick,
                accept,
            } => {
                if m.delegations.is_empty() {
                    continue;
                }
                let i = pick % m.delegations.len();
                let d = m.delegations[i].clone();
                let expected = d.person == person && !d.accepted && d.open(now);
                let got = organisations::answer_delegation(
                    state,
                    &actor(person),
                    &w.orgs[d.org],
                    &d.id,
                    accept,
                )
                .await;
                prop_assert_eq!(got.is_ok(), expected, "{}: {:?}", at, got.as_ref().err());
                tally(expected);
                if got.is_ok() {
                    m.delegations[i].accepted = accept;
                    m.delegations[i].ended = !accept;
                }
            }
            Step::Revoke { actor: a, pick } => {
                if m.delegations.is_empty() {
                    continue;
                }
                let i = pick % m.delegations.len();
                let d = m.delegations[i].clone();
                let expected = d.open(now)
                    && (d.person == a
                        || m.role(a, d.org, now).is_some_and(|r| r.may_manage(d.role)));
                let got =
                    organisations::revoke_delegation(state, &actor(a), &w.orgs[d.org], &d.id).await;
                prop_assert_eq!(got.is_ok(), expected, "{}: {:?}", at, got.as_ref().err());
                tally(expected);
                if got.is_ok() {
                    m.delegations[i].ended = true;
                }
            }
            Step::Read { actor: a, org } => {
                let expected = m.role(a, org, now).is_some();
                let got = organisations::read_organisation(state, &actor(a), &w.orgs[org]).await;
                prop_assert_eq!(got.is_ok(), expected, "{}", at);
                tally(expected);
            }
            Step::List { actor: a, org } => {
                let got = organisations::list_delegations(state, &actor(a), &w.orgs[org]).await;
                let expected = m.list(a, org, now);
                prop_assert_eq!(got.ok().map(|v| v.len()), expected, "{}", at);
                tally(expected.is_some());
            }
            Step::Switch { person, to } => {
                let expected = to.is_none_or(|o| m.role(person, o, now).is_some());
                let got = organisations::switch_session(
                    state,
                    &actor(person),
                    &w.sessions[person],
                    to.map(|o| &w.orgs[o]),
                )
                .await;
                prop_assert_eq!(got.is_ok(), expected, "{}", at);
                tally(expected);
                if got.is_ok() {
                    m.acting[person] = to;
                }
            }
            Step::Act { person } => {
                // What request authentication does for the session.
                let stored = session_acting_for(t, &w.sessions[person]).await;
                prop_assert_eq!(
                    stored.as_deref(),
                    m.acting[person].map(|o| w.orgs[o].as_str()),
                    "{}",
                    at
                );
                if let Some(o) = m.acting[person] {
                    let expected = m.role(person, o, now).is_some();
                    let got = organisations::check_acting_for(
                        state,
                        &w.sessions[person],
                        &w.people[person].0,
                        &w.orgs[o],
                    )
                    .await;
                    prop_assert_eq!(got.is_ok(), expected, "{}", at);
                    tally(expected);
                    if !expected {
                        m.acting[person] = None;
                        prop_assert_eq!(session_acting_for(t, &w.sessions[person]).await, None);
                    }
                }
            }
            Step::Advance { hours } => t.clock.advance(hours * 3600),
        }
    }
    Ok(())
}

backend_test!(blocking the_server_agrees_with_the_reference_policy_on_random_delegation_histories);
fn the_server_agrees_with_the_reference_policy_on_random_delegation_histories(db: Backend) {
    ALLOWED.with(|c| c.set(0));
    DENIED.with(|c| c.set(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestServer::start(db));
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(step(), 1..=20), |steps| {
        rt.block_on(run(&t, &steps))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (allowed, denied) = (ALLOWED.with(Cell::get), DENIED.with(Cell::get));
    assert!(
        allowed > 20 && denied > 20,
        "both outcomes exercised: {allowed} allowed, {denied} denied"
    );
}
