//! The device tests' harness: the real server in-process on a free loopback port with a fresh
//! SQLite database and a manual clock, people in its registry, and device profiles whose
//! secrets live in the real OS keystore (the Secret Service: `cargo xtask test` runs these
//! tests inside `dbus-run-session` with an unlocked gnome-keyring).
#![allow(dead_code)]

pub mod relay;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{EnteredPasscode, KdfParams, PasscodeConfirmer, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{DeviceView, OneTimeCode, SecretText};
use dinhdanh_core::ids::{AccountId, CitizenId, Gender, OldProvince, Password, PhoneNumber};
use dinhdanh_server::RunningServer;
use dinhdanh_server::testing::accounts::{self, CitizenRecord};
use dinhdanh_server::testing::organisations::{self, NewOrganisation, Registrant};
use dinhdanh_server::testing::{self, Clock, ManualClock, ServerSetup};
use rand_core::{OsRng, RngCore};

/// The passcode test devices are set up with.
pub const PASSCODE: &str = "271828";
/// A wrong one.
pub const WRONG_PASSCODE: &str = "314159";
/// Every test person's password.
pub const PASSWORD: &str = "Matkhau#2025";
/// Every test person's date of birth.
pub fn date_of_birth() -> NaiveDate {
    NaiveDate::from_ymd_opt(1990, 5, 17).expect("a real date")
}

pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A server under test.
pub struct TestServer {
    pub server: RunningServer,
    pub clock: ManualClock,
    pub data_dir: PathBuf,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(true).await
    }

    /// A server on the system clock, for clients in another process (the CLI), which sign
    /// with the system time.
    pub async fn start_on_system_clock() -> TestServer {
        Self::start_with(false).await
    }

    async fn start_with(manual_clock: bool) -> TestServer {
        let data_dir = std::env::temp_dir().join(format!("dd-client-srv-{}", random_hex(8)));
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut setup = ServerSetup::new(data_dir.clone(), testing::sqlite_url(&data_dir));
        let clock = ManualClock::new(testing::START_TIME);
        setup.clock = manual_clock.then(|| clock.clone());
        let server = testing::start_server(setup, |_| {})
            .await
            .expect("server started");
        TestServer {
            server,
            clock,
            data_dir,
        }
    }

    /// The last 6-digit code the outbox sent to `recipient`.
    pub fn last_code_to(&self, recipient: &str) -> OneTimeCode {
        let text = std::fs::read_to_string(self.data_dir.join("outbox.log")).unwrap_or_default();
        let code = text
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["to"] == recipient)
            .find_map(|m| six_digits(m["body"].as_str().unwrap_or_default()))
            .unwrap_or_else(|| panic!("no code was sent to {recipient}"));
        OneTimeCode::parse(&code).unwrap()
    }

    /// A device profile talking to this server, its secrets in the OS keystore. Cheap KDF
    /// parameters (the production ones are checked by a unit test of `passcode`).
    pub fn device(&self, role: &str) -> Device {
        Device::new(self, &format!("t{}-{role}", random_hex(6)))
    }

    /// Adds a person to the registry, with a level-2 account when `with_account`.
    pub async fn person(&self, with_account: bool) -> Person {
        let serial = OsRng.next_u32() % 1_000_000;
        let citizen_id = CitizenId::from_parts(
            OldProvince::from_code(1).unwrap(),
            Gender::Female,
            1990,
            serial,
        )
        .unwrap();
        let phone = format!("091{:07}", OsRng.next_u32() % 10_000_000);
        let record = CitizenRecord {
            citizen_id: citizen_id.clone(),
            full_name: "Nguyễn Thị Lan".into(),
            date_of_birth: date_of_birth(),
            gender: Gender::Female,
            phone: PhoneNumber::parse(&phone).unwrap(),
            email: None,
        };
        let state = &self.server.state;
        accounts::insert_citizen(state, &record).await.unwrap();
        let account = if with_account {
            Some(
                accounts::create_account(
                    state,
                    &citizen_id,
                    &Password::parse(PASSWORD).unwrap(),
                    AccountLevel::Level2,
                )
                .await
                .unwrap(),
            )
        } else {
            None
        };
        Person {
            citizen_id,
            phone,
            account,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn six_digits(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5)).rev().find_map(|i| {
        let window = &b[i..i + 6];
        let before = i > 0 && b[i - 1].is_ascii_digit();
        let after = b.get(i + 6).is_some_and(u8::is_ascii_digit);
        (window.iter().all(u8::is_ascii_digit) && !before && !after)
            .then(|| String::from_utf8_lossy(window).into_owned())
    })
}

/// A person in the registry.
pub struct Person {
    pub citizen_id: CitizenId,
    pub phone: String,
    pub account: Option<AccountId>,
}

/// A device: a profile (data directory + keystore namespace) and its client. Its keystore
/// entries are removed when it is dropped.
pub struct Device {
    pub client: Client,
    pub profile: Profile,
    pub keystore: Keystore,
}

/// Opens the OS keystore, failing (never skipping) with the way to run the tests when there
/// is no Secret Service.
pub fn os_keystore(profile: &str) -> Keystore {
    match Keystore::os(profile) {
        Ok(k) => k,
        Err(e) => panic!(
            "{} ({}). These tests use the real Secret Service: run them with `cargo xtask test` \
             (it starts dbus-run-session and an unlocked gnome-keyring-daemon), or by hand: \
             dbus-run-session -- sh -c 'printf \"\" | gnome-keyring-daemon --unlock \
             --components=secrets >/dev/null; cargo test -p dinhdanh-client'",
            e.code(),
            e
        ),
    }
}

impl Device {
    pub fn new(t: &TestServer, name: &str) -> Device {
        let dir = std::env::temp_dir().join(format!("dd-client-profile-{name}"));
        let profile = Profile::open(name, &dir).unwrap();
        let keystore = os_keystore(name);
        let mut config = ClientConfig::new(t.server.base_url());
        config.kdf = KdfParams::insecure_for_tests();
        config.device_name = "Điện thoại của Lan".into();
        let clock = t.clock.clone();
        config.clock = Arc::new(move || clock.now());
        let client = Client::new(config, profile.clone(), keystore.clone()).unwrap();
        Device {
            client,
            profile,
            keystore,
        }
    }

    /// Binds this device to `p`'s account with the code from the outbox and [`PASSCODE`].
    pub async fn bind(&self, t: &TestServer, p: &Person) -> DeviceView {
        let started = self
            .client
            .bind_start(&p.citizen_id, SecretText::new(PASSWORD))
            .await
            .unwrap();
        let code = t.last_code_to(&p.phone);
        let passcode = new_passcode(PASSCODE, PASSCODE, Some(date_of_birth())).unwrap();
        self.client
            .bind_finish(started, code, &passcode, None)
            .await
            .unwrap()
    }

    /// Binds and signs in.
    pub async fn bind_and_sign_in(&self, t: &TestServer, p: &Person) {
        self.bind(t, p).await;
        self.client
            .sign_in(SecretText::new(PASSWORD))
            .await
            .unwrap();
    }

    /// The confirmer for `passcode`.
    pub fn passcode(&self, passcode: &str) -> PasscodeConfirmer {
        self.client
            .passcode_confirmer(&EnteredPasscode::parse(passcode).unwrap())
            .unwrap()
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.keystore.clear();
        let _ = std::fs::remove_dir_all(self.profile.dir());
    }
}

/// An active enterprise named `name` whose only representative (hence owner) is `p`.
pub async fn organisation_owned_by(
    t: &TestServer,
    p: &Person,
    name: &str,
) -> dinhdanh_core::ids::OrgEid {
    let tax = (7001..)
        .find_map(dinhdanh_core::ids::TaxCode::from_body)
        .unwrap();
    let details = dinhdanh_core::org_type::OrganisationDetails {
        name_vi: dinhdanh_core::org_type::Name::parse(name).unwrap(),
        abbreviated_name: None,
        foreign_name: None,
        established_on: NaiveDate::from_ymd_opt(2018, 3, 1).unwrap(),
        head_office: dinhdanh_core::org_type::HeadOffice {
            address: dinhdanh_core::org_type::AddressLine::parse(
                "Số 1 phố Tràng Tiền, phường Hoàn Kiếm",
            )
            .unwrap(),
            province: dinhdanh_core::ids::NewProvince::parse("ha_noi").unwrap(),
        },
        enterprise_code: Some(dinhdanh_core::ids::EnterpriseCode::parse(tax.as_str()).unwrap()),
        tax_code: Some(tax),
        cooperative_code: None,
        agency_code: None,
        representatives: vec![dinhdanh_core::org_type::LegalRepresentative {
            full_name: dinhdanh_core::org_type::Name::parse("Nguyễn Thị Lan").unwrap(),
            citizen_id: p.citizen_id.clone(),
        }],
        contact_phone: PhoneNumber::parse("0912345678").unwrap(),
        contact_email: None,
        authorisation_letter: None,
        founding_decision: None,
    };
    organisations::create_organisation(
        &t.server.state,
        NewOrganisation {
            org_type: dinhdanh_core::org_type::OrgType::Enterprise,
            details: &details,
            registration: None,
            registered_by: Registrant::Account(p.account.as_ref().unwrap()),
        },
    )
    .await
    .unwrap()
}
