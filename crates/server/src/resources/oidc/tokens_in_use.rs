//! Access tokens in use: introspection (RFC 7662) for a client's back end, and userinfo for a
//! DPoP-bound token (RFC 9449 §7). A token is active only while it is unexpired and unrevoked,
//! the account is not locked and, for an organisation, the person may still act for it at this
//! service — so a revoked delegation, or this service removed from it, makes the token inactive
//! at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::ids::{AccountId, OrgEid};
use serde_json::{Value, json};

use super::claims::{self, Released};
use super::client_limits;
use super::error::{OAuthError, OAuthResult};
use super::jose::{self, Form};
use super::token::access_token_hash;
use super::{ACR_LEVEL_2, INTROSPECT, USERINFO, endpoint, issuer};
use crate::authz;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::clients::{self, Client};
use crate::store::oidc_sign_ins;
use crate::store::oidc_tokens::{self, AccessTokenRow};
use crate::store::values::parse_stored;

/// A token that is active now, with its account and organisation.
struct Active {
    row: AccessTokenRow,
    account: AccountId,
    acting_for: Option<OrgEid>,
}

/// The token if it is active now (see the module documentation), else `None`.
async fn active(state: &AppState, token: &str) -> OAuthResult<Option<Active>> {
    let hash = access_token_hash(state, token);
    let Some(row) = oidc_tokens::find(&mut *state.pool.acquire().await?, &hash).await? else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || state.now() >= row.expires_at {
        return Ok(None);
    }
    let account = parse_stored(AccountId::parse(&row.account_id))?;
    let locked = accounts::find_account(state, &account)
        .await?
        .is_none_or(|a| a.locked);
    if locked {
        return Ok(None);
    }
    let acting_for = row
        .acting_for
        .as_deref()
        .map(|e| parse_stored(OrgEid::parse(e)))
        .transpose()?;
    if let Some(eid) = &acting_for {
        if authz::may_act_for_here(state, &account, eid, &row.client_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
    }
    Ok(Some(Active {
        row,
        account,
        acting_for,
    }))
}

fn no_store(value: Value) -> Response {
    let mut response = Json(value).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /oidc/introspect`: `{"active": false}` for a token that is not active or was issued
/// to another client; otherwise who it is for and what it is bound to.
pub(super) async fn introspect(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> OAuthResult<Response> {
    let form = Form::parse(&body)?;
    let client =
        client_limits::authenticate(&state, &parts, &form, &endpoint(&state, INTROSPECT)).await?;
    client_limits::count(&state, &client, client_limits::Endpoint::Introspect)?;
    let token = form.require("token")?;
    let Some(a) = active(&state, token).await? else {
        return Ok(no_store(json!({"active": false})));
    };
    // A client learns nothing about another client's tokens.
    if a.row.client_id != client.id {
        return Ok(no_store(json!({"active": false})));
    }
    let mut out = json!({
        "active": true,
        "iss": issuer(&state),
        "client_id": client.id,
        "aud": client.id,
        "sub": claims::pairwise_sub(&state, &client.sector, a.account.as_str()),
        "scope": a.row.scope,
        "iat": a.row.issued_at,
        "exp": a.row.expires_at,
        "token_type": "DPoP",
        "acr": ACR_LEVEL_2,
        "cnf": {"jkt": a.row.jkt},
    });
    if let Some(eid) = &a.acting_for {
        if let Some(org) = claims::organisation_claim(&state, &a.account, eid, &client.id).await? {
            out[claims::ORGANISATION] = org;
        }
    }
    Ok(no_store(out))
}

/// `GET|POST /oidc/userinfo` with `Authorization: DPoP <token>` and a DPoP proof for it by the
/// key the token is bound to.
pub(super) async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> OAuthResult<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("DPoP "))
        .ok_or_else(|| OAuthError::invalid_token("a DPoP-bound access token is required"))?;
    let proof = jose::verify_dpop(
        &state,
        &headers,
        method.as_str(),
        &endpoint(&state, USERINFO),
        Some(token),
    )
    .await?;
    let a = active(&state, token)
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the access token is not active"))?;
    if !jose::constant_time_eq(a.row.jkt.as_bytes(), proof.jkt.as_bytes()) {
        return Err(OAuthError::invalid_token(
            "the DPoP proof is not by the key the token is bound to",
        ));
    }
    let client: Client = clients::find_client(&state, &a.row.client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| OAuthError::invalid_token("the client is disabled"))?;
    let sign_in = oidc_sign_ins::find(&mut *state.pool.acquire().await?, &a.row.sign_in_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the sign-in is gone"))?;
    let released: Vec<String> = serde_json::from_str(sign_in.claims.as_deref().unwrap_or("[]"))
        .map_err(|_| OAuthError::from(ServerError::Internal("stored claims".into())))?;
    let claims = claims::user_claims(
        &state,
        &Released {
            client: &client,
            account: &a.account,
            acting_for: a.acting_for.as_ref(),
            claims: &released,
        },
    )
    .await?;
    Ok(no_store(Value::Object(claims)))
}
