//! OAuth's own error shape (RFC 6749 §5.2): `{"error": …, "error_description": …}`, for the
//! endpoints a relying party's library calls (PAR, token, introspection, userinfo). The phone's
//! routes answer the API's one error shape instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::infra::error::ServerError;

/// Why a browser was refused, in words a person can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserRefusal {
    /// The sign-in was started in another browser (no cookie, or another one's): a relayed
    /// link or code.
    NotThisBrowser,
    /// The sign-in is unknown here (a mistyped or very old link).
    UnknownSignIn,
    /// The sign-in is over: its code was collected already.
    Finished,
    /// The page's code was replaced by a newer one in the same browser.
    Replaced,
    /// The pushed request behind the page was used or expired (a reload of an old page).
    RequestUsed,
    /// The service is not registered here, or was disabled.
    UnknownService,
    /// Anything else: the service sent a request this provider does not accept.
    BadRequest,
}

/// A refusal of an OAuth endpoint.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// For userinfo: the `WWW-Authenticate: DPoP …` challenge.
    dpop_challenge: bool,
    /// For a rate limit: the seconds of `Retry-After`.
    retry_after: Option<u64>,
    /// What a person's browser is told (`refusal_page`); `None` reads as
    /// [`BrowserRefusal::BadRequest`].
    browser: Option<BrowserRefusal>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            dpop_challenge: false,
            retry_after: None,
            browser: None,
        }
    }

    /// `invalid_request`: a parameter is missing, repeated or malformed.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// `invalid_client`: the client is unknown, disabled, or its assertion does not hold.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// `invalid_grant`: the code is unknown, used, expired, or bound to something else.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// `access_denied`, answered to a browser that may not continue a sign-in.
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "access_denied", description)
    }

    /// `unsupported_response_type`: implicit and hybrid flows are refused.
    pub fn unsupported_response_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            description,
        )
    }

    /// `unsupported_grant_type`.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        )
    }

    /// `invalid_scope`.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// `invalid_dpop_proof` (RFC 9449 §5).
    pub fn invalid_dpop_proof(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    /// `invalid_token` on a protected resource, with a DPoP challenge (RFC 9449 §7.1).
    pub fn invalid_token(description: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description);
        e.dpop_challenge = true;
        e
    }

    /// `429 Too Many Requests` with `Retry-After`, for a client over its own limit
    /// (`temporarily_unavailable`, the registered OAuth error closest in meaning).
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            format!("too many requests from this client; try again in {retry_after_secs} s"),
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// Names what a person's browser is told about this refusal.
    pub fn for_browser(mut self, refusal: BrowserRefusal) -> Self {
        self.browser = Some(refusal);
        self
    }

    /// What a person's browser is told about this refusal.
    pub fn browser_refusal(&self) -> BrowserRefusal {
        self.browser.unwrap_or(BrowserRefusal::BadRequest)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `error` code.
    pub fn code(&self) -> &'static str {
        self.error
    }
}

impl From<ServerError> for OAuthError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Api(api) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request", api.message_en)
            }
            other => {
                tracing::error!(error = %other, "openid provider");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error",
                )
            }
        }
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        ServerError::from(e).into()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.dpop_challenge {
            let value = format!("DPoP error=\"{}\", algs=\"ES256\"", self.error);
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}

/// The result of an OAuth endpoint.
pub type OAuthResult<T> = Result<T, OAuthError>;
