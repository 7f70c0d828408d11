//! The screens of Định Danh: Dioxus components compiled to wasm32 and loaded by the Tauri
//! WebView. They render state and send events; every call to the shell goes through
//! [`bridge`], and the rules (validation, which screen follows which) come from
//! `dinhdanh-core` and the plain modules here, which are tested on the host.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// Built natively, this crate only prints the entry screens (`prerender`) and runs the tests: the
// app's root and what only it calls are dead there. The wasm32 build, which is the app, is
// linted for dead code (`cargo xtask test`).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod activity;
mod bridge;
mod crash;
mod form;
mod format;
mod frame;
mod heard;
mod i18n;
mod keypad;
mod live;
mod nav;
mod platform;
#[cfg(not(target_arch = "wasm32"))]
mod prerender;
mod scanner;
mod screens;
mod state;
mod widgets;

use dioxus::prelude::*;

use crate::nav::Screen;
use crate::screens::{
    confirm, desktop_action, first_run, home, inbox, my_data, organisation, qr, request, security,
    service_consents, service_sign_in, wizard,
};
use crate::state::Ctx;
use crate::widgets::{ErrorBanner, Header, NavBar, Progress};

#[cfg(target_arch = "wasm32")]
fn main() {
    crash::install_panic_notice();
    dioxus::launch(App);
}

/// On the build machine: prints the entry screens as HTML for ui/index.html ([`prerender`]).
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    print!("{}", prerender::entry_templates());
}

/// The root: shared state, header, the current screen, navigation.
#[component]
fn App() -> Element {
    let c = use_hook(Ctx::new);
    use_context_provider(|| c);
    // Live updates from the shell, counted into `c.live` for the screens that show what they
    // name (crate::live).
    use_hook(move || {
        spawn(async move {
            if live::listen().await {
                loop {
                    let event = live::next().await;
                    let mut heard = c.live;
                    heard.write().push(event);
                }
            }
        });
    });
    use_hook(move || {
        spawn(async move {
            c.refresh_and_enter().await;
            // A sign-in link the operating system handed the app (the same-device hand-over):
            // the one that started it, then any that brings it back to the foreground.
            loop {
                c.open_app_link().await;
                platform::visibility_changed().await;
                // Leaving for the background, where the system may end the app: what was typed
                // in the wizard goes to disk now rather than after the pause in typing.
                screens::wizard::flush_draft(c).await;
            }
        });
    });
    rsx! { Frame {} }
}

/// What the root shows around the current screen: header, progress, the screen itself and,
/// once signed in, the navigation bar. Also what [`prerender`] renders the entry screens in.
#[component]
fn Frame() -> Element {
    let c = state::ctx();
    let screen = c.screen.read().clone();
    let visit = *c.visit.read();
    let signed_in = c
        .status
        .read()
        .as_ref()
        .is_some_and(|s| s.signed_in.is_some());
    let show_nav = signed_in && screen.is_signed_in_screen();
    let notice = c.notice.read().clone();
    let lang = c.l();
    rsx! {
        div { class: "app", lang: "{lang.code()}",
            Header {}
            Progress {}
            main { class: "content", "data-screen": "{screen.element_id()}",
                ErrorBanner {}
                if let Some((vi, en)) = notice {
                    div { id: "notice", class: "notice", role: "status", {lang.t(&vi, &en)} }
                }
                // Keyed by the visit, so a screen opened again starts afresh and reloads.
                for v in [visit] {
                    Fragment { key: "{v}", {render(screen.clone())} }
                }
            }
            if show_nav {
                NavBar {}
            }
        }
    }
}

/// The component of a screen.
fn render(screen: Screen) -> Element {
    match screen {
        Screen::Loading => rsx! { Loading {} },
        Screen::FirstRun => rsx! { first_run::FirstRun {} },
        Screen::SelfRegister => rsx! { first_run::SelfRegister {} },
        Screen::Bind => rsx! { first_run::Bind {} },
        Screen::BindCode { sent_to } => rsx! { first_run::BindCode { sent_to } },
        Screen::PasscodeSet { code } => rsx! { first_run::PasscodeSetScreen { code } },
        Screen::SignIn => rsx! { first_run::SignIn {} },
        Screen::Home => rsx! { home::Home {} },
        Screen::AccountSwitcher => rsx! { home::AccountSwitcher {} },
        Screen::WizardType => rsx! { wizard::WizardType {} },
        Screen::WizardForm => rsx! { wizard::WizardForm {} },
        Screen::WizardReview => rsx! { wizard::WizardReview {} },
        Screen::Request { id, created } => rsx! { request::RequestPage { id, created } },
        Screen::Requests => rsx! { request::Requests {} },
        Screen::Inbox => rsx! { inbox::Inbox {} },
        Screen::Sessions => rsx! { inbox::Sessions {} },
        Screen::DesktopActions => rsx! { desktop_action::DesktopActions {} },
        Screen::Organisation(eid) => rsx! { organisation::OrganisationPage { eid } },
        Screen::QrDesktop => rsx! { qr::QrDesktop {} },
        Screen::QrScan => rsx! { qr::QrScan {} },
        Screen::QrApprove(scanned) => rsx! { qr::QrApprove { scanned: *scanned } },
        Screen::ServiceSignIn(scanned) => {
            rsx! { service_sign_in::ServiceSignIn { scanned: *scanned } }
        }
        Screen::ServiceSignInDone { name_vi, name_en } => {
            rsx! { service_sign_in::ServiceSignInDone { name_vi, name_en } }
        }
        Screen::Confirm(pending) => rsx! { confirm::ConfirmScreen { pending: *pending } },
        Screen::ServiceConsents => rsx! { service_consents::ServiceConsents {} },
        Screen::DelegationServices(edit) => {
            rsx! { organisation::DelegationServicesScreen { edit: *edit } }
        }
        Screen::Security => rsx! { security::Security {} },
        Screen::PasscodeReset => rsx! { security::PasscodeReset {} },
        Screen::LockAccount => rsx! { security::LockAccount {} },
        Screen::MyData => rsx! { my_data::MyData {} },
        Screen::MyActivity => rsx! { my_data::MyActivity {} },
        Screen::OrganisationActivity(eid) => rsx! { my_data::OrganisationActivity { eid } },
    }
}

/// While the shell answers where the app stands (or, outside the app, says it cannot).
#[component]
fn Loading() -> Element {
    let c = state::ctx();
    rsx! {
        div { id: "screen-loading", class: "screen loading",
            div { class: "spinner", aria_hidden: "true" }
            p { {c.t("Đang khởi động…", "Starting…")} }
            if c.error.read().is_some() {
                button { id: "retry", class: "button primary", r#type: "button",
                    onclick: move |_| { spawn(async move { c.refresh_and_enter().await }); },
                    {c.t("Thử lại", "Try again")}
                }
            }
        }
    }
}
