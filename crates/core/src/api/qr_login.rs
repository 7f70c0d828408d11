//! QR login on the desktop: the desktop asks, the phone approves, the desktop is told at once.

use serde::{Deserialize, Serialize};

use super::{SessionToken, SessionView, Timestamp};
use crate::crypto::PublicKey;

/// The desktop asks for a rendezvous, presenting the ephemeral key it just created. The session
/// it gets will be bound to that key.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrLoginStart {
    /// The desktop's ephemeral P-256 public key.
    pub desktop_key: PublicKey,
    /// A name for the computer ("Máy tính văn phòng").
    pub client_name: String,
    /// Operating system, as the desktop app reports it ("Ubuntu 24.04").
    pub os: String,
}

/// The rendezvous: the QR code's content and how to wait for the answer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrLoginStarted {
    /// The payload to render as a QR code (`dinhdanh://login?...`).
    pub payload: String,
    /// The short code both screens show, so the person can see they match.
    pub check_code: String,
    /// When the code stops working (about 60 seconds; the desktop asks for a new one before).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
}

/// What the phone shows after scanning: which computer asks and for which account.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrLoginRequestView {
    /// The computer's name.
    pub client_name: String,
    /// Its operating system.
    pub os: String,
    /// The address the desktop's request came from.
    pub ip_address: String,
    /// Approximate place, when a GeoIP database is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_location: Option<String>,
    /// When the desktop asked.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    /// The short code the desktop shows too.
    pub check_code: String,
    /// When the code stops working.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// The phone's own address, as the server saw this request (beside the desktop's, so the
    /// person can compare them).
    pub phone_ip_address: String,
    /// Approximate place of the phone's address, from the same GeoIP table as the desktop's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_approximate_location: Option<String>,
    /// The phone's and the desktop's addresses differ greatly (different networks or
    /// countries): show a warning before approving.
    pub address_warning: bool,
    /// Accounts the desktop may be signed in to: the personal one and the organisations the
    /// person may act for.
    pub accounts: Vec<super::OrganisationChoice>,
}

/// The phone approves (action kind `approve_qr_login`) by sending
/// [`super::Confirmed`]`<`[`crate::qr_login::QrApprovalBody`]`>`: the confirmation covers the
/// desktop's key, the rendezvous, the origin, the expiry and the account chosen, so an
/// approval cannot be moved to another desktop or another account.
pub type QrLoginApproval = super::Confirmed<crate::qr_login::QrApprovalBody>;

/// What the desktop receives on its push channel.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QrLoginEvent {
    /// The phone approved: here is the session, bound to the desktop's key.
    Approved {
        /// The session token.
        token: SessionToken,
        /// The session.
        session: SessionView,
    },
    /// The phone declined.
    Declined,
    /// The code expired unanswered; ask for a new one.
    Expired,
}

/// A sensitive action started where the person holds no confirmation key — a desktop signed
/// in by QR code, or the officer console — waiting for the phone's confirmation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDesktopAction {
    /// Identifies it.
    pub id: String,
    /// What kind of action.
    pub kind: crate::signed_action::ActionKind,
    /// Where it was asked for, so the phone says who waits (absent from servers older than
    /// the console: a desktop).
    #[serde(default)]
    pub asked_from: super::ActionOrigin,
    /// A one-line summary in Vietnamese the phone shows.
    pub summary_vi: String,
    /// The same in English.
    pub summary_en: String,
    /// The body the phone will confirm (canonical JSON), so the phone shows what it signs.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
    /// The target the phone's confirmation names (action kind `confirm_desktop_action`):
    /// `desktop_action:<id>`, see [`super::desktop_action_target`].
    pub target: crate::signed_action::ActionTarget,
    /// When the desktop asked.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    /// When it stops being accepted (about 5 minutes after it was asked).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
}
