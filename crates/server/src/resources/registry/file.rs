//! The shipped registry file (`data/registry.csv`): its parser, and the loading of its
//! organisations into the demo registry tables.

use chrono::NaiveDate;
use dinhdanh_core::ids::{AgencyCode, CitizenId, NewProvince, TaxCode};
use dinhdanh_core::org_type::{AddressLine, Name, RegistryKind};

use super::{RegistryStatus, parse_registry_text, registry_text};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::audit::AuditRecord;
use crate::store::registry::{self as rows, BATCH, NewOrganisation, NewRepresentative};
use crate::store::tx::Tx;

/// The synthetic registries (`crates/server/data/registry.csv`, written by
/// `cargo xtask gen-registry`): 10 305 organisations that do not exist, with valid codes.
pub const REGISTRY_DATA: &str = include_str!("../../../data/registry.csv");

/// The header line of the registry file.
pub const HEADER: &str =
    "registry|code|agency_code|name_vi|address|province|established_on|status|representatives";

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

/// Adds organisations to the demo registry. Idempotent: organisations already there are kept
/// as they are (changes recorded since are not undone). Returns how many were added.
pub async fn insert_entries(state: &AppState, entries: &[RegistryEntry]) -> ServerResult<u64> {
    let mut tx = Tx::begin(state, "registry.insert").await?;
    let added = insert_in(&mut tx, state, entries).await?;
    tx.commit().await?;
    Ok(added)
}

/// [`insert_entries`] as steps of `tx`.
async fn insert_in(tx: &mut Tx, state: &AppState, entries: &[RegistryEntry]) -> ServerResult<u64> {
    let now = tx.now();
    let mut added = 0u64;
    for chunk in entries.chunks(BATCH) {
        let new: Vec<NewOrganisation<'_>> = chunk
            .iter()
            .map(|e| NewOrganisation {
                registry: registry_text(e.registry),
                code: e.code.as_str(),
                agency_code: e.agency_code.as_ref().map(AgencyCode::as_str),
                name_vi: e.name_vi.as_str(),
                address: e.address.as_str(),
                province: e.province.key(),
                established_on: e.established_on.format("%Y-%m-%d").to_string(),
                status: e.status.as_str(),
            })
            .collect();
        let inserted = rows::insert_organisations(tx.conn()?, &new, now).await?;
        added += inserted.len() as u64;
        // Representatives only for the organisations this call added, so a seed run never
        // brings back representatives a recorded change replaced.
        let reps: Vec<NewRepresentative<'_>> = chunk
            .iter()
            .filter(|e| inserted.iter().any(|c| c == e.code.as_str()))
            .flat_map(|e| {
                e.representatives
                    .iter()
                    .enumerate()
                    .map(move |(i, (id, name))| NewRepresentative {
                        registry: registry_text(e.registry),
                        code: e.code.as_str(),
                        row_no: i64::try_from(i).unwrap_or(i64::MAX),
                        citizen_key: state.keys.citizen_key(id),
                        citizen_masked: id.masked(),
                        full_name: name.as_str(),
                    })
            })
            .collect();
        for batch in reps.chunks(BATCH) {
            rows::insert_representatives(tx.conn()?, batch).await?;
        }
    }
    Ok(added)
}

/// Loads the shipped registries into the demo registry tables (idempotent); returns how many
/// organisations the file holds.
pub async fn seed_registry(state: &AppState) -> ServerResult<usize> {
    let entries =
        parse_registry(REGISTRY_DATA).map_err(|e| ServerError::Internal(e.to_string()))?;
    // The organisations and the entry saying they were loaded commit together.
    let mut tx = Tx::begin(state, "registry.seed").await?;
    let added = insert_in(&mut tx, state, &entries).await?;
    let object = format!("organisations:{added}");
    tx.audit(AuditRecord {
        action: "organisation_registry.loaded",
        object: Some(&object),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::super::demo;
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
