//! Changes a registry (business, cooperative, tax) records about an organisation, applied to
//! its account: new and departed legal representatives, dissolution, a new name.

use dinhdanh_core::api::{ErrorCode, OrganisationChange, OrganisationLifecycle};
use dinhdanh_core::ids::{AccountId, CitizenId, OrgEid};
use dinhdanh_core::org_type::{LegalRepresentative, Name};

use super::accounts::{
    account_of_citizen, add_history, add_representative, details_of, encrypt_details,
};
use super::lifecycle::apply_lifecycle_in;
use super::{audit_record, find_active_by_code, object_of, require_organisation_in, tell};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::tx::Tx;
use crate::store::{delegations as delegation_store, organisations as store};

/// What an organisation's account must follow from a change a registry (business,
/// cooperative, tax) records about it. (The registry resource's `RegistryChange` is the change
/// as the adapter reports it; it hands the organisations this.) `code` is the organisation's registry code (enterprise, cooperative,
/// tax or agency code).
#[derive(Clone, Debug)]
pub enum RegistryFollowUp {
    /// New and departed legal representatives.
    RepresentativesChanged {
        /// The organisation's code.
        code: String,
        /// Who joined.
        added: Vec<LegalRepresentative>,
        /// Who left.
        removed: Vec<CitizenId>,
    },
    /// The organisation was dissolved.
    Dissolved {
        /// The organisation's code.
        code: String,
    },
    /// The organisation's name changed.
    Renamed {
        /// The organisation's code.
        code: String,
        /// The new Vietnamese name.
        new_name: Name,
    },
}

/// Applies a registry change to the organisation account holding the code (`not_found` when
/// none that is not closed does).
///
/// - A new legal representative with an account becomes an owner; a departed one loses the
///   owner role, and every delegation they granted ends (sessions switched by those delegates
///   fall back to personal on their next request).
/// - Dissolution closes the account, ends every delegation and every session acting for it.
/// - A new name is recorded like an officer's rename.
pub async fn apply_registry_change(state: &AppState, change: RegistryFollowUp) -> ServerResult<()> {
    let code = match &change {
        RegistryFollowUp::RepresentativesChanged { code, .. }
        | RegistryFollowUp::Dissolved { code }
        | RegistryFollowUp::Renamed { code, .. } => code,
    };
    let eid = find_active_by_code(state, code)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    let mut tx = Tx::begin(state, "organisation.registry_change").await?;
    match change {
        RegistryFollowUp::Dissolved { .. } => {
            let close = OrganisationLifecycle::Close {
                reason: "Giải thể theo cơ sở dữ liệu đăng ký / dissolved according to the registry"
                    .into(),
            };
            apply_lifecycle_in(&mut tx, state, None, &eid, &close).await?;
        }
        RegistryFollowUp::Renamed { new_name, .. } => {
            let rename = OrganisationLifecycle::Rename { name_vi: new_name };
            apply_lifecycle_in(&mut tx, state, None, &eid, &rename).await?;
        }
        RegistryFollowUp::RepresentativesChanged { added, removed, .. } => {
            if !change_representatives(&mut tx, state, &eid, &added, &removed).await? {
                return Ok(());
            }
        }
    }
    tx.commit().await
}

/// Records new and departed representatives as part of the action; `false` when the registry
/// named no one who was not already on (or off) record.
async fn change_representatives(
    tx: &mut Tx,
    state: &AppState,
    eid: &OrgEid,
    added: &[LegalRepresentative],
    removed: &[CitizenId],
) -> ServerResult<bool> {
    let org = require_organisation_in(tx.conn()?, eid).await?;
    let mut details = details_of(state, &org)?;
    let now = tx.now();
    let mut removed_masked = Vec::new();
    let mut departed: Vec<AccountId> = Vec::new();
    for id in removed {
        let before = details.representatives.len();
        details.representatives.retain(|r| &r.citizen_id != id);
        if details.representatives.len() == before {
            continue;
        }
        removed_masked.push(id.masked());
        let key = state.keys.citizen_key(id);
        store::remove_representative(tx.conn()?, eid.as_str(), &key, now).await?;
        if let Some(account) = account_of_citizen(tx, &key).await? {
            // Their own standing, and every delegation they granted, end now.
            delegation_store::revoke_held_and_granted_by(
                tx.conn()?,
                eid.as_str(),
                account.as_str(),
                now,
            )
            .await?;
            departed.push(account);
        }
    }
    let mut added_masked = Vec::new();
    let mut owners = Vec::new();
    for rep in added {
        if details
            .representatives
            .iter()
            .any(|r| r.citizen_id == rep.citizen_id)
        {
            continue;
        }
        details.representatives.push(rep.clone());
        added_masked.push(rep.citizen_id.masked());
        if let Some(account) = add_representative(tx, state, eid, rep).await? {
            owners.push(account);
        }
    }
    if removed_masked.is_empty() && added_masked.is_empty() {
        return Ok(false);
    }
    store::set_details(tx.conn()?, eid.as_str(), encrypt_details(state, &details)?).await?;
    let change = OrganisationChange::RepresentativesChanged {
        removed: removed_masked,
        added: added_masked,
    };
    add_history(tx.conn()?, eid, now, &change).await?;
    tx.audit(audit_record(
        None,
        "organisation.representatives_changed",
        &object_of(eid),
        None,
        false,
    ));
    let name = details.name_vi.as_str();
    for owner in owners {
        tell(
            tx,
            owner.as_str(),
            "Bạn là chủ tài khoản tổ chức",
            "You are an owner of an organisation account",
            &format!("Cơ sở dữ liệu đăng ký ghi nhận bạn là người đại diện theo pháp luật của {name} ({eid})."),
            &format!("The registry records you as a legal representative of {name} ({eid})."),
            None,
        )
        .await?;
    }
    for account in departed {
        tell(
            tx,
            account.as_str(),
            "Quyền đại diện tổ chức đã kết thúc",
            "Your role in an organisation ended",
            &format!("Bạn không còn là người đại diện theo pháp luật của {name} ({eid}); các ủy quyền bạn đã cấp cũng chấm dứt."),
            &format!("You are no longer a legal representative of {name} ({eid}); the delegations you granted ended too."),
            None,
        )
        .await?;
    }
    Ok(true)
}
