//! Registrations of organisations.

use dinhdanh_core::api::{Decision, RegistrationView};
use dinhdanh_core::ids::{CitizenId, RegistrationId};
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm};

use super::{AppState, ServerResult};
use crate::resources::registrations as inner;

pub use inner::{StoredRegistration, vietnam_date};

/// A write transaction that read the holiday table the way an action counting a due date
/// does, held open until [`CalendarReader::release`]: a change to the table waits for it.
pub struct CalendarReader(crate::store::tx::Tx);

/// Reads the calendar from `from` on, as filing a request does, and holds the transaction.
pub async fn read_calendar_and_hold(
    state: &AppState,
    from: chrono::NaiveDate,
) -> ServerResult<CalendarReader> {
    let mut tx = crate::store::tx::Tx::begin(state, "test.calendar").await?;
    inner::calendar_from(&mut tx, from).await?;
    Ok(CalendarReader(tx))
}

impl CalendarReader {
    /// Commits the reading transaction.
    pub async fn release(self) -> ServerResult<()> {
        self.0.commit().await
    }
}

/// The day `n` working days after `from` on the server's stored calendar (the holiday table).
pub async fn working_days_after(
    state: &AppState,
    from: chrono::NaiveDate,
    n: u32,
) -> ServerResult<chrono::NaiveDate> {
    let mut tx = crate::store::tx::Tx::begin(state, "test.calendar").await?;
    let calendar = inner::calendar_from(&mut tx, from).await?;
    Ok(calendar.add_working_days(from, n))
}

/// A stored registration.
pub async fn load(
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<Option<StoredRegistration>> {
    inner::load(state, id).await
}

/// An officer registers an organisation for a person at the counter.
pub async fn register_in_person(
    state: &AppState,
    officer_citizen: &CitizenId,
    requester_citizen: &CitizenId,
    org_type: OrgType,
    form: &OrganisationForm,
    documents: &[(DocumentKind, Vec<u8>)],
) -> ServerResult<RegistrationView> {
    inner::register_in_person(
        state,
        officer_citizen,
        requester_citizen,
        org_type,
        form,
        documents,
    )
    .await
}

/// An officer decides an in-person registration (the command-line tool's path).
pub async fn decide_in_person(
    state: &AppState,
    officer_citizen: &CitizenId,
    id: &RegistrationId,
    decision: &Decision,
) -> ServerResult<RegistrationView> {
    inner::decide_in_person(state, officer_citizen, id, decision).await
}
