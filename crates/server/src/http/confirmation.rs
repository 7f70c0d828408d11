//! Confirmation of sensitive actions with the passcode or biometrics (step-up).
//!
//! A sensitive route receives a [`dinhdanh_core::api::Confirmed`] body through
//! [`crate::http::confirmed::ConfirmedAction`], which calls [`open_confirmed`] before the
//! route changes anything. The passcode never reaches the server: the device derives a
//! confirmation key from it, and the server holds only the public half registered at binding.
//! A wrong passcode derives another key, so its signature names or verifies against the wrong
//! key — that is what the server counts as a wrong confirmation. Any other mismatch (body,
//! target, challenge, counter) is refused without counting: it says nothing about the
//! passcode.
//!
//! After 5 wrong confirmations in a row the device's confirmation locks for a period that
//! doubles with each further wrong one; after 10 the device must be bound again. The counters
//! live in `devices`, so they survive restarts and are shared by every server instance. Each
//! attempt is reserved on them atomically before it is evaluated, so a burst of concurrent
//! confirmations gets no more tries than one after the other.

use dinhdanh_core::api::{ApiError, ChallengePurpose, ErrorCode, SessionKind};
use dinhdanh_core::crypto::{Digest32, KeyId, PublicKey};
use dinhdanh_core::signed_action::{
    self, ActionError, ActionKind, ActionTarget, Expectation, SignedActionEnvelope,
};

use crate::http::auth::SessionContext;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::audit::AuditRecord;
use crate::store::confirmation_keys::{self, ConfirmationKeyRow, ConfirmingDevice};
use crate::store::tx::Tx;
use crate::store::values::{public_key_from_db, word};

/// The error a sensitive route answers when its body carries no confirmation.
pub fn step_up_required() -> ServerError {
    ServerError::code(ErrorCode::StepUpRequired)
}

/// How long confirmation stays locked after the `n`-th wrong confirmation in a row (`n` at
/// least the lock threshold): the base period, doubled for each one beyond the threshold.
pub fn lock_period_secs(base_secs: i64, lock_after: i64, n: i64) -> i64 {
    let doublings = u32::try_from((n - lock_after).clamp(0, 20)).unwrap_or(20);
    base_secs.saturating_mul(1i64 << doublings)
}

/// Verifies the confirmation of a sensitive action made in `session`: the envelope must be
/// signed by the session device's active confirmation key for the envelope's method, answer a
/// fresh challenge issued to this account for `kind`, and cover exactly the body
/// (`confirmation.body_hash`), `target`, the session's account and organisation and this
/// server's origin. On success the challenge is used up, the key's counter stored and the
/// wrong-confirmation count reset, in the transaction it answers, still open for the action to
/// continue ([`crate::http::confirmed::ConfirmedAction::verify_then`]): a confirmed action
/// commits once. Every outcome is audited.
///
/// A refusal commits here, with its entry: a wrong passcode stays counted, and the challenge
/// is used up unless no attempt could be reserved (locked, not bound, no key for the method).
/// An internal failure commits nothing (no entry claims an outcome, and the challenge stays
/// usable).
pub async fn open_confirmed(
    state: &AppState,
    session: &SessionContext,
    confirmation: &ConfirmationOf<'_>,
    kind: ActionKind,
    target: &ActionTarget,
) -> ServerResult<Tx> {
    let mut tx = Tx::begin(state, "confirmation.verify").await?;
    let result = check(&mut tx, state, session, confirmation, kind, target).await;
    let outcome = match &result {
        Ok(()) => "accepted",
        Err(Refusal::WrongConfirmation(_)) => "wrong_confirmation",
        Err(Refusal::Other(e)) if e.is(ErrorCode::ConfirmationLocked) => "locked",
        Err(Refusal::Other(e)) if e.is(ErrorCode::DeviceRebindRequired) => "rebind_required",
        Err(Refusal::Other(ServerError::Api(_))) => "refused",
        // An internal failure is logged by the error itself; no entry claims an outcome.
        Err(Refusal::Other(_)) => "",
    };
    if !outcome.is_empty() {
        let action = format!("confirmation.{}.{outcome}", word(&kind)?);
        tx.audit(AuditRecord {
            actor: Some(session.account.as_str()),
            acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
            device: session.device.as_ref().map(|d| d.as_str()),
            action: &action,
            object: Some(target.as_str()),
            subject_key: None,
            denied: result.is_err(),
        });
    }
    match result {
        Ok(()) => Ok(tx),
        Err(refusal) => {
            if !outcome.is_empty() {
                tx.commit().await?;
            }
            Err(refusal.into_error())
        }
    }
}

/// A confirmation as the checks read it: the signed action, and the canonical hash of the body
/// it must cover (`None` when the body has no canonical form).
pub struct ConfirmationOf<'a> {
    /// The signed action.
    pub envelope: &'a SignedActionEnvelope,
    /// [`dinhdanh_core::api::Confirmed::body_hash`] of the body received.
    pub body_hash: Option<Digest32>,
}

/// Why a confirmation failed: a wrong passcode (counted) or anything else.
enum Refusal {
    WrongConfirmation(ServerError),
    Other(ServerError),
}

impl Refusal {
    fn into_error(self) -> ServerError {
        match self {
            Refusal::WrongConfirmation(e) | Refusal::Other(e) => e,
        }
    }
}

impl From<ServerError> for Refusal {
    fn from(e: ServerError) -> Self {
        Refusal::Other(e)
    }
}

/// The confirming device and the key it registered for the envelope's method.
struct Loaded {
    device: ConfirmingDevice,
    device_key_id: KeyId,
    key: ConfirmationKeyRow,
    public_key: PublicKey,
}

/// The checks, as steps of `tx`: a phone session, then an attempt reserved on its device,
/// then the challenge used up and the signature checked.
///
/// The attempt is reserved first, atomically ([`confirmation_keys::reserve_attempt`]), and
/// only for a device that is bound, not locked, not to be bound again and holding a key for
/// the method: the statement that checks those reserves the attempt and reads the device and
/// key, and when it reserves nothing, [`no_attempt_left`] reads why. The reservation is
/// counted as a wrong confirmation until the signature shows otherwise: a right one clears the
/// count, a refusal that says nothing about the passcode gives the attempt back, and an
/// internal failure rolls the whole check back.
async fn check(
    tx: &mut Tx,
    state: &AppState,
    session: &SessionContext,
    confirmed: &ConfirmationOf<'_>,
    kind: ActionKind,
    target: &ActionTarget,
) -> Result<(), Refusal> {
    let limits = &state.config.limits;
    // Only the phone holds confirmation keys. A desktop signed in by QR code cannot confirm
    // (and never device management); it asks the phone instead.
    let Some(device_id) = session.device.as_ref() else {
        return Err(ServerError::code(ErrorCode::Forbidden).into());
    };
    if session.kind != SessionKind::Device {
        return Err(ServerError::code(ErrorCode::Forbidden).into());
    }
    // The key comes from what the device registered for this method, never from the key id
    // the request names.
    let method = word(&confirmed.envelope.method())?;
    let now = tx.now();
    let backend = tx.backend();
    let Some(reserved) = confirmation_keys::reserve_attempt(
        tx.conn()?,
        backend,
        device_id.as_str(),
        session.account.as_str(),
        &method,
        now,
        limits.confirmation_rebind_after,
    )
    .await?
    else {
        // Nothing changed: the challenge stays unused.
        return Err(no_attempt_left(tx, state, session, &method).await?.into());
    };
    let n = reserved.device.wrong_confirmations;
    let loaded = Loaded {
        device_key_id: public_key_from_db(&reserved.device.device_key)?.key_id(),
        public_key: public_key_from_db(&reserved.key.public_key)?,
        device: reserved.device,
        key: reserved.key,
    };
    let device = loaded.device.id.clone();
    match evaluate(tx, state, session, confirmed, kind, target, &loaded).await {
        // The count was cleared with the key's counter (`confirmation_keys::accept`).
        Ok(()) => Ok(()),
        Err(Evaluation::WrongKey) => Err(Refusal::WrongConfirmation(
            wrong_answer(tx, state, &device, n).await?,
        )),
        Err(Evaluation::Refused(e)) => {
            confirmation_keys::release_attempt(tx.conn()?, &device).await?;
            Err(e.into())
        }
    }
}

/// Why a reserved attempt did not verify.
enum Evaluation {
    /// The signature was not made by the registered key: a wrong passcode.
    WrongKey,
    /// Anything else: it says nothing about the passcode.
    Refused(ServerError),
}

impl From<ServerError> for Evaluation {
    fn from(e: ServerError) -> Self {
        Evaluation::Refused(e)
    }
}

/// Uses the challenge up and verifies the signed action against what the server expects; on
/// success stores the key's counter and clears the wrong-confirmation count.
async fn evaluate(
    tx: &mut Tx,
    state: &AppState,
    session: &SessionContext,
    confirmed: &ConfirmationOf<'_>,
    kind: ActionKind,
    target: &ActionTarget,
    loaded: &Loaded,
) -> Result<(), Evaluation> {
    let limits = &state.config.limits;
    let now = tx.now();
    let envelope = confirmed.envelope;
    // One challenge, one action: it is gone from here on, whatever follows.
    crate::store::challenges::consume_in(
        tx.conn()?,
        now,
        &envelope.action.challenge,
        ChallengePurpose::Action { kind },
        Some(&session.account),
    )
    .await?;

    let body_hash = confirmed
        .body_hash
        .ok_or_else(|| ServerError::code(ErrorCode::MalformedRequest))?;
    let expected = Expectation {
        kind,
        origin: state.config.origin.clone(),
        challenge: envelope.action.challenge.clone(),
        account: session.account.clone(),
        acting_for: session.acting_for.clone(),
        target: target.clone(),
        body_hash,
        device_key_id: loaded.device_key_id,
        method: envelope.method(),
        previous_counter: loaded.key.last_counter.and_then(|c| u64::try_from(c).ok()),
        now,
        max_age_secs: u32::try_from(limits.challenge_ttl_secs.clamp(1, 300)).unwrap_or(300),
        max_future_secs: limits.clock_skew_secs,
    };
    match signed_action::verify(envelope, &loaded.public_key, &expected) {
        Ok(()) => {}
        // The passcode-derived key differs from the registered one: the passcode was wrong
        // (or the biometric key is not the enrolled one).
        Err(ActionError::WrongConfirmationKey | ActionError::Crypto(_)) => {
            return Err(Evaluation::WrongKey);
        }
        Err(e) => {
            tracing::info!(code = %e.code(), "signed action refused");
            return Err(ServerError::code(refusal_code(&e)).into());
        }
    }

    let counter = i64::try_from(envelope.action.counter)
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let backend = tx.backend();
    let device = loaded.device.id.as_str();
    if !confirmation_keys::accept(tx.conn()?, backend, &loaded.key.key_id, counter, device).await? {
        return Err(ServerError::code(ErrorCode::ChallengeInvalid).into());
    }
    Ok(())
}

/// The answer when no attempt could be reserved, as the device stands now: not bound (or not
/// this account's), to be bound again, locked (with the wait), or without a key for `method`.
async fn no_attempt_left(
    tx: &mut Tx,
    state: &AppState,
    session: &SessionContext,
    method: &str,
) -> ServerResult<ServerError> {
    let limits = &state.config.limits;
    let now = tx.now();
    let found = match session.device.as_ref() {
        Some(d) => {
            confirmation_keys::confirming_device_and_key(
                tx.conn()?,
                d.as_str(),
                session.account.as_str(),
                method,
            )
            .await?
        }
        None => None,
    };
    let Some((device, key)) = found.map(|row| row.split()) else {
        return Ok(ServerError::code(ErrorCode::DeviceNotBound));
    };
    if device.wrong_confirmations >= limits.confirmation_rebind_after {
        return Ok(ServerError::code(ErrorCode::DeviceRebindRequired));
    }
    if let Some(until) = device.confirmation_locked_until.filter(|u| *u > now) {
        return Ok(locked(until - now));
    }
    if key.is_none() {
        return Ok(ServerError::code(ErrorCode::Forbidden));
    }
    // The lock ended, or another attempt cleared the count, between the two reads: said as a
    // lock of a second, after which the person tries again.
    Ok(locked(1))
}

/// What the person is told after the `n`-th wrong confirmation in a row (already counted by
/// the reservation): `wrong_confirmation`, then from the 5th `confirmation_locked` (with the
/// wait, which this sets), at the 10th `device_rebind_required`.
async fn wrong_answer(
    tx: &mut Tx,
    state: &AppState,
    device: &str,
    n: i64,
) -> ServerResult<ServerError> {
    let limits = &state.config.limits;
    if n >= limits.confirmation_rebind_after {
        return Ok(ServerError::code(ErrorCode::DeviceRebindRequired));
    }
    if n >= limits.confirmation_lock_after {
        let period = lock_period_secs(
            limits.confirmation_lock_base_secs,
            limits.confirmation_lock_after,
            n,
        );
        let until = tx.now().saturating_add(period);
        confirmation_keys::lock_until(tx.conn()?, device, until).await?;
        return Ok(locked(period));
    }
    let left = u32::try_from(limits.confirmation_lock_after - n).unwrap_or(1);
    Ok(ServerError::from(ApiError::wrong_confirmation(left)))
}

fn locked(secs: i64) -> ServerError {
    ServerError::from(
        ApiError::new(ErrorCode::ConfirmationLocked)
            .with_retry_after(u64::try_from(secs).unwrap_or(1).max(1)),
    )
}

/// The answer to a signed action that verified with the right key but does not match what
/// the server expects. None of these is counted against the passcode.
fn refusal_code(e: &ActionError) -> ErrorCode {
    match e {
        ActionError::Expired => ErrorCode::ChallengeExpired,
        ActionError::WrongChallenge
        | ActionError::CounterNotIncreasing
        | ActionError::FromTheFuture => ErrorCode::ChallengeInvalid,
        ActionError::BodyNotCanonical { .. } => ErrorCode::MalformedRequest,
        ActionError::WrongKind
        | ActionError::WrongOrigin
        | ActionError::WrongAccount
        | ActionError::WrongOrganisation
        | ActionError::WrongTarget
        | ActionError::WrongBody
        | ActionError::WrongDeviceKey
        | ActionError::WrongMethod
        | ActionError::WrongConfirmationKey
        | ActionError::Crypto(_) => ErrorCode::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_doubles_from_the_fifth_wrong_confirmation() {
        assert_eq!(lock_period_secs(60, 5, 5), 60);
        assert_eq!(lock_period_secs(60, 5, 6), 120);
        assert_eq!(lock_period_secs(60, 5, 9), 960);
    }

    #[test]
    fn mismatches_other_than_the_key_are_not_wrong_passcodes() {
        assert_eq!(refusal_code(&ActionError::WrongBody), ErrorCode::Forbidden);
        assert_eq!(
            refusal_code(&ActionError::Expired),
            ErrorCode::ChallengeExpired
        );
        assert_eq!(
            refusal_code(&ActionError::CounterNotIncreasing),
            ErrorCode::ChallengeInvalid
        );
    }
}
