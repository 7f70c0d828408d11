//! The calls the app makes beyond binding and signing in, against the real server in-process
//! with the secrets in the real OS keystore: documents and registration requests, the inbox,
//! an organisation's delegates, and QR login from both ends (the desktop's ephemeral key and
//! push channel, the phone's view, approval and refusal).

use crate::common;

use common::{PASSCODE, TestServer};
use dinhdanh_client::ClientError;
use dinhdanh_client::api::QrLoginAnswer;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, DelegationAnswer, ErrorCode, RegistrationStatus, RevokeDelegate, SessionKind,
};
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::testing::registrations::vietnam_date;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

#[tokio::test]
async fn a_type_4_request_is_submitted_with_its_uploaded_decision_and_listed() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;

    let decision = phone
        .client
        .upload_attachment(DocumentKind::FoundingDecision, PDF)
        .await
        .unwrap();
    assert_eq!(decision.kind, DocumentKind::FoundingDecision);
    assert_eq!(decision.size, PDF.len() as u64);

    let form = OrganisationForm {
        name_vi: "Câu lạc bộ Cờ tướng Hoàn Kiếm".into(),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 1 phố Tràng Tiền, phường Hoàn Kiếm".into(),
        head_office_province: "ha_noi".into(),
        representatives: vec![RepresentativeForm {
            full_name: "Nguyễn Thị Lan".into(),
            citizen_id: p.citizen_id.as_str().into(),
        }],
        contact_phone: "0912345678".into(),
        founding_decision: decision.id.as_str().into(),
        ..OrganisationForm::default()
    };
    let org = OrgType::OrganisationWithoutRegistration;
    let details = form
        .validate(org, vietnam_date(phone.client.now()))
        .unwrap();
    let reg = phone
        .client
        .submit_registration(org, details, &phone.passcode(PASSCODE))
        .await
        .unwrap();
    assert_eq!(reg.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(reg.attachments.len(), 1);

    let listed = phone.client.registrations().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, reg.id);
    assert_eq!(phone.client.registration(&reg.id).await.unwrap(), reg);
    // The inbox answers (what it holds is the server's business).
    phone.client.notifications().await.unwrap();
}

#[tokio::test]
async fn a_file_that_is_not_pdf_jpeg_or_png_is_refused_before_it_is_sent() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let err = phone
        .client
        .upload_attachment(DocumentKind::FoundingDecision, b"MZ\x90\x00 an executable")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "attachment_type");
}

#[tokio::test]
async fn an_owner_adds_a_delegate_who_accepts_and_then_revokes_them() {
    let t = TestServer::start().await;
    let owner_p = t.person(true).await;
    let owner = t.device("owner");
    owner.bind_and_sign_in(&t, &owner_p).await;
    let eid = common::organisation_owned_by(&t, &owner_p, "Công ty TNHH Ủy Quyền").await;
    let record = owner.client.organisation(&eid).await.unwrap();
    assert_eq!(record.eid, eid);

    let delegate_p = t.person(true).await;
    let delegate = t.device("delegate");
    delegate.bind_and_sign_in(&t, &delegate_p).await;

    let added = owner
        .client
        .add_delegate(
            AddDelegate {
                organisation: eid.clone(),
                citizen_id: delegate_p.citizen_id.clone(),
                role: OrgRole::Member,
                expires_on: None,
            },
            &owner.passcode(PASSCODE),
        )
        .await
        .unwrap();
    assert_eq!(added.role, OrgRole::Member);
    assert_eq!(owner.client.delegations(&eid).await.unwrap().len(), 2);

    let accepted = delegate
        .client
        .answer_delegation(
            DelegationAnswer {
                organisation: eid.clone(),
                delegation: added.id.clone(),
                accept: true,
            },
            &delegate.passcode(PASSCODE),
        )
        .await
        .unwrap();
    assert!(accepted.accepted_at.is_some());

    owner
        .client
        .revoke_delegate(
            RevokeDelegate {
                organisation: eid.clone(),
                delegation: added.id.clone(),
            },
            &owner.passcode(PASSCODE),
        )
        .await
        .unwrap();
    let revoked = owner
        .client
        .delegations(&eid)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == added.id)
        .unwrap();
    assert!(revoked.revoked_at.is_some());
}

#[tokio::test]
async fn the_desktop_is_signed_in_by_the_phones_approval_in_a_session_bound_to_its_own_key() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = t.device("desktop");

    let pending = desktop
        .client
        .qr_login_start("Máy tính văn phòng", "Ubuntu 24.04")
        .await
        .unwrap();
    let payload = QrLoginPayload::parse(&pending.payload.to_uri()).unwrap();
    let view = phone.client.qr_login_request(&payload).await.unwrap();
    assert_eq!(view.client_name, "Máy tính văn phòng");
    assert_eq!(view.check_code, pending.check_code);

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
    let QrLoginAnswer::SignedIn(signed_in) = answer.unwrap() else {
        panic!("expected the desktop to be signed in");
    };
    assert_eq!(signed_in.session.kind, SessionKind::Desktop);
    assert_eq!(Some(&signed_in.account.id), p.account.as_ref());

    // The profile is a QR desktop: never bound, its session key the ephemeral one.
    let state = desktop.client.state();
    assert!(state.signed_in_by_qr);
    assert!(state.device.is_none());
    let key = desktop.keystore.desktop_key().unwrap().unwrap();
    assert_eq!(signed_in.session.bound_key_id, key.key_id());
    assert!(desktop.keystore.device_key().unwrap().is_none());
    assert_eq!(desktop.client.me().await.unwrap().id, signed_in.account.id);

    // A desktop confirms nothing itself.
    let err = desktop
        .client
        .switch_account(None, &phone.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::ConfirmOnPhone), "{err:?}");

    // Signing out forgets the token and the ephemeral key: the profile is new again.
    desktop.client.logout().await.unwrap();
    assert!(!desktop.client.state().signed_in_by_qr);
    assert!(desktop.keystore.desktop_key().unwrap().is_none());
    assert!(desktop.keystore.session_token().unwrap().is_none());
}

#[tokio::test]
async fn a_declined_login_reaches_the_waiting_desktop_at_once() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = t.device("desktop");
    let pending = desktop.client.qr_login_start("PC", "Linux").await.unwrap();
    let payload = pending.payload.clone();
    let wait = tokio::spawn(async move {
        let answer = desktop.client.qr_login_wait(pending).await;
        (desktop, answer)
    });
    phone.client.decline_qr_login(&payload).await.unwrap();
    let started = std::time::Instant::now();
    let (desktop, answer) = wait.await.unwrap();
    assert!(matches!(answer.unwrap(), QrLoginAnswer::Declined));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(!desktop.client.state().signed_in_by_qr);
    assert!(desktop.keystore.session_token().unwrap().is_none());
}

#[tokio::test]
async fn the_phone_refuses_a_code_of_another_server_without_asking_its_own() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let desktop = t.device("desktop");
    let pending = desktop.client.qr_login_start("PC", "Linux").await.unwrap();
    let foreign = QrLoginPayload::new(
        pending.payload.rendezvous().clone(),
        pending.payload.desktop_key().clone(),
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        pending.expires_at(),
    )
    .unwrap();
    let err = phone.client.qr_login_request(&foreign).await.unwrap_err();
    assert!(err.api().is_none(), "refused on the phone: {err:?}");
    let err = phone
        .client
        .approve_qr_login(&foreign, None, &phone.passcode(PASSCODE))
        .await
        .unwrap_err();
    assert!(err.api().is_none(), "refused on the phone: {err:?}");
}

#[tokio::test]
async fn a_bound_phone_cannot_start_a_qr_login_for_itself() {
    let t = TestServer::start().await;
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(&t, &p).await;
    let err = phone
        .client
        .qr_login_start("PC", "Linux")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "qr_login_on_bound_device");
    assert!(!err.is(ErrorCode::Forbidden));
}
