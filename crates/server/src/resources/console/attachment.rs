//! An attachment of a request, for the officer's page: read by the one rule of
//! `registrations::read_attachment` (its uploader, or an officer of the province of a request
//! it is attached to; every read audited with the officer as actor), served with its own
//! media type, `nosniff` and a `Content-Disposition` — inline for an image the page shows,
//! a download for a PDF — so nothing of it is ever taken for a page of this origin.

use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::{ErrorCode, MediaType};
use dinhdanh_core::ids::AttachmentId;

use super::pages::{self, Failure};
use super::queue::officer_or_page;
use crate::infra::error::ServerError;
use crate::infra::state::AppState;
use crate::resources::registrations;
use crate::store::audit::Actor;

/// `GET /console/attachments/{id}`.
pub(super) async fn attachment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let Ok(id) = AttachmentId::parse(&id) else {
        return pages::failure(&state, Failure::NotFound);
    };
    let actor = Actor::person(&officer.account);
    let (meta, content) = match registrations::read_attachment(&state, &actor, &id).await {
        Ok(read) => read,
        // Another province's, or nobody's: the same "not found" as the request page.
        Err(ServerError::Api(e))
            if e.code == ErrorCode::Forbidden.as_str()
                || e.code == ErrorCode::NotFound.as_str() =>
        {
            return pages::failure(&state, Failure::NotFound);
        }
        Err(e) => return pages::server_error(&state, e),
    };
    let disposition = match meta.media_type {
        MediaType::Pdf => format!("attachment; filename=\"{}.pdf\"", meta.id),
        MediaType::Jpeg => format!("inline; filename=\"{}.jpg\"", meta.id),
        MediaType::Png => format!("inline; filename=\"{}.png\"", meta.id),
    };
    let mut response = content.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(meta.media_type.mime()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
