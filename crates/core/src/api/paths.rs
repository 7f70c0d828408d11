//! The API's routes, named once so the server's router and the client's calls agree.
//! `{name}` marks a path parameter (axum's syntax).

/// `POST`: a challenge for one action ([`super::ChallengeRequest`] -> [`super::ChallengeResponse`]).
pub const CHALLENGES: &str = "/v1/challenges";
/// `POST`: self-registration, step 1.
pub const SELF_REGISTRATION_START: &str = "/v1/accounts/registration/start";
/// `POST`: self-registration, step 2.
pub const SELF_REGISTRATION_FINISH: &str = "/v1/accounts/registration/finish";
/// `POST`: device binding, step 1.
pub const DEVICE_BINDING_START: &str = "/v1/devices/binding/start";
/// `POST`: device binding, step 2.
pub const DEVICE_BINDING_FINISH: &str = "/v1/devices/binding/finish";
/// `POST`: forgotten passcode, step 1.
pub const PASSCODE_RESET_START: &str = "/v1/devices/passcode/reset/start";
/// `POST`: forgotten passcode, step 2.
pub const PASSCODE_RESET_FINISH: &str = "/v1/devices/passcode/reset/finish";
/// `POST`: lock one's own account, step 1.
pub const SELF_LOCK_START: &str = "/v1/accounts/lock/start";
/// `POST`: lock one's own account, step 2.
pub const SELF_LOCK_FINISH: &str = "/v1/accounts/lock/finish";
/// `POST`: sign in.
pub const LOGIN: &str = "/v1/sessions";
/// `GET`: the sessions of the account; `DELETE` on [`SESSION`] ends one.
pub const SESSIONS: &str = "/v1/sessions";
/// `DELETE`: end a session.
pub const SESSION: &str = "/v1/sessions/{id}";
/// `DELETE`: sign out (end the session the request is made in; works on an idle session).
pub const SESSION_CURRENT: &str = "/v1/sessions/current";
/// `POST`: renew an idle session.
pub const SESSION_RENEWAL: &str = "/v1/sessions/renewal";
/// `GET`: the signed-in account.
pub const ME: &str = "/v1/me";
/// `GET`: everything held about the signed-in person.
pub const MY_DATA: &str = "/v1/me/data";
/// `GET`: the signed-in person's activity: the audit entries about them and of what they did
/// (Decree 13/2023/NĐ-CP).
pub const MY_AUDIT: &str = "/v1/me/audit";
/// `GET`: accounts the person may switch to; `POST`: switch.
pub const ACCOUNT_SWITCH: &str = "/v1/me/accounts";
/// `GET`: the inbox.
pub const NOTIFICATIONS: &str = "/v1/me/notifications";
/// `GET` (WebSocket): the session's live updates ([`super::LiveEvent`]).
pub const LIVE_EVENTS: &str = "/v1/me/events";
/// `POST`: submit a registration; `GET`: one's registrations.
pub const REGISTRATIONS: &str = "/v1/registrations";
/// `GET`: one registration.
pub const REGISTRATION: &str = "/v1/registrations/{id}";
/// `POST`: a co-representative's consent or refusal.
pub const REGISTRATION_CONSENT: &str = "/v1/registrations/{id}/consent";
/// `POST`: answer an information request.
pub const REGISTRATION_ANSWER: &str = "/v1/registrations/{id}/answer";
/// `POST`: withdraw.
pub const REGISTRATION_WITHDRAWAL: &str = "/v1/registrations/{id}/withdrawal";
/// `POST`: upload an attachment (raw body); `GET` on [`ATTACHMENT`] reads one.
pub const ATTACHMENTS: &str = "/v1/attachments";
/// `GET`: an attachment's content (requester and officers only).
pub const ATTACHMENT: &str = "/v1/attachments/{id}";
/// `GET`: the officer queue.
pub const OFFICER_QUEUE: &str = "/v1/officer/queue";
/// `POST`: an officer's decision.
pub const OFFICER_DECISION: &str = "/v1/officer/registrations/{id}/decision";
/// `POST`: an officer locks or unlocks an account.
pub const OFFICER_ACCOUNT_LOCK: &str = "/v1/officer/accounts/lock";
/// `GET`: registration statistics.
pub const OFFICER_STATISTICS: &str = "/v1/officer/statistics";
/// `GET`: an organisation's record.
pub const ORGANISATION: &str = "/v1/organisations/{eid}";
/// `GET`: who acted for the organisation, from which device, when — newest first (owners and
/// administrators; [`super::OrganisationActivityEntry`]).
pub const ORGANISATION_ACTIVITY: &str = "/v1/organisations/{eid}/activity";
/// `GET`: delegates; `POST`: add one.
pub const DELEGATIONS: &str = "/v1/organisations/{eid}/delegations";
/// `DELETE`: revoke a delegation.
pub const DELEGATION: &str = "/v1/organisations/{eid}/delegations/{id}";
/// `POST`: the delegate accepts or declines a delegation.
pub const DELEGATION_ANSWER: &str = "/v1/organisations/{eid}/delegations/{id}/answer";
/// `PUT`: the owner (or an administrator, for a member) sets the services a delegation
/// allows ([`super::SetDelegationServices`], confirmed).
pub const DELEGATION_SERVICES: &str = "/v1/organisations/{eid}/delegations/{id}/services";
/// `GET`: the registered services that accept organisation accounts ([`super::ServiceView`]).
pub const SERVICES: &str = "/v1/services";
/// `GET`: the person's consents to services ([`super::ServiceConsentView`]).
pub const SERVICE_CONSENTS: &str = "/v1/me/service-consents";
/// `DELETE` (no body, not confirmed: a withdrawal only reduces what is shared): withdraws the
/// person's consents to a service and revokes their live access tokens for it.
pub const SERVICE_CONSENT: &str = "/v1/me/service-consents/{client_id}";
/// `POST`: an officer locks, unlocks, closes, renames, merges or splits an organisation.
pub const OFFICER_ORGANISATION_CHANGE: &str = "/v1/officer/organisations/{eid}/changes";
/// `GET`: registered organisations against the deployment targets, for the officer's province.
pub const OFFICER_PROGRESS: &str = "/v1/officer/progress";
/// `POST`: the desktop starts a QR login.
pub const QR_LOGIN: &str = "/v1/qr-login";
/// `GET` (WebSocket): the desktop waits for the answer.
pub const QR_LOGIN_EVENTS: &str = "/v1/qr-login/{rendezvous}/events";
/// `GET`: the phone reads who asks.
pub const QR_LOGIN_REQUEST: &str = "/v1/qr-login/{rendezvous}";
/// `POST`: the phone approves.
pub const QR_LOGIN_APPROVAL: &str = "/v1/qr-login/{rendezvous}/approval";
/// `POST` (no body, not confirmed: a decline is one tap): the phone declines.
pub const QR_LOGIN_DECLINE: &str = "/v1/qr-login/{rendezvous}/decline";
/// `GET`: the phone reads a sign-in to a relying party (a service using this server as its
/// OpenID provider) before approving ([`super::OidcSignInView`]).
pub const OIDC_SIGN_IN: &str = "/v1/oidc/sign-ins/{sign_in}";
/// `POST`: the phone approves a sign-in to a relying party ([`super::OidcApproval`]).
pub const OIDC_SIGN_IN_APPROVAL: &str = "/v1/oidc/sign-ins/{sign_in}/approval";
/// `POST` (no body, not confirmed: a decline is one tap): the phone declines a sign-in to a
/// relying party.
pub const OIDC_SIGN_IN_DECLINE: &str = "/v1/oidc/sign-ins/{sign_in}/decline";
/// `POST`: prove the person is present (passcode or biometrics) before a sensitive screen.
pub const STEP_UP: &str = "/v1/me/step-up";
/// `POST`: a desktop asks for a sensitive action to be confirmed on the phone; `GET`: the
/// phone lists those waiting.
pub const DESKTOP_ACTIONS: &str = "/v1/desktop-actions";
/// `POST`: the phone confirms a desktop's action.
pub const DESKTOP_ACTION_CONFIRMATION: &str = "/v1/desktop-actions/{id}/confirmation";
/// `POST`: the phone declines a desktop's action.
pub const DESKTOP_ACTION_DECLINE: &str = "/v1/desktop-actions/{id}/decline";
/// `POST`: the desktop withdraws its action before the phone answered.
pub const DESKTOP_ACTION_CANCEL: &str = "/v1/desktop-actions/{id}/cancel";
/// `GET` (WebSocket): the desktop waits for the phone's answer.
pub const DESKTOP_ACTION_EVENTS: &str = "/v1/desktop-actions/{id}/events";
/// `GET`: the OpenAPI document.
pub const OPENAPI: &str = "/v1/openapi.json";
/// `GET`: liveness.
pub const HEALTH: &str = "/v1/health";

/// Fills one `{name}` parameter of a route.
pub fn fill(route: &str, name: &str, value: &str) -> String {
    route.replace(&format!("{{{name}}}"), value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_parameters_are_filled() {
        assert_eq!(
            super::fill(super::DELEGATION, "eid", "TC00000000013"),
            "/v1/organisations/TC00000000013/delegations/{id}"
        );
    }
}
