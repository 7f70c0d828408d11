//! Data the server ships: the synthetic citizen registry and the demo accounts of
//! `dinhdanh-server seed --demo`, whose credentials the README lists.
//!
//! Both are idempotent: seeding twice changes nothing the first run did.

use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::ids::{CitizenId, NewProvince, Password};

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::officers;

/// The synthetic citizen registry (`crates/server/data/citizens.csv`, written by
/// `cargo xtask gen-citizens`): 10 006 people who do not exist, with valid data.
pub const CITIZEN_REGISTRY: &str = include_str!("../data/citizens.csv");

/// A demo account: who, with which password, at which level, with which officer role.
#[derive(Clone, Copy, Debug)]
pub struct DemoAccount {
    /// Identification number (a row of the registry).
    pub citizen_id: &'static str,
    /// Full name, as in the registry.
    pub full_name: &'static str,
    /// Password; meets the password policy.
    pub password: &'static str,
    /// Account level.
    pub level: AccountLevel,
    /// Officer province key, for officers.
    pub officer_for: Option<&'static str>,
}

/// The demo accounts. Their people are the first rows of the registry. Keep the README's
/// "Demo accounts" section in step with this list.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        citizen_id: "001080012345",
        full_name: "Nguyễn Văn An",
        password: "An#Demo2025",
        level: AccountLevel::Level2,
        officer_for: None,
    },
    DemoAccount {
        citizen_id: "074192034567",
        full_name: "Trần Thị Mai",
        password: "Mai#Demo2025",
        level: AccountLevel::Level2,
        officer_for: None,
    },
    DemoAccount {
        citizen_id: "079185004321",
        full_name: "Phạm Thu Hà",
        password: "Ha#Officer2025",
        level: AccountLevel::Level2,
        officer_for: Some("ho_chi_minh"),
    },
    DemoAccount {
        citizen_id: "001078067890",
        full_name: "Hoàng Đức Minh",
        password: "Minh#Officer2025",
        level: AccountLevel::Level2,
        officer_for: Some("ha_noi"),
    },
    DemoAccount {
        citizen_id: "092201056789",
        full_name: "Lê Hoàng Nam",
        password: "Nam#Demo2025",
        level: AccountLevel::Level1,
        officer_for: None,
    },
];

/// A person of the registry without an account, to try self-registration with in the demo:
/// identification number, full name, date of birth, phone.
pub const DEMO_UNREGISTERED: (&str, &str, &str, &str) =
    ("048198078901", "Võ Thị Lan", "1998-07-07", "0935444555");

/// Loads the shipped registry; returns how many people it holds.
pub async fn seed_registry(state: &AppState) -> ServerResult<usize> {
    accounts::load_citizen_registry(state, CITIZEN_REGISTRY).await
}

/// Loads the registry and creates the demo accounts that do not exist yet, bringing existing
/// ones to their level and officer role (passwords of existing accounts are left alone).
pub async fn seed_demo(state: &AppState) -> ServerResult<()> {
    seed_registry(state).await?;
    for demo in DEMO_ACCOUNTS {
        let bad = |what: &str| ServerError::Internal(format!("demo account: {what}"));
        let id = CitizenId::parse(demo.citizen_id).map_err(|_| bad("number"))?;
        let account = match accounts::find_account_by_citizen(state, &id).await? {
            Some(row) => {
                if row.level != demo.level {
                    accounts::set_level(state, &row.id, demo.level).await?;
                }
                row.id
            }
            None => {
                let password = Password::parse(demo.password).map_err(|_| bad("password"))?;
                accounts::create_account(state, &id, &password, demo.level).await?
            }
        };
        if let Some(key) = demo.officer_for {
            let province = NewProvince::parse(key).map_err(|_| bad("province"))?;
            if crate::authz::officer_province(state, &account).await? != Some(province) {
                officers::grant_officer(state, &id, province).await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_registry_parses_completely_with_unique_numbers() {
        let people = accounts::parse_citizen_registry(CITIZEN_REGISTRY).unwrap();
        assert!(people.len() >= 10_000, "{} people", people.len());
        let ids: std::collections::HashSet<_> = people.iter().map(|p| &p.citizen_id).collect();
        assert_eq!(ids.len(), people.len());
        let with_email = people.iter().filter(|p| p.email.is_some()).count();
        assert!(
            with_email * 10 > people.len() * 7,
            "most people have an e-mail"
        );
        let provinces: std::collections::HashSet<_> =
            people.iter().map(|p| p.citizen_id.province()).collect();
        assert_eq!(provinces.len(), 63, "every province has people");
        assert!(
            people.iter().any(|p| p.citizen_id.birth_year() >= 2000)
                && people.iter().any(|p| p.citizen_id.birth_year() < 1960)
        );
        // Some names have none ("Mai Minh An"), but most do, and they are kept.
        let with_diacritics = people.iter().filter(|p| !p.full_name.is_ascii()).count();
        assert!(with_diacritics * 10 > people.len() * 9, "{with_diacritics}");
    }

    #[test]
    fn every_demo_account_belongs_to_a_registry_person_and_has_a_valid_password() {
        let people = accounts::parse_citizen_registry(CITIZEN_REGISTRY).unwrap();
        for demo in DEMO_ACCOUNTS {
            let person = people
                .iter()
                .find(|p| p.citizen_id.as_str() == demo.citizen_id)
                .unwrap_or_else(|| panic!("{} is not in the registry", demo.full_name));
            assert_eq!(person.full_name, demo.full_name);
            assert!(Password::parse(demo.password).is_ok(), "{}", demo.full_name);
            if let Some(key) = demo.officer_for {
                let province = NewProvince::parse(key).unwrap();
                assert_eq!(demo.level, AccountLevel::Level2);
                assert_eq!(
                    officers::person_province(&person.citizen_id),
                    province,
                    "demo officers belong to the province they serve"
                );
            }
        }
        let (id, name, dob, phone) = DEMO_UNREGISTERED;
        assert!(people.iter().any(|p| p.citizen_id.as_str() == id
            && p.full_name == name
            && p.date_of_birth.to_string() == dob
            && p.phone.as_str() == phone));
        assert!(!DEMO_ACCOUNTS.iter().any(|d| d.citizen_id == id));
    }
}
