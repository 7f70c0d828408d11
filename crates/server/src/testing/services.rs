//! Services and consents (`resources::services`).

use dinhdanh_core::api::ServiceConsentView;
use dinhdanh_core::ids::{AccountId, OrgEid};

use super::{AppState, ServerResult};
use crate::resources::services as inner;
use crate::store::tx::Tx;

pub use inner::Withdrawal;

/// Records a consent as an approval on the phone does (in its own transaction), for tests
/// that do not run a whole sign-in.
pub async fn record_consent(
    state: &AppState,
    account: &AccountId,
    client_id: &str,
    acting_for: Option<&OrgEid>,
    claims: &[String],
) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "oidc.approve").await?;
    inner::record_consent(&mut tx, account, client_id, acting_for, claims).await?;
    tx.commit().await
}

/// The person's live consents.
pub async fn list_consents(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Vec<ServiceConsentView>> {
    inner::list_consents(state, account).await
}

/// Withdraws the person's consents to a service and revokes their tokens for it.
pub async fn withdraw_consent(
    state: &AppState,
    account: &AccountId,
    client_id: &str,
) -> ServerResult<Withdrawal> {
    inner::withdraw_consent(
        state,
        &crate::store::audit::Actor::person(account),
        client_id,
    )
    .await
}
