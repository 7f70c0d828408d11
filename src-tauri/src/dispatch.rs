//! The IPC side of the commands: a message from the window names a command of the contract
//! ([`dinhdanh_core::app`]); its argument is read from the message's JSON, the command of
//! [`crate::commands`] runs on the managed [`Shell`], and its output or [`ApiError`] goes back
//! as JSON.
//!
//! One handler and one boxed future type serve every command. `tauri::generate_handler!`
//! gives each command its own spawned future type, and a release build then carries the
//! async runtime's task code and Tauri's reply code once per command: for the 51 commands
//! that was 615 KiB of the stripped binary (12.70 → 12.07 MB, issue 17). Which window may
//! call which command is unchanged: Tauri checks its access control (capabilities/main.json)
//! before a message reaches this handler.

use std::future::Future;
use std::pin::Pin;

use dinhdanh_core::api::ApiError;
use dinhdanh_core::app::{self, Command};
use serde::{Deserialize, Serialize};
use tauri::ipc::{Invoke, InvokeBody, InvokeError, InvokeResponseBody, IpcResponse};
use tauri::{AppHandle, Manager, Runtime};

use crate::commands;
use crate::shell::Shell;

/// A command's run, answered as Tauri sends it back.
type Answer = Pin<Box<dyn Future<Output = Result<InvokeResponseBody, InvokeError>> + Send>>;

/// Runs the command `invoke` names and answers it; `false` when no command of the contract
/// has that name (Tauri then answers that the command was not found).
pub fn handle<R: Runtime>(invoke: Invoke<R>) -> bool {
    let app = invoke.message.webview_ref().app_handle().clone();
    let Some(answer) = route(invoke.message.command(), app, invoke.message.payload()) else {
        return false;
    };
    invoke.resolver.respond_async_serialized(answer);
    true
}

/// `route`: the command of each name, `app::<Type> => commands::<function>`.
macro_rules! routes {
    ($($command:ident => $run:ident,)*) => {
        fn route<R: Runtime>(name: &str, app: AppHandle<R>, payload: &InvokeBody) -> Option<Answer> {
            $(
                if name == <app::$command as Command>::NAME {
                    let args = read_args::<app::$command>(payload);
                    return Some(Box::pin(async move {
                        let args = args?;
                        let shell = app.try_state::<Shell>().ok_or_else(no_shell)?;
                        reply(commands::$run(&shell, args).await)
                    }));
                }
            )*
            None
        }
    };
}

routes! {
    Status => status,
    SetServer => set_server,
    RegisterStart => register_start,
    RegisterFinish => register_finish,
    BindStart => bind_start,
    BindFinish => bind_finish,
    SignIn => sign_in,
    SignOut => sign_out,
    AccountChoicesList => account_choices,
    ConfirmIdentity => confirm_identity,
    SwitchAccount => switch_account,
    UploadAttachment => upload_attachment,
    SubmitRegistration => submit_registration,
    Registrations => registrations,
    Registration => registration,
    AnswerInformation => answer_information,
    AnswerConsent => answer_consent,
    WithdrawRegistration => withdraw_registration,
    Notifications => notifications,
    Organisation => organisation,
    Delegations => delegations,
    AddDelegateCmd => add_delegate,
    RevokeDelegateCmd => revoke_delegate,
    AnswerDelegation => answer_delegation,
    Services => services,
    SetDelegationServicesCmd => set_delegation_services,
    ServiceConsents => service_consents,
    WithdrawServiceConsent => withdraw_service_consent,
    Sessions => sessions,
    EndSession => end_session,
    QrLoginStart => qr_login_start,
    QrLoginWait => qr_login_wait,
    QrScan => qr_scan,
    AppLinkTake => app_link_take,
    QrApprove => qr_approve,
    QrDecline => qr_decline,
    ServiceSignInApprove => service_sign_in_approve,
    ServiceSignInDecline => service_sign_in_decline,
    SaveDraft => save_draft,
    LoadDraft => load_draft,
    PendingDesktopActions => pending_desktop_actions,
    ConfirmDesktopAction => confirm_desktop_action,
    DeclineDesktopAction => decline_desktop_action,
    CancelOnPhone => cancel_on_phone,
    PasscodeResetStart => passcode_reset_start,
    PasscodeResetFinish => passcode_reset_finish,
    SelfLockStart => self_lock_start,
    SelfLockFinish => self_lock_finish,
    MyData => my_data,
    MyActivity => my_activity,
    OrganisationActivity => organisation_activity,
}

/// The command's argument, read from the message's `args` field with the wording Tauri's own
/// commands use for a bad one ("invalid args `args` for command …").
fn read_args<C: Command>(payload: &InvokeBody) -> Result<C::Args, InvokeError> {
    let invalid = |reason: &dyn std::fmt::Display| {
        InvokeError::from(format!(
            "invalid args `{}` for command `{}`: {reason}",
            app::ARGS,
            C::NAME
        ))
    };
    let InvokeBody::Json(serde_json::Value::Object(fields)) = payload else {
        return Err(invalid(&"the message is not a JSON object"));
    };
    let Some(args) = fields.get(app::ARGS) else {
        return Err(InvokeError::from(format!(
            "command {} missing required key {}",
            C::NAME,
            app::ARGS
        )));
    };
    C::Args::deserialize(args).map_err(|e| invalid(&e))
}

/// The command's output as JSON, or its [`ApiError`] as the rejection.
fn reply<T: Serialize>(answer: Result<T, ApiError>) -> Result<InvokeResponseBody, InvokeError> {
    match answer {
        Ok(output) => output.body().map_err(|e| InvokeError::from(e.to_string())),
        Err(e) => Err(InvokeError::from(e)),
    }
}

/// The shell is managed in the app's setup, before the window can send anything; a message
/// that arrives without it is answered rather than panicking the runtime.
fn no_shell() -> InvokeError {
    InvokeError::from("the app's shell is not ready")
}
