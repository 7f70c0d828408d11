//! People, audit entries and notices: who an account is, who did something (for the audit
//! trail), refusals, and the messages a request's people receive (inbox, SMS, e-mail).

use dinhdanh_core::api::{ErrorCode, NotificationKind, PersonRef};
use dinhdanh_core::ids::{AccountId, OrgEid, RegistrationId};
use dinhdanh_core::registration::lifecycle::RequesterNotice;
use dinhdanh_core::signed_action::ActionTarget;

use super::stored::StoredRegistration;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::outbox::{Channel, InboxItem};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, AccountRow, CitizenRecord};
use crate::store::tx::Tx;
use crate::store::values::word;

/// The account and the person behind it.
pub(super) async fn person_of(
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

/// [`person_of`] on the caller's connection: inside a transaction, no second connection of
/// the pool is taken (with every connection held by a transaction waiting for one, all would
/// wait).
pub(super) async fn person_in(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    account: &AccountId,
) -> ServerResult<(AccountRow, CitizenRecord)> {
    let row = accounts::find_account_in(conn, account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let person = accounts::citizen_in(conn, state, &row.citizen_key)
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok((row, person))
}

/// A person as others see them: name and masked number.
pub(super) async fn person_ref(state: &AppState, account: &AccountId) -> ServerResult<PersonRef> {
    let (_, person) = person_of(state, account).await?;
    Ok(PersonRef {
        account: account.clone(),
        full_name: person.full_name,
        citizen_id_masked: person.citizen_id.masked(),
    })
}

/// A message to a person: the in-app inbox, an SMS, and an e-mail when they gave one.
pub(super) struct Message<'a> {
    pub(super) kind: NotificationKind,
    pub(super) title_vi: &'a str,
    pub(super) title_en: &'a str,
    pub(super) body_vi: String,
    pub(super) body_en: String,
    pub(super) link: String,
}

/// Sends `m` to `account` as part of the action `tx`.
pub(super) async fn tell(
    tx: &mut Tx,
    state: &AppState,
    account: &AccountId,
    m: Message<'_>,
) -> ServerResult<()> {
    let (_, person) = person_in(tx.conn()?, state, account).await?;
    send(tx, Some(account), &person, m).await
}

/// Sends `m` to the requester of `reg` as part of the action `tx`: as [`tell`] when they have
/// an account; a requester taken at the counter without one has no inbox, and gets the SMS
/// (and e-mail) at the contact the people records hold, where [`tell`] sends it too.
pub(super) async fn tell_requester(
    tx: &mut Tx,
    state: &AppState,
    reg: &StoredRegistration,
    m: Message<'_>,
) -> ServerResult<()> {
    if let Some(account) = &reg.requester {
        return tell(tx, state, account, m).await;
    }
    let person = accounts::citizen_in(tx.conn()?, state, &reg.requester_key)
        .await?
        .ok_or_else(|| ServerError::Internal("a requester not in the people records".into()))?;
    send(tx, None, &person, m).await
}

/// The inbox item (for a person with an account), SMS and e-mail of `m` to `person`.
async fn send(
    tx: &mut Tx,
    account: Option<&AccountId>,
    person: &CitizenRecord,
    m: Message<'_>,
) -> ServerResult<()> {
    if let Some(account) = account {
        tx.notify(
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
    }
    let account = account.map(AccountId::as_str);
    let kind = format!("registration.{}", word(&m.kind)?);
    tx.send(
        account,
        Channel::Sms,
        person.phone.as_str(),
        &kind,
        m.title_vi,
        &m.body_vi,
    )
    .await?;
    if let Some(email) = &person.email {
        let body = format!("{}\n\n{}", m.body_vi, m.body_en);
        tx.send(
            account,
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

/// What the requester is told: `text` is the officer's reason or question, `eid` the new
/// organisation's number.
pub(super) fn requester_message(
    notice: RequesterNotice,
    reg: &StoredRegistration,
    text: Option<&str>,
    eid: Option<&OrgEid>,
) -> ServerResult<Message<'static>> {
    let name = &reg.details.name_vi;
    let missing = || ServerError::Internal("a notice without what it tells".into());
    let (title_vi, title_en, body_vi, body_en) = match notice {
        RequesterNotice::Approved => {
            let eid = eid.ok_or_else(missing)?;
            (
                "Đăng ký tổ chức đã được phê duyệt",
                "Organisation registration approved",
                format!("{name} đã có tài khoản định danh điện tử, số định danh {eid}."),
                format!("{name} now has an e-ID account, number {eid}."),
            )
        }
        RequesterNotice::Rejected => {
            let reason = text.ok_or_else(missing)?;
            (
                "Đăng ký tổ chức bị từ chối",
                "Organisation registration rejected",
                format!("Yêu cầu đăng ký {name} bị từ chối: {reason}"),
                format!("The request to register {name} was rejected: {reason}"),
            )
        }
        RequesterNotice::InformationRequested => {
            let question = text.ok_or_else(missing)?;
            (
                "Cần bổ sung thông tin đăng ký tổ chức",
                "More information needed for your registration",
                format!("Cán bộ đề nghị bổ sung cho yêu cầu đăng ký {name}: {question}"),
                format!("The officer asks about the request to register {name}: {question}"),
            )
        }
        RequesterNotice::ConsentRefused => (
            "Người đại diện khác không đồng ý",
            "A co-representative refused",
            format!(
                "Một người đại diện theo pháp luật của {name} không đồng ý; yêu cầu đăng ký đã được rút."
            ),
            format!(
                "A legal representative of {name} refused; the registration request is withdrawn."
            ),
        ),
    };
    Ok(Message {
        kind: notice.kind(),
        title_vi,
        title_en,
        body_vi,
        body_en,
        link: link(&reg.id),
    })
}

/// What the audit trail and messages name a request by.
pub(super) fn link(id: &RegistrationId) -> String {
    format!("registration:{id}")
}

/// What a confirmation on a request is made for: `registration:<id>`.
pub(super) fn target(id: &RegistrationId) -> ServerResult<ActionTarget> {
    ActionTarget::new("registration", id.as_str())
        .map_err(|e| crate::infra::error::invalid_field(&e, "id"))
}
