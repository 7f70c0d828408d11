//! The server's error: every failure becomes the core crate's one [`ApiError`] shape, with the
//! HTTP status of its [`ErrorCode`]. Database and other internal failures are logged (without
//! secrets) and answered with `internal`, never with their text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::error::IdError;

/// A failure of a request.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A failure the person is told about (boxed: it is large, and errors travel by value).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Something else failed inside the server.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServerError {
    /// An error of a known kind.
    pub fn code(code: ErrorCode) -> Self {
        ServerError::Api(Box::new(ApiError::new(code)))
    }

    /// Whether this is the given kind.
    pub fn is(&self, code: ErrorCode) -> bool {
        matches!(self, ServerError::Api(e) if e.kind() == Some(code))
    }
}

impl From<ApiError> for ServerError {
    fn from(e: ApiError) -> Self {
        ServerError::Api(Box::new(e))
    }
}

impl From<ErrorCode> for ServerError {
    fn from(code: ErrorCode) -> Self {
        ServerError::code(code)
    }
}

/// An identifier in a request that does not parse, reported on its field inside the
/// `validation_failed` envelope.
pub fn invalid_field(error: &IdError, field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![ApiError::from_id_error(error, field)])
        .into()
}

/// Free text refused by the text policy (`dinhdanh_core::text`): `validation_failed`, with the
/// problem (`control_character`, `too_long`, ...) for the named field in its details.
pub fn invalid_text(problem: dinhdanh_core::text::TextProblem, field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![ApiError::from_text_problem(problem, field)])
        .into()
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let api = match self {
            ServerError::Api(e) => *e,
            ServerError::Database(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(ErrorCode::Internal)
            }
            ServerError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                ApiError::new(ErrorCode::Internal)
            }
        };
        let status = api.kind().map_or(400, ErrorCode::http_status);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(&api)).into_response();
        if let Some(secs) = api.retry_after_secs {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// The result of a handler.
pub type ServerResult<T> = Result<T, ServerError>;
