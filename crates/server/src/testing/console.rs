//! The officer console, for benchmarks.

use dinhdanh_core::ids::AccountId;

use super::{AppState, ServerResult};

/// A console session for `account` without the sign-in: the `Cookie` header's value.
pub async fn session_cookie(state: &AppState, account: &AccountId) -> ServerResult<String> {
    crate::resources::console::session_without_sign_in(state, account).await
}
