//! Sign-in, request proofs, expiry and renewal, sign-out, the session list, rate limits.

use crate::common;
use crate::identity;

use common::{Auth, Device, Session, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    AccountView, ChallengePurpose, ErrorCode, LoginResponse, Notification, SessionRenewal,
    SessionView, paths,
};
use dinhdanh_core::ids::{NewProvince, SessionId};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_server::testing::officers;
use identity::{assert_error, error, login_body, person, sign_in, signed_in};
use p256::ecdsa::SigningKey;
use rand_core::OsRng;

async fn me(t: &TestServer, s: &Session) -> reqwest::Response {
    t.get(paths::ME, Auth::Session(s)).await
}

async fn renew(t: &TestServer, s: &Session, id: &SessionId) -> reqwest::Response {
    let challenge = t.challenge(ChallengePurpose::RenewSession, Some(s)).await;
    t.post(
        paths::SESSION_RENEWAL,
        &SessionRenewal {
            session: id.clone(),
            challenge,
        },
        Auth::Session(s),
    )
    .await
}

async fn current_session_id(t: &TestServer, s: &Session) -> SessionId {
    let resp = t.get(paths::SESSIONS, Auth::Session(s)).await;
    assert_eq!(resp.status(), 200);
    let list: Vec<SessionView> = resp.json().await.unwrap();
    assert_eq!(list.len(), 1, "one live session");
    list[0].id.clone()
}

// The account comes with the request's authentication (one statement on PostgreSQL, issue
// 18): it is the account as it is at that request, on the remembered path as on the first.
backend_test!(the_signed_in_account_shows_a_change_at_the_next_request);
async fn the_signed_in_account_shows_a_change_at_the_next_request(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, _, _, session) = signed_in(&t).await;
    let read = async || -> AccountView { me(&t, &session).await.json().await.unwrap() };
    assert_eq!(read().await.officer, None);
    assert_eq!(read().await.officer, None, "the session now remembered");
    let province = NewProvince::parse("ho_chi_minh").unwrap();
    officers::grant_officer(t.state(), &p.citizen_id, province)
        .await
        .unwrap();
    assert_eq!(read().await.officer.map(|o| o.province), Some(province));
    officers::revoke_officer(t.state(), &p.citizen_id)
        .await
        .unwrap();
    assert_eq!(read().await.officer, None);
}

backend_test!(a_bound_device_signs_in_with_the_password_and_its_proof);
async fn a_bound_device_signs_in_with_the_password_and_its_proof(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let resp = me(&t, &session).await;
    assert_eq!(resp.status(), 200);
    let account: AccountView = resp.json().await.unwrap();
    assert_eq!(account.id, p.account);
    assert!(!account.locked);

    let resp = t.get(paths::SESSIONS, Auth::Session(&session)).await;
    let list: Vec<SessionView> = resp.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].bound_key_id, Device::key_id(&device.device_key));
    assert_eq!(list[0].client_name, view.name);
    assert_eq!(
        (list[0].absolute_expires_at - list[0].created_at).num_hours(),
        12
    );

    // Only the token's hash is stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(stored, session.token.hash().as_bytes().to_vec());
    assert_ne!(stored, session.token.expose().as_bytes());
}

backend_test!(each_sign_in_rotates_the_token_and_ends_the_devices_earlier_session);
async fn each_sign_in_rotates_the_token_and_ends_the_devices_earlier_session(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, first) = signed_in(&t).await;
    let second = sign_in(&t, &p, &device, &view.id).await;
    assert_ne!(first.token.expose(), second.token.expose());
    assert_error(me(&t, &first).await, ErrorCode::Unauthenticated).await;
    assert_eq!(me(&t, &second).await.status(), 200);
}

backend_test!(an_unknown_number_a_wrong_password_and_a_foreign_device_get_the_same_answer);
async fn an_unknown_number_a_wrong_password_and_a_foreign_device_get_the_same_answer(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let stranger = person(&t, false).await;

    let wrong_password = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
    let unknown = {
        let nobody = dinhdanh_core::ids::CitizenId::from_parts(
            dinhdanh_core::ids::OldProvince::from_code(79).unwrap(),
            dinhdanh_core::ids::Gender::Male,
            1985,
            123_456,
        )
        .unwrap();
        login_body(&t, &nobody, &p.password, &view.id).await
    };
    // The stranger's own password, with a device bound to someone else.
    let foreign_device = login_body(&t, &stranger.citizen_id, &stranger.password, &view.id).await;

    let mut answers = Vec::new();
    for body in [wrong_password, unknown, foreign_device] {
        let resp = t
            .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
            .await;
        answers.push((resp.status().as_u16(), resp.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, 401);
    assert!(
        answers[0].1.contains("invalid_credentials"),
        "{}",
        answers[0].1
    );
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
}

backend_test!(sign_in_needs_the_bound_devices_key_and_a_fresh_challenge);
async fn sign_in_needs_the_bound_devices_key_and_a_fresh_challenge(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let other = SigningKey::random(&mut OsRng);
    let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
    let resp = t.post(paths::LOGIN, &body, Auth::DeviceKey(&other)).await;
    // The right password without the phone's key is answered exactly as a wrong password:
    // nobody without the phone learns whether a password was right.
    let without_the_phone = (resp.status().as_u16(), resp.text().await.unwrap());
    let wrong_password = login_body(&t, &p.citizen_id, "not-the-password", &view.id).await;
    let resp = t
        .post(paths::LOGIN, &wrong_password, Auth::DeviceKey(&other))
        .await;
    assert_eq!(
        without_the_phone,
        (resp.status().as_u16(), resp.text().await.unwrap())
    );
    assert_eq!(without_the_phone.0, 401);
    assert!(
        without_the_phone.1.contains("invalid_credentials"),
        "{}",
        without_the_phone.1
    );
    let resp = t.post(paths::LOGIN, &body, Auth::None).await;
    // The challenge went with the first try: the request cannot be repeated.
    assert_error(resp, ErrorCode::ChallengeInvalid).await;

    // A complete, valid sign-in request sent twice: the second is refused.
    let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
    let bytes = serde_json::to_vec(&body).unwrap();
    let resp = t
        .send(
            "POST",
            paths::LOGIN,
            Some(&bytes),
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let resp = t
        .send(
            "POST",
            paths::LOGIN,
            Some(&bytes),
            Auth::DeviceKey(&device.device_key),
        )
        .await;
    assert_error(resp, ErrorCode::ChallengeInvalid).await;
}

backend_test!(a_token_without_the_proof_or_with_another_keys_proof_opens_nothing);
async fn a_token_without_the_proof_or_with_another_keys_proof_opens_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let resp = t.get(paths::ME, Auth::TokenOnly(&session)).await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    let thief = SigningKey::random(&mut OsRng);
    let resp = t.get(paths::ME, Auth::ForeignKey(&session, &thief)).await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    assert_eq!(me(&t, &session).await.status(), 200);
}

backend_test!(a_replayed_request_proof_is_refused);
async fn a_replayed_request_proof_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let proof = ProofClaims::new(
        "GET",
        paths::ME,
        b"",
        Some(session.token.hash()),
        t.now(),
        [7u8; 16],
    )
    .unwrap()
    .sign_with(&session.key)
    .to_header_value();
    let url = format!("{}{}", t.server.base_url(), paths::ME);
    let send = || {
        t.http
            .get(&url)
            .header(
                "authorization",
                format!("DinhDanh {}", session.token.expose()),
            )
            .header(request_proof::HEADER_NAME, proof.clone())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    assert_error(send().await.unwrap(), ErrorCode::InvalidRequestProof).await;
}

backend_test!(a_proof_that_fails_its_check_leaves_no_nonce_behind);
/// For a session the instance remembers, the nonce is recorded while the proof is verified
/// (issue 18): a proof that then fails — another key's signature, or the session's key over
/// another request — leaves nothing behind, and a good proof with that nonce is accepted once.
async fn a_proof_that_fails_its_check_leaves_no_nonce_behind(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    assert_eq!(me(&t, &session).await.status(), 200);
    assert!(
        !t.state().sessions.is_empty(),
        "remembered: the short path answers"
    );
    let proof = |path: &str, key: &SigningKey| {
        ProofClaims::new(
            "GET",
            path,
            b"",
            Some(session.token.hash()),
            t.now(),
            [11u8; 16],
        )
        .unwrap()
        .sign_with(key)
        .to_header_value()
    };
    let url = format!("{}{}", t.server.base_url(), paths::ME);
    let send = |proof: String| {
        t.http
            .get(&url)
            .header(
                "authorization",
                format!("DinhDanh {}", session.token.expose()),
            )
            .header(request_proof::HEADER_NAME, proof)
            .send()
    };
    let before = count_nonces(&t).await;
    let thief = SigningKey::random(&mut OsRng);
    let resp = send(proof(paths::ME, &thief)).await.unwrap();
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    let resp = send(proof("/v1/sessions", &session.key)).await.unwrap();
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    assert_eq!(
        count_nonces(&t).await,
        before,
        "nothing kept of the refused proofs"
    );

    let good = proof(paths::ME, &session.key);
    assert_eq!(send(good.clone()).await.unwrap().status(), 200);
    assert_eq!(count_nonces(&t).await, before + 1);
    assert_error(send(good).await.unwrap(), ErrorCode::InvalidRequestProof).await;
}

backend_test!(an_idle_session_pauses_and_the_device_renews_it_with_a_new_token);
async fn an_idle_session_pauses_and_the_device_renews_it_with_a_new_token(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    t.clock.advance(31 * 60);
    assert_error(me(&t, &session).await, ErrorCode::SessionIdle).await;

    let resp = renew(&t, &session, &id).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let renewed: LoginResponse = resp.json().await.unwrap();
    assert_eq!(renewed.session.id, id, "the same session, a new token");
    let new = Session {
        token: renewed.token,
        key: session.key.clone(),
        account: session.account.clone(),
    };
    assert_ne!(new.token.expose(), session.token.expose());
    assert_eq!(me(&t, &new).await.status(), 200);
    assert_error(me(&t, &session).await, ErrorCode::Unauthenticated).await;
}

backend_test!(renewal_needs_a_renewal_challenge_and_the_sessions_own_key);
async fn renewal_needs_a_renewal_challenge_and_the_sessions_own_key(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    t.clock.advance(31 * 60);
    let wrong_purpose = t.challenge(ChallengePurpose::SignIn, None).await;
    let resp = t
        .post(
            paths::SESSION_RENEWAL,
            &SessionRenewal {
                session: id.clone(),
                challenge: wrong_purpose,
            },
            Auth::Session(&session),
        )
        .await;
    assert_error(resp, ErrorCode::ChallengeInvalid).await;
    let challenge = t
        .challenge(ChallengePurpose::RenewSession, Some(&session))
        .await;
    let thief = SigningKey::random(&mut OsRng);
    let resp = t
        .post(
            paths::SESSION_RENEWAL,
            &SessionRenewal {
                session: id,
                challenge,
            },
            Auth::ForeignKey(&session, &thief),
        )
        .await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
}

backend_test!(after_twelve_hours_only_the_password_brings_the_session_back);
async fn after_twelve_hours_only_the_password_brings_the_session_back(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    // Kept alive by renewals, it still ends 12 hours after sign-in.
    let mut current = session;
    for _ in 0..2 {
        t.clock.advance(5 * 60 * 60);
        let resp = renew(&t, &current, &id).await;
        assert_eq!(resp.status(), 200);
        let renewed: LoginResponse = resp.json().await.unwrap();
        current = Session {
            token: renewed.token,
            key: current.key.clone(),
            account: current.account.clone(),
        };
    }
    t.clock.advance(2 * 60 * 60);
    assert_error(me(&t, &current).await, ErrorCode::SessionExpired).await;
    let any_challenge = t.challenge(ChallengePurpose::SignIn, None).await;
    let resp = t
        .post(
            paths::SESSION_RENEWAL,
            &SessionRenewal {
                session: id,
                challenge: any_challenge,
            },
            Auth::Session(&current),
        )
        .await;
    assert_error(resp, ErrorCode::SessionExpired).await;

    let again = sign_in(&t, &p, &device, &view.id).await;
    assert_eq!(me(&t, &again).await.status(), 200);
}

backend_test!(signing_out_ends_the_session);
async fn signing_out_ends_the_session(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let resp = t
        .send(
            "DELETE",
            paths::SESSION_CURRENT,
            None,
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_error(me(&t, &session).await, ErrorCode::Unauthenticated).await;
    let resp = t
        .send(
            "DELETE",
            paths::SESSION_CURRENT,
            None,
            Auth::Session(&session),
        )
        .await;
    assert_error(resp, ErrorCode::Unauthenticated).await;
}

backend_test!(ending_ones_own_session_by_id_needs_no_confirmation);
async fn ending_ones_own_session_by_id_needs_no_confirmation(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    let resp = t
        .send(
            "DELETE",
            &paths::fill(paths::SESSION, "id", id.as_str()),
            None,
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_error(me(&t, &session).await, ErrorCode::Unauthenticated).await;
}

backend_test!(ending_another_session_asks_for_step_up_and_then_works_when_confirmed);
async fn ending_another_session_asks_for_step_up_and_then_works_when_confirmed(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let (desktop, desktop_id) = identity::desktop_session(&t, &p, &view.id).await;
    assert_eq!(me(&t, &desktop).await.status(), 200);

    let bare = dinhdanh_core::api::EndSession {
        session: desktop_id.clone(),
    };
    let resp = identity::end_session(&t, &session, &desktop_id, &bare).await;
    assert_error(resp, ErrorCode::StepUpRequired).await;

    let confirmed =
        identity::end_session_confirmed(&t, &session, &device, &desktop_id, identity::PASSCODE)
            .await;
    let resp = identity::end_session(&t, &session, &desktop_id, &confirmed).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    assert_error(me(&t, &desktop).await, ErrorCode::Unauthenticated).await;
    assert_eq!(me(&t, &session).await.status(), 200);
}

backend_test!(another_accounts_session_cannot_be_listed_or_ended);
async fn another_accounts_session_cannot_be_listed_or_ended(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, lan) = signed_in(&t).await;
    let (_, minh_device, _, minh) = signed_in(&t).await;
    let lan_id = current_session_id(&t, &lan).await;
    let minh_id = current_session_id(&t, &minh).await;
    assert_ne!(lan_id, minh_id);
    let confirmed =
        identity::end_session_confirmed(&t, &minh, &minh_device, &lan_id, identity::PASSCODE).await;
    let resp = identity::end_session(&t, &minh, &lan_id, &confirmed).await;
    assert_error(resp, ErrorCode::NotFound).await;
    assert_eq!(me(&t, &lan).await.status(), 200);
}

backend_test!(the_inbox_shows_the_signed_in_persons_notifications_only);
async fn the_inbox_shows_the_signed_in_persons_notifications_only(db: Backend) {
    let t = TestServer::start(db).await;
    let (lan, _, _, lan_session) = signed_in(&t).await;
    let (_, _, _, minh_session) = signed_in(&t).await;
    let resp = t
        .get(paths::NOTIFICATIONS, Auth::Session(&lan_session))
        .await;
    assert_eq!(resp.status(), 200);
    let lan_inbox: Vec<Notification> = resp.json().await.unwrap();
    assert_eq!(lan_inbox.len(), 1, "the device-binding notice");
    let minh_inbox: Vec<Notification> = t
        .get(paths::NOTIFICATIONS, Auth::Session(&minh_session))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(minh_inbox.len(), 1);
    assert_ne!(lan_inbox[0].id, minh_inbox[0].id);
    let owner: String = sqlx::query_scalar("SELECT account_id FROM notifications WHERE id = $1")
        .bind(lan_inbox[0].id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(owner, lan.account.as_str());
}

backend_test!(a_locked_account_cannot_sign_in);
async fn a_locked_account_cannot_sign_in(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    sqlx::query("UPDATE accounts SET locked = 1 WHERE id = $1")
        .bind(p.account.as_str())
        .execute(&t.state().pool)
        .await
        .unwrap();
    assert_error(me(&t, &session).await, ErrorCode::AccountLocked).await;
    let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
    let resp = t
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert_error(resp, ErrorCode::AccountLocked).await;
}

backend_test!(password_guesses_against_one_number_hit_the_rate_limit);
async fn password_guesses_against_one_number_hit_the_rate_limit(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, _) = signed_in(&t).await;
    let limit = t.state().config.limits.login_attempts_per_account;
    // Binding and the first sign-in had the right password: they used no attempt.
    let mut refused_with = Vec::new();
    for _ in 0..limit {
        let body = login_body(&t, &p.citizen_id, "Sai#mat-khau1", &view.id).await;
        let resp = t
            .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
            .await;
        let (_, err) = error(resp).await;
        refused_with.push(err.kind());
    }
    assert!(refused_with.contains(&Some(ErrorCode::InvalidCredentials)));
    let resp = {
        let body = login_body(&t, &p.citizen_id, &p.password, &view.id).await;
        t.post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
            .await
    };
    assert!(resp.headers().contains_key("retry-after"));
    let err = assert_error(resp, ErrorCode::RateLimited).await;
    assert!(err.retry_after_secs.is_some_and(|s| s > 0));

    // The window passes; the right password works again.
    t.clock.advance(t.state().config.limits.rate_window_secs);
    sign_in(&t, &p, &device, &view.id).await;
}

backend_test!(challenges_are_limited_per_address_without_a_session_and_per_account_in_one);
async fn challenges_are_limited_per_address_without_a_session_and_per_account_in_one(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let limits = t.state().config.limits.clone();
    // Binding and sign-in used some of this window's challenges.
    let mut issued = 0;
    let refused = loop {
        let resp = ask_challenge(&t, None).await;
        if resp.status() != 200 {
            break resp;
        }
        issued += 1;
        assert!(issued <= limits.challenges_per_window, "no limit");
    };
    assert!(issued > limits.challenges_per_window - 5, "{issued} issued");
    let err = assert_error(refused, ErrorCode::RateLimited).await;
    assert!(err.retry_after_secs.is_some_and(|s| s > 0));
    let rows = count_challenges(&t).await;
    // The account's own count is apart: a session still gets its challenges.
    let mut in_session = 0;
    while ask_challenge(&t, Some(&session)).await.status() == 200 {
        in_session += 1;
        assert!(in_session <= limits.challenges_per_window, "no limit");
    }
    assert_eq!(in_session, limits.challenges_per_window);
    assert_eq!(count_challenges(&t).await, rows + in_session);
    // The next window allows them again.
    t.clock.advance(limits.rate_window_secs);
    assert_eq!(ask_challenge(&t, None).await.status(), 200);
}

/// Asks for a sign-in challenge (in `session` when given); the answer as it is.
async fn ask_challenge(t: &TestServer, session: Option<&Session>) -> reqwest::Response {
    let auth = session.map_or(Auth::None, Auth::Session);
    t.post(
        paths::CHALLENGES,
        &dinhdanh_core::api::ChallengeRequest {
            purpose: ChallengePurpose::SignIn,
        },
        auth,
    )
    .await
}

async fn count_challenges(t: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM challenges")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

backend_test!(expired_challenges_are_swept_in_the_background_not_by_requests);
async fn expired_challenges_are_swept_in_the_background_not_by_requests(db: Backend) {
    let t = TestServer::start(db).await;
    for _ in 0..3 {
        t.challenge(ChallengePurpose::SignIn, None).await;
    }
    let ttl = t.state().config.limits.challenge_ttl_secs;
    t.clock
        .advance(ttl + dinhdanh_server::testing::EXPIRED_CHALLENGE_GRACE_SECS + 1);
    t.challenge(ChallengePurpose::SignIn, None).await;
    assert_eq!(count_challenges(&t).await, 4, "issuing sweeps nothing");
    let swept = dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    assert_eq!(swept.challenges, 3);
    assert_eq!(count_challenges(&t).await, 1);

    // The sweep runs by itself on a server started with a short interval.
    let dir = common::data_dir("sweep");
    let url = common::fresh_database_url(db, &dir).await;
    let keys = dinhdanh_server::testing::ServerKeys::generate();
    let s = TestServer::start_with(dir, url, keys, |c| {
        c.sweep_interval = std::time::Duration::from_millis(50);
    })
    .await;
    s.challenge(ChallengePurpose::SignIn, None).await;
    s.clock
        .advance(ttl + dinhdanh_server::testing::EXPIRED_CHALLENGE_GRACE_SECS + 1);
    let mut left = count_challenges(&s).await;
    for _ in 0..200 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        left = count_challenges(&s).await;
    }
    assert_eq!(left, 0, "the background sweep forgot the expired challenge");
}

backend_test!(the_expiry_columns_the_sweep_reads_are_indexed);
async fn the_expiry_columns_the_sweep_reads_are_indexed(db: Backend) {
    let t = TestServer::start(db).await;
    let sql = match db {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name",
        Backend::Postgres => "SELECT indexname::text FROM pg_indexes ORDER BY indexname",
    };
    let names: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&t.state().pool)
        .await
        .unwrap();
    for index in [
        "challenges_expires_at",
        "pending_codes_expires_at",
        "rate_limits_window_start",
    ] {
        assert!(names.iter().any(|n| n == index), "{index} in {names:?}");
    }
}

async fn last_seen(t: &TestServer, id: &str) -> i64 {
    sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

async fn count_nonces(t: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM proof_nonces")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

backend_test!(a_signed_request_writes_the_sessions_last_use_at_most_once_a_minute);
async fn a_signed_request_writes_the_sessions_last_use_at_most_once_a_minute(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    let every = dinhdanh_server::testing::LAST_SEEN_EVERY_SECS;
    t.clock.advance(every);
    assert_eq!(me(&t, &session).await.status(), 200);
    let first = last_seen(&t, id.as_str()).await;
    // Within the minute: no write.
    t.clock.advance(every - 1);
    assert_eq!(me(&t, &session).await.status(), 200);
    assert_eq!(last_seen(&t, id.as_str()).await, first);
    // A minute after the last write: written again.
    t.clock.advance(1);
    assert_eq!(me(&t, &session).await.status(), 200);
    assert_eq!(last_seen(&t, id.as_str()).await, first + every);
    // The idle limit still holds, counted from the last write: never later than it says.
    let idle = t.state().config.limits.session_idle_secs;
    t.clock.advance(idle);
    assert_error(me(&t, &session).await, ErrorCode::SessionIdle).await;
}

backend_test!(expired_proof_nonces_are_swept_in_the_background_not_by_requests);
async fn expired_proof_nonces_are_swept_in_the_background_not_by_requests(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, _, _, session) = signed_in(&t).await;
    for _ in 0..3 {
        assert_eq!(me(&t, &session).await.status(), 200);
    }
    let before = count_nonces(&t).await;
    assert!(before >= 3, "{before}");
    // Once every proof's window has passed, a request forgets nothing; the sweep does.
    let window = 2 * i64::from(t.state().config.limits.clock_skew_secs);
    t.clock.advance(window + 1);
    assert_eq!(me(&t, &session).await.status(), 200);
    let after_request = count_nonces(&t).await;
    assert_eq!(after_request, before + 1, "the request only added its own");
    let swept = dinhdanh_server::testing::sweep_now(t.state())
        .await
        .unwrap();
    assert!(swept.proof_nonces >= 3, "{swept:?}");
    assert_eq!(
        count_nonces(&t).await,
        after_request - i64::try_from(swept.proof_nonces).unwrap()
    );
}

backend_test!(a_session_this_instance_remembers_is_still_checked_in_full_on_every_request);
/// A session whose facts the instance remembers (issue 18's short path: the proof checked
/// against the remembered key, one statement for the nonce and the session's state) is
/// refused for every reason the long path refuses it, with the same answer.
async fn a_session_this_instance_remembers_is_still_checked_in_full_on_every_request(db: Backend) {
    let t = TestServer::start(db).await;
    let (p, device, view, session) = signed_in(&t).await;
    let id = current_session_id(&t, &session).await;
    assert_eq!(me(&t, &session).await.status(), 200);
    assert!(!t.state().sessions.is_empty(), "remembered after a request");

    // The short path answers: it verifies with the key it remembered, so a stored key changed
    // behind its back (nothing in the server ever changes one) is not read.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT bound_key FROM sessions WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    let other = SigningKey::random(&mut OsRng);
    let other = dinhdanh_core::crypto::PublicKey::from_verifying_key(other.verifying_key());
    set_bound_key(&t, &id, other.as_bytes().to_vec()).await;
    assert_eq!(me(&t, &session).await.status(), 200);
    set_bound_key(&t, &id, stored).await;

    // A proof by another key, no proof, a replayed proof.
    let thief = SigningKey::random(&mut OsRng);
    let resp = t.get(paths::ME, Auth::ForeignKey(&session, &thief)).await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    let resp = t.get(paths::ME, Auth::TokenOnly(&session)).await;
    assert_error(resp, ErrorCode::InvalidRequestProof).await;
    let proof = ProofClaims::new(
        "GET",
        paths::ME,
        b"",
        Some(session.token.hash()),
        t.now(),
        [9u8; 16],
    )
    .unwrap()
    .sign_with(&session.key)
    .to_header_value();
    let url = format!("{}{}", t.server.base_url(), paths::ME);
    let send = || {
        t.http
            .get(&url)
            .header(
                "authorization",
                format!("DinhDanh {}", session.token.expose()),
            )
            .header(request_proof::HEADER_NAME, proof.clone())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    assert_error(send().await.unwrap(), ErrorCode::InvalidRequestProof).await;
    assert_eq!(me(&t, &session).await.status(), 200);

    // The account locked, then unlocked.
    let set_locked = |locked: i64| {
        sqlx::query("UPDATE accounts SET locked = $1 WHERE id = $2")
            .bind(locked)
            .bind(p.account.as_str())
            .execute(&t.state().pool)
    };
    set_locked(1).await.unwrap();
    assert_error(me(&t, &session).await, ErrorCode::AccountLocked).await;
    set_locked(0).await.unwrap();
    assert_eq!(me(&t, &session).await.status(), 200);

    // Idle, then renewed: the old token is refused although its facts were remembered.
    t.clock
        .advance(t.state().config.limits.session_idle_secs + 1);
    assert_error(me(&t, &session).await, ErrorCode::SessionIdle).await;
    let resp = renew(&t, &session, &id).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let renewed: LoginResponse = resp.json().await.unwrap();
    let new = Session {
        token: renewed.token,
        key: session.key.clone(),
        account: session.account.clone(),
    };
    assert_eq!(me(&t, &new).await.status(), 200);
    assert_error(me(&t, &session).await, ErrorCode::Unauthenticated).await;
    assert_eq!(me(&t, &new).await.status(), 200);

    // Past the absolute expiry, kept active until then.
    let absolute: i64 =
        sqlx::query_scalar("SELECT absolute_expires_at FROM sessions WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    while t.now() + 60 < absolute {
        t.clock.advance((absolute - t.now() - 1).min(25 * 60));
        assert_eq!(me(&t, &new).await.status(), 200);
    }
    t.clock.advance(absolute - t.now());
    assert_error(me(&t, &new).await, ErrorCode::SessionExpired).await;

    // Signed out.
    let again = sign_in(&t, &p, &device, &view.id).await;
    assert_eq!(me(&t, &again).await.status(), 200);
    let resp = t
        .send(
            "DELETE",
            paths::SESSION_CURRENT,
            None,
            Auth::Session(&again),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_error(me(&t, &again).await, ErrorCode::Unauthenticated).await;
}

async fn set_bound_key(t: &TestServer, id: &SessionId, key: Vec<u8>) {
    sqlx::query("UPDATE sessions SET bound_key = $1 WHERE id = $2")
        .bind(key)
        .bind(id.as_str())
        .execute(&t.state().pool)
        .await
        .unwrap();
}
