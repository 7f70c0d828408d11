//! Live updates: while the app is open, one WebSocket per session ([`super::paths::LIVE_EVENTS`])
//! tells it what changed for the person — a new inbox item, a request that moved, a consent
//! given or refused, a delegation added, answered or ended. An event names the thing and its
//! id only; the app reads the thing again through the ordinary, authorised route, so who may
//! see what is decided in one place and a frame stays small.

use serde::{Deserialize, Serialize};

use crate::ids::{DelegationId, NotificationId, OrgEid, RegistrationId};

/// Close code of a live stream whose session ended (revoked, expired, idle, account locked):
/// the client stops reconnecting until the person signs in again. In the range RFC 6455
/// leaves to applications (4000–4999).
pub const CLOSE_SESSION_ENDED: u16 = 4401;

/// One event on the live stream, sent as one JSON text message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The stream is open: the first message of every connection. Whatever changed while no
    /// stream was open was not told, so a client reads again what it shows.
    Ready,
    /// A new item in the person's inbox.
    InboxItem {
        /// The notification.
        id: NotificationId,
    },
    /// A registration request the person filed or is a legal representative of changed
    /// (its status, its history).
    RequestChanged {
        /// The request.
        id: RegistrationId,
    },
    /// A co-representative consented to or refused a request the person filed or is named in.
    ConsentChanged {
        /// The request.
        id: RegistrationId,
    },
    /// A delegation of an organisation changed: added, accepted, declined, ended, or its
    /// services. Told to the delegate, and to the people who see all the organisation's
    /// delegations (owners, administrators), whatever their session acts for.
    DelegationChanged {
        /// The organisation.
        organisation: OrgEid,
        /// The delegation.
        id: DelegationId,
    },
}

impl LiveEvent {
    /// The event as its JSON text (never fails: every field is a plain string).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"type\":\"ready\"}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_as_itself_and_stays_small() {
        let events = [
            LiveEvent::Ready,
            LiveEvent::InboxItem {
                id: NotificationId::parse("ntf_0123456789abcdef0123456789abcdef").unwrap(),
            },
            LiveEvent::DelegationChanged {
                organisation: OrgEid::from_serial(1).unwrap(),
                id: DelegationId::parse("dlg_0123456789abcdef0123456789abcdef").unwrap(),
            },
        ];
        for e in events {
            let text = e.to_text();
            assert!(text.len() < 200, "{text}");
            assert_eq!(serde_json::from_str::<LiveEvent>(&text).unwrap(), e);
        }
    }
}
