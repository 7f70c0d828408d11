//! Schema upgrades: a database made by the first round's server (commit d4cb927) is migrated
//! by today's and works. The fixture (`tests/fixtures/d4cb927/`) was made by that commit's
//! own code: people with bound phones, an officer, a request filed at the desk with its
//! founding decision, a question and the approval (an organisation), and a delegation added
//! and accepted through the signed-action API; then `sqlite3 .dump` of its database, its
//! (test-only) server keys, audit checkpoint and attachment, and `fixture.json` with the
//! test people's passwords and device keys. It holds two names today's text policy refuses
//! but that server accepted: a zero-width space in the organisation's name, and a
//! right-to-left override in the owner's device name. SQLite: the fixture is a SQLite dump.

use crate::common;
use crate::identity;

use std::cell::Cell;
use std::path::{Path, PathBuf};

use common::{Auth, Device, TestServer};
use dinhdanh_core::api::{
    AccountChoices, ChallengePurpose, OrganisationRecord, SwitchAccount, paths,
};
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId, OrgEid};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_server::testing::{self, ServerKeys, audit};
use identity::{Person, sign_in};
use p256::ecdsa::SigningKey;
use serde_json::Value;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/d4cb927")
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A person of the fixture and their phone, as the old server bound it.
fn person_and_phone(v: &Value) -> (Person, Device, DeviceId) {
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    let key = |k: &str| SigningKey::from_slice(&unhex(&s(k))).unwrap();
    let person = Person {
        citizen_id: CitizenId::parse(&s("citizen_id")).unwrap(),
        password: s("password"),
        phone: s("phone"),
        email: None,
        account: AccountId::parse(&s("account")).unwrap(),
    };
    let device = Device {
        device_key: key("device_key"),
        salt: unhex(&s("salt")).try_into().unwrap(),
        biometric_key: key("biometric_key"),
        counter: Cell::new(v["counter"].as_u64().unwrap()),
    };
    (person, device, DeviceId::parse(&s("device_id")).unwrap())
}

/// Copies `from` into `to`, folders included.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every string in `v`.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn a_database_made_by_the_first_round_is_migrated_by_todays_server_and_works() {
    let fixture = fixture_dir();
    let meta: Value =
        serde_json::from_slice(&std::fs::read(fixture.join("fixture.json")).unwrap()).unwrap();

    // The old database, from its text dump, with its keys, checkpoint and attachment.
    let data_dir = common::data_dir("upgrade");
    copy_tree(&fixture.join("data"), &data_dir);
    let url = testing::sqlite_url(&data_dir);
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let dump = std::fs::read_to_string(fixture.join("dinhdanh.sql")).unwrap();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(&dump).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }

    // Today's server starts on it: its migrations run.
    let keys = ServerKeys::load_or_create(&data_dir).unwrap();
    let t = TestServer::start_on(data_dir, url, keys).await;
    t.clock
        .advance(meta["clock"].as_i64().unwrap() - testing::START_TIME + 60);
    let versions: Vec<i64> = sqlx::query_scalar(
        "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
    )
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    let newest = dinhdanh_server::testing::latest_migration();
    assert_eq!(
        versions,
        (1..=newest).collect::<Vec<_>>(),
        "every migration ran once"
    );

    // The old trail verifies against its old checkpoint, with today's code.
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.entries, meta["audit_entries"].as_u64().unwrap());

    // The owner signs in on the phone bound then and reads the organisation's record. Its name
    // holds a zero-width space, refused today: it reads, shown as the text policy shows it.
    let (owner, owner_phone, owner_device) = person_and_phone(&meta["owner"]);
    let session = sign_in(&t, &owner, &owner_phone, &owner_device).await;
    let eid = OrgEid::parse(meta["organisation"].as_str().unwrap()).unwrap();
    let resp = t
        .get(
            &paths::fill(paths::ORGANISATION, "eid", eid.as_str()),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let record: OrganisationRecord = resp.json().await.unwrap();
    assert_eq!(
        record.details.name_vi.as_str(),
        "Hội Cờ\u{FFFD}tướng phường Dịch Vọng",
        "the invisible character shows as U+FFFD (dinhdanh_core::text::shown)"
    );
    assert_eq!(record.representatives.len(), 1);

    // The phone's name with a right-to-left override is served as stored (the app shows
    // labels through the same policy: ui/src/format.rs, `label`), and breaks nothing.
    let resp = t.get(paths::MY_DATA, Auth::Session(&session)).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let mut texts = Vec::new();
    strings(&resp.json::<Value>().await.unwrap(), &mut texts);
    let name = texts
        .iter()
        .find(|s| s.starts_with("Điện thoại của Lan"))
        .expect("the device's name is in the person's data");
    let shown = dinhdanh_core::text::shown(name, dinhdanh_core::text::MAX_LABEL_CHARS * 2, false);
    assert_eq!(shown, "Điện thoại của Lan\u{FFFD}gnp.exe");

    // The attachment filed then reads back.
    let attachment = meta["attachment"].as_str().unwrap();
    let resp = t
        .get(
            &paths::fill(paths::ATTACHMENT, "id", attachment),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PDF);

    // The delegate accepted then acts for the organisation now (a signed action).
    let (member, member_phone, member_device) = person_and_phone(&meta["member"]);
    let member_session = sign_in(&t, &member, &member_phone, &member_device).await;
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::SwitchAccount,
            },
            Some(&member_session),
        )
        .await;
    let confirmed = member_phone.confirm(
        t.now(),
        SwitchAccount {
            to: Some(eid.clone()),
        },
        ActionKind::SwitchAccount,
        t.origin(),
        challenge,
        &member.account,
        None,
        ActionTarget::new("organisation", eid.as_str()).unwrap(),
        identity::PASSCODE,
    );
    let resp = t
        .post(
            paths::ACCOUNT_SWITCH,
            &confirmed,
            Auth::Session(&member_session),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let choices: AccountChoices = resp.json().await.unwrap();
    assert_eq!(choices.active.as_ref(), Some(&eid));

    // The trail goes on from the old one and still verifies.
    let report = audit::verify_chain_report(t.state()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert!(report.entries > meta["audit_entries"].as_u64().unwrap());
}
