//! Self-service through the device client against the real server in-process on loopback,
//! the secrets in the real OS keystore: a new passcode with the password and a code, locking
//! one's own account from a phone that is not the bound one (and from the bound one), the
//! person's data and the audit entries about them, and an organisation's activity for its
//! owners and administrators. A lost connection while locking is a real one (a loopback relay
//! that drops the request, the answer, or everything), and the client asks the server.

use crate::common;

use common::relay::{LOSE_ANSWER, LOSE_EVERYTHING, LOSE_REQUEST, PASS, device_at};
use common::{PASSCODE, PASSWORD, Person, TestServer, date_of_birth, organisation_owned_by};
use dinhdanh_client::ClientError;
use dinhdanh_client::api::SelfLocked;
use dinhdanh_client::passcode::new_passcode;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{AddDelegate, ErrorCode, SecretText, StepUpPurpose};
use dinhdanh_server::testing::organisations::{self, Actor};

const NEW_PASSCODE: &str = "583920";

fn password() -> SecretText {
    SecretText::new(PASSWORD)
}

#[tokio::test]
async fn a_forgotten_passcode_is_replaced_with_the_password_and_a_code_and_only_the_new_one_confirms()
 {
    let t = TestServer::start().await;
    let lan = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &lan).await;

    // A wrong password sends no code.
    let wrong = phone
        .client
        .passcode_reset_start(SecretText::new("Sai#Matkhau1"))
        .await
        .unwrap_err();
    assert!(wrong.is(ErrorCode::InvalidCredentials), "{wrong:?}");

    let started = phone.client.passcode_reset_start(password()).await.unwrap();
    assert!(started.sent.sent_to.contains('*'), "{:?}", started.sent);
    let code = t.last_code_to(&lan.phone);
    let new = new_passcode(NEW_PASSCODE, NEW_PASSCODE, Some(date_of_birth())).unwrap();
    let device = phone
        .client
        .passcode_reset_finish(started, code, &new)
        .await
        .unwrap();
    assert_eq!(device.confirmation_keys.len(), 1);

    // The new passcode confirms; the old one no longer does.
    phone
        .client
        .step_up(
            StepUpPurpose::OpenOrganisationIdentity,
            &phone.passcode(NEW_PASSCODE),
        )
        .await
        .unwrap();
    let old = phone
        .client
        .step_up(
            StepUpPurpose::OpenOrganisationIdentity,
            &phone.passcode(PASSCODE),
        )
        .await
        .unwrap_err();
    assert!(old.is(ErrorCode::WrongConfirmation), "{old:?}");

    // It is in the person's activity, without the passcode or the code.
    let entries = phone.client.my_audit().await.unwrap();
    assert!(
        entries.iter().any(|e| e.action == "device.passcode_reset"),
        "{entries:?}"
    );
}

#[tokio::test]
async fn an_account_locked_from_a_phone_that_is_not_bound_signs_the_bound_phone_out_for_good() {
    let t = TestServer::start().await;
    let lan = t.person(true).await;
    let lost = t.device("lost");
    lost.bind_and_sign_in(&t, &lan).await;

    // Another phone, never bound: identification number, password, then the code (by SMS,
    // since this person has no e-mail).
    let borrowed = t.device("borrowed");
    let wrong = borrowed
        .client
        .self_lock_start(&lan.citizen_id, SecretText::new("Sai#Matkhau1"))
        .await
        .unwrap_err();
    assert!(wrong.is(ErrorCode::InvalidCredentials), "{wrong:?}");
    let started = borrowed
        .client
        .self_lock_start(&lan.citizen_id, password())
        .await
        .unwrap();
    let code = t.last_code_to(&lan.phone);
    match borrowed
        .client
        .self_lock_finish(&started, code)
        .await
        .unwrap()
    {
        SelfLocked::Locked(view) => assert!(view.locked),
        other => panic!("{other:?}"),
    }
    // The borrowed phone was bound to no one and stays so.
    assert!(borrowed.client.state().device.is_none());

    // The lost phone's session is over, and signing in again is refused.
    let gone = lost.client.me().await.unwrap_err();
    assert!(
        gone.is(ErrorCode::SessionExpired) || gone.is(ErrorCode::Unauthenticated),
        "{gone:?}"
    );
    // With the password and its own key, the lost phone is told it is no longer bound (the
    // finder who knows the password learns no more than the lock already shows), and forgets
    // its binding.
    let refused = lost.client.sign_in(password()).await.unwrap_err();
    assert!(refused.is(ErrorCode::DeviceUnbound), "{refused:?}");
    assert!(lost.client.state().device.is_none());
    assert!(lost.keystore.device_key().unwrap().is_none());
    // Nor can the account be bound to a new phone until an officer unlocks it.
    let rebind = borrowed
        .client
        .bind_start(&lan.citizen_id, password())
        .await
        .unwrap_err();
    assert!(rebind.is(ErrorCode::AccountLocked), "{rebind:?}");
}

#[tokio::test]
async fn locking_from_the_bound_phone_itself_leaves_it_unbound_and_signed_out() {
    let t = TestServer::start().await;
    let lan = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &lan).await;
    let started = phone
        .client
        .self_lock_start(&lan.citizen_id, password())
        .await
        .unwrap();
    // A mistyped code is refused and the step can be tried again.
    let wrong = phone
        .client
        .self_lock_finish(
            &started,
            dinhdanh_core::api::OneTimeCode::parse("000000").unwrap(),
        )
        .await;
    let code = t.last_code_to(&lan.phone);
    if code.expose() != "000000" {
        let e = wrong.unwrap_err();
        assert!(e.is(ErrorCode::OneTimeCodeInvalid), "{e:?}");
    }
    let locked = phone.client.self_lock_finish(&started, code).await.unwrap();
    assert!(matches!(locked, SelfLocked::Locked(_)), "{locked:?}");
    let state = phone.client.state();
    assert!(
        state.device.is_none() && state.session.is_none(),
        "{state:?}"
    );
    assert!(phone.keystore.device_key().unwrap().is_none());
    assert!(phone.keystore.session_token().unwrap().is_none());
}

#[tokio::test]
async fn my_data_and_my_activity_show_what_is_held_and_done_and_no_secret() {
    let t = TestServer::start().await;
    let lan = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &lan).await;

    let data = phone.client.my_data().await.unwrap();
    assert_eq!(data.citizen_id, lan.citizen_id);
    assert_eq!(data.phone.as_str(), lan.phone);
    assert_eq!(data.device.as_ref().unwrap().name, "Điện thoại của Lan");

    let entries = phone.client.my_audit().await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for expected in ["device.bind", "session.sign_in", "personal_data.viewed"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    // Newest first: reading the data came last.
    assert_eq!(actions[0], "personal_data.viewed", "{actions:?}");
    assert!(entries.windows(2).all(|w| w[0].seq > w[1].seq));
    // No full identification number, password, passcode or token.
    let token = phone.keystore.session_token().unwrap().unwrap();
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [lan.citizen_id.as_str(), PASSWORD, PASSCODE, token.expose()] {
        assert!(!text.contains(secret), "the activity holds {secret:?}");
    }
}

/// An owner and a member (accepted) of a new enterprise, each signed in on their phone.
async fn owner_and_member(
    t: &TestServer,
) -> (
    common::Device,
    Person,
    common::Device,
    Person,
    dinhdanh_core::ids::OrgEid,
) {
    let owner = t.person(true).await;
    let owner_phone = t.device("owner");
    owner_phone.bind_and_sign_in(t, &owner).await;
    let eid = organisation_owned_by(t, &owner, "Công ty TNHH Nhật ký số").await;
    let member = t.person(true).await;
    let member_phone = t.device("member");
    member_phone.bind_and_sign_in(t, &member).await;
    let state = &t.server.state;
    let dlg = organisations::add_delegate(
        state,
        &Actor::person(owner.account.as_ref().unwrap()),
        &AddDelegate {
            organisation: eid.clone(),
            citizen_id: member.citizen_id.clone(),
            role: OrgRole::Member,
            expires_on: None,
        },
    )
    .await
    .unwrap()
    .id;
    organisations::answer_delegation(
        state,
        &Actor::person(member.account.as_ref().unwrap()),
        &eid,
        &dlg,
        true,
    )
    .await
    .unwrap();
    (owner_phone, owner, member_phone, member, eid)
}

#[tokio::test]
async fn an_owner_reads_who_acted_for_the_organisation_from_which_device_and_a_member_may_not() {
    let t = TestServer::start().await;
    let (owner_phone, _owner, member_phone, member, eid) = owner_and_member(&t).await;

    // The member acts for the organisation: switches to it, confirmed on her phone.
    member_phone
        .client
        .switch_account(Some(eid.clone()), &member_phone.passcode(PASSCODE))
        .await
        .unwrap();
    member_phone.client.account_choices().await.unwrap();

    let activity = owner_phone
        .client
        .organisation_activity(&eid)
        .await
        .unwrap();
    let by_member: Vec<_> = activity
        .iter()
        .filter(|e| e.actor.as_ref() == member.account.as_ref())
        .collect();
    assert!(!by_member.is_empty(), "{activity:?}");
    for e in &by_member {
        assert_eq!(e.actor_name.as_deref(), Some("Nguyễn Thị Lan"));
        assert!(e.actor_citizen_id_masked.as_ref().unwrap().contains('*'));
        assert_eq!(e.device_name.as_deref(), Some("Điện thoại của Lan"));
    }
    assert!(activity.windows(2).all(|w| w[0].seq > w[1].seq));
    let text = serde_json::to_string(&activity).unwrap();
    assert!(!text.contains(member.citizen_id.as_str()));

    // A member reads only her own activity, not the organisation's; the refusal is audited.
    let refused = member_phone
        .client
        .organisation_activity(&eid)
        .await
        .unwrap_err();
    assert!(refused.is(ErrorCode::Forbidden), "{refused:?}");
    let mine = member_phone.client.my_audit().await.unwrap();
    assert!(
        mine.iter()
            .any(|e| e.action == "organisation.activity" && e.acting_for.as_ref() == Some(&eid)),
        "{mine:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A lost connection while locking: the client asks the server
// ---------------------------------------------------------------------------------------------

fn lock_finish(line: &str) -> bool {
    line.starts_with("POST /v1/accounts/lock/finish ")
}

#[tokio::test]
async fn a_lock_whose_answer_is_lost_is_reported_locked_after_asking_the_server() {
    let (t, relay, url) = common::relay::server_behind_relay(lock_finish).await;
    let lan = t.person(true).await;
    let other = device_at(&t, &url, "other");
    let started = other
        .client
        .self_lock_start(&lan.citizen_id, password())
        .await
        .unwrap();
    relay.set(LOSE_ANSWER);
    let done = other
        .client
        .self_lock_finish(&started, t.last_code_to(&lan.phone))
        .await
        .unwrap();
    assert!(
        matches!(done, SelfLocked::LockedWhileDisconnected),
        "{done:?}"
    );
}

#[tokio::test]
async fn a_lock_that_never_arrived_is_reported_not_done_and_the_new_code_locks() {
    let (t, relay, url) = common::relay::server_behind_relay(lock_finish).await;
    let lan = t.person(true).await;
    let other = device_at(&t, &url, "other");
    let started = other
        .client
        .self_lock_start(&lan.citizen_id, password())
        .await
        .unwrap();
    let first = t.last_code_to(&lan.phone);
    relay.set(LOSE_REQUEST);
    let again = match other
        .client
        .self_lock_finish(&started, first)
        .await
        .unwrap()
    {
        SelfLocked::NotDone(again) => again,
        other => panic!("{other:?}"),
    };
    // Not locked: binding still starts (and sends a code of its own afterwards).
    let second = t.last_code_to(&lan.phone);
    let done = other.client.self_lock_finish(&again, second).await.unwrap();
    assert!(matches!(done, SelfLocked::Locked(_)), "{done:?}");
}

#[tokio::test]
async fn when_the_server_cannot_be_asked_either_the_lock_outcome_is_said_to_be_unknown() {
    let (t, relay, url) = common::relay::server_behind_relay(lock_finish).await;
    let lan = t.person(true).await;
    let other = device_at(&t, &url, "other");
    let started = other
        .client
        .self_lock_start(&lan.citizen_id, password())
        .await
        .unwrap();
    relay.set(LOSE_EVERYTHING);
    let err = other
        .client
        .self_lock_finish(&started, t.last_code_to(&lan.phone))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ActionOutcomeUnknown), "{err:?}");
    // The lock did arrive: the app did not claim otherwise.
    relay.set(PASS);
    let rebind = other
        .client
        .bind_start(&lan.citizen_id, password())
        .await
        .unwrap_err();
    assert!(rebind.is(ErrorCode::AccountLocked), "{rebind:?}");
}
