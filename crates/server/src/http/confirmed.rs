//! The extractor of confirmed (sensitive) routes. [`ConfirmedAction`] authenticates the
//! request, parses its body as a [`Confirmed`] envelope, and checks that the object the route's
//! path names is the one the body names. The handler then makes its own checks (who may, in
//! what state) and calls [`ConfirmedAction::verify_then`], which verifies the signature and
//! carries the action out in the confirmation's transaction: nothing is changed before that,
//! and a caller who may not act never spends a challenge or a passcode attempt.
//!
//! A body without `confirmation` is not refused at once: the handler's checks run first, so a
//! caller who may not act is told so (and the refusal audited) instead of being asked for a
//! passcode; `verify_then` then answers `step_up_required`. A body without `confirmation` that
//! does not even parse answers `step_up_required` when the handler first reads it.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use dinhdanh_core::api::{ApiError, Confirmed, ErrorCode};
use dinhdanh_core::signed_action::{
    ActionKind, ActionTarget, SignedActionEnvelope, canonical_body_hash,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::auth::{IdlePolicy, MAX_BODY, SessionContext, authenticate, parse_json};
use crate::http::confirmation::{ConfirmationOf, open_confirmed, step_up_required};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::tx::{Refusals, Tx};

/// A body that a confirmed route receives, and how it relates to the route's path.
pub trait ConfirmedBody: DeserializeOwned + Serialize + Send {
    /// True when the body does not name the object of the route's path parameter and the handler
    /// puts that object into the confirmation's target instead (the signature covers it).
    const PATH_IN_TARGET: bool = false;

    /// The object the route's first path parameter must equal, and the body field that names
    /// it (for the error). `None` for routes whose path names no object, or names it only in
    /// the target ([`Self::PATH_IN_TARGET`]).
    fn path_object(&self) -> Option<(&str, &'static str)> {
        None
    }
}

/// An authenticated request carrying a confirmed action, not yet verified.
pub struct ConfirmedAction<T> {
    /// The session it was made in.
    pub session: SessionContext,
    /// What the person confirmed; `None` only when the body carries no confirmation and does
    /// not parse either.
    body: Option<T>,
    confirmation: Option<SignedActionEnvelope>,
}

impl<T: ConfirmedBody> FromRequest<AppState> for ConfirmedAction<T> {
    type Rejection = ServerError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, raw) = req.into_parts();
        let raw = axum::body::to_bytes(raw, MAX_BODY)
            .await
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        let session = authenticate(state, &parts, &raw, IdlePolicy::MustBeActive).await?;
        let (body, confirmation) = parse::<T>(&raw)?;
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        if let (Some((_, path)), Some(body)) = (params.iter().next(), &body) {
            match body.path_object() {
                Some((object, _)) if path == object => {}
                Some((_, field)) => return Err(mismatch(field)),
                None if T::PATH_IN_TARGET => {}
                None => {
                    return Err(ServerError::Internal(
                        "a confirmed route names an object its body does not".into(),
                    ));
                }
            }
        }
        Ok(ConfirmedAction {
            session,
            body,
            confirmation,
        })
    }
}

/// Splits a confirmed route's body into what was confirmed and the confirmation. With a
/// confirmation, anything that does not parse is `malformed_request`; without one, a body that
/// does not parse (or an empty body) is kept as `None` (the route answers `step_up_required`
/// when it reads it).
fn parse<T: DeserializeOwned>(
    raw: &[u8],
) -> ServerResult<(Option<T>, Option<SignedActionEnvelope>)> {
    if raw.is_empty() {
        return Ok((None, None));
    }
    let value: serde_json::Value = parse_json(raw)?;
    if value.get("confirmation").is_some_and(|c| !c.is_null()) {
        let confirmed: Confirmed<T> = serde_json::from_value(value)
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        return Ok((Some(confirmed.body), Some(confirmed.confirmation)));
    }
    let body = value.get("body").and_then(|body| T::deserialize(body).ok());
    Ok((body, None))
}

impl<T: ConfirmedBody> ConfirmedAction<T> {
    /// What the person confirmed, for the checks made before verifying; `step_up_required`
    /// when the body carries no confirmation and cannot be read without one.
    pub fn body(&self) -> ServerResult<&T> {
        self.body.as_ref().ok_or_else(step_up_required)
    }

    /// How the person confirmed (passcode or biometrics), as the signed action says; it counts
    /// only once [`ConfirmedAction::verify_then`] has verified it. `step_up_required` without a
    /// confirmation.
    pub fn method(&self) -> ServerResult<dinhdanh_core::account::ConfirmationMethod> {
        self.confirmation
            .as_ref()
            .map(SignedActionEnvelope::method)
            .ok_or_else(step_up_required)
    }

    /// Verifies the confirmation for `kind` on `target` and carries out `act` in the same
    /// transaction, as the step named `action`: the confirmation and the change it confirmed
    /// commit together, once (issue 18: one `BEGIN`/`COMMIT` and one audit append, not two).
    /// `step_up_required` when the body carries no confirmation.
    ///
    /// When `act` fails (or the audit entries and events it queued cannot be written), the
    /// transaction is rolled back and the confirmation made again on its own, so it ends as it
    /// would have alone: the challenge used up and the outcome audited, with the refusals
    /// `act` queued ([`Tx::audit_refusal`]). That costs the failure a second
    /// verification and saves every success a savepoint. `act` must do all its reading and
    /// writing through the transaction it is given: on SQLite another writer would wait for
    /// this one, and a pool of one connection has none to spare.
    pub async fn verify_then<R>(
        self,
        state: &AppState,
        kind: ActionKind,
        target: &ActionTarget,
        action: &'static str,
        act: impl AsyncFnOnce(&mut Tx, &SessionContext, T) -> ServerResult<R>,
    ) -> ServerResult<(SessionContext, R)> {
        let (Some(body), Some(envelope)) = (self.body, self.confirmation) else {
            return Err(step_up_required());
        };
        let of = ConfirmationOf {
            envelope: &envelope,
            body_hash: canonical_body_hash(&body).ok(),
        };
        let session = self.session;
        let mut tx = open_confirmed(state, &session, &of, kind, target).await?;
        tx.continue_as(action);
        let outcome = match act(&mut tx, &session, body).await {
            // What the commit writes belongs to the action too: a failure there is the
            // action's, before anything is sent to be committed.
            Ok(done) => tx.write_queued().await.map(|()| done),
            Err(refused) => Err(refused),
        };
        match outcome {
            Ok(done) => {
                tx.commit().await?;
                Ok((session, done))
            }
            Err(refused) => {
                let refusals = tx.roll_back().await?;
                confirm_alone(state, &session, &of, kind, target, refusals).await?;
                Err(refused)
            }
        }
    }
}

/// After a confirmed action failed and was rolled back: the confirmation made again in a
/// transaction of its own, with the action's refusals. Should it now be refused (another
/// request used the challenge in between), its refusal is committed by
/// [`open_confirmed`] and the action's refusals are written on their own.
async fn confirm_alone(
    state: &AppState,
    session: &SessionContext,
    of: &ConfirmationOf<'_>,
    kind: ActionKind,
    target: &ActionTarget,
    refusals: Refusals,
) -> ServerResult<()> {
    let mut tx = match open_confirmed(state, session, of, kind, target).await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::info!(error = %e, "a confirmation made again was refused");
            Tx::begin(state, "confirmation.refusals").await?
        }
    };
    tx.audit_refused(refusals);
    tx.commit().await
}

/// The path names another object than the body's `field`.
fn mismatch(field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(format!("body.{field}")),
        ])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = ServerResult<(Option<serde_json::Value>, Option<SignedActionEnvelope>)>;

    fn refused_with(parsed: Parsed, code: ErrorCode) -> bool {
        parsed.err().is_some_and(|e| e.is(code))
    }

    #[test]
    fn a_body_without_confirmation_is_kept_for_the_checks_and_not_verified() {
        let (body, confirmation) = parse::<serde_json::Value>(br#"{"body":{"session":"s"}}"#)
            .ok()
            .unwrap_or_default();
        assert_eq!(body, Some(serde_json::json!({"session": "s"})));
        assert!(confirmation.is_none());
        // Nothing to read without a confirmation: `body()` answers `step_up_required`.
        let (body, _) = parse::<serde_json::Value>(b"{\"session\":\"x\"}")
            .ok()
            .unwrap_or_default();
        assert!(body.is_none());
        let (body, _) = parse::<serde_json::Value>(b"").ok().unwrap_or_default();
        assert!(body.is_none());
    }

    #[test]
    fn a_confirmed_body_that_does_not_parse_is_malformed() {
        assert!(refused_with(
            parse(br#"{"body":1,"confirmation":{"x":1}}"#),
            ErrorCode::MalformedRequest
        ));
        assert!(refused_with(
            parse(b"not json"),
            ErrorCode::MalformedRequest
        ));
    }
}
