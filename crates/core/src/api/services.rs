//! Services (relying parties of the server's OpenID provider) as the app sees them: the
//! registered services an organisation's owner may allow a delegation to sign in to, the list
//! a delegation allows, and the person's consents to services, listed and withdrawable.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::ids::{DelegationId, OrgEid};

/// A registered service that accepts organisation accounts, as an owner choosing the services
/// of a delegation sees it (`GET /v1/services`). Names and origins come from the server's
/// registry.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// Its `client_id`.
    pub client_id: String,
    /// Its registered name in Vietnamese.
    pub name_vi: String,
    /// Its registered name in English.
    pub name_en: String,
    /// The origins (`https://host[:port]`) of its registered redirect URIs, where a browser
    /// signing in to it goes back.
    pub origins: Vec<String>,
}

/// One service a delegation allows, with optional dates (Vietnam's calendar days, both
/// included): the delegate may sign in to it as the organisation from the start of `from` to
/// the end of `until`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedService {
    /// The service's `client_id`.
    pub client_id: String,
    /// First day; `None`: from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Last day; `None`: as long as the delegation holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// What is wrong with a listed service's days. Both are reported on the entry's `until` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceDaysProblem {
    /// The last day is before the first.
    EndsBeforeItStarts,
    /// The last day is before today: the entry would allow nothing.
    AlreadyEnded,
}

impl DelegatedService {
    /// Checks the entry's days against `today` (the date in Vietnam): the first day not after
    /// the last, the last not already past. The server refuses what this refuses; the app's
    /// form asks the same before sending.
    pub fn days_problem(&self, today: NaiveDate) -> Option<ServiceDaysProblem> {
        if let (Some(from), Some(until)) = (self.from, self.until) {
            if from > until {
                return Some(ServiceDaysProblem::EndsBeforeItStarts);
            }
        }
        if self.until.is_some_and(|until| until < today) {
            return Some(ServiceDaysProblem::AlreadyEnded);
        }
        None
    }
}

/// A service a delegation allows, as the delegation's readers see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedServiceView {
    /// The service's `client_id`.
    pub client_id: String,
    /// Its registered name in Vietnamese.
    pub name_vi: String,
    /// Its registered name in English.
    pub name_en: String,
    /// First day, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Last day, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// The service is still registered, active and accepts organisation accounts; `false`:
    /// listed, but nobody can sign in to it now.
    pub available: bool,
}

/// Sets the services a delegation allows, replacing the whole list (action kind
/// `set_delegation_services`, target `delegation:<id>`), sent as
/// [`super::Confirmed<SetDelegationServices>`] to `PUT .../delegations/{id}/services`. An empty
/// list allows no outside service.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDelegationServices {
    /// The organisation.
    pub organisation: OrgEid,
    /// The delegation.
    pub delegation: DelegationId,
    /// The services it allows from now on.
    pub services: Vec<DelegatedService>,
}

/// A person's consent to a service, for one account (`GET /v1/me/service-consents`): what
/// the latest approval that widened it released, and when it was first and last used.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConsentView {
    /// The service's `client_id`.
    pub client_id: String,
    /// Its registered name in Vietnamese.
    pub name_vi: String,
    /// Its registered name in English.
    pub name_en: String,
    /// The origins of its registered redirect URIs.
    pub origins: Vec<String>,
    /// The organisation the person signed in as; `None`: the personal account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrgEid>,
    /// The organisation's Vietnamese name, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_name: Option<String>,
    /// The claims consented to besides the pairwise subject (`name`, `organisation`, `cccd`).
    pub claims: Vec<String>,
    /// When the consent was first given (or given again after a withdrawal).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub first_used_at: Timestamp,
    /// The latest approval.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_used_at: Timestamp,
}

/// What a withdrawal did (`DELETE /v1/me/service-consents/{client_id}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentWithdrawn {
    /// The service.
    pub client_id: String,
    /// How many consents (one per account signed in as) were withdrawn.
    pub consents: u64,
    /// How many live access tokens of the person for that service were revoked.
    pub tokens_revoked: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(from: Option<&str>, until: Option<&str>) -> DelegatedService {
        let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
        DelegatedService {
            client_id: "cli_demo".into(),
            from: from.map(day),
            until: until.map(day),
        }
    }

    #[test]
    fn a_service_entry_may_not_end_before_it_starts_or_before_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(entry(None, None).days_problem(today), None);
        assert_eq!(
            entry(Some("2026-12-05"), Some("2026-12-05")).days_problem(today),
            None
        );
        assert_eq!(entry(None, Some("2026-12-02")).days_problem(today), None);
        assert_eq!(
            entry(Some("2026-12-06"), Some("2026-12-05")).days_problem(today),
            Some(ServiceDaysProblem::EndsBeforeItStarts)
        );
        assert_eq!(
            entry(None, Some("2026-12-01")).days_problem(today),
            Some(ServiceDaysProblem::AlreadyEnded)
        );
    }
}
