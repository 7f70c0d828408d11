//! Recording a change in the demo registry (the real registries record their own) and
//! handing it to the organisation accounts.

use dinhdanh_core::api::ErrorCode;
use dinhdanh_core::ids::{CitizenId, TaxCode};
use dinhdanh_core::org_type::{LegalRepresentative, Name, RegistryKind};

use super::adapter::lookup_in;
use super::{ChangeKind, RegistryChange, RegistryStatus, registry_text};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::{accounts, organisations};
use crate::store::audit::AuditRecord;
use crate::store::registry::{self as rows, NewRepresentative};
use crate::store::tx::Tx;

/// A change to record in the demo registry.
#[derive(Clone, Debug)]
pub enum RegistryUpdate {
    /// New legal representatives (they replace the old ones).
    Representatives(Vec<(CitizenId, Name)>),
    /// The organisation is dissolved.
    Dissolve,
}

/// Records a change in the demo registry (the real registries record their own): updates the
/// record and appends it to the change list. `not_found` when the registry does not know the
/// code; `invalid_state` when dissolving an organisation already dissolved.
pub async fn record_change(
    state: &AppState,
    kind: RegistryKind,
    code: &TaxCode,
    update: RegistryUpdate,
) -> ServerResult<RegistryChange> {
    // The people who leave, read before the change (by key; their numbers come from the
    // citizen registry, which knows every representative).
    let before = lookup_in(&state.pool, kind, code).await?;
    let registry = registry_text(kind);
    // The change, its place in the change list and its audit entry commit together.
    let mut tx = Tx::begin(state, "registry.change").await?;
    let Some(status) = rows::status(tx.conn()?, registry, code.as_str()).await? else {
        return Err(ServerError::code(ErrorCode::NotFound));
    };
    let now = tx.now();
    let change = match &update {
        RegistryUpdate::Dissolve => {
            if status == RegistryStatus::Dissolved.as_str() {
                return Err(ServerError::code(ErrorCode::InvalidState));
            }
            let dissolved = RegistryStatus::Dissolved.as_str();
            rows::set_status(tx.conn()?, registry, code.as_str(), dissolved, now).await?;
            ChangeKind::Dissolved
        }
        RegistryUpdate::Representatives(people) => {
            if people.is_empty() {
                return Err(ServerError::code(ErrorCode::ValidationFailed));
            }
            rows::delete_representatives(tx.conn()?, registry, code.as_str()).await?;
            for (i, (id, name)) in people.iter().enumerate() {
                let new = NewRepresentative {
                    registry,
                    code: code.as_str(),
                    row_no: i64::try_from(i).unwrap_or(i64::MAX),
                    citizen_key: state.keys.citizen_key(id),
                    citizen_masked: id.masked(),
                    full_name: name.as_str(),
                };
                rows::insert_representatives(tx.conn()?, std::slice::from_ref(&new)).await?;
            }
            rows::touch(tx.conn()?, registry, code.as_str(), now).await?;
            ChangeKind::RepresentativesChanged
        }
    };
    let json = serde_json::to_string(&change).map_err(|e| ServerError::Internal(e.to_string()))?;
    let seq = rows::append_change(tx.conn()?, registry, code.as_str(), &json, now).await?;
    let action = match change {
        ChangeKind::RepresentativesChanged => "registry.representatives_changed",
        ChangeKind::Dissolved => "registry.dissolved",
    };
    let object = format!("registry:{registry}:{}", code.as_str());
    tx.audit(AuditRecord {
        action,
        object: Some(&object),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    // The change flows into the organisation's e-ID account, if it has one: the
    // organisations resource applies it, in its own transaction, once the registry's is
    // committed.
    let hook = match &update {
        RegistryUpdate::Dissolve => organisations::RegistryFollowUp::Dissolved {
            code: code.as_str().to_owned(),
        },
        RegistryUpdate::Representatives(people) => {
            let new_keys: Vec<Vec<u8>> = people
                .iter()
                .map(|(id, _)| state.keys.citizen_key(id))
                .collect();
            let old = before.map(|r| r.representatives).unwrap_or_default();
            let mut removed = Vec::new();
            for r in old.iter().filter(|r| !new_keys.contains(&r.citizen_key)) {
                if let Some(person) = accounts::citizen_by_key(state, &r.citizen_key).await? {
                    removed.push(person.citizen_id);
                }
            }
            let added = people
                .iter()
                .filter(|(id, _)| {
                    let key = state.keys.citizen_key(id);
                    !old.iter().any(|r| r.citizen_key == key)
                })
                .map(|(id, name)| LegalRepresentative {
                    full_name: name.clone(),
                    citizen_id: id.clone(),
                })
                .collect();
            organisations::RegistryFollowUp::RepresentativesChanged {
                code: code.as_str().to_owned(),
                added,
                removed,
            }
        }
    };
    match organisations::apply_registry_change(state, hook).await {
        // No e-ID account holds the code: nothing to follow.
        Err(e) if e.is(ErrorCode::NotFound) => {}
        other => other?,
    }
    Ok(RegistryChange {
        seq,
        registry: kind,
        code: code.clone(),
        change,
        at: now,
    })
}
