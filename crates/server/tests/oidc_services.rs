//! Signing in to services as an organisation, service by service: a delegate signs in as the
//! organisation only to the services their delegation lists, within its dates; the owner (the
//! organisation's head) is not limited; removing a service makes its live token inactive at
//! once; the phone's account choice lists only organisations allowed here. Each test fails
//! when its rule is taken out.

use crate::common;
use crate::identity;
use crate::oidc_rp;

use chrono::{Duration, NaiveDate};
use common::{Auth, Backend, Device, Session, TestServer, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, ChallengePurpose, DelegatedService, DelegationView, ErrorCode, OidcSignInView,
    ServiceConsentView, ServiceView, SetDelegationServices, paths,
};
use dinhdanh_core::ids::{DelegationId, OrgEid, TaxCode};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::{clients, organisations};
use identity::{PASSCODE, Person, assert_error, signed_in as person_signed_in};
use oidc_rp::{Flow, Rp, signed_in};
use serde_json::{Value, json};

/// A signed-in person with their phone.
struct Who {
    p: Person,
    device: Device,
    session: Session,
}

async fn who(t: &TestServer) -> Who {
    let (p, device, _, session) = person_signed_in(t).await;
    Who { p, device, session }
}

/// An enterprise owned by `owner`, and a member who accepted their delegation.
async fn organisation_with_member(t: &TestServer, owner: &Who) -> (OrgEid, Who, DelegationId) {
    let tax = (8101..).find_map(TaxCode::from_body).unwrap();
    let eid = identity::enterprise_owned_by(
        t,
        &owner.p.account,
        &owner.p.citizen_id,
        "Nguyễn Thị Lan",
        "Công ty TNHH Dịch vụ số",
        tax,
    )
    .await;
    let member = who(t).await;
    let view = organisations::add_delegate(
        t.state(),
        &organisations::Actor::person(&owner.p.account),
        &AddDelegate {
            organisation: eid.clone(),
            citizen_id: member.p.citizen_id.clone(),
            role: OrgRole::Member,
            expires_on: None,
        },
    )
    .await
    .unwrap();
    organisations::answer_delegation(
        t.state(),
        &organisations::Actor::person(&member.p.account),
        &eid,
        &view.id,
        true,
    )
    .await
    .unwrap();
    (eid, member, view.id)
}

/// `by` sets the services of a delegation over HTTP, confirmed with the passcode.
async fn set_services(
    t: &TestServer,
    by: &Who,
    eid: &OrgEid,
    id: &DelegationId,
    services: Vec<DelegatedService>,
) -> reqwest::Response {
    let body = SetDelegationServices {
        organisation: eid.clone(),
        delegation: id.clone(),
        services,
    };
    let kind = ActionKind::SetDelegationServices;
    let challenge = t
        .challenge(ChallengePurpose::Action { kind }, Some(&by.session))
        .await;
    let confirmed = by.device.confirm(
        t.now(),
        body,
        kind,
        t.origin(),
        challenge,
        &by.p.account,
        None,
        ActionTarget::new("delegation", id.as_str()).unwrap(),
        PASSCODE,
    );
    let path = paths::fill(
        &paths::fill(paths::DELEGATION_SERVICES, "eid", eid.as_str()),
        "id",
        id.as_str(),
    );
    let bytes = serde_json::to_vec(&confirmed).unwrap();
    t.send("PUT", &path, Some(&bytes), Auth::Session(&by.session))
        .await
}

async fn services_set(
    t: &TestServer,
    by: &Who,
    eid: &OrgEid,
    id: &DelegationId,
    services: Vec<DelegatedService>,
) -> DelegationView {
    let resp = set_services(t, by, eid, id, services).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn service(rp: &Rp, from: Option<NaiveDate>, until: Option<NaiveDate>) -> DelegatedService {
    DelegatedService {
        client_id: rp.client_id.clone(),
        from,
        until,
    }
}

/// Today in Vietnam on the server's clock.
fn today(t: &TestServer) -> NaiveDate {
    chrono::DateTime::from_timestamp(t.now() + 7 * 3600, 0)
        .unwrap()
        .date_naive()
}

/// The phone reads a sign-in started with `scope`: its view and what the browser needs.
async fn started(t: &TestServer, rp: &Rp, w: &Who, scope: &str) -> (OidcSignInView, String) {
    let flow = Flow::new(scope);
    let request_uri = rp.push(t, &flow).await;
    let (sign_in, _) = rp.authorize(t, &request_uri).await;
    let resp = oidc_rp::read(t, &w.session, &sign_in).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    (resp.json().await.unwrap(), sign_in)
}

async fn delegations(t: &TestServer, by: &Who, eid: &OrgEid) -> Vec<DelegationView> {
    let resp = t
        .get(
            &paths::fill(paths::DELEGATIONS, "eid", eid.as_str()),
            Auth::Session(&by.session),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

backend_test!(a_delegate_signs_in_as_the_organisation_only_to_the_services_their_delegation_allows);
async fn a_delegate_signs_in_as_the_organisation_only_to_the_services_their_delegation_allows(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let (eid, member, dlg) = organisation_with_member(&t, &owner).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let personal_only = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;

    // The services a delegation may allow: the ones that accept organisation accounts.
    let services: Vec<ServiceView> = t
        .get(paths::SERVICES, Auth::Session(&owner.session))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].client_id, rp.client_id);
    assert_eq!(services[0].origins, ["https://dichvucong.example.vn"]);

    // A delegation starts with no outside service; the owner's is not limited by a list.
    let views = delegations(&t, &owner, &eid).await;
    let of = |views: &[DelegationView], role| {
        views
            .iter()
            .find(|v| v.role == role)
            .unwrap()
            .services
            .clone()
    };
    assert_eq!(of(&views, OrgRole::Member), Some(vec![]));
    assert_eq!(of(&views, OrgRole::Owner), None);

    // No services yet: the organisation is not offered, and choosing it is refused with the
    // sentence that says why and who can change it; the refusal is audited.
    let (view, sign_in) = started(&t, &rp, &member, "openid organisation").await;
    assert!(view.accounts.is_empty(), "{:?}", view.accounts);
    let resp = oidc_rp::approve(
        &t,
        &member.session,
        &member.device,
        &sign_in,
        Some(eid.clone()),
    )
    .await;
    let error = assert_error(resp, ErrorCode::ServiceNotDelegated).await;
    assert!(error.message_en.contains("administrators"), "{error:?}");
    assert!(
        error.message_vi.contains("Người đứng đầu tổ chức"),
        "{error:?}"
    );
    let denied: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'oidc.approve' AND outcome = 'denied' \
         AND actor = $1",
    )
    .bind(member.p.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(denied, 1);

    // Allowed only from tomorrow: still refused today.
    let tomorrow = today(&t) + Duration::days(1);
    let view = services_set(
        &t,
        &owner,
        &eid,
        &dlg,
        vec![service(&rp, Some(tomorrow), None)],
    )
    .await;
    let listed = view.services.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert_eq!(listed[0].from, Some(tomorrow));
    assert!(listed[0].available);
    let (view, sign_in) = started(&t, &rp, &member, "openid organisation").await;
    assert!(view.accounts.is_empty());
    let resp = oidc_rp::approve(
        &t,
        &member.session,
        &member.device,
        &sign_in,
        Some(eid.clone()),
    )
    .await;
    assert_error(resp, ErrorCode::ServiceNotDelegated).await;

    // Allowed from today until tomorrow: offered, and the sign-in goes through.
    services_set(
        &t,
        &owner,
        &eid,
        &dlg,
        vec![service(&rp, Some(today(&t)), Some(tomorrow))],
    )
    .await;
    let (view, _) = started(&t, &rp, &member, "openid organisation").await;
    assert_eq!(
        view.accounts.iter().map(|o| &o.eid).collect::<Vec<_>>(),
        [&eid]
    );
    let (access, _, _) = signed_in(
        &t,
        &rp,
        &member.session,
        &member.device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;
    let intro = rp.introspect(&t, &access).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["organisation"]["role"], "member");
    assert_eq!(intro["organisation"]["allowed_here"], true);

    // The service is taken off the list: the live token is inactive at once, and userinfo
    // refuses it.
    let view = services_set(&t, &owner, &eid, &dlg, vec![]).await;
    assert_eq!(view.services, Some(vec![]));
    assert_eq!(rp.introspect(&t, &access).await, json!({"active": false}));
    let proof = rp.dpop(
        &t,
        "GET",
        dinhdanh_server::testing::oidc::USERINFO,
        Some(&access),
    );
    assert_eq!(rp.userinfo(&t, &access, proof).await.status(), 401);

    // The owner — the organisation's head — is not limited by lists: no list, and they sign in.
    let (view, _) = started(&t, &rp, &owner, "openid organisation").await;
    assert_eq!(view.accounts.len(), 1);
    let (access, _, _) = signed_in(
        &t,
        &rp,
        &owner.session,
        &owner.device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;
    let intro: Value = rp.introspect(&t, &access).await;
    assert_eq!(intro["organisation"]["role"], "owner");

    // A personal-only service is never offered for the organisation.
    let (view, _) = started(&t, &personal_only, &owner, "openid organisation").await;
    assert!(view.accounts.is_empty());
}

backend_test!(only_managers_set_a_delegations_services_and_every_service_is_checked);
async fn only_managers_set_a_delegations_services_and_every_service_is_checked(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let (eid, member, dlg) = organisation_with_member(&t, &owner).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let personal_only = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;
    let disabled = Rp::register(&t, "Bảo hiểm xã hội", "bhxh.example.vn", true).await;
    clients::disable_client(t.state(), &disabled.client_id)
        .await
        .unwrap();

    // A member does not widen their own delegation.
    let resp = set_services(&t, &member, &eid, &dlg, vec![service(&rp, None, None)]).await;
    assert_error(resp, ErrorCode::Forbidden).await;

    // Unknown, personal-only and disabled services are refused on their field.
    for bad in [
        DelegatedService {
            client_id: "rp_unknown".into(),
            from: None,
            until: None,
        },
        service(&personal_only, None, None),
        service(&disabled, None, None),
    ] {
        let resp = set_services(&t, &owner, &eid, &dlg, vec![service(&rp, None, None), bad]).await;
        let error = assert_error(resp, ErrorCode::UnknownService).await;
        assert_eq!(
            error.details[0].field.as_deref(),
            Some("body.services[1].client_id")
        );
    }
    // Dates the wrong way round, or already over.
    let today = today(&t);
    for (from, until) in [
        (
            Some(today + Duration::days(2)),
            Some(today + Duration::days(1)),
        ),
        (None, Some(today - Duration::days(1))),
    ] {
        let resp = set_services(&t, &owner, &eid, &dlg, vec![service(&rp, from, until)]).await;
        assert_error(resp, ErrorCode::ValidationFailed).await;
    }
    // Nothing of it was stored.
    let views = delegations(&t, &owner, &eid).await;
    let member_view = views.iter().find(|v| v.id == dlg).unwrap();
    assert_eq!(member_view.services, Some(vec![]));

    // The owner's change is audited.
    services_set(&t, &owner, &eid, &dlg, vec![service(&rp, None, None)]).await;
    let set: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'delegation.services_set' AND object = $1",
    )
    .bind(format!("delegation:{dlg}"))
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(set, 1);
}

// ---------------------------------------------------------------------------------------------
// Consent, listed and withdrawable
// ---------------------------------------------------------------------------------------------

async fn consents(t: &TestServer, w: &Who) -> Vec<ServiceConsentView> {
    let resp = t
        .get(paths::SERVICE_CONSENTS, Auth::Session(&w.session))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn withdraw(t: &TestServer, w: &Who, client_id: &str) -> reqwest::Response {
    t.send(
        "DELETE",
        &paths::fill(paths::SERVICE_CONSENT, "client_id", client_id),
        None,
        Auth::Session(&w.session),
    )
    .await
}

backend_test!(an_approval_records_consent_which_is_listed_and_withdrawn_with_the_tokens);
async fn an_approval_records_consent_which_is_listed_and_withdrawn_with_the_tokens(db: Backend) {
    let t = TestServer::start(db).await;
    let owner = who(&t).await;
    let (eid, _, _) = organisation_with_member(&t, &owner).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let other = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;
    assert!(consents(&t, &owner).await.is_empty());

    // The first approval records the consent: the service, the account, the claims.
    let start = t.now();
    let (first_token, _, _) = signed_in(
        &t,
        &rp,
        &owner.session,
        &owner.device,
        "openid profile",
        None,
    )
    .await;
    let listed = consents(&t, &owner).await;
    assert_eq!(listed.len(), 1);
    let c = &listed[0];
    assert_eq!(c.client_id, rp.client_id);
    assert_eq!(c.name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert_eq!(c.origins, ["https://dichvucong.example.vn"]);
    assert_eq!(c.organisation, None);
    assert_eq!(c.claims, ["name"]);
    assert_eq!(c.first_used_at.timestamp(), start);

    // Asking for less later only marks it used; asking for more (as the organisation, another
    // account) records that set apart.
    t.clock.advance(60);
    let (second_token, _, _) =
        signed_in(&t, &rp, &owner.session, &owner.device, "openid", None).await;
    let listed = consents(&t, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].claims, ["name"]);
    assert_eq!(listed[0].first_used_at.timestamp(), start);
    assert_eq!(listed[0].last_used_at.timestamp(), start + 60);
    t.clock.advance(60);
    let (org_token, _, _) = signed_in(
        &t,
        &rp,
        &owner.session,
        &owner.device,
        "openid profile organisation",
        Some(eid.clone()),
    )
    .await;
    let (other_token, _, _) =
        signed_in(&t, &other, &owner.session, &owner.device, "openid", None).await;
    let listed = consents(&t, &owner).await;
    assert_eq!(listed.len(), 3);
    let as_org = listed
        .iter()
        .find(|c| c.organisation.as_ref() == Some(&eid))
        .unwrap();
    assert_eq!(as_org.claims, ["name", "organisation"]);
    assert_eq!(
        as_org.organisation_name.as_deref(),
        Some("Công ty TNHH Dịch vụ số")
    );
    // A personal sign-in asking for more than the consent holds records the new set.
    let (_, _, _) = signed_in(
        &t,
        &other,
        &owner.session,
        &owner.device,
        "openid profile",
        None,
    )
    .await;
    let listed = consents(&t, &owner).await;
    let at_other = listed
        .iter()
        .find(|c| c.client_id == other.client_id)
        .unwrap();
    assert_eq!(at_other.claims, ["name"]);

    // Withdrawing one tap: every consent to that service, and the live tokens, at once.
    for token in [&first_token, &second_token, &org_token] {
        assert_eq!(rp.introspect(&t, token).await["active"], true);
    }
    let resp = withdraw(&t, &owner, &rp.client_id).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let done: Value = resp.json().await.unwrap();
    assert_eq!(done["consents"], 2);
    assert_eq!(done["tokens_revoked"], 3);
    for token in [&first_token, &second_token, &org_token] {
        assert_eq!(rp.introspect(&t, token).await, json!({"active": false}));
    }
    // The other service is untouched.
    assert_eq!(other.introspect(&t, &other_token).await["active"], true);
    let listed = consents(&t, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_id, other.client_id);
    // Audited, naming the service.
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'service_consent.withdrawn' \
         AND object = $1 AND actor = $2",
    )
    .bind(format!("oidc_client:{}", rp.client_id))
    .bind(owner.p.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Nothing left to withdraw.
    assert_error(
        withdraw(&t, &owner, &rp.client_id).await,
        ErrorCode::NotFound,
    )
    .await;

    // Approving again gives the consent again.
    signed_in(&t, &rp, &owner.session, &owner.device, "openid", None).await;
    let listed = consents(&t, &owner).await;
    let again = listed.iter().find(|c| c.client_id == rp.client_id).unwrap();
    assert!(again.claims.is_empty());
    assert_eq!(again.first_used_at.timestamp(), t.now());
}

// ---------------------------------------------------------------------------------------------
// The identification number (CCCD)
// ---------------------------------------------------------------------------------------------

/// A relying party registered like [`Rp::register`], and allowed the CCCD number when
/// `citizen_id`.
async fn register_rp(t: &TestServer, name: &str, host: &str, citizen_id: bool) -> Rp {
    use p256::ecdsa::SigningKey;
    use rand_core::OsRng;
    let key = SigningKey::random(&mut OsRng);
    let kid = "rp-key-1".to_owned();
    let jwks = json!({"keys": [oidc_rp::public_jwk(&key, Some(&kid))]}).to_string();
    let redirect_uri = format!("https://{host}/callback");
    let client = clients::add_client(
        t.state(),
        &clients::ClientRegistration {
            name_vi: format!("{name} (thử nghiệm)"),
            name_en: format!("{name} (test)"),
            redirect_uris: vec![redirect_uri.clone()],
            jwks,
            sector: None,
            allowed_claims: vec!["name".into()],
            allow_organisations: false,
            allow_citizen_id: citizen_id,
            logo: None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    Rp {
        client_id: client.id,
        key,
        kid,
        redirect_uri,
        dpop_key: SigningKey::random(&mut OsRng),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// A whole personal sign-in where the phone approves `claims` (as shown, or with some left
/// out); the ID token's claims and userinfo's answer.
async fn signed_in_approving(
    t: &TestServer,
    rp: &Rp,
    w: &Who,
    scope: &str,
    keep: impl Fn(&str) -> bool,
) -> (Vec<String>, Value, Value) {
    let flow = Flow::new(scope);
    let request_uri = rp.push(t, &flow).await;
    let (sign_in, cookie) = rp.authorize(t, &request_uri).await;
    let resp = oidc_rp::read(t, &w.session, &sign_in).await;
    let view: OidcSignInView = resp.json().await.unwrap();
    let mut body = oidc_rp::approval_body(&view, None);
    body.claims.retain(|c| keep(c));
    let confirmed = oidc_rp::confirm(
        t,
        &w.session,
        &w.device,
        ActionKind::ApproveOidcSignIn,
        &sign_in,
        body,
    )
    .await;
    let resp = t
        .post(
            &paths::OIDC_SIGN_IN_APPROVAL.replace("{sign_in}", &sign_in),
            &confirmed,
            Auth::Session(&w.session),
        )
        .await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let code = rp.code(t, &flow, &sign_in, &cookie).await;
    let resp = rp.token(t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let body: Value = resp.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    // The signature is checked by the protocol tests; here only what the token says.
    let payload = id_token.split('.').nth(1).unwrap();
    let id_claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let proof = rp.dpop(
        t,
        "GET",
        dinhdanh_server::testing::oidc::USERINFO,
        Some(access),
    );
    let info = rp.userinfo(t, access, proof).await;
    assert_eq!(info.status(), 200);
    (view.claims, id_claims, info.json().await.unwrap())
}

backend_test!(
    the_cccd_number_goes_only_to_a_registered_service_that_asks_with_the_persons_approval
);
async fn the_cccd_number_goes_only_to_a_registered_service_that_asks_with_the_persons_approval(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let w = who(&t).await;
    let number = w.p.citizen_id.as_str().to_owned();
    let allowed = register_rp(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let not_allowed = register_rp(&t, "Thuế điện tử", "thue.example.vn", false).await;

    // Discovery lists the scope and the claim.
    let config: Value = reqwest::get(oidc_rp::url(&t, dinhdanh_server::testing::oidc::DISCOVERY))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        config["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("cccd"))
    );
    assert!(
        config["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("cccd"))
    );

    // A service not registered for it is refused at the push.
    let flow = Flow::new("openid cccd");
    let resp = not_allowed
        .push_params(&t, &not_allowed.par_params(&t, &flow))
        .await;
    assert_eq!(
        oidc_rp::oauth_error(resp).await,
        (400, "invalid_scope".into())
    );

    // Registered, but not asked: not shown, not released.
    let (shown, id_claims, info) = signed_in_approving(&t, &allowed, &w, "openid", |_| true).await;
    assert!(!shown.contains(&"cccd".to_owned()));
    assert!(id_claims.get("cccd").is_none() && info.get("cccd").is_none());

    // Asked: shown; the person leaves it out of the approval, and it is not released.
    let (shown, id_claims, info) =
        signed_in_approving(&t, &allowed, &w, "openid cccd", |c| c != "cccd").await;
    assert_eq!(shown, ["cccd"]);
    assert!(id_claims.get("cccd").is_none() && info.get("cccd").is_none());

    // Registered, asked and approved: in the ID token and userinfo.
    let (_, id_claims, info) =
        signed_in_approving(&t, &allowed, &w, "openid profile cccd", |_| true).await;
    assert_eq!(id_claims["cccd"], number.as_str());
    assert_eq!(info["cccd"], number.as_str());
    assert_eq!(id_claims["name"], "Nguyễn Thị Lan");

    // The audit names the release, never the number.
    // Every text column of every entry, as one string per entry.
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(actor, '') || ' ' || COALESCE(acting_for, '') || ' ' || \
         COALESCE(device, '') || ' ' || action || ' ' || COALESCE(object, '') || ' ' || outcome \
         FROM audit_log",
    )
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(!row.contains(&number), "{row}");
    }
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains(" oidc.approve_cccd "))
            .count(),
        1
    );
    // And the consent lists the claim.
    let listed = consents(&t, &w).await;
    assert!(listed[0].claims.contains(&"cccd".to_owned()));
}
