//! The phone's side of a sign-in to a service (a relying party of the server's OpenID
//! provider, issue 15): the service's page shows a code naming a sign-in; the phone reads what
//! it is ([`Client::read_service_sign_in`]: the service's registered name and redirect origin
//! from the server's registry, never from the page), then approves it with a confirmed signed
//! action ([`Client::approve_service_sign_in`]) or declines it in one tap
//! ([`Client::decline_service_sign_in`]). The browser that started the sign-in is told when it
//! continues. The same shape as the phone's answer to a QR login (`qr_login.rs`).

use dinhdanh_core::api::{OidcApprovalBody, OidcSignInView, oidc_sign_in_target, paths};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_core::signed_action::ActionKind;
use reqwest::Method;

use super::{Auth, Client, wrong_server};
use crate::error::ClientError;
use crate::passcode::Confirmer;

fn sign_in_path(template: &str, sign_in: &RendezvousId) -> String {
    paths::fill(template, "sign_in", &sign_in.to_string())
}

impl Client {
    /// Phone: what the sign-in `sign_in` is — the service (name and redirect origin from the
    /// server's registry), the claims it receives, the browser's address and place, and the
    /// accounts the person may sign in as. A level-1 account is refused here already.
    pub async fn read_service_sign_in(
        &self,
        sign_in: &RendezvousId,
    ) -> Result<OidcSignInView, ClientError> {
        let view: OidcSignInView = self
            .call::<(), _>(
                Method::GET,
                &sign_in_path(paths::OIDC_SIGN_IN, sign_in),
                None,
                Auth::Session,
            )
            .await?;
        // The answer must be about the sign-in asked for: approving builds its body from it.
        if &view.sign_in != sign_in {
            return Err(wrong_server());
        }
        Ok(view)
    }

    /// Phone: approves the sign-in `view` shows, for the personal account (`None`) or an
    /// organisation, confirmed with `confirmer` (passcode or biometric). What is signed is
    /// exactly what was shown: the sign-in, the service, its redirect origin, the claims
    /// released and the account (action `approve_oidc_sign_in`, target
    /// `oidc_sign_in:<sign_in>`); the server refuses a body that differs from what it shows.
    pub async fn approve_service_sign_in(
        &self,
        view: &OidcSignInView,
        account: Option<OrgEid>,
        confirmer: &dyn Confirmer,
    ) -> Result<(), ClientError> {
        self.confirmed(
            Method::POST,
            &sign_in_path(paths::OIDC_SIGN_IN_APPROVAL, &view.sign_in),
            ActionKind::ApproveOidcSignIn,
            oidc_sign_in_target(&view.sign_in)?,
            OidcApprovalBody::for_view(view, account),
            confirmer,
        )
        .await
    }

    /// Phone: declines the sign-in in one tap (no passcode: a decline cannot hurt the person;
    /// the request is signed by the session's key). The browser is sent back to the service
    /// with `access_denied`.
    pub async fn decline_service_sign_in(&self, sign_in: &RendezvousId) -> Result<(), ClientError> {
        self.call::<(), _>(
            Method::POST,
            &sign_in_path(paths::OIDC_SIGN_IN_DECLINE, sign_in),
            None,
            Auth::Session,
        )
        .await
    }
}
