//! What each kind a desktop or the console may ask for means: the direct route's checks made
//! when it asks, and the direct route's code run when the phone confirms. Both call the other
//! resources' service API (registrations, organisations), in those resources' transactions.

use dinhdanh_core::api::{
    ApiError, Decision, ErrorCode, HolidayTableChange, InPersonRegistration, OfficerAccountChange,
    OfficerDecision, OfficerOrganisationLock, RegistrationSubmission, SwitchAccount,
};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::signed_action::{self, ActionKind, ActionTarget};

use super::Asker;
use crate::http::auth::SessionContext;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::holidays;
use crate::resources::officers;
use crate::resources::organisations;
use crate::resources::registrations;
use crate::store::audit::Actor;

/// A desktop's request checked as the direct route checks it.
pub(super) struct Prepared {
    /// The canonical JSON of the typed body: what the phone confirms.
    pub(super) canonical: Vec<u8>,
    /// The direct route's target.
    pub(super) target: ActionTarget,
    /// The one-line summary, in Vietnamese.
    pub(super) summary_vi: String,
    /// The one-line summary, in English.
    pub(super) summary_en: String,
}

pub(super) fn malformed() -> ServerError {
    ApiError::new(ErrorCode::MalformedRequest)
        .with_field("body")
        .into()
}

/// The console's bodies of kind `change_account_lock`: a person's account, or an organisation's
/// (the same kind and targets as the direct routes), told apart by their fields: a person's
/// needs `account`, an organisation's takes no field but its own.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum LockChange {
    Person(OfficerAccountChange),
    Organisation(OfficerOrganisationLock),
}

fn canonical<T: serde::Serialize>(body: &T) -> ServerResult<Vec<u8>> {
    signed_action::canonical_json(body).map_err(|_| malformed())
}

/// Runs the pre-confirmation checks of `kind`'s direct route for `session`.
pub(super) async fn prepare(
    state: &AppState,
    session: &SessionContext,
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<Prepared> {
    match kind {
        ActionKind::RegisterOrganisation => {
            let submission: RegistrationSubmission =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // The capacity is the server's to derive: the desktop sees only a masked number.
            let submission =
                registrations::with_derived_capacity(state, session, submission).await?;
            registrations::check_new_registration(state, session, &submission).await?;
            let name = registrations::submission_name(&submission);
            Ok(Prepared {
                canonical: canonical(&submission)?,
                target: registrations::new_registration_target()?,
                summary_vi: format!("Đăng ký định danh điện tử cho tổ chức «{name}»"),
                summary_en: format!("Register the electronic identity of «{name}»"),
            })
        }
        ActionKind::SwitchAccount => {
            let switch: SwitchAccount =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let (summary_vi, summary_en) = match &switch.to {
                None => (
                    "Chuyển máy tính về tài khoản cá nhân".to_owned(),
                    "Switch the computer back to the personal account".to_owned(),
                ),
                Some(eid) => {
                    let name = organisation_name(state, session, eid).await?;
                    (
                        format!("Chuyển máy tính sang tài khoản tổ chức «{name}»"),
                        format!("Switch the computer to the organisation account «{name}»"),
                    )
                }
            };
            Ok(Prepared {
                canonical: canonical(&switch)?,
                target: organisations::switch_target(&session.account, switch.to.as_ref())?,
                summary_vi,
                summary_en,
            })
        }
        _ => Err(ServerError::code(ErrorCode::DesktopActionNotAllowed)),
    }
}

/// Runs the pre-confirmation checks of `kind` asked for at the console by `officer` (the
/// console checked the session; the officer role is read again here).
pub(super) async fn prepare_for_console(
    state: &AppState,
    officer: &Actor,
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<Prepared> {
    match kind {
        ActionKind::ReviewRegistration => {
            let decision: OfficerDecision =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let (name, target) =
                registrations::check_console_decision(state, officer, &decision).await?;
            let (summary_vi, summary_en) = decision_summary(&name, &decision.decision);
            Ok(Prepared {
                canonical: canonical(&decision)?,
                target,
                summary_vi,
                summary_en,
            })
        }
        ActionKind::ChangeAccountLock => {
            let change = match serde_json::from_value(body.clone()).map_err(|_| malformed())? {
                LockChange::Person(change) => change,
                LockChange::Organisation(change) => {
                    let checked =
                        organisations::check_console_lock(state, officer, &change).await?;
                    let name = checked.name;
                    let reason = &change.reason;
                    let (summary_vi, summary_en) = if change.lock {
                        (
                            format!(
                                "Khóa tài khoản định danh của tổ chức «{name}». Lý do: {reason}"
                            ),
                            format!(
                                "Lock the e-ID account of the organisation «{name}». Reason: {reason}"
                            ),
                        )
                    } else {
                        (
                            format!(
                                "Mở khóa tài khoản định danh của tổ chức «{name}». Lý do: {reason}"
                            ),
                            format!(
                                "Unlock the e-ID account of the organisation «{name}». Reason: {reason}"
                            ),
                        )
                    };
                    return Ok(Prepared {
                        canonical: canonical(&change)?,
                        target: checked.target,
                        summary_vi,
                        summary_en,
                    });
                }
            };
            let checked = officers::check_lock_change(state, officer, &change).await?;
            let name = checked.full_name;
            let (summary_vi, summary_en) = if change.lock {
                (
                    format!(
                        "Khóa tài khoản định danh của {name}. Lý do: {}",
                        change.reason
                    ),
                    format!("Lock the e-ID account of {name}. Reason: {}", change.reason),
                )
            } else {
                (
                    format!(
                        "Mở khóa tài khoản định danh của {name}. Lý do: {}",
                        change.reason
                    ),
                    format!(
                        "Unlock the e-ID account of {name}. Reason: {}",
                        change.reason
                    ),
                )
            };
            Ok(Prepared {
                canonical: canonical(&change)?,
                target: checked.target,
                summary_vi,
                summary_en,
            })
        }
        ActionKind::RegisterInPerson => {
            let intake: InPersonRegistration =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let (summary_vi, summary_en) =
                registrations::check_in_person(state, officer, &intake).await?;
            Ok(Prepared {
                // The scans' digests are in it: the phone confirms exactly the files scanned.
                canonical: canonical(&intake)?,
                target: registrations::new_registration_target()?,
                summary_vi,
                summary_en,
            })
        }
        ActionKind::ChangeHolidayTable => {
            let change: HolidayTableChange =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let checked = holidays::check_console_change(state, officer, &change).await?;
            Ok(Prepared {
                canonical: canonical(&change)?,
                target: checked.target,
                summary_vi: checked.summary_vi,
                summary_en: checked.summary_en,
            })
        }
        _ => Err(ServerError::code(ErrorCode::DesktopActionNotAllowed)),
    }
}

/// What the officer's phone says a decision does, with its reason or question in full: the
/// officer confirms the words the requester will read.
fn decision_summary(name: &str, decision: &Decision) -> (String, String) {
    match decision {
        Decision::Approve => (
            format!("Phê duyệt yêu cầu đăng ký định danh của «{name}»"),
            format!("Approve the registration request of «{name}»"),
        ),
        Decision::Reject { reason } => (
            format!("Từ chối yêu cầu đăng ký định danh của «{name}». Lý do: {reason}"),
            format!("Reject the registration request of «{name}». Reason: {reason}"),
        ),
        Decision::RequestInformation { question } => (
            format!("Yêu cầu «{name}» bổ sung thông tin: {question}"),
            format!("Ask «{name}» for more information: {question}"),
        ),
    }
}

/// The name of an organisation the person may act for now (`forbidden` otherwise), as the
/// switch route would check it.
async fn organisation_name(
    state: &AppState,
    session: &SessionContext,
    eid: &OrgEid,
) -> ServerResult<String> {
    let choices = organisations::account_choices(state, &session.account, None).await?;
    choices
        .organisations
        .into_iter()
        .find(|o| &o.eid == eid && o.usable)
        .map(|o| o.name)
        .ok_or_else(|| ServerError::code(ErrorCode::Forbidden))
}

/// Carries out a confirmed action with the direct route's code. `phone` is the session that
/// confirmed; `asker` the session that asked.
pub(super) async fn carry_out(
    state: &AppState,
    phone: &SessionContext,
    asker: &Asker,
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<serde_json::Value> {
    let result = match kind {
        ActionKind::RegisterOrganisation => {
            let submission: RegistrationSubmission =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // Checked again: a level, an attachment or a form rule may have changed since the
            // desktop asked.
            let checked = registrations::check_new_registration(state, phone, &submission).await?;
            let view = registrations::file_new_registration(state, phone, checked).await?;
            serde_json::to_value(view)
        }
        ActionKind::SwitchAccount => {
            let Asker::Desktop(desktop) = asker else {
                return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed));
            };
            let switch: SwitchAccount =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let actor = phone.actor();
            // The desktop's session is switched, not the phone's.
            organisations::switch_session(state, &actor, desktop, switch.to.as_ref()).await?;
            let choices =
                organisations::account_choices(state, &phone.account, switch.to.as_ref()).await?;
            serde_json::to_value(choices)
        }
        ActionKind::ReviewRegistration => {
            let decision: OfficerDecision =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // The officer is the person whose phone confirmed; every check runs again.
            let view = registrations::decide_confirmed(state, &phone.actor(), &decision).await?;
            serde_json::to_value(view)
        }
        ActionKind::ChangeAccountLock => {
            match serde_json::from_value(body.clone()).map_err(|_| malformed())? {
                LockChange::Person(change) => {
                    let view = officers::apply_lock_change(state, &phone.actor(), &change).await?;
                    serde_json::to_value(view)
                }
                LockChange::Organisation(change) => {
                    let record =
                        organisations::apply_console_lock(state, &phone.actor(), &change).await?;
                    serde_json::to_value(record)
                }
            }
        }
        ActionKind::RegisterInPerson => {
            let intake: InPersonRegistration =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // The officer is the person whose phone confirmed; every check runs again.
            let view = registrations::file_in_person(state, &phone.actor(), &intake).await?;
            serde_json::to_value(view)
        }
        ActionKind::ChangeHolidayTable => {
            let change: HolidayTableChange =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let done = holidays::apply_console_change(state, &phone.actor(), &change).await?;
            serde_json::to_value(done)
        }
        _ => return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed)),
    };
    result.map_err(|e| ServerError::Internal(format!("desktop action result: {e}")))
}
