//! An organisation's record and its delegates, and the person's inbox.

use dinhdanh_core::api::{
    AddDelegate, DelegationAnswer, DelegationView, Notification, OrganisationRecord,
    RevokeDelegate, paths,
};
use dinhdanh_core::ids::{DelegationId, OrgEid};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use reqwest::Method;

use super::{Auth, Client};
use crate::error::ClientError;
use crate::passcode::Confirmer;

impl Client {
    /// The person's inbox, newest first.
    pub async fn notifications(&self) -> Result<Vec<Notification>, ClientError> {
        self.call::<(), _>(Method::GET, paths::NOTIFICATIONS, None, Auth::Session)
            .await
    }

    /// An organisation's record: details, code, status, history.
    pub async fn organisation(&self, eid: &OrgEid) -> Result<OrganisationRecord, ClientError> {
        self.call::<(), _>(
            Method::GET,
            &paths::fill(paths::ORGANISATION, "eid", eid.as_str()),
            None,
            Auth::Session,
        )
        .await
    }

    /// An organisation's delegations: all of them for owners and administrators, one's own
    /// otherwise (revoked and declined ones included, for the record).
    pub async fn delegations(&self, eid: &OrgEid) -> Result<Vec<DelegationView>, ClientError> {
        self.call::<(), _>(
            Method::GET,
            &paths::fill(paths::DELEGATIONS, "eid", eid.as_str()),
            None,
            Auth::Session,
        )
        .await
    }

    /// Adds a delegate, confirmed (`add_delegate`, target `organisation:<eid>`).
    pub async fn add_delegate(
        &self,
        delegate: AddDelegate,
        confirmer: &dyn Confirmer,
    ) -> Result<DelegationView, ClientError> {
        let eid = delegate.organisation.clone();
        self.confirmed(
            Method::POST,
            &paths::fill(paths::DELEGATIONS, "eid", eid.as_str()),
            ActionKind::AddDelegate,
            ActionTarget::new("organisation", eid.as_str())?,
            delegate,
            confirmer,
        )
        .await
    }

    /// Revokes a delegation, confirmed (`revoke_delegate`, target `delegation:<id>`).
    pub async fn revoke_delegate(
        &self,
        revoke: RevokeDelegate,
        confirmer: &dyn Confirmer,
    ) -> Result<(), ClientError> {
        let path = delegation_path(paths::DELEGATION, &revoke.organisation, &revoke.delegation);
        let target = ActionTarget::new("delegation", revoke.delegation.as_str())?;
        self.confirmed(
            Method::DELETE,
            &path,
            ActionKind::RevokeDelegate,
            target,
            revoke,
            confirmer,
        )
        .await
    }

    /// The delegate accepts or declines an authorisation, confirmed (`accept_delegation` or
    /// `decline_delegation`, target `delegation:<id>`).
    pub async fn answer_delegation(
        &self,
        answer: DelegationAnswer,
        confirmer: &dyn Confirmer,
    ) -> Result<DelegationView, ClientError> {
        let path = delegation_path(
            paths::DELEGATION_ANSWER,
            &answer.organisation,
            &answer.delegation,
        );
        let kind = if answer.accept {
            ActionKind::AcceptDelegation
        } else {
            ActionKind::DeclineDelegation
        };
        let target = ActionTarget::new("delegation", answer.delegation.as_str())?;
        self.confirmed(Method::POST, &path, kind, target, answer, confirmer)
            .await
    }
}

fn delegation_path(route: &str, eid: &OrgEid, id: &DelegationId) -> String {
    paths::fill(&paths::fill(route, "eid", eid.as_str()), "id", id.as_str())
}
