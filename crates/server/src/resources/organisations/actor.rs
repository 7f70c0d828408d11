//! Who acts, and the audit trail of what they did or were refused: every audit entry reads
//! "person X for organisation Y". The server's one `Actor` and one audited refusal.

use dinhdanh_core::api::ErrorCode;
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid};

use crate::http::auth::SessionContext;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::store::audit::{self, AuditRecord};

/// The person doing something, and the organisation they act for: every audit entry reads
/// "person X for organisation Y".
#[derive(Clone, Debug)]
pub struct Actor {
    /// The person's account.
    pub account: AccountId,
    /// The organisation the session acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The device.
    pub device: Option<DeviceId>,
}

impl Actor {
    /// A person acting for themselves (tests, and the CLI on behalf of a person).
    pub fn person(account: &AccountId) -> Self {
        Actor {
            account: account.clone(),
            acting_for: None,
            device: None,
        }
    }

    /// The actor of an authenticated request.
    pub fn from_session(session: &SessionContext) -> Self {
        Actor {
            account: session.account.clone(),
            acting_for: session.acting_for.clone(),
            device: session.device.clone(),
        }
    }
}

/// The audit record of `actor` (None: the CLI or a registry) doing `action` to `object`.
pub fn audit_record<'a>(
    actor: Option<&'a Actor>,
    action: &'a str,
    object: &'a str,
    subject_key: Option<&'a [u8]>,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: actor.map(|a| a.account.as_str()),
        acting_for: actor
            .and_then(|a| a.acting_for.as_ref())
            .map(|o| o.as_str()),
        device: actor.and_then(|a| a.device.as_ref()).map(|d| d.as_str()),
        action,
        object: Some(object),
        subject_key,
        denied,
    }
}

/// Audits a refusal and returns the error to answer with. The refusal changed nothing, so its
/// entry is appended in a transaction of its own.
pub async fn refuse(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    object: &str,
    code: ErrorCode,
) -> ServerError {
    let record = audit_record(actor, action, object, None, true);
    match audit::append(state, record).await {
        Ok(()) => ServerError::code(code),
        Err(e) => e,
    }
}
