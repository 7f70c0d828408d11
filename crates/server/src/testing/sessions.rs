//! Sessions.

use dinhdanh_core::api::{SessionToken, SessionView};

use super::{AppState, ServerResult};
use crate::resources::sessions as inner;

pub use inner::NewSession;

/// A session made directly (a desktop session as QR login would make it, a device's).
pub async fn create_session(
    state: &AppState,
    new: NewSession<'_>,
) -> ServerResult<(SessionToken, SessionView)> {
    inner::create_session(state, new).await
}
