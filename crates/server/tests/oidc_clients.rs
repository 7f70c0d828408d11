//! Relying parties registered by the operator (`dinhdanh-server client add|list|show|disable`,
//! through the library functions the commands call): what is accepted, what is refused with a
//! clear error on its field, and that a refusal stores nothing and audits nothing.

use crate::common;

use std::process::Command;

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
        logo: None,
        ..Default::default()
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

/// The officer console's client, which every server registers at start.
const CONSOLE: &str = dinhdanh_server::resources::console::CLIENT_ID;

/// The clients an operator registered: every client but the console's own.
async fn operators_clients(state: &dinhdanh_server::testing::AppState) -> Vec<clients::Client> {
    clients::list_clients(state)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.id != CONSOLE)
        .collect()
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

    let listed = operators_clients(state).await;
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
    // Logout addresses are checked like redirect URIs: http:// other than loopback, a
    // fragment, not in normal form, listed twice.
    let mut r = registration("Hải quan điện tử", "e-Customs");
    r.backchannel_logout_uri = Some("http://haiquan.example.vn/logout".into());
    r.post_logout_redirect_uris = vec![
        "https://haiquan.example.vn/bye#x".into(),
        "https://HAIQUAN.example.vn/bye".into(),
        "https://haiquan.example.vn/bye".into(),
        "https://haiquan.example.vn/bye".into(),
    ];
    assert_eq!(
        fields(clients::add_client(state, &r).await.unwrap_err()),
        [
            "backchannel_logout_uri",
            "post_logout_redirect_uris[0]",
            "post_logout_redirect_uris[1]",
            "post_logout_redirect_uris[3]"
        ]
    );
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
    assert_eq!(operators_clients(state).await.len(), 1);
    assert_eq!(audit_count(&t, "client.add").await, 1);
    clients::add_client(state, &registration("Dịch vụ thuế", "Tax"))
        .await
        .unwrap();
}

/// Runs the server binary on the test server's data directory and database.
fn cli(t: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dinhdanh-server"))
        .arg("--data-dir")
        .arg(&t.data_dir)
        .arg("--database-url")
        .arg(&t.database_url)
        .args(args)
        .env_remove("DINHDANH_SERVER_KEYS")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the server binary runs")
}

backend_test!(the_client_commands_work_through_the_server_binary);
async fn the_client_commands_work_through_the_server_binary(db: Backend) {
    let t = TestServer::start(db).await;
    let jwks_file = t.data_dir.join("rp-jwks.json");
    std::fs::write(&jwks_file, jwks()).unwrap();
    let jwks_path = jwks_file.to_str().unwrap();
    let add = |name_vi: &str, name_en: &str, redirect: &str| {
        cli(
            &t,
            &[
                "client",
                "add",
                "--name-vi",
                name_vi,
                "--name-en",
                name_en,
                "--redirect-uri",
                redirect,
                "--jwks",
                jwks_path,
                "--claim",
                "name",
                "--organisations",
                "--backchannel-logout-uri",
                "https://dichvucong.example.vn/backchannel",
                "--post-logout-redirect-uri",
                "https://dichvucong.example.vn/bye",
                "--post-logout-redirect-uri",
                "https://dichvucong.example.vn/",
            ],
        )
    };
    let out = add(
        "Cổng dịch vụ công (thử nghiệm)",
        "Public Service Portal (test)",
        "https://dichvucong.example.vn/callback",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client_id = stdout.split_whitespace().next().unwrap().to_owned();
    assert!(client_id.starts_with("rp_"), "{stdout}");

    // Refused with the field and the reason, and nothing stored.
    let out = add("Hải quan", "Customs", "http://haiquan.example.vn/cb");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redirect_uris[0]"), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");

    let out = cli(&t, &["client", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    // The console's own registration (made at start) and this one.
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains(CONSOLE), "{listed}");
    assert!(listed.contains(&client_id) && listed.contains("active"));
    let out = cli(&t, &["client", "show", &client_id]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("redirect: https://dichvucong.example.vn/callback"));
    assert!(
        shown.contains("back-channel logout: https://dichvucong.example.vn/backchannel"),
        "{shown}"
    );
    assert!(shown.contains("post-logout redirect: https://dichvucong.example.vn/bye"));
    assert!(shown.contains("post-logout redirect: https://dichvucong.example.vn/\n"));
    let out = cli(&t, &["client", "disable", &client_id]);
    assert!(out.status.success());
    let out = cli(&t, &["client", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabled"));

    // The signing keys: a rotation publishes a second key.
    let keys = |t: &TestServer| {
        let out = cli(t, &["oidc", "jwks"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["keys"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(keys(&t), 1);
    let out = cli(&t, &["oidc", "rotate-key", "--changeover-secs", "3600"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(keys(&t), 2);
}

/// An image of `w`×`h` pixels encoded as `format`.
fn image_file(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 0x80]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

backend_test!(a_logo_is_stored_re_encoded_as_png_and_a_bad_one_is_refused);
async fn a_logo_is_stored_re_encoded_as_png_and_a_bad_one_is_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let state = t.state();
    // A JPEG with bytes appended after its end: stored as a PNG of the same picture, without
    // the appended bytes.
    let mut jpeg = image_file(64, 48, image::ImageFormat::Jpeg);
    jpeg.extend_from_slice(b"<script>alert(1)</script>");
    let mut r = registration("Thuế điện tử", "e-Tax");
    r.logo = Some(jpeg);
    let client = clients::add_client(state, &r).await.unwrap();
    let png = clients::find_client(state, &client.id)
        .await
        .unwrap()
        .unwrap()
        .logo_png
        .expect("a logo");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(!png.windows(8).any(|w| w == b"<script>"));
    let decoded = image::load_from_memory(&png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 48));

    // Too large a picture, too large a file, not an image, another format.
    let too_wide = image_file(2000, 10, image::ImageFormat::Png);
    let mut too_big = image_file(16, 16, image::ImageFormat::Png);
    too_big.resize(300 * 1024, 0);
    let gif_like = b"GIF89a\x01\x00\x01\x00".to_vec();
    for logo in [too_wide, too_big, b"not an image".to_vec(), gif_like] {
        let mut r = registration("Hải quan điện tử", "e-Customs");
        r.logo = Some(logo);
        assert_eq!(
            fields(clients::add_client(state, &r).await.unwrap_err()),
            ["logo"]
        );
    }
    assert_eq!(operators_clients(state).await.len(), 1);
}
