//! Relying parties registered by the operator (`dinhdanh-server client add|list|show|disable`,
//! through the library functions the commands call): what is accepted, what is refused with a
//! clear error on its field, and that a refusal stores nothing and audits nothing.

mod common;

use common::TestServer;
use common::{Backend, backend_test};
use dinhdanh_core::api::ErrorCode;
use dinhdanh_server::testing::ServerError;
use dinhdanh_server::testing::clients::{self, ClientRegistration};

/// A JWK set with one fresh public ES256 key.
fn jwks() -> String {
    use base64::Engine as _;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let key = p256::SecretKey::random(&mut rand_core::OsRng);
    let point = key.public_key().to_encoded_point(false);
    let b = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "rp-key-1", "alg": "ES256", "use": "sig",
        "x": b(point.x().unwrap()), "y": b(point.y().unwrap()),
    }]})
    .to_string()
}

fn registration(name_vi: &str, name_en: &str) -> ClientRegistration {
    ClientRegistration {
        name_vi: name_vi.into(),
        name_en: name_en.into(),
        redirect_uris: vec!["https://dichvucong.example.vn/callback".into()],
        jwks: jwks(),
        sector: None,
        allowed_claims: vec!["name".into()],
        allow_organisations: true,
        allow_citizen_id: false,
    }
}

async fn audit_count(t: &TestServer, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

/// The fields a `validation_failed` error names.
fn fields(e: ServerError) -> Vec<String> {
    match e {
        ServerError::Api(e) => {
            assert_eq!(e.code, ErrorCode::ValidationFailed.as_str(), "{e:?}");
            e.details.iter().filter_map(|d| d.field.clone()).collect()
        }
        e => panic!("expected validation_failed, got {e:?}"),
    }
}

backend_test!(an_operator_registers_lists_shows_and_disables_a_relying_party);
async fn an_operator_registers_lists_shows_and_disables_a_relying_party(db: Backend) {
    let t = TestServer::start(db).await;
    let state = t.state();
    let client = clients::add_client(
        state,
        &registration(
            "Cổng dịch vụ công (thử nghiệm)",
            "Public Service Portal (test)",
        ),
    )
    .await
    .unwrap();
    assert!(client.id.starts_with("rp_"));
    assert!(client.active);
    assert_eq!(
        client.sector, "dichvucong.example.vn",
        "the redirect URIs' host"
    );
    assert_eq!(client.allowed_claims, vec![clients::Claim::Name]);
    assert_eq!(client.jwks.keys.len(), 1);
    assert_eq!(audit_count(&t, "client.add").await, 1);

    let listed = clients::list_clients(state).await.unwrap();
    assert_eq!(listed.len(), 1);
    let shown = clients::find_client(state, &client.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown.name_vi, "Cổng dịch vụ công (thử nghiệm)");
    assert!(shown.has_redirect_uri("https://dichvucong.example.vn/callback"));
    assert!(!shown.has_redirect_uri("https://dichvucong.example.vn/callback/"));

    clients::disable_client(state, &client.id).await.unwrap();
    let shown = clients::find_client(state, &client.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!shown.active);
    assert_eq!(audit_count(&t, "client.disable").await, 1);
    let again = clients::disable_client(state, &client.id)
        .await
        .unwrap_err();
    assert!(again.is(ErrorCode::InvalidState), "{again:?}");
    let unknown = clients::disable_client(state, "rp_unknown")
        .await
        .unwrap_err();
    assert!(unknown.is(ErrorCode::NotFound), "{unknown:?}");
}

backend_test!(bad_registrations_are_refused_on_their_field_and_store_nothing);
async fn bad_registrations_are_refused_on_their_field_and_store_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let state = t.state();
    clients::add_client(state, &registration("Thuế điện tử", "e-Tax"))
        .await
        .unwrap();

    // http:// other than loopback, and a custom scheme.
    let mut r = registration("Hải quan điện tử", "e-Customs");
    r.redirect_uris = vec!["http://haiquan.example.vn/cb".into(), "haiquan://cb".into()];
    assert_eq!(
        fields(clients::add_client(state, &r).await.unwrap_err()),
        ["redirect_uris[0]", "redirect_uris[1]", "sector"]
    );
    // A malformed JWK set, a private key, an HMAC key.
    for jwks in [
        "not json".to_owned(),
        jwks().replace("\"kid\"", "\"d\":\"AAAA\",\"kid\""),
        r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#.to_owned(),
    ] {
        let mut r = registration("Hải quan điện tử", "e-Customs");
        r.jwks = jwks;
        assert_eq!(
            fields(clients::add_client(state, &r).await.unwrap_err()),
            ["jwks"]
        );
    }
    // An unknown claim; an empty name.
    let mut r = registration("Hải quan điện tử", "");
    r.allowed_claims = vec!["address".into()];
    assert_eq!(
        fields(clients::add_client(state, &r).await.unwrap_err()),
        ["name_en", "allowed_claims"]
    );
    // The same name, and a look-alike: Cyrillic "е" and "о" for Latin, other case and spacing.
    let same = registration("Thuế điện tử", "Tax online");
    assert_eq!(
        fields(clients::add_client(state, &same).await.unwrap_err()),
        ["name_vi"]
    );
    let look_alike = registration("Dịch vụ thuế", "\u{0435}-Tax");
    assert_eq!(
        fields(clients::add_client(state, &look_alike).await.unwrap_err()),
        ["name_en"]
    );
    let look_alike = registration("THUẾ  ĐIỆN TỬ", "Tax");
    assert_eq!(
        fields(clients::add_client(state, &look_alike).await.unwrap_err()),
        ["name_vi"]
    );

    // Nothing of any of them was stored or audited; a name refused as a look-alike did not
    // claim its other, free name either.
    assert_eq!(clients::list_clients(state).await.unwrap().len(), 1);
    assert_eq!(audit_count(&t, "client.add").await, 1);
    clients::add_client(state, &registration("Dịch vụ thuế", "Tax"))
        .await
        .unwrap();
}
