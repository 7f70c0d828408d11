//! Attachments on disk: documents a person uploads for a request (PDF, JPEG or PNG by
//! content), stored under `<data_dir>/attachments/<sha256>` with their metadata in the
//! database, and served only to their uploader and to officers of the province of a request
//! they are attached to.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::{ApiError, AttachmentView, ErrorCode, MediaType};
use dinhdanh_core::crypto::{Digest32, sha256};
use dinhdanh_core::ids::{AccountId, AttachmentId};
use dinhdanh_core::org_type::DocumentKind;

use super::views::attachment_view;
use crate::authz;
use crate::http::auth::{self, Authed, IdlePolicy};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::rate_limit::hex;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::audit;
use crate::store::audit::{Actor, refuse};
use crate::store::registration_attachments::{self as store, NewAttachment};
use crate::store::tx::Tx;
use crate::store::values::word;

/// `?kind=` of an upload.
#[derive(serde::Deserialize)]
pub(super) struct UploadQuery {
    kind: DocumentKind,
}

fn attachment_path(state: &AppState, hash: &Digest32) -> std::path::PathBuf {
    state
        .config
        .data_dir
        .join(store::ATTACHMENTS_DIR)
        .join(hex(hash.as_bytes()))
}

fn rejected(field: &str) -> ServerError {
    ApiError::new(ErrorCode::AttachmentRejected)
        .with_field(field)
        .into()
}

/// Stores a document for `owner`: PDF, JPEG or PNG by content, at most
/// [`MediaType::MAX_SIZE`] bytes; the content goes to `<data_dir>/attachments/<sha256>`
/// (written once, then renamed into place), the metadata to the database.
pub async fn store_attachment(
    state: &AppState,
    owner: &AccountId,
    kind: DocumentKind,
    content: &[u8],
) -> ServerResult<AttachmentView> {
    let mut tx = Tx::begin(state, "attachment.upload").await?;
    let stored = store_attachment_in(&mut tx, state, owner, kind, content).await?;
    tx.commit().await?;
    Ok(stored)
}

/// [`store_attachment`] as part of the action `tx`. The content on disk is named by its hash:
/// when the action rolls back, it stays there unreferenced and harmless.
pub(super) async fn store_attachment_in(
    tx: &mut Tx,
    state: &AppState,
    owner: &AccountId,
    kind: DocumentKind,
    content: &[u8],
) -> ServerResult<AttachmentView> {
    let id =
        AttachmentId::parse(&new_id("att")).map_err(|e| ServerError::Internal(e.to_string()))?;
    let key = crate::store::accounts::by_id(tx.conn()?, owner.as_str())
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?
        .citizen_key;
    store_attachment_as(tx, state, &id, Some(owner), &key, kind, content).await
}

/// [`store_attachment_in`] under an id chosen before (a scan the officer's phone confirmed by
/// its id and digest), for the person with citizen key `owner_key` and their account `owner`
/// (`None` for a requester taken at the counter who has no account yet).
pub(super) async fn store_attachment_as(
    tx: &mut Tx,
    state: &AppState,
    id: &AttachmentId,
    owner: Option<&AccountId>,
    owner_key: &[u8],
    kind: DocumentKind,
    content: &[u8],
) -> ServerResult<AttachmentView> {
    let (media, hash) = keep_content(state, content).await?;
    let now = tx.now();
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    store::insert(
        tx.conn()?,
        &NewAttachment {
            id: id.as_str(),
            owner,
            owner_key,
            kind: word(&kind)?,
            media_type: word(&media)?,
            size,
            sha256: hash.as_bytes().to_vec(),
            uploaded_at: now,
        },
    )
    .await?;
    Ok(AttachmentView {
        id: id.clone(),
        kind,
        media_type: media,
        size: content.len() as u64,
        sha256: hash,
        uploaded_at: timestamp(now),
    })
}

/// The checks of every upload, storing nothing: the document's media type, or the field an
/// `attachment_rejected` names — `size` over [`MediaType::MAX_SIZE`] bytes, `media_type` when
/// it is not a PDF, JPEG or PNG by content.
pub fn checked_media_type(content: &[u8]) -> Result<MediaType, &'static str> {
    if content.len() as u64 > MediaType::MAX_SIZE {
        return Err("size");
    }
    MediaType::sniff(content).ok_or("media_type")
}

/// Checks a document as every upload is checked — at most [`MediaType::MAX_SIZE`] bytes, a
/// PDF, JPEG or PNG by content (`attachment_rejected`, field `size` or `media_type`) — and
/// keeps its content under `<data_dir>/attachments/<sha256>` (written once, then renamed into
/// place), with no database row: nothing refers to it until an action stores its row.
pub async fn keep_content(state: &AppState, content: &[u8]) -> ServerResult<(MediaType, Digest32)> {
    let media = checked_media_type(content).map_err(rejected)?;
    let hash = sha256(content);
    let path = attachment_path(state, &hash);
    if !path.exists() {
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .ok_or_else(|| ServerError::Internal("attachment directory".into()))?;
        let bytes = content.to_vec();
        let tmp = dir.join(format!("{}.part", new_id("tmp")));
        let final_path = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &final_path)
        })
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?
        .map_err(|e| ServerError::Internal(format!("storing an attachment: {e}")))?;
    }
    Ok((media, hash))
}

/// The content kept under `hash` by [`keep_content`], checked against it; `None` when there is
/// none (or it changed on disk).
pub async fn kept_content(state: &AppState, hash: &Digest32) -> ServerResult<Option<Vec<u8>>> {
    let path = attachment_path(state, hash);
    let content = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    Ok(content.ok().filter(|c| &sha256(c) == hash))
}

/// How long the per-account upload quota looks back, in seconds.
pub const QUOTA_WINDOW_SECS: i64 = 24 * 3600;

/// Most uploads one account makes in [`QUOTA_WINDOW_SECS`]: a request needs at most two
/// documents, so this leaves room for many corrections.
pub const MAX_UPLOADS_PER_WINDOW: i64 = 20;

/// Most bytes one account uploads in [`QUOTA_WINDOW_SECS`] (five documents of the largest
/// size).
pub const MAX_UPLOAD_BYTES_PER_WINDOW: i64 = 5 * MediaType::MAX_SIZE as i64;

/// `POST /v1/attachments?kind=authorisation_letter|founding_decision`: the raw document in a
/// session with a request proof over it.
///
/// The session and the proof are checked before a byte of the body is read, then the
/// account's quota (`attachment_quota_exceeded`: at most [`MAX_UPLOADS_PER_WINDOW`] uploads
/// and [`MAX_UPLOAD_BYTES_PER_WINDOW`] bytes in [`QUOTA_WINDOW_SECS`]); only then is the body
/// read, and never more than [`MediaType::MAX_SIZE`] bytes of it (`attachment_rejected`,
/// field `size`, also when the declared length is over). Refused (`attachment_rejected`)
/// when it is not a PDF, JPEG or PNG by content; `invalid_request_proof` when the body is not
/// the one the proof was made for.
pub(super) async fn upload(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<AttachmentView>> {
    let (parts, body) = req.into_parts();
    let (session, body_hash) =
        auth::authenticate_before_body(&state, &parts, IdlePolicy::MustBeActive).await?;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MediaType::MAX_SIZE) {
        return Err(rejected("size"));
    }
    check_quota(&state, &session.account, declared.unwrap_or(0)).await?;
    let limit = usize::try_from(MediaType::MAX_SIZE).unwrap_or(usize::MAX);
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| rejected("size"))?;
    // Again with the bytes received: a body sent without a declared length counts too.
    check_quota(&state, &session.account, body.len() as u64).await?;
    if sha256(&body) != body_hash {
        tracing::info!("request proof refused: made for another body");
        return Err(ServerError::code(ErrorCode::InvalidRequestProof));
    }
    // A consent on paper is scanned at the counter (the console), never sent from the app.
    let query = Query::<UploadQuery>::try_from_uri(&parts.uri)
        .ok()
        .filter(|Query(q)| q.kind.uploaded_from_the_app());
    let Some(Query(q)) = query else {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("kind"),
            ])
            .into());
    };
    let actor = session.actor();
    let mut tx = Tx::begin(&state, "attachment.upload").await?;
    match store_attachment_in(&mut tx, &state, &session.account, q.kind, &body).await {
        Ok(stored) => {
            let object = format!("attachment:{}", stored.id);
            tx.audit(actor.record("attachment.uploaded", &object, None, false));
            tx.commit().await?;
            Ok(Json(stored))
        }
        Err(e) => {
            drop(tx);
            // A refused upload changed nothing: its entry stands alone.
            audit::append(
                &state,
                actor.record("attachment.uploaded", "attachment:new", None, true),
            )
            .await?;
            Err(e)
        }
    }
}

/// Refuses an upload of `incoming` bytes (`attachment_quota_exceeded`) when it would take the
/// account past its quota.
async fn check_quota(state: &AppState, account: &AccountId, incoming: u64) -> ServerResult<()> {
    let since = state.now() - QUOTA_WINDOW_SECS;
    let (count, bytes) =
        store::uploaded_since(&mut *state.pool.acquire().await?, account, since).await?;
    let incoming = i64::try_from(incoming).unwrap_or(i64::MAX);
    if count >= MAX_UPLOADS_PER_WINDOW
        || bytes.saturating_add(incoming) > MAX_UPLOAD_BYTES_PER_WINDOW
    {
        return Err(ServerError::code(ErrorCode::AttachmentQuotaExceeded));
    }
    Ok(())
}

/// `GET /v1/attachments/{id}`: the content, to its uploader and to officers of the province of
/// a request it is attached to; anyone else is refused (`forbidden`, audited).
pub(super) async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Response> {
    let id = AttachmentId::parse(&id).map_err(|e| crate::infra::error::invalid_field(&e, "id"))?;
    let (meta, content) = read_attachment(&state, &auth.session.actor(), &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.media_type.mime()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_DISPOSITION, "attachment"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        content,
    )
        .into_response())
}

/// The attachment `id` and its content, read by `actor`: its uploader, or an officer of the
/// province of a request it is attached to (the officer role read now); anyone else is refused
/// (`forbidden`, audited). Each read is audited (`attachment.read`). The content is checked
/// against its hash, so a file changed on disk is never served.
pub async fn read_attachment(
    state: &AppState,
    actor: &Actor,
    id: &AttachmentId,
) -> ServerResult<(AttachmentView, Vec<u8>)> {
    let row = store::find(&mut *state.pool.acquire().await?, id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let object = format!("attachment:{id}");
    let mut allowed = row.owner_account.as_deref() == Some(actor.account.as_str());
    if !allowed {
        if let Some(province) = authz::officer_province(state, &actor.account).await? {
            allowed =
                store::attached_in_province(&mut *state.pool.acquire().await?, id, province.key())
                    .await?;
        }
    }
    if !allowed {
        return Err(refuse(
            state,
            Some(actor),
            "attachment.read.refused",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let meta = attachment_view(&row)?;
    let path = attachment_path(state, &meta.sha256);
    let content = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?
        .map_err(|e| ServerError::Internal(format!("reading an attachment: {e}")))?;
    if sha256(&content) != meta.sha256 {
        return Err(ServerError::Internal(
            "an attachment's content changed on disk".into(),
        ));
    }
    audit::append(state, actor.record("attachment.read", &object, None, false)).await?;
    Ok((meta, content))
}
