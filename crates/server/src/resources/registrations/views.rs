//! A request's history and how people see a request: the view its requester,
//! co-representatives and officers get, and the check that the caller may see it.

use dinhdanh_core::api::{
    AttachmentView, ConsentView, ErrorCode, LiveEvent, RegistrationEvent, RegistrationEventKind,
    RegistrationView,
};
use dinhdanh_core::crypto::Digest32;
use dinhdanh_core::ids::{AccountId, AttachmentId, RegistrationId};

use super::dates::vietnam_date;
use super::people::{link, person_ref};
use super::stored::{StoredRegistration, load};
use crate::authz;
use crate::http::auth::SessionContext;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::organisations::requester_ref;
use crate::store::audit::refuse;
use crate::store::live_events::Audience;
use crate::store::registration_attachments::{self as attachments, AttachmentRow};
use crate::store::registrations as store;
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

/// Appends to the request's history, as part of the action `tx`; the open apps of the people
/// who see the request as theirs are told ([`LiveEvent::ConsentChanged`] for a consent or a
/// refusal, [`LiveEvent::RequestChanged`] for anything else).
pub(super) async fn add_event(
    tx: &mut Tx,
    id: &RegistrationId,
    actor: Option<&AccountId>,
    kind: &RegistrationEventKind,
) -> ServerResult<()> {
    let json = serde_json::to_string(kind).map_err(|e| ServerError::Internal(e.to_string()))?;
    let now = tx.now();
    store::add_event(tx.conn()?, id, now, actor, json).await?;
    let event = match kind {
        RegistrationEventKind::Consented | RegistrationEventKind::Refused => {
            LiveEvent::ConsentChanged { id: id.clone() }
        }
        _ => LiveEvent::RequestChanged { id: id.clone() },
    };
    for account in store::people(tx.conn()?, id).await? {
        tx.publish(Audience::Account(account), event.clone());
    }
    Ok(())
}

/// An attachment's metadata as people see it.
pub(super) fn attachment_view(row: &AttachmentRow) -> ServerResult<AttachmentView> {
    let hash: [u8; 32] = row
        .sha256
        .clone()
        .try_into()
        .map_err(|_| ServerError::Internal("stored hash length".into()))?;
    Ok(AttachmentView {
        id: parse_stored(AttachmentId::parse(&row.id))?,
        kind: from_word(&row.kind)?,
        media_type: from_word(&row.media_type)?,
        size: u64::try_from(row.size).unwrap_or_default(),
        sha256: Digest32::from_bytes(hash),
        uploaded_at: timestamp(row.uploaded_at),
    })
}

/// The request as `reader` (its requester, a co-representative or an officer) sees it: who
/// among the co-representatives has an account, and which, only when
/// [`authz::consents_disclosure`] allows.
pub async fn view(
    state: &AppState,
    reg: &StoredRegistration,
    reader: &AccountId,
) -> ServerResult<RegistrationView> {
    let officer = authz::is_officer_of(state, reader, &reg.province).await?;
    let full = authz::consents_disclosure(officer) == authz::Disclosure::Full;
    let mut conn = state.pool.acquire().await?;
    let consents = store::consents(&mut conn, &reg.id)
        .await?
        .into_iter()
        .map(|r| {
            // The reader's own line: a co-representative is told which line asks them.
            let you = r.account_id.as_deref() == Some(reader.as_str());
            let account = match r.account_id.filter(|_| full) {
                Some(a) => Some(parse_stored(AccountId::parse(&a))?),
                None => None,
            };
            Ok(ConsentView {
                full_name: r.full_name,
                citizen_id_masked: r.citizen_masked,
                account,
                consented: r.consented.map(|c| c != 0),
                answered_at: r.answered_at.map(timestamp),
                you,
            })
        })
        .collect::<ServerResult<Vec<_>>>()?;
    let events = store::events(&mut conn, &reg.id).await?;
    let attachments = attachments::of_registration(&mut conn, &reg.id)
        .await?
        .iter()
        .map(attachment_view)
        .collect::<ServerResult<Vec<_>>>()?;
    drop(conn);
    let mut history = Vec::with_capacity(events.len());
    for e in events {
        let actor = match e.actor {
            Some(a) => Some(person_ref(state, &parse_stored(AccountId::parse(&a))?).await?),
            None => None,
        };
        history.push(RegistrationEvent {
            at: timestamp(e.at),
            actor,
            kind: parse_stored(serde_json::from_str(&e.event))?,
        });
    }
    let today = vietnam_date(state.now());
    Ok(RegistrationView {
        id: reg.id.clone(),
        org_type: reg.org_type,
        details: reg.details.clone(),
        capacity: reg.capacity,
        requester: requester_ref(state, reg.requester.as_ref(), &reg.requester_key).await?,
        status: reg.status,
        submitted_at: timestamp(reg.submitted_at),
        due_on: reg.due_on,
        overdue: !reg.status.is_final() && today > reg.due_on,
        registry_check: reg.registry_check.clone(),
        consents,
        attachments,
        history,
        org_eid: reg.org_eid.clone(),
    })
}

/// Loads a request the caller may see; `not_found` when it does not exist, `forbidden`
/// (audited) when the caller may not see it.
pub(super) async fn load_visible(
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
        reg.requester.as_ref(),
        &reg.province,
    )
    .await?
    {
        return Err(refuse(
            state,
            Some(&session.actor()),
            "registration.read.refused",
            &link(&reg.id),
            ErrorCode::Forbidden,
        )
        .await);
    }
    Ok(reg)
}
