//! Comparing what a requester entered with the registry's record.

use dinhdanh_core::api::{FieldMismatch, RegistryCheck, Timestamp};
use dinhdanh_core::org_type::{OrgField, OrganisationDetails, RegistryKind};

use super::{RegistryRecord, RegistryStatus};
use crate::resources::accounts::names_match;

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
