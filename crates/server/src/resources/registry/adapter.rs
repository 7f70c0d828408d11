//! The adapter: one per registry, behind [`RegistryAdapter`] so a real connector can replace
//! the demo one, which reads the tables loaded from the shipped file.

use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use dinhdanh_core::ids::{AgencyCode, NewProvince, TaxCode};
use dinhdanh_core::org_type::RegistryKind;
use sqlx::{AnyConnection, AnyPool};

use super::{
    RegistryChange, RegistryRecord, RegistryRepresentative, RegistryStatus, parse_registry_text,
    registry_text,
};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::registry as rows;
use crate::store::values::parse_stored;

/// A boxed future, so [`RegistryAdapter`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A registry the identity authority checks organisations against. One adapter per registry.
pub trait RegistryAdapter: Send + Sync {
    /// Which registry this is.
    fn kind(&self) -> RegistryKind;

    /// The record of the organisation with this code (a 10-digit tax code: enterprise and
    /// cooperative codes are tax codes), or `None` when the registry does not know it.
    fn lookup<'a>(
        &'a self,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, ServerResult<Option<RegistryRecord>>>;

    /// [`Self::lookup`] for an action's transaction holding `conn`: an adapter reading this
    /// server's own database reads on it, so the transaction never waits for a second
    /// connection of the pool (when every connection is held by such a transaction, all would
    /// wait). An adapter of a remote registry ignores it.
    fn lookup_on<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, ServerResult<Option<RegistryRecord>>> {
        let _ = conn;
        self.lookup(code)
    }

    /// Changes recorded after sequence number `after` (0 for all), oldest first, at most
    /// `limit`.
    fn changes_since(
        &self,
        after: i64,
        limit: i64,
    ) -> BoxFuture<'_, ServerResult<Vec<RegistryChange>>>;
}

/// The demo registry: tables loaded from the shipped file.
pub struct DemoRegistry {
    kind: RegistryKind,
    pool: AnyPool,
}

impl DemoRegistry {
    /// The demo registry of `kind`, over the server's database.
    pub fn new(state: &AppState, kind: RegistryKind) -> Self {
        DemoRegistry {
            kind,
            pool: state.pool.clone(),
        }
    }
}

impl RegistryAdapter for DemoRegistry {
    fn kind(&self) -> RegistryKind {
        self.kind
    }

    fn lookup<'a>(
        &'a self,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, ServerResult<Option<RegistryRecord>>> {
        Box::pin(lookup_in(&self.pool, self.kind, code))
    }

    fn lookup_on<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, ServerResult<Option<RegistryRecord>>> {
        Box::pin(lookup_on_conn(conn, self.kind, code))
    }

    fn changes_since(
        &self,
        after: i64,
        limit: i64,
    ) -> BoxFuture<'_, ServerResult<Vec<RegistryChange>>> {
        Box::pin(changes_in(&self.pool, Some(self.kind), after, limit))
    }
}

/// The adapter the server uses for `kind` (the demo registry).
pub fn adapter(state: &AppState, kind: RegistryKind) -> Box<dyn RegistryAdapter> {
    Box::new(DemoRegistry::new(state, kind))
}

pub(super) async fn lookup_in(
    pool: &AnyPool,
    kind: RegistryKind,
    code: &TaxCode,
) -> ServerResult<Option<RegistryRecord>> {
    lookup_on_conn(&mut *pool.acquire().await?, kind, code).await
}

async fn lookup_on_conn(
    conn: &mut AnyConnection,
    kind: RegistryKind,
    code: &TaxCode,
) -> ServerResult<Option<RegistryRecord>> {
    let Some(row) = rows::organisation(conn, registry_text(kind), code.as_str()).await? else {
        return Ok(None);
    };
    let representatives = rows::representatives(conn, registry_text(kind), code.as_str())
        .await?
        .into_iter()
        .map(|r| RegistryRepresentative {
            full_name: r.full_name,
            citizen_key: r.citizen_key,
            citizen_masked: r.citizen_masked,
        })
        .collect();
    Ok(Some(RegistryRecord {
        registry: kind,
        tax_code: code.clone(),
        agency_code: row
            .agency_code
            .filter(|a| !a.is_empty())
            .map(|a| parse_stored(AgencyCode::parse(&a)))
            .transpose()?,
        name_vi: row.name_vi,
        address: row.address,
        province: parse_stored(NewProvince::parse(&row.province))?,
        established_on: parse_stored(NaiveDate::parse_from_str(&row.established_on, "%Y-%m-%d"))?,
        status: RegistryStatus::parse(&row.status)
            .ok_or_else(|| ServerError::Internal("stored registry status".into()))?,
        representatives,
    }))
}

async fn changes_in(
    pool: &AnyPool,
    kind: Option<RegistryKind>,
    after: i64,
    limit: i64,
) -> ServerResult<Vec<RegistryChange>> {
    let mut conn = pool.acquire().await?;
    let registry = kind.map_or("", registry_text);
    rows::changes(&mut conn, registry, after, limit.clamp(1, 10_000))
        .await?
        .into_iter()
        .map(|r| {
            Ok(RegistryChange {
                seq: r.seq,
                registry: parse_registry_text(&r.registry)
                    .ok_or_else(|| ServerError::Internal("stored registry kind".into()))?,
                code: parse_stored(TaxCode::parse(&r.code))?,
                change: parse_stored(serde_json::from_str(&r.change_json))?,
                at: r.at,
            })
        })
        .collect()
}

/// Changes recorded in any registry after sequence number `after`, oldest first, at most
/// `limit`: what the organisation accounts follow.
pub async fn changes_since(
    state: &AppState,
    after: i64,
    limit: i64,
) -> ServerResult<Vec<RegistryChange>> {
    changes_in(&state.pool, None, after, limit).await
}
