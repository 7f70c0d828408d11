//! Organisation registration requests (Decree 69/2024/NĐ-CP, Arts. 12–13): submission,
//! co-representatives' consent, the registry check and the automatic decision, officer review,
//! answers to officers' questions, withdrawal, attachments, and in-person registration.
//!
//! **Who asks.** A level-2 account submits, confirmed with a signed action
//! (`register_organisation`, target `registration:new`). The requester is a legal
//! representative / head, or a person they authorised, who attaches the authorisation letter
//! (Art. 12). The details are validated again here with the core crate's rules, so the server
//! and the app agree on what is valid.
//!
//! **Consent.** Where the organisation has several legal representatives, the others consent
//! first — and when an authorised person asks, every representative does, confirming in the
//! app what their letter says: each with an account is notified (inbox and SMS) and answers
//! with a signed action
//! (`consent_to_registration` / `refuse_registration`). One refusal withdraws the request. A
//! representative without an account cannot answer in the app, so the request then goes to an
//! officer, who obtains that consent in person.
//!
//! **Decision.** Types 1–3 are checked against their registry through
//! [`crate::resources::registry::RegistryAdapter`]. Found, active, matching name, date, address and
//! representatives, requested by a recorded representative in person (not by an authorised
//! person): approved at once, and the organisation's account is created
//! ([`crate::resources::organisations::create_organisation`]). Anything else — and every type 4 — waits for
//! an officer of the head office's province, with the reason shown.
//!
//! **Due dates** (Art. 13): 3 working days from submission when the registry settles the
//! request, 15 days when an officer must verify it. Working days skip Saturdays, Sundays and
//! the fixed-date public holidays (1 January, 30 April, 1 May, 2 September); the lunar-calendar
//! holidays (Tết, Hùng Kings' day) and the days the government adds each year are not modelled
//! yet. Dates are Vietnam's (UTC+7).
//!
//! **Privacy.** The submitted details list representatives' full identification numbers: they
//! are stored encrypted ([`crate::infra::keys::ServerKeys::encrypt_blob`]); representatives are kept
//! as look-up keys for authorization; registry values shown to officers are masked. Attachments
//! live outside the database, named by their SHA-256, and are served only to their uploader and
//! to officers of the province of a request they are attached to.
//!
//! Every step is audited with the person who took it as actor (the officer for in-person
//! registration and decisions), refusals too.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Weekday};
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    self, ApiError, AttachmentView, ConsentDecision, ConsentView, Decision, ErrorCode,
    InformationAnswer, MediaType, NotificationKind, OfficerDecision, OfficerReviewReason, Page,
    PersonRef, QueueItem, RegistrationEvent, RegistrationEventKind, RegistrationStatistics,
    RegistrationStatus, RegistrationSubmission, RegistrationView, RegistrationWithdrawal,
    RegistryCheck, RequesterCapacity, paths,
};
use dinhdanh_core::crypto::{Digest32, sha256};
use dinhdanh_core::ids::{AccountId, AttachmentId, CitizenId, NewProvince, OrgEid, RegistrationId};
use dinhdanh_core::org_type::{
    DocumentKind, FieldError, OrgField, OrgType, OrganisationDetails, OrganisationForm,
};
use dinhdanh_core::registration::MAX_ANSWER_CHARS;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;

use crate::authz;
use crate::http::auth::{self, Authed, IdlePolicy, SessionContext, parse_stored};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::{self, Channel, InboxItem};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts::{self, AccountRow, CitizenRecord};
use crate::resources::confirmation::{parse_confirmed, verify_confirmation};
use crate::resources::organisations;
use crate::resources::registry;
use crate::store::audit::{self, AuditRecord};

/// Working days to decide a request the registry settles (Decree 69/2024, Art. 13).
pub const REGISTRY_DUE_WORKING_DAYS: u32 = 3;
/// Days to decide a request an officer must verify (Decree 69/2024, Art. 13).
pub const VERIFICATION_DUE_DAYS: u64 = 15;
/// Longest officer reason or question, and requester answer, in characters.
pub const MAX_TEXT_CHARS: usize = MAX_ANSWER_CHARS;
/// Queue items per page.
pub const QUEUE_PAGE: i64 = 50;

/// Associated data of the encrypted details, so the blob cannot be used as anything else.
const DETAILS_PURPOSE: &str = "registration.details";
/// Vietnam's offset from UTC (no daylight saving).
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::REGISTRATIONS, post(submit).get(list_own))
        .route(paths::REGISTRATION, get(show))
        .route(paths::REGISTRATION_CONSENT, post(consent))
        .route(paths::REGISTRATION_ANSWER, post(answer))
        .route(paths::REGISTRATION_WITHDRAWAL, post(withdraw))
        .route(paths::ATTACHMENTS, post(upload))
        .route(paths::ATTACHMENT, get(download))
        .route(paths::OFFICER_QUEUE, get(queue))
        .route(paths::OFFICER_DECISION, post(officer_decision))
        .route(paths::OFFICER_STATISTICS, get(statistics))
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// The date in Vietnam at Unix time `unix`.
pub fn vietnam_date(unix: i64) -> NaiveDate {
    timestamp(unix + VIETNAM_OFFSET_SECS).date_naive()
}

/// Whether public offices work on `day`: Monday to Friday, except the fixed-date public
/// holidays of the Labour Code 2019, Art. 112 (lunar-calendar holidays are not modelled).
pub fn is_working_day(day: NaiveDate) -> bool {
    let fixed_holiday = matches!((day.month(), day.day()), (1, 1) | (4, 30) | (5, 1) | (9, 2));
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !fixed_holiday
}

/// The day `n` working days after `from` (the day of submission does not count).
pub fn add_working_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The legal due date of a request submitted at `submitted_at`: 3 working days when the
/// registry settles it, 15 days when an officer verifies it.
pub fn due_date(submitted_at: i64, officer_verifies: bool) -> NaiveDate {
    let day = vietnam_date(submitted_at);
    if officer_verifies {
        day.checked_add_days(chrono::Days::new(VERIFICATION_DUE_DAYS))
            .unwrap_or(day)
    } else {
        add_working_days(day, REGISTRY_DUE_WORKING_DAYS)
    }
}

// ---------------------------------------------------------------------------------------------
// Stored values
// ---------------------------------------------------------------------------------------------

/// The serde name of a unit enum, as stored.
fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored serde name read back.
fn parse_enum<T: DeserializeOwned>(text: &str) -> ServerResult<T> {
    parse_stored(serde_json::from_value(serde_json::Value::String(
        text.to_owned(),
    )))
}

/// A request as stored, with its details decrypted.
#[derive(Clone)]
pub struct StoredRegistration {
    /// The request.
    pub id: RegistrationId,
    /// Who asked.
    pub requester: AccountId,
    /// Organisation type.
    pub org_type: OrgType,
    /// What identifies the organisation for duplicate checks.
    pub org_key: String,
    /// Head-office province.
    pub province: NewProvince,
    /// In what capacity.
    pub capacity: RequesterCapacity,
    /// The details (with answers applied).
    pub details: OrganisationDetails,
    /// Status.
    pub status: RegistrationStatus,
    /// Why an officer looks at it.
    pub reason: Option<OfficerReviewReason>,
    /// The registry check, once done.
    pub registry_check: Option<RegistryCheck>,
    /// Unix seconds.
    pub submitted_at: i64,
    /// Legal due date.
    pub due_on: NaiveDate,
    /// When decided, Unix seconds.
    pub decided_at: Option<i64>,
    /// The organisation's e-ID once approved.
    pub org_eid: Option<OrgEid>,
}

/// Loads a request.
pub async fn load(
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<Option<StoredRegistration>> {
    let row = sqlx::query(
        "SELECT requester, org_type, org_key, province, capacity, details_enc, status, reason, \
         registry_check, submitted_at, due_on, decided_at, org_eid FROM registrations WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let enc: Vec<u8> = row.try_get("details_enc")?;
    let plain = state
        .keys
        .decrypt_blob(DETAILS_PURPOSE, &enc)
        .ok_or_else(|| ServerError::Internal("registration details do not decrypt".into()))?;
    let details: OrganisationDetails = parse_stored(serde_json::from_slice(&plain))?;
    let requester: String = row.try_get("requester")?;
    let province: String = row.try_get("province")?;
    let reason: Option<String> = row.try_get("reason")?;
    let check: Option<String> = row.try_get("registry_check")?;
    let due_on: String = row.try_get("due_on")?;
    let org_eid: Option<String> = row.try_get("org_eid")?;
    Ok(Some(StoredRegistration {
        id: id.clone(),
        requester: parse_stored(AccountId::parse(&requester))?,
        org_type: parse_enum(&row.try_get::<String, _>("org_type")?)?,
        org_key: row.try_get("org_key")?,
        province: parse_stored(NewProvince::parse(&province))?,
        capacity: parse_enum(&row.try_get::<String, _>("capacity")?)?,
        details,
        status: parse_enum(&row.try_get::<String, _>("status")?)?,
        reason: reason.as_deref().map(parse_enum).transpose()?,
        registry_check: check
            .map(|c| parse_stored(serde_json::from_str(&c)))
            .transpose()?,
        submitted_at: row.try_get("submitted_at")?,
        due_on: parse_stored(NaiveDate::parse_from_str(&due_on, "%Y-%m-%d"))?,
        decided_at: row.try_get("decided_at")?,
        org_eid: org_eid
            .map(|e| parse_stored(OrgEid::parse(&e)))
            .transpose()?,
    }))
}

/// What identifies an organisation across requests: its tax code (enterprise and cooperative
/// codes are tax codes), else its agency code, else (type 4) its province and name.
pub fn org_key(details: &OrganisationDetails) -> String {
    if let Some(c) = &details.enterprise_code {
        format!("tax:{}", c.as_str())
    } else if let Some(c) = &details.cooperative_code {
        format!("tax:{}", c.as_str())
    } else if let Some(c) = &details.tax_code {
        format!("tax:{}", c.head_office_digits())
    } else if let Some(c) = &details.agency_code {
        format!("agency:{}", c.as_str())
    } else {
        let name = details.name_vi.as_str().to_lowercase();
        format!("name:{}:{name}", details.head_office.province.key())
    }
}

/// The organisation's account, if it already has an active one.
async fn existing_organisation(
    state: &AppState,
    details: &OrganisationDetails,
) -> ServerResult<Option<OrgEid>> {
    let codes = [
        details
            .enterprise_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        details
            .cooperative_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        details
            .tax_code
            .as_ref()
            .map(|c| c.head_office_digits().to_owned()),
        details.agency_code.as_ref().map(|c| c.as_str().to_owned()),
    ];
    for code in codes.into_iter().flatten() {
        if let Some(eid) = organisations::find_active_by_code(state, &code).await? {
            return Ok(Some(eid));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// People, audit, notifications
// ---------------------------------------------------------------------------------------------

/// The account and the person behind it.
async fn person_of(
    state: &AppState,
    account: &AccountId,
) -> ServerResult<(AccountRow, CitizenRecord)> {
    let row = accounts::find_account(state, account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let person = accounts::citizen_by_key(state, &row.citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok((row, person))
}

/// A person as others see them: name and masked number.
async fn person_ref(state: &AppState, account: &AccountId) -> ServerResult<PersonRef> {
    let (_, person) = person_of(state, account).await?;
    Ok(PersonRef {
        account: account.clone(),
        full_name: person.full_name,
        citizen_id_masked: person.citizen_id.masked(),
    })
}

/// Who did something, for the audit trail.
#[derive(Clone, Copy)]
struct Actor<'a> {
    account: Option<&'a AccountId>,
    session: Option<&'a SessionContext>,
}

impl<'a> Actor<'a> {
    fn session(s: &'a SessionContext) -> Self {
        Actor {
            account: Some(&s.account),
            session: Some(s),
        }
    }

    fn account(a: &'a AccountId) -> Self {
        Actor {
            account: Some(a),
            session: None,
        }
    }
}

async fn audit_step(
    state: &AppState,
    actor: Actor<'_>,
    action: &str,
    object: &str,
    subject_key: Option<&[u8]>,
    denied: bool,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor: actor.account.map(|a| a.as_str()),
            acting_for: actor
                .session
                .and_then(|s| s.acting_for.as_ref())
                .map(|o| o.as_str()),
            device: actor
                .session
                .and_then(|s| s.device.as_ref())
                .map(|d| d.as_str()),
            action,
            object: Some(object),
            subject_key,
            denied,
        },
    )
    .await
}

/// Audits a refusal and returns the error to answer with.
async fn refuse(
    state: &AppState,
    actor: Actor<'_>,
    action: &str,
    object: &str,
    code: ErrorCode,
) -> ServerError {
    match audit_step(state, actor, action, object, None, true).await {
        Ok(()) => ServerError::code(code),
        Err(e) => e,
    }
}

/// A message to a person: the in-app inbox, an SMS, and an e-mail when they gave one.
struct Message<'a> {
    kind: NotificationKind,
    title_vi: &'a str,
    title_en: &'a str,
    body_vi: String,
    body_en: String,
    link: String,
}

async fn tell(state: &AppState, account: &AccountId, m: Message<'_>) -> ServerResult<()> {
    outbox::notify(
        state,
        account.as_str(),
        InboxItem {
            kind: m.kind,
            title_vi: m.title_vi,
            title_en: m.title_en,
            body_vi: &m.body_vi,
            body_en: &m.body_en,
            link: Some(&m.link),
        },
    )
    .await?;
    let (_, person) = person_of(state, account).await?;
    let kind = format!("registration.{}", enum_text(&m.kind));
    outbox::send(
        state,
        Some(account.as_str()),
        Channel::Sms,
        person.phone.as_str(),
        &kind,
        m.title_vi,
        &m.body_vi,
    )
    .await?;
    if let Some(email) = &person.email {
        let body = format!("{}\n\n{}", m.body_vi, m.body_en);
        outbox::send(
            state,
            Some(account.as_str()),
            Channel::Email,
            email.as_str(),
            &kind,
            m.title_vi,
            &body,
        )
        .await?;
    }
    Ok(())
}

fn link(id: &RegistrationId) -> String {
    format!("registration:{id}")
}

// ---------------------------------------------------------------------------------------------
// Events and views
// ---------------------------------------------------------------------------------------------

async fn add_event(
    state: &AppState,
    id: &RegistrationId,
    actor: Option<&AccountId>,
    kind: &RegistrationEventKind,
) -> ServerResult<()> {
    let json = serde_json::to_string(kind).map_err(|e| ServerError::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO registration_events (registration_id, seq, at, actor, event) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM registration_events \
         WHERE registration_id = $1",
    )
    .bind(id.as_str())
    .bind(state.now())
    .bind(actor.map(|a| a.as_str()))
    .bind(json)
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Moves a request from `from` to `to`; `invalid_state` when it is no longer in `from`
/// (another request changed it first).
async fn transition(
    state: &AppState,
    id: &RegistrationId,
    from: &[RegistrationStatus],
    to: RegistrationStatus,
) -> ServerResult<()> {
    let froms: Vec<String> = from.iter().map(enum_text).collect();
    let placeholders: Vec<String> = (0..froms.len()).map(|i| format!("${}", i + 5)).collect();
    let sql = format!(
        "UPDATE registrations SET status = $1, is_open = $2, decided_at = $3 \
         WHERE id = $4 AND status IN ({})",
        placeholders.join(", ")
    );
    let decided = to.is_final().then(|| state.now());
    let mut q = sqlx::query(&sql)
        .bind(enum_text(&to))
        .bind(i64::from(!to.is_final()))
        .bind(decided)
        .bind(id.as_str());
    for f in &froms {
        q = q.bind(f);
    }
    if q.execute(&state.pool).await?.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    Ok(())
}

async fn attachment_views(
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<Vec<AttachmentView>> {
    let rows = sqlx::query(
        "SELECT a.id, a.kind, a.media_type, a.size, a.sha256, a.uploaded_at \
         FROM attachments a JOIN registration_attachments r ON r.attachment_id = a.id \
         WHERE r.registration_id = $1 ORDER BY a.uploaded_at, a.id",
    )
    .bind(id.as_str())
    .fetch_all(&state.pool)
    .await?;
    rows.iter().map(attachment_view).collect()
}

fn attachment_view(row: &sqlx::any::AnyRow) -> ServerResult<AttachmentView> {
    let id: String = row.try_get("id")?;
    let hash: Vec<u8> = row.try_get("sha256")?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| ServerError::Internal("stored hash length".into()))?;
    Ok(AttachmentView {
        id: parse_stored(AttachmentId::parse(&id))?,
        kind: parse_enum(&row.try_get::<String, _>("kind")?)?,
        media_type: parse_enum(&row.try_get::<String, _>("media_type")?)?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or_default(),
        sha256: Digest32::from_bytes(hash),
        uploaded_at: timestamp(row.try_get("uploaded_at")?),
    })
}

/// The request as its requester, co-representatives and officers see it.
pub async fn view(state: &AppState, reg: &StoredRegistration) -> ServerResult<RegistrationView> {
    let consents = sqlx::query(
        "SELECT account_id, full_name, citizen_masked, consented, answered_at \
         FROM registration_consents WHERE registration_id = $1 AND account_id IS NOT NULL \
         ORDER BY full_name",
    )
    .bind(reg.id.as_str())
    .fetch_all(&state.pool)
    .await?
    .iter()
    .map(|r| {
        let account: String = r.try_get("account_id")?;
        let consented: Option<i64> = r.try_get("consented")?;
        let answered: Option<i64> = r.try_get("answered_at")?;
        Ok(ConsentView {
            representative: PersonRef {
                account: parse_stored(AccountId::parse(&account))?,
                full_name: r.try_get("full_name")?,
                citizen_id_masked: r.try_get("citizen_masked")?,
            },
            consented: consented.map(|c| c != 0),
            answered_at: answered.map(timestamp),
        })
    })
    .collect::<ServerResult<Vec<_>>>()?;
    let mut history = Vec::new();
    let events = sqlx::query(
        "SELECT at, actor, event FROM registration_events WHERE registration_id = $1 ORDER BY seq",
    )
    .bind(reg.id.as_str())
    .fetch_all(&state.pool)
    .await?;
    for e in &events {
        let actor: Option<String> = e.try_get("actor")?;
        let actor = match actor {
            Some(a) => Some(person_ref(state, &parse_stored(AccountId::parse(&a))?).await?),
            None => None,
        };
        let event: String = e.try_get("event")?;
        history.push(RegistrationEvent {
            at: timestamp(e.try_get("at")?),
            actor,
            kind: parse_stored(serde_json::from_str(&event))?,
        });
    }
    let today = vietnam_date(state.now());
    Ok(RegistrationView {
        id: reg.id.clone(),
        org_type: reg.org_type,
        details: reg.details.clone(),
        capacity: reg.capacity,
        requester: person_ref(state, &reg.requester).await?,
        status: reg.status,
        submitted_at: timestamp(reg.submitted_at),
        due_on: reg.due_on,
        overdue: !reg.status.is_final() && today > reg.due_on,
        registry_check: reg.registry_check.clone(),
        consents,
        attachments: attachment_views(state, &reg.id).await?,
        history,
        org_eid: reg.org_eid.clone(),
    })
}

/// Loads a request the caller may see; `not_found` when it does not exist, `forbidden`
/// (audited) when the caller may not see it.
async fn load_visible(
    state: &AppState,
    session: &SessionContext,
    id: &str,
) -> ServerResult<StoredRegistration> {
    let id = RegistrationId::parse(id).map_err(|e| crate::infra::error::invalid_field(&e, "id"))?;
    let reg = load(state, &id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if !authz::may_read_registration(
        state,
        &session.account,
        reg.id.as_str(),
        &reg.requester,
        &reg.province,
    )
    .await?
    {
        return Err(refuse(
            state,
            Actor::session(session),
            "registration.read.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    Ok(reg)
}

// ---------------------------------------------------------------------------------------------
// Submission
// ---------------------------------------------------------------------------------------------

fn validation(errors: &[FieldError]) -> ServerError {
    ApiError::validation_failed(errors).into()
}

/// Checks a submission for `requester` as of `today`: the details again with the core crate's
/// rules for the type, the capacity against the representatives, and the attachments
/// (each the requester's own, of the right kind). Returns the details to store.
async fn check_submission(
    state: &AppState,
    requester_account: &AccountId,
    requester: &CitizenId,
    submission: &RegistrationSubmission,
) -> ServerResult<OrganisationDetails> {
    let today = vietnam_date(state.now());
    let details = submission
        .details
        .revalidate(submission.org_type, requester, today)
        .map_err(|e| validation(&e))?;
    let derived = RegistrationSubmission::new(submission.org_type, details.clone(), requester);
    if derived.capacity != submission.capacity {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("capacity"),
            ])
            .into());
    }
    check_attachments(state, requester_account, &details).await?;
    Ok(details)
}

/// The attachments named in `details` must exist, belong to `owner` and be of their kind.
async fn check_attachments(
    state: &AppState,
    owner: &AccountId,
    details: &OrganisationDetails,
) -> ServerResult<()> {
    let mut errors = Vec::new();
    for (kind, id) in [
        (
            DocumentKind::AuthorisationLetter,
            &details.authorisation_letter,
        ),
        (DocumentKind::FoundingDecision, &details.founding_decision),
    ] {
        let Some(id) = id else { continue };
        if !owns_attachment(state, owner, id, Some(kind)).await? {
            errors.push(FieldError::new(
                kind.field(),
                None,
                "not_found",
                format!(
                    "{} không tìm thấy trong các tệp bạn đã tải lên.",
                    kind.label_vi()
                ),
                format!("{} is not among the files you uploaded.", kind.label_en()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(validation(&errors))
    }
}

async fn owns_attachment(
    state: &AppState,
    owner: &AccountId,
    id: &AttachmentId,
    kind: Option<DocumentKind>,
) -> ServerResult<bool> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT kind FROM attachments WHERE id = $1 AND owner_account = $2")
            .bind(id.as_str())
            .bind(owner.as_str())
            .fetch_optional(&state.pool)
            .await?;
    Ok(match (stored, kind) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(k)) => s == enum_text(&k),
    })
}

async fn link_attachment(
    state: &AppState,
    id: &RegistrationId,
    attachment: &AttachmentId,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO registration_attachments (registration_id, attachment_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id.as_str())
    .bind(attachment.as_str())
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Who files a request: the requester in the app, or an officer at the desk for them.
#[derive(Clone, Copy)]
pub struct Filing<'a> {
    /// The requester's account.
    pub requester: &'a AccountId,
    /// The requester's identification number.
    pub requester_citizen: &'a CitizenId,
    /// Who is recorded as actor: the requester's session, or the officer's account.
    actor: Actor<'a>,
}

/// Files a checked submission: refuses duplicates and organisations that already have an
/// account, stores the request, asks co-representatives for consent or decides at once.
async fn file(
    state: &AppState,
    filing: Filing<'_>,
    org_type: OrgType,
    capacity: RequesterCapacity,
    details: &OrganisationDetails,
) -> ServerResult<StoredRegistration> {
    let key = org_key(details);
    let code_field = if details.enterprise_code.is_some() {
        "enterprise_code"
    } else if details.cooperative_code.is_some() {
        "cooperative_code"
    } else if details.tax_code.is_some() {
        "tax_code"
    } else if details.agency_code.is_some() {
        "agency_code"
    } else {
        "name_vi"
    };
    if existing_organisation(state, details).await?.is_some() {
        return Err(ApiError::new(ErrorCode::OrganisationAlreadyRegistered)
            .with_field(code_field)
            .into());
    }
    let duplicate = || -> ServerError {
        ApiError::new(ErrorCode::DuplicateRegistration)
            .with_field(code_field)
            .into()
    };
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE org_key = $1 AND is_open = 1")
            .bind(&key)
            .fetch_one(&state.pool)
            .await?;
    if open > 0 {
        return Err(duplicate());
    }

    let id =
        RegistrationId::parse(&new_id("reg")).map_err(|e| ServerError::Internal(e.to_string()))?;
    let now = state.now();
    let co_reps = details.co_representatives(filing.requester_citizen);
    // (look-up key, account if any, name, masked number) of each other representative.
    let mut others = Vec::with_capacity(co_reps.len());
    for rep in &co_reps {
        let key = state.keys.citizen_key(rep);
        let account = accounts::find_account_by_key(state, &key)
            .await?
            .map(|a| a.id);
        let name = details
            .representatives
            .iter()
            .find(|r| &r.citizen_id == rep)
            .map(|r| r.full_name.as_str().to_owned())
            .unwrap_or_default();
        others.push((key, account, name, rep.masked()));
    }
    let with_account: Vec<AccountId> = others.iter().filter_map(|o| o.1.clone()).collect();
    let status = if with_account.is_empty() {
        RegistrationStatus::Checking
    } else {
        RegistrationStatus::AwaitingConsent
    };
    let details_json =
        serde_json::to_vec(details).map_err(|e| ServerError::Internal(e.to_string()))?;
    let enc = state.keys.encrypt_blob(DETAILS_PURPOSE, &details_json);
    let officer_verifies = org_type.verifying_registry().is_none();
    let inserted = sqlx::query(
        "INSERT INTO registrations (id, requester, org_type, org_key, name_vi, province, capacity, \
         details_enc, status, is_open, submitted_at, due_on, in_person_officer) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12)",
    )
    .bind(id.as_str())
    .bind(filing.requester.as_str())
    .bind(enum_text(&org_type))
    .bind(&key)
    .bind(details.name_vi.as_str())
    .bind(details.head_office.province.key())
    .bind(enum_text(&capacity))
    .bind(enc)
    .bind(enum_text(&status))
    .bind(now)
    .bind(
        due_date(now, officer_verifies)
            .format("%Y-%m-%d")
            .to_string(),
    )
    .bind(
        filing
            .actor
            .session
            .is_none()
            .then(|| filing.actor.account.map(|a| a.as_str().to_owned()))
            .flatten(),
    )
    .execute(&state.pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(duplicate()),
        Err(e) => return Err(e.into()),
    }
    for (key, account, name, masked) in others {
        sqlx::query(
            "INSERT INTO registration_consents \
             (registration_id, citizen_key, account_id, full_name, citizen_masked) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(key)
        .bind(account.map(|a| a.as_str().to_owned()))
        .bind(name)
        .bind(masked)
        .execute(&state.pool)
        .await?;
    }
    for a in [&details.authorisation_letter, &details.founding_decision]
        .into_iter()
        .flatten()
    {
        link_attachment(state, &id, a).await?;
    }
    add_event(
        state,
        &id,
        filing.actor.account,
        &RegistrationEventKind::Submitted,
    )
    .await?;
    let requester_key = state.keys.citizen_key(filing.requester_citizen);
    audit_step(
        state,
        filing.actor,
        "registration.submitted",
        &link(&id),
        Some(&requester_key),
        false,
    )
    .await?;
    if status == RegistrationStatus::AwaitingConsent {
        for account in &with_account {
            tell(
                state,
                account,
                Message {
                    kind: NotificationKind::ConsentRequested,
                    title_vi: "Yêu cầu đồng ý đăng ký tổ chức",
                    title_en: "Your consent to an organisation registration",
                    body_vi: format!(
                        "Yêu cầu đăng ký tài khoản định danh điện tử cho {} cần sự đồng ý của bạn với tư cách người đại diện theo pháp luật.",
                        details.name_vi
                    ),
                    body_en: format!(
                        "A request to register {} for an e-ID needs your consent as one of its legal representatives.",
                        details.name_vi
                    ),
                    link: link(&id),
                },
            )
            .await?;
        }
    } else {
        let reg = load(state, &id)
            .await?
            .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
        decide(state, &reg, filing.actor).await?;
    }
    load(state, &id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))
}

/// The registry check and the decision that follows it, once every consent is in: approve
/// when the registry settles it, else send to an officer with the reason.
async fn decide(state: &AppState, reg: &StoredRegistration, actor: Actor<'_>) -> ServerResult<()> {
    let now = state.now();
    let requester_citizen = person_of(state, &reg.requester).await?.1.citizen_id;
    let requester_key = state.keys.citizen_key(&requester_citizen);
    let without_account: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_consents WHERE registration_id = $1 AND account_id IS NULL",
    )
    .bind(reg.id.as_str())
    .fetch_one(&state.pool)
    .await?;
    let (check, reason) = match registry::code_for(reg.org_type, &reg.details) {
        None => (None, Some(OfficerReviewReason::NoRegistry)),
        Some((kind, code)) => {
            let record = registry::adapter(state, kind).lookup(&code).await?;
            let rep_keys: Vec<Vec<u8>> = reg
                .details
                .representatives
                .iter()
                .map(|r| state.keys.citizen_key(&r.citizen_id))
                .collect();
            let check = registry::check(
                kind,
                record.as_ref(),
                &reg.details,
                &rep_keys,
                &requester_key,
                timestamp(now),
            );
            let about_people = |f: &OrgField| {
                matches!(f, OrgField::Representatives | OrgField::RepresentativeName)
            };
            let reason = if !check.found {
                Some(OfficerReviewReason::NotInRegistry)
            } else if !check.active || check.mismatches.iter().any(|m| !about_people(&m.field)) {
                Some(OfficerReviewReason::RegistryMismatch)
            } else if !check.mismatches.is_empty() {
                Some(OfficerReviewReason::RepresentativeMismatch)
            } else if reg.capacity == RequesterCapacity::Authorised {
                Some(OfficerReviewReason::AuthorisedRequester)
            } else if !check.requester_is_recorded_representative {
                Some(OfficerReviewReason::RepresentativeMismatch)
            } else if without_account > 0 {
                Some(OfficerReviewReason::CoRepresentativeWithoutAccount)
            } else {
                None
            };
            add_event(
                state,
                &reg.id,
                None,
                &RegistrationEventKind::RegistryChecked {
                    matched: check.found && check.active && check.mismatches.is_empty(),
                },
            )
            .await?;
            (Some(check), reason)
        }
    };
    let check_json = check
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    let due = due_date(reg.submitted_at, reason.is_some());
    sqlx::query(
        "UPDATE registrations SET registry_check = $1, reason = $2, due_on = $3 WHERE id = $4",
    )
    .bind(check_json)
    .bind(reason.as_ref().map(enum_text))
    .bind(due.format("%Y-%m-%d").to_string())
    .bind(reg.id.as_str())
    .execute(&state.pool)
    .await?;
    match reason {
        None => approve(state, reg, actor, "registration.approved_automatically").await,
        Some(reason) => {
            transition(
                state,
                &reg.id,
                &[RegistrationStatus::Checking],
                RegistrationStatus::AwaitingOfficer,
            )
            .await?;
            add_event(
                state,
                &reg.id,
                None,
                &RegistrationEventKind::SentToOfficer { reason },
            )
            .await?;
            let action = format!("registration.sent_to_officer.{}", enum_text(&reason));
            audit_step(state, actor, &action, &link(&reg.id), None, false).await
        }
    }
}

/// Creates the organisation's account and marks the request approved.
async fn approve(
    state: &AppState,
    reg: &StoredRegistration,
    actor: Actor<'_>,
    action: &str,
) -> ServerResult<()> {
    if existing_organisation(state, &reg.details).await?.is_some() {
        return Err(ServerError::code(ErrorCode::OrganisationAlreadyRegistered));
    }
    transition(
        state,
        &reg.id,
        &[
            RegistrationStatus::Checking,
            RegistrationStatus::AwaitingOfficer,
            RegistrationStatus::InformationRequested,
        ],
        RegistrationStatus::Approved,
    )
    .await?;
    let eid = organisations::create_organisation(
        state,
        organisations::NewOrganisation {
            org_type: reg.org_type,
            details: &reg.details,
            registration: Some(&reg.id),
            registered_by: &reg.requester,
        },
    )
    .await?;
    sqlx::query("UPDATE registrations SET org_eid = $1 WHERE id = $2")
        .bind(eid.as_str())
        .bind(reg.id.as_str())
        .execute(&state.pool)
        .await?;
    let officer = actor.session.is_some().then_some(actor.account).flatten();
    let event_actor = if action.ends_with("automatically") {
        None
    } else {
        officer.or(actor.account)
    };
    add_event(
        state,
        &reg.id,
        event_actor,
        &RegistrationEventKind::Approved {
            org_eid: eid.clone(),
        },
    )
    .await?;
    audit_step(state, actor, action, &link(&reg.id), None, false).await?;
    tell(
        state,
        &reg.requester,
        Message {
            kind: NotificationKind::RegistrationApproved,
            title_vi: "Đăng ký tổ chức đã được phê duyệt",
            title_en: "Organisation registration approved",
            body_vi: format!(
                "{} đã có tài khoản định danh điện tử, số định danh {eid}.",
                reg.details.name_vi
            ),
            body_en: format!(
                "{} now has an e-ID account, number {eid}.",
                reg.details.name_vi
            ),
            link: link(&reg.id),
        },
    )
    .await
}

/// The body of a sensitive route, parsed after the authenticated JSON.
fn confirmed_body<T: DeserializeOwned>(
    body: &serde_json::Value,
) -> ServerResult<api::Confirmed<T>> {
    let raw =
        serde_json::to_vec(body).map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    parse_confirmed(&raw)
}

fn target(id: &RegistrationId) -> ServerResult<ActionTarget> {
    ActionTarget::new("registration", id.as_str())
        .map_err(|e| crate::infra::error::invalid_field(&e, "id"))
}

/// A new registration checked before its confirmation: the requester and the details to
/// store. Made by [`check_new_registration`], used up by [`file_new_registration`].
pub struct CheckedRegistration {
    account: AccountId,
    citizen: CitizenId,
    org_type: OrgType,
    capacity: RequesterCapacity,
    details: OrganisationDetails,
}

/// The target a new registration is confirmed for: `registration:new`.
pub fn new_registration_target() -> ServerResult<ActionTarget> {
    ActionTarget::new("registration", "new").map_err(|e| ServerError::Internal(e.to_string()))
}

/// The checks a submission passes before anyone is asked to confirm it, in this order: level 2
/// (`level_too_low`, audited), the details, capacity and attachments (`validation_failed`).
/// Shared by the direct route and by a desktop's request confirmed on the phone, which runs
/// them when the desktop asks (so the phone never confirms something invalid) and again when
/// the phone confirms.
pub async fn check_new_registration(
    state: &AppState,
    session: &SessionContext,
    submission: &RegistrationSubmission,
) -> ServerResult<CheckedRegistration> {
    let (account, person) = person_of(state, &session.account).await?;
    if account.level != AccountLevel::Level2 {
        return Err(refuse(
            state,
            Actor::session(session),
            "registration.submit.refused",
            "registration:new",
            ErrorCode::LevelTooLow,
        )
        .await);
    }
    let details = check_submission(state, &account.id, &person.citizen_id, submission).await?;
    Ok(CheckedRegistration {
        account: account.id,
        citizen: person.citizen_id,
        org_type: submission.org_type,
        capacity: submission.capacity,
        details,
    })
}

/// `submission` with the requester's capacity derived from the session's person (a legal
/// representative when their identification number is one of the representatives'), whatever
/// it said. A desktop knows only the masked number and cannot tell; the phone is then asked
/// to confirm the corrected submission, which is what is filed.
pub async fn with_derived_capacity(
    state: &AppState,
    session: &SessionContext,
    submission: RegistrationSubmission,
) -> ServerResult<RegistrationSubmission> {
    let (_, person) = person_of(state, &session.account).await?;
    Ok(RegistrationSubmission::new(
        submission.org_type,
        submission.details,
        &person.citizen_id,
    ))
}

/// The organisation's name as the person entered it, for summaries ("Công ty …").
pub fn submission_name(submission: &RegistrationSubmission) -> &str {
    submission.details.name_vi.as_str()
}

/// Files a checked, confirmed registration with `session` as actor: duplicates
/// (`duplicate_registration`) and existing accounts (`organisation_already_registered`) are
/// refused here.
pub async fn file_new_registration(
    state: &AppState,
    session: &SessionContext,
    checked: CheckedRegistration,
) -> ServerResult<RegistrationView> {
    let reg = file(
        state,
        Filing {
            requester: &checked.account,
            requester_citizen: &checked.citizen,
            actor: Actor::session(session),
        },
        checked.org_type,
        checked.capacity,
        &checked.details,
    )
    .await?;
    view(state, &reg).await
}

/// `POST /v1/registrations`: submit a request, confirmed (`register_organisation`, target
/// `registration:new`). Checked in this order: level 2 (`level_too_low`), a confirmation is
/// present (`step_up_required`), the details, capacity and attachments (`validation_failed`),
/// the confirmation; then duplicates (`duplicate_registration`) and existing accounts
/// (`organisation_already_registered`).
async fn submit(
    State(state): State<AppState>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<RegistrationView>> {
    let session = &auth.session;
    let (account, _) = person_of(&state, &session.account).await?;
    if account.level != AccountLevel::Level2 {
        return Err(refuse(
            &state,
            Actor::session(session),
            "registration.submit.refused",
            "registration:new",
            ErrorCode::LevelTooLow,
        )
        .await);
    }
    let confirmed = confirmed_body::<RegistrationSubmission>(&auth.body)?;
    let checked = check_new_registration(&state, session, &confirmed.body).await?;
    verify_confirmation(
        &state,
        session,
        &confirmed,
        ActionKind::RegisterOrganisation,
        &new_registration_target()?,
    )
    .await?;
    Ok(Json(file_new_registration(&state, session, checked).await?))
}

/// `GET /v1/registrations`: the requests the person made or is asked to consent to, newest
/// first.
async fn list_own(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<RegistrationView>>> {
    let account = accounts::find_account(&state, &auth.session.account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM registrations WHERE requester = $1 OR id IN \
         (SELECT registration_id FROM registration_consents WHERE citizen_key = $2) \
         ORDER BY submitted_at DESC, id LIMIT 200",
    )
    .bind(account.id.as_str())
    .bind(account.citizen_key)
    .fetch_all(&state.pool)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let id = parse_stored(RegistrationId::parse(&id))?;
        if let Some(reg) = load(&state, &id).await? {
            out.push(view(&state, &reg).await?);
        }
    }
    Ok(Json(out))
}

/// `GET /v1/registrations/{id}`: requester, co-representatives and officers of the province.
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<RegistrationView>> {
    let reg = load_visible(&state, &auth.session, &id).await?;
    Ok(Json(view(&state, &reg).await?))
}

/// The path's request must be the one the body names (the signature covers the body).
fn same_request(path: &str, body: &RegistrationId) -> ServerResult<()> {
    if path == body.as_str() {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("body.registration"),
            ])
            .into())
    }
}

/// `POST /v1/registrations/{id}/consent`: a co-representative consents or refuses, confirmed
/// (`consent_to_registration` / `refuse_registration`, target `registration:<id>`). Consent
/// of the last one sends the request on to the registry check; a refusal withdraws it.
async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<RegistrationView>> {
    let session = &auth.session;
    let confirmed = confirmed_body::<ConsentDecision>(&auth.body)?;
    same_request(&id, &confirmed.body.registration)?;
    let reg = load(&state, &confirmed.body.registration)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let (account, _) = person_of(&state, &session.account).await?;
    if !authz::is_co_representative(&state, reg.id.as_str(), &account.id).await? {
        return Err(refuse(
            &state,
            Actor::session(session),
            "registration.consent.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    if reg.status != RegistrationStatus::AwaitingConsent {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let consenting = confirmed.body.consent;
    let kind = if consenting {
        ActionKind::ConsentToRegistration
    } else {
        ActionKind::RefuseRegistration
    };
    verify_confirmation(&state, session, &confirmed, kind, &target(&reg.id)?).await?;
    let answered = sqlx::query(
        "UPDATE registration_consents SET consented = $1, answered_at = $2, account_id = $3 \
         WHERE registration_id = $4 AND citizen_key = $5 AND consented IS NULL",
    )
    .bind(i64::from(consenting))
    .bind(state.now())
    .bind(account.id.as_str())
    .bind(reg.id.as_str())
    .bind(&account.citizen_key)
    .execute(&state.pool)
    .await?;
    if answered.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let actor = Actor::session(session);
    if consenting {
        add_event(
            &state,
            &reg.id,
            Some(&account.id),
            &RegistrationEventKind::Consented,
        )
        .await?;
        audit_step(
            &state,
            actor,
            "registration.consented",
            &link(&reg.id),
            Some(&account.citizen_key),
            false,
        )
        .await?;
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM registration_consents WHERE registration_id = $1 \
             AND account_id IS NOT NULL AND consented IS NULL",
        )
        .bind(reg.id.as_str())
        .fetch_one(&state.pool)
        .await?;
        if waiting == 0 {
            transition(
                &state,
                &reg.id,
                &[RegistrationStatus::AwaitingConsent],
                RegistrationStatus::Checking,
            )
            .await?;
            let reg = load(&state, &reg.id)
                .await?
                .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
            decide(&state, &reg, actor).await?;
        }
    } else {
        transition(
            &state,
            &reg.id,
            &[RegistrationStatus::AwaitingConsent],
            RegistrationStatus::Withdrawn,
        )
        .await?;
        add_event(
            &state,
            &reg.id,
            Some(&account.id),
            &RegistrationEventKind::Refused,
        )
        .await?;
        audit_step(
            &state,
            actor,
            "registration.refused",
            &link(&reg.id),
            Some(&account.citizen_key),
            false,
        )
        .await?;
        tell(
            &state,
            &reg.requester,
            Message {
                kind: NotificationKind::RegistrationRejected,
                title_vi: "Người đại diện khác không đồng ý",
                title_en: "A co-representative refused",
                body_vi: format!(
                    "Một người đại diện theo pháp luật của {} không đồng ý; yêu cầu đăng ký đã được rút.",
                    reg.details.name_vi
                ),
                body_en: format!(
                    "A legal representative of {} refused; the registration request is withdrawn.",
                    reg.details.name_vi
                ),
                link: link(&reg.id),
            },
        )
        .await?;
    }
    let reg = load(&state, &reg.id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
    Ok(Json(view(&state, &reg).await?))
}

/// Free text from a person (answer, reason, question): trimmed, 1..=2000 characters, no
/// control characters but newlines.
fn free_text(text: &str, field: &str) -> ServerResult<String> {
    let t = text.trim().replace("\r\n", "\n");
    let bad = t.is_empty()
        || t.chars().count() > MAX_TEXT_CHARS
        || t.chars().any(|c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        });
    if bad {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field(field),
            ])
            .into());
    }
    Ok(t)
}

/// `POST /v1/registrations/{id}/answer`: the requester answers an officer's question,
/// confirmed (`answer_information_request`, target `registration:<id>`), optionally with
/// corrected details (same organisation) and further documents of their own.
async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<RegistrationView>> {
    let session = &auth.session;
    let confirmed = confirmed_body::<InformationAnswer>(&auth.body)?;
    let body = &confirmed.body;
    same_request(&id, &body.registration)?;
    let reg = load(&state, &body.registration)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if reg.requester != session.account {
        return Err(refuse(
            &state,
            Actor::session(session),
            "registration.answer.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    if reg.status != RegistrationStatus::InformationRequested {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let text = free_text(&body.answer, "body.answer")?;
    let (_, person) = person_of(&state, &session.account).await?;
    let corrected = match &body.corrected_details {
        None => None,
        Some(d) => {
            let submission =
                RegistrationSubmission::new(reg.org_type, d.clone(), &person.citizen_id);
            let details =
                check_submission(&state, &session.account, &person.citizen_id, &submission).await?;
            if org_key(&details) != reg.org_key {
                return Err(ApiError::new(ErrorCode::ValidationFailed)
                    .with_details(vec![
                        ApiError::new(ErrorCode::ValidationFailed).with_field("corrected_details"),
                    ])
                    .into());
            }
            Some((details, submission.capacity))
        }
    };
    for a in &body.attachments {
        if !owns_attachment(&state, &session.account, a, None).await? {
            return Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_details(vec![
                    ApiError::new(ErrorCode::ValidationFailed).with_field("attachments"),
                ])
                .into());
        }
    }
    verify_confirmation(
        &state,
        session,
        &confirmed,
        ActionKind::AnswerInformationRequest,
        &target(&reg.id)?,
    )
    .await?;
    transition(
        &state,
        &reg.id,
        &[RegistrationStatus::InformationRequested],
        RegistrationStatus::AwaitingOfficer,
    )
    .await?;
    if let Some((details, capacity)) = &corrected {
        let json = serde_json::to_vec(details).map_err(|e| ServerError::Internal(e.to_string()))?;
        // The registry is asked again, so the officer sees how the corrected details compare.
        let check = match registry::code_for(reg.org_type, details) {
            Some((kind, code)) => {
                let record = registry::adapter(&state, kind).lookup(&code).await?;
                let keys: Vec<Vec<u8>> = details
                    .representatives
                    .iter()
                    .map(|r| state.keys.citizen_key(&r.citizen_id))
                    .collect();
                Some(registry::check(
                    kind,
                    record.as_ref(),
                    details,
                    &keys,
                    &state.keys.citizen_key(&person.citizen_id),
                    timestamp(state.now()),
                ))
            }
            None => None,
        };
        let check = check
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| ServerError::Internal(e.to_string()))?;
        sqlx::query(
            "UPDATE registrations SET details_enc = $1, capacity = $2, name_vi = $3, \
             registry_check = COALESCE($4, registry_check) WHERE id = $5",
        )
        .bind(state.keys.encrypt_blob(DETAILS_PURPOSE, &json))
        .bind(enum_text(capacity))
        .bind(details.name_vi.as_str())
        .bind(check)
        .bind(reg.id.as_str())
        .execute(&state.pool)
        .await?;
        for a in [&details.authorisation_letter, &details.founding_decision]
            .into_iter()
            .flatten()
        {
            link_attachment(&state, &reg.id, a).await?;
        }
    }
    for a in &body.attachments {
        link_attachment(&state, &reg.id, a).await?;
    }
    add_event(
        &state,
        &reg.id,
        Some(&session.account),
        &RegistrationEventKind::InformationProvided { answer: text },
    )
    .await?;
    audit_step(
        &state,
        Actor::session(session),
        "registration.answered",
        &link(&reg.id),
        None,
        false,
    )
    .await?;
    let reg = load(&state, &reg.id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
    Ok(Json(view(&state, &reg).await?))
}

/// `POST /v1/registrations/{id}/withdrawal`: the requester withdraws a request that is not
/// decided yet, confirmed (`withdraw_registration`, target `registration:<id>`).
async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<RegistrationView>> {
    let session = &auth.session;
    let confirmed = confirmed_body::<RegistrationWithdrawal>(&auth.body)?;
    same_request(&id, &confirmed.body.registration)?;
    let reg = load(&state, &confirmed.body.registration)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if reg.requester != session.account {
        return Err(refuse(
            &state,
            Actor::session(session),
            "registration.withdrawal.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    if reg.status.is_final() {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    verify_confirmation(
        &state,
        session,
        &confirmed,
        ActionKind::WithdrawRegistration,
        &target(&reg.id)?,
    )
    .await?;
    transition(
        &state,
        &reg.id,
        &[
            RegistrationStatus::AwaitingConsent,
            RegistrationStatus::Checking,
            RegistrationStatus::AwaitingOfficer,
            RegistrationStatus::InformationRequested,
        ],
        RegistrationStatus::Withdrawn,
    )
    .await?;
    add_event(
        &state,
        &reg.id,
        Some(&session.account),
        &RegistrationEventKind::Withdrawn,
    )
    .await?;
    audit_step(
        &state,
        Actor::session(session),
        "registration.withdrawn",
        &link(&reg.id),
        None,
        false,
    )
    .await?;
    let reg = load(&state, &reg.id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
    Ok(Json(view(&state, &reg).await?))
}

// ---------------------------------------------------------------------------------------------
// Officers
// ---------------------------------------------------------------------------------------------

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
            Actor::session(session),
            action,
            object,
            ErrorCode::Forbidden,
        )
        .await),
    }
}

/// `?after=` of the queue: how many items the previous pages held.
#[derive(serde::Deserialize)]
struct QueueQuery {
    after: Option<String>,
}

/// `GET /v1/officer/queue`: the requests waiting in the officer's province, overdue first,
/// then by due date.
async fn queue(
    State(state): State<AppState>,
    Query(q): Query<QueueQuery>,
    auth: Authed<()>,
) -> ServerResult<Json<Page<QueueItem>>> {
    let province = officer_of(&state, &auth.session, "officer.queue.refused", "queue").await?;
    let offset: i64 = match q.after.as_deref() {
        None => 0,
        Some(a) => a
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ServerError::code(ErrorCode::MalformedRequest))?,
    };
    let today = vietnam_date(state.now()).format("%Y-%m-%d").to_string();
    let rows = sqlx::query(
        "SELECT id, org_type, name_vi, status, reason, submitted_at, due_on FROM registrations \
         WHERE province = $1 AND status IN ($2, $3) \
         ORDER BY CASE WHEN due_on < $4 THEN 0 ELSE 1 END, due_on, submitted_at, id \
         LIMIT $5 OFFSET $6",
    )
    .bind(province.key())
    .bind(enum_text(&RegistrationStatus::AwaitingOfficer))
    .bind(enum_text(&RegistrationStatus::InformationRequested))
    .bind(&today)
    .bind(QUEUE_PAGE + 1)
    .bind(offset)
    .fetch_all(&state.pool)
    .await?;
    let more = rows.len() as i64 > QUEUE_PAGE;
    let items = rows
        .iter()
        .take(usize::try_from(QUEUE_PAGE).unwrap_or(50))
        .map(|r| {
            let id: String = r.try_get("id")?;
            let due: String = r.try_get("due_on")?;
            let reason: Option<String> = r.try_get("reason")?;
            Ok(QueueItem {
                id: parse_stored(RegistrationId::parse(&id))?,
                org_type: parse_enum(&r.try_get::<String, _>("org_type")?)?,
                name: r.try_get("name_vi")?,
                province,
                status: parse_enum(&r.try_get::<String, _>("status")?)?,
                reason: reason.as_deref().map(parse_enum).transpose()?,
                submitted_at: timestamp(r.try_get("submitted_at")?),
                due_on: parse_stored(NaiveDate::parse_from_str(&due, "%Y-%m-%d"))?,
                overdue: due < today,
            })
        })
        .collect::<ServerResult<Vec<_>>>()?;
    let next = more.then(|| (offset + QUEUE_PAGE).to_string());
    Ok(Json(Page { items, next }))
}

/// `POST /v1/officer/registrations/{id}/decision`: approve (the account is created), reject
/// with a reason, or ask for information; confirmed (`review_registration`, target
/// `registration:<id>`). Only officers of the request's province, never on a request of
/// their own or of an organisation they represent.
async fn officer_decision(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<RegistrationView>> {
    let session = &auth.session;
    let object = format!("registration:{id}");
    let province = officer_of(&state, session, "registration.decision.refused", &object).await?;
    let confirmed = confirmed_body::<OfficerDecision>(&auth.body)?;
    same_request(&id, &confirmed.body.registration)?;
    let reg = load(&state, &confirmed.body.registration)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let actor = Actor::session(session);
    let text =
        check_officer_decision(&state, actor, province, &reg, &confirmed.body.decision).await?;
    verify_confirmation(
        &state,
        session,
        &confirmed,
        ActionKind::ReviewRegistration,
        &target(&reg.id)?,
    )
    .await?;
    apply_officer_decision(&state, actor, &reg, &confirmed.body.decision, text).await?;
    let reg = load(&state, &reg.id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
    Ok(Json(view(&state, &reg).await?))
}

/// Whether this officer (of `province`) may take this decision on this request now: the
/// request's province, never their own request or one of an organisation they represent
/// (`forbidden`, audited), a status the decision applies to (`invalid_state`), and a reason or
/// question in words (`validation_failed`). Returns the trimmed text of a rejection or question.
async fn check_officer_decision(
    state: &AppState,
    actor: Actor<'_>,
    province: NewProvince,
    reg: &StoredRegistration,
    decision: &Decision,
) -> ServerResult<Option<String>> {
    let officer = actor
        .account
        .ok_or_else(|| ServerError::Internal("an officer decision without an officer".into()))?;
    let (_, officer_person) = person_of(state, officer).await?;
    if reg.province != province
        || reg.requester == *officer
        || reg
            .details
            .is_legal_representative(&officer_person.citizen_id)
    {
        return Err(refuse(
            state,
            actor,
            "registration.decision.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let allowed = match decision {
        Decision::RequestInformation { .. } => reg.status == RegistrationStatus::AwaitingOfficer,
        _ => matches!(
            reg.status,
            RegistrationStatus::AwaitingOfficer | RegistrationStatus::InformationRequested
        ),
    };
    if !allowed {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    Ok(match decision {
        Decision::Approve => None,
        Decision::Reject { reason } => Some(free_text(reason, "body.decision.reason")?),
        Decision::RequestInformation { question } => {
            Some(free_text(question, "body.decision.question")?)
        }
    })
}

/// Carries out a decision [`check_officer_decision`] allowed (with the `text` it returned):
/// the new status, the request's history, the audit trail with the officer as actor, and the
/// requester's notification.
async fn apply_officer_decision(
    state: &AppState,
    actor: Actor<'_>,
    reg: &StoredRegistration,
    decision: &Decision,
    text: Option<String>,
) -> ServerResult<()> {
    match (decision, text) {
        (Decision::Approve, _) => approve(state, reg, actor, "registration.approved").await,
        (Decision::Reject { .. }, Some(reason)) => {
            transition(
                state,
                &reg.id,
                &[
                    RegistrationStatus::AwaitingOfficer,
                    RegistrationStatus::InformationRequested,
                ],
                RegistrationStatus::Rejected,
            )
            .await?;
            add_event(
                state,
                &reg.id,
                actor.account,
                &RegistrationEventKind::Rejected {
                    reason: reason.clone(),
                },
            )
            .await?;
            audit_step(
                state,
                actor,
                "registration.rejected",
                &link(&reg.id),
                None,
                false,
            )
            .await?;
            tell(
                state,
                &reg.requester,
                Message {
                    kind: NotificationKind::RegistrationRejected,
                    title_vi: "Đăng ký tổ chức bị từ chối",
                    title_en: "Organisation registration rejected",
                    body_vi: format!(
                        "Yêu cầu đăng ký {} bị từ chối: {reason}",
                        reg.details.name_vi
                    ),
                    body_en: format!(
                        "The request to register {} was rejected: {reason}",
                        reg.details.name_vi
                    ),
                    link: link(&reg.id),
                },
            )
            .await
        }
        (Decision::RequestInformation { .. }, Some(question)) => {
            transition(
                state,
                &reg.id,
                &[RegistrationStatus::AwaitingOfficer],
                RegistrationStatus::InformationRequested,
            )
            .await?;
            add_event(
                state,
                &reg.id,
                actor.account,
                &RegistrationEventKind::InformationRequested {
                    question: question.clone(),
                },
            )
            .await?;
            audit_step(
                state,
                actor,
                "registration.information_requested",
                &link(&reg.id),
                None,
                false,
            )
            .await?;
            tell(
                state,
                &reg.requester,
                Message {
                    kind: NotificationKind::InformationRequested,
                    title_vi: "Cần bổ sung thông tin đăng ký tổ chức",
                    title_en: "More information needed for your registration",
                    body_vi: format!(
                        "Cán bộ đề nghị bổ sung cho yêu cầu đăng ký {}: {question}",
                        reg.details.name_vi
                    ),
                    body_en: format!(
                        "The officer asks about the request to register {}: {question}",
                        reg.details.name_vi
                    ),
                    link: link(&reg.id),
                },
            )
            .await
        }
        _ => Err(ServerError::Internal("a decision without its text".into())),
    }
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
    let actor = Actor::account(&officer.id);
    let Some(province) = authz::officer_province(state, &officer.id).await? else {
        return Err(refuse(
            state,
            actor,
            "registration.decision.refused",
            &link(id),
            ErrorCode::Forbidden,
        )
        .await);
    };
    let reg = load(state, id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let text = check_officer_decision(state, actor, province, &reg, decision).await?;
    apply_officer_decision(state, actor, &reg, decision, text).await?;
    let reg = load(state, id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))?;
    view(state, &reg).await
}

/// Every request, newest first, optionally only those with `status` (the `registration list`
/// command: all provinces, at most `limit`). Names only: no identification numbers.
pub async fn list_requests(
    state: &AppState,
    status: Option<RegistrationStatus>,
    limit: i64,
) -> ServerResult<Vec<QueueItem>> {
    let columns = "SELECT id, org_type, name_vi, province, status, reason, submitted_at, due_on \
                   FROM registrations";
    let rows = match status {
        Some(status) => {
            sqlx::query(&format!(
                "{columns} WHERE status = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2"
            ))
            .bind(enum_text(&status))
            .bind(limit)
            .fetch_all(&state.pool)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "{columns} ORDER BY submitted_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&state.pool)
            .await?
        }
    };
    let today = vietnam_date(state.now()).format("%Y-%m-%d").to_string();
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let due: String = r.try_get("due_on")?;
            let province: String = r.try_get("province")?;
            let reason: Option<String> = r.try_get("reason")?;
            let status: RegistrationStatus = parse_enum(&r.try_get::<String, _>("status")?)?;
            Ok(QueueItem {
                id: parse_stored(RegistrationId::parse(&id))?,
                org_type: parse_enum(&r.try_get::<String, _>("org_type")?)?,
                name: r.try_get("name_vi")?,
                province: parse_stored(NewProvince::parse(&province))?,
                status,
                reason: reason.as_deref().map(parse_enum).transpose()?,
                submitted_at: timestamp(r.try_get("submitted_at")?),
                due_on: parse_stored(NaiveDate::parse_from_str(&due, "%Y-%m-%d"))?,
                overdue: !status.is_final() && due < today,
            })
        })
        .collect()
}

/// `GET /v1/officer/statistics`: the officer's province: requests by status and type, those
/// overdue, and those decided after their due date.
async fn statistics(
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
    let rows = sqlx::query(
        "SELECT org_type, status, due_on, decided_at FROM registrations WHERE province = $1",
    )
    .bind(province.key())
    .fetch_all(&state.pool)
    .await?;
    let today = vietnam_date(state.now());
    let mut by_status: Vec<(RegistrationStatus, u64)> = Vec::new();
    let mut by_type: Vec<(OrgType, u64)> = OrgType::ALL.iter().map(|t| (*t, 0)).collect();
    let (mut overdue, mut late) = (0u64, 0u64);
    for r in &rows {
        let status: RegistrationStatus = parse_enum(&r.try_get::<String, _>("status")?)?;
        let org_type: OrgType = parse_enum(&r.try_get::<String, _>("org_type")?)?;
        let due: String = r.try_get("due_on")?;
        let due = parse_stored(NaiveDate::parse_from_str(&due, "%Y-%m-%d"))?;
        let decided: Option<i64> = r.try_get("decided_at")?;
        match by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => by_status.push((status, 1)),
        }
        if let Some((_, n)) = by_type.iter_mut().find(|(t, _)| *t == org_type) {
            *n += 1;
        }
        if !status.is_final() && today > due {
            overdue += 1;
        }
        if decided.is_some_and(|d| vietnam_date(d) > due) {
            late += 1;
        }
    }
    Ok(RegistrationStatistics {
        province: Some(province),
        by_status,
        by_type,
        overdue,
        decided_late: late,
    })
}

// ---------------------------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------------------------

/// `?kind=` of an upload.
#[derive(serde::Deserialize)]
struct UploadQuery {
    kind: DocumentKind,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attachment_path(state: &AppState, hash: &Digest32) -> std::path::PathBuf {
    state
        .config
        .data_dir
        .join("attachments")
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
    if content.len() as u64 > MediaType::MAX_SIZE {
        return Err(rejected("size"));
    }
    let media = MediaType::sniff(content).ok_or_else(|| rejected("media_type"))?;
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
    let id = new_id("att");
    let now = state.now();
    sqlx::query(
        "INSERT INTO attachments (id, owner_account, kind, media_type, size, sha256, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(owner.as_str())
    .bind(enum_text(&kind))
    .bind(enum_text(&media))
    .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
    .bind(hash.as_bytes().to_vec())
    .bind(now)
    .execute(&state.pool)
    .await?;
    Ok(AttachmentView {
        id: AttachmentId::parse(&id).map_err(|e| ServerError::Internal(e.to_string()))?,
        kind,
        media_type: media,
        size: content.len() as u64,
        sha256: hash,
        uploaded_at: timestamp(now),
    })
}

/// `POST /v1/attachments?kind=authorisation_letter|founding_decision`: the raw document in a
/// session with a request proof over it. Refused (`attachment_rejected`) when it is not a
/// PDF, JPEG or PNG by content, or larger than [`MediaType::MAX_SIZE`].
async fn upload(State(state): State<AppState>, req: Request) -> ServerResult<Json<AttachmentView>> {
    let (parts, body) = req.into_parts();
    let limit = usize::try_from(MediaType::MAX_SIZE).unwrap_or(usize::MAX);
    // One byte over the limit is enough to know it is too large.
    let body = axum::body::to_bytes(body, limit.saturating_add(1))
        .await
        .map_err(|_| rejected("size"))?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MustBeActive).await?;
    let Ok(Query(q)) = Query::<UploadQuery>::try_from_uri(&parts.uri) else {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("kind"),
            ])
            .into());
    };
    let stored = store_attachment(&state, &session.account, q.kind, &body).await;
    let object = match &stored {
        Ok(v) => format!("attachment:{}", v.id),
        Err(_) => "attachment:new".to_owned(),
    };
    audit_step(
        &state,
        Actor::session(&session),
        "attachment.uploaded",
        &object,
        None,
        stored.is_err(),
    )
    .await?;
    Ok(Json(stored?))
}

/// `GET /v1/attachments/{id}`: the content, to its uploader and to officers of the province of
/// a request it is attached to; anyone else is refused (`forbidden`, audited).
async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Response> {
    let session = &auth.session;
    let id = AttachmentId::parse(&id).map_err(|e| crate::infra::error::invalid_field(&e, "id"))?;
    let row = sqlx::query(
        "SELECT id, owner_account, kind, media_type, size, sha256, uploaded_at FROM attachments \
         WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let owner: String = row.try_get("owner_account")?;
    let object = format!("attachment:{id}");
    let mut allowed = owner == session.account.as_str();
    if !allowed {
        if let Some(province) = authz::officer_province(&state, &session.account).await? {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM registration_attachments ra \
                 JOIN registrations r ON r.id = ra.registration_id \
                 WHERE ra.attachment_id = $1 AND r.province = $2",
            )
            .bind(id.as_str())
            .bind(province.key())
            .fetch_one(&state.pool)
            .await?;
            allowed = n > 0;
        }
    }
    if !allowed {
        return Err(refuse(
            &state,
            Actor::session(session),
            "attachment.read.refused",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let meta = attachment_view(&row)?;
    let path = attachment_path(&state, &meta.sha256);
    let content = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?
        .map_err(|e| ServerError::Internal(format!("reading an attachment: {e}")))?;
    if sha256(&content) != meta.sha256 {
        return Err(ServerError::Internal(
            "an attachment's content changed on disk".into(),
        ));
    }
    audit_step(
        &state,
        Actor::session(session),
        "attachment.read",
        &object,
        None,
        false,
    )
    .await?;
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

// ---------------------------------------------------------------------------------------------
// In person
// ---------------------------------------------------------------------------------------------

/// A registration an officer files at the desk for a person who came with their documents
/// (the `registration in-person` command): the same checks and records as in the app, with
/// the officer as actor. The officer must serve the head office's province; the requester
/// needs a level-2 account (which the officer can grant after checking their card). Documents
/// are stored as the requester's attachments.
pub async fn register_in_person(
    state: &AppState,
    officer_citizen: &CitizenId,
    requester_citizen: &CitizenId,
    org_type: OrgType,
    form: &OrganisationForm,
    documents: &[(DocumentKind, Vec<u8>)],
) -> ServerResult<RegistrationView> {
    let officer = accounts::find_account_by_citizen(state, officer_citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let Some(province) = authz::officer_province(state, &officer.id).await? else {
        return Err(refuse(
            state,
            Actor::account(&officer.id),
            "registration.in_person.refused",
            "registration:new",
            ErrorCode::Forbidden,
        )
        .await);
    };
    let requester = accounts::find_account_by_citizen(state, requester_citizen)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if requester.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let mut form = form.clone();
    for (kind, content) in documents {
        let stored = store_attachment(state, &requester.id, *kind, content).await?;
        match kind {
            DocumentKind::AuthorisationLetter => form.authorisation_letter = stored.id.to_string(),
            DocumentKind::FoundingDecision => form.founding_decision = stored.id.to_string(),
        }
    }
    let today = vietnam_date(state.now());
    let details = form
        .validate_for_requester(org_type, requester_citizen, today)
        .map_err(|e| validation(&e))?;
    if details.head_office.province != province {
        return Err(refuse(
            state,
            Actor::account(&officer.id),
            "registration.in_person.refused",
            "registration:new",
            ErrorCode::Forbidden,
        )
        .await);
    }
    let submission = RegistrationSubmission::new(org_type, details, requester_citizen);
    let details = check_submission(state, &requester.id, requester_citizen, &submission).await?;
    let reg = file(
        state,
        Filing {
            requester: &requester.id,
            requester_citizen,
            actor: Actor::account(&officer.id),
        },
        org_type,
        submission.capacity,
        &details,
    )
    .await?;
    view(state, &reg).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn three_working_days_skip_the_weekend() {
        // Thursday 2025-07-17 -> Fri, Mon, Tue.
        assert_eq!(add_working_days(d("2025-07-17"), 3), d("2025-07-22"));
        // Friday -> Mon, Tue, Wed.
        assert_eq!(add_working_days(d("2025-07-18"), 3), d("2025-07-23"));
        // Saturday -> Mon, Tue, Wed.
        assert_eq!(add_working_days(d("2025-07-19"), 3), d("2025-07-23"));
        // Monday -> Tue, Wed, Thu.
        assert_eq!(add_working_days(d("2025-07-14"), 3), d("2025-07-17"));
    }

    #[test]
    fn fixed_date_public_holidays_are_not_working_days() {
        // Tuesday 29 April 2025: 30 April and 1 May (Wed, Thu) are holidays.
        assert_eq!(add_working_days(d("2025-04-29"), 3), d("2025-05-06"));
        assert!(!is_working_day(d("2025-09-02")));
        assert!(is_working_day(d("2025-09-03")));
    }

    #[test]
    fn dates_are_vietnams() {
        // 2025-07-17 18:00 UTC is already the 18th in Hà Nội.
        let t = chrono::NaiveDateTime::parse_from_str("2025-07-17 18:00", "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(vietnam_date(t), d("2025-07-18"));
        assert_eq!(due_date(t, true), d("2025-08-02"));
        assert_eq!(due_date(t, false), d("2025-07-23"));
    }
}
