//! Authorisation: every "may person P do action A to object T" question the server asks, in
//! one module that every route goes through. The facts come from the store
//! ([`crate::store::roles`]); the rules are here, next to each other, so a reader finds who may
//! do what by opening this file. Refusals are audited by the resource that asked, which knows
//! the action's name and object.
//!
//! | who | may |
//! | --- | --- |
//! | an organisation's owner | add and revoke administrators and members; see every delegation |
//! | an administrator | add and revoke members; see every delegation |
//! | a member | act for the organisation; see their own delegation; **not** add or revoke delegates |
//! | any live delegate | switch to the organisation while it is active; revoke their own delegation |
//! | nobody | add or revoke an owner (the owner comes from the registration) |
//! | an officer | read the requests and organisations of their province; decide requests there; lock and unlock the accounts of people born there (never their own) |
//! | a request's requester and co-representatives | read the request |
//! | a level-2 person | sign in to a registered service (OpenID provider): personally, or for an organisation they may act for when the service accepts organisation accounts and, for a delegate (not an owner), their delegation lists the service within its dates |
//! | an owner, or an administrator for a member | set the services a delegation allows |
//! | an organisation's owners and administrators | read who acted for it, from which device, when (not once it is closed) |
//! | an officer, signed in to the officer console | open the console; see the queue and the requests of their own province only ([`console_officer`], asked on every console request) |
//!
//! What a reader sees of other people is decided here too ([`Disclosure`]): an organisation's
//! owners and the officers of its province see its legal representatives' full identification
//! numbers, administrators and members masked ones; only officers of a request's province learn
//! which co-representatives have an account, and which.

use dinhdanh_core::account::{AccountLevel, OrgRole};
use dinhdanh_core::api::{ErrorCode, OfficerRole, OrganisationStatus};
use dinhdanh_core::ids::{AccountId, NewProvince, OrgEid};

use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::roles;
use crate::store::values::{from_word, parse_stored};

/// The officer role of an account, if it has one.
pub async fn officer_role(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<OfficerRole>> {
    let mut conn = state.pool.acquire().await?;
    let Some(row) = roles::officer(&mut conn, account).await? else {
        return Ok(None);
    };
    officer_role_from(&row.province, row.granted_at).map(Some)
}

/// An officer grant as stored (its province's code, when it was made), for a read that joined
/// it to something else.
pub fn officer_role_from(province: &str, granted_at: i64) -> ServerResult<OfficerRole> {
    Ok(OfficerRole {
        province: parse_stored(NewProvince::parse(province))?,
        granted_at: timestamp(granted_at),
    })
}

/// What an officer at the console may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleScope {
    /// An officer of one province: its queue, its requests and people, its dashboard; and the
    /// decisions, confirmed on their phone.
    Province(NewProvince),
    /// The read-only national scope: the dashboard of every province, nothing else.
    National,
}

/// Who may use the officer console, asked on **every** console request
/// (`resources::console::session`): an account holding an officer role or the national scope
/// now, read from this server's own `officers` and `national_officers` tables — never from a
/// token's claims or the session's — so a role withdrawn or moved counts from the next request
/// on. A provincial officer's province is the one whose requests they see
/// ([`console_may_read`]).
pub async fn console_officer(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<ConsoleScope>> {
    if let Some(province) = officer_province(state, account).await? {
        return Ok(Some(ConsoleScope::Province(province)));
    }
    let mut conn = state.pool.acquire().await?;
    Ok(roles::national_officer(&mut conn, account)
        .await?
        .then_some(ConsoleScope::National))
}

/// Whether `account` may change the working-day calendar's table at the console: listed as
/// a calendar keeper and holding a provincial officer role now (the national scope reads and
/// changes nothing; a keeper whose role is withdrawn changes nothing more). Read from the
/// server's own tables on every ask.
pub async fn may_change_calendar(state: &AppState, account: &AccountId) -> ServerResult<bool> {
    if officer_province(state, account).await?.is_none() {
        return Ok(false);
    }
    let mut conn = state.pool.acquire().await?;
    roles::calendar_keeper(&mut conn, account).await
}

/// Which provinces' figures a console scope sees on the dashboard: its own province only, or
/// every province for the national scope. A provincial officer sees nothing of another
/// province, not even its counts.
pub fn dashboard_provinces(scope: &ConsoleScope) -> Vec<NewProvince> {
    match scope {
        ConsoleScope::Province(p) => vec![*p],
        ConsoleScope::National => NewProvince::all().to_vec(),
    }
}

/// Whether a console officer of `officer_province` may read a request of an organisation whose
/// head office is in `request_province`: their own province only.
pub fn console_may_read(officer_province: &NewProvince, request_province: &NewProvince) -> bool {
    officer_province == request_province
}

/// The province an account is an officer for, if it is an officer.
pub async fn officer_province(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<NewProvince>> {
    Ok(officer_role(state, account).await?.map(|r| r.province))
}

/// Whether the account is an officer of `province`.
pub async fn is_officer_of(
    state: &AppState,
    account: &AccountId,
    province: &NewProvince,
) -> ServerResult<bool> {
    Ok(officer_province(state, account).await?.as_ref() == Some(province))
}

/// The person's live role in the organisation (accepted, not revoked, not expired), whatever
/// the organisation's status; the strongest when they hold several.
pub async fn role_in(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
) -> ServerResult<Option<OrgRole>> {
    let mut conn = state.pool.acquire().await?;
    let roles = roles::live_roles(&mut conn, account, eid, state.now()).await?;
    Ok(roles.into_iter().min())
}

/// The person's role when they may act for the organisation now: a live role and an active
/// organisation.
pub async fn may_act_for(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
) -> ServerResult<Option<OrgRole>> {
    let status = {
        let mut conn = state.pool.acquire().await?;
        roles::organisation_status(&mut conn, eid).await?
    };
    let active = match status {
        Some(word) => from_word::<OrganisationStatus>(&word)? == OrganisationStatus::Active,
        None => false,
    };
    if !active {
        return Ok(None);
    }
    role_in(state, account, eid).await
}

/// Whether a person holding `role` (None: no live role) may add a delegate with `new_role`:
/// owners add administrators and members, administrators members only, members nobody, and
/// nobody adds an owner. Never in a closed organisation.
pub fn may_add_delegate(
    role: Option<OrgRole>,
    new_role: OrgRole,
    organisation: OrganisationStatus,
) -> bool {
    organisation != OrganisationStatus::Closed
        && new_role != OrgRole::Owner
        && role.is_some_and(|r| r.may_manage(new_role))
}

/// Whether a person may revoke a delegation holding `delegated`: their own, or one their live
/// `role` manages; never an owner's, never in a closed organisation.
pub fn may_revoke_delegation(
    role: Option<OrgRole>,
    own: bool,
    delegated: OrgRole,
    organisation: OrganisationStatus,
) -> bool {
    let manager = role.is_some_and(|r| r.may_manage(delegated));
    delegated != OrgRole::Owner && organisation != OrganisationStatus::Closed && (own || manager)
}

/// Whether a person holding `role` (None: no live role) may set the services a delegation
/// holding `delegated` allows: the same people who may add such a delegation (owners for
/// administrators and members, administrators for members), never for an owner (owners are
/// not limited by lists), never in a closed organisation. A delegate does not widen their own.
pub fn may_set_delegation_services(
    role: Option<OrgRole>,
    delegated: OrgRole,
    organisation: OrganisationStatus,
) -> bool {
    may_add_delegate(role, delegated, organisation)
}

/// Whether a person holding `role` (None: no live role) may read who acted for the
/// organisation, from which device and when: its owners and administrators — the people who
/// answer for its delegates — while it is not closed. Members see only their own activity
/// (their own audit entries).
pub fn may_read_organisation_activity(
    role: Option<OrgRole>,
    organisation: OrganisationStatus,
) -> bool {
    organisation != OrganisationStatus::Closed && sees_all_delegations(role)
}

/// Whether a person holding `role` sees every delegation of the organisation (owners and
/// administrators), rather than only their own.
pub fn sees_all_delegations(role: Option<OrgRole>) -> bool {
    matches!(role, Some(OrgRole::Owner | OrgRole::Administrator))
}

/// Whether a person holding `role` (None: no live role) hears an organisation's live events
/// (changes of its delegations): those who see all its delegations. Members hear only of
/// their own delegation, as the person they are.
pub fn hears_organisation_events(role: Option<OrgRole>) -> bool {
    sees_all_delegations(role)
}

/// The organisations (not closed) whose live events the person hears now
/// ([`hears_organisation_events`]), whatever their session acts for: an owner manages the
/// delegates from the personal account as well.
pub async fn organisations_heard(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Vec<OrgEid>> {
    let rows = {
        let mut conn = state.pool.acquire().await?;
        crate::store::delegations::choices(&mut conn, account.as_str(), state.now()).await?
    };
    let mut heard = Vec::new();
    for row in rows {
        if hears_organisation_events(Some(from_word::<OrgRole>(&row.role)?)) {
            let eid = parse_stored(OrgEid::parse(&row.eid))?;
            if !heard.contains(&eid) {
                heard.push(eid);
            }
        }
    }
    Ok(heard)
}

/// Whether a person may read an organisation's record: its members while it is not closed, and
/// officers of its province.
pub async fn may_read_organisation(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
    status: OrganisationStatus,
    province: &str,
) -> ServerResult<bool> {
    if status != OrganisationStatus::Closed && role_in(state, account, eid).await?.is_some() {
        return Ok(true);
    }
    Ok(officer_province(state, account)
        .await?
        .is_some_and(|p| p.key() == province))
}

/// How much a reader sees of the people named in a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosure {
    /// Full identification numbers and accounts.
    Full,
    /// Masked identification numbers only, and no accounts.
    Masked,
}

/// What a reader holding `role` in an organisation (None: no live role) sees of its legal
/// representatives: owners, themselves legal representatives, and officers of its province
/// see full numbers; administrators and members only masked ones, enough to recognise a
/// person, too little to use the number.
pub fn representatives_disclosure(role: Option<OrgRole>, officer_of_province: bool) -> Disclosure {
    if officer_of_province || role == Some(OrgRole::Owner) {
        Disclosure::Full
    } else {
        Disclosure::Masked
    }
}

/// What a reader of a registration request sees of its co-representatives: only officers of
/// its province, who obtain the consent of those without an account, learn which of them have
/// one (and its id); the requester and the co-representatives see names, masked numbers and
/// answers.
pub fn consents_disclosure(officer_of_province: bool) -> Disclosure {
    if officer_of_province {
        Disclosure::Full
    } else {
        Disclosure::Masked
    }
}

/// Whether `account` is an officer of the province whose key is `province`.
pub async fn is_officer_of_key(
    state: &AppState,
    account: &AccountId,
    province: &str,
) -> ServerResult<bool> {
    Ok(officer_province(state, account)
        .await?
        .is_some_and(|p| p.key() == province))
}

/// Whether `account` is one of the other legal representatives asked to consent to a
/// registration request.
pub async fn is_co_representative(
    state: &AppState,
    registration: &str,
    account: &AccountId,
) -> ServerResult<bool> {
    let mut conn = state.pool.acquire().await?;
    let Some(key) = roles::citizen_key(&mut conn, account).await? else {
        return Ok(false);
    };
    roles::is_co_representative(&mut conn, registration, &key).await
}

/// Whether `account` may read a registration request: its requester (`None` while a requester
/// taken at the counter has no account), one of its other legal representatives, or an
/// officer of its province.
pub async fn may_read_registration(
    state: &AppState,
    account: &AccountId,
    registration: &str,
    requester: Option<&AccountId>,
    province: &NewProvince,
) -> ServerResult<bool> {
    if requester == Some(account) || is_co_representative(state, registration, account).await? {
        return Ok(true);
    }
    is_officer_of(state, account, province).await
}

/// Whether an officer of `officer_province` may lock or unlock the account of a person born in
/// `person_province`: only in their own province, and never their own account.
pub fn may_change_account_lock(
    officer_province: &NewProvince,
    person_province: &NewProvince,
    own_account: bool,
) -> bool {
    !own_account && officer_province == person_province
}

/// Whether a person holding `role` is limited, when signing in to outside services as the
/// organisation, by the list of services their delegation allows: everyone but owners. Owners
/// are the organisation's legal representatives (its head): they act for it by law, not by a
/// delegation, so no list limits them.
pub fn limited_by_service_list(role: OrgRole) -> bool {
    role != OrgRole::Owner
}

/// The person's role when they may act for the organisation *at this service* now: they may
/// act for it ([`may_act_for`]) and, unless they are an owner ([`limited_by_service_list`]),
/// their live delegation lists the service (`client_id`) and today is within that listing's
/// dates. Introspection, userinfo and the token endpoint ask this, so removing a service from
/// a delegation (or its last day passing) makes that service's tokens inactive at once.
pub async fn may_act_for_here(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
    client_id: &str,
) -> ServerResult<Option<OrgRole>> {
    let Some(role) = may_act_for(state, account, eid).await? else {
        return Ok(None);
    };
    Ok(service_listed(state, account, eid, role, client_id)
        .await?
        .then_some(role))
}

/// Whether `role`'s sign-ins to `client_id` are allowed by the service lists: always for
/// owners; for delegates, when a live delegation lists the service within its dates.
async fn service_listed(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
    role: OrgRole,
    client_id: &str,
) -> ServerResult<bool> {
    if !limited_by_service_list(role) {
        return Ok(true);
    }
    let mut conn = state.pool.acquire().await?;
    roles::allows_service(&mut conn, account, eid, client_id, state.now()).await
}

/// Why a person may not sign in to the relying party `client_id` as `acting_for` (`None`:
/// personally), or `None` when they may: the account must be level 2 (`level_too_low`); for
/// an organisation, the service must accept organisation accounts and the person must hold a
/// live role in the active organisation now (`forbidden`), and a delegate's delegation must
/// list this service within its dates (`service_not_delegated`, whose sentence says who can
/// change that); owners are not limited by lists.
pub async fn service_sign_in_refusal(
    state: &AppState,
    account: &AccountId,
    level: AccountLevel,
    acting_for: Option<&OrgEid>,
    client_id: &str,
    service_accepts_organisations: bool,
) -> ServerResult<Option<ErrorCode>> {
    let standing = match acting_for {
        Some(eid) if level == AccountLevel::Level2 && service_accepts_organisations => {
            Some(match may_act_for(state, account, eid).await? {
                Some(role) => Standing::Role {
                    role,
                    service_listed: service_listed(state, account, eid, role, client_id).await?,
                },
                None => Standing::NoRole,
            })
        }
        Some(_) => Some(Standing::NoRole),
        None => None,
    };
    Ok(sign_in_refusal(
        level,
        standing,
        service_accepts_organisations,
    ))
}

/// A person's standing in the organisation they ask to sign in as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    /// No live role in an active organisation.
    NoRole,
    /// A live role; whether the service lists allow this service.
    Role { role: OrgRole, service_listed: bool },
}

/// The rule of [`service_sign_in_refusal`], given the person's standing when they ask to sign
/// in for an organisation.
fn sign_in_refusal(
    level: AccountLevel,
    organisation: Option<Standing>,
    service_accepts_organisations: bool,
) -> Option<ErrorCode> {
    if level != AccountLevel::Level2 {
        return Some(ErrorCode::LevelTooLow);
    }
    match organisation {
        None => None,
        Some(_) if !service_accepts_organisations => Some(ErrorCode::Forbidden),
        Some(Standing::NoRole) => Some(ErrorCode::Forbidden),
        Some(Standing::Role {
            role,
            service_listed: false,
        }) if limited_by_service_list(role) => Some(ErrorCode::ServiceNotDelegated),
        Some(Standing::Role { .. }) => None,
    }
}

#[cfg(test)]
mod service_sign_in_tests {
    use super::*;

    #[test]
    fn level_2_only_and_organisations_only_where_the_service_accepts_them() {
        use AccountLevel::{Level1, Level2};
        let owner = Some(Standing::Role {
            role: OrgRole::Owner,
            service_listed: false,
        });
        assert_eq!(sign_in_refusal(Level2, None, false), None);
        assert_eq!(
            sign_in_refusal(Level1, None, true),
            Some(ErrorCode::LevelTooLow)
        );
        assert_eq!(
            sign_in_refusal(Level1, owner, true),
            Some(ErrorCode::LevelTooLow)
        );
        assert_eq!(sign_in_refusal(Level2, owner, true), None);
        assert_eq!(
            sign_in_refusal(Level2, owner, false),
            Some(ErrorCode::Forbidden)
        );
        assert_eq!(
            sign_in_refusal(Level2, Some(Standing::NoRole), true),
            Some(ErrorCode::Forbidden)
        );
    }

    #[test]
    fn delegates_sign_in_only_to_listed_services_and_owners_are_not_limited() {
        use AccountLevel::Level2;
        for role in [OrgRole::Administrator, OrgRole::Member] {
            let unlisted = Standing::Role {
                role,
                service_listed: false,
            };
            assert_eq!(
                sign_in_refusal(Level2, Some(unlisted), true),
                Some(ErrorCode::ServiceNotDelegated)
            );
            let listed = Standing::Role {
                role,
                service_listed: true,
            };
            assert_eq!(sign_in_refusal(Level2, Some(listed), true), None);
            assert_eq!(
                sign_in_refusal(Level2, Some(listed), false),
                Some(ErrorCode::Forbidden)
            );
        }
        assert!(!limited_by_service_list(OrgRole::Owner));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_cannot_add_delegates() {
        for new_role in [OrgRole::Administrator, OrgRole::Member] {
            assert!(!may_add_delegate(
                Some(OrgRole::Member),
                new_role,
                OrganisationStatus::Active
            ));
        }
    }

    #[test]
    fn owners_add_administrators_and_members_administrators_members_nobody_owners() {
        let active = OrganisationStatus::Active;
        assert!(may_add_delegate(
            Some(OrgRole::Owner),
            OrgRole::Administrator,
            active
        ));
        assert!(may_add_delegate(
            Some(OrgRole::Owner),
            OrgRole::Member,
            active
        ));
        assert!(!may_add_delegate(
            Some(OrgRole::Owner),
            OrgRole::Owner,
            active
        ));
        assert!(may_add_delegate(
            Some(OrgRole::Administrator),
            OrgRole::Member,
            active
        ));
        assert!(!may_add_delegate(
            Some(OrgRole::Administrator),
            OrgRole::Administrator,
            active
        ));
        assert!(!may_add_delegate(None, OrgRole::Member, active));
        assert!(!may_add_delegate(
            Some(OrgRole::Owner),
            OrgRole::Member,
            OrganisationStatus::Closed
        ));
    }

    #[test]
    fn an_owner_delegation_is_never_revoked_and_anyone_may_give_up_their_own() {
        let active = OrganisationStatus::Active;
        assert!(!may_revoke_delegation(
            Some(OrgRole::Owner),
            true,
            OrgRole::Owner,
            active
        ));
        assert!(may_revoke_delegation(None, true, OrgRole::Member, active));
        assert!(!may_revoke_delegation(
            Some(OrgRole::Member),
            false,
            OrgRole::Member,
            active
        ));
        assert!(may_revoke_delegation(
            Some(OrgRole::Administrator),
            false,
            OrgRole::Member,
            active
        ));
    }
}

/// Whether a person may accept or decline a delegation: only the person it names.
pub fn may_answer_delegation(account: &AccountId, delegate: &AccountId) -> bool {
    account == delegate
}

/// Whether a person may switch a session to act for an organisation: while the organisation
/// is active and they hold a live role there ([`may_act_for`]); going back to the personal
/// account is always allowed.
pub async fn may_switch_to(
    state: &AppState,
    account: &AccountId,
    to: Option<&OrgEid>,
) -> ServerResult<bool> {
    match to {
        Some(eid) => Ok(may_act_for(state, account, eid).await?.is_some()),
        None => Ok(true),
    }
}

/// Whether an officer of `officer_province` may change the life of organisations (lock,
/// unlock, close, rename, merge, split) in `provinces`: only when every organisation the
/// change involves is in their own province.
pub fn may_change_organisations<'a>(
    officer_province: &NewProvince,
    mut provinces: impl Iterator<Item = &'a str>,
) -> bool {
    provinces.all(|p| p == officer_province.key())
}

/// Whether a person may list an organisation's delegations, given whether any are visible to
/// them ([`sees_all_delegations`], else their own): only while it is not closed, and only when
/// they see at least one — or, whatever its status, an officer of its province, who sees them
/// all (the console's organisation page).
pub fn may_list_delegations(
    organisation: OrganisationStatus,
    sees_any: bool,
    officer_of_province: bool,
) -> bool {
    officer_of_province || (organisation != OrganisationStatus::Closed && sees_any)
}

#[cfg(test)]
mod organisation_rule_tests {
    use super::*;

    #[test]
    fn only_the_delegate_answers_and_officers_change_only_their_province() {
        let a = AccountId::parse("acc_1").unwrap();
        let b = AccountId::parse("acc_2").unwrap();
        assert!(may_answer_delegation(&a, &a));
        assert!(!may_answer_delegation(&a, &b));
        let ha_noi = NewProvince::parse("ha_noi").unwrap();
        assert!(may_change_organisations(
            &ha_noi,
            ["ha_noi", "ha_noi"].into_iter()
        ));
        assert!(!may_change_organisations(
            &ha_noi,
            ["ha_noi", "hue"].into_iter()
        ));
    }

    #[test]
    fn only_owners_and_officers_see_representatives_full_numbers() {
        assert_eq!(
            representatives_disclosure(Some(OrgRole::Owner), false),
            Disclosure::Full
        );
        assert_eq!(representatives_disclosure(None, true), Disclosure::Full);
        for role in [Some(OrgRole::Administrator), Some(OrgRole::Member), None] {
            assert_eq!(representatives_disclosure(role, false), Disclosure::Masked);
        }
        assert_eq!(consents_disclosure(true), Disclosure::Full);
        assert_eq!(consents_disclosure(false), Disclosure::Masked);
    }

    #[test]
    fn only_owners_and_administrators_read_an_open_organisations_activity() {
        use OrganisationStatus::{Active, Closed, Locked};
        for status in [Active, Locked] {
            assert!(may_read_organisation_activity(Some(OrgRole::Owner), status));
            assert!(may_read_organisation_activity(
                Some(OrgRole::Administrator),
                status
            ));
            assert!(!may_read_organisation_activity(
                Some(OrgRole::Member),
                status
            ));
            assert!(!may_read_organisation_activity(None, status));
        }
        assert!(!may_read_organisation_activity(
            Some(OrgRole::Owner),
            Closed
        ));
    }

    #[test]
    fn nobody_lists_a_closed_organisations_delegations_nor_an_empty_list() {
        assert!(!may_list_delegations(
            OrganisationStatus::Closed,
            true,
            false
        ));
        assert!(!may_list_delegations(
            OrganisationStatus::Active,
            false,
            false
        ));
        assert!(may_list_delegations(
            OrganisationStatus::Locked,
            true,
            false
        ));
        // An officer of the organisation's province reads them all, closed or not.
        assert!(may_list_delegations(
            OrganisationStatus::Closed,
            false,
            true
        ));
    }
}
