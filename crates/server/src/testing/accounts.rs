//! People and their accounts.

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{AccountView, DeviceView, OneTimeCode};
use dinhdanh_core::ids::{AccountId, CitizenId, Password};

use super::{AppState, ServerResult};
use crate::resources::accounts as inner;

pub use crate::store::citizens::NewCitizen;
pub use inner::{
    AccountRow, CitizenRecord, LockActor, parse_citizen_registry, purpose, verify_password,
};

/// A person as the columns of `citizens` hold them: what a bulk load writes (the national
/// bench's COPY and prepared statements), the same conversion the registry load uses.
pub fn stored_citizen(state: &AppState, record: &CitizenRecord) -> ServerResult<NewCitizen> {
    inner::stored_citizen(state, record)
}

/// Locks or unlocks an account, as an officer or the CLI does.
pub async fn set_lock(
    state: &AppState,
    account: &AccountId,
    lock: bool,
    reason: &str,
    actor: LockActor<'_>,
) -> ServerResult<()> {
    inner::set_lock(state, account, lock, reason, actor).await
}

/// Adds a person to the citizen registry.
pub async fn insert_citizen(state: &AppState, record: &CitizenRecord) -> ServerResult<()> {
    inner::insert_citizen(state, record).await
}

/// Loads a citizen registry in CSV; how many people it held.
pub async fn load_citizen_registry(state: &AppState, csv_text: &str) -> ServerResult<usize> {
    inner::load_citizen_registry(state, csv_text).await
}

/// Gives a person in the registry an account at `level`.
pub async fn create_account(
    state: &AppState,
    citizen_id: &CitizenId,
    password: &Password,
    level: AccountLevel,
) -> ServerResult<AccountId> {
    inner::create_account(state, citizen_id, password, level).await
}

/// Sets an account's level.
pub async fn set_level(
    state: &AppState,
    account: &AccountId,
    level: AccountLevel,
) -> ServerResult<()> {
    inner::set_level(state, account, level).await
}

/// A person's registry record.
pub async fn find_citizen(state: &AppState, id: &CitizenId) -> ServerResult<Option<CitizenRecord>> {
    inner::find_citizen(state, id).await
}

/// A person's account, as stored.
pub async fn find_account_by_citizen(
    state: &AppState,
    id: &CitizenId,
) -> ServerResult<Option<AccountRow>> {
    inner::find_account_by_citizen(state, id).await
}

/// An account as its owner sees it.
pub async fn account_view(state: &AppState, account: &AccountId) -> ServerResult<AccountView> {
    inner::account_view(state, account).await
}

/// The account's active device, if any.
pub async fn active_device(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Option<DeviceView>> {
    inner::active_device(state, account).await
}

/// Redeems a one-time code sent for `purpose` (see [`purpose`]).
pub async fn redeem_code(
    state: &AppState,
    purpose: &str,
    pending_id: &str,
    code: &OneTimeCode,
) -> ServerResult<(Vec<u8>, String)> {
    inner::redeem_code(state, purpose, pending_id, code).await
}
