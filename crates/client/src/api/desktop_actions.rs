//! Step-up on its own, and sensitive actions started on a desktop and confirmed on the phone
//! (issues 7 and 8), both ends:
//!
//! - **phone, any screen**: [`Client::step_up`] proves the person is present (passcode or
//!   biometrics) before a sensitive screen opens, e.g. the registration wizard;
//! - **desktop**: [`Client::start_desktop_action`] asks for an action the desktop cannot
//!   confirm itself (it holds no confirmation key), [`Client::wait_desktop_action`] waits on
//!   the push channel for the phone's answer and [`Client::cancel_desktop_action`] withdraws it;
//! - **phone**: [`Client::pending_desktop_actions`] lists what waits,
//!   [`Client::confirm_desktop_action`] signs exactly the body the pending action shows, as a
//!   `confirm_desktop_action` of `desktop_action:<id>` (so the signature answers that one
//!   action and nothing else), and [`Client::decline_desktop_action`] says no.

use dinhdanh_core::api::{
    AccountChoices, ActionOrigin, DesktopActionEvent, DesktopActionRequest, PendingDesktopAction,
    StepUpDone, StepUpPurpose, StepUpRequest, console_may_request, desktop_action_target,
    desktop_may_request, paths,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{Auth, Client, wrong_server};
use crate::error::ClientError;
use crate::json::from_json;
use crate::passcode::Confirmer;

impl Client {
    /// Proves the person is present for `purpose` with `confirmer` (passcode or biometrics).
    /// A wrong passcode is counted toward the lock-out like every other confirmation.
    pub async fn step_up(
        &self,
        purpose: StepUpPurpose,
        confirmer: &dyn Confirmer,
    ) -> Result<StepUpDone, ClientError> {
        let done: StepUpDone = self
            .confirmed(
                Method::POST,
                paths::STEP_UP,
                ActionKind::StepUp,
                ActionTarget::new("step_up", purpose.as_str())?,
                StepUpRequest { purpose },
                confirmer,
            )
            .await?;
        if done.purpose != purpose {
            return Err(wrong_server());
        }
        Ok(done)
    }

    /// Desktop: asks for `kind` with the body its direct route takes (a
    /// `RegistrationSubmission`, a `SwitchAccount`) to be confirmed on the phone. The server
    /// checks it first, so a form error comes back here, under its field, at once.
    pub async fn start_desktop_action<B: Serialize>(
        &self,
        kind: ActionKind,
        body: &B,
    ) -> Result<PendingDesktopAction, ClientError> {
        let body = serde_json::to_value(body).map_err(|e| ClientError::Protocol {
            code: "malformed_request".into(),
            message_vi: "Không tạo được yêu cầu.".into(),
            message_en: format!("The request could not be encoded: {e}"),
        })?;
        let pending: PendingDesktopAction = self
            .call(
                Method::POST,
                paths::DESKTOP_ACTIONS,
                Some(&DesktopActionRequest { kind, body }),
                Auth::Session,
            )
            .await?;
        if pending.kind != kind {
            return Err(wrong_server());
        }
        Ok(pending)
    }

    /// Desktop: waits on the push channel until the phone has answered `action` (or it
    /// expired). After a confirmed switch, this profile acts for the account switched to.
    pub async fn wait_desktop_action(
        &self,
        action: &PendingDesktopAction,
    ) -> Result<DesktopActionEvent, ClientError> {
        let path = paths::fill(paths::DESKTOP_ACTION_EVENTS, "id", &action.id);
        let headers = self.session_socket_headers(&path)?;
        let Some(text) = self
            .first_pushed_text(&path, &headers, action.expires_at.timestamp())
            .await?
        else {
            // No answer before the action's end, or the connection ended without one.
            return Ok(DesktopActionEvent::Expired);
        };
        let event: DesktopActionEvent = from_json(text.as_bytes())
            .map_err(|_| ClientError::UnexpectedResponse { status: 101 })?;
        if let (ActionKind::SwitchAccount, DesktopActionEvent::Done { result }) =
            (action.kind, &event)
        {
            let choices: AccountChoices = AccountChoices::deserialize(result)
                .map_err(|_| ClientError::UnexpectedResponse { status: 101 })?;
            self.update_state(|s| s.acting_for = choices.active.clone())?;
        }
        Ok(event)
    }

    /// Desktop: withdraws `id` (the person cancelled the wait): a later confirmation on the
    /// phone is refused and nothing is done. `desktop_action_answered` when the phone was first.
    pub async fn cancel_desktop_action(&self, id: &str) -> Result<(), ClientError> {
        self.call::<(), _>(
            Method::POST,
            &paths::fill(paths::DESKTOP_ACTION_CANCEL, "id", id),
            None,
            Auth::Session,
        )
        .await
    }

    /// Phone: the desktop's actions waiting for this person's confirmation, oldest first.
    pub async fn pending_desktop_actions(&self) -> Result<Vec<PendingDesktopAction>, ClientError> {
        self.call::<(), _>(Method::GET, paths::DESKTOP_ACTIONS, None, Auth::Session)
            .await
    }

    /// Phone: confirms `action` with `confirmer`, signing the body it shows, unchanged, as a
    /// `confirm_desktop_action` of `desktop_action:<id>` (checked here to be what the action
    /// names, and to be a kind its asker — a desktop, or the officer console — may ask for, so
    /// the phone never signs something else than what it shows). Answers what the desktop is told.
    pub async fn confirm_desktop_action(
        &self,
        action: &PendingDesktopAction,
        confirmer: &dyn Confirmer,
    ) -> Result<DesktopActionEvent, ClientError> {
        let target = desktop_action_target(&action.id)?;
        let may_ask = match action.asked_from {
            ActionOrigin::Desktop => desktop_may_request(action.kind),
            ActionOrigin::Console => console_may_request(action.kind),
        };
        if !may_ask || target != action.target {
            return Err(wrong_server());
        }
        self.confirmed(
            Method::POST,
            &paths::fill(paths::DESKTOP_ACTION_CONFIRMATION, "id", &action.id),
            ActionKind::ConfirmDesktopAction,
            target,
            action.body.clone(),
            confirmer,
        )
        .await
    }

    /// Phone: declines the desktop's action; the desktop is told at once.
    pub async fn decline_desktop_action(&self, id: &str) -> Result<(), ClientError> {
        self.call::<(), _>(
            Method::POST,
            &paths::fill(paths::DESKTOP_ACTION_DECLINE, "id", id),
            None,
            Auth::Session,
        )
        .await
    }
}
