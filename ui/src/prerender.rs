//! The entry screens as HTML, rendered on the build machine from the same components the app
//! runs: `cargo xtask gen-entry-screens` writes them to ui/entry-screens.html, which the UI's
//! build puts in index.html as `<template>`s, and a test below fails while that file differs
//! from what the components render now.
//!
//! Why: a cold start's first screen waited for the WebAssembly (1.4 MB) to arrive, compile and
//! start, ~100 ms of the page's time on a 2-core machine (issue 17's bench). The loader
//! (ui/main.js) shows the template that the shell's `status` names as soon as that answer is in,
//! and hands the screen over to the live one once that is in the page: what was typed is
//! carried over, focus follows, and taps are replayed on the live buttons.
//!
//! A template is the screen for every device in that role, so an entry screen may depend on
//! the status's role, server and bound identification number only; the server and the number
//! are markers here that the loader fills in ([`SERVER`], [`BOUND_TO`]). The tests below hold
//! the entry screens to that.

use dinhdanh_core::app::{AppStatus, DeviceRole};
use dioxus::prelude::*;

use crate::nav::entry_screen;
use crate::state::Ctx;

/// Where the status's server goes (the loader puts the shell's answer there, escaped).
const SERVER: &str = "@@server@@";
/// Where the bound profile's masked identification number goes.
const BOUND_TO: &str = "@@bound_to@@";

/// Every role a device can be in before anyone signs in (signed in, the app starts on the home
/// screen, which waits for the WebAssembly).
fn roles() -> [DeviceRole; 3] {
    // Exhaustive, so a new role is a compile error here rather than a start without its screen.
    match DeviceRole::New {
        DeviceRole::New | DeviceRole::Bound | DeviceRole::QrDesktop => {}
    }
    [DeviceRole::New, DeviceRole::Bound, DeviceRole::QrDesktop]
}

/// The status a device in `role` starts with, with markers for what differs between devices.
fn status(role: DeviceRole) -> AppStatus {
    AppStatus {
        profile: String::new(),
        server: SERVER.to_owned(),
        role,
        bound_to: (role == DeviceRole::Bound).then(|| BOUND_TO.to_owned()),
        signed_in: None,
        biometric_available: false,
        platform_scanner: false,
    }
}

/// The app's frame and entry screen for `status`, as the live app's first render of it.
fn render(status: AppStatus) -> String {
    let mut dom = VirtualDom::new_with_props(Entry, EntryProps { status });
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom)
}

/// The root for one entry screen: the app's state as the shell's status leaves it.
#[component]
fn Entry(status: AppStatus) -> Element {
    let c = use_hook(|| {
        let c = Ctx::new();
        c.set_status(status.clone());
        c.go(entry_screen(&status));
        c
    });
    use_context_provider(|| c);
    rsx! { crate::Frame {} }
}

/// The `<template>`s for index.html: one per distinct entry screen, naming the roles it is for
/// (`data-roles`, the roles' wire names), after a line saying where they come from.
pub fn entry_templates() -> String {
    let mut templates: Vec<(String, String, Vec<String>)> = Vec::new();
    for role in roles() {
        let status = status(role);
        let screen = entry_screen(&status).element_id();
        let html = render(status);
        let name = serde_json::to_value(role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match templates.iter_mut().find(|(_, h, _)| *h == html) {
            Some((_, _, roles)) => roles.push(name),
            None => templates.push((screen.to_owned(), html, vec![name])),
        }
    }
    let mut out = String::from(
        "<!-- The entry screens, rendered from ui/src/prerender.rs by `cargo xtask \
         gen-entry-screens`: not to be edited by hand. -->\n",
    );
    for (screen, html, roles) in templates {
        out += &format!(
            "<template id=\"entry-{screen}\" data-roles=\"{}\">{html}</template>\n",
            roles.join(" ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the app's page shows before the WebAssembly starts is what the components render.
    #[test]
    fn the_entry_screens_in_the_repository_are_the_ones_the_components_render() {
        let committed = include_str!("../entry-screens.html");
        assert!(
            committed == entry_templates(),
            "ui/entry-screens.html differs from what the entry screens render now: run \
             `cargo xtask gen-entry-screens`"
        );
    }

    #[test]
    fn each_role_has_its_entry_screen_and_new_devices_and_desktops_share_the_first_run() {
        let templates = entry_templates();
        assert_eq!(templates.matches("<template ").count(), 2, "{templates}");
        assert!(
            templates
                .contains("<template id=\"entry-screen-first-run\" data-roles=\"new qr_desktop\">")
        );
        assert!(templates.contains("<template id=\"entry-screen-sign-in\" data-roles=\"bound\">"));
        // The frame and the screen, with the ids the live app has.
        for id in [
            "lang-toggle",
            "screen-first-run",
            "server-input",
            "start-bind",
            "screen-sign-in",
            "password-input",
            "signin-submit",
        ] {
            assert!(templates.contains(&format!("id=\"{id}\"")), "#{id}");
        }
    }

    #[test]
    fn what_differs_between_devices_is_a_marker_the_loader_fills_in() {
        let first_run = render(status(DeviceRole::New));
        assert!(
            first_run.contains(&format!("value=\"{SERVER}\"")),
            "{first_run}"
        );
        let sign_in = render(status(DeviceRole::Bound));
        assert!(sign_in.contains(BOUND_TO), "{sign_in}");
    }

    /// A template stands for every device in its role: nothing else of the status may show.
    #[test]
    fn the_entry_screens_depend_on_nothing_else_of_the_status() {
        for role in roles() {
            let plain = render(status(role));
            let other = AppStatus {
                profile: "another".into(),
                biometric_available: true,
                platform_scanner: true,
                ..status(role)
            };
            assert_eq!(render(other), plain, "{role:?}");
        }
    }

    #[test]
    fn the_entry_screens_are_in_vietnamese_with_nothing_left_to_load() {
        let first_run = render(status(DeviceRole::New));
        assert!(first_run.contains("lang=\"vi\""));
        assert!(first_run.contains("Chào mừng đến với Định Danh"));
        assert!(!first_run.contains("screen-loading"));
    }
}
