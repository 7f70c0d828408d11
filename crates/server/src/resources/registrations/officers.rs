//! Officers: the queue of their province, their decisions on a request (approve, reject, ask
//! for information — events of the core's lifecycle, each in one transaction), decisions
//! taken at the desk, the list of every request, and the province's statistics.

use axum::Json;
use axum::extract::{Query, State};
use dinhdanh_core::api::{
    Decision, ErrorCode, OfficerDecision, Page, QueueItem, RegistrationEventKind,
    RegistrationStatistics, RegistrationStatus, RegistrationView,
};
use dinhdanh_core::ids::{CitizenId, NewProvince, RegistrationId};
use dinhdanh_core::org_type::OrgType;
use dinhdanh_core::registration::lifecycle::{Effect, Event, Transition};
use dinhdanh_core::signed_action::ActionKind;

use super::QUEUE_PAGE;
use super::dates::{parse_date, stored_date, vietnam_date};
use super::lifecycle::{Approval, approve, finish, handle, move_to, unexpected};
use super::people::{link, person_of, requester_message, target, tell_requester};
use super::queue_cursor::{QueueCursor, key_of};
use super::requester::{free_text, named};
use super::stored::{StoredRegistration, load, reload};
use super::views::{add_event, view};
use crate::authz;
use crate::http::auth::{Authed, SessionContext};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::store::audit::{Actor, refuse};
use crate::store::registrations::{self as store, ListedRow, QueueFilter, QueueFrom};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

/// The caller's officer province, or `forbidden` (audited).
async fn officer_of(
    state: &AppState,
    session: &SessionContext,
    action: &str,
    object: &str,
) -> ServerResult<NewProvince> {
    match authz::officer_province(state, &session.account).await? {
        Some(p) => Ok(p),
        None => Err(refuse(
            state,
            Some(&session.actor()),
            action,
            object,
            ErrorCode::Forbidden,
        )
        .await),
    }
}

/// A listed request as a queue item; `overdue` when not decided and due before `today`.
fn queue_item(r: ListedRow, today: &str) -> ServerResult<QueueItem> {
    let status: RegistrationStatus = from_word(&r.status)?;
    Ok(QueueItem {
        id: parse_stored(RegistrationId::parse(&r.id))?,
        org_type: from_word(&r.org_type)?,
        name: r.name_vi,
        province: parse_stored(NewProvince::parse(&r.province))?,
        status,
        reason: r.reason.as_deref().map(from_word).transpose()?,
        submitted_at: timestamp(r.submitted_at),
        due_on: parse_date(&r.due_on)?,
        overdue: !status.is_final() && r.due_on.as_str() < today,
    })
}

/// `?after=` of the queue: the `next` of the page before (a sealed [`QueueCursor`]).
#[derive(serde::Deserialize)]
pub(super) struct QueueQuery {
    after: Option<String>,
}

/// `GET /v1/officer/queue`: the requests waiting in the officer's province, overdue first,
/// then by due date.
pub(super) async fn queue(
    State(state): State<AppState>,
    Query(q): Query<QueueQuery>,
    auth: Authed<()>,
) -> ServerResult<Json<Page<QueueItem>>> {
    let province = officer_of(&state, &auth.session, "officer.queue.refused", "queue").await?;
    let filter = QueueFilter::default();
    let cursor = match q.after.as_deref() {
        None => QueueCursor {
            page: 1,
            from: QueueFrom::Start,
        },
        Some(a) => QueueCursor::open(&state, &province, &filter, a)
            .ok()
            .filter(|c| matches!(c.from, QueueFrom::After(_)))
            .ok_or_else(|| ServerError::code(ErrorCode::MalformedRequest))?,
    };
    let (items, more) =
        province_queue(&state, &province, &filter, &cursor.from, QUEUE_PAGE).await?;
    let next = match items.last() {
        Some(last) if more => Some(
            QueueCursor {
                page: cursor.page.saturating_add(1),
                from: QueueFrom::After(key_of(last)),
            }
            .seal(&state, &province, &filter)
            .map_err(|e| ServerError::Internal(e.to_string()))?,
        ),
        _ => None,
    };
    Ok(Json(Page { items, next }))
}

/// The requests of an officer's queue: those whose organisation's head office is in
/// `province` and that wait for an officer, as `filter` narrows them, overdue first, then by
/// due date; at most `limit` from `from`, in the queue's order, and whether more lie beyond
/// them (after them, or before them when read [`QueueFrom::Before`]). The one rule for the
/// API's queue and the console's (`resources::console`); who may see a province's queue is
/// [`authz`]'s question, asked by the caller.
pub async fn province_queue(
    state: &AppState,
    province: &NewProvince,
    filter: &QueueFilter,
    from: &QueueFrom,
    limit: i64,
) -> ServerResult<(Vec<QueueItem>, bool)> {
    let today = stored_date(vietnam_date(state.now()));
    let rows = store::waiting_in(
        &mut *state.pool.acquire().await?,
        province.key(),
        filter,
        from,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let mut items = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| queue_item(r, &today))
        .collect::<ServerResult<Vec<_>>>()?;
    if matches!(from, QueueFrom::Before(_)) {
        // Read nearest first; shown in the queue's order.
        items.reverse();
    }
    Ok((items, more))
}

/// How many requests [`province_queue`] holds with `filter`, and how many of them are overdue.
pub async fn province_queue_size(
    state: &AppState,
    province: &NewProvince,
    filter: &QueueFilter,
) -> ServerResult<(i64, i64)> {
    let today = stored_date(vietnam_date(state.now()));
    store::count_waiting_in(
        &mut *state.pool.acquire().await?,
        province.key(),
        filter,
        &today,
    )
    .await
}

/// One request as a queue lists it (the console's request page; whether the reader may see it
/// is asked by the caller through [`authz`], by its province).
pub async fn queue_entry(state: &AppState, id: &RegistrationId) -> ServerResult<Option<QueueItem>> {
    let today = stored_date(vietnam_date(state.now()));
    store::listed(&mut *state.pool.acquire().await?, id)
        .await?
        .map(|row| queue_item(row, &today))
        .transpose()
}

/// The path names the request the body names.
impl ConfirmedBody for OfficerDecision {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.registration.as_str(), "registration"))
    }
}

/// `POST /v1/officer/registrations/{id}/decision`: approve (the account is created), reject
/// with a reason, or ask for information; confirmed (`review_registration`, target
/// `registration:<id>`). Only officers of the request's province, never on a request of
/// their own or of an organisation they represent.
pub(super) async fn officer_decision(
    State(state): State<AppState>,
    action: ConfirmedAction<OfficerDecision>,
) -> ServerResult<Json<RegistrationView>> {
    let object = link(&action.body()?.registration);
    let province = officer_of(
        &state,
        &action.session,
        "registration.decision.refused",
        &object,
    )
    .await?;
    let reg = named(&state, &action.body()?.registration).await?;
    let actor = action.session.actor();
    let checked =
        check_officer_decision(&state, &actor, province, &reg, &action.body()?.decision).await?;
    let (session, _) = action
        .verify_then(
            &state,
            ActionKind::ReviewRegistration,
            &target(&reg.id)?,
            "registration.decision",
            async |tx, _, body| {
                let approval = decide(tx, &state, &actor, &reg, &body.decision, checked).await?;
                finish(tx, &state, approval, &actor).await
            },
        )
        .await?;
    Ok(Json(
        view(&state, &reload(&state, &reg.id).await?, &session.account).await?,
    ))
}

/// A decision [`check_officer_decision`] allowed: the transition it makes and the trimmed
/// text of a rejection or question.
struct CheckedDecision {
    transition: Transition,
    text: Option<String>,
}

/// Whether this officer (of `province`) may take this decision on this request now: the
/// request's province, never their own request or one of an organisation they represent
/// (`forbidden`, audited), a status the decision applies to (`invalid_state`, the core's
/// lifecycle), and a reason or question in words (`validation_failed`).
async fn check_officer_decision(
    state: &AppState,
    actor: &Actor,
    province: NewProvince,
    reg: &StoredRegistration,
    decision: &Decision,
) -> ServerResult<CheckedDecision> {
    let officer = &actor.account;
    let (_, officer_person) = person_of(state, officer).await?;
    if reg.province != province
        // By number: the requester may have no account (taken at the counter).
        || reg.requester_key == state.keys.citizen_key(&officer_person.citizen_id)
        || reg
            .details
            .is_legal_representative(&officer_person.citizen_id)
    {
        return Err(refuse(
            state,
            Some(actor),
            "registration.decision.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let event = match decision {
        Decision::Approve => Event::OfficerApproved,
        Decision::Reject { .. } => Event::OfficerRejected,
        Decision::RequestInformation { .. } => Event::OfficerAskedForInformation,
    };
    let transition = handle(reg.status, event)?;
    let text = match decision {
        Decision::Approve => None,
        Decision::Reject { reason } => Some(free_text(reason, "body.decision.reason")?),
        Decision::RequestInformation { question } => {
            Some(free_text(question, "body.decision.question")?)
        }
    };
    Ok(CheckedDecision { transition, text })
}

/// Carries out a decision [`check_officer_decision`] allowed, in one transaction: the new
/// status, the request's history, the audit trail with the officer as actor, and the
/// requester's notification, and for an approval the organisation's account.
async fn apply_officer_decision(
    state: &AppState,
    actor: &Actor,
    reg: &StoredRegistration,
    decision: &Decision,
    checked: CheckedDecision,
) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "registration.decision").await?;
    let approval = decide(&mut tx, state, actor, reg, decision, checked).await?;
    finish(&mut tx, state, approval, actor).await?;
    tx.commit().await
}

async fn decide(
    tx: &mut Tx,
    state: &AppState,
    actor: &Actor,
    reg: &StoredRegistration,
    decision: &Decision,
    checked: CheckedDecision,
) -> ServerResult<Option<Approval>> {
    let CheckedDecision {
        transition: t,
        text,
    } = checked;
    let (kind, action) = match (decision, text.clone()) {
        (Decision::Approve, _) => {
            return approve(tx, reg, t, "registration.approved").await.map(Some);
        }
        (Decision::Reject { .. }, Some(reason)) => (
            RegistrationEventKind::Rejected { reason },
            "registration.rejected",
        ),
        (Decision::RequestInformation { .. }, Some(question)) => (
            RegistrationEventKind::InformationRequested { question },
            "registration.information_requested",
        ),
        _ => return Err(ServerError::Internal("a decision without its text".into())),
    };
    move_to(tx, reg, &t).await?;
    add_event(tx, &reg.id, Some(&actor.account), &kind).await?;
    tx.audit(actor.record(action, &link(&reg.id), None, false));
    for effect in &t.effects {
        match effect {
            Effect::NotifyRequester(notice) => {
                let m = requester_message(*notice, reg, text.as_deref(), None)?;
                tell_requester(tx, state, reg, m).await?;
            }
            other => return Err(unexpected(other)),
        }
    }
    Ok(None)
}

/// A decision an officer asked for at the console, checked now as the direct route checks it
/// (the officer role and province from `officers`, not their own request nor one of an
/// organisation they represent, a status the decision applies to, a reason or question in
/// words), so their phone is never asked to confirm what would be refused. Answers the
/// request's name and its confirmation target (`registration:<id>`) for the phone's summary.
pub async fn check_console_decision(
    state: &AppState,
    actor: &Actor,
    body: &OfficerDecision,
) -> ServerResult<(String, dinhdanh_core::signed_action::ActionTarget)> {
    let reg = officer_decision_parts(state, actor, body).await?.0;
    Ok((reg.details.name_vi.as_str().to_owned(), target(&reg.id)?))
}

/// Carries out a decision asked for at the console once the officer's phone confirmed it:
/// every check of [`check_console_decision`] again (the role, the request or the text may
/// have changed while the phone was asked), then the direct route's records in one
/// transaction, with the officer (their phone's session) as actor.
pub async fn decide_confirmed(
    state: &AppState,
    actor: &Actor,
    body: &OfficerDecision,
) -> ServerResult<RegistrationView> {
    let (reg, checked) = officer_decision_parts(state, actor, body).await?;
    apply_officer_decision(state, actor, &reg, &body.decision, checked).await?;
    view(state, &reload(state, &reg.id).await?, &actor.account).await
}

async fn officer_decision_parts(
    state: &AppState,
    actor: &Actor,
    body: &OfficerDecision,
) -> ServerResult<(StoredRegistration, CheckedDecision)> {
    let object = link(&body.registration);
    let Some(province) = authz::officer_province(state, &actor.account).await? else {
        return Err(refuse(
            state,
            Some(actor),
            "registration.decision.refused",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    };
    let reg = named(state, &body.registration).await?;
    let checked = check_officer_decision(state, actor, province, &reg, &body.decision).await?;
    Ok((reg, checked))
}

/// An officer's decision taken at the desk (the `registration decide` command): the same
/// checks, records and notifications as `POST /v1/officer/registrations/{id}/decision`, with
/// the officer as actor. The officer is identified by their number on the server's console
/// instead of a confirmed action from their device: whoever runs the command already holds
/// the server.
pub async fn decide_in_person(
    state: &AppState,
    officer_citizen: &CitizenId,
    id: &RegistrationId,
    decision: &Decision,
) -> ServerResult<RegistrationView> {
    let officer = accounts::find_account_by_citizen(state, officer_citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let actor = Actor::person(&officer.id);
    let Some(province) = authz::officer_province(state, &officer.id).await? else {
        return Err(refuse(
            state,
            Some(&actor),
            "registration.decision.refused",
            &link(id),
            ErrorCode::Forbidden,
        )
        .await);
    };
    let reg = load(state, id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let checked = check_officer_decision(state, &actor, province, &reg, decision).await?;
    apply_officer_decision(state, &actor, &reg, decision, checked).await?;
    view(state, &reload(state, id).await?, &actor.account).await
}

/// Every request, newest first, optionally only those with `status` (the `registration list`
/// command: all provinces, at most `limit`). Names only: no identification numbers.
pub async fn list_requests(
    state: &AppState,
    status: Option<RegistrationStatus>,
    limit: i64,
) -> ServerResult<Vec<QueueItem>> {
    let rows = store::newest(&mut *state.pool.acquire().await?, status, limit).await?;
    let today = stored_date(vietnam_date(state.now()));
    rows.into_iter().map(|r| queue_item(r, &today)).collect()
}

/// `GET /v1/officer/statistics`: the officer's province: requests by status and type, those
/// overdue, and those decided after their due date.
pub(super) async fn statistics(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<RegistrationStatistics>> {
    let province = officer_of(
        &state,
        &auth.session,
        "officer.statistics.refused",
        "statistics",
    )
    .await?;
    Ok(Json(province_statistics(&state, province).await?))
}

/// Registration statistics of a province.
pub async fn province_statistics(
    state: &AppState,
    province: NewProvince,
) -> ServerResult<RegistrationStatistics> {
    let mut all = statistics_in(state, Some(province)).await?;
    all.pop()
        .ok_or_else(|| ServerError::Internal("no statistics of the province".into()))
}

/// [`province_statistics`] of `province`, or of every province for `None` (in the provinces'
/// order), counted in one pass.
pub async fn statistics_in(
    state: &AppState,
    province: Option<NewProvince>,
) -> ServerResult<Vec<RegistrationStatistics>> {
    let today = stored_date(vietnam_date(state.now()));
    let mut groups = Vec::new();
    let mut conn = state.pool.acquire().await?;
    for read in state.backend.province_reads(province) {
        groups.extend(
            store::statistics_by_province(&mut conn, state.backend, read.map(|p| p.key()), &today)
                .await?,
        );
    }
    let provinces = match province {
        Some(p) => vec![p],
        None => NewProvince::all().to_vec(),
    };
    let mut out: Vec<RegistrationStatistics> = provinces
        .into_iter()
        .map(|p| RegistrationStatistics {
            province: Some(p),
            by_status: Vec::new(),
            by_type: OrgType::ALL.iter().map(|t| (*t, 0)).collect(),
            overdue: 0,
            decided_late: 0,
        })
        .collect();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    for g in &groups {
        let p = parse_stored(NewProvince::parse(&g.province))?;
        let Some(stats) = out.iter_mut().find(|s| s.province == Some(p)) else {
            continue;
        };
        let status: RegistrationStatus = from_word(&g.status)?;
        let org_type: OrgType = from_word(&g.org_type)?;
        match stats.by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += count(g.n),
            None => stats.by_status.push((status, count(g.n))),
        }
        if let Some((_, n)) = stats.by_type.iter_mut().find(|(t, _)| *t == org_type) {
            *n += count(g.n);
        }
        stats.overdue += count(g.overdue);
        stats.decided_late += count(g.late);
    }
    Ok(out)
}

/// One week of the dashboard's trend: requests submitted and approved from Monday `start`
/// (Vietnam's calendar) to the Sunday after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeekCount {
    /// The week's Monday.
    pub start: chrono::NaiveDate,
    /// Requests submitted that week.
    pub submitted: u64,
    /// Requests approved that week.
    pub approved: u64,
}

/// The last `weeks` weeks up to this one, oldest first, for `province` (every province for
/// `None`: the national scope).
pub async fn weekly_trend(
    state: &AppState,
    province: Option<NewProvince>,
    weeks: u32,
) -> ServerResult<Vec<WeekCount>> {
    use chrono::Datelike;
    let today = vietnam_date(state.now());
    let this_monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let first = this_monday - chrono::Days::new(7 * u64::from(weeks.saturating_sub(1)));
    // Vietnam's midnight of the first Monday, in Unix seconds.
    let since = first
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp() - 7 * 3600)
        .unwrap_or_default();
    let mut out: Vec<WeekCount> = (0..weeks)
        .map(|i| WeekCount {
            start: first + chrono::Days::new(7 * u64::from(i)),
            submitted: 0,
            approved: 0,
        })
        .collect();
    let province = province.map(|p| p.key());
    for approved in [false, true] {
        let rows =
            store::weekly_counts(&mut *state.pool.acquire().await?, province, since, approved)
                .await?;
        for r in rows {
            let Some(w) = usize::try_from(r.week).ok().and_then(|i| out.get_mut(i)) else {
                continue;
            };
            let n = u64::try_from(r.n).unwrap_or(0);
            if approved {
                w.approved += n;
            } else {
                w.submitted += n;
            }
        }
    }
    Ok(out)
}
