//! The officer console: pages served by this server under `/console/` for the officers of the
//! provincial police who review organisation registrations (issue 16;
//! `docs/design/officer-console.md`).
//!
//! - **Sign-in** goes through this server's own OpenID provider, the console being a
//!   first-party client registered at start ([`ensure_client`]): the officer's phone approves
//!   on the provider's real login page, and the code comes back to [`CALLBACK`], where it is
//!   redeemed in this process with the token endpoint's own checks (`sign_in`).
//! - **Sessions** are a random token in a `SameSite=Strict; HttpOnly` cookie, stored hashed,
//!   ending after 15 minutes idle, 8 hours at most, at sign-out, and when the officer role is
//!   withdrawn (`session`). Every request asks [`crate::authz::console_officer`] again.
//! - **Pages** are askama templates (`templates/console/`), escaped by default, with one style
//!   sheet of this server and two scripts served as files (the waiting page's, and the request
//!   page's drawing PDF pages with pdf.js, `pdf_viewer`); every response carries the login
//!   page's strict Content Security Policy and the headers of [`crate::resources::oidc`]'s
//!   pages.
//! - **The queue** (`queue`) lists the requests of the officer's province, by the one rule of
//!   `resources::registrations::province_queue`.
//! - **Decisions** (`request`) are confirmed on the officer's own phone: the console holds no
//!   confirmation key, so a decision becomes an action waiting for the phone
//!   (`resources::desktop_actions`), and the browser waits on its page (`action`).
//! - **In-person intake** (`intake`): an organisation registered at the counter, with its
//!   scans, confirmed on the officer's phone the same way.
//! - **The working-day calendar** (`holidays`) is read by every provincial officer and changed
//!   by calendar keepers, each change confirmed on the keeper's phone the same way.

mod action;
mod attachment;
mod dashboard;
mod details;
mod holidays;
mod intake;
mod organisations;
mod pages;
pub mod pdf_viewer;
mod people;
mod queue;
mod request;
mod session;
mod sign_in;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::oidc_clients::{self, ClientRow};
use crate::store::tx::Tx;

/// `GET`: the queue, or the sign-in page without a session.
pub const HOME: &str = "/console/";
/// `POST`: starts a sign-in (the sign-in page's form).
pub const SIGN_IN: &str = "/console/sign-in";
/// `GET`: where the provider sends the browser back with the code.
pub const CALLBACK: &str = "/console/callback";
/// `POST`: ends the session (a form with the session's CSRF token).
pub const SIGN_OUT: &str = "/console/sign-out";
/// `GET`: one request of the queue.
pub const REQUEST: &str = "/console/requests/{id}";
/// `POST`: the officer's decision on a request (a form with the session's CSRF token); it is
/// sent to the officer's phone to confirm.
pub const DECISION: &str = "/console/requests/{id}/decision";
/// `GET`: an attachment of a request of the officer's province: an image inline, a PDF as a
/// download (which the request page's script reads to draw its pages); never as a page.
pub const ATTACHMENT: &str = "/console/attachments/{id}";
/// `GET`: the figures of the officer's province (every province for the national scope).
pub const DASHBOARD: &str = "/console/dashboard";
/// `GET`: the dashboard's weekly trend as an SVG image.
pub const DASHBOARD_TREND: &str = "/console/dashboard/trend.svg";
/// `GET`: the dashboard's figures as CSV.
pub const DASHBOARD_CSV: &str = "/console/dashboard.csv";
/// `GET`: the organisations of the officer's province, newest first, or those `?q=` finds.
pub const ORGANISATIONS: &str = "/console/organisations";
/// `GET`: one organisation of the officer's province.
pub const ORGANISATION: &str = "/console/organisations/{eid}";
/// `POST`: lock or unlock the organisation account, confirmed on the officer's phone.
pub const ORGANISATION_LOCK: &str = "/console/organisations/{eid}/lock";
/// `GET`: the form to look a person up; `POST` (the number in the body, never in an
/// address): the look-up.
pub const PEOPLE: &str = "/console/people";
/// `GET`: a person of the officer's province with an account.
pub const PERSON: &str = "/console/people/{id}";
/// `POST`: the same page with the full identification number (audited).
pub const PERSON_REVEAL: &str = "/console/people/{id}/reveal";
/// `POST`: lock or unlock the account, confirmed on the officer's phone.
pub const PERSON_LOCK: &str = "/console/people/{id}/lock";
/// `GET`: the in-person intake (Cách 2): the four types, or `?type=…`'s form; `POST`
/// (`multipart/form-data`, with the CSRF token): the registration, sent to the officer's phone
/// to confirm.
pub const INTAKE: &str = "/console/intake";
/// `GET`: the working-day calendar's days of a year (`?year=`); `POST`: a keeper adds a day,
/// confirmed on their phone.
pub const HOLIDAYS: &str = "/console/holidays";
/// `POST`: a keeper removes a day, confirmed on their phone.
pub const HOLIDAY_REMOVAL: &str = "/console/holidays/removal";
/// `GET`: a decision waiting for the phone, then its outcome.
pub const ACTION: &str = "/console/actions/{id}";
/// `GET`: `waiting` or `finished`, for the waiting page's script.
pub const ACTION_STATE: &str = "/console/actions/{id}/state";
/// `POST`: withdraws a decision from the phone (a form with the CSRF token).
pub const ACTION_CANCEL: &str = "/console/actions/{id}/cancel";
/// `GET`: the console's style sheet.
pub const CONSOLE_CSS: &str = "/console/assets/console.css";
/// `GET`: the waiting page's script, the console's only one.
pub const WAIT_JS: &str = "/console/assets/wait.js";

/// The console's `client_id` at the OpenID provider: fixed, so every instance and every start
/// finds the same registration.
pub const CLIENT_ID: &str = "rp_console";
/// Its registered name, as the phone shows it.
pub const CLIENT_NAME_VI: &str = "Bảng điều khiển cán bộ";
/// Its English name.
pub const CLIENT_NAME_EN: &str = "Officer console";

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/wait.js");

/// Routes of this module; every response carries [`crate::resources::oidc`]'s page headers
/// (strict CSP, `frame-ancestors 'none'`, `nosniff`, `no-referrer`) and `no-store`.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/console", get(|| async { Redirect::permanent(HOME) }))
        .route(HOME, get(queue::home))
        .route(SIGN_IN, post(sign_in::start))
        .route(CALLBACK, get(sign_in::callback))
        .route(SIGN_OUT, post(sign_in::sign_out))
        .route(REQUEST, get(request::request_page))
        .route(DECISION, post(request::decide))
        .route(ATTACHMENT, get(attachment::attachment))
        .route(DASHBOARD, get(dashboard::dashboard))
        .route(DASHBOARD_TREND, get(dashboard::trend_svg))
        .route(DASHBOARD_CSV, get(dashboard::csv))
        .route(ORGANISATIONS, get(organisations::organisations))
        .route(ORGANISATION, get(organisations::organisation))
        .route(ORGANISATION_LOCK, post(organisations::lock))
        .route(PEOPLE, get(people::people).post(people::look_up))
        .route(PERSON, get(people::person))
        .route(PERSON_REVEAL, post(people::reveal))
        .route(PERSON_LOCK, post(people::lock))
        .route(INTAKE, get(intake::intake).post(intake::submit))
        .route(HOLIDAYS, get(holidays::holidays_page).post(holidays::add))
        .route(HOLIDAY_REMOVAL, post(holidays::remove))
        .route(ACTION, get(action::action_page))
        .route(ACTION_STATE, get(action::state))
        .route(ACTION_CANCEL, post(action::cancel))
        .route(CONSOLE_CSS, get(console_css))
        .route(WAIT_JS, get(wait_js))
        .route(pdf_viewer::PDF_PAGES_JS, get(pdf_viewer::pdf_pages_js))
        .route(pdf_viewer::PDFJS_FILE, get(pdf_viewer::pdfjs_file))
        .route(pdf_viewer::PDFJS_FONT, get(pdf_viewer::pdfjs_font))
        .layer(axum::middleware::map_response(secure))
}

async fn secure(response: Response) -> Response {
    let mut response = crate::resources::oidc::secure_page(response);
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn console_css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn wait_js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(text: &'static str, content_type: &'static str) -> Response {
    let mut response = text.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// The console's redirect URI: `<issuer>/console/callback`.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK}", state.config.origin.as_str())
}

/// Registers the console as a client of this server's OpenID provider, or brings its
/// registration up to date (a new origin means a new redirect URI); done at every start, and
/// idempotent and not audited (the server's own configuration, not an action). It may receive the name only, no organisation accounts, no identification
/// number, and it has no keys: nobody can redeem its codes at the token endpoint, only this
/// process can (`sign_in`).
pub async fn ensure_client(state: &AppState) -> ServerResult<()> {
    let redirect_uris = serde_json::to_string(&[redirect_uri(state)])
        .map_err(|e| ServerError::Internal(format!("redirect URIs: {e}")))?;
    let sector = url::Url::parse(state.config.origin.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or_else(|| ServerError::Internal("the origin has no host".into()))?;
    let mut tx = Tx::begin(state, "client.add").await?;
    let now = tx.now();
    match oidc_clients::find(tx.conn()?, CLIENT_ID).await? {
        Some(row) if row.redirect_uris == redirect_uris && row.sector == sector => return Ok(()),
        Some(_) => {
            oidc_clients::set_redirect_uris(tx.conn()?, CLIENT_ID, &redirect_uris, &sector).await?;
        }
        None => {
            for name in [CLIENT_NAME_VI, CLIENT_NAME_EN] {
                let skeleton = crate::resources::clients::name_skeleton(name);
                if !oidc_clients::claim_name(tx.conn()?, &skeleton, CLIENT_ID).await? {
                    // Another instance starting at the same time registered it first.
                    drop(tx);
                    let mut conn = state.pool.acquire().await?;
                    if oidc_clients::find(&mut conn, CLIENT_ID).await?.is_some() {
                        return Ok(());
                    }
                    return Err(ServerError::Internal(format!(
                        "another registered service has a name like the console's ({name})"
                    )));
                }
            }
            oidc_clients::insert(
                tx.conn()?,
                &ClientRow {
                    client_id: CLIENT_ID.into(),
                    name_vi: CLIENT_NAME_VI.into(),
                    name_en: CLIENT_NAME_EN.into(),
                    redirect_uris,
                    jwks: r#"{"keys":[]}"#.into(),
                    sector,
                    allowed_claims: r#"["name"]"#.into(),
                    allow_organisations: 0,
                    allow_citizen_id: 0,
                    logo_png: None,
                    backchannel_logout_uri: None,
                    post_logout_redirect_uris: "[]".into(),
                    jwks_uri: None,
                    status: "active".into(),
                    created_at: now,
                    disabled_at: None,
                },
            )
            .await?;
        }
    }
    // Not audited: no person or operator acts; the row follows from the configured origin at
    // every start, like the schema from the migrations. (An audit entry written at start
    // would also sign a checkpoint before the operator's commands run.)
    tx.commit().await
}

/// A console session for `account` started without the sign-in (benchmarks and tests that
/// measure pages, not the sign-in): the `Cookie` header's value. Not audited, not routed.
pub async fn session_without_sign_in(
    state: &AppState,
    account: &dinhdanh_core::ids::AccountId,
) -> ServerResult<String> {
    let mut tx = Tx::begin(state, "console.sign_in").await?;
    let set_cookie = session::start(&mut tx, state, account).await?;
    tx.commit().await?;
    Ok(set_cookie.split(';').next().unwrap_or_default().to_owned())
}
