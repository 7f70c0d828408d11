//! The phone's side of a sign-in to a service: read it, approve it with a confirmed signed
//! action naming the service, its redirect origin, the claims and the account, or decline it.
//! The same checks as a QR login to our own desktop: a bound phone's session, the sign-in
//! still pending, the chosen organisation checked at the moment of approval; and on top of it,
//! a level-2 account.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use dinhdanh_core::api::{
    ApiError, ErrorCode, NotificationKind, OidcApprovalBody, OidcSignInView, SessionKind,
    oidc_sign_in_target,
};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use super::claims::{self, Scope};
use super::sign_in::SignInState;
use crate::authz;
use crate::http::auth::{self, Authed, IdlePolicy, SessionContext};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::InboxItem;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::clients::{self, Client, redirect_origin};
use crate::resources::{accounts, organisations, qr_login, services};
use crate::store::audit::{self, AuditRecord};
use crate::store::oidc_sign_ins::{self, Approval, SignInRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

impl ConfirmedBody for OidcApprovalBody {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.sign_in.as_str(), "sign_in"))
    }
}

/// A sign-in with its client.
struct Loaded {
    id: RendezvousId,
    row: SignInRow,
    client: Client,
    scope: Scope,
    target: ActionTarget,
}

async fn load(state: &AppState, id: &str) -> ServerResult<Loaded> {
    let not_found = || ServerError::code(ErrorCode::NotFound);
    let rendezvous = RendezvousId::parse(id).map_err(|_| not_found())?;
    let row = oidc_sign_ins::find(&mut *state.pool.acquire().await?, &rendezvous.to_string())
        .await?
        .ok_or_else(not_found)?;
    let client = clients::find_client(state, &row.client_id)
        .await?
        .ok_or_else(|| ServerError::Internal("a sign-in names an unknown client".into()))?;
    let scope = Scope::parse(&row.scope)
        .map_err(|_| ServerError::Internal("a stored scope does not parse".into()))?;
    let target = parse_stored(oidc_sign_in_target(&rendezvous))?;
    Ok(Loaded {
        id: rendezvous,
        row,
        client,
        scope,
        target,
    })
}

/// Still open for an answer: pending, unexpired, its client not disabled since.
fn require_open(l: &Loaded, now: i64) -> ServerResult<()> {
    if from_word::<SignInState>(&l.row.state)? != SignInState::Pending {
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    if now >= l.row.expires_at {
        return Err(ServerError::code(ErrorCode::QrLoginExpired));
    }
    if !l.client.active {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    Ok(())
}

/// A bound phone's session: sign-ins are answered from the phone only.
fn require_phone(session: &SessionContext) -> ServerResult<()> {
    if session.kind != SessionKind::Device || session.device.is_none() {
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    Ok(())
}

fn redirect_origin_of(row: &SignInRow) -> ServerResult<String> {
    redirect_origin(&row.redirect_uri)
        .ok_or_else(|| ServerError::Internal("a stored redirect URI does not parse".into()))
}

/// `GET /v1/oidc/sign-ins/{sign_in}`: what the phone shows before approving.
pub(super) async fn read_sign_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> ServerResult<Json<OidcSignInView>> {
    let (parts, body): (Parts, _) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MustBeActive).await?;
    require_phone(&session)?;
    let l = load(&state, &id).await?;
    require_open(&l, state.now())?;
    let level = accounts::session_account_view(&session)?.level;
    // Personally first: a level-1 account is told now, not after confirming.
    if let Some(code) =
        authz::service_sign_in_refusal(&state, &session.account, level, None, &l.client.id, false)
            .await?
    {
        return Err(ServerError::code(code));
    }
    // The account choice lists only the organisations the person may sign in as *here*: for a
    // delegate, those whose delegation allows this service today; the others are left out
    // (the app's delegation screens say which services each delegation allows).
    let mut accounts = Vec::new();
    if l.scope.allows_organisations(&l.client) {
        let choices = organisations::account_choices(&state, &session.account, None)
            .await?
            .organisations;
        for o in choices.into_iter().filter(|o| o.usable) {
            if authz::may_act_for_here(&state, &session.account, &o.eid, &l.client.id)
                .await?
                .is_some()
            {
                accounts.push(o);
            }
        }
    }
    // The phone's own address as this request came (through a trusted proxy, the forwarded
    // one), placed with the same table as the browser's, so the two can be compared.
    let phone_ip = rate_limit::client_ip(&parts);
    Ok(Json(OidcSignInView {
        sign_in: l.id.clone(),
        client_id: l.client.id.clone(),
        client_name_vi: l.client.name_vi.clone(),
        client_name_en: l.client.name_en.clone(),
        redirect_origin: redirect_origin_of(&l.row)?,
        claims: l.scope.personal_claims(&l.client),
        ip_address: l.row.ip_address.clone(),
        approximate_location: state
            .geoip
            .as_ref()
            .and_then(|g| g.label_of(&l.row.ip_address)),
        address_warning: qr_login::addresses_differ(&phone_ip, &l.row.ip_address),
        phone_approximate_location: state.geoip.as_ref().and_then(|g| g.label_of(&phone_ip)),
        phone_ip_address: phone_ip,
        requested_at: timestamp(l.row.created_at),
        expires_at: timestamp(l.row.expires_at),
        accounts,
    }))
}

/// The audit record of a phone's answer to a sign-in.
fn record<'a>(
    session: &'a SessionContext,
    acting_for: Option<&'a OrgEid>,
    action: &'a str,
    target: &'a ActionTarget,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: Some(session.account.as_str()),
        acting_for: acting_for.map(OrgEid::as_str),
        device: session.device.as_ref().map(|d| d.as_str()),
        action,
        object: Some(target.as_str()),
        subject_key: None,
        denied,
    }
}

/// Refuses, with the refusal's audit entry in its own transaction (nothing changed).
async fn refuse(
    state: &AppState,
    session: &SessionContext,
    acting_for: Option<&OrgEid>,
    target: &ActionTarget,
    code: ErrorCode,
) -> ServerError {
    if let Err(e) = audit::append(
        state,
        record(session, acting_for, "oidc.approve", target, true),
    )
    .await
    {
        return e;
    }
    ServerError::code(code)
}

/// `POST /v1/oidc/sign-ins/{sign_in}/approval`: the phone approves, for the account chosen.
/// The body must name exactly the service, redirect origin and claims the server shows for
/// that account; a level-1 account, an organisation the service does not accept, or one the
/// person may not act for (checked now, not when the phone read the sign-in) is refused and
/// the refusal audited, before any challenge or passcode attempt is spent.
pub(super) async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: ConfirmedAction<OidcApprovalBody>,
) -> ServerResult<StatusCode> {
    require_phone(&action.session)?;
    let l = load(&state, &id).await?;
    require_open(&l, state.now())?;
    let body = action.body()?.clone();
    let expected = OidcApprovalBody {
        sign_in: l.id.to_string(),
        client_id: l.client.id.clone(),
        redirect_origin: redirect_origin_of(&l.row)?,
        claims: l.scope.claims_for(&l.client, body.account.as_ref()),
        account: body.account.clone(),
    };
    // The person may refuse the identification number: the same approval without `cccd` in
    // its claims is the shown one minus the number, and releases it not.
    let without_cccd = OidcApprovalBody {
        claims: expected
            .claims
            .iter()
            .filter(|c| *c != claims::CCCD)
            .cloned()
            .collect(),
        ..expected.clone()
    };
    if body != expected && body != without_cccd {
        // The phone confirmed something other than what this sign-in is.
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_field("body")
            .into());
    }
    // Who may: decided in authz, checked now (a delegation revoked since the phone read the
    // sign-in refuses it), refused and audited before a challenge or attempt is spent.
    let session = &action.session;
    let level = accounts::session_account_view(session)?.level;
    let refusal = authz::service_sign_in_refusal(
        &state,
        &session.account,
        level,
        body.account.as_ref(),
        &l.client.id,
        l.scope.allows_organisations(&l.client),
    )
    .await?;
    if let Some(code) = refusal {
        return Err(refuse(&state, session, body.account.as_ref(), &l.target, code).await);
    }
    let amr = claims::amr(action.method()?);
    let carried_out = action
        .verify_then(
            &state,
            ActionKind::ApproveOidcSignIn,
            &l.target,
            "oidc.approve",
            async |tx, session, body| approve_in(tx, &l, session, &body, &amr).await,
        )
        .await;
    if let Err(e) = &carried_out
        && e.is(ErrorCode::QrLoginUsed)
    {
        // Taken by another approval, or ended: said as the sign-in stands now.
        let l = load(&state, &id).await?;
        require_open(&l, state.now())?;
    }
    carried_out?;
    // The login page's socket hears it at once (here, and at other instances by NOTIFY).
    state
        .wakeups
        .wake(&state.pool, &super::browser_topic(&l.id));
    Ok(StatusCode::NO_CONTENT)
}

/// The approval of a confirmed sign-in, as a step of the confirmation's transaction:
/// `qr_login_used` when another approval took it first (or it ended).
async fn approve_in(
    tx: &mut Tx,
    l: &Loaded,
    session: &SessionContext,
    body: &OidcApprovalBody,
    amr: &[&str],
) -> ServerResult<()> {
    let claims_json = json(&body.claims)?;
    let amr_json = json(&amr)?;
    let now = tx.now();
    let taken = oidc_sign_ins::approve(
        tx.conn()?,
        &l.id.to_string(),
        &Approval {
            account_id: session.account.as_str(),
            acting_for: body.account.as_ref().map(OrgEid::as_str),
            claims: &claims_json,
            amr: &amr_json,
        },
        now,
    )
    .await?;
    if !taken {
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    tx.audit(record(
        session,
        body.account.as_ref(),
        "oidc.approve",
        &l.target,
        false,
    ));
    // The release of the identification number is audited by the claim's name, never the
    // number.
    if body.claims.iter().any(|c| c == claims::CCCD) {
        tx.audit(record(
            session,
            body.account.as_ref(),
            "oidc.approve_cccd",
            &l.target,
            false,
        ));
    }
    // The person's consent for this service and account: what this approval released.
    services::record_consent(
        tx,
        &session.account,
        &l.client.id,
        body.account.as_ref(),
        &body.claims,
    )
    .await?;
    let as_whom = match &body.account {
        Some(eid) => format!(" ({eid})"),
        None => String::new(),
    };
    let body_vi = format!(
        "Bạn đã đăng nhập vào \"{}\"{as_whom}. Nếu không phải bạn, hãy khóa tài khoản ngay.",
        l.client.name_vi
    );
    let body_en = format!(
        "You signed in to \"{}\"{as_whom}. If this was not you, lock your account now.",
        l.client.name_en
    );
    tx.notify(
        session.account.as_str(),
        InboxItem {
            kind: NotificationKind::ServiceSignedIn,
            title_vi: "Đăng nhập vào dịch vụ",
            title_en: "Signed in to a service",
            body_vi: &body_vi,
            body_en: &body_en,
            link: None,
        },
    )
    .await?;
    Ok(())
}

/// `POST /v1/oidc/sign-ins/{sign_in}/decline`: the phone declines in one tap (no passcode: a
/// decline cannot hurt the person; the request is signed by the phone's session key); the
/// browser is sent back to the service with `access_denied` when it continues.
pub(super) async fn decline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<StatusCode> {
    let session = &auth.session;
    require_phone(session)?;
    let l = load(&state, &id).await?;
    require_open(&l, state.now())?;
    let mut tx = Tx::begin(&state, "oidc.decline").await?;
    let now = tx.now();
    if !oidc_sign_ins::decline(tx.conn()?, &l.id.to_string(), now).await? {
        drop(tx);
        let l = load(&state, &id).await?;
        require_open(&l, now)?;
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    tx.audit(record(session, None, "oidc.decline", &l.target, false));
    tx.commit().await?;
    state
        .wakeups
        .wake(&state.pool, &super::browser_topic(&l.id));
    Ok(StatusCode::NO_CONTENT)
}

/// JSON text of a value kept in a text column.
fn json<T: serde::Serialize>(value: &T) -> ServerResult<String> {
    serde_json::to_string(value).map_err(|e| ServerError::Internal(format!("encode: {e}")))
}
