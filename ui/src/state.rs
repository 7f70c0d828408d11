//! What every screen shares: the language, the app's state, the screen shown, the error of the
//! moment, the progress indicator, and the few forms that must outlive the screen they are
//! typed on. One copyable handle, given to every component as a context.
//!
//! A screen's own state (what it loaded, what is typed on it, what is under way) is a
//! `use_signal` in its component. A form lives here only when another screen needs it, and
//! that includes the passcode keypad: the keypad is a screen of its own
//! ([`crate::nav::Screen::Confirm`]), so the screen that asked for it is taken down while the
//! passcode is typed and built afresh afterwards (the root keys screens by [`Ctx::visit`]). What
//! was typed there must still be there after *Hủy*, after a refusal, and after signing in
//! again when the session ended; the keypad's outcome clears it once the action went through.

use std::future::Future;

use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::app::AppStatus;
use dioxus::prelude::*;

use crate::bridge;
use crate::form::WizardDraft;
use crate::i18n::Lang;
use crate::nav::{Screen, ends_session, entry_screen};

/// The shared state (signals are `Copy`, so is this).
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The language shown.
    pub lang: Signal<Lang>,
    /// The app's state as the shell last reported it.
    pub status: Signal<Option<AppStatus>>,
    /// The screen shown.
    pub screen: Signal<Screen>,
    /// The error of the current screen, shown as a sentence.
    pub error: Signal<Option<ApiError>>,
    /// Long operations under way (the progress indicator shows while non-zero).
    pub busy: Signal<u32>,
    /// The registration wizard's type and form, kept across its steps and saved as a draft.
    /// Here because the three steps share it, and the keypad that sends it clears it.
    pub wizard: Signal<WizardDraft>,
    /// Whether the saved draft was read since the app started.
    pub draft_loaded: Signal<bool>,
    /// The identification number typed on the binding (or self-registration) screen, kept
    /// across screens so it is typed once. Here because both screens show it.
    pub citizen_id: Signal<String>,
    /// A confirmation for the person ("Đã gửi …"), Vietnamese and English.
    pub notice: Signal<Option<(String, String)>>,
    /// Counts screen changes, so a screen opened again is built afresh (and reloads).
    pub visit: Signal<u64>,
    /// The answer to an officer's question being typed on the request's page. Here, not in the
    /// page, because it must come back after the keypad (see the module's note).
    pub answer: Signal<String>,
    /// The add-delegate form being typed on the organisation's page. Here, not in the page,
    /// because it must come back after the keypad (see the module's note).
    pub delegate: Signal<DelegateForm>,
    /// The live events heard from the shell ([`crate::live`]); screens read again on those
    /// about what they show.
    pub live: Signal<crate::heard::Heard>,
}

/// The add-delegate form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DelegateForm {
    /// The delegate's identification number.
    pub citizen_id: String,
    /// `member` or `administrator`.
    pub role: String,
    /// `YYYY-MM-DD` or empty.
    pub expiry: String,
}

impl Ctx {
    /// Creates the signals (in the root component).
    pub fn new() -> Ctx {
        Ctx {
            lang: Signal::new(Lang::default()),
            status: Signal::new(None),
            screen: Signal::new(Screen::Loading),
            error: Signal::new(None),
            busy: Signal::new(0),
            wizard: Signal::new(WizardDraft::default()),
            draft_loaded: Signal::new(false),
            citizen_id: Signal::new(String::new()),
            notice: Signal::new(None),
            visit: Signal::new(0),
            answer: Signal::new(String::new()),
            delegate: Signal::new(DelegateForm::default()),
            live: Signal::new(crate::heard::Heard::default()),
        }
    }

    /// The current language.
    pub fn l(&self) -> Lang {
        *self.lang.read()
    }

    /// Picks the text in the current language.
    pub fn t(&self, vi: &str, en: &str) -> String {
        self.l().t(vi, en).to_owned()
    }

    /// Goes to a screen, clearing the previous screen's error.
    pub fn go(self, screen: Screen) {
        let (mut error, mut current, mut notice) = (self.error, self.screen, self.notice);
        error.set(None);
        notice.set(None);
        current.set(screen);
        let mut visit = self.visit;
        *visit.write() += 1;
    }

    /// Tells the person something went well (after [`Ctx::go`], which clears it).
    pub fn tell(self, vi: &str, en: &str) {
        let mut notice = self.notice;
        notice.set(Some((vi.to_owned(), en.to_owned())));
    }

    /// Shows an error on the current screen.
    pub fn fail(self, e: ApiError) {
        let mut error = self.error;
        error.set(Some(e));
    }

    /// Records the shell's state.
    pub fn set_status(self, status: AppStatus) {
        let mut s = self.status;
        s.set(Some(status));
    }

    /// Runs a call with the progress indicator; on failure shows the error (keeping every
    /// form's content) and, when the session is gone, asks the shell where the app stands;
    /// when the device is no longer bound, goes to the binding with the error.
    pub async fn run<T>(self, call: impl Future<Output = Result<T, ApiError>>) -> Option<T> {
        let mut busy = self.busy;
        *busy.write() += 1;
        let result = call.await;
        *busy.write() -= 1;
        match result {
            Ok(value) => {
                let mut error = self.error;
                error.set(None);
                Some(value)
            }
            Err(e) => {
                let session_gone = ends_session(&e);
                let unbound = e.kind() == Some(ErrorCode::DeviceUnbound);
                self.fail(e.clone());
                if session_gone || unbound {
                    if let Ok(status) = bridge::status().await {
                        // A device the account no longer has bound (the shell has forgotten the
                        // binding) goes to the binding, the error saying since when and why.
                        let next = if unbound {
                            Screen::Bind
                        } else {
                            entry_screen(&status)
                        };
                        self.set_status(status);
                        let mut screen = self.screen;
                        screen.set(next);
                        self.fail(e);
                    }
                }
                None
            }
        }
    }

    /// Like [`Ctx::run`], for the data a screen loads when it opens: success leaves the
    /// screen's error alone (an error carried to this screen, e.g. "declined on the phone",
    /// stays until the person does something).
    pub async fn load<T>(self, call: impl Future<Output = Result<T, ApiError>>) -> Option<T> {
        let error = self.error.peek().clone();
        let value = self.run(call).await;
        if value.is_some() && error.is_some() {
            let mut current = self.error;
            current.set(error);
        }
        value
    }

    /// Asks the shell where the app stands and shows the matching screen.
    pub async fn refresh_and_enter(self) {
        if let Some(status) = self.run(bridge::status()).await {
            let next = entry_screen(&status);
            self.set_status(status);
            self.go(next);
        }
    }

    /// Phone: opens *Đăng nhập vào <service>* for the sign-in link the operating system handed
    /// the app (the same-device hand-over from a service's page on this phone), if one waits;
    /// the shell reads it as it reads a scanned code. Quiet when none waits, so asking each
    /// time the app comes to the foreground clears no message.
    pub async fn open_app_link(self) {
        match bridge::app_link_take(&()).await {
            Ok(Some(scanned)) => self.go(Screen::ServiceSignIn(Box::new(scanned))),
            Ok(None) => {}
            Err(e) => self.fail(e),
        }
    }

    /// The error message for a field (`ApiError::field` or one of its `details`), in the
    /// current language.
    pub fn field_error(&self, field: &str) -> Option<String> {
        let lang = self.l();
        let error = self.error.read();
        let e = error.as_ref()?;
        e.details
            .iter()
            .chain(std::iter::once(e))
            .find(|d| {
                d.field
                    .as_deref()
                    .map(|f| f.strip_prefix("details.").unwrap_or(f))
                    == Some(field)
            })
            .map(|d| lang.error(d))
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new()
    }
}

/// The shared state, from any component.
pub fn ctx() -> Ctx {
    use_context::<Ctx>()
}
