//! QR login. Desktop: *Đăng nhập bằng mã QR* shows a fresh code with its check code and a
//! countdown, replaces it before it expires, and signs in the moment the phone approves.
//! Phone: *Quét mã QR* reads the code with the phone's own scanner (Android, iOS) or from
//! camera frames (or a picked image), then shows which computer asks and for which account;
//! approving needs the passcode, declining is one tap. A code of a sign-in to another service
//! opens *Đăng nhập vào <service>* instead ([`super::service_sign_in`]).

use dinhdanh_core::api::ApiError;
use dinhdanh_core::app::{
    QrDeclineArgs, QrLoginOutcome, QrLoginShown, QrScanArgs, QrScanned, Scanned,
};
use dinhdanh_core::ids::OrgEid;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::nav::{Pending, Screen};
use crate::platform;
use crate::scanner;
use crate::screens::places::RequestPlaces;
use crate::state::{Ctx, ctx};

/// The decoder's code for "no QR code in this picture": expected on most camera frames, so
/// not shown while the camera runs.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // The camera runs in wasm only.
pub const NO_CODE_FOUND: &str = "qr_scan.no_code_found";

/// How often a camera frame is sent to the decoder.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const FRAME_INTERVAL_MS: u32 = 300;

/// Waits for the phone's answer to the code of generation `generation`. A sign-in is taken
/// whichever code it came from; a decline or an expiry only matters for the code on screen.
async fn wait_for_answer(
    c: Ctx,
    generation: u64,
    current: Signal<u64>,
    mut refresh: Signal<bool>,
    mut declined: Signal<bool>,
) {
    match bridge::qr_login_wait().await {
        Ok(QrLoginOutcome::SignedIn { status }) => {
            c.set_status(status);
            c.go(Screen::Home);
        }
        Ok(QrLoginOutcome::Declined) if *current.peek() == generation => {
            declined.set(true);
            refresh.set(true);
        }
        Ok(QrLoginOutcome::Expired) if *current.peek() == generation => refresh.set(true),
        Ok(_) => {}
        Err(e) if *current.peek() == generation => {
            c.fail(e);
            platform::sleep(2000).await;
            refresh.set(true);
        }
        Err(_) => {}
    }
}

/// Desktop: *Đăng nhập bằng mã QR*.
#[component]
pub fn QrDesktop() -> Element {
    let c = ctx();
    let mut shown = use_signal(|| None::<QrLoginShown>);
    let mut now = use_signal(platform::now_secs);
    let mut generation = use_signal(|| 0u64);
    let mut refresh = use_signal(|| true);
    let declined = use_signal(|| false);
    use_hook(move || {
        spawn(async move {
            loop {
                let t = platform::now_secs();
                now.set(t);
                let stale = shown
                    .peek()
                    .as_ref()
                    .is_none_or(|s| format::qr_needs_refresh(s.expires_at, t));
                if *refresh.peek() || stale {
                    refresh.set(false);
                    match c.run(bridge::qr_login_start()).await {
                        Some(next) => {
                            let g = *generation.peek() + 1;
                            generation.set(g);
                            shown.set(Some(next));
                            spawn(wait_for_answer(c, g, generation, refresh, declined));
                        }
                        None => {
                            // Unreachable server or the like: the banner says so; try again soon.
                            platform::sleep(5000).await;
                            refresh.set(true);
                            continue;
                        }
                    }
                }
                platform::sleep(1000).await;
            }
        });
    });
    let current = shown.read().clone();
    let left = current
        .as_ref()
        .map(|s| format::seconds_left(s.expires_at, *now.read()))
        .unwrap_or(0);
    rsx! {
        div { id: "screen-qr-desktop", class: "screen",
            h1 { {c.t("Đăng nhập bằng mã QR", "Sign in with a QR code")} }
            // One column on a phone; on a computer's window the steps and the code side by side.
            div { class: "qr-layout",
                div { class: "qr-side",
                    ol { class: "steps",
                        li { {c.t("Mở ứng dụng Định Danh trên điện thoại.", "Open the Định Danh app on your phone.")} }
                        li { {c.t("Chọn Quét mã QR và quét mã dưới đây.", "Choose Scan a QR code and scan the code below.")} }
                        li { {c.t("Kiểm tra mã đối chiếu giống nhau rồi xác nhận bằng mã PIN.", "Check the codes match, then confirm with your passcode.")} }
                    }
                    if *declined.read() {
                        p { class: "warning", {c.t("Yêu cầu đăng nhập đã bị từ chối trên điện thoại. Mã mới đã được tạo.", "The sign-in was declined on the phone. A new code is shown.")} }
                    }
                }
                div { class: "qr-main",
                    if let Some(s) = current {
                        div { class: "qr-frame",
                            div { id: "qr-code", class: "qr-code", role: "img",
                                aria_label: c.t("Mã QR đăng nhập", "Sign-in QR code"),
                                dangerous_inner_html: "{s.svg}"
                            }
                        }
                        p { class: "check-code-line",
                            {c.t("Mã đối chiếu: ", "Check code: ")}
                            strong { id: "qr-check-code", class: "check-code", "{s.check_code}" }
                        }
                        p { id: "qr-expiry", class: "qr-expiry", "data-seconds": "{left}",
                            {c.t("Mã tự làm mới sau ", "A new code in ")} "{format::countdown((left - format::QR_REFRESH_BEFORE_SECS).max(0))}"
                        }
                    } else {
                        div { class: "qr-frame placeholder", {c.t("Đang tạo mã…", "Creating a code…")} }
                    }
                }
            }
            button { class: "button ghost", r#type: "button",
                onclick: move |_| {
                    let next = c.status.read().as_ref().map(crate::nav::entry_screen).unwrap_or(Screen::FirstRun);
                    c.go(if next == Screen::QrDesktop { Screen::FirstRun } else { next });
                },
                {c.t("Quay lại", "Back")}
            }
        }
    }
}

/// Phone: *Quét mã QR*. On Android and iOS the phone's own scanner reads the code
/// ([`crate::scanner`]); its text goes to `qr_scan` like a frame. Without it (a computer, no
/// camera permission for it, the plugin failing) the WebView's camera sends frames to the
/// app's own decoder, as does a picked picture everywhere.
#[component]
pub fn QrScan() -> Element {
    let c = ctx();
    // The WebView's camera is sending frames.
    let scanning = use_signal(|| false);
    // The platform's scanner is running under the page.
    let mut native = use_signal(|| false);
    // Why this screen reads codes its own way on a phone, once the scanner could not be used.
    let fallback = use_signal(|| None::<scanner::Fallback>);
    #[cfg(target_arch = "wasm32")]
    let stream = use_signal(|| None::<web_sys::MediaStream>);
    #[cfg(target_arch = "wasm32")]
    use_drop(move || {
        if let Some(s) = stream.peek().as_ref() {
            platform::camera::stop(s);
        }
        if *native.peek() {
            scanner::cancel();
            platform::set_root_class(NATIVE_SCAN_CLASS, false);
        }
    });

    let found = move |scanned: Scanned| {
        #[cfg(target_arch = "wasm32")]
        if let Some(s) = stream.peek().as_ref() {
            platform::camera::stop(s);
        }
        c.go(match scanned {
            Scanned::DesktopLogin(login) => Screen::QrApprove(Box::new(login)),
            Scanned::ServiceSignIn(sign_in) => Screen::ServiceSignIn(Box::new(sign_in)),
        });
    };

    let start_camera = move |_| {
        let running = *scanning.peek() || *native.peek();
        #[cfg(target_arch = "wasm32")]
        if !running {
            let phone = c.status.peek().as_ref().is_some_and(|s| s.platform_scanner);
            let use_scanner = phone && fallback.peek().is_none();
            // At once, so a second tap while the permission question is up starts nothing.
            if use_scanner {
                native.set(true);
            }
            spawn(async move {
                let mut fallback = fallback;
                if use_scanner {
                    match read_with_the_platform_scanner(c, native).await {
                        Ok(Some(scanned)) => {
                            found(scanned);
                            return;
                        }
                        Ok(None) => return,
                        Err(why) => fallback.set(Some(why)),
                    }
                }
                read_with_the_webview_camera(c, scanning, stream, found).await;
            });
        }
        // Outside the WebView there is no camera to start.
        #[cfg(not(target_arch = "wasm32"))]
        let _ = running;
    };

    let stop_scanner = move |_| {
        native.set(false);
        #[cfg(target_arch = "wasm32")]
        scanner::cancel();
    };

    let pick = move |evt: FormEvent| {
        let Some(file) = evt.files().into_iter().next() else {
            return;
        };
        spawn(async move {
            let Ok(bytes) = file.read_bytes().await else {
                c.fail(bridge::internal_error());
                return;
            };
            // The WebView decodes the picture; the shell reads its grey pixels.
            #[cfg(target_arch = "wasm32")]
            let picture = crate::platform::picture::luma(&bytes, "qr-canvas").await;
            #[cfg(not(target_arch = "wasm32"))]
            let picture: Option<(u32, u32, Vec<u8>)> = {
                let _ = bytes;
                None
            };
            let Some((width, height, luma)) = picture else {
                c.fail(unreadable_picture());
                return;
            };
            if let Some(scanned) = c
                .run(bridge::qr_scan(&QrScanArgs::Picture {
                    width,
                    height,
                    luma,
                }))
                .await
            {
                found(scanned);
            }
        });
    };

    let problem = c.error.read().as_ref().map(|e| c.l().error(e));
    rsx! {
        div { id: "screen-qr-scan", class: "screen",
            h1 { {c.t("Quét mã QR", "Scan a QR code")} }
            p { class: "lead", {c.t("Quét mã QR hiển thị trên máy tính để đăng nhập ở đó, vào Định Danh hoặc vào một dịch vụ khác.", "Scan the QR code shown on the computer to sign in there, to Định Danh or to another service.")} }
            if let Some(why) = *fallback.read() {
                p { id: "qr-scanner-fallback", class: "warning", role: "status",
                    {c.t(why.sentence().0, why.sentence().1)}
                }
            }
            div { class: if *scanning.read() { "camera live" } else { "camera" },
                video { id: "qr-video", autoplay: true, muted: true, playsinline: true }
                div { class: "viewfinder", aria_hidden: "true" }
            }
            canvas { id: "qr-canvas", class: "hidden" }
            button { id: "qr-camera", class: "button primary", r#type: "button", onclick: start_camera,
                {c.t("Bật camera", "Start the camera")}
            }
            div { class: "field file-field",
                label { r#for: "qr-file", {c.t("Hoặc chọn ảnh có mã QR", "Or pick a picture of the QR code")} }
                input { id: "qr-file", r#type: "file", accept: "image/*", onchange: pick }
            }
            // Over the camera the platform's scanner draws under the page: the only part of the
            // page seen while it runs (the rest is hidden, see NATIVE_SCAN_CLASS).
            if *native.read() {
                div { id: "qr-native-scan", class: "native-scan-overlay", role: "dialog",
                    aria_label: c.t("Quét mã QR", "Scan a QR code"),
                    p { class: "native-scan-hint", {c.t("Đưa mã QR trên máy tính vào khung.", "Bring the QR code on the computer into the frame.")} }
                    div { class: "native-viewfinder", aria_hidden: "true" }
                    if let Some(problem) = problem {
                        p { id: "qr-native-problem", class: "native-scan-problem", role: "alert", "{problem}" }
                    }
                    button { id: "qr-native-stop", class: "button secondary", r#type: "button", onclick: stop_scanner,
                        {c.t("Dừng quét", "Stop scanning")}
                    }
                }
            }
        }
    }
}

/// A picked file the WebView cannot read as a picture (the shell's decoder never sees it).
fn unreadable_picture() -> ApiError {
    bridge::page_error(
        "qr_scan.unreadable_image",
        "Không đọc được ảnh này; hãy chọn ảnh chụp hoặc ảnh màn hình có mã QR.",
        "This picture could not be read; pick a photo or a screenshot of the QR code.",
    )
}

/// The class on `<html>` while the platform's scanner runs: the page turns transparent, so the
/// camera under the WebView shows through, and only the scan's overlay stays visible
/// (assets/app.css).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const NATIVE_SCAN_CLASS: &str = "native-scan";

/// How long a refusal (another kind of code, another server's, an expired one) stays on the
/// screen before the scanner looks again: the scanner answers one code per scan, and without
/// a pause the same code in front of the camera would be read again at once.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const RESCAN_PAUSE_MS: u32 = 1500;

/// Phone: reads codes with the platform's scanner until one of ours is read (`Ok(Some)`), the
/// person stops it (`Ok(None)`), or it cannot be used (`Err`: why, for the screen to say).
/// Every text it reads goes through `qr_scan`'s strict parser; a refusal is shown over the
/// camera and the scan goes on. `native` is set when this starts and cleared when it ends.
#[cfg(target_arch = "wasm32")]
async fn read_with_the_platform_scanner(
    c: Ctx,
    mut native: Signal<bool>,
) -> Result<Option<Scanned>, scanner::Fallback> {
    use scanner::{Fallback, Permission, ScanFailure};
    let permission = scanner::camera_permission().await;
    if !*native.peek() {
        // Stopped while the system asked.
        return Ok(None);
    }
    let refused = match permission {
        Ok(Permission::Granted) => None,
        Ok(Permission::Denied | Permission::Prompt) => Some(Fallback::PermissionRefused),
        Err(()) => Some(Fallback::Unavailable),
    };
    if let Some(why) = refused {
        native.set(false);
        return Err(why);
    }
    let mut error = c.error;
    error.set(None);
    platform::set_root_class(NATIVE_SCAN_CLASS, true);
    let outcome = loop {
        match scanner::scan().await {
            Ok(answer) => match bridge::qr_scan(&answer.into_args()).await {
                Ok(scanned) => break Ok(Some(scanned)),
                Err(e) => {
                    c.fail(e);
                    platform::sleep(RESCAN_PAUSE_MS).await;
                    if !*native.peek() {
                        break Ok(None);
                    }
                }
            },
            Err(ScanFailure::Cancelled) => break Ok(None),
            Err(ScanFailure::Unavailable) => break Err(Fallback::Unavailable),
        }
    };
    native.set(false);
    platform::set_root_class(NATIVE_SCAN_CLASS, false);
    outcome
}

/// Reads codes from the WebView's camera (getUserMedia) with the app's own decoder: a frame
/// every [`FRAME_INTERVAL_MS`] to `qr_scan`, until one of ours is read.
#[cfg(target_arch = "wasm32")]
async fn read_with_the_webview_camera(
    c: Ctx,
    mut scanning: Signal<bool>,
    mut stream: Signal<Option<web_sys::MediaStream>>,
    found: impl Fn(Scanned),
) {
    match platform::camera::start("qr-video").await {
        Ok(s) => {
            stream.set(Some(s));
            scanning.set(true);
        }
        Err(()) => {
            c.fail(dinhdanh_core::api::ApiError {
                code: "camera_unavailable".into(),
                message_vi: "Không mở được camera. Hãy cho phép ứng dụng dùng camera, hoặc chọn ảnh có mã QR.".into(),
                message_en: "The camera could not be opened. Allow the app to use it, or pick a picture of the QR code.".into(),
                ..bridge::internal_error()
            });
            return;
        }
    }
    while *scanning.peek() {
        platform::sleep(FRAME_INTERVAL_MS).await;
        let Some((width, height, luma)) = platform::camera::grab("qr-video", "qr-canvas") else {
            continue;
        };
        match bridge::qr_scan(&QrScanArgs::Frame {
            width,
            height,
            luma,
        })
        .await
        {
            Ok(scanned) => {
                scanning.set(false);
                found(scanned);
                return;
            }
            Err(e) if e.code == NO_CODE_FOUND => {}
            // Another kind of code, or another server's: say so, keep looking.
            Err(e) => c.fail(e),
        }
    }
}

/// Phone: which computer asks, for which account; approve (passcode) or decline (one tap).
#[component]
pub fn QrApprove(scanned: QrScanned) -> Element {
    let c = ctx();
    let mut account = use_signal(|| None::<OrgEid>);
    let r = scanned.request.clone();
    let chosen = account.read().clone();
    let for_approve = scanned.clone();
    let for_decline = scanned.clone();
    // One tap, no passcode: a decline cannot hurt the person, and in doubt it must be the
    // easiest answer (the shell still signs the request with the session's key).
    let decline = move |_| {
        let args = QrDeclineArgs {
            payload: for_decline.payload.clone(),
        };
        spawn(async move {
            if c.run(bridge::qr_decline(&args)).await.is_some() {
                c.go(Screen::Home);
                c.tell(
                    "Đã từ chối đăng nhập trên máy tính.",
                    "The sign-in on the computer was refused.",
                );
            }
        });
    };
    rsx! {
        div { id: "screen-qr-approve", class: "screen",
            h1 { {c.t("Xác nhận đăng nhập trên máy tính", "Confirm the sign-in on a computer")} }
            div { id: "qr-request", class: "card",
                dl { class: "review",
                    div { class: "review-row",
                        dt { {c.t("Máy tính", "Computer")} }
                        dd { id: "qr-computer", {format!("{} · {}", format::label(&r.client_name), format::label(&r.os))} }
                    }
                    RequestPlaces {
                        id_prefix: "qr",
                        ip_address: r.ip_address.clone(),
                        approximate_location: r.approximate_location.clone(),
                        phone_ip_address: r.phone_ip_address.clone(),
                        phone_approximate_location: r.phone_approximate_location.clone(),
                        requested_at: r.requested_at,
                    }
                    div { class: "review-row",
                        dt { {c.t("Mã đối chiếu", "Check code")} }
                        dd { id: "qr-check", class: "check-code", "{r.check_code}" }
                    }
                }
                p { class: "note", {c.t("Chỉ xác nhận khi mã đối chiếu giống mã trên màn hình máy tính của bạn.", "Approve only if the check code matches the one on your computer's screen.")} }
            }
            if r.address_warning {
                div { id: "qr-warning", class: "warning", role: "alert",
                    {c.t(
                        "Cảnh báo: máy tính này ở mạng hoặc nơi khác xa với điện thoại của bạn. Nếu bạn không tự đăng nhập, hãy từ chối.",
                        "Warning: this computer is on a network or in a place far from your phone. If you are not signing in yourself, decline.",
                    )}
                }
            }
            fieldset { class: "account-choice",
                legend { {c.t("Đăng nhập máy tính vào tài khoản", "Sign the computer in to")} }
                button {
                    id: "qr-account-personal",
                    class: if chosen.is_none() { "account-entry active" } else { "account-entry" },
                    r#type: "button", role: "radio",
                    aria_checked: if chosen.is_none() { "true" } else { "false" },
                    onclick: move |_| account.set(None),
                    span { class: "entry-name", {c.t("Tài khoản cá nhân", "Personal account")} }
                }
                for org in r.accounts.iter().filter(|o| o.usable).cloned() {
                    button {
                        key: "{org.eid}",
                        id: "qr-account-{org.eid}",
                        class: if chosen.as_ref() == Some(&org.eid) { "account-entry active" } else { "account-entry" },
                        r#type: "button", role: "radio",
                        aria_checked: if chosen.as_ref() == Some(&org.eid) { "true" } else { "false" },
                        onclick: {
                            let eid = org.eid.clone();
                            move |_| account.set(Some(eid.clone()))
                        },
                        span { class: "entry-name", "{org.name}" }
                        span { class: "entry-code", "{org.eid}" }
                    }
                }
            }
            div { class: "actions two",
                button { id: "qr-decline", class: "button secondary big", r#type: "button", onclick: decline,
                    {c.t("Từ chối", "Decline")}
                }
                button { id: "qr-approve", class: "button primary big", r#type: "button",
                    onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::QrApprove { scanned: Box::new(for_approve.clone()), account: chosen.clone() }))),
                    {c.t("Đồng ý", "Approve")}
                }
            }
        }
    }
}
