//! The one place that talks to the shell: `window.__TAURI_INTERNALS__.invoke(name, { args })`,
//! the IPC entry Tauri injects into every page of the app. The shell does not inject the
//! global API bundle (`withGlobalTauri` is off): this page needs nothing of it, and a script
//! that should never run here would find less to use.
//!
//! Every command of [`dinhdanh_core::app`] has one function here, typed with the core crate's
//! argument and result types, so screens never name a command as a loose string. Whatever
//! goes wrong (no shell, a rejected promise, an answer that does not read) comes back as an
//! [`ApiError`] with sentences a person understands; nothing here panics.

pub use dinhdanh_core::api::ApiError;
use dinhdanh_core::api::{
    AccountChoices, AuditEntry, ErrorCode, Notification, PendingDesktopAction, PersonalDataView,
    RegistrationView, ServiceConsentView, ServiceView, SessionView,
};
use dinhdanh_core::app::{self, AppStatus, Command, QrLoginOutcome, QrLoginShown};

/// Code of the error returned when the page runs outside the app (no `window.__TAURI_INTERNALS__`).
pub const NO_SHELL: &str = "shell_unavailable";
/// Code of the error returned when the shell's answer cannot be read.
pub const BAD_ANSWER: &str = "internal";

/// An error the page itself found (no answer of the shell carries it), with its sentences.
pub fn page_error(code: &str, message_vi: &str, message_en: &str) -> ApiError {
    ApiError {
        code: code.to_owned(),
        message_vi: message_vi.to_owned(),
        message_en: message_en.to_owned(),
        field: None,
        details: Vec::new(),
        retry_after_secs: None,
        attempts_left: None,
        unbound_at: None,
    }
}

/// The error for an answer (or a failure) that could not be read.
pub fn internal_error() -> ApiError {
    page_error(
        BAD_ANSWER,
        "Ứng dụng gặp lỗi nội bộ; vui lòng thử lại. Những gì bạn đã nhập vẫn được giữ.",
        "The app ran into an internal error; please try again. What you typed is kept.",
    )
}

/// The error when the page is not inside the app's window.
pub fn no_shell_error() -> ApiError {
    page_error(
        NO_SHELL,
        "Không kết nối được với ứng dụng: trang này cần được mở trong ứng dụng Định Danh.",
        "Cannot reach the app: this page must be opened inside the Định Danh app.",
    )
}

/// Reads a rejected invoke's value: the shell rejects with the `ApiError` JSON object; a
/// plain string (Tauri's own errors, e.g. an unknown command) becomes an internal error, and
/// a JSON string holding an `ApiError` is read as one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // The IPC exists in wasm only.
pub fn error_from_json(value: &serde_json::Value) -> ApiError {
    match value {
        serde_json::Value::String(text) => serde_json::from_str::<ApiError>(text)
            .ok()
            .filter(|e| !e.message_vi.is_empty())
            .unwrap_or_else(internal_error),
        other => serde_json::from_value::<ApiError>(other.clone())
            .ok()
            .filter(|e| !e.message_vi.is_empty())
            .unwrap_or_else(internal_error),
    }
}

/// Whether an error means the confirmation was wrong (the keypad starts over).
pub fn is_wrong_confirmation(error: &ApiError) -> bool {
    error.kind() == Some(ErrorCode::WrongConfirmation)
}

#[cfg(target_arch = "wasm32")]
mod ipc {
    use super::*;
    use serde::Serialize;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    fn invoke_fn() -> Option<js_sys::Function> {
        let window = web_sys::window()?;
        let internals =
            js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI_INTERNALS__")).ok()?;
        if internals.is_undefined() || internals.is_null() {
            return None;
        }
        let invoke = js_sys::Reflect::get(&internals, &JsValue::from_str("invoke")).ok()?;
        invoke.dyn_into::<js_sys::Function>().ok()
    }

    fn js_to_error(value: JsValue) -> ApiError {
        // `json_compatible` on the way out; on the way back, read through serde_json so the
        // same `ApiError` reader serves both the string and the object form.
        match serde_wasm_bindgen::from_value::<serde_json::Value>(value) {
            Ok(json) => error_from_json(&json),
            Err(_) => internal_error(),
        }
    }

    /// The answer to the `status` the loader (ui/main.js) asked for while the WebAssembly
    /// compiled, once: `None` when there is none or it was taken.
    pub async fn first_status() -> Option<Result<AppStatus, ApiError>> {
        const FIRST_STATUS: &str = "__dinhdanhFirstStatus";
        let window = web_sys::window()?;
        let key = JsValue::from_str(FIRST_STATUS);
        let asked = js_sys::Reflect::get(&window, &key).ok()?;
        let promise: js_sys::Promise = asked.dyn_into().ok()?;
        js_sys::Reflect::delete_property(&window, &key).ok()?;
        Some(answer::<app::Status>(promise).await)
    }

    /// Command `C`'s answer to an invoke: its output, or the shell's refusal.
    async fn answer<C: Command>(promise: js_sys::Promise) -> Result<C::Output, ApiError> {
        let value = JsFuture::from(promise).await.map_err(js_to_error)?;
        // `()` comes back as `null`, which serde reads as unit; everything else as its type.
        serde_wasm_bindgen::from_value::<C::Output>(value).map_err(|_| internal_error())
    }

    /// Calls command `C` with its argument; see the module documentation.
    pub async fn call<C: Command>(args: &C::Args) -> Result<C::Output, ApiError> {
        let Some(invoke) = invoke_fn() else {
            return Err(no_shell_error());
        };
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let args = args.serialize(&serializer).map_err(|_| internal_error())?;
        let payload = js_sys::Object::new();
        js_sys::Reflect::set(&payload, &JsValue::from_str(app::ARGS), &args)
            .map_err(|_| internal_error())?;
        let promise = invoke
            .call2(&JsValue::NULL, &JsValue::from_str(C::NAME), &payload)
            .map_err(js_to_error)?;
        let promise: js_sys::Promise = promise.dyn_into().map_err(|_| internal_error())?;
        answer::<C>(promise).await
    }

    /// Calls a plugin's command (`plugin:<name>|<command>`) with its own JSON arguments, and
    /// answers its JSON or, when it refuses, what it refused with (a string, or the object
    /// the Kotlin or Swift side rejected with). `Err(None)` when there is no shell.
    pub async fn plugin_call(
        command: &str,
        args: &serde_json::Value,
    ) -> Result<serde_json::Value, Option<serde_json::Value>> {
        let invoke = invoke_fn().ok_or(None)?;
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let args = args.serialize(&serializer).map_err(|_| None)?;
        let as_json = |v: JsValue| serde_wasm_bindgen::from_value::<serde_json::Value>(v).ok();
        let promise = invoke
            .call2(&JsValue::NULL, &JsValue::from_str(command), &args)
            .map_err(as_json)?;
        let promise: js_sys::Promise = promise.dyn_into().map_err(|_| None)?;
        let value = JsFuture::from(promise).await.map_err(as_json)?;
        Ok(as_json(value).unwrap_or(serde_json::Value::Null))
    }
}

/// A plugin's command, for the modules that speak to one of the shell's plugins (the phone's
/// QR scanner, [`crate::scanner`]); see [`ipc::plugin_call`].
#[cfg(target_arch = "wasm32")]
pub use ipc::plugin_call;

/// Calls command `C` with its argument; see the module documentation.
#[cfg(target_arch = "wasm32")]
pub async fn call<C: Command>(args: &C::Args) -> Result<C::Output, ApiError> {
    ipc::call::<C>(args).await
}

/// Outside the browser there is no shell: every call says so (keeps the crate testable on the
/// host).
#[cfg(not(target_arch = "wasm32"))]
pub async fn call<C: Command>(_args: &C::Args) -> Result<C::Output, ApiError> {
    Err(no_shell_error())
}

macro_rules! bridge {
    ($( $(#[$doc:meta])* $fn_name:ident: $cmd:ty; )*) => {
        $(
            $(#[$doc])*
            pub async fn $fn_name(
                args: &<$cmd as Command>::Args,
            ) -> Result<<$cmd as Command>::Output, ApiError> {
                call::<$cmd>(args).await
            }
        )*
    };
}

bridge! {
    /// Sets the server's address (first run).
    set_server: app::SetServer;
    /// Self-registration, step 1.
    register_start: app::RegisterStart;
    /// Self-registration, step 2 (code and new password).
    register_finish: app::RegisterFinish;
    /// Device binding, step 1.
    bind_start: app::BindStart;
    /// Device binding, step 2 (code + passcode twice); signs in.
    bind_finish: app::BindFinish;
    /// Signs in on a bound device.
    sign_in: app::SignIn;
    /// Proves the person is present before the registration wizard (step-up), confirmed.
    confirm_identity: app::ConfirmIdentity;
    /// Switches to an organisation or back to the personal account, confirmed.
    switch_account: app::SwitchAccount;
    /// Uploads a registration document.
    upload_attachment: app::UploadAttachment;
    /// Submits a registration request, confirmed.
    submit_registration: app::SubmitRegistration;
    /// One registration request.
    registration: app::Registration;
    /// Answers an officer's request for information, confirmed.
    answer_information: app::AnswerInformation;
    /// A co-representative consents to or refuses a request, confirmed.
    answer_consent: app::AnswerConsent;
    /// The requester withdraws their own request, confirmed.
    withdraw_registration: app::WithdrawRegistration;
    /// An organisation's record.
    organisation: app::Organisation;
    /// An organisation's delegates.
    delegations: app::Delegations;
    /// Adds a delegate, confirmed.
    add_delegate: app::AddDelegateCmd;
    /// Revokes a delegation, confirmed.
    revoke_delegate: app::RevokeDelegateCmd;
    /// Accepts or declines an authorisation, confirmed.
    answer_delegation: app::AnswerDelegation;
    /// Sets the services a delegation allows, confirmed.
    set_delegation_services: app::SetDelegationServicesCmd;
    /// Withdraws the person's consents to a service (one tap after the screen's question).
    withdraw_service_consent: app::WithdrawServiceConsent;
    /// Ends another session (a desktop), confirmed.
    end_session: app::EndSession;
    /// Phone: decodes a frame or a picked image.
    qr_scan: app::QrScan;
    /// Phone: the sign-in link the operating system handed the app, read like a scanned code.
    app_link_take: app::AppLinkTake;
    /// Phone: approves a QR login, confirmed.
    qr_approve: app::QrApprove;
    /// Phone: declines a QR login.
    qr_decline: app::QrDecline;
    /// Phone: approves a sign-in to another service, confirmed.
    service_sign_in_approve: app::ServiceSignInApprove;
    /// Phone: declines a sign-in to another service.
    service_sign_in_decline: app::ServiceSignInDecline;
    /// Saves a form draft.
    save_draft: app::SaveDraft;
    /// Reads a form draft.
    load_draft: app::LoadDraft;
    /// Phone: confirms a desktop's action, confirmed here.
    confirm_desktop_action: app::ConfirmDesktopAction;
    /// Phone: declines a desktop's action.
    decline_desktop_action: app::DeclineDesktopAction;
    /// Passcode reset, step 1 (password).
    passcode_reset_start: app::PasscodeResetStart;
    /// Passcode reset, step 2 (code + new passcode twice).
    passcode_reset_finish: app::PasscodeResetFinish;
    /// *Khóa tài khoản*, step 1 (identification number and password).
    self_lock_start: app::SelfLockStart;
    /// *Khóa tài khoản*, step 2 (the code).
    self_lock_finish: app::SelfLockFinish;
    /// Who acted for an organisation (owners and administrators).
    organisation_activity: app::OrganisationActivity;
}

/// Everything held about the person.
pub async fn my_data() -> Result<PersonalDataView, ApiError> {
    call::<app::MyData>(&()).await
}

/// The audit entries about the person, newest first.
pub async fn my_activity() -> Result<Vec<AuditEntry>, ApiError> {
    call::<app::MyActivity>(&()).await
}

/// Phone: the desktop's actions waiting for confirmation here.
pub async fn pending_desktop_actions() -> Result<Vec<PendingDesktopAction>, ApiError> {
    call::<app::PendingDesktopActions>(&()).await
}

/// Where the app stands. The first call takes the answer the loader asked for at start.
pub async fn status() -> Result<AppStatus, ApiError> {
    #[cfg(target_arch = "wasm32")]
    if let Some(answer) = ipc::first_status().await {
        return answer;
    }
    call::<app::Status>(&()).await
}

/// Ends this session.
pub async fn sign_out() -> Result<AppStatus, ApiError> {
    call::<app::SignOut>(&()).await
}

/// *Đổi tài khoản*: the accounts the person may act as.
pub async fn account_choices() -> Result<AccountChoices, ApiError> {
    call::<app::AccountChoicesList>(&()).await
}

/// The person's registration requests.
pub async fn registrations() -> Result<Vec<RegistrationView>, ApiError> {
    call::<app::Registrations>(&()).await
}

/// The inbox.
pub async fn notifications() -> Result<Vec<Notification>, ApiError> {
    call::<app::Notifications>(&()).await
}

/// The services a delegation may allow.
pub async fn services() -> Result<Vec<ServiceView>, ApiError> {
    call::<app::Services>(&()).await
}

/// The person's consents to services.
pub async fn service_consents() -> Result<Vec<ServiceConsentView>, ApiError> {
    call::<app::ServiceConsents>(&()).await
}

/// The person's sessions.
pub async fn sessions() -> Result<Vec<SessionView>, ApiError> {
    call::<app::Sessions>(&()).await
}

/// Desktop: withdraws the action waiting for the phone (the person cancelled the wait).
pub async fn cancel_on_phone() -> Result<(), ApiError> {
    call::<app::CancelOnPhone>(&()).await
}

/// Desktop: a fresh QR login code.
pub async fn qr_login_start() -> Result<QrLoginShown, ApiError> {
    call::<app::QrLoginStart>(&()).await
}

/// Desktop: waits for the phone's answer to the code shown last.
pub async fn qr_login_wait() -> Result<QrLoginOutcome, ApiError> {
    call::<app::QrLoginWait>(&()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_carrying_an_api_error_is_read_as_it() {
        let json = serde_json::json!({
            "code": "wrong_confirmation",
            "message_vi": "Mã PIN không đúng.",
            "message_en": "The passcode is incorrect."
        });
        let e = error_from_json(&json);
        assert_eq!(e.code, "wrong_confirmation");
        assert!(is_wrong_confirmation(&e));
        let as_text = serde_json::Value::String(json.to_string());
        assert_eq!(
            error_from_json(&as_text).message_en,
            "The passcode is incorrect."
        );
    }

    #[test]
    fn an_unreadable_rejection_becomes_a_vietnamese_sentence() {
        for junk in [
            serde_json::json!("command sign_in not found"),
            serde_json::json!(42),
            serde_json::json!({"code": "x"}),
            serde_json::Value::Null,
        ] {
            let e = error_from_json(&junk);
            assert_eq!(e.code, BAD_ANSWER);
            assert!(e.message_vi.starts_with("Ứng dụng gặp lỗi nội bộ"));
        }
    }

    #[test]
    fn outside_the_app_every_command_says_the_shell_is_missing() {
        let e = futures_lite_block_on(status()).unwrap_err();
        assert_eq!(e.code, NO_SHELL);
    }

    /// Polls a future that never waits (the host-side `call`) to its end.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
