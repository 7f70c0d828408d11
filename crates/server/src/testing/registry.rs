//! The organisation registries (business, tax, ...). The registry bench measures the registry
//! adapter through its deliberate service API, [`adapter`] and [`RegistryAdapter`], which the
//! issue allows a bench to use.

use dinhdanh_core::ids::{NewProvince, TaxCode};
use dinhdanh_core::org_type::{OrgType, RegistryKind};

use super::{AppState, ServerResult};
use crate::resources::registry as inner;

pub use inner::{
    REGISTRY_DATA, RegistryAdapter, RegistryChange, RegistryEntry, RegistryRecord, RegistryStatus,
    RegistryUpdate, demo, parse_registry, registry_text,
};

/// The adapter of one registry (the service API other resources use).
pub fn adapter(state: &AppState, kind: RegistryKind) -> Box<dyn RegistryAdapter> {
    inner::adapter(state, kind)
}

/// Adds entries to the registries; how many were new.
pub async fn insert_entries(state: &AppState, entries: &[RegistryEntry]) -> ServerResult<u64> {
    inner::insert_entries(state, entries).await
}

/// Loads the shipped registries (`data/registry.csv`); how many entries they hold.
pub async fn seed_registry(state: &AppState) -> ServerResult<usize> {
    inner::seed_registry(state).await
}

/// Records a change in a registry, as the registry itself would.
pub async fn record_change(
    state: &AppState,
    kind: RegistryKind,
    code: &TaxCode,
    update: RegistryUpdate,
) -> ServerResult<RegistryChange> {
    inner::record_change(state, kind, code, update).await
}

/// Changes after sequence number `after`, oldest first, at most `limit`.
pub async fn changes_since(
    state: &AppState,
    after: i64,
    limit: i64,
) -> ServerResult<Vec<RegistryChange>> {
    inner::changes_since(state, after, limit).await
}

/// How many organisations of each type the registries hold in `province`.
pub async fn population(
    state: &AppState,
    province: NewProvince,
) -> ServerResult<std::collections::HashMap<OrgType, u64>> {
    inner::population(state, province).await
}
