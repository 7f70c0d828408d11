//! Registration officers.

use dinhdanh_core::ids::{AccountId, CitizenId, NewProvince};

use super::{AppState, ServerResult};
use crate::resources::officers as inner;

/// Makes the person with this citizen id an officer of `province`.
pub async fn grant_officer(
    state: &AppState,
    citizen: &CitizenId,
    province: NewProvince,
) -> ServerResult<()> {
    inner::grant_officer(state, citizen, province).await
}

/// The province an account is an officer of, if any.
pub async fn officer_province(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<NewProvince>> {
    crate::authz::officer_province(state, account).await
}

/// Withdraws the officer role (the `officer revoke` command); console sessions ended.
pub async fn revoke_officer(state: &AppState, citizen: &CitizenId) -> ServerResult<u64> {
    inner::revoke_officer(state, citizen).await
}

/// Grants the read-only national scope to the person with this citizen id.
pub async fn grant_national_officer(state: &AppState, citizen: &CitizenId) -> ServerResult<()> {
    inner::grant_national_officer(state, citizen).await
}
