//! Creating and ending sessions (used by sign-in here, by QR login and by device changes),
//! and how a stored session reads to its owner.

use axum::extract::Request;
use axum::http::request::Parts;
use dinhdanh_core::api::{ErrorCode, SessionKind, SessionToken, SessionView};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid, SessionId};

use crate::http::auth::{self, SessionContext};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::{new_id, random_bytes};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::audit::AuditRecord;
use crate::store::sessions::{self, NewSessionRow, SessionRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, public_key_from_db, word};

/// What a new session is.
pub struct NewSession<'a> {
    /// Its owner.
    pub account: &'a AccountId,
    /// The bound phone (for a phone session, and for a desktop: the phone that approved it).
    pub device: Option<&'a DeviceId>,
    /// Phone or desktop.
    pub kind: SessionKind,
    /// The key every request of the session must be signed with.
    pub bound_key: &'a PublicKey,
    /// The organisation it acts for from the start, if any.
    pub acting_for: Option<&'a OrgEid>,
    /// A name the person recognises.
    pub client_name: &'a str,
}

/// Creates a session and returns its token (the only time it exists in clear on the server)
/// and how its owner sees it. Idle and absolute expiry come from the configuration.
pub async fn create_session(
    state: &AppState,
    new: NewSession<'_>,
) -> ServerResult<(SessionToken, SessionView)> {
    let mut tx = Tx::begin(state, "session.create").await?;
    let created = create_session_in(&mut tx, state, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// [`create_session`] as part of the action `tx` (the session exists only if it commits).
pub async fn create_session_in(
    tx: &mut Tx,
    state: &AppState,
    new: NewSession<'_>,
) -> ServerResult<(SessionToken, SessionView)> {
    let token = SessionToken::from_random(&random_bytes::<32>());
    let id = new_id("ses");
    let now = tx.now();
    let absolute = now + state.config.limits.session_absolute_secs;
    sessions::insert(
        tx.conn()?,
        NewSessionRow {
            id: &id,
            token_hash: token.hash().as_bytes().to_vec(),
            account: new.account.as_str(),
            device: new.device.map(DeviceId::as_str),
            kind: &word(&new.kind)?,
            bound_key: new.bound_key.as_bytes().to_vec(),
            acting_for: new.acting_for.map(OrgEid::as_str),
            client_name: new.client_name,
            created_at: now,
            absolute_expires_at: absolute,
        },
    )
    .await?;
    let view = SessionView {
        id: parse_stored(SessionId::parse(&id))?,
        kind: new.kind,
        account: new.account.clone(),
        acting_for: new.acting_for.cloned(),
        bound_key_id: new.bound_key.key_id(),
        client_name: new.client_name.to_owned(),
        created_at: timestamp(now),
        idle_expires_at: timestamp(now + state.config.limits.session_idle_secs),
        absolute_expires_at: timestamp(absolute),
    };
    Ok((token, view))
}

/// A stored session as its owner sees it.
pub(super) fn session_view(state: &AppState, row: SessionRow) -> ServerResult<SessionView> {
    let key = public_key_from_db(&row.bound_key)?;
    Ok(SessionView {
        id: parse_stored(SessionId::parse(&row.id))?,
        kind: from_word(&row.kind)?,
        account: parse_stored(AccountId::parse(&row.account_id))?,
        acting_for: row
            .acting_for
            .map(|o| parse_stored(OrgEid::parse(&o)))
            .transpose()?,
        bound_key_id: key.key_id(),
        client_name: row.client_name,
        created_at: timestamp(row.created_at),
        idle_expires_at: timestamp(
            (row.last_seen_at + state.config.limits.session_idle_secs).min(row.absolute_expires_at),
        ),
        absolute_expires_at: timestamp(row.absolute_expires_at),
    })
}

pub(super) async fn read_request(req: Request) -> ServerResult<(Parts, axum::body::Bytes)> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    Ok((parts, body))
}

pub(super) fn session_object(id: &str) -> String {
    format!("session:{id}")
}

/// The audit entry of an action by `session` on `object`.
pub(super) fn session_record<'a>(
    session: &'a SessionContext,
    action: &'a str,
    object: &'a str,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: Some(session.account.as_str()),
        acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
        device: session.device.as_ref().map(|d| d.as_str()),
        action,
        object: Some(object),
        subject_key: None,
        denied,
    }
}

/// Ends a live session of the signing-in account, with its audit entry.
pub(super) async fn revoke(state: &AppState, by: &SessionContext, id: &str) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "session.end").await?;
    revoke_in(&mut tx, by, id).await?;
    tx.commit().await
}

/// [`revoke`] as a step of `tx`.
pub(super) async fn revoke_in(tx: &mut Tx, by: &SessionContext, id: &str) -> ServerResult<()> {
    let object = session_object(id);
    let now = tx.now();
    sessions::end(tx.conn()?, id, by.account.as_str(), now).await?;
    tx.audit(session_record(by, "session.end", &object, false));
    // Its live stream, at whichever instance, ends at once rather than at its next re-check.
    tx.wake_after_commit(&crate::store::live_events::session_topic(id));
    Ok(())
}
