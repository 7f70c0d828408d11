//! Services (relying parties of the server's OpenID provider): the services an organisation's
//! delegation may allow and setting them, and the person's consents to services, listed and
//! withdrawn.

use dinhdanh_core::api::{
    ConsentWithdrawn, DelegationView, ServiceConsentView, ServiceView, SetDelegationServices, paths,
};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use reqwest::Method;

use super::{Auth, Client};
use crate::error::ClientError;
use crate::passcode::Confirmer;

impl Client {
    /// The registered services that accept organisation accounts: what a delegation may allow.
    pub async fn services(&self) -> Result<Vec<ServiceView>, ClientError> {
        self.call::<(), _>(Method::GET, paths::SERVICES, None, Auth::Session)
            .await
    }

    /// Sets the services a delegation allows (replacing its list), confirmed
    /// (`set_delegation_services`, target `delegation:<id>`). An empty list allows none.
    pub async fn set_delegation_services(
        &self,
        request: SetDelegationServices,
        confirmer: &dyn Confirmer,
    ) -> Result<DelegationView, ClientError> {
        let path = paths::fill(
            &paths::fill(
                paths::DELEGATION_SERVICES,
                "eid",
                request.organisation.as_str(),
            ),
            "id",
            request.delegation.as_str(),
        );
        let target = ActionTarget::new("delegation", request.delegation.as_str())?;
        self.confirmed(
            Method::PUT,
            &path,
            ActionKind::SetDelegationServices,
            target,
            request,
            confirmer,
        )
        .await
    }

    /// The person's consents to services, most recently used first.
    pub async fn service_consents(&self) -> Result<Vec<ServiceConsentView>, ClientError> {
        self.call::<(), _>(Method::GET, paths::SERVICE_CONSENTS, None, Auth::Session)
            .await
    }

    /// Withdraws the person's consents to a service (one tap, not confirmed: it only reduces
    /// what is shared); their live access tokens for it are revoked at once.
    pub async fn withdraw_service_consent(
        &self,
        client_id: &str,
    ) -> Result<ConsentWithdrawn, ClientError> {
        let path = paths::fill(
            paths::SERVICE_CONSENT,
            "client_id",
            &encode_segment(client_id),
        );
        self.call::<(), _>(Method::DELETE, &path, None, Auth::Session)
            .await
    }
}

/// `client_id` as one percent-encoded path segment (by the `url` crate, through reqwest), so
/// a client id cannot change the route.
fn encode_segment(client_id: &str) -> String {
    let Ok(mut url) = reqwest::Url::parse("http://localhost/") else {
        return String::new();
    };
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.clear().push(client_id);
    }
    url.path().trim_start_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_id_cannot_leave_its_path_segment() {
        assert_eq!(super::encode_segment("rp_abc-1"), "rp_abc-1");
        assert_eq!(super::encode_segment("../x?y"), "..%2Fx%3Fy");
    }
}
