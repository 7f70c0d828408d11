//! The registries an organisation's details are checked against, behind one trait so a real
//! connector can replace the demo one: the national business registration database
//! (enterprises), the cooperative registration system, and the tax registration database
//! (agencies, public service units, associations: a tax code but no business registration).
//!
//! **Adapters.** [`RegistryAdapter`] answers two questions: what does the registry hold for
//! this code ([`RegistryAdapter::lookup`]), and what changed since a point
//! ([`RegistryAdapter::changes_since`]) — new legal representatives, dissolutions — so the
//! organisation accounts can follow the registry. [`adapter`] gives the one the server uses;
//! today that is [`DemoRegistry`], backed by tables loaded from the synthetic file the server
//! ships (`data/registry.csv`, written by `cargo xtask gen-registry`). A real connector would
//! call the registry's service instead; it must give representatives by the server's look-up
//! key ([`crate::infra::keys::ServerKeys::citizen_key`]), computed as it reads the answer, so no
//! identification number is kept in clear on this side.
//!
//! **Changes.** Registry changes are recorded with [`record_change`] (the `registry` CLI does it
//! for the demo registry) and listed, in order, with [`changes_since`]. Whoever follows them
//! (the organisation accounts) keeps the last sequence number it handled.
//!
//! **Checks.** [`check`] compares what a requester entered with the registry's record and says
//! what differs ([`RegistryCheck`]); the registration module decides what follows.

use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use dinhdanh_core::api::{ErrorCode, FieldMismatch, RegistryCheck, Timestamp};
use dinhdanh_core::ids::{AgencyCode, CitizenId, NewProvince, TaxCode};
use dinhdanh_core::org_type::{
    AddressLine, LegalRepresentative, Name, OrgField, OrgType, OrganisationDetails, RegistryKind,
};
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};

use crate::http::auth::parse_stored;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::accounts::{self, names_match};
use crate::resources::organisations;
use crate::store::audit::{self, AuditRecord};

/// The synthetic registries (`crates/server/data/registry.csv`, written by
/// `cargo xtask gen-registry`): 10 305 organisations that do not exist, with valid codes.
pub const REGISTRY_DATA: &str = include_str!("../../../data/registry.csv");

/// The header line of the registry file.
pub const HEADER: &str =
    "registry|code|agency_code|name_vi|address|province|established_on|status|representatives";

/// Organisations of the shipped registries the demo and the tests rely on: their tax codes.
/// Their representatives are demo accounts of `seed --demo` (README, "Demo accounts").
pub mod demo {
    /// Công ty TNHH Phần mềm An Phát (Hà Nội): Nguyễn Văn An is its legal representative.
    pub const AN_ENTERPRISE: &str = "0108680015";
    /// Công ty Cổ phần Thương mại Sông Hồng (TP. Hồ Chí Minh): Nguyễn Văn An and Trần Thị Mai.
    pub const AN_AND_MAI_ENTERPRISE: &str = "0308680125";
    /// Hợp tác xã Nông nghiệp Tân Uyên (TP. Hồ Chí Minh): Trần Thị Mai.
    pub const MAI_COOPERATIVE: &str = "0378680030";
    /// Hội Tin học thành phố Hà Nội (tax registry, agency code 000.00.31.H01): Nguyễn Văn An.
    pub const AN_ASSOCIATION: &str = "0108680047";
    /// Công ty TNHH Thương mại An Bình (Hà Nội), dissolved: Nguyễn Văn An.
    pub const AN_DISSOLVED_ENTERPRISE: &str = "0108680054";
}

/// Whether the registry counts the organisation as existing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryStatus {
    /// Operating.
    Active,
    /// Dissolved (or its registration revoked): it cannot get an e-ID account.
    Dissolved,
}

impl RegistryStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryStatus::Active => "active",
            RegistryStatus::Dissolved => "dissolved",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(RegistryStatus::Active),
            "dissolved" => Some(RegistryStatus::Dissolved),
            _ => None,
        }
    }
}

/// Stored text of a registry.
pub fn registry_text(kind: RegistryKind) -> &'static str {
    match kind {
        RegistryKind::BusinessRegistry => "business",
        RegistryKind::CooperativeRegistry => "cooperative",
        RegistryKind::TaxRegistry => "tax",
    }
}

fn parse_registry_text(text: &str) -> Option<RegistryKind> {
    match text {
        "business" => Some(RegistryKind::BusinessRegistry),
        "cooperative" => Some(RegistryKind::CooperativeRegistry),
        "tax" => Some(RegistryKind::TaxRegistry),
        _ => None,
    }
}

/// A legal representative as a registry records them: by look-up key, never the number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRepresentative {
    /// Full name.
    pub full_name: String,
    /// [`crate::infra::keys::ServerKeys::citizen_key`] of their identification number.
    pub citizen_key: Vec<u8>,
    /// The number masked, for officers (`001******345`).
    pub citizen_masked: String,
}

/// What a registry holds about one organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRecord {
    /// Which registry.
    pub registry: RegistryKind,
    /// Tax code (for an enterprise or a cooperative, also its registry code).
    pub tax_code: TaxCode,
    /// Agency code, for state agencies in the tax registry.
    pub agency_code: Option<AgencyCode>,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Head-office address line.
    pub address: String,
    /// Head-office province.
    pub province: NewProvince,
    /// Date of establishment.
    pub established_on: NaiveDate,
    /// Active or dissolved.
    pub status: RegistryStatus,
    /// Legal representatives, in the registry's order.
    pub representatives: Vec<RegistryRepresentative>,
}

impl RegistryRecord {
    /// Whether the person with this look-up key is a recorded legal representative.
    pub fn has_representative(&self, citizen_key: &[u8]) -> bool {
        self.representatives
            .iter()
            .any(|r| r.citizen_key == citizen_key)
    }
}

/// What changed in a registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeKind {
    /// The legal representatives changed; [`RegistryAdapter::lookup`] gives the new list.
    RepresentativesChanged,
    /// The organisation was dissolved.
    Dissolved,
}

/// One recorded change, in the order the registry recorded them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryChange {
    /// Increasing sequence number; pass the last one handled to [`changes_since`].
    pub seq: i64,
    /// Which registry.
    pub registry: RegistryKind,
    /// The organisation's tax code.
    pub code: TaxCode,
    /// What changed.
    pub change: ChangeKind,
    /// When it was recorded (Unix seconds).
    pub at: i64,
}

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

/// The registry `org_type` is checked against and the code to ask it with; `None` for type 4
/// (no registry) or when the details carry no code.
pub fn code_for(
    org_type: OrgType,
    details: &OrganisationDetails,
) -> Option<(RegistryKind, TaxCode)> {
    let kind = org_type.verifying_registry()?;
    let code = match kind {
        RegistryKind::BusinessRegistry => details.enterprise_code.as_ref()?.tax_code(),
        RegistryKind::CooperativeRegistry => details.cooperative_code.as_ref()?.tax_code(),
        RegistryKind::TaxRegistry => details.tax_code.as_ref()?.head_office(),
    };
    Some((kind, code))
}

async fn lookup_in(
    pool: &AnyPool,
    kind: RegistryKind,
    code: &TaxCode,
) -> ServerResult<Option<RegistryRecord>> {
    let row = sqlx::query(
        "SELECT agency_code, name_vi, address, province, established_on, status \
         FROM registry_organisations WHERE registry = $1 AND code = $2",
    )
    .bind(registry_text(kind))
    .bind(code.as_str())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let reps = sqlx::query(
        "SELECT citizen_key, citizen_masked, full_name FROM registry_representatives \
         WHERE registry = $1 AND code = $2 ORDER BY row_no",
    )
    .bind(registry_text(kind))
    .bind(code.as_str())
    .fetch_all(pool)
    .await?;
    let representatives = reps
        .iter()
        .map(|r| {
            Ok(RegistryRepresentative {
                full_name: r.try_get("full_name")?,
                citizen_key: r.try_get("citizen_key")?,
                citizen_masked: r.try_get("citizen_masked")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let agency: Option<String> = row.try_get("agency_code")?;
    let province: String = row.try_get("province")?;
    let established: String = row.try_get("established_on")?;
    let status: String = row.try_get("status")?;
    Ok(Some(RegistryRecord {
        registry: kind,
        tax_code: code.clone(),
        agency_code: agency
            .filter(|a| !a.is_empty())
            .map(|a| parse_stored(AgencyCode::parse(&a)))
            .transpose()?,
        name_vi: row.try_get("name_vi")?,
        address: row.try_get("address")?,
        province: parse_stored(NewProvince::parse(&province))?,
        established_on: parse_stored(NaiveDate::parse_from_str(&established, "%Y-%m-%d"))?,
        status: RegistryStatus::parse(&status)
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
    let rows = sqlx::query(
        "SELECT seq, registry, code, change_json, at FROM registry_changes \
         WHERE seq > $1 AND ($2 = '' OR registry = $2) ORDER BY seq LIMIT $3",
    )
    .bind(after)
    .bind(kind.map_or("", registry_text))
    .bind(limit.clamp(1, 10_000))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let registry: String = r.try_get("registry")?;
            let code: String = r.try_get("code")?;
            let change: String = r.try_get("change_json")?;
            Ok(RegistryChange {
                seq: r.try_get("seq")?,
                registry: parse_registry_text(&registry)
                    .ok_or_else(|| ServerError::Internal("stored registry kind".into()))?,
                code: parse_stored(TaxCode::parse(&code))?,
                change: parse_stored(serde_json::from_str(&change))?,
                at: r.try_get("at")?,
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
    let mut tx = state.pool.begin().await?;
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM registry_organisations WHERE registry = $1 AND code = $2",
    )
    .bind(registry_text(kind))
    .bind(code.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(status) = status else {
        return Err(ServerError::code(ErrorCode::NotFound));
    };
    let now = state.now();
    let change = match &update {
        RegistryUpdate::Dissolve => {
            if status == RegistryStatus::Dissolved.as_str() {
                return Err(ServerError::code(ErrorCode::InvalidState));
            }
            sqlx::query(
                "UPDATE registry_organisations SET status = $1, updated_at = $2 \
                 WHERE registry = $3 AND code = $4",
            )
            .bind(RegistryStatus::Dissolved.as_str())
            .bind(now)
            .bind(registry_text(kind))
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?;
            ChangeKind::Dissolved
        }
        RegistryUpdate::Representatives(people) => {
            if people.is_empty() {
                return Err(ServerError::code(ErrorCode::ValidationFailed));
            }
            sqlx::query("DELETE FROM registry_representatives WHERE registry = $1 AND code = $2")
                .bind(registry_text(kind))
                .bind(code.as_str())
                .execute(&mut *tx)
                .await?;
            for (i, (id, name)) in people.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO registry_representatives \
                     (registry, code, row_no, citizen_key, citizen_masked, full_name) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(registry_text(kind))
                .bind(code.as_str())
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(state.keys.citizen_key(id))
                .bind(id.masked())
                .bind(name.as_str())
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE registry_organisations SET updated_at = $1 WHERE registry = $2 AND code = $3",
            )
            .bind(now)
            .bind(registry_text(kind))
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?;
            ChangeKind::RepresentativesChanged
        }
    };
    let json = serde_json::to_string(&change).map_err(|e| ServerError::Internal(e.to_string()))?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO registry_changes (registry, code, change_json, at) VALUES ($1, $2, $3, $4) \
         RETURNING seq",
    )
    .bind(registry_text(kind))
    .bind(code.as_str())
    .bind(&json)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let action = match change {
        ChangeKind::RepresentativesChanged => "registry.representatives_changed",
        ChangeKind::Dissolved => "registry.dissolved",
    };
    let object = format!("registry:{}:{}", registry_text(kind), code.as_str());
    audit::append(
        state,
        AuditRecord {
            action,
            object: Some(&object),
            ..AuditRecord::default()
        },
    )
    .await?;
    // The change flows into the organisation's e-ID account, if it has one.
    let hook = match &update {
        RegistryUpdate::Dissolve => organisations::RegistryChange::Dissolved {
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
            organisations::RegistryChange::RepresentativesChanged {
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

/// How many active organisations of each type the registries know in `province` (type 4 has
/// no registry, so none): the denominator of the deployment targets.
pub async fn population(
    state: &AppState,
    province: NewProvince,
) -> ServerResult<std::collections::HashMap<OrgType, u64>> {
    let rows = sqlx::query(
        "SELECT registry, COUNT(*) AS n FROM registry_organisations \
         WHERE province = $1 AND status = $2 GROUP BY registry",
    )
    .bind(province.key())
    .bind(RegistryStatus::Active.as_str())
    .fetch_all(&state.pool)
    .await?;
    let mut out = std::collections::HashMap::new();
    for r in &rows {
        let registry: String = r.try_get("registry")?;
        let n: i64 = r.try_get("n")?;
        let org_type = match parse_registry_text(&registry) {
            Some(RegistryKind::BusinessRegistry) => OrgType::Enterprise,
            Some(RegistryKind::CooperativeRegistry) => OrgType::Cooperative,
            Some(RegistryKind::TaxRegistry) => OrgType::OrganisationWithTaxCode,
            None => continue,
        };
        *out.entry(org_type).or_insert(0) += u64::try_from(n).unwrap_or_default();
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The shipped file
// ---------------------------------------------------------------------------------------------

/// One organisation of the registry file, with representatives' numbers in clear (the file is
/// the source, like the citizen registry; the tables keep look-up keys only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryEntry {
    /// Which registry.
    pub registry: RegistryKind,
    /// Tax code.
    pub code: TaxCode,
    /// Agency code, for state agencies.
    pub agency_code: Option<AgencyCode>,
    /// Name in Vietnamese.
    pub name_vi: Name,
    /// Head-office address line.
    pub address: AddressLine,
    /// Head-office province.
    pub province: NewProvince,
    /// Date of establishment.
    pub established_on: NaiveDate,
    /// Active or dissolved.
    pub status: RegistryStatus,
    /// Legal representatives: number and full name.
    pub representatives: Vec<(CitizenId, Name)>,
}

/// A line of the registry file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("registry.csv line {line}: {problem}")]
pub struct RegistryFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong (never quotes an identification number).
    pub problem: String,
}

/// Parses the registry file: `#` comments, the [`HEADER`], then one organisation a line.
pub fn parse_registry(text: &str) -> Result<Vec<RegistryEntry>, RegistryFileError> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let err = |problem: &str| RegistryFileError {
            line: i + 1,
            problem: problem.to_owned(),
        };
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            if line != HEADER {
                return Err(err("the header is not the expected one"));
            }
            header_seen = true;
            continue;
        }
        let cols: Vec<&str> = line.split('|').collect();
        let [
            registry,
            code,
            agency,
            name,
            address,
            province,
            established,
            status,
            reps,
        ] = cols.as_slice()
        else {
            return Err(err("not 9 columns"));
        };
        let representatives = reps
            .split(';')
            .map(|r| {
                let (id, name) = r.split_once(' ').ok_or_else(|| err("representative"))?;
                Ok((
                    CitizenId::parse(id).map_err(|_| err("representative's number"))?,
                    Name::parse(name).map_err(|_| err("representative's name"))?,
                ))
            })
            .collect::<Result<Vec<_>, RegistryFileError>>()?;
        out.push(RegistryEntry {
            registry: parse_registry_text(registry).ok_or_else(|| err("registry"))?,
            code: TaxCode::parse(code).map_err(|_| err("code"))?,
            agency_code: if agency.is_empty() {
                None
            } else {
                Some(AgencyCode::parse(agency).map_err(|_| err("agency code"))?)
            },
            name_vi: Name::parse(name).map_err(|_| err("name"))?,
            address: AddressLine::parse(address).map_err(|_| err("address"))?,
            province: NewProvince::parse(province).map_err(|_| err("province"))?,
            established_on: NaiveDate::parse_from_str(established, "%Y-%m-%d")
                .map_err(|_| err("date of establishment"))?,
            status: RegistryStatus::parse(status).ok_or_else(|| err("status"))?,
            representatives,
        });
    }
    Ok(out)
}

/// Organisations inserted per statement (9 parameters each, well under both backends'
/// parameter limits).
const BATCH: usize = 200;

/// Adds organisations to the demo registry. Idempotent: organisations already there are kept
/// as they are (changes recorded since are not undone). Returns how many were added.
pub async fn insert_entries(state: &AppState, entries: &[RegistryEntry]) -> ServerResult<u64> {
    let now = state.now();
    let mut tx = state.pool.begin().await?;
    let mut added = 0u64;
    for chunk in entries.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO registry_organisations (registry, code, agency_code, name_vi, address, \
             province, established_on, status, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (1..=9).map(|k| format!("${}", b + k)).collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (registry, code) DO NOTHING RETURNING code");
        let mut query = sqlx::query(&sql);
        for e in chunk {
            query = query
                .bind(registry_text(e.registry))
                .bind(e.code.as_str().to_owned())
                .bind(e.agency_code.as_ref().map(|a| a.as_str().to_owned()))
                .bind(e.name_vi.as_str().to_owned())
                .bind(e.address.as_str().to_owned())
                .bind(e.province.key())
                .bind(e.established_on.format("%Y-%m-%d").to_string())
                .bind(e.status.as_str())
                .bind(now);
        }
        let inserted: Vec<String> = query
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("code"))
            .collect::<Result<_, _>>()?;
        added += inserted.len() as u64;
        // Representatives only for the organisations this call added, so a seed run never
        // brings back representatives a recorded change replaced.
        let new: Vec<(&RegistryEntry, usize, &(CitizenId, Name))> = chunk
            .iter()
            .filter(|e| inserted.iter().any(|c| c == e.code.as_str()))
            .flat_map(|e| {
                e.representatives
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| (e, i, r))
            })
            .collect();
        for reps in new.chunks(BATCH) {
            let mut sql = String::from(
                "INSERT INTO registry_representatives \
                 (registry, code, row_no, citizen_key, citizen_masked, full_name) VALUES ",
            );
            for i in 0..reps.len() {
                let b = i * 6;
                if i > 0 {
                    sql.push(',');
                }
                let params: Vec<String> = (1..=6).map(|k| format!("${}", b + k)).collect();
                sql.push('(');
                sql.push_str(&params.join(", "));
                sql.push(')');
            }
            sql.push_str(" ON CONFLICT (registry, code, row_no) DO NOTHING");
            let mut query = sqlx::query(&sql);
            for (e, i, (id, name)) in reps {
                query = query
                    .bind(registry_text(e.registry))
                    .bind(e.code.as_str().to_owned())
                    .bind(i64::try_from(*i).unwrap_or(i64::MAX))
                    .bind(state.keys.citizen_key(id))
                    .bind(id.masked())
                    .bind(name.as_str().to_owned());
            }
            query.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// Loads the shipped registries into the demo registry tables (idempotent); returns how many
/// organisations the file holds.
pub async fn seed_registry(state: &AppState) -> ServerResult<usize> {
    let entries =
        parse_registry(REGISTRY_DATA).map_err(|e| ServerError::Internal(e.to_string()))?;
    let added = insert_entries(state, &entries).await?;
    let object = format!("organisations:{added}");
    audit::append(
        state,
        AuditRecord {
            action: "organisation_registry.loaded",
            object: Some(&object),
            ..AuditRecord::default()
        },
    )
    .await?;
    Ok(entries.len())
}

// ---------------------------------------------------------------------------------------------
// Comparing a request with the registry
// ---------------------------------------------------------------------------------------------

/// Compares what was entered with the registry's record (`None`: the registry does not know
/// the code). `requester_key` is the requester's look-up key. Names and addresses compare
/// after Unicode normalisation, case folding and collapsing of spaces; the agency code only
/// when one was entered; representatives as a set of people, then each one's name.
pub fn check(
    kind: RegistryKind,
    record: Option<&RegistryRecord>,
    details: &OrganisationDetails,
    representative_keys: &[Vec<u8>],
    requester_key: &[u8],
    checked_at: Timestamp,
) -> RegistryCheck {
    let Some(record) = record else {
        return RegistryCheck {
            registry: kind,
            checked_at,
            found: false,
            active: false,
            mismatches: Vec::new(),
            requester_is_recorded_representative: false,
        };
    };
    let mut mismatches = Vec::new();
    let mut differs = |field: OrgField, value: String| {
        mismatches.push(FieldMismatch {
            field,
            registry_value: value,
        });
    };
    if !names_match(details.name_vi.as_str(), &record.name_vi) {
        differs(OrgField::NameVi, record.name_vi.clone());
    }
    if details.established_on != record.established_on {
        differs(
            OrgField::EstablishedOn,
            record.established_on.format("%Y-%m-%d").to_string(),
        );
    }
    if !names_match(details.head_office.address.as_str(), &record.address) {
        differs(OrgField::HeadOfficeAddress, record.address.clone());
    }
    if details.head_office.province != record.province {
        differs(
            OrgField::HeadOfficeProvince,
            record.province.key().to_owned(),
        );
    }
    if let Some(entered) = &details.agency_code {
        if record.agency_code.as_ref() != Some(entered) {
            differs(
                OrgField::AgencyCode,
                record
                    .agency_code
                    .as_ref()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_default(),
            );
        }
    }
    let same_people = representative_keys.len() == record.representatives.len()
        && representative_keys
            .iter()
            .all(|k| record.has_representative(k));
    if same_people {
        for (i, (entered, key)) in details
            .representatives
            .iter()
            .zip(representative_keys)
            .enumerate()
        {
            let recorded = record
                .representatives
                .iter()
                .find(|r| &r.citizen_key == key);
            if let Some(r) = recorded {
                if !names_match(entered.full_name.as_str(), &r.full_name) {
                    mismatches.push(FieldMismatch {
                        field: OrgField::RepresentativeName,
                        registry_value: format!("[{i}] {}", r.full_name),
                    });
                }
            }
        }
    } else {
        let listed: Vec<String> = record
            .representatives
            .iter()
            .map(|r| format!("{} {}", r.citizen_masked, r.full_name))
            .collect();
        mismatches.push(FieldMismatch {
            field: OrgField::Representatives,
            registry_value: listed.join("; "),
        });
    }
    RegistryCheck {
        registry: kind,
        checked_at,
        found: true,
        active: record.status == RegistryStatus::Active,
        mismatches,
        requester_is_recorded_representative: record.has_representative(requester_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_shipped_registries_parse_completely_with_unique_codes_across_provinces() {
        let entries = parse_registry(REGISTRY_DATA).unwrap();
        assert!(entries.len() >= 10_000, "{} organisations", entries.len());
        let codes: HashSet<&str> = entries.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes.len(), entries.len(), "codes are unique");
        for kind in [
            RegistryKind::BusinessRegistry,
            RegistryKind::CooperativeRegistry,
            RegistryKind::TaxRegistry,
        ] {
            assert!(
                entries.iter().filter(|e| e.registry == kind).count() >= 1000,
                "{kind:?}"
            );
        }
        let provinces: HashSet<_> = entries.iter().map(|e| e.province).collect();
        assert_eq!(provinces.len(), 34, "every province has organisations");
        assert!(entries.iter().all(|e| !e.code.is_branch()));
        assert!(
            entries
                .iter()
                .any(|e| e.status == RegistryStatus::Dissolved)
        );
        assert!(entries.iter().any(|e| e.agency_code.is_some()));
        assert!(entries.iter().any(|e| e.representatives.len() > 1));
    }

    #[test]
    fn representatives_are_people_of_the_citizen_registry_with_their_names() {
        let people =
            crate::resources::accounts::parse_citizen_registry(crate::seed::CITIZEN_REGISTRY)
                .unwrap();
        let names: std::collections::HashMap<&str, &str> = people
            .iter()
            .map(|p| (p.citizen_id.as_str(), p.full_name.as_str()))
            .collect();
        for e in parse_registry(REGISTRY_DATA).unwrap() {
            for (id, name) in &e.representatives {
                assert_eq!(names.get(id.as_str()), Some(&name.as_str()), "{}", e.code);
            }
        }
    }

    #[test]
    fn the_demo_organisations_have_the_demo_accounts_as_representatives() {
        let entries = parse_registry(REGISTRY_DATA).unwrap();
        let reps = |code: &str| -> Vec<String> {
            let e = entries
                .iter()
                .find(|e| e.code.as_str() == code)
                .unwrap_or_else(|| panic!("{code} is not in the registry"));
            e.representatives
                .iter()
                .map(|(id, _)| id.as_str().to_owned())
                .collect()
        };
        let (an, mai) = ("001080012345", "074192034567");
        assert!(
            crate::seed::DEMO_ACCOUNTS
                .iter()
                .any(|d| d.citizen_id == an)
        );
        assert!(
            crate::seed::DEMO_ACCOUNTS
                .iter()
                .any(|d| d.citizen_id == mai)
        );
        assert_eq!(reps(demo::AN_ENTERPRISE), [an]);
        assert_eq!(reps(demo::AN_AND_MAI_ENTERPRISE), [an, mai]);
        assert_eq!(reps(demo::MAI_COOPERATIVE), [mai]);
        assert_eq!(reps(demo::AN_ASSOCIATION), [an]);
        let dissolved = entries
            .iter()
            .find(|e| e.code.as_str() == demo::AN_DISSOLVED_ENTERPRISE)
            .unwrap();
        assert_eq!(dissolved.status, RegistryStatus::Dissolved);
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number_and_without_the_identification_number() {
        let text = format!(
            "{HEADER}\nbusiness|0100109106||Công ty A|Số 1|ha_noi|2020-01-01|active|00108001234 Nguyễn Văn An\n"
        );
        let err = parse_registry(&text).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(!err.to_string().contains("00108001234"), "{err}");
        let text = format!(
            "{HEADER}\nbusiness|0100109107||Công ty A|Số 1|ha_noi|2020-01-01|active|001080012345 Nguyễn Văn An\n"
        );
        assert_eq!(parse_registry(&text).unwrap_err().problem, "code");
    }
}
