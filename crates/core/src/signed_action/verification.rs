//! Server-side verification of a signed action against what the server expects.

use crate::account::ConfirmationMethod;
use crate::crypto::{Digest32, KeyId, PublicKey};
use crate::ids::{AccountId, OrgEid};
use crate::signed_action::action::{SignedActionEnvelope, check_signature};
use crate::signed_action::challenge::Challenge;
use crate::signed_action::error::ActionError;
use crate::signed_action::kind::ActionKind;
use crate::signed_action::origin::Origin;
use crate::signed_action::target::ActionTarget;

/// What the server expects of a signed action: everything it knows independently of the
/// envelope. Built from the stored challenge, the route, the received body and the account's
/// registered keys.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The action the route performs.
    pub kind: ActionKind,
    /// This server's own origin (configuration, never the request's Host header).
    pub origin: Origin,
    /// The challenge the server issued and stored.
    pub challenge: Challenge,
    /// The account of the session.
    pub account: AccountId,
    /// The organisation the session acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The object the route acts on.
    pub target: ActionTarget,
    /// [`canonical_body_hash`](crate::signed_action::canonical_body_hash) of the body the
    /// server received.
    pub body_hash: Digest32,
    /// Key id of the device the confirmation key belongs to.
    pub device_key_id: KeyId,
    /// The method the confirmation key is registered for.
    pub method: ConfirmationMethod,
    /// The last counter accepted for this confirmation key, if any: the action's must be
    /// greater.
    pub previous_counter: Option<u64>,
    /// The server's current time, Unix seconds.
    pub now: i64,
    /// How old (in seconds) a confirmation may be.
    pub max_age_secs: u32,
    /// How far (in seconds) the device's clock may run ahead of the server's.
    pub max_future_secs: u32,
}

/// Verifies a signed action on the server.
///
/// Checks, in order: the key is the action's confirmation key; the signature verifies (so
/// nothing below is read from unauthenticated input); kind, origin, challenge, account,
/// organisation, target, body hash, device key and method equal the [`Expectation`]; the
/// counter increased; the time is neither older than `max_age_secs` nor more than
/// `max_future_secs` ahead.
///
/// Not checked here, and the server's job: that the challenge is deleted on use (one
/// challenge, one action), that the new counter is stored, and that the confirmation key is
/// one the account has registered and not revoked.
pub fn verify(
    envelope: &SignedActionEnvelope,
    confirmation_key: &PublicKey,
    expected: &Expectation,
) -> Result<(), ActionError> {
    let a = &envelope.action;
    check_signature(a, &envelope.signature, confirmation_key)?;
    let checks = [
        (a.kind == expected.kind, ActionError::WrongKind),
        (a.origin == expected.origin, ActionError::WrongOrigin),
        (
            a.challenge == expected.challenge,
            ActionError::WrongChallenge,
        ),
        (a.account == expected.account, ActionError::WrongAccount),
        (
            a.acting_for == expected.acting_for,
            ActionError::WrongOrganisation,
        ),
        (a.target == expected.target, ActionError::WrongTarget),
        (a.body_hash == expected.body_hash, ActionError::WrongBody),
        (
            a.device_key_id == expected.device_key_id,
            ActionError::WrongDeviceKey,
        ),
        (a.method == expected.method, ActionError::WrongMethod),
    ];
    for (ok, error) in checks {
        if !ok {
            return Err(error);
        }
    }
    if expected
        .previous_counter
        .is_some_and(|previous| a.counter <= previous)
    {
        return Err(ActionError::CounterNotIncreasing);
    }
    if expected.now.saturating_sub(a.time) > i64::from(expected.max_age_secs) {
        return Err(ActionError::Expired);
    }
    if a.time.saturating_sub(expected.now) > i64::from(expected.max_future_secs) {
        return Err(ActionError::FromTheFuture);
    }
    Ok(())
}
