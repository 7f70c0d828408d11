//! The shell's commands through Tauri's mock runtime, with the app's real configuration and
//! access control (no window, no WebView): every command of the contract is registered and
//! allowed for the main window only, bad arguments are errors, drafts round-trip, QR codes of
//! another server or of something else are refused (as pictures, frames or the phone
//! scanner's text), the phone scanner's plugin is out of the computer window's reach, and a
//! person binds, signs in, fails to switch to an organisation they do not belong to, signs out
//! and in again, and signs a desktop in by QR, which then switches accounts only once the phone
//! confirms — against the real server in-process on loopback, with the secrets in the
//! real OS keystore (run inside a D-Bus session with gnome-keyring, see the README).

// The commands answer the contract's `ApiError` as it is; so do the helpers that call them.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;
use std::sync::Arc;

use dinhdanh_app_lib::{
    AppLiveSink, LIVE_EVENT, LiveSink, NoLiveSink, Shell, ShellOptions, context, with_commands,
};
use dinhdanh_client::biometric::NoBiometrics;
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::KdfParams;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ApiError, LiveEvent, RegistrationStatus, RegistrationView, SecretText, SetDelegationServices,
};
use dinhdanh_core::app::{
    self, AnswerConsentArgs, BindFinishArgs, BindStartArgs, Command, Confirm,
    ConfirmDesktopActionArgs, ConfirmIdentityArgs, DeclineDesktopActionArgs, DeviceRole, InboxLink,
    LoadDraftArgs, PasscodeResetFinishArgs, PasscodeResetStartArgs, QrApproveArgs, QrLoginOutcome,
    QrScanArgs, RegistrationArgs, SaveDraftArgs, SelfLockFinishArgs, SelfLockStartArgs,
    SetDelegationServicesArgs, SignInArgs, SubmitRegistrationArgs, SwitchAccountArgs,
    UploadAttachmentArgs, WithdrawRegistrationArgs, WithdrawServiceConsentArgs,
};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::{
    CitizenId, DelegationId, Gender, OldProvince, OrgEid, Password, PhoneNumber,
};
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::qr_login::{QrLoginPayload, RendezvousId};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::RunningServer;
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::{self, ServerSetup};
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use sqlx::Row;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

const PASSWORD: &str = "Matkhau#2025";
const PASSCODE: &str = "271828";

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// The app under the mock runtime
// ---------------------------------------------------------------------------------------------

/// One app profile: its mock app, main window, data directory and keystore namespace (both
/// removed when it is dropped).
struct TestApp {
    app: App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    profile: String,
    dir: PathBuf,
}

impl TestApp {
    fn new(server: &str) -> TestApp {
        Self::with_sink(server, Arc::new(NoLiveSink))
    }

    /// A profile whose live events go to `live_sink`.
    fn with_sink(server: &str, live_sink: Arc<dyn LiveSink>) -> TestApp {
        let profile = format!("t{}", random_hex(6));
        let dir = std::env::temp_dir().join(format!("dd-app-test-{profile}"));
        let shell = Shell::new(ShellOptions {
            profile: profile.clone(),
            data_dir: dir.clone(),
            server: server.to_owned(),
            kdf: KdfParams::insecure_for_tests(),
            biometric: Arc::new(NoBiometrics),
            open_keystore: Arc::new(Keystore::os),
            live_sink,
            device_name: Some(device_name(&profile)),
        })
        .unwrap();
        let app = with_commands(mock_builder())
            .manage(shell)
            .build(context())
            .unwrap();
        let main = match app.get_webview_window("main") {
            Some(w) => w,
            None => WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .unwrap(),
        };
        TestApp {
            app,
            main,
            profile,
            dir,
        }
    }

    fn invoke<C: Command>(&self, args: &C::Args) -> Result<C::Output, ApiError> {
        invoke::<C>(&self.main, args)
    }
}

/// The name a test profile's shell gives its device, as `this_device_name` would on a computer.
fn device_name(profile: &str) -> String {
    format!("Máy tính {profile} (Test OS 1.0)")
}

/// Invokes command `C` from `window` with the contract's types.
fn invoke<C: Command>(
    window: &WebviewWindow<MockRuntime>,
    args: &C::Args,
) -> Result<C::Output, ApiError> {
    match raw_invoke(window, C::NAME, serde_json::json!({ app::ARGS: args })) {
        Ok(value) => Ok(serde_json::from_value(value).unwrap()),
        Err(e) => Err(serde_json::from_value(e.clone())
            .unwrap_or_else(|_| panic!("{} answered a non-ApiError: {e}", C::NAME))),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Ok(k) = Keystore::os(&self.profile) {
            let _ = k.clear();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Invokes `cmd` from `window` as the WebView would (`window.__TAURI_INTERNALS__.invoke`).
fn raw_invoke<S: Serialize>(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    body: S,
) -> Result<serde_json::Value, serde_json::Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(serde_json::to_value(body).unwrap()),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<serde_json::Value>().unwrap())
}

fn text(v: &serde_json::Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

/// The real server on a free loopback port, fresh SQLite, on the system clock (the app signs
/// with the system time).
struct TestServer {
    server: RunningServer,
    data_dir: PathBuf,
}

impl TestServer {
    fn start() -> TestServer {
        tauri::async_runtime::block_on(async {
            let data_dir = std::env::temp_dir().join(format!("dd-app-srv-{}", random_hex(8)));
            std::fs::create_dir_all(&data_dir).unwrap();
            let mut setup = ServerSetup::new(data_dir.clone(), testing::sqlite_url(&data_dir));
            setup.clock = None;
            let server = testing::start_server(setup, |_| {}).await.unwrap();
            TestServer { server, data_dir }
        })
    }

    fn url(&self) -> String {
        self.server.base_url()
    }

    /// A person in the registry with a level-2 account: (citizen id, phone).
    fn person(&self) -> (CitizenId, String) {
        let citizen_id = CitizenId::from_parts(
            OldProvince::from_code(1).unwrap(),
            Gender::Female,
            1990,
            OsRng.next_u32() % 1_000_000,
        )
        .unwrap();
        let phone = format!("091{:07}", OsRng.next_u32() % 10_000_000);
        let record = CitizenRecord {
            citizen_id: citizen_id.clone(),
            full_name: "Nguyễn Thị Lan".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
            gender: Gender::Female,
            phone: PhoneNumber::parse(&phone).unwrap(),
            email: None,
        };
        tauri::async_runtime::block_on(async {
            let state = &self.server.state;
            accounts::insert_citizen(state, &record).await.unwrap();
            accounts::create_account(
                state,
                &citizen_id,
                &Password::parse(PASSWORD).unwrap(),
                AccountLevel::Level2,
            )
            .await
            .unwrap();
        });
        (citizen_id, phone)
    }

    /// The bodies of the text messages of `kind` sent to `recipient`, oldest first.
    fn texts_to(&self, recipient: &str, kind: &str) -> Vec<String> {
        let log = std::fs::read_to_string(self.data_dir.join("outbox.log")).unwrap();
        log.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["to"] == recipient && m["kind"] == kind && m["channel"] == "sms")
            .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The last 6-digit code the outbox sent to `recipient`.
    fn last_code_to(&self, recipient: &str) -> String {
        let log = std::fs::read_to_string(self.data_dir.join("outbox.log")).unwrap();
        log.lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["to"] == recipient)
            .find_map(|m| {
                let body = m["body"].as_str().unwrap_or_default().to_owned();
                body.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| panic!("no code was sent to {recipient}"))
    }

    /// The payload of the newest rendezvous, as the desktop's screen shows it (read from the
    /// database: the shell gives the UI a picture, not the text).
    fn newest_qr_payload(&self) -> QrLoginPayload {
        tauri::async_runtime::block_on(async {
            let row = sqlx::query(
                "SELECT rendezvous, desktop_key, expires_at FROM qr_logins \
                 ORDER BY created_at DESC LIMIT 1",
            )
            .fetch_one(&self.server.state.pool)
            .await
            .unwrap();
            let id: String = row.try_get("rendezvous").unwrap();
            let key: Vec<u8> = row.try_get("desktop_key").unwrap();
            let expires_at: i64 = row.try_get("expires_at").unwrap();
            QrLoginPayload::new(
                RendezvousId::parse(&id).unwrap(),
                PublicKey::from_sec1_compressed(&key.try_into().unwrap()).unwrap(),
                Origin::parse(&self.url()).unwrap(),
                expires_at,
            )
            .unwrap()
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn passcode() -> Confirm {
    Confirm::Passcode {
        passcode: SecretText::new(PASSCODE),
    }
}

/// Binds `app` to the person and signs in, through the commands.
fn bind(t: &TestServer, app: &TestApp, citizen_id: &CitizenId, phone: &str) -> app::AppStatus {
    app.invoke::<app::BindStart>(&BindStartArgs {
        citizen_id: citizen_id.as_str().to_owned(),
        password: SecretText::new(PASSWORD),
    })
    .unwrap();
    app.invoke::<app::BindFinish>(&BindFinishArgs {
        code: t.last_code_to(phone),
        passcode: SecretText::new(PASSCODE),
        passcode_again: SecretText::new(PASSCODE),
    })
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Registration and access control
// ---------------------------------------------------------------------------------------------

#[test]
fn every_command_of_the_contract_is_registered_and_allowed_for_the_main_window() {
    let app = TestApp::new("http://127.0.0.1:9");
    // A control: an unknown command is reported as such.
    let unknown = raw_invoke(&app.main, "no_such_command", serde_json::json!({})).unwrap_err();
    assert!(text(&unknown).contains("not found"), "{unknown}");
    for name in app::COMMAND_NAMES {
        // Arguments no command accepts: the command must be found, allowed, and refuse them.
        let err = raw_invoke(&app.main, name, serde_json::json!({ "args": { "x": [1] } }))
            .expect_err(name);
        let msg = text(&err);
        assert!(msg.contains("invalid args"), "{name}: {msg}");
        assert!(
            !msg.contains("not found") && !msg.contains("not allowed"),
            "{name}: {msg}"
        );
    }
}

#[test]
fn no_other_window_may_call_the_commands() {
    let app = TestApp::new("http://127.0.0.1:9");
    let other = WebviewWindowBuilder::new(&app.app, "other", Default::default())
        .build()
        .unwrap();
    for name in app::COMMAND_NAMES {
        let err = raw_invoke(&other, name, serde_json::json!({ "args": null })).unwrap_err();
        assert!(text(&err).contains("not allowed"), "{name}: {err}");
    }
}

#[test]
fn the_capability_grants_exactly_the_contracts_commands() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities/main.json");
    let cap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = app::COMMAND_NAMES
        .iter()
        .map(|n| format!("allow-{}", n.replace('_', "-")))
        .collect();
    // And listening to the shell's events (the live updates): not emitting, no other plugin.
    expected.push("core:event:allow-listen".to_owned());
    granted.sort();
    expected.sort();
    assert_eq!(granted, expected);
}

#[test]
fn the_window_may_listen_to_the_shells_events_but_not_emit_or_notify() {
    let app = TestApp::new("http://127.0.0.1:9");
    let listen = raw_invoke(
        &app.main,
        "plugin:event|listen",
        serde_json::json!({ "event": LIVE_EVENT, "target": { "kind": "Any" }, "handler": 7 }),
    );
    assert!(listen.is_ok(), "{listen:?}");
    let emit = raw_invoke(
        &app.main,
        "plugin:event|emit",
        serde_json::json!({ "event": LIVE_EVENT, "payload": { "type": "ready" } }),
    )
    .unwrap_err();
    assert!(text(&emit).contains("not allowed"), "{emit}");
    let notify = raw_invoke(
        &app.main,
        "plugin:notification|notify",
        serde_json::json!({ "options": { "title": "x" } }),
    )
    .unwrap_err();
    let msg = text(&notify);
    assert!(
        msg.contains("not allowed") || msg.contains("not found"),
        "{msg}"
    );
}

#[test]
fn the_phone_scanner_capability_is_for_phones_and_grants_only_scanning_and_the_camera_question() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/capabilities/mobile-scanner.json"
    );
    let cap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert_eq!(cap["platforms"], serde_json::json!(["android", "iOS"]));
    let mut granted: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    granted.sort_unstable();
    // Not `default`: no opening the app's settings, no vibrating.
    assert_eq!(
        granted,
        [
            "barcode-scanner:allow-cancel",
            "barcode-scanner:allow-check-permissions",
            "barcode-scanner:allow-request-permissions",
            "barcode-scanner:allow-scan",
        ]
    );
}

#[test]
fn on_a_computer_the_window_cannot_reach_a_phone_scanner() {
    let app = TestApp::new("http://127.0.0.1:9");
    for command in ["scan", "cancel", "check_permissions", "request_permissions"] {
        let err = raw_invoke(
            &app.main,
            &format!("plugin:barcode-scanner|{command}"),
            serde_json::json!({ "formats": ["QR_CODE"], "windowed": true }),
        )
        .unwrap_err();
        let msg = text(&err);
        assert!(
            msg.contains("not allowed") || msg.contains("not found"),
            "{command}: {msg}"
        );
    }
}

#[test]
fn a_command_with_malformed_or_missing_arguments_answers_an_error() {
    let app = TestApp::new("http://127.0.0.1:9");
    for body in [
        serde_json::json!({}),
        serde_json::json!({ "args": "482916" }),
        serde_json::json!({ "args": { "password": 7 } }),
    ] {
        assert!(raw_invoke(&app.main, "sign_in", &body).is_err(), "{body}");
    }
    // A passcode of the wrong shape is the shell's typed error, under the passcode field.
    let err = app
        .invoke::<app::BindFinish>(&BindFinishArgs {
            code: "123456".into(),
            passcode: SecretText::new("12"),
            passcode_again: SecretText::new("12"),
        })
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("passcode"), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Status, drafts, QR codes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_fresh_profile_is_new_and_not_signed_in() {
    let app = TestApp::new("http://127.0.0.1:9");
    let status = app.invoke::<app::Status>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::New);
    assert_eq!(status.profile, app.profile);
    assert_eq!(status.server, "http://127.0.0.1:9");
    assert!(status.signed_in.is_none());
    assert!(!status.biometric_available);
    // A computer has no platform scanner: the camera screen reads frames with our decoder.
    assert!(!status.platform_scanner);
}

#[test]
fn a_new_profile_remembers_the_server_chosen_and_refuses_a_malformed_one() {
    let app = TestApp::new("http://127.0.0.1:9");
    let status = app
        .invoke::<app::SetServer>(&app::SetServerArgs {
            server: "http://127.0.0.1:8641".into(),
        })
        .unwrap();
    assert_eq!(status.server, "http://127.0.0.1:8641");
    let err = app
        .invoke::<app::SetServer>(&app::SetServerArgs {
            server: "not a url".into(),
        })
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("server"));
    let state = std::fs::read_to_string(app.dir.join("profile.json")).unwrap();
    assert!(state.contains("http://127.0.0.1:8641"), "{state}");
}

#[test]
fn drafts_round_trip_sealed_and_keys_that_could_name_other_files_are_refused() {
    let app = TestApp::new("http://127.0.0.1:9");
    let json = r#"{"name_vi":"Câu lạc bộ Cờ tướng"}"#;
    assert_eq!(
        app.invoke::<app::LoadDraft>(&LoadDraftArgs {
            key: "registration".into()
        })
        .unwrap(),
        None
    );
    app.invoke::<app::SaveDraft>(&SaveDraftArgs {
        key: "registration".into(),
        json: json.into(),
    })
    .unwrap();
    assert_eq!(
        app.invoke::<app::LoadDraft>(&LoadDraftArgs {
            key: "registration".into()
        })
        .unwrap()
        .as_deref(),
        Some(json)
    );
    // On disk only sealed (the form holds identification numbers), under the keystore's key.
    let drafts = app.dir.join("drafts");
    let sealed = std::fs::read(drafts.join("registration.sealed")).unwrap();
    let plain = "Cờ tướng".as_bytes();
    assert!(!sealed.windows(plain.len()).any(|w| w == plain));
    assert!(!drafts.join("registration.json").exists());
    // A plain draft an earlier version left is read once, then kept only sealed.
    std::fs::write(drafts.join("legacy.json"), json).unwrap();
    assert_eq!(
        app.invoke::<app::LoadDraft>(&LoadDraftArgs {
            key: "legacy".into()
        })
        .unwrap()
        .as_deref(),
        Some(json)
    );
    assert!(!drafts.join("legacy.json").exists());
    assert!(drafts.join("legacy.sealed").exists());
    for bad in ["../profile", "a/b", "", "Registration"] {
        let err = app
            .invoke::<app::SaveDraft>(&SaveDraftArgs {
                key: bad.into(),
                json: "{}".into(),
            })
            .unwrap_err();
        assert_eq!(err.code, "invalid_draft_key", "{bad}");
        assert!(
            app.invoke::<app::LoadDraft>(&LoadDraftArgs { key: bad.into() })
                .is_err()
        );
    }
}

/// A picked picture as the UI sends it: decoded (the WebView does it there) and grey.
fn picture(png: &[u8]) -> QrScanArgs {
    let grey = image::load_from_memory(png).unwrap().to_luma8();
    QrScanArgs::Picture {
        width: grey.width(),
        height: grey.height(),
        luma: grey.into_raw(),
    }
}

#[test]
fn a_picture_larger_than_the_contract_allows_or_of_the_wrong_size_is_refused_as_unreadable() {
    let app = TestApp::new("http://127.0.0.1:9");
    let side = app::MAX_PICTURE_SIDE + 1;
    for (width, height, luma) in [
        // One pixel wider than the UI ever draws a picture.
        (side, 1, vec![255u8; side as usize]),
        // Fewer bytes than the size says.
        (40, 40, vec![255u8; 40 * 39]),
    ] {
        let err = app
            .invoke::<app::QrScan>(&QrScanArgs::Picture {
                width,
                height,
                luma,
            })
            .unwrap_err();
        assert_eq!(err.code, "qr_scan.unreadable_image", "{width}×{height}");
    }
}

#[test]
fn a_login_code_of_another_server_and_a_plain_link_are_refused_with_a_sentence() {
    let app = TestApp::new("http://127.0.0.1:9");
    let key = dinhdanh_client::keys::DeviceKey::generate().public_key();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let far = now + 60;
    let foreign = QrLoginPayload::new(
        RendezvousId::from_bytes(&[7u8; 32]).unwrap(),
        key,
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        far,
    )
    .unwrap();
    let png = dinhdanh_client::qr::render_png(&foreign, 6).unwrap();
    let err = app.invoke::<app::QrScan>(&picture(&png)).unwrap_err();
    assert_eq!(err.code, "qr_scan.wrong_server");
    assert!(
        err.message_vi.contains("máy chủ khác"),
        "{}",
        err.message_vi
    );

    let link = qrcode::QrCode::new(b"https://example.vn/khuyen-mai").unwrap();
    let frame = link
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(6, 6)
        .build();
    let err = app
        .invoke::<app::QrScan>(&QrScanArgs::Frame {
            width: frame.width(),
            height: frame.height(),
            luma: frame.into_raw(),
        })
        .unwrap_err();
    assert_eq!(err.code, "qr_scan.not_our_code");
}

#[test]
fn the_platform_scanners_text_is_refused_when_foreign_and_opens_the_login_when_ours() {
    let t = TestServer::start();
    let (citizen_id, phone_number) = t.person();
    let phone = TestApp::new(&t.url());
    bind(&t, &phone, &citizen_id, &phone_number);
    let desktop = TestApp::new(&t.url());
    let shown = desktop.invoke::<app::QrLoginStart>(&()).unwrap();
    let ours = t.newest_qr_payload();

    // What ML Kit or AVFoundation hands back is only text: a shop's link, another server's
    // login code, ours with a parameter added, each refused with the decoder's sentence.
    let elsewhere = QrLoginPayload::new(
        RendezvousId::from_bytes(&[7u8; 32]).unwrap(),
        dinhdanh_client::keys::DeviceKey::generate().public_key(),
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        ours.expires_at(),
    )
    .unwrap();
    for (text, code) in [
        (
            "https://example.vn/khuyen-mai".to_owned(),
            "qr_scan.not_our_code",
        ),
        (String::new(), "qr_scan.not_our_code"),
        (elsewhere.to_uri(), "qr_scan.wrong_server"),
        (format!("{}&x=1", ours.to_uri()), "qr_scan.malformed"),
    ] {
        let err = phone
            .invoke::<app::QrScan>(&QrScanArgs::PlatformScanner { text: text.clone() })
            .unwrap_err();
        assert_eq!(err.code, code, "{text:?}");
        assert!(
            !err.message_vi.is_empty() && err.message_vi != err.message_en,
            "{err:?}"
        );
    }

    // Ours: the same screen as a decoded frame opens, with the desktop's check code.
    let app::Scanned::DesktopLogin(scanned) = phone
        .invoke::<app::QrScan>(&QrScanArgs::PlatformScanner {
            text: ours.to_uri(),
        })
        .unwrap()
    else {
        panic!("a desktop's code is a desktop login")
    };
    assert_eq!(scanned.request.check_code, shown.check_code);
    assert_eq!(scanned.payload, ours.to_uri());
}

#[test]
fn a_sign_in_link_is_read_like_a_scanned_code_and_taken_once() {
    use dinhdanh_core::qr_login::ServiceSignInPayload;
    let app = TestApp::new("http://127.0.0.1:9");
    let shell = app.app.state::<Shell>();
    // No link handed over: nothing to open.
    assert_eq!(app.invoke::<app::AppLinkTake>(&()).unwrap(), None);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let foreign = ServiceSignInPayload::new(
        RendezvousId::from_bytes(&[7u8; 32]).unwrap(),
        Origin::parse("https://dinhdanh.example.com").unwrap(),
        now + 60,
    )
    .unwrap();
    let link = foreign.to_app_link(&Origin::parse("https://dinhdanh.example.com").unwrap());
    shell.receive_link(&link);
    let err = app.invoke::<app::AppLinkTake>(&()).unwrap_err();
    assert_eq!(err.code, "qr_login.wrong_server");
    // Taken once: the refused link does not come back.
    assert_eq!(app.invoke::<app::AppLinkTake>(&()).unwrap(), None);

    // Ours, but expired; then not a sign-in link at all; then a version-1 code in a link.
    let ours = Origin::parse("http://127.0.0.1:9").unwrap();
    let expired = ServiceSignInPayload::new(
        RendezvousId::from_bytes(&[7u8; 32]).unwrap(),
        ours.clone(),
        now - 1,
    )
    .unwrap();
    for (link, code) in [
        (expired.to_app_link(&ours), "qr_login.expired"),
        (
            "https://example.vn/khuyen-mai".to_owned(),
            "qr_login.not_our_code",
        ),
        (
            format!("{ours}/app/sign-in#v=1&r=AAAAAAAAAAAAAAAAAAAAAA&o={ours}&e=1"),
            "qr_login.unsupported_version",
        ),
    ] {
        shell.receive_link(&link);
        let err = app.invoke::<app::AppLinkTake>(&()).unwrap_err();
        assert_eq!(err.code, code, "{link}");
    }
}

// ---------------------------------------------------------------------------------------------
// Real flows against the server
// ---------------------------------------------------------------------------------------------

#[test]
fn a_person_binds_signs_in_cannot_switch_to_a_stranger_organisation_and_signs_out() {
    let t = TestServer::start();
    let (citizen_id, phone) = t.person();
    let app = TestApp::new(&t.url());

    let status = bind(&t, &app, &citizen_id, &phone);
    assert_eq!(status.role, DeviceRole::Bound);
    let account = status.signed_in.expect("signed in after binding").account;
    assert_eq!(account.level, AccountLevel::Level2);

    let status = app.invoke::<app::Status>(&()).unwrap();
    assert_eq!(status.signed_in.unwrap().account.id, account.id);

    let choices = app.invoke::<app::AccountChoicesList>(&()).unwrap();
    assert!(choices.organisations.is_empty());
    let err = app
        .invoke::<app::SwitchAccount>(&SwitchAccountArgs {
            to: Some(OrgEid::from_serial(424_242).unwrap()),
            confirm: passcode(),
        })
        .unwrap_err();
    assert!(
        !err.message_vi.is_empty() && !err.message_en.is_empty(),
        "{err:?}"
    );
    assert_ne!(err.code, "internal", "{err:?}");
    let err = app
        .invoke::<app::SwitchAccount>(&SwitchAccountArgs {
            to: None,
            confirm: Confirm::Biometric,
        })
        .unwrap_err();
    assert_eq!(err.code, "biometric_unavailable");

    let status = app.invoke::<app::SignOut>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::Bound);
    assert!(status.signed_in.is_none());
    let status = app
        .invoke::<app::SignIn>(&SignInArgs {
            password: SecretText::new(PASSWORD),
        })
        .unwrap();
    assert_eq!(status.signed_in.unwrap().account.id, account.id);
}

#[test]
fn the_services_commands_reach_the_server_and_its_refusals_come_back_as_sentences() {
    let t = TestServer::start();
    let (citizen_id, phone) = t.person();
    let app = TestApp::new(&t.url());
    bind(&t, &app, &citizen_id, &phone);

    // Nothing consented to yet, and no service registered.
    assert!(app.invoke::<app::ServiceConsents>(&()).unwrap().is_empty());
    assert!(app.invoke::<app::Services>(&()).unwrap().is_empty());

    // Withdrawing a consent that does not exist says so.
    let err = app
        .invoke::<app::WithdrawServiceConsent>(&WithdrawServiceConsentArgs {
            client_id: "rp_unknown".into(),
        })
        .unwrap_err();
    assert_eq!(err.code, "not_found", "{err:?}");
    assert!(!err.message_vi.is_empty() && !err.message_en.is_empty());

    // Setting the services of someone else's delegation is refused by the server, confirmed
    // with the real passcode (a sentence, not an internal error).
    let err = app
        .invoke::<app::SetDelegationServicesCmd>(&SetDelegationServicesArgs {
            services: SetDelegationServices {
                organisation: OrgEid::from_serial(424_242).unwrap(),
                delegation: DelegationId::parse("dlg_unknown").unwrap(),
                services: Vec::new(),
            },
            confirm: passcode(),
        })
        .unwrap_err();
    assert_ne!(err.code, "internal", "{err:?}");
    assert!(
        !err.message_vi.is_empty() && !err.message_en.is_empty(),
        "{err:?}"
    );
}

#[test]
fn a_sign_in_link_that_passes_the_phones_checks_is_asked_about_at_the_server() {
    use dinhdanh_core::qr_login::ServiceSignInPayload;
    let t = TestServer::start();
    let (citizen_id, phone) = t.person();
    let app = TestApp::new(&t.url());
    bind(&t, &app, &citizen_id, &phone);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // This server's, unexpired, on a link host of its own: read, then asked about — and the
    // server knows no such sign-in, which comes back as its sentence (the view itself is what
    // a scanned code shows, checked end to end in tests/tests/e2e_service_sign_in.rs).
    let ours = Origin::parse(&t.url()).unwrap();
    let unknown = ServiceSignInPayload::new(
        RendezvousId::from_bytes(&[9u8; 32]).unwrap(),
        ours,
        now + 60,
    )
    .unwrap();
    let link_host = Origin::parse("https://app.dinhdanh.example.vn").unwrap();
    app.app
        .state::<Shell>()
        .receive_link(&unknown.to_app_link(&link_host));
    let err = app.invoke::<app::AppLinkTake>(&()).unwrap_err();
    assert_eq!(err.code, "not_found", "{err:?}");
    assert!(
        !err.message_vi.is_empty() && !err.message_en.is_empty(),
        "{err:?}"
    );
    assert_eq!(app.invoke::<app::AppLinkTake>(&()).unwrap(), None);
}

#[test]
fn a_desktop_profile_is_signed_in_by_the_phone_scanning_its_code() {
    let t = TestServer::start();
    let (citizen_id, phone_number) = t.person();
    let phone = TestApp::new(&t.url());
    bind(&t, &phone, &citizen_id, &phone_number);
    let desktop = TestApp::new(&t.url());

    let shown = desktop.invoke::<app::QrLoginStart>(&()).unwrap();
    assert!(shown.svg.contains("<svg"), "{}", &shown.svg[..80]);
    let waiting = {
        let window = desktop.main.clone();
        std::thread::spawn(move || invoke::<app::QrLoginWait>(&window, &()))
    };

    // The phone's camera sees what the desktop shows.
    let payload = t.newest_qr_payload();
    let png = dinhdanh_client::qr::render_png(&payload, 6).unwrap();
    let app::Scanned::DesktopLogin(scanned) = phone.invoke::<app::QrScan>(&picture(&png)).unwrap()
    else {
        panic!("a desktop's code is a desktop login")
    };
    assert_eq!(scanned.request.check_code, shown.check_code);
    phone
        .invoke::<app::QrApprove>(&QrApproveArgs {
            payload: scanned.payload,
            account: None,
            confirm: passcode(),
        })
        .unwrap();

    let outcome = waiting.join().unwrap().unwrap();
    let QrLoginOutcome::SignedIn { status } = outcome else {
        panic!("expected signed in, got {outcome:?}");
    };
    assert_eq!(status.role, DeviceRole::QrDesktop);
    assert_eq!(
        status.signed_in.unwrap().account.id,
        phone
            .invoke::<app::Status>(&())
            .unwrap()
            .signed_in
            .unwrap()
            .account
            .id
    );

    // The phone confirms its own actions: it never waits for itself.
    let err = phone
        .invoke::<app::SwitchAccount>(&SwitchAccountArgs {
            to: None,
            confirm: Confirm::OnPhone,
        })
        .unwrap_err();
    assert_eq!(err.code, "confirm_on_phone_unavailable");

    // A switch on the desktop waits for the phone; declined there, the desktop is told.
    let waiting = switch_on_phone(&desktop);
    let action = pending_on(&phone);
    phone
        .invoke::<app::DeclineDesktopAction>(&DeclineDesktopActionArgs {
            id: action.id.clone(),
        })
        .unwrap();
    let err = waiting.join().unwrap().unwrap_err();
    assert_eq!(err.code, "desktop_action_declined");
    assert!(err.message_en.contains("declined on the phone"), "{err:?}");
    let linked = phone
        .invoke::<app::Notifications>(&())
        .unwrap()
        .into_iter()
        .filter_map(|n| n.link.as_deref().and_then(InboxLink::parse))
        .any(|l| l == InboxLink::DesktopAction(action.id.clone()));
    assert!(linked, "the phone's inbox links the desktop's request");

    // Cancelled on the desktop: the wait ends, and the phone can no longer confirm it.
    let waiting = switch_on_phone(&desktop);
    let action = pending_on(&phone);
    desktop.invoke::<app::CancelOnPhone>(&()).unwrap();
    let err = waiting.join().unwrap().unwrap_err();
    assert_eq!(err.code, "desktop_action_cancelled");
    assert!(err.message_en.contains("nothing was done"), "{err:?}");
    assert!(
        phone
            .invoke::<app::PendingDesktopActions>(&())
            .unwrap()
            .is_empty()
    );
    let err = phone
        .invoke::<app::ConfirmDesktopAction>(&ConfirmDesktopActionArgs {
            id: action.id,
            confirm: passcode(),
        })
        .unwrap_err();
    assert_eq!(
        err.code, "desktop_action_expired",
        "no longer listed: {err:?}"
    );
    // Nothing waits now: cancelling again is a no-op.
    desktop.invoke::<app::CancelOnPhone>(&()).unwrap();

    // Asked again and confirmed with the phone's passcode, the desktop goes on.
    let waiting = switch_on_phone(&desktop);
    let action = pending_on(&phone);
    assert_ne!(action.id, "");
    phone
        .invoke::<app::ConfirmDesktopAction>(&ConfirmDesktopActionArgs {
            id: action.id,
            confirm: passcode(),
        })
        .unwrap();
    let status = waiting.join().unwrap().unwrap();
    assert_eq!(status.role, DeviceRole::QrDesktop);
    assert!(status.signed_in.unwrap().acting_for.is_none());
    assert!(
        phone
            .invoke::<app::PendingDesktopActions>(&())
            .unwrap()
            .is_empty()
    );

    let status = desktop.invoke::<app::SignOut>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::New);
}

/// The desktop switches back to the personal account, confirmed on the phone, on its own
/// thread (it waits for the phone's answer).
fn switch_on_phone(desktop: &TestApp) -> std::thread::JoinHandle<Result<app::AppStatus, ApiError>> {
    let window = desktop.main.clone();
    std::thread::spawn(move || {
        invoke::<app::SwitchAccount>(
            &window,
            &SwitchAccountArgs {
                to: None,
                confirm: Confirm::OnPhone,
            },
        )
    })
}

/// The one desktop action waiting on `phone`, once the desktop has asked.
fn pending_on(phone: &TestApp) -> dinhdanh_core::api::PendingDesktopAction {
    for _ in 0..200 {
        let mut listed = phone.invoke::<app::PendingDesktopActions>(&()).unwrap();
        if let Some(action) = listed.pop() {
            assert!(listed.is_empty(), "{listed:?}");
            return action;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the desktop's request never reached the phone");
}

// ---------------------------------------------------------------------------------------------
// Co-representatives and withdrawal
// ---------------------------------------------------------------------------------------------

/// Files a type-4 request from `app` (the requester) naming `reps` as legal representatives,
/// through the commands: the founding decision uploaded, then the submission confirmed.
fn file_type_4(
    app: &TestApp,
    name: &str,
    reps: &[&CitizenId],
) -> Result<RegistrationView, ApiError> {
    let decision = app.invoke::<app::UploadAttachment>(&UploadAttachmentArgs {
        kind: DocumentKind::FoundingDecision,
        content: b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n".to_vec(),
    })?;
    let form = OrganisationForm {
        name_vi: name.into(),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 1 phố Tràng Tiền, phường Hoàn Kiếm".into(),
        head_office_province: "ha_noi".into(),
        representatives: reps
            .iter()
            .map(|id| RepresentativeForm {
                full_name: "Nguyễn Thị Lan".into(),
                citizen_id: id.as_str().into(),
            })
            .collect(),
        contact_phone: "0912345678".into(),
        founding_decision: decision.id.as_str().into(),
        ..OrganisationForm::default()
    };
    let org_type = OrgType::OrganisationWithoutRegistration;
    // Today in Vietnam (UTC+7), on the system clock the server uses here.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = chrono::DateTime::from_timestamp(now + 7 * 3600, 0)
        .unwrap()
        .date_naive();
    let details = form.validate(org_type, today).unwrap();
    app.invoke::<app::SubmitRegistration>(&SubmitRegistrationArgs {
        org_type,
        details,
        confirm: passcode(),
    })
}

#[test]
fn a_co_representative_refuses_or_consents_and_the_requester_withdraws_through_the_commands() {
    let t = TestServer::start();
    let (an, an_phone) = t.person();
    let (mai, mai_phone) = t.person();
    let requester = TestApp::new(&t.url());
    bind(&t, &requester, &an, &an_phone);
    let co_rep = TestApp::new(&t.url());
    bind(&t, &co_rep, &mai, &mai_phone);

    // Mai refuses the first request; An sees it withdrawn by her refusal.
    let first = file_type_4(&requester, "Câu lạc bộ Cờ tướng Hoàn Kiếm", &[&an, &mai]).unwrap();
    assert_eq!(first.status, RegistrationStatus::AwaitingConsent);
    let args = RegistrationArgs {
        id: first.id.clone(),
    };
    let shown = co_rep.invoke::<app::Registration>(&args).unwrap();
    assert!(shown.awaits_your_consent());
    // Biometrics is not on this machine: a sentence, nothing sent.
    let err = co_rep
        .invoke::<app::AnswerConsent>(&AnswerConsentArgs {
            shown: shown.clone(),
            consent: false,
            confirm: Confirm::Biometric,
        })
        .unwrap_err();
    assert_eq!(err.code, "biometric_unavailable");
    let refused = co_rep
        .invoke::<app::AnswerConsent>(&AnswerConsentArgs {
            shown,
            consent: false,
            confirm: passcode(),
        })
        .unwrap();
    assert_eq!(refused.status, RegistrationStatus::Withdrawn);
    let seen = requester.invoke::<app::Registration>(&args).unwrap();
    assert_eq!(seen.status, RegistrationStatus::Withdrawn);
    assert_eq!(seen.consents[0].consented, Some(false));

    // Filed again, Mai consents: it goes on to an officer (type 4 has no registry).
    let second = file_type_4(&requester, "Câu lạc bộ Cờ tướng Hoàn Kiếm", &[&an, &mai]).unwrap();
    let shown = co_rep
        .invoke::<app::Registration>(&RegistrationArgs {
            id: second.id.clone(),
        })
        .unwrap();
    let consented = co_rep
        .invoke::<app::AnswerConsent>(&AnswerConsentArgs {
            shown,
            consent: true,
            confirm: passcode(),
        })
        .unwrap();
    assert_eq!(consented.status, RegistrationStatus::AwaitingOfficer);

    // A third request, withdrawn by An; Mai's answer then comes too late, said in a sentence.
    let third = file_type_4(&requester, "Câu lạc bộ Cờ vua Hoàn Kiếm", &[&an, &mai]).unwrap();
    let args = RegistrationArgs {
        id: third.id.clone(),
    };
    let shown = co_rep.invoke::<app::Registration>(&args).unwrap();
    // Only the requester withdraws.
    let err = co_rep
        .invoke::<app::WithdrawRegistration>(&WithdrawRegistrationArgs {
            id: third.id.clone(),
            confirm: passcode(),
        })
        .unwrap_err();
    assert_eq!(err.code, "forbidden", "{err:?}");
    let withdrawn = requester
        .invoke::<app::WithdrawRegistration>(&WithdrawRegistrationArgs {
            id: third.id.clone(),
            confirm: passcode(),
        })
        .unwrap();
    assert_eq!(withdrawn.status, RegistrationStatus::Withdrawn);
    let err = co_rep
        .invoke::<app::AnswerConsent>(&AnswerConsentArgs {
            shown,
            consent: true,
            confirm: passcode(),
        })
        .unwrap_err();
    assert_eq!(err.code, "invalid_state", "{err:?}");
    assert!(!err.message_vi.is_empty() && !err.message_en.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Self-service
// ---------------------------------------------------------------------------------------------

#[test]
fn a_phone_unbound_by_a_new_binding_is_told_since_when_and_is_a_new_profile_again() {
    let t = TestServer::start();
    let (citizen_id, phone) = t.person();
    let old = TestApp::new(&t.url());
    let status = bind(&t, &old, &citizen_id, &phone);
    // The sign-in screen names the number the profile was bound with, masked.
    assert_eq!(status.bound_to, Some(citizen_id.masked()));
    // The text message names the device as the shell does.
    let texts = t.texts_to(&phone, "alert.device_changed");
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains(&format!("\"{}\"", device_name(&old.profile))),
        "{}",
        texts[0]
    );

    let new = TestApp::new(&t.url());
    bind(&t, &new, &citizen_id, &phone);
    // The old phone's session ended; a wrong password there is only a wrong password.
    let status = old.invoke::<app::Status>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::Bound);
    assert!(status.signed_in.is_none());
    let err = old
        .invoke::<app::SignIn>(&SignInArgs {
            password: SecretText::new("Sai#Matkhau1"),
        })
        .unwrap_err();
    assert_eq!(err.code, "invalid_credentials");
    // The right password: the sentence says another device was bound and when, and the
    // profile is new again, its keys gone from the keystore.
    let err = old
        .invoke::<app::SignIn>(&SignInArgs {
            password: SecretText::new(PASSWORD),
        })
        .unwrap_err();
    assert_eq!(err.code, "device_unbound");
    assert!(err.unbound_at.is_some());
    assert!(
        err.message_vi
            .contains("vì một thiết bị khác đã được liên kết (lúc "),
        "{}",
        err.message_vi
    );
    let status = old.invoke::<app::Status>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::New);
    assert_eq!(status.bound_to, None);
    let keystore = Keystore::os(&old.profile).unwrap();
    assert!(keystore.device_key().unwrap().is_none());
    assert!(keystore.session_token().unwrap().is_none());
    // The new phone is untouched.
    let status = new.invoke::<app::Status>(&()).unwrap();
    assert_eq!(status.role, DeviceRole::Bound);
    assert!(status.signed_in.is_some());
}

#[test]
fn a_new_passcode_and_a_self_lock_go_through_the_commands_with_field_errors_and_what_was_typed() {
    let t = TestServer::start();
    let (citizen_id, phone) = t.person();
    let app = TestApp::new(&t.url());
    bind(&t, &app, &citizen_id, &phone);

    // A wrong password is said under its field.
    let err = app
        .invoke::<app::PasscodeResetStart>(&PasscodeResetStartArgs {
            password: SecretText::new("Sai#Matkhau1"),
        })
        .unwrap_err();
    assert_eq!(err.code, "invalid_credentials");
    assert_eq!(err.field.as_deref(), Some("password"));
    app.invoke::<app::PasscodeResetStart>(&PasscodeResetStartArgs {
        password: SecretText::new(PASSWORD),
    })
    .unwrap();
    let code = t.last_code_to(&phone);
    // Two different passcodes: under the passcode, and the step is kept.
    let err = app
        .invoke::<app::PasscodeResetFinish>(&PasscodeResetFinishArgs {
            code: code.clone(),
            passcode: SecretText::new("583920"),
            passcode_again: SecretText::new("583921"),
        })
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("passcode"), "{err:?}");
    app.invoke::<app::PasscodeResetFinish>(&PasscodeResetFinishArgs {
        code,
        passcode: SecretText::new("583920"),
        passcode_again: SecretText::new("583920"),
    })
    .unwrap();
    // The new passcode confirms, the old one does not.
    let err = app
        .invoke::<app::ConfirmIdentity>(&ConfirmIdentityArgs {
            confirm: passcode(),
        })
        .unwrap_err();
    assert_eq!(err.code, "wrong_confirmation");
    app.invoke::<app::ConfirmIdentity>(&ConfirmIdentityArgs {
        confirm: Confirm::Passcode {
            passcode: SecretText::new("583920"),
        },
    })
    .unwrap();
    let activity = app.invoke::<app::MyActivity>(&()).unwrap();
    assert!(activity.iter().any(|e| e.action == "device.passcode_reset"));
    let data = app.invoke::<app::MyData>(&()).unwrap();
    assert_eq!(data.citizen_id, citizen_id);

    // Locking from this very phone: a mistyped code is said under the code, then it locks and
    // the app is new again (unbound, signed out).
    app.invoke::<app::SelfLockStart>(&SelfLockStartArgs {
        citizen_id: citizen_id.as_str().to_owned(),
        password: SecretText::new(PASSWORD),
    })
    .unwrap();
    let code = t.last_code_to(&phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let err = app
        .invoke::<app::SelfLockFinish>(&SelfLockFinishArgs { code: wrong.into() })
        .unwrap_err();
    assert_eq!(err.code, "one_time_code_invalid");
    assert_eq!(err.field.as_deref(), Some("code"));
    let status = app
        .invoke::<app::SelfLockFinish>(&SelfLockFinishArgs { code })
        .unwrap();
    assert_eq!(status.role, DeviceRole::New);
    assert!(status.signed_in.is_none());
    // Binding again is refused while the account is locked.
    let err = app
        .invoke::<app::BindStart>(&BindStartArgs {
            citizen_id: citizen_id.as_str().to_owned(),
            password: SecretText::new(PASSWORD),
        })
        .unwrap_err();
    assert_eq!(err.code, "account_locked");
}

// ---------------------------------------------------------------------------------------------
// Live updates
// ---------------------------------------------------------------------------------------------

/// A sink that keeps what it is handed.
#[derive(Default)]
struct Recorded {
    events: std::sync::Mutex<Vec<LiveEvent>>,
    notified: std::sync::Mutex<Vec<String>>,
}

impl LiveSink for Recorded {
    fn event(&self, event: &LiveEvent) {
        self.events.lock().unwrap().push(event.clone());
    }
    fn inbox_item(&self, title: &str, _body: &str) {
        self.notified.lock().unwrap().push(title.to_owned());
    }
}

impl Recorded {
    /// Waits up to 5 s for `seen` to hold of what was recorded.
    fn wait_for(&self, seen: impl Fn(&[LiveEvent], &[String]) -> bool) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < until {
            if seen(&self.events.lock().unwrap(), &self.notified.lock().unwrap()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "not recorded in 5 s: {:?} / {:?}",
            self.events.lock().unwrap(),
            self.notified.lock().unwrap()
        );
    }
}

/// The desktop's OS notification of a new inbox item: through Tauri's notification plugin it
/// reaches the session's notification service (`org.freedesktop.Notifications`, served here by
/// the test itself on the D-Bus session bus the tests run in) with the item's title and body.
#[cfg(target_os = "linux")]
#[test]
fn an_inbox_item_reaches_the_desktops_notification_service() {
    use dbus::blocking::Connection;
    use dbus::channel::MatchingReceiver;
    use dbus::message::MatchRule;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    let (told, heard) = mpsc::channel::<(String, String)>();
    let (ready_tx, ready) = mpsc::channel::<()>();
    let stop = Arc::new(AtomicBool::new(false));
    let service = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let conn = Connection::new_session().unwrap();
            // Replaces no one: the test session has no notification service of its own.
            let reply = conn
                .request_name("org.freedesktop.Notifications", false, false, true)
                .unwrap();
            assert_eq!(
                reply,
                dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply::PrimaryOwner
            );
            conn.start_receive(
                MatchRule::new_method_call(),
                Box::new(move |call, conn| {
                    if call.member().as_deref() == Some("Notify") {
                        let (_app, _replaces, _icon, summary, body): (
                            String,
                            u32,
                            String,
                            String,
                            String,
                        ) = call.read5().unwrap();
                        let _ = told.send((summary, body));
                        let _ =
                            dbus::channel::Sender::send(conn, call.method_return().append1(1u32));
                    }
                    true
                }),
            );
            ready_tx.send(()).unwrap();
            while !stop.load(Ordering::Relaxed) {
                conn.process(Duration::from_millis(50)).unwrap();
            }
        })
    };
    ready.recv_timeout(Duration::from_secs(5)).unwrap();

    let app = mock_builder()
        .plugin(tauri_plugin_notification::init())
        .build(context())
        .unwrap();
    let sink = AppLiveSink::new(app.handle().clone());
    sink.inbox_item(
        "Yêu cầu mới cần ý kiến của bạn",
        "Câu lạc bộ Cờ vua Hoàn Kiếm",
    );
    let shown = heard.recv_timeout(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    service.join().unwrap();
    assert_eq!(
        shown.unwrap(),
        (
            "Yêu cầu mới cần ý kiến của bạn".to_owned(),
            "Câu lạc bộ Cờ vua Hoàn Kiếm".to_owned()
        )
    );
}

#[test]
fn once_signed_in_the_shell_hands_live_events_and_inbox_titles_to_its_sink_until_sign_out() {
    let t = TestServer::start();
    let (an, an_phone) = t.person();
    let (mai, mai_phone) = t.person();
    let requester = TestApp::new(&t.url());
    bind(&t, &requester, &an, &an_phone);
    let recorded = Arc::new(Recorded::default());
    let co_rep = TestApp::with_sink(&t.url(), recorded.clone());
    // Signed in (binding signs in): the stream opens.
    bind(&t, &co_rep, &mai, &mai_phone);
    recorded.wait_for(|e, _| e.contains(&LiveEvent::Ready));

    // A request naming Mai: her window is told of the request and of the inbox item, and the
    // item's title is handed over for an OS notification.
    let filed = file_type_4(&requester, "Câu lạc bộ Cờ vua Hoàn Kiếm", &[&an, &mai]).unwrap();
    let changed = LiveEvent::RequestChanged {
        id: filed.id.clone(),
    };
    recorded.wait_for(|e, n| {
        e.contains(&changed)
            && e.iter().any(|x| matches!(x, LiveEvent::InboxItem { .. }))
            && !n.is_empty()
    });
    let inbox = co_rep.invoke::<app::Notifications>(&()).unwrap();
    assert!(
        recorded
            .notified
            .lock()
            .unwrap()
            .iter()
            .all(|title| inbox.iter().any(|n| &n.title_vi == title)),
        "{inbox:?}"
    );

    // Signed out: the stream stops; nothing more is told.
    co_rep.invoke::<app::SignOut>(&()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = recorded.events.lock().unwrap().len();
    file_type_4(&requester, "Câu lạc bộ Cờ vua Ba Đình", &[&an, &mai]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(recorded.events.lock().unwrap().len(), before);
}
