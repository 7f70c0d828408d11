//! Step-up and desktop actions confirmed on the phone, through the client as the app uses it:
//! the real server in-process, the secrets in the real OS keystore, a phone profile and a
//! desktop profile signed in by QR.

use crate::common;

use common::{Device, PASSCODE, TestServer};
use dinhdanh_client::ClientError;
use dinhdanh_client::api::QrLoginAnswer;
use dinhdanh_core::api::{
    AccountChoices, DesktopActionEvent, ErrorCode, SessionKind, StepUpPurpose, SwitchAccount,
};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::signed_action::ActionKind;

const ORG_NAME: &str = "Công ty TNHH Máy tính và Điện thoại";

/// A desktop profile signed in by QR with `phone`'s approval (personal account).
async fn desktop_signed_in(t: &TestServer, phone: &Device) -> Device {
    let desktop = t.device("desktop");
    let pending = desktop
        .client
        .qr_login_start("Máy tính văn phòng", "Ubuntu 24.04")
        .await
        .unwrap();
    let payload = QrLoginPayload::parse(&pending.payload.to_uri()).unwrap();
    let wait = tokio::spawn(async move {
        let answer = desktop.client.qr_login_wait(pending).await;
        (desktop, answer)
    });
    phone
        .client
        .approve_qr_login(&payload, None, &phone.passcode(PASSCODE))
        .await
        .unwrap();
    let (desktop, answer) = wait.await.unwrap();
    assert!(
        matches!(answer, Ok(QrLoginAnswer::SignedIn(_))),
        "{answer:?}"
    );
    desktop
}

#[tokio::test]
async fn the_wizard_step_up_passes_with_the_passcode_and_counts_a_wrong_one() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let purpose = StepUpPurpose::OpenOrganisationIdentity;

    let done = phone
        .client
        .step_up(purpose, &phone.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(done.purpose, purpose);
    assert!(done.until.timestamp() > phone.client.now());

    let err = phone
        .client
        .step_up(purpose, &phone.passcode("314159"))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::WrongConfirmation), "{err:?}");
}

#[tokio::test]
async fn a_switch_started_on_the_desktop_waits_for_the_phone_and_then_applies_to_the_desktop() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let eid = common::organisation_owned_by(&t, &p, ORG_NAME).await;
    let desktop = desktop_signed_in(&t, &phone).await;

    // The desktop cannot confirm itself; it asks the phone.
    let action = desktop
        .client
        .start_desktop_action(
            ActionKind::SwitchAccount,
            &SwitchAccount {
                to: Some(eid.clone()),
            },
        )
        .await
        .unwrap();
    assert!(
        action.summary_vi.contains(ORG_NAME),
        "{}",
        action.summary_vi
    );
    let wait = tokio::spawn(async move {
        let event = desktop.client.wait_desktop_action(&action).await;
        (desktop, event)
    });

    let listed = phone.client.pending_desktop_actions().await.unwrap();
    assert_eq!(listed.len(), 1);
    let answered = phone
        .client
        .confirm_desktop_action(&listed[0], &phone.passcode(PASSCODE))
        .await
        .unwrap();
    let (desktop, event) = wait.await.unwrap();
    let event = event.unwrap();
    assert_eq!(event, answered);
    let DesktopActionEvent::Done { result } = event else {
        panic!("expected done, got {event:?}");
    };
    let choices: AccountChoices = serde_json::from_value(result).unwrap();
    assert_eq!(choices.active, Some(eid.clone()));

    // The desktop now acts for the organisation; the phone stays personal.
    assert_eq!(desktop.client.state().acting_for, Some(eid.clone()));
    assert_eq!(phone.client.state().acting_for, None);
    let sessions = phone.client.sessions().await.unwrap();
    let on_desktop = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Desktop)
        .unwrap();
    assert_eq!(on_desktop.acting_for, Some(eid));
    assert!(
        phone
            .client
            .pending_desktop_actions()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_decline_on_the_phone_reaches_the_waiting_desktop_and_disallowed_kinds_are_refused() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = desktop_signed_in(&t, &phone).await;

    let err = desktop
        .client
        .start_desktop_action(ActionKind::BindDevice, &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::DesktopActionNotAllowed), "{err:?}");

    let action = desktop
        .client
        .start_desktop_action(ActionKind::SwitchAccount, &SwitchAccount { to: None })
        .await
        .unwrap();
    let id = action.id.clone();
    let wait = tokio::spawn(async move {
        let event = desktop.client.wait_desktop_action(&action).await;
        (desktop, event)
    });
    phone.client.decline_desktop_action(&id).await.unwrap();
    let (_desktop, event) = wait.await.unwrap();
    assert_eq!(event.unwrap(), DesktopActionEvent::Declined);

    let err: ClientError = phone.client.decline_desktop_action(&id).await.unwrap_err();
    assert!(err.is(ErrorCode::DesktopActionAnswered), "{err:?}");
}
