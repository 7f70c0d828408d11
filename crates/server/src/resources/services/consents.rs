//! A person's consents to services: recorded by an approval on the phone ([`record_consent`]),
//! listed, and withdrawn in one tap ([`withdraw_consent`], which also ends the person's live
//! sign-ins at that service in the same transaction: tokens revoked, back-channel logout queued).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use dinhdanh_core::api::{ConsentWithdrawn, ErrorCode, ServiceConsentView};
use dinhdanh_core::ids::{AccountId, OrgEid};

use super::origins;
use crate::http::auth::Authed;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::clients;
use crate::resources::organisations;
use crate::store::audit::{Actor, audit_record};
use crate::store::oidc_consents::{self as store, ConsentRow, PERSONAL};
use crate::store::oidc_logouts::{self, Ended};
use crate::store::tx::Tx;
use crate::store::values::parse_stored;

fn claims_json(claims: &BTreeSet<String>) -> ServerResult<String> {
    serde_json::to_string(claims).map_err(|e| ServerError::Internal(format!("encode: {e}")))
}

fn stored_claims(text: &str) -> ServerResult<BTreeSet<String>> {
    serde_json::from_str(text)
        .map_err(|_| ServerError::Internal("stored consent claims do not parse".into()))
}

/// Records, inside the approval's transaction, that `account` consented to `client_id`
/// receiving `claims` when signing in as `acting_for` (`None`: personally). A live consent
/// that already holds every claim asked is only marked used now; one asked for more (or a
/// first, or one given again after a withdrawal) records this set.
pub async fn record_consent(
    tx: &mut Tx,
    account: &AccountId,
    client_id: &str,
    acting_for: Option<&OrgEid>,
    claims: &[String],
) -> ServerResult<()> {
    let now = tx.now();
    let acting_for = acting_for.map_or(PERSONAL, OrgEid::as_str);
    let asked: BTreeSet<String> = claims.iter().cloned().collect();
    let existing = store::find(tx.conn()?, account.as_str(), client_id, acting_for).await?;
    let live = existing.filter(|c| c.withdrawn_at.is_none());
    if let Some(c) = &live {
        if asked.is_subset(&stored_claims(&c.claims)?) {
            return store::touch(tx.conn()?, account.as_str(), client_id, acting_for, now).await;
        }
    }
    let row = ConsentRow {
        account_id: account.as_str().to_owned(),
        client_id: client_id.to_owned(),
        acting_for: acting_for.to_owned(),
        claims: claims_json(&asked)?,
        first_at: live.map_or(now, |c| c.first_at),
        last_at: now,
        withdrawn_at: None,
    };
    store::put(tx.conn()?, &row).await
}

/// The person's live consents, most recently used first, with the service's registered names
/// and origins and the organisation's name.
pub async fn list_consents(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<Vec<ServiceConsentView>> {
    let rows = store::live_of(&mut *state.pool.acquire().await?, account.as_str()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let client = clients::find_client(state, &row.client_id).await?;
        let organisation = if row.acting_for == PERSONAL {
            None
        } else {
            Some(parse_stored(OrgEid::parse(&row.acting_for))?)
        };
        let organisation_name = match &organisation {
            Some(eid) => organisations::find_organisation(state, eid)
                .await?
                .map(|o| o.name_vi),
            None => None,
        };
        out.push(ServiceConsentView {
            name_vi: client
                .as_ref()
                .map(|c| c.name_vi.clone())
                .unwrap_or_default(),
            name_en: client
                .as_ref()
                .map(|c| c.name_en.clone())
                .unwrap_or_default(),
            origins: client.as_ref().map(origins).unwrap_or_default(),
            organisation,
            organisation_name,
            claims: stored_claims(&row.claims)?.into_iter().collect(),
            first_used_at: timestamp(row.first_at),
            last_used_at: timestamp(row.last_at),
            client_id: row.client_id,
        });
    }
    Ok(out)
}

/// What a withdrawal did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// How many consents (one per account signed in as) were withdrawn.
    pub consents: u64,
    /// How many live access tokens were revoked.
    pub tokens_revoked: u64,
    /// The sign-ins those tokens came from: the sessions at the service ended (a back-channel
    /// logout is queued for each when the service registered a back-channel logout URI).
    pub sign_ins: Vec<String>,
}

/// Withdraws the person's consents to `client_id` (for every account they signed in as) and
/// ends their live sign-ins there — access tokens revoked, and a back-channel logout queued to
/// the service for each (delivered after the commit, `resources::oidc::logout`) — in one
/// transaction with its audit entry (`service_consent.withdrawn`, object `oidc_client:<id>`).
/// `not_found` when there is no live consent and no live token.
pub async fn withdraw_consent(
    state: &AppState,
    actor: &Actor,
    client_id: &str,
) -> ServerResult<Withdrawal> {
    let mut tx = Tx::begin(state, "service_consent.withdraw").await?;
    let now = tx.now();
    let account = actor.account.as_str();
    let consents = store::withdraw(tx.conn()?, account, client_id, now).await?;
    // The service is told the sessions ended (back-channel logout), as when a delegation is
    // revoked: a withdrawn consent must not leave the service acting on the person's sign-in.
    let ended = oidc_logouts::end_sign_ins(
        &mut tx,
        Ended::Service { account, client_id },
        "consent_withdrawn",
    )
    .await?;
    let (tokens_revoked, sign_ins) = (ended.tokens_revoked, ended.sign_ins);
    if consents == 0 && tokens_revoked == 0 {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let object = format!("oidc_client:{client_id}");
    tx.audit(audit_record(
        Some(actor),
        "service_consent.withdrawn",
        &object,
        None,
        false,
    ));
    tx.commit().await?;
    Ok(Withdrawal {
        consents,
        tokens_revoked,
        sign_ins,
    })
}

/// `GET /v1/me/service-consents`.
pub(super) async fn get_consents(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<ServiceConsentView>>> {
    Ok(Json(list_consents(&state, &auth.session.account).await?))
}

/// `DELETE /v1/me/service-consents/{client_id}`: one tap, like a decline (it only reduces what
/// is shared), in any of the person's sessions.
pub(super) async fn delete_consent(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<ConsentWithdrawn>> {
    let w = withdraw_consent(&state, &auth.session.actor(), &client_id).await?;
    Ok(Json(ConsentWithdrawn {
        client_id,
        consents: w.consents,
        tokens_revoked: w.tokens_revoked,
    }))
}
