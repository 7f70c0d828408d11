//! Console sessions: a random token in a cookie (`SameSite=Strict; HttpOnly; Path=/console`,
//! and `Secure` whenever the origin is https), stored only as a keyed hash; 15 minutes without
//! a request or 8 hours after sign-in end it (`store::console_sessions`). On every request the
//! officer role and province are read again through [`authz::console_officer`], never from
//! the session or a token.
//!
//! Forms carry a CSRF token derived from the session's token by a keyed hash, so it needs no
//! storage, differs per session and cannot be computed without the cookie.

use axum::http::HeaderMap;
use dinhdanh_core::ids::{AccountId, NewProvince};

use crate::authz::{self, ConsoleScope};
use crate::infra::error::ServerResult;
use crate::infra::ids::random_bytes;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::store::console_sessions::{self, ABSOLUTE_SECS, ConsoleSessionRow, IDLE_SECS};
use crate::store::tx::Tx;
use crate::store::values::parse_stored;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dd_console";

/// Who is at the console, as this request shows.
pub(super) enum Visitor {
    /// No live session (none, unknown, idle too long or past its end).
    Anonymous,
    /// Signed in, but not an officer now (never was, or the role was withdrawn): the session
    /// has just been ended.
    NotOfficer,
    /// An officer of a province.
    Officer(Officer),
    /// An officer of the read-only national scope: the dashboard only.
    National(NationalOfficer),
}

/// An officer of the read-only national scope at the console, as read on this request.
pub(super) struct NationalOfficer {
    /// Their account.
    pub account: AccountId,
    /// Their name, from the registry.
    pub name: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The keyed hash of the session's token.
    token_hash: Vec<u8>,
}

impl NationalOfficer {
    /// The keyed hash of the session's token (to end it).
    pub fn token_hash(&self) -> &[u8] {
        &self.token_hash
    }
}

/// An officer at the console, as read on this request.
pub(super) struct Officer {
    /// Their account.
    pub account: AccountId,
    /// Their province, from `officers`.
    pub province: NewProvince,
    /// Their name, from the registry.
    pub name: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The keyed hash of the session's token.
    token_hash: Vec<u8>,
}

impl Officer {
    /// The keyed hash of the session's token (to end it).
    pub fn token_hash(&self) -> &[u8] {
        &self.token_hash
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of cookie `name`, when it has the form of one of ours (43 base64url characters,
/// or `.`-separated parts of them).
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 200
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        })
}

/// `; Secure` when the origin is https; nothing on a loopback http origin (development and
/// tests), where a browser would drop a `Secure` cookie set over http.
pub(super) fn secure_attribute(state: &AppState) -> &'static str {
    if state.config.origin.as_str().starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

fn token_hash(state: &AppState, token: &str) -> Vec<u8> {
    state
        .keys
        .keyed_hash(&[b"console.session\0", token.as_bytes()])
}

fn csrf_of(state: &AppState, token: &str) -> String {
    b64(&state
        .keys
        .keyed_hash(&[b"console.csrf\0", token.as_bytes()]))
}

/// Whether an idle or absolute limit has ended the session at `now`.
fn ended(row: &ConsoleSessionRow, now: i64) -> bool {
    now >= row.last_seen_at + IDLE_SECS || now >= row.absolute_expires_at
}

/// Who this request comes from: the session of its cookie, if live (it is then touched), and
/// the officer role read now.
pub(super) async fn visitor(state: &AppState, headers: &HeaderMap) -> ServerResult<Visitor> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(Visitor::Anonymous);
    };
    let hash = token_hash(state, &token);
    let now = state.now();
    let row = {
        let mut conn = state.pool.acquire().await?;
        let Some(row) = console_sessions::find(&mut conn, &hash).await? else {
            return Ok(Visitor::Anonymous);
        };
        if ended(&row, now) {
            console_sessions::delete(&mut conn, &hash).await?;
            return Ok(Visitor::Anonymous);
        }
        if !console_sessions::touch(&mut conn, &hash, now).await? {
            return Ok(Visitor::Anonymous);
        }
        row
    };
    let account = parse_stored(AccountId::parse(&row.account_id))?;
    let Some(scope) = authz::console_officer(state, &account).await? else {
        end(state, &hash, &account, "console.refused").await?;
        return Ok(Visitor::NotOfficer);
    };
    let name = full_name(state, &account).await?;
    let csrf = csrf_of(state, &token);
    Ok(match scope {
        ConsoleScope::Province(province) => Visitor::Officer(Officer {
            name,
            csrf,
            account,
            province,
            token_hash: hash,
        }),
        ConsoleScope::National => Visitor::National(NationalOfficer {
            name,
            csrf,
            account,
            token_hash: hash,
        }),
    })
}

/// The person's name as the registry has it (shown in the console's header).
pub(super) async fn full_name(state: &AppState, account: &AccountId) -> ServerResult<String> {
    let Some(row) = accounts::find_account(state, account).await? else {
        return Ok(String::new());
    };
    Ok(accounts::citizen_by_key(state, &row.citizen_key)
        .await?
        .map(|c| c.full_name)
        .unwrap_or_default())
}

/// Whether `presented` is this officer's CSRF token.
pub(super) fn csrf_matches(officer: &Officer, presented: Option<&str>) -> bool {
    csrf_is(&officer.csrf, presented)
}

/// Whether `presented` is the session's CSRF token `csrf` (compared in constant time).
pub(super) fn csrf_is(csrf: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| dinhdanh_core::crypto::ct_eq(p.as_bytes(), csrf.as_bytes()))
}

/// The value of field `name` of a posted form.
pub(super) fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether a posted form came from a console page of this officer's session: sent from this
/// origin (`oidc::from_own_page`) and carrying the session's CSRF token.
pub(super) fn form_from_console(
    state: &AppState,
    headers: &HeaderMap,
    officer: &Officer,
    body: &[u8],
) -> bool {
    crate::resources::oidc::from_own_page(headers, state.config.origin.as_str())
        && csrf_matches(officer, form_field(body, "csrf").as_deref())
}

/// Starts a session for `account` in `tx` (the caller audits and commits); the cookie to set.
pub(super) async fn start(
    tx: &mut Tx,
    state: &AppState,
    account: &AccountId,
) -> ServerResult<String> {
    let token = b64(&random_bytes::<32>());
    let now = tx.now();
    console_sessions::insert(
        tx.conn()?,
        &token_hash(state, &token),
        &ConsoleSessionRow {
            account_id: account.as_str().to_owned(),
            created_at: now,
            last_seen_at: now,
            absolute_expires_at: now + ABSOLUTE_SECS,
        },
    )
    .await?;
    Ok(format!(
        "{SESSION_COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict{}",
        secure_attribute(state)
    ))
}

/// The cookie that removes the session cookie from the browser.
pub(super) fn cleared(state: &AppState) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_attribute(state)
    )
}

/// Ends one session, audited as `action` with the account as actor.
pub(super) async fn end(
    state: &AppState,
    token_hash: &[u8],
    account: &AccountId,
    action: &'static str,
) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "console.session_end").await?;
    let gone = console_sessions::delete(tx.conn()?, token_hash).await?;
    if gone {
        tx.audit(crate::store::audit::AuditRecord {
            actor: Some(account.as_str()),
            action,
            object: Some("console_session"),
            denied: action == "console.refused",
            ..Default::default()
        });
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(created_at: i64, last_seen_at: i64) -> ConsoleSessionRow {
        ConsoleSessionRow {
            account_id: "acc".into(),
            created_at,
            last_seen_at,
            absolute_expires_at: created_at + ABSOLUTE_SECS,
        }
    }

    #[test]
    fn a_session_ends_after_fifteen_idle_minutes_or_eight_hours() {
        assert!(!ended(&row(0, 0), IDLE_SECS - 1));
        assert!(ended(&row(0, 0), IDLE_SECS));
        // Busy all day: still ends at eight hours.
        assert!(!ended(&row(0, ABSOLUTE_SECS - 10), ABSOLUTE_SECS - 1));
        assert!(ended(&row(0, ABSOLUTE_SECS - 10), ABSOLUTE_SECS));
    }
}
