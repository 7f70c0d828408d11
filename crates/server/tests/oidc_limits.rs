//! Rate limits per relying party on the endpoints its servers call (PAR, token,
//! introspection), counted by authenticated client id: a burst from one service is answered
//! `429` with `Retry-After` and an OAuth error body, and does not slow another service down.
//! The limits are configured small here (the defaults are thousands per window).

use crate::common;
use crate::oidc_rp;

use common::{Backend, TestServer, backend_test};
use dinhdanh_server::testing::ServerKeys;
use oidc_rp::{Flow, Rp, random_text};
use serde_json::Value;

backend_test!(one_services_burst_is_limited_and_does_not_limit_another);
async fn one_services_burst_is_limited_and_does_not_limit_another(db: Backend) {
    let dir = common::data_dir("oidc-limits");
    let url = common::fresh_database_url(db, &dir).await;
    let t = TestServer::start_with(dir, url, ServerKeys::generate(), |c| {
        c.limits.oidc_par_per_client = 3;
        c.limits.oidc_introspect_per_client = 2;
    })
    .await;
    let busy = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let calm = Rp::register(&t, "Thuế điện tử", "thue.example.vn", false).await;
    let flow = Flow::new("openid");
    for _ in 0..3 {
        busy.push(&t, &flow).await;
    }
    let resp = busy.push_params(&t, &busy.par_params(&t, &flow)).await;
    assert_eq!(resp.status(), 429);
    let retry: i64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let window = t.state().config.limits.rate_window_secs;
    assert!(retry >= 1 && retry <= window, "{retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"].as_str().is_some());
    // The other service is not limited by the first one's burst.
    calm.push(&t, &flow).await;

    // Introspection is counted apart.
    let token = random_text();
    for _ in 0..2 {
        assert_eq!(busy.introspect(&t, &token).await["active"], false);
    }
    let assertion = busy.assertion(&t);
    let resp = busy
        .post_form(
            &t,
            dinhdanh_server::testing::oidc::INTROSPECT,
            &[
                ("token", &token),
                ("client_assertion_type", oidc_rp::JWT_BEARER),
                ("client_assertion", &assertion),
            ],
            None,
        )
        .await;
    assert_eq!(resp.status(), 429);
    assert_eq!(calm.introspect(&t, &token).await["active"], false);

    // The next window starts afresh.
    t.clock.advance(retry);
    busy.push(&t, &flow).await;
}

backend_test!(an_address_that_keeps_failing_client_authentication_is_refused_before_the_check);
async fn an_address_that_keeps_failing_client_authentication_is_refused_before_the_check(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let flow = Flow::new("openid");
    let limit = dinhdanh_server::testing::oidc::FAILED_AUTHENTICATIONS_PER_ADDRESS;
    // Successes are not counted: a busy service is never slowed by this limit.
    for _ in 0..(limit + 5) {
        rp.push(&t, &flow).await;
    }
    // Forged assertions from this address: each refused as invalid_client, then the address
    // is refused at once, even with a good assertion, until the window ends.
    let forged = |rp: &Rp| {
        let mut params = rp.par_params(&t, &flow);
        for (k, v) in &mut params {
            if k == "client_assertion" {
                *v = format!("{v}x");
            }
        }
        params
    };
    for n in 0..limit {
        let resp = rp.push_params(&t, &forged(&rp)).await;
        assert_eq!(resp.status(), 401, "forged assertion {n}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    let resp = rp.push_params(&t, &rp.par_params(&t, &flow)).await;
    assert_eq!(resp.status(), 429);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let retry: i64 = resp_retry(&t, &rp, &flow).await;
    t.clock.advance(retry);
    rp.push(&t, &flow).await;
}

/// The `Retry-After` of a refused push.
async fn resp_retry(t: &TestServer, rp: &Rp, flow: &Flow) -> i64 {
    let resp = rp.push_params(t, &rp.par_params(t, flow)).await;
    assert_eq!(resp.status(), 429);
    resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}
