//! What a relying party learns about the person: the pairwise subject, the claims its scope
//! and registration allow, the organisation claim when the person acts for one, and the ID
//! token that carries them.

use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::ids::{AccountId, OrgEid};
use serde_json::{Value, json};

use super::error::{OAuthError, OAuthResult};
use super::{ACR_LEVEL_2, TOKEN_SECS, issuer};
use crate::authz;
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::clients::{Claim, Client};
use crate::resources::organisations;
use crate::store::values::word;

/// The name of the organisation claim (the core's, which the phone uses too).
pub const ORGANISATION: &str = dinhdanh_core::api::ORGANISATION_CLAIM;

/// The name of the identification number (CCCD) scope and claim: the person's 12-digit
/// number, released only to a client registered for it, only when its scope asks, and only
/// when the phone's approval names it.
pub const CCCD: &str = dinhdanh_core::api::CCCD_CLAIM;

/// A checked `scope`: `openid` and any of `profile`, `organisation`, `cccd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// `profile` was asked for.
    pub profile: bool,
    /// `organisation` was asked for.
    pub organisation: bool,
    /// `cccd` (the identification number) was asked for.
    pub cccd: bool,
}

impl Scope {
    /// Parses a space-separated scope; without `openid`, or with a scope this provider does not
    /// know, it is `invalid_scope`.
    pub fn parse(text: &str) -> OAuthResult<Scope> {
        let mut scope = Scope {
            profile: false,
            organisation: false,
            cccd: false,
        };
        let mut openid = false;
        for item in text.split(' ').filter(|s| !s.is_empty()) {
            match item {
                "openid" => openid = true,
                "profile" => scope.profile = true,
                "organisation" => scope.organisation = true,
                CCCD => scope.cccd = true,
                other => {
                    return Err(OAuthError::invalid_scope(format!("unknown scope {other}")));
                }
            }
        }
        if !openid {
            return Err(OAuthError::invalid_scope("scope must include openid"));
        }
        Ok(scope)
    }

    /// [`Scope::parse`] for `client`'s pushed request: asking for the identification number
    /// (`cccd`) without being registered to receive it is `invalid_scope` — refused at the
    /// push, not silently dropped, so the service learns at once what it may not have.
    pub fn parse_for(text: &str, client: &Client) -> OAuthResult<Scope> {
        let scope = Scope::parse(text)?;
        if scope.cccd && !client.allow_citizen_id {
            return Err(OAuthError::invalid_scope(
                "this client is not registered to receive the identification number (cccd)",
            ));
        }
        Ok(scope)
    }

    /// Organisation accounts may be chosen: asked for, and the client is registered for them.
    pub fn allows_organisations(&self, client: &Client) -> bool {
        self.organisation && client.allow_organisations
    }

    /// The claims released for a personal sign-in: `name` when asked for (`profile`) and
    /// registered; `cccd` when asked for and the client is registered for it (the phone may
    /// still leave it out of its approval).
    pub fn personal_claims(&self, client: &Client) -> Vec<String> {
        let mut out = Vec::new();
        if self.profile && client.allowed_claims.contains(&Claim::Name) {
            out.push("name".to_owned());
        }
        if self.cccd && client.allow_citizen_id {
            out.push(CCCD.to_owned());
        }
        out
    }

    /// The claims released when signing in as `account`: the personal ones, and `organisation`
    /// for an organisation.
    pub fn claims_for(&self, client: &Client, account: Option<&OrgEid>) -> Vec<String> {
        let mut out = self.personal_claims(client);
        if account.is_some() {
            out.push(ORGANISATION.to_owned());
        }
        out
    }
}

/// The subject identifier of `account` at `sector`: HMAC-SHA256 under a server secret over the
/// sector and the account, so two services of different sectors cannot match their users.
pub fn pairwise_sub(state: &AppState, sector: &str, account: &str) -> String {
    use base64::Engine as _;
    let mac = state
        .keys
        .keyed_hash(&[b"oidc.sub\0", sector.as_bytes(), b"\0", account.as_bytes()]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
}

/// The authentication methods (RFC 8176) of a confirmation: the passcode-derived key is
/// `pin` + `swk`; the biometric-bound key is `hwk` (the phone does not say whether it was a
/// face or a finger, so neither `face` nor `fpt` is claimed).
pub fn amr(method: ConfirmationMethod) -> Vec<&'static str> {
    match method {
        ConfirmationMethod::Passcode => vec!["pin", "swk"],
        ConfirmationMethod::Biometric => vec!["hwk"],
    }
}

/// The `organisation` claim for `account` acting for `eid` at the service `client_id`, when
/// they still may act for it here ([`authz::may_act_for_here`]): e-ID number, name, type,
/// registry code, role, and that this service is allowed. `None` when the delegation, its
/// list of services or the organisation no longer allows it.
pub async fn organisation_claim(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
    client_id: &str,
) -> ServerResult<Option<Value>> {
    let Some(role) = authz::may_act_for_here(state, account, eid, client_id).await? else {
        return Ok(None);
    };
    let org = organisations::require_organisation(state, eid).await?;
    let details = organisations::details_of(state, &org)?;
    let code = details
        .enterprise_code
        .map(|c| c.to_string())
        .or(details.cooperative_code.map(|c| c.to_string()))
        .or(details.tax_code.map(|c| c.to_string()));
    Ok(Some(json!({
        "eid": org.eid.as_str(),
        "name": org.name_vi,
        "type": word(&org.org_type)?,
        "code": code,
        "role": word(&role)?,
        // Always true: a sign-in (and a token's use) outside the delegation's list of services
        // is refused before any claim is made (`authz::may_act_for_here`).
        "allowed_here": true,
    })))
}

/// What a sign-in released, as the token endpoint and userinfo need it.
pub struct Released<'a> {
    /// The client.
    pub client: &'a Client,
    /// The person.
    pub account: &'a AccountId,
    /// The organisation, if any.
    pub acting_for: Option<&'a OrgEid>,
    /// The claims approved on the phone.
    pub claims: &'a [String],
}

/// The claims about the person (userinfo, and inside the ID token): `sub`, and the approved
/// `name` and `organisation`. An organisation claim that no longer holds (the delegation was
/// revoked) is an error: nothing is released as the organisation then.
pub async fn user_claims(
    state: &AppState,
    r: &Released<'_>,
) -> OAuthResult<serde_json::Map<String, Value>> {
    let mut out = serde_json::Map::new();
    out.insert(
        "sub".into(),
        pairwise_sub(state, &r.client.sector, r.account.as_str()).into(),
    );
    if r.claims.iter().any(|c| c == "name") {
        let view = accounts::account_view(state, r.account).await?;
        out.insert("name".into(), view.full_name.into());
    }
    // The identification number: only when the phone's approval named it, and (checked again
    // here) only to a client registered for it. Never logged or audited.
    if r.client.allow_citizen_id && r.claims.iter().any(|c| c == CCCD) {
        let person = accounts::find_account(state, r.account)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the account is gone"))?;
        let citizen = accounts::citizen_by_key(state, &person.citizen_key)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the person is not in the registry"))?;
        out.insert(CCCD.into(), citizen.citizen_id.as_str().into());
    }
    if let Some(eid) = r.acting_for {
        let claim = organisation_claim(state, r.account, eid, &r.client.id)
            .await?
            .ok_or_else(|| {
                OAuthError::invalid_grant("the person may no longer act for the organisation")
            })?;
        out.insert(ORGANISATION.into(), claim);
    }
    Ok(out)
}

/// The ID token's claims.
pub struct IdToken<'a> {
    /// What was released.
    pub released: Released<'a>,
    /// The client's nonce.
    pub nonce: &'a str,
    /// When the person confirmed on the phone.
    pub auth_time: i64,
    /// The authentication methods.
    pub amr: Vec<String>,
}

/// The ID token's claim set, issued now.
pub async fn id_token_claims(state: &AppState, t: &IdToken<'_>) -> OAuthResult<Value> {
    let now = state.now();
    let mut claims = user_claims(state, &t.released).await?;
    claims.insert("iss".into(), issuer(state).into());
    claims.insert("aud".into(), t.released.client.id.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + TOKEN_SECS).into());
    claims.insert("auth_time".into(), t.auth_time.into());
    claims.insert("nonce".into(), t.nonce.into());
    claims.insert("acr".into(), ACR_LEVEL_2.into());
    claims.insert("amr".into(), json!(t.amr));
    Ok(Value::Object(claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_needs_openid_and_known_values() {
        assert!(Scope::parse("openid profile organisation").is_ok());
        assert!(Scope::parse("openid cccd").unwrap().cccd);
        assert_eq!(Scope::parse("profile").unwrap_err().code(), "invalid_scope");
        assert_eq!(
            Scope::parse("openid email").unwrap_err().code(),
            "invalid_scope"
        );
    }

    #[test]
    fn amr_claims_only_what_the_phone_knows() {
        assert_eq!(amr(ConfirmationMethod::Passcode), ["pin", "swk"]);
        assert_eq!(amr(ConfirmationMethod::Biometric), ["hwk"]);
    }
}
