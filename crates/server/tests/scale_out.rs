//! Scale-out: the server keeps no state outside the database, so two instances on one database
//! behave as one. Each test runs on both backends: on PostgreSQL this is the deployment case; on
//! SQLite the two instances share one database file.

use crate::common;
use crate::identity;

use std::path::PathBuf;

use common::{Auth, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::{AccountView, ChallengePurpose, ErrorCode, LoginResponse, paths};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_server::testing::AppState;
use dinhdanh_server::testing::ServerKeys;
use dinhdanh_server::testing::audit::{self, AuditRecord};
use dinhdanh_server::testing::challenges;

/// Two instances on one fresh database, with the same server keys (as a deployment shares
/// them through `DINHDANH_SERVER_KEYS`) and separate data directories.
async fn two_instances(db: Backend) -> (TestServer, TestServer) {
    let tag = dinhdanh_server::testing::unique_name("so");
    let dir = |n: &str| -> PathBuf {
        let d = std::env::temp_dir().join(format!("dd-test-{tag}-{n}"));
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let (dir_a, dir_b, keys_dir) = (dir("a"), dir("b"), dir("keys"));
    let database_url = common::fresh_database_url(db, &dir_a).await;
    let keys = || ServerKeys::load_or_create(&keys_dir).unwrap();
    let a = TestServer::start_on(dir_a, database_url.clone(), keys()).await;
    let b = TestServer::start_on(dir_b, database_url, keys()).await;
    std::fs::remove_dir_all(&keys_dir).ok();
    assert_ne!(a.server.addr, b.server.addr);
    (a, b)
}

backend_test!(a_challenge_issued_by_one_instance_is_redeemed_at_the_other_once);
async fn a_challenge_issued_by_one_instance_is_redeemed_at_the_other_once(db: Backend) {
    let (a, b) = two_instances(db).await;
    let challenge = a.challenge(ChallengePurpose::SignIn, None).await;

    challenges::consume(b.state(), &challenge, ChallengePurpose::SignIn, None)
        .await
        .expect("the other instance knows the challenge");
    let again = challenges::consume(a.state(), &challenge, ChallengePurpose::SignIn, None)
        .await
        .unwrap_err();
    assert!(again.is(ErrorCode::ChallengeInvalid), "{again}");
}

backend_test!(
    a_sign_in_challenge_from_one_instance_signs_in_at_the_other_and_the_session_works_at_both
);
async fn a_sign_in_challenge_from_one_instance_signs_in_at_the_other_and_the_session_works_at_both(
    db: Backend,
) {
    let (a, b) = two_instances(db).await;
    let (person, device, view, _) = identity::signed_in(&a).await;

    // The challenge comes from A, the sign-in goes to B.
    let body = identity::login_body(&a, &person.citizen_id, &person.password, &view.id).await;
    let resp = b
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let login: LoginResponse = resp.json().await.unwrap();
    let session = common::Session {
        token: login.token,
        key: device.device_key.clone(),
        account: person.account.clone(),
    };

    // The session B created is honoured by A, and by B.
    for t in [&a, &b] {
        let resp = t.get(paths::ME, Auth::Session(&session)).await;
        assert_eq!(resp.status(), 200);
        let me: AccountView = resp.json().await.unwrap();
        assert_eq!(me.id, person.account);
    }

    // The challenge is spent everywhere: the same sign-in replayed at A is refused.
    let replay = a
        .post(paths::LOGIN, &body, Auth::DeviceKey(&device.device_key))
        .await;
    assert!(replay.status().is_client_error(), "{}", replay.status());
}

backend_test!(
    concurrent_redemptions_at_two_instances_let_exactly_one_succeed,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn concurrent_redemptions_at_two_instances_let_exactly_one_succeed(db: Backend) {
    let (a, b) = two_instances(db).await;
    let challenge = b.challenge(ChallengePurpose::SignIn, None).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let state = if i % 2 == 0 { a.state() } else { b.state() }.clone();
        let challenge = challenge.clone();
        tasks.push(tokio::spawn(async move {
            challenges::consume(&state, &challenge, ChallengePurpose::SignIn, None).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => assert!(e.is(ErrorCode::ChallengeInvalid), "unexpected: {e}"),
        }
    }
    assert_eq!(ok, 1);
}

async fn append_many(state: AppState, who: &'static str, n: usize) {
    for i in 0..n {
        let object = format!("test:{who}-{i}");
        audit::append(
            &state,
            AuditRecord {
                actor: Some(who),
                action: "test.appended",
                object: Some(&object),
                ..AuditRecord::default()
            },
        )
        .await
        .expect("append");
    }
}

backend_test!(
    audit_appends_from_two_instances_interleaved_keep_one_valid_chain,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn audit_appends_from_two_instances_interleaved_keep_one_valid_chain(db: Backend) {
    let (a, b) = two_instances(db).await;
    let mut tasks = Vec::new();
    for _ in 0..3 {
        tasks.push(tokio::spawn(append_many(a.state().clone(), "acc_a", 15)));
        tasks.push(tokio::spawn(append_many(b.state().clone(), "acc_b", 15)));
    }
    for task in tasks {
        task.await.unwrap();
    }

    // Both instances' entries are in the one chain, interleaved.
    let actors: Vec<String> = sqlx::query_scalar("SELECT actor FROM audit_log ORDER BY seq")
        .fetch_all(&a.state().pool)
        .await
        .unwrap();
    assert_eq!(actors.len(), 90);
    let switches = actors.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches >= 1, "entries of both instances");

    // Verified from either instance, against either instance's checkpoint.
    for t in [&a, &b] {
        let report = audit::verify_chain(t.state()).await.unwrap();
        assert_eq!(report.entries, 90);
        assert_eq!(report.first_broken, None);
        assert!(report.checkpoint_matches);
    }
}

backend_test!(
    a_request_proof_accepted_by_one_instance_is_refused_by_both,
    flavor = "multi_thread",
    worker_threads = 4
);
async fn a_request_proof_accepted_by_one_instance_is_refused_by_both(db: Backend) {
    let (a, b) = two_instances(db).await;
    let (_, _, _, session) = identity::signed_in(&a).await;
    let proof = |nonce: [u8; 16]| {
        ProofClaims::new(
            "GET",
            paths::ME,
            b"",
            Some(session.token.hash()),
            a.now(),
            nonce,
        )
        .unwrap()
        .sign_with(&session.key)
        .to_header_value()
    };
    let send = |t: &TestServer, proof: String| {
        t.http
            .get(format!("{}{}", t.server.base_url(), paths::ME))
            .header(
                "authorization",
                format!("DinhDanh {}", session.token.expose()),
            )
            .header(request_proof::HEADER_NAME, proof)
            .send()
    };

    // Used at A, replayed at B and at A.
    let once = proof([1u8; 16]);
    assert_eq!(send(&a, once.clone()).await.unwrap().status(), 200);
    for t in [&b, &a] {
        let replay = send(t, once.clone()).await.unwrap();
        identity::assert_error(replay, ErrorCode::InvalidRequestProof).await;
    }

    // Proofs made in one order and delivered in another, to either instance, each pass once.
    let (first, second) = (proof([3u8; 16]), proof([4u8; 16]));
    assert_eq!(send(&b, second.clone()).await.unwrap().status(), 200);
    assert_eq!(send(&a, first.clone()).await.unwrap().status(), 200);
    for (t, again) in [(&a, second), (&b, first)] {
        identity::assert_error(
            send(t, again).await.unwrap(),
            ErrorCode::InvalidRequestProof,
        )
        .await;
    }

    // One proof sent to both instances at once, many times over: exactly one is answered.
    let raced = proof([2u8; 16]);
    let sends: Vec<_> = (0..16)
        .map(|i| send(if i % 2 == 0 { &a } else { &b }, raced.clone()))
        .collect();
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}
