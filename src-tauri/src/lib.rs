//! The Định Danh app shell: thin commands over `dinhdanh-client` ([`commands`]) and the
//! handler that routes the window's messages to them ([`dispatch`]), the managed state they
//! share ([`shell::Shell`]), and the window that loads the Dioxus UI.
//!
//! [`with_commands`] and [`context`] are generic over the runtime, so the tests drive every
//! command through Tauri's mock runtime with the app's real configuration and capabilities.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod assets;
pub mod commands;
pub mod dispatch;
pub mod live;
pub mod shell;

use std::sync::Arc;

use tauri::{Manager, Runtime};
use tauri_plugin_biometric_key::BiometricKeyExt;

pub use live::{LIVE_EVENT, LiveSink, NoLiveSink};
pub use shell::{Shell, ShellOptions};

/// `builder` with every command of the contract ([`dinhdanh_core::app::COMMAND_NAMES`]).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    // With DINHDANH_TRACE_COMMANDS set (the end-to-end tests set it), each command's name is
    // written to standard error as it arrives: when the page waits for an answer that never
    // comes, this tells whether the command was ever called. Names only, never arguments.
    let trace = std::env::var_os("DINHDANH_TRACE_COMMANDS").is_some();
    builder.invoke_handler(move |invoke| {
        if trace {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            eprintln!("{ms} command {}", invoke.message.command());
        }
        dispatch::handle(invoke)
    })
}

/// The app's configuration (`tauri.conf.json`), assets (`target/ui-dist`, the WebAssembly
/// decompressed early: [`assets`]) and access control (the capabilities resolved by the build
/// script).
pub fn context<R: Runtime>() -> tauri::Context<R> {
    let mut context = tauri::generate_context!();
    assets::decompress_wasm_early(&mut context);
    context
}

/// Phone: every sign-in link the operating system hands the app goes to the shell, which
/// keeps the last one until the UI takes it (`app_link_take` reads and checks it): the link
/// that started the app, then each one that brings it back.
#[cfg(mobile)]
fn hand_links_to_the_shell<R: Runtime>(app: &tauri::App<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let deep_link = app.deep_link();
    if let Ok(Some(urls)) = deep_link.get_current()
        && let Some(url) = urls.last()
    {
        app.state::<Shell>().receive_link(url.as_str());
    }
    let handle = app.handle().clone();
    deep_link.on_open_url(move |event| {
        if let Some(url) = event.urls().last() {
            handle.state::<Shell>().receive_link(url.as_str());
        }
    });
}

/// The app's live sink: each event to the main window as a Tauri event ([`LIVE_EVENT`]), and
/// on desktop a new inbox item as an OS notification (the notification plugin, used from Rust
/// only: the window is granted none of its permissions).
pub struct AppLiveSink<R: Runtime> {
    app: tauri::AppHandle<R>,
}

impl<R: Runtime> AppLiveSink<R> {
    /// The sink of `app`, whose notification plugin (on desktop) shows the OS notifications.
    pub fn new(app: tauri::AppHandle<R>) -> Self {
        AppLiveSink { app }
    }
}

impl<R: Runtime> LiveSink for AppLiveSink<R> {
    fn event(&self, event: &dinhdanh_core::api::LiveEvent) {
        use tauri::Emitter;
        // The window may be gone (closing): nothing to tell then.
        let _ = self.app.emit_to("main", LIVE_EVENT, event);
    }

    fn inbox_item(&self, title: &str, body: &str) {
        #[cfg(desktop)]
        {
            use tauri_plugin_notification::NotificationExt;
            // No notification service (a bare desktop session): the inbox still has it.
            let _ = self
                .app
                .notification()
                .builder()
                .title(title)
                .body(body)
                .show();
        }
        #[cfg(mobile)]
        let _ = (title, body);
    }
}

/// Desktop: asks for permission to show notifications when it has not been decided (the
/// platforms that ask at all ask once; Linux and Windows grant it without a question).
#[cfg(desktop)]
fn ask_to_notify<R: Runtime>(app: &tauri::App<R>) {
    use tauri::plugin::PermissionState;
    use tauri_plugin_notification::NotificationExt;
    let notification = app.notification();
    if matches!(
        notification.permission_state(),
        Ok(PermissionState::Prompt | PermissionState::PromptWithRationale)
    ) {
        let _ = notification.request_permission();
    }
}

/// Debug builds started with `DINHDANH_TEST_HOLD_UI_MS`: the page's loader waits that long
/// before starting the WebAssembly it has compiled (ui/main.js), so that the end-to-end test can
/// type and tap on the entry screen shown from its template and see none of it lost when the
/// live screen takes over. Release builds have no such variable.
#[cfg(debug_assertions)]
fn hold_the_ui_for_tests<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    let Some(ms) = std::env::var("DINHDANH_TEST_HOLD_UI_MS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    else {
        return builder;
    };
    builder.plugin(
        tauri::plugin::Builder::<R>::new("test-hold-ui")
            .js_init_script(format!("window.__dinhdanhHoldUi = {ms};"))
            .build(),
    )
}

/// Runs the app: profile, data directory and server from the command line and environment
/// ([`ShellOptions::from_env`]).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = with_commands(tauri::Builder::default());
    // Verified https links only (Android App Links, iOS Universal Links); the webview gets no
    // permission of this plugin: a link reaches the UI only through `app_link_take`.
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_deep_link::init());
    // The platform's QR scanner for *Quét mã QR* (ML Kit on Android, AVFoundation on iOS). The
    // window may start and stop a scan and ask for the camera (capabilities/mobile-scanner.json);
    // what it reads is text the UI hands to `qr_scan`, which parses it strictly.
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_barcode_scanner::init());
    // OS notifications of new inbox items, shown by the shell; the window gets no permission
    // of this plugin.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_notification::init());
    #[cfg(debug_assertions)]
    let builder = hold_the_ui_for_tests(builder);
    let result = builder
        .plugin(tauri_plugin_biometric_key::init())
        .setup(|app| {
            // On mobile there is no HOME: the platform's app data directory is the base.
            let fallback = app.path().app_data_dir().ok();
            let mut options = ShellOptions::from_env(fallback.as_deref())
                .map_err(|e| format!("{}: {} / {}", e.code, e.message_vi, e.message_en))?;
            // The platform's biometric key and secret store (mobile); on desktop the plugin
            // answers "unavailable" and hands out the OS keystore.
            let plugin = app.biometric_key().clone();
            options.biometric = Arc::new(plugin.confirmer(&options.profile));
            options.open_keystore = Arc::new(move |profile| plugin.keystore(profile));
            options.live_sink = Arc::new(AppLiveSink::new(app.handle().clone()));
            #[cfg(desktop)]
            ask_to_notify(app);
            let shell = Shell::new(options)
                .map_err(|e| format!("{}: {} / {}", e.code, e.message_vi, e.message_en))?;
            app.manage(shell);
            // The first screen asks for `status`, which opens the client (the keystore's D-Bus
            // session, the HTTP client): opened here while the WebView loads, not after. An
            // error is left for that `status` to report.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn_blocking(move || {
                let _ = handle.state::<Shell>().client();
            });
            #[cfg(mobile)]
            hand_links_to_the_shell(app);
            Ok(())
        })
        .run(context());
    if let Err(e) = result {
        eprintln!("Định Danh: {e}");
        std::process::exit(1);
    }
}
