//! The keypad screen for an action waiting for confirmation, and what happens once confirmed.

use dinhdanh_core::api::{ErrorCode, SecretText};
use dinhdanh_core::app::{
    AddDelegateArgs, AnswerConsentArgs, AnswerDelegationArgs, AnswerInformationArgs, Confirm,
    ConfirmDesktopActionArgs, ConfirmIdentityArgs, EndSessionArgs, QrApproveArgs,
    RevokeDelegateArgs, ServiceSignInApproveArgs, SetDelegationServicesArgs,
    SubmitRegistrationArgs, SwitchAccountArgs, WithdrawRegistrationArgs,
};
use dioxus::prelude::*;

use crate::bridge;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen, confirms_on_phone, skips_identity_step_up};
use crate::screens::wizard;
use crate::state::{Ctx, ctx};
use crate::widgets::PasscodeKeypad;

/// The keypad for `pending`, with *Hủy* and, where the platform has one, the biometric key;
/// on a desktop signed in by QR, the wait for the phone's confirmation instead.
#[component]
pub fn ConfirmScreen(pending: Pending) -> Element {
    let c = ctx();
    let on_phone = c
        .status
        .read()
        .as_ref()
        .is_some_and(|s| confirms_on_phone(s, &pending));
    if on_phone {
        return rsx! { OnPhoneWait { pending } };
    }
    let skip = pending == Pending::StartRegistration
        && c.status.read().as_ref().is_some_and(skips_identity_step_up);
    if skip {
        return rsx! { SkipStepUp {} };
    }
    let biometric = c
        .status
        .read()
        .as_ref()
        .is_some_and(|s| s.biometric_available);
    let title = pending.title(c.l());
    let for_keypad = pending.clone();
    let for_biometric = pending.clone();
    let cancel_to = pending.cancel_to();
    rsx! {
        div { id: "screen-passcode-confirm", class: "screen",
            PasscodeKeypad {
                title,
                screen_title: true,
                on_complete: move |passcode: SecretText| {
                    let p = for_keypad.clone();
                    spawn(async move { execute(c, p, Confirm::Passcode { passcode }).await });
                },
            }
            if biometric {
                button { id: "confirm-biometric", class: "button secondary", r#type: "button",
                    onclick: move |_| {
                        let p = for_biometric.clone();
                        spawn(async move { execute(c, p, Confirm::Biometric).await });
                    },
                    {c.t("Dùng sinh trắc học", "Use biometrics")}
                }
            }
            button { id: "confirm-cancel", class: "button ghost", r#type: "button",
                onclick: move |_| c.go(cancel_to.clone()),
                {c.t("Hủy", "Cancel")}
            }
            button { id: "confirm-forgot-passcode", class: "button ghost", r#type: "button",
                onclick: move |_| c.go(Screen::PasscodeReset),
                {c.t("Quên mã PIN?", "Forgot your passcode?")}
            }
        }
    }
}

/// Desktop: no step-up before the wizard (see [`skips_identity_step_up`]); opens the type
/// choice as soon as mounted (not while rendering).
#[component]
fn SkipStepUp() -> Element {
    let c = ctx();
    use_hook(move || {
        spawn(async move { c.go(Screen::WizardType) });
    });
    rsx! {
        div { id: "screen-passcode-confirm", class: "screen" }
    }
}

/// Desktop: asks the phone to confirm `pending` (once, when the screen opens) and waits. The
/// person may cancel: the action is withdrawn, so the phone can no longer confirm it, and the
/// wait ends with "cancelled, nothing was done" where the action started. Should the phone
/// have answered first, its answer stands and the person is told.
#[component]
fn OnPhoneWait(pending: Pending) -> Element {
    let c = ctx();
    let cancel_to = pending.cancel_to();
    let started = pending.clone();
    use_hook(move || {
        spawn(async move {
            let waiting_on = Screen::Confirm(Box::new(started.clone()));
            let back = started.cancel_to();
            execute(c, started, Confirm::OnPhone).await;
            // Still here: refused, declined, expired or cancelled. The answer goes back with
            // the person to where the action started (the form is kept): an error, or for
            // their own cancellation a notice that nothing was done.
            if *c.screen.peek() == waiting_on {
                let error = c.error.peek().clone();
                c.go(back);
                match error {
                    Some(e) if e.code == ErrorCode::DesktopActionCancelled.as_str() => {
                        c.tell(&e.message_vi, &e.message_en)
                    }
                    Some(e) => c.fail(e),
                    None => {}
                }
            }
        });
    });
    rsx! {
        div { id: "screen-passcode-confirm", class: "screen",
            div { id: "confirm-on-phone", class: "panel waiting",
                h1 { {pending.title_on_phone(c.l())} }
                p { class: "note",
                    {c.t("Đang chờ xác nhận trên điện thoại…", "Waiting for confirmation on the phone…")}
                }
                p { class: "note",
                    {c.t(
                        "Mở ứng dụng Định Danh trên điện thoại, xem thông báo và xác nhận bằng mã PIN hoặc sinh trắc học.",
                        "Open the Định Danh app on your phone, open the notification and confirm with your passcode or biometrics.",
                    )}
                }
            }
            button { id: "confirm-cancel", class: "button ghost", r#type: "button",
                // Withdraws the request; the wait above then ends with "cancelled, nothing
                // was done" and goes back. (Leaving this screen first would drop the wait.)
                onclick: move |_| {
                    let back = cancel_to.clone();
                    spawn(async move {
                        match bridge::cancel_on_phone().await {
                            Ok(()) => {}
                            // The phone answered first: its answer ends the wait.
                            Err(e) if e.code == ErrorCode::DesktopActionAnswered.as_str() => {
                                c.fail(e)
                            }
                            // Not withdrawn (no network): back, saying so.
                            Err(e) => {
                                c.go(back);
                                c.fail(e);
                            }
                        }
                    });
                },
                {c.t("Hủy", "Cancel")}
            }
        }
    }
}

/// Carries out a confirmed action and goes where it leads. On failure the keypad stays (a
/// wrong passcode is typed again), except where the form must be corrected.
pub async fn execute(c: Ctx, pending: Pending, confirm: Confirm) {
    match pending {
        Pending::StartRegistration => {
            // A step-up: the server checks the passcode (and counts a wrong one) before the
            // wizard opens; the submission at the end is confirmed again.
            let args = ConfirmIdentityArgs { confirm };
            if c.run(bridge::confirm_identity(&args)).await.is_some() {
                c.go(Screen::WizardType);
            }
        }
        Pending::SwitchAccount { to } => {
            let args = SwitchAccountArgs {
                to: to.clone(),
                confirm,
            };
            if let Some(status) = c.run(bridge::switch_account(&args)).await {
                c.set_status(status);
                match to {
                    Some(eid) => c.go(Screen::Organisation(eid)),
                    None => c.go(Screen::Home),
                }
            }
        }
        Pending::SubmitRegistration { org_type, details } => {
            let args = SubmitRegistrationArgs {
                org_type,
                details: *details,
                confirm,
            };
            match c.run(bridge::submit_registration(&args)).await {
                Some(view) => {
                    wizard::clear_draft(c).await;
                    c.go(Screen::Request {
                        id: view.id,
                        created: true,
                    });
                }
                None => {
                    let e = c.error.read().clone();
                    if let Some(e) = e.filter(|e| {
                        !e.details.is_empty()
                            || e.field.is_some()
                            || matches!(
                                e.kind(),
                                Some(ErrorCode::ValidationFailed | ErrorCode::RegistryMismatch)
                            )
                    }) {
                        c.go(Screen::WizardForm);
                        c.fail(e);
                    }
                }
            }
        }
        Pending::AnswerInformation { id, answer } => {
            let args = AnswerInformationArgs {
                id: id.clone(),
                answer,
                confirm,
            };
            if c.run(bridge::answer_information(&args)).await.is_some() {
                let mut typed = c.answer;
                typed.set(String::new());
                c.go(Screen::Request { id, created: false });
                c.tell("Đã gửi câu trả lời.", "Your answer was sent.");
            }
        }
        Pending::AnswerConsent { shown, consent } => {
            let back = Screen::Request {
                id: shown.id.clone(),
                created: false,
            };
            let args = AnswerConsentArgs {
                shown: *shown,
                consent,
                confirm,
            };
            if c.run(bridge::answer_consent(&args)).await.is_some() {
                c.go(back);
                if consent {
                    c.tell(
                        "Bạn đã đồng ý; người nộp yêu cầu thấy câu trả lời của bạn ngay.",
                        "You consented; the requester sees your answer at once.",
                    );
                } else {
                    c.tell(
                        "Bạn đã từ chối; yêu cầu đã được rút và người nộp được thông báo.",
                        "You refused; the request is withdrawn and the requester is told.",
                    );
                }
            } else {
                back_with_error(c, back);
            }
        }
        Pending::WithdrawRegistration { id, .. } => {
            let back = Screen::Request {
                id: id.clone(),
                created: false,
            };
            let args = WithdrawRegistrationArgs { id, confirm };
            if c.run(bridge::withdraw_registration(&args)).await.is_some() {
                c.go(back);
                c.tell(
                    "Đã rút yêu cầu; yêu cầu sẽ không được xét nữa.",
                    "The request is withdrawn; it will not be considered any further.",
                );
            } else {
                back_with_error(c, back);
            }
        }
        Pending::AddDelegate(delegate) => {
            let eid = delegate.organisation.clone();
            let args = AddDelegateArgs { delegate, confirm };
            match c.run(bridge::add_delegate(&args)).await {
                Some(added) => {
                    let mut form = c.delegate;
                    form.set(crate::state::DelegateForm::default());
                    // A new delegation allows no outside service: the owner chooses them
                    // next (or goes back and does it later).
                    c.go(Screen::DelegationServices(Box::new(
                        crate::nav::DelegationServicesEdit {
                            delegation: added,
                            draft: None,
                        },
                    )));
                    c.tell(
                        "Đã gửi ủy quyền; người được ủy quyền cần chấp nhận. Chọn các dịch vụ ủy quyền này cho phép đăng nhập thay mặt tổ chức, hoặc quay lại để làm sau.",
                        "Authorisation sent; the delegate must accept it. Choose the services it allows signing in to for the organisation, or go back and do it later.",
                    );
                }
                None => {
                    let e = c.error.read().clone();
                    if let Some(e) = e.filter(|e| !bridge::is_wrong_confirmation(e)) {
                        c.go(Screen::Organisation(eid));
                        c.fail(e);
                    }
                }
            }
        }
        Pending::RevokeDelegate(revoke) => {
            let eid = revoke.organisation.clone();
            let args = RevokeDelegateArgs { revoke, confirm };
            if c.run(bridge::revoke_delegate(&args)).await.is_some() {
                c.go(Screen::Organisation(eid));
                c.tell("Đã thu hồi ủy quyền.", "The authorisation is revoked.");
            }
        }
        Pending::AnswerDelegation(answer) => {
            let accepted = answer.accept;
            let args = AnswerDelegationArgs { answer, confirm };
            if c.run(bridge::answer_delegation(&args)).await.is_some() {
                c.go(Screen::Inbox);
                if accepted {
                    c.tell("Bạn đã nhận ủy quyền; có thể chuyển sang tài khoản tổ chức trong Đổi tài khoản.", "You accepted; switch to the organisation under Switch account.");
                } else {
                    c.tell(
                        "Bạn đã từ chối ủy quyền.",
                        "You declined the authorisation.",
                    );
                }
            }
        }
        Pending::EndSession(session) => {
            let args = EndSessionArgs { session, confirm };
            if c.run(bridge::end_session(&args)).await.is_some() {
                c.go(Screen::Sessions);
                c.tell("Máy tính đã bị đăng xuất.", "The computer is signed out.");
            }
        }
        Pending::QrApprove { scanned, account } => {
            let args = QrApproveArgs {
                payload: scanned.payload.clone(),
                account,
                confirm,
            };
            if c.run(bridge::qr_approve(&args)).await.is_some() {
                c.go(Screen::Home);
                c.tell("Máy tính đã được đăng nhập.", "The computer is signed in.");
            }
        }
        Pending::ServiceSignIn { scanned, account } => {
            let back = Screen::ServiceSignIn(scanned.clone());
            let (name_vi, name_en) = (
                crate::screens::service_sign_in::service_name(&scanned.sign_in, Lang::Vi),
                crate::screens::service_sign_in::service_name(&scanned.sign_in, Lang::En),
            );
            let args = ServiceSignInApproveArgs {
                payload: scanned.payload,
                sign_in: scanned.sign_in,
                account,
                confirm,
            };
            if c.run(bridge::service_sign_in_approve(&args))
                .await
                .is_some()
            {
                c.go(Screen::ServiceSignInDone { name_vi, name_en });
            } else {
                // A wrong passcode is typed again on the keypad; anything else (expired,
                // already answered, not allowed for this organisation) goes back to the
                // screen as it was, the server's sentence in the banner.
                let e = c.error.read().clone();
                if let Some(e) = e.filter(|e| !bridge::is_wrong_confirmation(e)) {
                    c.go(back);
                    c.fail(e);
                }
            }
        }
        Pending::SetDelegationServices(edit) => {
            let eid = edit.delegation.organisation.clone();
            let args = SetDelegationServicesArgs {
                services: edit.request(),
                confirm,
            };
            if c.run(bridge::set_delegation_services(&args))
                .await
                .is_some()
            {
                c.go(Screen::Organisation(eid));
                c.tell(
                    "Đã lưu các dịch vụ được phép cho ủy quyền.",
                    "The services the authorisation allows are saved.",
                );
            } else {
                // A wrong passcode is typed again; anything else (a service no longer
                // offered, a date refused) goes back to the choice as it was, the server's
                // sentence in the banner and on its field.
                let e = c.error.read().clone();
                if let Some(e) = e.filter(|e| !bridge::is_wrong_confirmation(e)) {
                    c.go(Screen::DelegationServices(edit));
                    c.fail(e);
                }
            }
        }
        Pending::ConfirmDesktopAction { id, .. } => {
            let args = ConfirmDesktopActionArgs { id, confirm };
            if c.run(bridge::confirm_desktop_action(&args)).await.is_some() {
                c.go(Screen::DesktopActions);
                c.tell(
                    "Đã xác nhận; máy tính sẽ tiếp tục.",
                    "Confirmed; the computer goes on.",
                );
            }
        }
    }
}

/// After a refused action on a request: a wrong passcode is typed again on the keypad;
/// anything else (already decided, the request changed, the connection broke and the server
/// says whether the action was done) goes back to the request, which reloads and shows where
/// it stands, with the sentence in the banner.
fn back_with_error(c: Ctx, back: Screen) {
    let e = c.error.read().clone();
    if let Some(e) = e.filter(|e| !bridge::is_wrong_confirmation(e)) {
        c.go(back);
        c.fail(e);
    }
}
