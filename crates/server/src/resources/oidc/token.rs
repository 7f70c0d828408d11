//! The token endpoint: a code, redeemed once within [`super::CODE_SECS`] by the client it was issued
//! to, with the redirect URI and the PKCE verifier it was bound to, becomes an ID token and an
//! access token bound to the client's DPoP key. A code presented again revokes the sign-in and
//! every token issued from it (RFC 6749 §4.1.2, FAPI 2.0).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::ids::{AccountId, OrgEid};
use serde_json::json;

use super::claims::{self, IdToken, Released};
use super::client_limits;
use super::error::{OAuthError, OAuthResult};
use super::jose::{self, Form};
use super::sign_in::SignInState;
use super::{TOKEN, TOKEN_SECS, endpoint, keys, logout};
use crate::infra::error::ServerError;
use crate::infra::ids::random_bytes;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::store::audit::AuditRecord;
use crate::store::oidc_logouts;
use crate::store::oidc_sign_ins::{self, SignInRow};
use crate::store::oidc_tokens::{self, AccessTokenRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

/// The stored form of a code: a keyed hash, so a database dump holds no usable code.
pub(super) fn code_hash(state: &AppState, code: &str) -> Vec<u8> {
    state.keys.keyed_hash(&[b"oidc.code\0", code.as_bytes()])
}

/// The stored form of an access token.
pub(super) fn access_token_hash(state: &AppState, token: &str) -> Vec<u8> {
    state
        .keys
        .keyed_hash(&[b"oidc.access_token\0", token.as_bytes()])
}

/// The object audit entries of a sign-in name.
pub(super) fn sign_in_object(id: &str) -> String {
    format!("oidc_sign_in:{id}")
}

/// A code presented again: the sign-in and every token issued from it are revoked, and the
/// attempt is audited as a refusal.
pub(crate) async fn revoke_after_replay(
    state: &AppState,
    row: &SignInRow,
) -> OAuthResult<OAuthError> {
    let mut tx = Tx::begin(state, "oidc.code_replay").await?;
    let now = tx.now();
    oidc_sign_ins::revoke(tx.conn()?, &row.sign_in_id).await?;
    oidc_tokens::revoke_sign_in(tx.conn()?, &row.sign_in_id, now).await?;
    let object = sign_in_object(&row.sign_in_id);
    tx.audit(AuditRecord {
        actor: row.account_id.as_deref(),
        acting_for: row.acting_for.as_deref(),
        device: None,
        action: "oidc.code_replay",
        object: Some(&object),
        subject_key: None,
        denied: true,
    });
    tx.commit().await?;
    Ok(OAuthError::invalid_grant(
        "the code was already used; everything issued from it is revoked",
    ))
}

fn stored<T: serde::de::DeserializeOwned>(text: Option<&str>) -> OAuthResult<T> {
    serde_json::from_str(text.unwrap_or_default())
        .map_err(|_| ServerError::Internal("a stored sign-in does not parse".into()).into())
}

/// A code as a client presents it: at the token endpoint, or in this process by a first-party
/// client (`resources::console`).
pub(crate) struct PresentedCode<'a> {
    /// The client that presents it.
    pub client_id: &'a str,
    /// The code.
    pub code: &'a str,
    /// The redirect URI it was sent to.
    pub redirect_uri: &'a str,
    /// The PKCE verifier.
    pub code_verifier: Option<&'a str>,
    /// The thumbprint of the DPoP key the client proved, if any.
    pub dpop_jkt: Option<&'a str>,
}

/// A code that passed every check, not yet redeemed ([`redeem`]).
pub(crate) struct CheckedCode {
    /// Its sign-in.
    pub row: SignInRow,
    /// The account the phone approved for.
    pub account: AccountId,
    /// The organisation it acts for, if any.
    pub acting_for: Option<OrgEid>,
}

/// Checks a presented code: known, issued and not yet redeemed (a code presented again
/// revokes its sign-in and everything issued from it), bound to this DPoP key if bound to one,
/// issued to this client for this redirect URI, the PKCE verifier matching, within
/// [`super::CODE_SECS`], and the account there and not locked.
pub(crate) async fn check_code(
    state: &AppState,
    presented: &PresentedCode<'_>,
) -> OAuthResult<CheckedCode> {
    let row = oidc_sign_ins::find_by_code(
        &mut *state.pool.acquire().await?,
        &code_hash(state, presented.code),
    )
    .await?
    .ok_or_else(|| OAuthError::invalid_grant("unknown code"))?;
    match from_word::<SignInState>(&row.state)? {
        SignInState::CodeIssued => {}
        SignInState::Redeemed | SignInState::Revoked => {
            return Err(revoke_after_replay(state, &row).await?);
        }
        _ => return Err(OAuthError::invalid_grant("unknown code")),
    }
    if row
        .dpop_jkt
        .as_deref()
        .is_some_and(|jkt| Some(jkt) != presented.dpop_jkt)
    {
        return Err(OAuthError::invalid_grant(
            "the code is bound to another DPoP key (dpop_jkt)",
        ));
    }
    if row.client_id != presented.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if row.redirect_uri != presented.redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let verifier = presented
        .code_verifier
        .ok_or_else(|| OAuthError::invalid_grant("code_verifier is missing (PKCE)"))?;
    if !jose::pkce_matches(verifier, &row.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "code_verifier does not match (PKCE)",
        ));
    }
    let now = state.now();
    if row.code_expires_at.is_none_or(|t| now >= t) {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    let account = parse_stored(AccountId::parse(
        row.account_id.as_deref().unwrap_or_default(),
    ))?;
    let acting_for = row
        .acting_for
        .as_deref()
        .map(|e| parse_stored(OrgEid::parse(e)))
        .transpose()?;
    let person = accounts::find_account(state, &account)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the account is gone"))?;
    if person.locked {
        return Err(OAuthError::invalid_grant("the account is locked"));
    }
    Ok(CheckedCode {
        row,
        account,
        acting_for,
    })
}

/// Redeems a checked code in `tx`, once; `false` when another request redeemed it first (or it
/// expired this instant): a replay, which the caller answers, after dropping `tx`, with
/// [`revoke_after_replay`].
pub(crate) async fn redeem(tx: &mut Tx, row: &SignInRow) -> OAuthResult<bool> {
    let now = tx.now();
    Ok(oidc_sign_ins::redeem(tx.conn()?, &row.sign_in_id, now).await?)
}

/// `POST /oidc/token`.
pub(super) async fn token(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> OAuthResult<Response> {
    let headers = &parts.headers;
    let form = Form::parse(&body)?;
    let url = endpoint(&state, TOKEN);
    let client = client_limits::authenticate(&state, &parts, &form, &url).await?;
    client_limits::count(&state, &client, client_limits::Endpoint::Token)?;
    if form.require("grant_type")? != "authorization_code" {
        return Err(OAuthError::unsupported_grant_type(
            "only authorization_code is supported (no refresh tokens)",
        ));
    }
    let proof = jose::verify_dpop(&state, headers, "POST", &url, None).await?;
    let CheckedCode {
        row,
        account,
        acting_for,
    } = check_code(
        &state,
        &PresentedCode {
            client_id: &client.id,
            code: form.require("code")?,
            redirect_uri: form.require("redirect_uri")?,
            code_verifier: form.get("code_verifier"),
            dpop_jkt: Some(&proof.jkt),
        },
    )
    .await?;
    let released_claims: Vec<String> = stored(row.claims.as_deref())?;
    let amr: Vec<String> = stored(row.amr.as_deref())?;
    let mut id_claims = claims::id_token_claims(
        &state,
        &IdToken {
            released: Released {
                client: &client,
                account: &account,
                acting_for: acting_for.as_ref(),
                claims: &released_claims,
            },
            nonce: &row.nonce,
            auth_time: row.auth_time.unwrap_or(row.created_at),
            amr,
        },
    )
    .await?;
    // The session id, for RP-initiated and back-channel logout (`logout`).
    let sid = logout::sid(&state, &row.sign_in_id);
    id_claims["sid"] = sid.clone().into();
    let id_token = keys::sign(&state, &id_claims).await?;
    let access_token = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    };
    let mut tx = Tx::begin(&state, "oidc.token").await?;
    let now = tx.now();
    if !redeem(&mut tx, &row).await? {
        drop(tx);
        return Err(revoke_after_replay(&state, &row).await?);
    }
    oidc_logouts::set_sid(tx.conn()?, &row.sign_in_id, &sid).await?;
    oidc_tokens::sweep_expired(tx.conn()?, now - TOKEN_SECS).await?;
    oidc_tokens::insert(
        tx.conn()?,
        &access_token_hash(&state, &access_token),
        &AccessTokenRow {
            sign_in_id: row.sign_in_id.clone(),
            client_id: client.id.clone(),
            account_id: account.as_str().to_owned(),
            acting_for: row.acting_for.clone(),
            jkt: proof.jkt,
            scope: row.scope.clone(),
            issued_at: now,
            expires_at: now + TOKEN_SECS,
            revoked_at: None,
        },
    )
    .await?;
    let object = sign_in_object(&row.sign_in_id);
    tx.audit(AuditRecord {
        actor: Some(account.as_str()),
        acting_for: row.acting_for.as_deref(),
        device: None,
        action: "oidc.token",
        object: Some(&object),
        subject_key: None,
        denied: false,
    });
    tx.commit().await?;
    let mut response = Json(json!({
        "access_token": access_token,
        "token_type": "DPoP",
        "expires_in": TOKEN_SECS,
        "id_token": id_token,
        "scope": row.scope,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
