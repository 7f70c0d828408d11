//! The plugin as the desktop app meets it: registered in a Tauri app (the mock runtime, no
//! window), reporting biometrics unavailable with the sentence that sends the person to the
//! passcode, and handing out the client's OS keystore.

use dinhdanh_client::biometric::{BiometricConfirmation, BiometricConfirmer};
use dinhdanh_client::keys::DeviceKey;
use dinhdanh_client::keystore::Keystore;
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use tauri_plugin_biometric_key::{BiometricKeyExt, Error, Prompt, UNAVAILABLE_VI};

fn app() -> tauri::App<MockRuntime> {
    mock_builder()
        .plugin(tauri_plugin_biometric_key::init())
        .build(mock_context(noop_assets()))
        .expect("the mock app builds with the plugin")
}

#[test]
fn on_desktop_the_status_says_no_biometric_key_can_be_used() {
    let app = app();
    let plugin = app.biometric_key();
    assert!(!plugin.is_mobile());
    let status = plugin.status("phone").unwrap();
    assert!(!status.available);
    assert!(!status.enrolled);
    assert!(!status.has_key);
    assert!(!status.can_sign());
    assert!(status.reason.is_some());
}

#[test]
fn on_desktop_every_key_operation_is_unavailable_with_the_pin_sentence() {
    let app = app();
    let plugin = app.biometric_key();
    assert_eq!(plugin.create_key("phone"), Err(Error::Unavailable));
    assert_eq!(plugin.public_key("phone"), Err(Error::Unavailable));
    assert_eq!(plugin.delete_key("phone"), Err(Error::Unavailable));
    let signed = plugin.sign("phone", b"bytes", &Prompt::vi("Xác nhận"));
    assert_eq!(signed, Err(Error::Unavailable));
    let err = signed.unwrap_err();
    assert_eq!(err.message_vi(), UNAVAILABLE_VI);
    assert_eq!(err.code(), "biometric_unavailable");
    assert!(matches!(
        plugin.secret_store("phone"),
        Err(Error::Unavailable)
    ));
}

#[test]
fn the_desktop_confirmer_makes_the_client_fall_back_to_the_passcode() {
    let app = app();
    let confirmer = app.biometric_key().confirmer("phone");
    assert!(!confirmer.is_available());
    assert_eq!(
        confirmer.public_key().unwrap_err().code(),
        "biometric_unavailable"
    );
    assert_eq!(
        confirmer.sign(b"bytes", "Xác nhận").unwrap_err().code(),
        "biometric_unavailable"
    );
    // What the shell does for Confirm::Biometric: refused before any challenge is spent.
    let refused = BiometricConfirmation::new(&confirmer, "Xác nhận đăng ký tổ chức");
    assert_eq!(
        refused.err().map(|e| e.to_api_error().code),
        Some("biometric_unavailable".to_owned())
    );
}

#[test]
fn a_profile_name_that_could_collide_is_refused_before_any_platform_call() {
    let app = app();
    let plugin = app.biometric_key();
    for bad in ["", "a/b", "phone\nother", "ạ"] {
        assert!(
            matches!(plugin.status(bad), Err(Error::InvalidName(_))),
            "{bad:?}"
        );
        assert!(
            matches!(plugin.create_key(bad), Err(Error::InvalidName(_))),
            "{bad:?}"
        );
    }
}

/// On desktop the plugin hands out the client's own OS keystore: the same entries, whatever
/// the shell opens them with. Needs the real Secret Service: `cargo xtask test` runs this
/// inside a D-Bus session with a throw-away gnome-keyring; elsewhere it fails, never skips.
#[test]
fn on_desktop_the_keystore_is_the_clients_os_keystore() {
    let app = app();
    let profile = "bk-plugin-desktop-test";
    match (app.biometric_key().keystore(profile), Keystore::os(profile)) {
        (Ok(through_plugin), Ok(direct)) => {
            let key = DeviceKey::generate();
            through_plugin.set_device_key(&key).unwrap();
            let read = direct.device_key().unwrap().map(|k| k.key_id());
            direct.clear().unwrap();
            assert_eq!(read, Some(key.key_id()));
            assert!(through_plugin.device_key().unwrap().is_none());
        }
        (Err(a), Err(b)) if a.code() == b.code() => panic!(
            "no Secret Service ({}): run through `cargo xtask test`",
            a.code()
        ),
        (a, b) => panic!(
            "the plugin and the client disagree about the keystore: {:?} / {:?}",
            a.err().map(|e| e.code()),
            b.err().map(|e| e.code())
        ),
    }
}
