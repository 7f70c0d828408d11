//! One-time challenges.

use dinhdanh_core::api::ChallengePurpose;
use dinhdanh_core::ids::AccountId;
use dinhdanh_core::signed_action::Challenge;

use super::{AppState, ServerResult};

/// Uses up a challenge issued for `purpose` (and `account`, when bound to one).
pub async fn consume(
    state: &AppState,
    challenge: &Challenge,
    purpose: ChallengePurpose,
    account: Option<&AccountId>,
) -> ServerResult<()> {
    crate::resources::challenges::consume(state, challenge, purpose, account).await
}
