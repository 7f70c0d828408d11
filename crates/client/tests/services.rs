//! Services and consents through the client as the app uses them: the real server in-process,
//! the secrets in the real OS keystore. An owner lists the services a delegation may allow and
//! sets them (confirmed with the passcode); a person lists their consents to services and
//! withdraws one in a tap.

use crate::common;

use common::{PASSCODE, TestServer, organisation_owned_by};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{AddDelegate, DelegatedService, ErrorCode, SetDelegationServices};
use dinhdanh_server::testing::clients::{self, ClientRegistration};
use dinhdanh_server::testing::organisations::{self, Actor};
use dinhdanh_server::testing::services;

/// Registers a service that accepts organisation accounts (its key is never used here).
async fn service(t: &TestServer) -> String {
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "k1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }]});
    clients::add_client(
        &t.server.state,
        &ClientRegistration {
            name_vi: "Cổng dịch vụ công (thử nghiệm)".into(),
            name_en: "Public service portal (test)".into(),
            redirect_uris: vec!["https://dichvucong.example.vn/callback".into()],
            jwks: jwks.to_string(),
            allowed_claims: vec!["name".into()],
            allow_organisations: true,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn an_owner_sets_the_services_of_a_delegation_and_a_person_withdraws_a_consent() {
    let t = TestServer::start().await;
    let owner = t.person(true).await;
    let owner_phone = t.device("owner");
    owner_phone.bind_and_sign_in(&t, &owner).await;
    let eid = organisation_owned_by(&t, &owner, "Công ty TNHH Dịch vụ số").await;
    let member = t.person(true).await;
    let member_phone = t.device("member");
    member_phone.bind_and_sign_in(&t, &member).await;
    let member_account = member.account.clone().unwrap();
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
    let client_id = service(&t).await;

    // The services a delegation may allow, from the registry.
    let offered = owner_phone.client.services().await.unwrap();
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].client_id, client_id);
    assert_eq!(offered[0].origins, ["https://dichvucong.example.vn"]);

    // The owner allows it, confirmed with the passcode; the delegation says so.
    let view = owner_phone
        .client
        .set_delegation_services(
            SetDelegationServices {
                organisation: eid.clone(),
                delegation: dlg.clone(),
                services: vec![DelegatedService {
                    client_id: client_id.clone(),
                    from: None,
                    until: None,
                }],
            },
            &owner_phone.passcode(PASSCODE),
        )
        .await
        .unwrap();
    let listed = view.services.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name_en, "Public service portal (test)");
    // The member cannot widen their own.
    let err = member_phone
        .client
        .set_delegation_services(
            SetDelegationServices {
                organisation: eid.clone(),
                delegation: dlg.clone(),
                services: vec![],
            },
            &member_phone.passcode(PASSCODE),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorCode::Forbidden));

    // A consent (as an approval on the phone records it), listed and withdrawn in a tap.
    assert!(
        member_phone
            .client
            .service_consents()
            .await
            .unwrap()
            .is_empty()
    );
    services::record_consent(state, &member_account, &client_id, None, &["name".into()])
        .await
        .unwrap();
    let consents = member_phone.client.service_consents().await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].client_id, client_id);
    assert_eq!(consents[0].name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert_eq!(consents[0].claims, ["name"]);
    assert_eq!(consents[0].organisation, None);
    let withdrawn = member_phone
        .client
        .withdraw_service_consent(&client_id)
        .await
        .unwrap();
    assert_eq!(withdrawn.consents, 1);
    assert!(
        member_phone
            .client
            .service_consents()
            .await
            .unwrap()
            .is_empty()
    );
    // Nothing left to withdraw.
    let err = member_phone
        .client
        .withdraw_service_consent(&client_id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorCode::NotFound));
}
