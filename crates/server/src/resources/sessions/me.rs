//! The two reads every signed-in screen needs: who am I, and my inbox.

use axum::Json;
use axum::extract::State;
use dinhdanh_core::api::{AccountView, Notification};
use dinhdanh_core::ids::NotificationId;

use crate::http::auth::Authed;
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::store::notifications;
use crate::store::values::{from_word, parse_stored};

/// `GET /v1/me`: the signed-in account, as the request's authentication read it.
pub(super) async fn me(authed: Authed<()>) -> ServerResult<Json<AccountView>> {
    accounts::session_account_view(&authed.session).map(Json)
}

/// Most notifications returned at once.
const INBOX_PAGE: i64 = 200;

/// `GET /v1/me/notifications`: the signed-in account's inbox, newest first.
pub(super) async fn notifications(
    State(state): State<AppState>,
    authed: Authed<()>,
) -> ServerResult<Json<Vec<Notification>>> {
    let rows = notifications::newest(
        &mut *state.pool.acquire().await?,
        authed.session.account.as_str(),
        INBOX_PAGE,
    )
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Notification {
                id: parse_stored(NotificationId::parse(&row.id))?,
                kind: from_word(&row.kind)?,
                title_vi: row.title_vi,
                title_en: row.title_en,
                body_vi: row.body_vi,
                body_en: row.body_en,
                created_at: timestamp(row.created_at),
                read: row.read_at.is_some(),
                link: row.link,
            })
        })
        .collect::<ServerResult<Vec<_>>>()
        .map(Json)
}
