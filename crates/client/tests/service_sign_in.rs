//! The phone's side of a sign-in to a service, through the client as the app uses it: the real
//! server in-process, the phone's secrets in the real OS keystore. A relying party (pushed
//! request with a client assertion) and a browser (the authorization endpoint's cookie) are
//! played over HTTP around it, so what the phone answers is seen where it lands: the browser
//! gets a code, or is sent back with `access_denied`.

use crate::common;

use std::collections::HashMap;

use base64::Engine as _;
use common::{Device, PASSCODE, TestServer, WRONG_PASSCODE};
use dinhdanh_core::api::{ErrorCode, ORGANISATION_CLAIM};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_server::testing::Clock;
use dinhdanh_server::testing::clients::{self, ClientRegistration};
use dinhdanh_server::testing::oidc;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand_core::OsRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REDIRECT_URI: &str = "https://dichvucong.example.vn/callback";
const ORG_NAME: &str = "Công ty TNHH Dịch vụ công trực tuyến";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A registered service: its client id and the key its assertions are signed with.
struct Service {
    client_id: String,
    key: SigningKey,
    issuer: String,
    http: reqwest::Client,
}

impl Service {
    async fn register(t: &TestServer) -> Service {
        let key = SigningKey::random(&mut OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "svc-1",
            "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
        });
        let client = clients::add_client(
            &t.server.state,
            &ClientRegistration {
                name_vi: "Cổng dịch vụ công (thử nghiệm)".into(),
                name_en: "Public service portal (test)".into(),
                redirect_uris: vec![REDIRECT_URI.into()],
                jwks: json!({ "keys": [jwk] }).to_string(),
                sector: None,
                allowed_claims: vec!["name".into()],
                allow_organisations: true,
                allow_citizen_id: false,
                logo: None,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let discovery: Value = http
            .get(format!("{}{}", t.server.base_url(), oidc::DISCOVERY))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Service {
            client_id: client.id,
            key,
            issuer: discovery["issuer"].as_str().unwrap().to_owned(),
            http,
        }
    }

    /// A client assertion (`private_key_jwt`, ES256: the JWS signature is P-256's `r ‖ s`).
    fn assertion(&self, t: &TestServer) -> String {
        let now = t.clock.now();
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": "svc-1"});
        let claims = json!({
            "iss": self.client_id, "sub": self.client_id, "aud": self.issuer,
            "iat": now, "exp": now + 60, "jti": common::random_hex(16),
        });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature: Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64(&signature.to_bytes()))
    }

    /// Pushes a request and opens it as a browser would; the sign-in and the browser's cookie.
    async fn browser_starts(&self, t: &TestServer) -> (RendezvousId, String) {
        let verifier = common::random_hex(32);
        let assertion = self.assertion(t);
        let resp = self
            .http
            .post(format!("{}{}", t.server.base_url(), oidc::PAR))
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid profile organisation"),
                ("state", "state-1"),
                ("nonce", &common::random_hex(16)),
                ("code_challenge", &b64(&Sha256::digest(verifier.as_bytes()))),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        let pushed: Value = resp.json().await.unwrap();
        let resp = self
            .http
            .get(format!("{}{}", t.server.base_url(), oidc::AUTHORIZE))
            .query(&[
                ("client_id", self.client_id.as_str()),
                ("request_uri", pushed["request_uri"].as_str().unwrap()),
            ])
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = resp.json().await.unwrap();
        let sign_in = RendezvousId::parse(body["sign_in"].as_str().unwrap()).unwrap();
        (sign_in, cookie)
    }

    /// The browser continues: the query of the redirect back to the service, or `None` while
    /// the phone has not answered.
    async fn browser_continues(
        &self,
        t: &TestServer,
        sign_in: &RendezvousId,
        cookie: &str,
    ) -> Option<HashMap<String, String>> {
        let resp = self
            .http
            .get(format!(
                "{}{}",
                t.server.base_url(),
                oidc::AUTHORIZE_CONTINUE
            ))
            .query(&[("sign_in", sign_in.to_string())])
            .header("cookie", cookie)
            // A script, not a page: a browser's page is sent back to the login page instead.
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            return None;
        }
        assert_eq!(resp.status(), 303);
        let location = resp.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let url = reqwest::Url::parse(location).unwrap();
        Some(url.query_pairs().into_owned().collect())
    }
}

/// A bound phone of a level-2 person who owns an enterprise.
async fn phone_of_an_owner(t: &TestServer) -> (Device, dinhdanh_core::ids::OrgEid) {
    let p = t.person(true).await;
    let phone = t.device("phone");
    phone.bind_and_sign_in(t, &p).await;
    let eid = common::organisation_owned_by(t, &p, ORG_NAME).await;
    (phone, eid)
}

#[tokio::test]
async fn the_phone_reads_a_service_sign_in_and_approves_it_for_the_enterprise() {
    let t = TestServer::start().await;
    let (phone, eid) = phone_of_an_owner(&t).await;
    let service = Service::register(&t).await;
    let (sign_in, cookie) = service.browser_starts(&t).await;

    let view = phone.client.read_service_sign_in(&sign_in).await.unwrap();
    // What the phone shows comes from the registry.
    assert_eq!(view.sign_in, sign_in);
    assert_eq!(view.client_id, service.client_id);
    assert_eq!(view.client_name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert_eq!(view.redirect_origin, "https://dichvucong.example.vn");
    assert_eq!(view.claims, ["name"]);
    assert!(
        view.accounts.iter().any(|a| a.eid == eid),
        "{:?}",
        view.accounts
    );
    assert!(
        service
            .browser_continues(&t, &sign_in, &cookie)
            .await
            .is_none()
    );

    // A wrong passcode approves nothing; the sign-in stays open.
    let err = phone
        .client
        .approve_service_sign_in(&view, Some(eid.clone()), &phone.passcode(WRONG_PASSCODE))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::WrongConfirmation), "{err:?}");
    assert!(
        service
            .browser_continues(&t, &sign_in, &cookie)
            .await
            .is_none()
    );

    phone
        .client
        .approve_service_sign_in(&view, Some(eid.clone()), &phone.passcode(PASSCODE))
        .await
        .unwrap();
    let back = service
        .browser_continues(&t, &sign_in, &cookie)
        .await
        .expect("the browser is sent back");
    assert!(back.contains_key("code"), "{back:?}");
    assert_eq!(back["state"], "state-1");
    assert_eq!(back["iss"], service.issuer);

    // Answered: the phone cannot answer it again.
    let err = phone
        .client
        .read_service_sign_in(&sign_in)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::QrLoginUsed), "{err:?}");
}

#[tokio::test]
async fn the_approval_names_the_organisation_claim_only_for_an_organisation() {
    let t = TestServer::start().await;
    let (phone, eid) = phone_of_an_owner(&t).await;
    let service = Service::register(&t).await;
    let (sign_in, _) = service.browser_starts(&t).await;
    let view = phone.client.read_service_sign_in(&sign_in).await.unwrap();
    let personal = dinhdanh_core::api::OidcApprovalBody::for_view(&view, None);
    assert_eq!(personal.claims, ["name"]);
    let as_org = dinhdanh_core::api::OidcApprovalBody::for_view(&view, Some(eid));
    assert_eq!(as_org.claims, ["name", ORGANISATION_CLAIM]);
    // The server agrees with the personal body too.
    phone
        .client
        .approve_service_sign_in(&view, None, &phone.passcode(PASSCODE))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_decline_is_one_tap_and_sends_the_browser_back_refused() {
    let t = TestServer::start().await;
    let (phone, _) = phone_of_an_owner(&t).await;
    let service = Service::register(&t).await;
    let (sign_in, cookie) = service.browser_starts(&t).await;

    phone
        .client
        .decline_service_sign_in(&sign_in)
        .await
        .unwrap();
    let back = service
        .browser_continues(&t, &sign_in, &cookie)
        .await
        .expect("the browser is sent back");
    assert_eq!(back["error"], "access_denied");
    assert!(!back.contains_key("code"));
    // Declined: approving afterwards is refused.
    let err = phone
        .client
        .decline_service_sign_in(&sign_in)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::QrLoginUsed), "{err:?}");
}
