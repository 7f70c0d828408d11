//! Step-up confirmation on its own, and sensitive actions started on a desktop and confirmed on
//! the phone (issue 8).
//!
//! A desktop signed in by QR code holds no confirmation key. When the person starts a
//! sensitive action there (submitting a registration, switching the desktop to an
//! organisation), the desktop posts a [`DesktopActionRequest`]; the server checks it as the
//! direct route would, keeps it for a few minutes and asks the phone. The phone lists it
//! ([`super::PendingDesktopAction`]), shows the body it is about to sign, and confirms it
//! with the signed-action encoding, verified against the phone's own keys: action kind
//! `confirm_desktop_action`, target `desktop_action:<id>` ([`desktop_action_target`]) and the
//! stored body. The signature so names the one waiting action it answers — a confirmation
//! made for the phone's own route (`switch_account`, `register_organisation`) cannot answer a
//! desktop's action, nor the other way round. The desktop is told the outcome
//! ([`DesktopActionEvent`]) on a WebSocket at once.

use serde::{Deserialize, Serialize};

use super::{ApiError, Timestamp};
use crate::error::IdError;
use crate::signed_action::{ActionKind, ActionTarget};

/// Why the person is asked to prove they are present, so the audit trail says what opened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepUpPurpose {
    /// The registration wizard of an organisation's e-ID is about to open (issue 7).
    OpenOrganisationIdentity,
}

impl StepUpPurpose {
    /// The stable text of the purpose: the target of the signed action (`step_up:<text>`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepUpPurpose::OpenOrganisationIdentity => "open_organisation_identity",
        }
    }
}

/// The body of a step-up (action kind `step_up`, target `step_up:<purpose>`), sent as
/// [`super::Confirmed`]`<StepUpRequest>` to [`super::paths::STEP_UP`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUpRequest {
    /// What the confirmation opens.
    pub purpose: StepUpPurpose,
}

/// The answer to a step-up that passed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUpDone {
    /// What was opened.
    pub purpose: StepUpPurpose,
    /// Until when the app may treat the person as present for this purpose (a few minutes);
    /// every action inside still needs its own confirmation.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub until: Timestamp,
}

/// A desktop asks for a sensitive action to be confirmed on the phone: the action kind and the
/// body the direct route takes (for `register_organisation` a
/// [`super::RegistrationSubmission`], for `switch_account` a [`super::SwitchAccount`]).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopActionRequest {
    /// What to do.
    pub kind: ActionKind,
    /// The direct route's body, exactly as the person filled it in on the desktop.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// The action kinds a desktop may ask the phone to confirm. Everything else — binding
/// devices, managing delegates, passcodes — is done on the phone itself.
pub const DESKTOP_ACTION_KINDS: [ActionKind; 2] =
    [ActionKind::RegisterOrganisation, ActionKind::SwitchAccount];

/// The action kinds the officer console may ask the officer's phone to confirm: an officer's
/// decision on a registration (approve, reject, ask for information), locking or unlocking
/// a person's or an organisation's account, a registration taken at the counter, and a calendar keeper's change to
/// the working-day table. The console holds no confirmation key, so each is signed on the
/// officer's own phone.
pub const CONSOLE_ACTION_KINDS: [ActionKind; 4] = [
    ActionKind::ReviewRegistration,
    ActionKind::ChangeAccountLock,
    ActionKind::RegisterInPerson,
    ActionKind::ChangeHolidayTable,
];

/// Whether the officer console may ask the phone to confirm `kind`.
pub fn console_may_request(kind: ActionKind) -> bool {
    CONSOLE_ACTION_KINDS.contains(&kind)
}

/// Where an action waiting for the phone was asked for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOrigin {
    /// A desktop signed in by QR code.
    #[default]
    Desktop,
    /// The officer console in a browser (`/console/`).
    Console,
}

/// Whether a desktop may ask the phone to confirm `kind`.
pub fn desktop_may_request(kind: ActionKind) -> bool {
    DESKTOP_ACTION_KINDS.contains(&kind)
}

/// The target the phone's confirmation of the desktop's action `id` names (action kind
/// [`ActionKind::ConfirmDesktopAction`]): `desktop_action:<id>`.
pub fn desktop_action_target(id: &str) -> Result<ActionTarget, IdError> {
    ActionTarget::new("desktop_action", id)
}

/// What the desktop is told on its WebSocket when the phone has answered (or time ran out).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DesktopActionEvent {
    /// Confirmed and done: the direct route's answer (a [`super::RegistrationView`], or the
    /// desktop session's [`super::AccountChoices`] after a switch).
    Done {
        /// The answer.
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        result: serde_json::Value,
    },
    /// Confirmed, but the action itself was refused when it was carried out (for example the
    /// organisation got an account in the meantime).
    Refused {
        /// Why.
        error: ApiError,
    },
    /// The person declined it on the phone.
    Declined,
    /// Nobody answered in time; start it again.
    Expired,
    /// The desktop withdrew it (the person cancelled the wait there) before the phone
    /// answered; nothing was done.
    Cancelled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registration_and_switch_may_come_from_a_desktop() {
        assert!(desktop_may_request(ActionKind::RegisterOrganisation));
        assert!(desktop_may_request(ActionKind::SwitchAccount));
        for kind in [
            ActionKind::BindDevice,
            ActionKind::AddDelegate,
            ActionKind::ApproveQrLogin,
            ActionKind::ConfirmDesktopAction,
            ActionKind::StepUp,
        ] {
            assert!(!desktop_may_request(kind), "{kind:?}");
        }
    }

    #[test]
    fn the_console_may_ask_only_for_an_officers_decision_lock_intake_or_calendar_change() {
        assert!(console_may_request(ActionKind::ReviewRegistration));
        assert!(console_may_request(ActionKind::ChangeAccountLock));
        assert!(console_may_request(ActionKind::RegisterInPerson));
        assert!(console_may_request(ActionKind::ChangeHolidayTable));
        for kind in [
            ActionKind::RegisterOrganisation,
            ActionKind::SwitchAccount,
            ActionKind::BindDevice,
            ActionKind::ConfirmDesktopAction,
            ActionKind::LockAccount,
        ] {
            assert!(!console_may_request(kind), "{kind:?}");
        }
        // A desktop may not ask for either: only the console's officer check lets them in.
        assert!(!desktop_may_request(ActionKind::ReviewRegistration));
        assert!(!desktop_may_request(ActionKind::ChangeAccountLock));
        assert!(!desktop_may_request(ActionKind::RegisterInPerson));
        assert!(!desktop_may_request(ActionKind::ChangeHolidayTable));
    }

    #[test]
    fn an_action_without_its_origin_came_from_a_desktop() {
        let origin: ActionOrigin = serde_json::from_str("\"console\"").unwrap();
        assert_eq!(origin, ActionOrigin::Console);
        assert_eq!(ActionOrigin::default(), ActionOrigin::Desktop);
    }

    #[test]
    fn a_confirmation_names_the_one_desktop_action_it_answers() {
        let target = desktop_action_target("dact_0123456789abcdef").unwrap();
        assert_eq!(target.as_str(), "desktop_action:dact_0123456789abcdef");
        assert!(desktop_action_target("dact:1").is_err());
        assert!(desktop_action_target("").is_err());
    }

    #[test]
    fn events_are_tagged_by_type() {
        let json = serde_json::to_value(DesktopActionEvent::Declined).unwrap();
        assert_eq!(json, serde_json::json!({"type": "declined"}));
        let done = DesktopActionEvent::Done {
            result: serde_json::json!({"id": "reg_1"}),
        };
        let text = serde_json::to_string(&done).unwrap();
        assert_eq!(
            serde_json::from_str::<DesktopActionEvent>(&text).unwrap(),
            done
        );
    }

    #[test]
    fn step_up_purposes_name_their_target() {
        let target = crate::signed_action::ActionTarget::new(
            "step_up",
            StepUpPurpose::OpenOrganisationIdentity.as_str(),
        );
        assert!(target.is_ok());
        assert_eq!(
            serde_json::to_value(StepUpPurpose::OpenOrganisationIdentity).unwrap(),
            serde_json::json!(StepUpPurpose::OpenOrganisationIdentity.as_str())
        );
    }
}
