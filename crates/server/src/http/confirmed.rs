//! The extractor of confirmed (sensitive) routes. [`ConfirmedAction`] authenticates the
//! request, parses its body as a [`Confirmed`] envelope (no `confirmation`: `step_up_required`),
//! and checks that the object the route's path names is the one the body names. The handler
//! then makes its own checks (who may, in what state) and calls [`ConfirmedAction::verify`],
//! which verifies the signature and gives the body back: nothing is changed before that, and a
//! caller who may not act never spends a challenge or a passcode attempt.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use dinhdanh_core::api::{ApiError, Confirmed, ErrorCode};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::auth::{IdlePolicy, MAX_BODY, SessionContext, authenticate};
use crate::http::confirmation::{parse_confirmed, verify_confirmation};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;

/// A body that a confirmed route receives: it names the object the route's path names.
pub trait ConfirmedBody: DeserializeOwned + Serialize + Send {
    /// The object the route's single path parameter must equal, and the body field that names
    /// it (for the error). `None` for routes whose path names no object.
    fn path_object(&self) -> Option<(&str, &'static str)> {
        None
    }
}

/// An authenticated request carrying a confirmed action, not yet verified.
pub struct ConfirmedAction<T> {
    /// The session it was made in.
    pub session: SessionContext,
    confirmed: Confirmed<T>,
}

impl<T: ConfirmedBody> FromRequest<AppState> for ConfirmedAction<T> {
    type Rejection = ServerError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        let session = authenticate(state, &parts, &body, IdlePolicy::MustBeActive).await?;
        let confirmed = parse_confirmed::<T>(&body)?;
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        let mut params = params.iter();
        match (params.next(), confirmed.body.path_object()) {
            (None, _) => {}
            (Some((_, path)), Some((object, _))) if path == object => {}
            (Some(_), Some((_, field))) => return Err(mismatch(field)),
            (Some(_), None) => {
                return Err(ServerError::Internal(
                    "a confirmed route names an object its body does not".into(),
                ));
            }
        }
        Ok(ConfirmedAction { session, confirmed })
    }
}

impl<T: ConfirmedBody> ConfirmedAction<T> {
    /// What the person confirmed, for the checks made before verifying.
    pub fn body(&self) -> &T {
        &self.confirmed.body
    }

    /// How the person confirmed (passcode or biometrics), as the signed action says; it counts
    /// only once [`ConfirmedAction::verify`] has succeeded.
    pub fn method(&self) -> dinhdanh_core::account::ConfirmationMethod {
        self.confirmed.confirmation.method()
    }

    /// Verifies the confirmation for `kind` on `target` (see
    /// [`crate::http::confirmation::verify_confirmation`]) and gives back the body.
    pub async fn verify(
        self,
        state: &AppState,
        kind: ActionKind,
        target: &ActionTarget,
    ) -> ServerResult<(SessionContext, T)> {
        verify_confirmation(state, &self.session, &self.confirmed, kind, target).await?;
        Ok((self.session, self.confirmed.body))
    }
}

/// The path names another object than the body's `field`.
fn mismatch(field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(format!("body.{field}")),
        ])
        .into()
}
