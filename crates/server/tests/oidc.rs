//! The backend as an OpenID provider, over HTTP with real keys: a relying party pushes its
//! request, the browser is bound to the sign-in by a cookie, the phone approves with its
//! passcode, the browser gets the code, the relying party redeems it with its client assertion,
//! the PKCE verifier and a DPoP proof. Each rule of the point 1 has a test here that
//! fails when the rule is taken out.

use crate::common;
use crate::identity;
use crate::oidc_rp;

use common::TestServer;
use common::{Backend, backend_test};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{ErrorCode, Notification, NotificationKind, OidcSignInView, paths};
use dinhdanh_core::ids::{OrgEid, TaxCode};
use dinhdanh_core::signed_action::ActionKind;
use dinhdanh_server::testing::{accounts, oidc};
use identity::{Person, assert_error, signed_in as person_signed_in};
use jsonwebtoken::{Algorithm, Header};
use oidc_rp::{
    Flow, JWT_BEARER, Rp, jwks, oauth_error, random_text, signed_in, url, verify_id_token,
};
use p256::ecdsa::SigningKey;
use rand_core::OsRng;
use serde_json::{Value, json};

async fn enterprise_of(t: &TestServer, p: &Person) -> OrgEid {
    let tax = (7101..).find_map(TaxCode::from_body).unwrap();
    identity::enterprise_owned_by(
        t,
        &p.account,
        &p.citizen_id,
        "Nguyễn Thị Lan",
        "Công ty TNHH Dịch vụ công",
        tax,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The whole flow
// ---------------------------------------------------------------------------------------------

backend_test!(a_person_signs_in_to_a_service_approved_on_the_phone);
async fn a_person_signs_in_to_a_service_approved_on_the_phone(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;

    // Discovery says what the rules are.
    let config: Value = reqwest::get(url(&t, oidc::DISCOVERY))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["issuer"], t.origin().as_str());
    assert_eq!(config["require_pushed_authorization_requests"], true);
    assert_eq!(config["response_types_supported"], json!(["code"]));
    assert_eq!(config["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(
        config["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(
        config["authorization_response_iss_parameter_supported"],
        true
    );

    let flow = Flow::new("openid profile");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    // The phone sees the service's registered name and redirect origin.
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.client_name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert_eq!(view.redirect_origin, "https://dichvucong.example.vn");
    assert_eq!(view.claims, ["name"]);
    // Not answered yet: the browser waits.
    let waiting = rp.continue_with(&t, &sign_in, Some(&cookie)).await;
    assert_eq!(waiting.status(), 200);
    let resp = oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());

    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    let resp = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    assert!(body["expires_in"].as_i64().unwrap() <= 300);
    assert!(body.get("refresh_token").is_none());
    let access_token = body["access_token"].as_str().unwrap();

    let (_, claims) = verify_id_token(&t, &rp, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], flow.nonce.as_str());
    assert_eq!(claims["name"], "Nguyễn Thị Lan");
    assert_eq!(claims["acr"], oidc::ACR_LEVEL_2);
    assert_eq!(claims["amr"], json!(["pin", "swk"]));
    assert_eq!(claims["auth_time"], t.now());
    assert!(claims.get("organisation").is_none());
    let sub = claims["sub"].as_str().unwrap().to_owned();
    assert_ne!(sub, phone.account.as_str(), "pairwise, not the account id");

    // Userinfo with the token and a proof by its key; introspection for the client's back end.
    let proof = rp.dpop(&t, "GET", oidc::USERINFO, Some(access_token));
    let info = rp.userinfo(&t, access_token, proof).await;
    assert_eq!(info.status(), 200, "{}", info.text().await.unwrap());
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["sub"], sub.as_str());
    assert_eq!(info["name"], "Nguyễn Thị Lan");
    let intro = rp.introspect(&t, access_token).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["cnf"]["jkt"], rp.jkt());
    assert_eq!(intro["sub"], sub.as_str());

    // Another service in another sector gets another subject for the same person.
    let other = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;
    let (_, id_token, _) = signed_in(&t, &other, &phone, &device, "openid", None).await;
    let (_, other_claims) = verify_id_token(&t, &other, &id_token).await;
    assert_ne!(other_claims["sub"], sub.as_str());
    assert!(
        other_claims.get("name").is_none(),
        "profile was not asked for"
    );

    // The person is told of each sign-in.
    let inbox: Vec<Notification> = t
        .get(paths::NOTIFICATIONS, common::Auth::Session(&phone))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        inbox
            .iter()
            .filter(|n| n.kind == NotificationKind::ServiceSignedIn)
            .count(),
        2
    );
}

backend_test!(a_delegate_signs_in_as_the_organisation_until_it_is_locked);
async fn a_delegate_signs_in_as_the_organisation_until_it_is_locked(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &p).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let (access, id_token, _) = signed_in(
        &t,
        &rp,
        &phone,
        &device,
        "openid profile organisation",
        Some(eid.clone()),
    )
    .await;
    let (_, claims) = verify_id_token(&t, &rp, &id_token).await;
    assert_eq!(claims["organisation"]["eid"], eid.as_str());
    assert_eq!(claims["organisation"]["role"], "owner");
    assert_eq!(claims["organisation"]["type"], "enterprise");
    assert_eq!(claims["organisation"]["allowed_here"], true);
    assert_eq!(rp.introspect(&t, &access).await["active"], true);

    // The organisation is locked: the token is inactive at once.
    dinhdanh_server::testing::organisations::apply_lifecycle(
        t.state(),
        None,
        &eid,
        &dinhdanh_core::api::OrganisationLifecycle::Lock {
            reason: "Kiểm tra".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rp.introspect(&t, &access).await, json!({"active": false}));

    // A service not registered for organisations is not offered them, and refuses one.
    let personal_only = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;
    let flow = Flow::new("openid organisation");
    let request_uri = personal_only.push(&t, &flow).await;
    let (sign_in, _) = personal_only.authorize(&t, &request_uri).await;
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();
    assert!(view.accounts.is_empty());
    let resp = oidc_rp::approve(&t, &phone, &device, &sign_in, Some(eid)).await;
    assert_error(resp, ErrorCode::Forbidden).await;
}

// ---------------------------------------------------------------------------------------------
// Point 1, rule by rule
// ---------------------------------------------------------------------------------------------

backend_test!(pkce_s256_is_required_and_the_verifier_must_match);
async fn pkce_s256_is_required_and_the_verifier_must_match(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    for (drop_key, method) in [
        ("code_challenge", "S256"),
        ("code_challenge_method", ""),
        ("", "plain"),
    ] {
        let mut params = rp.par_params(&t, &flow);
        params.retain(|(k, _)| k != drop_key);
        for (k, v) in &mut params {
            if k == "code_challenge_method" {
                *v = method.into();
            }
        }
        let resp = rp.push_params(&t, &params).await;
        assert_eq!(
            oauth_error(resp).await,
            (400, "invalid_request".into()),
            "{drop_key} {method}"
        );
    }

    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    let wrong = rp.token(&t, &code, &random_text()).await;
    assert_eq!(oauth_error(wrong).await, (400, "invalid_grant".into()));
    let missing = rp.token(&t, &code, "").await;
    assert_eq!(oauth_error(missing).await, (400, "invalid_grant".into()));
    // The verifier that matches still works: a wrong guess does not burn the code.
    let right = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(right.status(), 200);
}

backend_test!(the_redirect_uri_must_be_registered_exactly_and_repeated_exactly);
async fn the_redirect_uri_must_be_registered_exactly_and_repeated_exactly(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    for other in [
        "https://dichvucong.example.vn/callback/",
        "https://dichvucong.example.vn/callback?x=1",
        "https://evil.example.vn/callback",
    ] {
        let mut params = rp.par_params(&t, &flow);
        for (k, v) in &mut params {
            if k == "redirect_uri" {
                *v = other.into();
            }
        }
        let resp = rp.push_params(&t, &params).await;
        assert_eq!(
            oauth_error(resp).await,
            (400, "invalid_request".into()),
            "{other}"
        );
    }
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    let assertion = rp.assertion(&t);
    let resp = rp
        .post_form(
            &t,
            oidc::TOKEN,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://dichvucong.example.vn/other"),
                ("code_verifier", &flow.verifier),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
            Some(rp.dpop(&t, "POST", oidc::TOKEN, None)),
        )
        .await;
    assert_eq!(oauth_error(resp).await, (400, "invalid_grant".into()));
}

backend_test!(a_replayed_code_is_refused_and_revokes_what_it_gave);
async fn a_replayed_code_is_refused_and_revokes_what_it_gave(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid profile");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    let first: Value = rp
        .token(&t, &code, &flow.verifier)
        .await
        .json()
        .await
        .unwrap();
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(rp.introspect(&t, access).await["active"], true);

    let again = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(oauth_error(again).await, (400, "invalid_grant".into()));
    assert_eq!(rp.introspect(&t, access).await, json!({"active": false}));
    let proof = rp.dpop(&t, "GET", oidc::USERINFO, Some(access));
    assert_eq!(rp.userinfo(&t, access, proof).await.status(), 401);
    // The browser cannot collect another code for the same sign-in either.
    let resp = rp.continue_with(&t, &sign_in, Some(&cookie)).await;
    assert_eq!(resp.status(), 400);
}

backend_test!(a_request_pushed_with_a_dpop_proof_binds_the_code_to_that_key);
async fn a_request_pushed_with_a_dpop_proof_binds_the_code_to_that_key(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let mut rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let params = rp.par_params(&t, &flow);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // A dpop_jkt naming another key than the proof's is refused.
    let mut with_other_jkt = pairs.clone();
    let other = SigningKey::random(&mut OsRng);
    let other_jkt =
        oidc_rp::public_jwk(&other, None).thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256);
    with_other_jkt.push(("dpop_jkt", &other_jkt));
    let proof = rp.dpop(&t, "POST", oidc::PAR, None);
    let resp = rp
        .post_form(&t, oidc::PAR, &with_other_jkt, Some(proof))
        .await;
    assert_eq!(oauth_error(resp).await, (400, "invalid_dpop_proof".into()));

    let params = rp.par_params(&t, &flow);
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let proof = rp.dpop(&t, "POST", oidc::PAR, None);
    let resp = rp.post_form(&t, oidc::PAR, &pairs, Some(proof)).await;
    assert_eq!(resp.status(), 201);
    let request_uri = resp.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    // Someone holding the code and the client's assertion key but another DPoP key gets nothing.
    let bound_key = std::mem::replace(&mut rp.dpop_key, other);
    let resp = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(oauth_error(resp).await, (400, "invalid_grant".into()));
    rp.dpop_key = bound_key;
    let resp = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 200);
}

backend_test!(an_expired_code_is_refused);
async fn an_expired_code_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    t.clock.advance(oidc::CODE_SECS);
    let resp = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

backend_test!(client_assertions_are_single_use_for_this_audience_short_lived_and_es256);
async fn client_assertions_are_single_use_for_this_audience_short_lived_and_es256(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let push_with = |assertion: String| {
        let mut params = rp.par_params(&t, &flow);
        for (k, v) in &mut params {
            if k == "client_assertion" {
                *v = assertion.clone();
            }
        }
        params
    };
    // Replay: the same assertion twice.
    let assertion = rp.assertion(&t);
    let first = rp.push_params(&t, &push_with(assertion.clone())).await;
    assert_eq!(first.status(), 201);
    let replay = rp.push_params(&t, &push_with(assertion)).await;
    assert_eq!(oauth_error(replay).await, (401, "invalid_client".into()));

    let (rp_ref, t_ref) = (&rp, &t);
    let refused = |claims: Value| {
        let params = push_with(rp_ref.assertion_with(&claims));
        async move { rp_ref.push_params(t_ref, &params).await }
    };
    // Another audience.
    let other_aud = rp.assertion_claims(&t, "https://other-provider.example.vn");
    assert_eq!(
        oauth_error(refused(other_aud).await).await,
        (401, "invalid_client".into())
    );
    // The PAR endpoint's own URL is an accepted audience.
    let par_aud = rp.assertion_claims(&t, &url(&t, oidc::PAR));
    assert_eq!(refused(par_aud).await.status(), 201);
    // Expired, and too long-lived.
    let mut expired = rp.assertion_claims(&t, t.origin().as_str());
    expired["exp"] = (t.now() - 1).into();
    assert_eq!(
        oauth_error(refused(expired).await).await,
        (401, "invalid_client".into())
    );
    let mut long = rp.assertion_claims(&t, t.origin().as_str());
    long["exp"] = (t.now() + 3600).into();
    assert_eq!(
        oauth_error(refused(long).await).await,
        (401, "invalid_client".into())
    );
    // No jti.
    let mut no_jti = rp.assertion_claims(&t, t.origin().as_str());
    no_jti.as_object_mut().unwrap().remove("jti");
    assert_eq!(
        oauth_error(refused(no_jti).await).await,
        (401, "invalid_client".into())
    );

    // An unknown kid; a key the client did not register.
    let claims = rp.assertion_claims(&t, t.origin().as_str());
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("unknown-kid".into());
    let unknown_kid = oidc_rp::sign(&rp.key, &header, &claims);
    let resp = rp.push_params(&t, &push_with(unknown_kid)).await;
    assert_eq!(oauth_error(resp).await, (401, "invalid_client".into()));
    header.kid = Some(rp.kid.clone());
    let foreign = oidc_rp::sign(&SigningKey::random(&mut OsRng), &header, &claims);
    let resp = rp.push_params(&t, &push_with(foreign)).await;
    assert_eq!(oauth_error(resp).await, (401, "invalid_client".into()));

    // alg none, and HS256 keyed with the client's public JWK (the classic confusion).
    let claims = rp.assertion_claims(&t, t.origin().as_str());
    let none = oidc_rp::unsigned(json!({"alg": "none", "kid": rp.kid}), &claims);
    let resp = rp.push_params(&t, &push_with(none)).await;
    assert_eq!(oauth_error(resp).await, (401, "invalid_client".into()));
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(rp.kid.clone());
    let public = serde_json::to_vec(&oidc_rp::public_jwk(&rp.key, Some(&rp.kid))).unwrap();
    let hs256 = jsonwebtoken::encode(
        &hs,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .unwrap();
    let resp = rp.push_params(&t, &push_with(hs256)).await;
    assert_eq!(oauth_error(resp).await, (401, "invalid_client".into()));
}

backend_test!(implicit_and_hybrid_flows_and_unpushed_requests_are_refused);
async fn implicit_and_hybrid_flows_and_unpushed_requests_are_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    for response_type in ["token", "id_token", "code id_token", "code token"] {
        let mut params = rp.par_params(&t, &flow);
        for (k, v) in &mut params {
            if k == "response_type" {
                *v = response_type.into();
            }
        }
        let resp = rp.push_params(&t, &params).await;
        assert_eq!(
            oauth_error(resp).await,
            (400, "unsupported_response_type".into()),
            "{response_type}"
        );
    }
    // The authorization endpoint takes only pushed requests, once.
    let direct = format!(
        "{}?{}",
        url(&t, oidc::AUTHORIZE),
        oidc_rp::form(&[
            ("client_id", &rp.client_id),
            ("response_type", "code"),
            ("redirect_uri", &rp.redirect_uri),
            ("scope", "openid"),
        ])
    );
    // A script asks for JSON and gets OAuth's error; a person's browser gets a page saying the
    // same (tests/oidc_page.rs).
    let resp = rp
        .http
        .get(direct)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(resp).await, (400, "invalid_request".into()));
    let request_uri = rp.push(&t, &flow).await;
    rp.authorize(&t, &request_uri).await;
    let again = format!(
        "{}?{}",
        url(&t, oidc::AUTHORIZE),
        oidc_rp::form(&[("client_id", &rp.client_id), ("request_uri", &request_uri)])
    );
    let resp = rp
        .http
        .get(again)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(resp).await, (400, "invalid_request".into()));
}

backend_test!(dpop_proofs_must_be_for_this_method_url_and_key);
async fn dpop_proofs_must_be_for_this_method_url_and_key(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid profile");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    let token_with = |proof: Option<String>| {
        let assertion = rp.assertion(&t);
        let (code, verifier) = (code.clone(), flow.verifier.clone());
        let rp = &rp;
        let t = &t;
        async move {
            rp.post_form(
                t,
                oidc::TOKEN,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &rp.redirect_uri),
                    ("code_verifier", &verifier),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
                proof,
            )
            .await
        }
    };
    let bad = [
        None,
        Some(rp.dpop(&t, "GET", oidc::TOKEN, None)),
        Some(rp.dpop(&t, "POST", oidc::USERINFO, None)),
        Some(oidc_rp::unsigned(
            json!({"alg": "none", "typ": "dpop+jwt", "jwk": oidc_rp::public_jwk(&rp.dpop_key, None)}),
            &json!({"htm": "POST", "htu": url(&t, oidc::TOKEN), "iat": t.now(), "jti": random_text()}),
        )),
    ];
    for proof in bad {
        let resp = token_with(proof.clone()).await;
        assert_eq!(
            oauth_error(resp).await,
            (400, "invalid_dpop_proof".into()),
            "{proof:?}"
        );
    }
    // An old proof.
    let old = rp.dpop(&t, "POST", oidc::TOKEN, None);
    t.clock.advance(61);
    assert_eq!(
        oauth_error(token_with(Some(old)).await).await.1,
        "invalid_dpop_proof"
    );
    t.clock.advance(-61);

    let good: Value = token_with(Some(rp.dpop(&t, "POST", oidc::TOKEN, None)))
        .await
        .json()
        .await
        .unwrap();
    let access = good["access_token"].as_str().unwrap();
    // Userinfo: a proof by another key, for another method, for another URL, replayed, or with
    // the token as a bearer token.
    let other_key = SigningKey::random(&mut OsRng);
    let by_other = rp.dpop_by(
        &t,
        &other_key,
        "GET",
        &url(&t, oidc::USERINFO),
        Some(access),
    );
    assert_eq!(rp.userinfo(&t, access, by_other).await.status(), 401);
    let wrong_method = rp.dpop(&t, "POST", oidc::USERINFO, Some(access));
    assert_eq!(rp.userinfo(&t, access, wrong_method).await.status(), 400);
    let wrong_url = rp.dpop(&t, "GET", oidc::TOKEN, Some(access));
    assert_eq!(rp.userinfo(&t, access, wrong_url).await.status(), 400);
    let no_ath = rp.dpop(&t, "GET", oidc::USERINFO, None);
    assert_eq!(rp.userinfo(&t, access, no_ath).await.status(), 400);
    let proof = rp.dpop(&t, "GET", oidc::USERINFO, Some(access));
    assert_eq!(rp.userinfo(&t, access, proof.clone()).await.status(), 200);
    assert_eq!(
        rp.userinfo(&t, access, proof).await.status(),
        400,
        "jti replayed"
    );
    let bearer = rp
        .http
        .get(url(&t, oidc::USERINFO))
        .header("authorization", format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    // The token lives five minutes.
    t.clock.advance(oidc::TOKEN_SECS);
    assert_eq!(rp.introspect(&t, access).await, json!({"active": false}));
}

// ---------------------------------------------------------------------------------------------
// The browser and the phone
// ---------------------------------------------------------------------------------------------

backend_test!(only_the_browser_that_started_the_sign_in_gets_the_code);
async fn only_the_browser_that_started_the_sign_in_gets_the_code(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    // An attacker's browser, with its own cookie or none, gets nothing and takes nothing.
    let other = format!("dd_oidc_browser={}", random_text());
    assert_eq!(
        rp.continue_with(&t, &sign_in, Some(&other)).await.status(),
        403
    );
    assert_eq!(rp.continue_with(&t, &sign_in, None).await.status(), 403);
    rp.code(&t, &flow, &sign_in, &cookie).await;
}

backend_test!(level_1_accounts_are_refused_and_a_decline_sends_access_denied);
async fn level_1_accounts_are_refused_and_a_decline_sends_access_denied(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, cookie) = rp.authorize(&t, &request_uri).await;
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();

    accounts::set_level(t.state(), &p.account, AccountLevel::Level1)
        .await
        .unwrap();
    assert_error(
        oidc_rp::read(&t, &phone, &sign_in).await,
        ErrorCode::LevelTooLow,
    )
    .await;
    let body = oidc_rp::approval_body(&view, None);
    let confirmed = oidc_rp::confirm(
        &t,
        &phone,
        &device,
        ActionKind::ApproveOidcSignIn,
        &sign_in,
        body,
    )
    .await;
    let resp = t
        .post(
            &paths::OIDC_SIGN_IN_APPROVAL.replace("{sign_in}", &sign_in),
            &confirmed,
            common::Auth::Session(&phone),
        )
        .await;
    assert_error(resp, ErrorCode::LevelTooLow).await;

    accounts::set_level(t.state(), &p.account, AccountLevel::Level2)
        .await
        .unwrap();
    // Declining is one tap: no passcode, but the phone's session and its key's proof.
    let resp = t
        .send(
            "POST",
            &paths::OIDC_SIGN_IN_DECLINE.replace("{sign_in}", &sign_in),
            None,
            common::Auth::Session(&phone),
        )
        .await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let resp = rp.continue_with(&t, &sign_in, Some(&cookie)).await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.contains("error=access_denied"), "{location}");
    assert!(
        location.contains(&format!("state={}", flow.state)),
        "{location}"
    );
}

backend_test!(an_approval_must_name_what_the_server_shows);
async fn an_approval_must_name_what_the_server_shows(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let request_uri = rp.push(&t, &Flow::new("openid profile")).await;
    let (sign_in, _) = rp.authorize(&t, &request_uri).await;
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();
    let post = |body| {
        let (t, phone, device, sign_in) = (&t, &phone, &device, sign_in.clone());
        async move {
            let confirmed = oidc_rp::confirm(
                t,
                phone,
                device,
                ActionKind::ApproveOidcSignIn,
                &sign_in,
                body,
            )
            .await;
            t.post(
                &paths::OIDC_SIGN_IN_APPROVAL.replace("{sign_in}", &sign_in),
                &confirmed,
                common::Auth::Session(phone),
            )
            .await
        }
    };
    let mut other_origin = oidc_rp::approval_body(&view, None);
    other_origin.redirect_origin = "https://evil.example.vn".into();
    assert_error(post(other_origin).await, ErrorCode::ValidationFailed).await;
    let mut fewer_claims = oidc_rp::approval_body(&view, None);
    fewer_claims.claims.clear();
    assert_error(post(fewer_claims).await, ErrorCode::ValidationFailed).await;
    // The same, as shown: approved once; a second approval finds it answered.
    assert_eq!(
        post(oidc_rp::approval_body(&view, None)).await.status(),
        204
    );
    assert_error(
        post(oidc_rp::approval_body(&view, None)).await,
        ErrorCode::QrLoginUsed,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

backend_test!(a_rotation_publishes_both_keys_during_the_change_over);
async fn a_rotation_publishes_both_keys_during_the_change_over(db: Backend) {
    let t = TestServer::start(db).await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let first = jwks(&t).await;
    assert_eq!(first.keys.len(), 1);
    let old_kid = first.keys[0].common.key_id.clone().unwrap();

    let new_kid = oidc::rotate_signing_key(t.state(), 120).await.unwrap();
    let during = jwks(&t).await;
    let kids: Vec<_> = during
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&old_kid) && kids.contains(&new_kid));
    // Before the change-over the old key still signs; after it, the new one.
    let (_, id_token, _) = signed_in(&t, &rp, &phone, &device, "openid", None).await;
    assert_eq!(verify_id_token(&t, &rp, &id_token).await.0, old_kid);
    t.clock.advance(120);
    let (_, id_token, _) = signed_in(&t, &rp, &phone, &device, "openid", None).await;
    assert_eq!(verify_id_token(&t, &rp, &id_token).await.0, new_kid);
    // The old key is unpublished once tokens it signed have long expired.
    t.clock.advance(oidc::RETIRED_KEY_SECS);
    let after = jwks(&t).await;
    assert_eq!(after.keys.len(), 1);
    assert_eq!(
        after.keys[0].common.key_id.as_deref(),
        Some(new_kid.as_str())
    );
}

backend_test!(a_client_s_replaced_keys_authenticate_it_and_its_old_key_no_longer_does);
async fn a_client_s_replaced_keys_authenticate_it_and_its_old_key_no_longer_does(db: Backend) {
    use dinhdanh_server::testing::clients;
    let t = TestServer::start(db).await;
    let mut rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let audited = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind("client.set_jwks")
            .fetch_one(&t.state().pool)
            .await
            .unwrap()
    };

    // A bad set (a private key, no keys, not JSON) is refused on `jwks` and changes nothing.
    let new_key = SigningKey::random(&mut OsRng);
    let mut private = serde_json::to_value(oidc_rp::public_jwk(&new_key, Some("k2"))).unwrap();
    private["d"] = "AAAA".into();
    for bad in [
        json!({"keys": [private]}).to_string(),
        json!({"keys": []}).to_string(),
        "not json".to_owned(),
    ] {
        let err = clients::set_client_jwks(t.state(), &rp.client_id, &bad)
            .await
            .unwrap_err();
        assert!(format!("{err:?}").contains("jwks"), "{bad}: {err:?}");
    }
    assert_eq!(audited().await, 0);
    rp.push(&t, &flow).await;

    // The new set replaces the old one at once.
    let jwks = json!({"keys": [oidc_rp::public_jwk(&new_key, Some("rp-key-2"))]}).to_string();
    clients::set_client_jwks(t.state(), &rp.client_id, &jwks)
        .await
        .unwrap();
    assert_eq!(audited().await, 1);
    let old = rp.push_params(&t, &rp.par_params(&t, &flow)).await;
    assert_eq!(oauth_error(old).await, (401, "invalid_client".into()));
    rp.key = new_key;
    rp.kid = "rp-key-2".into();
    rp.push(&t, &flow).await;

    // Unknown and disabled clients are refused.
    let err = clients::set_client_jwks(t.state(), "rp_unknown", &jwks)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("not_found"), "{err:?}");
    clients::disable_client(t.state(), &rp.client_id)
        .await
        .unwrap();
    let err = clients::set_client_jwks(t.state(), &rp.client_id, &jwks)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("invalid_state"), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// The phone's own place
// ---------------------------------------------------------------------------------------------

/// A client that sends `X-Forwarded-For: <addr>` with every request (and follows no
/// redirect, as a relying party's browser in these tests), as a reverse proxy would.
fn forwarding(addr: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", addr.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

backend_test!(the_phone_sees_its_own_address_and_place_beside_the_browsers);
async fn the_phone_sees_its_own_address_and_place_beside_the_browsers(db: Backend) {
    let data_dir = std::env::temp_dir().join(format!(
        "dd-test-{}",
        dinhdanh_server::testing::unique_name("oidc-geo")
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let table = data_dir.join("geoip.csv");
    std::fs::write(
        &table,
        "ip_start,ip_end,country,region,city\n\
         203.0.113.0,203.0.113.255,VN,Hà Nội,Hà Nội\n\
         198.51.100.0,198.51.100.255,VN,Đà Nẵng,Đà Nẵng\n",
    )
    .unwrap();
    let url_db = common::fresh_database_url(db, &data_dir).await;
    // Behind a reverse proxy on the loopback, so each side's forwarded address is its own.
    let mut t = TestServer::start_with(
        data_dir,
        url_db,
        dinhdanh_server::testing::ServerKeys::generate(),
        |c| {
            c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
            c.geoip_csv = Some(table);
        },
    )
    .await;
    let (_p, _device, _, phone) = person_signed_in(&t).await;
    let mut rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    rp.http = forwarding("203.0.113.7");
    let flow = Flow::new("openid profile");
    let request_uri = rp.push(&t, &flow).await;
    let (sign_in, _cookie) = rp.authorize(&t, &request_uri).await;

    t.http = forwarding("198.51.100.9");
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.ip_address, "203.0.113.7");
    assert_eq!(view.approximate_location.as_deref(), Some("Hà Nội, VN"));
    // The phone's own, as the server saw the phone's request: not the browser's.
    assert_eq!(view.phone_ip_address, "198.51.100.9");
    assert_eq!(
        view.phone_approximate_location.as_deref(),
        Some("Đà Nẵng, VN")
    );
    assert!(view.address_warning);

    // An address outside the table has no made-up place.
    t.http = forwarding("192.0.2.1");
    let view: OidcSignInView = oidc_rp::read(&t, &phone, &sign_in)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view.phone_ip_address, "192.0.2.1");
    assert_eq!(view.phone_approximate_location, None);
    assert_eq!(view.approximate_location.as_deref(), Some("Hà Nội, VN"));
}
