//! A relying party that publishes its keys at a JWKS URI instead of registering them inline:
//! checked at registration (fetched, within size limits, public ES256 keys only), cached, and
//! fetched again when an assertion names a `kid` the cached set does not hold — at most every
//! so often, so unknown `kid`s do not make the provider hammer the service.

use crate::common;
use crate::oidc_rp;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Backend, TestServer, backend_test};
use dinhdanh_core::api::ErrorCode;
use dinhdanh_server::testing::ServerError;
use dinhdanh_server::testing::clients::{self, ClientRegistration};
use jsonwebtoken::{Algorithm, Header};
use oidc_rp::{Flow, Rp, oauth_error, public_jwk};
use p256::ecdsa::SigningKey;
use rand_core::OsRng;
use serde_json::json;

/// A service's key publication on loopback: `/jwks` serves `set`; `/big` and `/private`
/// serve what must be refused. Counts the requests to `/jwks`.
#[derive(Clone, Default)]
struct KeyServer {
    set: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
    port: u16,
}

impl KeyServer {
    async fn start() -> KeyServer {
        use axum::extract::State;
        use axum::routing::get;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let k = KeyServer {
            port: listener.local_addr().unwrap().port(),
            ..KeyServer::default()
        };
        let key = public_jwk(&SigningKey::random(&mut OsRng), Some("k"));
        let mut private = serde_json::to_value(&key).unwrap();
        private["d"] = "AAAA".into();
        let private = json!({ "keys": [private] }).to_string();
        // A good set, padded past the size limit.
        let big = json!({ "keys": [key], "padding": "x".repeat(70 * 1024) }).to_string();
        let app = axum::Router::new()
            .route(
                "/jwks",
                get(|State(k): State<KeyServer>| async move {
                    k.fetches.fetch_add(1, Ordering::SeqCst);
                    k.set.lock().unwrap().clone()
                }),
            )
            .route("/big", get(move || async move { big }))
            .route("/private", get(move || async move { private }))
            .with_state(k.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        k
    }

    fn uri(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// The fields a `validation_failed` error names, with their English messages.
fn problems(e: ServerError) -> Vec<(String, String)> {
    match e {
        ServerError::Api(e) => {
            assert_eq!(e.code, ErrorCode::ValidationFailed.as_str(), "{e:?}");
            e.details
                .iter()
                .map(|d| (d.field.clone().unwrap_or_default(), d.message_en.clone()))
                .collect()
        }
        e => panic!("expected validation_failed, got {e:?}"),
    }
}

backend_test!(keys_at_a_jwks_uri_are_fetched_cached_and_fetched_again_for_a_new_kid);
async fn keys_at_a_jwks_uri_are_fetched_cached_and_fetched_again_for_a_new_kid(db: Backend) {
    let t = TestServer::start(db).await;
    let keys = KeyServer::start().await;
    let (set, uri) = (keys.set.clone(), keys.uri("jwks"));
    let mut rp = Rp::register_with(
        &t,
        "Cổng dịch vụ công",
        "dichvucong.example.vn",
        false,
        |r| {
            // The service publishes the key instead of registering it.
            *set.lock().unwrap() = std::mem::take(&mut r.jwks);
            r.jwks_uri = Some(uri);
        },
    )
    .await;
    let client = clients::find_client(t.state(), &rp.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(client.jwks.keys.is_empty(), "nothing inline");
    assert_eq!(keys.fetches(), 1, "checked at registration");

    let flow = Flow::new("openid");
    rp.push(&t, &flow).await;
    let after_first = keys.fetches();
    rp.push(&t, &flow).await;
    assert_eq!(keys.fetches(), after_first, "cached");

    // The service rotates its key: an assertion under the new kid fetches the set again.
    let new_key = SigningKey::random(&mut OsRng);
    *keys.set.lock().unwrap() = json!({ "keys": [public_jwk(&new_key, Some("k2"))] }).to_string();
    t.clock.advance(60);
    rp.key = new_key;
    rp.kid = "k2".into();
    rp.push(&t, &flow).await;
    assert_eq!(keys.fetches(), after_first + 1);

    // A kid it does not publish is refused, and does not fetch again right away.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k9".into());
    let claims = rp.assertion_claims(&t, t.origin().as_str());
    let unknown = oidc_rp::sign(&rp.key, &header, &claims);
    let mut params = rp.par_params(&t, &flow);
    for (k, v) in &mut params {
        if k == "client_assertion" {
            *v = unknown.clone();
        }
    }
    let resp = rp.push_params(&t, &params).await;
    assert_eq!(oauth_error(resp).await, (401, "invalid_client".into()));
    assert_eq!(keys.fetches(), after_first + 1, "no fetch storm");
}

backend_test!(keys_set_inline_replace_a_jwks_uri);
async fn keys_set_inline_replace_a_jwks_uri(db: Backend) {
    let t = TestServer::start(db).await;
    let keys = KeyServer::start().await;
    let (set, uri) = (keys.set.clone(), keys.uri("jwks"));
    let mut rp = Rp::register_with(
        &t,
        "Cổng dịch vụ công",
        "dichvucong.example.vn",
        false,
        |r| {
            *set.lock().unwrap() = std::mem::take(&mut r.jwks);
            r.jwks_uri = Some(uri);
        },
    )
    .await;
    // The operator sets the keys inline (`client set-jwks`): from then on they are the ones
    // used, and the URI is no longer asked.
    let inline_key = SigningKey::random(&mut OsRng);
    let inline = json!({ "keys": [public_jwk(&inline_key, Some("inline"))] }).to_string();
    let client = clients::set_client_jwks(t.state(), &rp.client_id, &inline)
        .await
        .unwrap();
    assert_eq!(client.jwks_uri, None);
    assert_eq!(client.jwks.keys.len(), 1);
    let fetched = keys.fetches();
    rp.key = inline_key;
    rp.kid = "inline".into();
    rp.push(&t, &Flow::new("openid")).await;
    assert_eq!(keys.fetches(), fetched, "the URI is not asked again");
}

backend_test!(a_jwks_uri_that_is_not_https_or_serves_a_bad_set_is_refused);
async fn a_jwks_uri_that_is_not_https_or_serves_a_bad_set_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let keys = KeyServer::start().await;
    let registration = |jwks_uri: &str, jwks: &str| ClientRegistration {
        name_vi: "Hải quan điện tử".into(),
        name_en: "e-Customs".into(),
        redirect_uris: vec!["https://haiquan.example.vn/cb".into()],
        jwks: jwks.into(),
        jwks_uri: Some(jwks_uri.into()),
        ..Default::default()
    };
    for (uri, jwks, field, why) in [
        ("http://haiquan.example.vn/jwks", "", "jwks_uri", "loopback"),
        (&*keys.uri("big"), "", "jwks_uri", "too large"),
        (&*keys.uri("private"), "", "jwks_uri", "private key"),
        (&*keys.uri("nothing-here"), "", "jwks_uri", "404"),
        (&*keys.uri("jwks"), r#"{"keys":[]}"#, "jwks", "not both"),
    ] {
        let e = clients::add_client(t.state(), &registration(uri, jwks))
            .await
            .unwrap_err();
        let found = problems(e);
        assert_eq!(found.len(), 1, "{uri}: {found:?}");
        assert_eq!(found[0].0, field, "{uri}");
        assert!(found[0].1.contains(why), "{uri}: {found:?}");
    }
    // Nothing but the officer console's own registration, made at start.
    assert!(
        clients::list_clients(t.state())
            .await
            .unwrap()
            .iter()
            .all(|c| c.id == dinhdanh_server::resources::console::CLIENT_ID)
    );
}
