//! Logout at the OpenID provider: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)
//! and back-channel logout (OpenID Connect Back-Channel Logout 1.0) to every service a person
//! is signed in to when a delegation is revoked or expires, the organisation is locked or
//! closed, or the person locks the account. The services' back-channel endpoints are a small
//! axum server on loopback inside the test.

use crate::common;
use crate::identity;
use crate::oidc_rp;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Auth, Backend, TestServer, backend_test};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, CodeSent, OneTimeCode, OrganisationLifecycle, SecretText, SelfLockFinish,
    SelfLockStart, paths,
};
use dinhdanh_core::ids::{DelegationId, OrgEid, TaxCode};
use dinhdanh_server::testing::oidc;
use dinhdanh_server::testing::organisations::{self, Actor};
use identity::{Person, signed_in as person_signed_in};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oidc_rp::{Rp, signed_in, url};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The services' back-channel endpoints
// ---------------------------------------------------------------------------------------------

/// One request a service's back-channel endpoint received.
#[derive(Clone, Debug)]
struct Received {
    /// The endpoint (`/name`).
    path: String,
    content_type: String,
    /// The form's `logout_token`.
    token: String,
    /// What the endpoint answered.
    status: u16,
}

/// Back-channel logout endpoints on loopback: `http://127.0.0.1:PORT/<name>`. The next
/// `fail_next` requests are answered 500.
#[derive(Clone)]
struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    fail_next: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start() -> Receiver {
        use axum::extract::{Path, State};
        use axum::http::{HeaderMap, StatusCode};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Receiver {
            port: listener.local_addr().unwrap().port(),
            got: Arc::default(),
            fail_next: Arc::default(),
        };
        async fn receive(
            State(r): State<Receiver>,
            Path(name): Path<String>,
            headers: HeaderMap,
            body: String,
        ) -> StatusCode {
            let token = url::form_urlencoded::parse(body.as_bytes())
                .find(|(k, _)| k == "logout_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let fail = r
                .fail_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            let status = if fail {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            r.got.lock().unwrap().push(Received {
                path: format!("/{name}"),
                content_type: headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
                token,
                status: status.as_u16(),
            });
            status
        }
        let app = axum::Router::new()
            .route("/{name}", axum::routing::post(receive))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    fn uri(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    fn to(&self, name: &str) -> Vec<Received> {
        let path = format!("/{name}");
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The requests to `name` once there are `n` (the server delivers in the background),
    /// waiting at most ten seconds.
    async fn wait_for(&self, name: &str, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.to(name);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{name} received {} requests, not {n}", self.to(name).len());
    }
}

/// A service with a back-channel logout endpoint at `receiver`'s `name`.
async fn service(
    t: &TestServer,
    receiver: &Receiver,
    name: &str,
    host: &str,
    organisations: bool,
) -> Rp {
    let uri = receiver.uri(name);
    Rp::register_with(t, name, host, organisations, |r| {
        r.backchannel_logout_uri = Some(uri);
        r.post_logout_redirect_uris = vec![format!("https://{host}/signed-out")];
    })
    .await
}

/// The claims of a verified token signed by a published key of the provider, for `aud`.
async fn verify(t: &TestServer, token: &str, aud: &str) -> (jsonwebtoken::Header, Value) {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    let set: JwkSet = reqwest::get(url(t, oidc::JWKS))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = set
        .find(header.kid.as_deref().expect("a kid"))
        .expect("the kid is published");
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[aud]);
    v.set_issuer(&[t.origin().as_str()]);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(key).unwrap(), &v).unwrap();
    (header, data.claims)
}

/// Checks a logout token (Back-Channel Logout 1.0 §2.4) against the ID token of the sign-in it
/// ends: our key, `typ` `logout+jwt`, the service as `aud`, the sign-in's `sub` and `sid`, the
/// back-channel event, no `nonce`, a short life.
async fn assert_logout_token(t: &TestServer, rp: &Rp, received: &Received, id_token: &str) {
    assert_eq!(received.content_type, "application/x-www-form-urlencoded");
    let (header, claims) = verify(t, &received.token, &rp.client_id).await;
    assert_eq!(header.typ.as_deref(), Some(oidc::LOGOUT_TOKEN_TYPE));
    let (_, id) = verify(t, id_token, &rp.client_id).await;
    assert_eq!(claims["sub"], id["sub"]);
    assert_eq!(claims["sid"], id["sid"]);
    assert!(id["sid"].as_str().is_some_and(|s| s.len() >= 32), "{id}");
    assert_eq!(claims["events"], json!({ oidc::BACKCHANNEL_EVENT: {} }));
    assert!(claims.get("nonce").is_none());
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(
        iat <= t.now() && exp > t.now() && exp - iat <= 300,
        "{claims}"
    );
}

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

fn actor(p: &Person) -> Actor {
    Actor {
        account: p.account.clone(),
        acting_for: None,
        device: None,
    }
}

/// `owner` authorises `delegate` as a member of `eid` until `expires_on`, and the delegate
/// accepts; the delegation's id.
async fn delegate(
    t: &TestServer,
    owner: &Person,
    delegate: &Person,
    eid: &OrgEid,
    expires_on: Option<chrono::NaiveDate>,
) -> dinhdanh_core::ids::DelegationId {
    let view = organisations::add_delegate(
        t.state(),
        &actor(owner),
        &AddDelegate {
            organisation: eid.clone(),
            citizen_id: delegate.citizen_id.clone(),
            role: OrgRole::Member,
            expires_on,
        },
    )
    .await
    .unwrap();
    organisations::answer_delegation(t.state(), &actor(delegate), eid, &view.id, true)
        .await
        .unwrap();
    view.id
}

/// `owner` lets the delegation `id` sign in to `rp` as the organisation (a delegation allows
/// no outside service until one is listed).
async fn allow(t: &TestServer, owner: &Person, eid: &OrgEid, id: &DelegationId, rp: &Rp) {
    organisations::set_delegation_services(
        t.state(),
        &actor(owner),
        eid,
        id,
        &[dinhdanh_core::api::DelegatedService {
            client_id: rp.client_id.clone(),
            from: None,
            until: None,
        }],
    )
    .await
    .unwrap();
}

/// Waits (at most ten seconds) until the one queued logout's next attempt is at `at`: a failed
/// attempt is recorded after the service answered.
async fn retry_scheduled(t: &TestServer, at: i64) {
    for _ in 0..200 {
        let next: i64 = sqlx::query_scalar("SELECT next_attempt_at FROM oidc_logouts")
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
        if next == at {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the next attempt was not scheduled at {at}");
}

async fn logouts_queued(t: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM oidc_logouts")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

async fn audit_count(t: &TestServer, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout, trigger by trigger
// ---------------------------------------------------------------------------------------------

backend_test!(
    a_revoked_delegation_logs_the_delegate_out_of_services_signed_in_to_as_the_organisation
);
async fn a_revoked_delegation_logs_the_delegate_out_of_services_signed_in_to_as_the_organisation(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (owner, ..) = person_signed_in(&t).await;
    let (q, q_device, _, q_phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &owner).await;
    let id = delegate(&t, &owner, &q, &eid, None).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    allow(&t, &owner, &eid, &id, &portal).await;
    let tax = service(&t, &receiver, "tax", "thue.example.vn", true).await;
    // A service the delegate never signed in to.
    let _customs = service(&t, &receiver, "customs", "haiquan.example.vn", true).await;

    let scope = "openid organisation";
    let (as_org, id_token, _) =
        signed_in(&t, &portal, &q_phone, &q_device, scope, Some(eid.clone())).await;
    // The delegate's own, personal sign-in elsewhere is not the organisation's.
    let (personal, ..) = signed_in(&t, &tax, &q_phone, &q_device, "openid", None).await;

    organisations::revoke_delegation(t.state(), &actor(&owner), &eid, &id)
        .await
        .unwrap();
    let got = receiver.wait_for("portal", 1).await;
    assert_eq!(got.len(), 1);
    assert_logout_token(&t, &portal, &got[0], &id_token).await;
    assert_eq!(
        portal.introspect(&t, &as_org).await,
        json!({"active": false})
    );

    oidc::deliver_logouts(t.state()).await.unwrap();
    assert!(receiver.to("tax").is_empty(), "a personal sign-in stays");
    assert_eq!(tax.introspect(&t, &personal).await["active"], true);
    assert!(receiver.to("customs").is_empty(), "never signed in there");
    assert_eq!(logouts_queued(&t).await, 1);
    assert_eq!(audit_count(&t, "oidc.backchannel_logout").await, 1);
}

backend_test!(an_expired_delegation_logs_the_delegate_out_at_the_sweep);
async fn an_expired_delegation_logs_the_delegate_out_at_the_sweep(db: Backend) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    // The delegation's last day is today (Vietnam): it ends at midnight there. Start four
    // minutes before, so the sign-in's five-minute token outlives it.
    let today = chrono::DateTime::from_timestamp(t.now() + 7 * 3600, 0)
        .unwrap()
        .date_naive();
    let end = organisations::end_of_day_vietnam(today);
    t.clock.advance(end - 240 - t.now());
    let (owner, ..) = person_signed_in(&t).await;
    let (q, q_device, _, q_phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &owner).await;
    let id = delegate(&t, &owner, &q, &eid, Some(today)).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    allow(&t, &owner, &eid, &id, &portal).await;
    let (access, id_token, _) = signed_in(
        &t,
        &portal,
        &q_phone,
        &q_device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;

    // Before the end, the sweep ends nothing.
    dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert!(receiver.to("portal").is_empty());

    t.clock.advance(end - t.now() + 1);
    let swept = dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    assert_eq!(swept.sign_ins_ended, 1);
    let got = receiver.wait_for("portal", 1).await;
    assert_logout_token(&t, &portal, &got[0], &id_token).await;
    assert_eq!(
        portal.introspect(&t, &access).await,
        json!({"active": false})
    );
    // Once only.
    dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert_eq!(receiver.to("portal").len(), 1);
}

backend_test!(locking_or_closing_the_organisation_logs_everyone_signed_in_as_it_out);
async fn locking_or_closing_the_organisation_logs_everyone_signed_in_as_it_out(db: Backend) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (owner, o_device, _, o_phone) = person_signed_in(&t).await;
    let (q, q_device, _, q_phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &owner).await;
    let id = delegate(&t, &owner, &q, &eid, None).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    allow(&t, &owner, &eid, &id, &portal).await;
    let _customs = service(&t, &receiver, "customs", "haiquan.example.vn", true).await;
    let scope = "openid organisation";
    let (owner_token, owner_id_token, _) =
        signed_in(&t, &portal, &o_phone, &o_device, scope, Some(eid.clone())).await;
    let (q_token, q_id_token, _) =
        signed_in(&t, &portal, &q_phone, &q_device, scope, Some(eid.clone())).await;

    organisations::apply_lifecycle(
        t.state(),
        None,
        &eid,
        &OrganisationLifecycle::Lock {
            reason: "Kiểm tra".into(),
        },
    )
    .await
    .unwrap();
    let got = receiver.wait_for("portal", 2).await;
    assert_eq!(got.len(), 2);
    let (_, first) = verify(&t, &got[0].token, &portal.client_id).await;
    let (_, owner_claims) = verify(&t, &owner_id_token, &portal.client_id).await;
    let (owners, delegates) = if first["sid"] == owner_claims["sid"] {
        (&got[0], &got[1])
    } else {
        (&got[1], &got[0])
    };
    assert_logout_token(&t, &portal, owners, &owner_id_token).await;
    assert_logout_token(&t, &portal, delegates, &q_id_token).await;
    for token in [&owner_token, &q_token] {
        assert_eq!(portal.introspect(&t, token).await, json!({"active": false}));
    }
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert!(receiver.to("customs").is_empty());

    // Unlocked and signed in again: closing it logs out as well.
    organisations::apply_lifecycle(
        t.state(),
        None,
        &eid,
        &OrganisationLifecycle::Unlock {
            reason: "Xong".into(),
        },
    )
    .await
    .unwrap();
    let (_, again, _) = signed_in(&t, &portal, &o_phone, &o_device, scope, Some(eid.clone())).await;
    organisations::apply_lifecycle(
        t.state(),
        None,
        &eid,
        &OrganisationLifecycle::Close {
            reason: "Giải thể".into(),
        },
    )
    .await
    .unwrap();
    let got = receiver.wait_for("portal", 3).await;
    assert_logout_token(&t, &portal, &got[2], &again).await;
}

async fn self_lock(t: &TestServer, p: &Person) {
    let resp = t
        .post(
            paths::SELF_LOCK_START,
            &SelfLockStart {
                citizen_id: p.citizen_id.clone(),
                password: SecretText::new(p.password.clone()),
            },
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let sent: CodeSent = resp.json().await.unwrap();
    let code = t.last_code_to(p.email.as_deref().unwrap());
    let resp = t
        .post(
            paths::SELF_LOCK_FINISH,
            &SelfLockFinish {
                pending_id: sent.pending_id,
                code: OneTimeCode::parse(&code).unwrap(),
            },
            Auth::None,
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

backend_test!(locking_ones_account_logs_one_out_of_every_service);
async fn locking_ones_account_logs_one_out_of_every_service(db: Backend) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (p, device, _, phone) = person_signed_in(&t).await;
    let (_other, other_device, _, other_phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &p).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    let tax = service(&t, &receiver, "tax", "thue.example.vn", false).await;
    let (_, personal_id, _) = signed_in(&t, &tax, &phone, &device, "openid", None).await;
    let (_, org_id, _) = signed_in(
        &t,
        &portal,
        &phone,
        &device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;
    // Somebody else's sign-in at the same service.
    let (others, ..) = signed_in(&t, &tax, &other_phone, &other_device, "openid", None).await;

    self_lock(&t, &p).await;
    let got = receiver.wait_for("tax", 1).await;
    assert_logout_token(&t, &tax, &got[0], &personal_id).await;
    let got = receiver.wait_for("portal", 1).await;
    assert_logout_token(&t, &portal, &got[0], &org_id).await;
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert_eq!(
        receiver.to("tax").len(),
        1,
        "the other person stays signed in"
    );
    assert_eq!(tax.introspect(&t, &others).await["active"], true);
}

backend_test!(withdrawing_consent_logs_one_out_of_that_service_only);
async fn withdrawing_consent_logs_one_out_of_that_service_only(db: Backend) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (p, device, _, phone) = person_signed_in(&t).await;
    let (_other, other_device, _, other_phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &p).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    let tax = service(&t, &receiver, "tax", "thue.example.vn", false).await;
    // Signed in to the portal twice (personally and as the enterprise), and to another service.
    let (personal, personal_id, _) = signed_in(&t, &portal, &phone, &device, "openid", None).await;
    let (as_org, org_id, _) = signed_in(
        &t,
        &portal,
        &phone,
        &device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;
    let (elsewhere, ..) = signed_in(&t, &tax, &phone, &device, "openid", None).await;
    // Somebody else's sign-in at the same service.
    let (others, ..) = signed_in(&t, &portal, &other_phone, &other_device, "openid", None).await;

    let resp = t
        .send(
            "DELETE",
            &paths::fill(paths::SERVICE_CONSENT, "client_id", &portal.client_id),
            None,
            Auth::Session(&phone),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let got = receiver.wait_for("portal", 2).await;
    assert_eq!(got.len(), 2);
    // One logout token per sign-in ended, each naming its own sid.
    let (_, first) = verify(&t, &got[0].token, &portal.client_id).await;
    let (own, other) = if first["sid"] == verify(&t, &personal_id, &portal.client_id).await.1["sid"]
    {
        (&got[0], &got[1])
    } else {
        (&got[1], &got[0])
    };
    assert_logout_token(&t, &portal, own, &personal_id).await;
    assert_logout_token(&t, &portal, other, &org_id).await;
    for token in [&personal, &as_org] {
        assert_eq!(portal.introspect(&t, token).await, json!({"active": false}));
    }

    oidc::deliver_logouts(t.state()).await.unwrap();
    assert_eq!(
        receiver.to("portal").len(),
        2,
        "the other person stays signed in"
    );
    assert_eq!(portal.introspect(&t, &others).await["active"], true);
    assert!(receiver.to("tax").is_empty(), "another service is not told");
    assert_eq!(tax.introspect(&t, &elsewhere).await["active"], true);
    assert_eq!(audit_count(&t, "oidc.backchannel_logout").await, 2);
}

backend_test!(a_failing_service_does_not_fail_the_action_and_is_tried_again);
async fn a_failing_service_does_not_fail_the_action_and_is_tried_again(db: Backend) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (p, device, _, phone) = person_signed_in(&t).await;
    let eid = enterprise_of(&t, &p).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", true).await;
    let (access, id_token, _) = signed_in(
        &t,
        &portal,
        &phone,
        &device,
        "openid organisation",
        Some(eid.clone()),
    )
    .await;
    receiver.fail_next.store(2, Ordering::SeqCst);

    organisations::apply_lifecycle(
        t.state(),
        None,
        &eid,
        &OrganisationLifecycle::Lock {
            reason: "Kiểm tra".into(),
        },
    )
    .await
    .expect("the lock does not wait for the service");
    assert_eq!(
        portal.introspect(&t, &access).await,
        json!({"active": false})
    );
    let got = receiver.wait_for("portal", 1).await;
    assert_eq!(got[0].status, 500);
    // The service has answered; the server records the failed attempt right after. Wait for
    // that before moving the clock, or the next attempt would be scheduled from the moved one.
    let failed_at = t.now();
    retry_scheduled(&t, failed_at + oidc::FIRST_RETRY_SECS).await;
    // Not again before its time; then again, failing; then again after twice the pause.
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert_eq!(receiver.to("portal").len(), 1);
    t.clock.advance(oidc::FIRST_RETRY_SECS);
    oidc::deliver_logouts(t.state()).await.unwrap();
    let got = receiver.wait_for("portal", 2).await;
    assert_eq!(got[1].status, 500);
    retry_scheduled(&t, t.now() + 2 * oidc::FIRST_RETRY_SECS).await;
    t.clock.advance(oidc::FIRST_RETRY_SECS);
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert_eq!(receiver.to("portal").len(), 2, "the pause doubled");
    t.clock.advance(oidc::FIRST_RETRY_SECS);
    oidc::deliver_logouts(t.state()).await.unwrap();
    let got = receiver.wait_for("portal", 3).await;
    assert_eq!(got[2].status, 200);
    // Each attempt's token is signed afresh.
    assert_ne!(got[0].token, got[2].token);
    assert_logout_token(&t, &portal, &got[2], &id_token).await;
    assert_eq!(audit_count(&t, "oidc.backchannel_logout").await, 1);
    // No token text in the audit trail.
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT COALESCE(object, '') FROM audit_log WHERE action LIKE 'oidc.%'")
            .fetch_all(&t.state().pool)
            .await
            .unwrap();
    assert!(rows.iter().all(|o| !o.contains(&got[2].token[..20])));
}

// ---------------------------------------------------------------------------------------------
// RP-initiated logout
// ---------------------------------------------------------------------------------------------

async fn logout(t: &TestServer, rp: &Rp, params: &[(&str, &str)]) -> reqwest::Response {
    let query = oidc_rp::form(params);
    rp.http
        .get(format!("{}?{query}", url(t, oidc::END_SESSION)))
        .send()
        .await
        .unwrap()
}

backend_test!(rp_initiated_logout_revokes_the_sign_in_and_returns_only_to_a_registered_address);
async fn rp_initiated_logout_revokes_the_sign_in_and_returns_only_to_a_registered_address(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let receiver = Receiver::start().await;
    let (_p, device, _, phone) = person_signed_in(&t).await;
    let portal = service(&t, &receiver, "portal", "dichvucong.example.vn", false).await;
    let tax = service(&t, &receiver, "tax", "thue.example.vn", false).await;
    let config: Value = reqwest::get(url(&t, oidc::DISCOVERY))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["end_session_endpoint"], url(&t, oidc::END_SESSION));
    assert_eq!(config["backchannel_logout_supported"], true);
    assert_eq!(config["backchannel_logout_session_supported"], true);

    let (access, id_token, _) = signed_in(&t, &portal, &phone, &device, "openid", None).await;
    let (tax_access, tax_id_token, _) = signed_in(&t, &tax, &phone, &device, "openid", None).await;

    // Another service's ID token as the hint: refused, nothing revoked.
    let resp = logout(
        &t,
        &portal,
        &[
            ("id_token_hint", &tax_id_token),
            ("client_id", &portal.client_id),
        ],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(tax.introspect(&t, &tax_access).await["active"], true);
    // A hint that is not ours.
    let forged = oidc_rp::sign(
        &portal.key,
        &jsonwebtoken::Header {
            kid: verify(&t, &id_token, &portal.client_id).await.0.kid,
            ..jsonwebtoken::Header::new(Algorithm::ES256)
        },
        &verify(&t, &id_token, &portal.client_id).await.1,
    );
    let resp = logout(&t, &portal, &[("id_token_hint", &forged)]).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(portal.introspect(&t, &access).await["active"], true);

    // An address it did not register: logged out, but not sent there.
    let resp = logout(
        &t,
        &portal,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example.vn/"),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("location").is_none());
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("Đã đăng xuất") && html.contains("Signed out"));
    assert!(!html.contains("<script"));
    assert_eq!(
        portal.introspect(&t, &access).await,
        json!({"active": false})
    );
    assert_eq!(
        audit_count(&t, "oidc.logout").await,
        2,
        "the refusal and the logout"
    );

    // Its registered address, with state; an expired hint is still accepted.
    t.clock.advance(oidc::TOKEN_SECS + 1);
    let resp = logout(
        &t,
        &tax,
        &[
            ("id_token_hint", &tax_id_token),
            (
                "post_logout_redirect_uri",
                "https://thue.example.vn/signed-out",
            ),
            ("state", "s2"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "https://thue.example.vn/signed-out?state=s2"
    );
    // The service that logged out is not told again by back channel.
    oidc::deliver_logouts(t.state()).await.unwrap();
    assert!(receiver.got.lock().unwrap().is_empty());
}
