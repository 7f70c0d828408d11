//! Signing in to a relying party (a service that uses this server as its OpenID provider): what
//! the phone is shown, and what it confirms. The browser's side (pushed authorization request,
//! authorization, token) is OAuth's own wire format, served by the server's `oidc` resource.

use serde::{Deserialize, Serialize};

use super::{OrganisationChoice, Timestamp};
use crate::ids::OrgEid;
use crate::qr_login::RendezvousId;

/// What the phone shows before approving a sign-in to a service. The service's name and
/// redirect origin come from the server's registry, never from the page the browser shows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSignInView {
    /// The sign-in.
    pub sign_in: RendezvousId,
    /// The service's `client_id`.
    pub client_id: String,
    /// Its registered name in Vietnamese.
    pub client_name_vi: String,
    /// Its registered name in English.
    pub client_name_en: String,
    /// Where the browser is sent back (`https://host[:port]`).
    pub redirect_origin: String,
    /// The claims the service receives besides the pairwise subject (`name`, and `cccd` — the
    /// identification number — when the service is registered for it and asked); `organisation`
    /// is added when an organisation account is chosen. The person may refuse `cccd`: an
    /// approval whose `claims` leave it out releases no number.
    pub claims: Vec<String>,
    /// The browser's address.
    pub ip_address: String,
    /// Approximate place of that address, when a GeoIP table is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approximate_location: Option<String>,
    /// The phone's own address, as the server saw this request (beside the browser's, so the
    /// person can compare them).
    pub phone_ip_address: String,
    /// Approximate place of the phone's address, from the same GeoIP table as the browser's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_approximate_location: Option<String>,
    /// The phone's and the browser's addresses differ greatly: warn before approving.
    pub address_warning: bool,
    /// When the browser asked.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    /// When the sign-in stops accepting an answer.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// The organisations the person may sign in as here (empty when the service accepts
    /// personal accounts only); the personal account is always a choice.
    pub accounts: Vec<OrganisationChoice>,
}

/// The body the phone confirms (action kind `approve_oidc_sign_in`, target
/// `oidc_sign_in:<sign_in>`): the service, where the browser goes back, the claims released and
/// the account chosen, exactly as the server showed them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcApprovalBody {
    /// The sign-in (its id, as in the path).
    pub sign_in: String,
    /// The service's `client_id`.
    pub client_id: String,
    /// Its redirect origin, as shown.
    pub redirect_origin: String,
    /// The claims released: the view's `claims`, plus `organisation` when `account` is set;
    /// without `cccd` when the person refuses the identification number.
    pub claims: Vec<String>,
    /// The organisation to sign in as; `None`: the personal account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<OrgEid>,
}

/// The claim naming the organisation a person signs in as (added to a view's `claims` when an
/// organisation account is chosen).
pub const ORGANISATION_CLAIM: &str = "organisation";

/// The scope and claim of the person's identification number (CCCD): released only to a
/// service registered for it, only when its request asks, and only when the phone's approval
/// names it.
pub const CCCD_CLAIM: &str = "cccd";

impl OidcApprovalBody {
    /// The body that confirms what `view` shows, for the personal account (`None`) or an
    /// organisation: the view's claims, plus [`ORGANISATION_CLAIM`] for an organisation — the
    /// server builds the same body and refuses one that differs.
    pub fn for_view(view: &OidcSignInView, account: Option<OrgEid>) -> Self {
        let mut claims = view.claims.clone();
        if account.is_some() {
            claims.push(ORGANISATION_CLAIM.to_owned());
        }
        OidcApprovalBody {
            sign_in: view.sign_in.to_string(),
            client_id: view.client_id.clone(),
            redirect_origin: view.redirect_origin.clone(),
            claims,
            account,
        }
    }
}

/// The phone approves a sign-in: [`super::Confirmed`]`<`[`OidcApprovalBody`]`>`.
pub type OidcApproval = super::Confirmed<OidcApprovalBody>;

/// The target a phone's answer to a sign-in names: `oidc_sign_in:<sign_in>`.
pub fn oidc_sign_in_target(
    sign_in: &RendezvousId,
) -> Result<crate::signed_action::ActionTarget, crate::error::IdError> {
    crate::signed_action::ActionTarget::new("oidc_sign_in", &sign_in.to_string())
}
