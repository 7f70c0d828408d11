//! Backup and restore of the embedded server (`dinhdanh-server backup` / `restore`), through
//! the built binary on a server that keeps serving: the backup holds the database, the
//! attachments, the keys and the audit checkpoint, privately; a restore into a fresh data
//! directory fails `audit verify` against the later checkpoint until `audit new-epoch` records
//! what was lost, then verifies, serves, signs in a person, and reads back the attachment and
//! the encrypted details. SQLite only: PostgreSQL is backed up with `pg_dump`
//! (docs/design/operations.md).

use crate::common;
use crate::identity;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use common::{Auth, Device, TestServer};
use dinhdanh_core::api::{Decision, OrganisationRecord, RegistrationStatus, paths};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_server::testing::audit::{self, FileCheckpoints};
use dinhdanh_server::testing::{ServerKeys, accounts, officers, registrations};
use identity::{Person, bind, sign_in};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// Runs the server binary on `data_dir` with the checkpoint kept at `checkpoint` (outside the
/// data directory, as a deployment keeps it).
fn server(data_dir: &Path, checkpoint: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dinhdanh-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DINHDANH_SERVER_KEYS")
        .env_remove("DATABASE_URL")
        .env(audit::CHECKPOINT_ENV, checkpoint)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the server binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A server whose keys live in its data directory and whose checkpoints go to `checkpoint`.
async fn server_on(data_dir: PathBuf, checkpoint: &Path) -> TestServer {
    audit::use_checkpoint_sink(
        &data_dir,
        Arc::new(FileCheckpoints::new(checkpoint.to_path_buf())),
    );
    let keys = ServerKeys::load_or_create(&data_dir).unwrap();
    let url = dinhdanh_server::testing::sqlite_url(&data_dir);
    TestServer::start_on(data_dir, url, keys).await
}

/// A type-4 request for `head`, filed at the desk by `officer` with a founding decision, and
/// approved: an organisation.
async fn organisation_for(t: &TestServer, officer: &Person, head: &Person, name: &str) -> String {
    let form = OrganisationForm {
        name_vi: name.into(),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        representatives: vec![RepresentativeForm {
            full_name: "Nguyễn Thị Lan".into(),
            citizen_id: head.citizen_id.as_str().into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    let filed = registrations::register_in_person(
        t.state(),
        &officer.citizen_id,
        &head.citizen_id,
        OrgType::OrganisationWithoutRegistration,
        &form,
        &[(DocumentKind::FoundingDecision, PDF.to_vec())],
    )
    .await
    .unwrap();
    let approved = registrations::decide_in_person(
        t.state(),
        &officer.citizen_id,
        &filed.id,
        &Decision::Approve,
    )
    .await
    .unwrap();
    assert_eq!(approved.status, RegistrationStatus::Approved);
    filed.id.as_str().to_owned()
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_directory_verifies_after_a_new_epoch_and_serves() {
    let root = dinhdanh_server::testing::temp_dir("backup").unwrap();
    let checkpoint = root.join("checkpoints").join("audit-checkpoint.json");
    let live_dir = root.join("live");
    let backup_dir = root.join("backup");
    let restored_dir = root.join("restored");

    // Data: a person with a bound phone, an officer, an organisation approved from a request
    // with an attachment; every step audited.
    let live = server_on(live_dir.clone(), &checkpoint).await;
    let head = identity::person(&live, true).await;
    let phone = Device::new();
    let device = bind(&live, &head, &phone).await;
    sign_in(&live, &head, &phone, &device.id).await;
    let officer = identity::person(&live, false).await;
    officers::grant_officer(
        live.state(),
        &officer.citizen_id,
        NewProvince::parse("ha_noi").unwrap(),
    )
    .await
    .unwrap();
    let registration = organisation_for(&live, &officer, &head, "Hội Cờ tướng Dịch Vọng").await;
    let before = audit::verify_chain(live.state()).await.unwrap();
    assert!(before.checkpoint_matches, "{before:?}");

    // The backup, taken by the binary while the server serves.
    let out = server(
        &live_dir,
        &checkpoint,
        &["backup", backup_dir.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CONTAINS SECRETS"),
        "{}",
        text(&out)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup_dir.join("backup.json")).unwrap()).unwrap();
    assert_eq!(manifest["contains_secrets"], true);
    assert_eq!(manifest["keys_included"], true);
    assert_eq!(manifest["audit_head"]["seq"].as_u64(), Some(before.entries));
    assert!(backup_dir.join("CONTAINS-SECRETS.txt").is_file());
    let attachment_files = std::fs::read_dir(backup_dir.join("attachments"))
        .unwrap()
        .count();
    assert_eq!(attachment_files, 1, "the one attachment's content");
    #[cfg(unix)]
    {
        assert_eq!(mode(&backup_dir), 0o700);
        for f in [
            "server-keys.json",
            "dinhdanh.db",
            "backup.json",
            "audit-checkpoint.json",
        ] {
            assert_eq!(mode(&backup_dir.join(f)), 0o600, "{f}");
        }
    }
    // A second backup into the same directory is refused.
    let again = server(
        &live_dir,
        &checkpoint,
        &["backup", backup_dir.to_str().unwrap()],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        text(&again)
    );

    // More data after the backup: the checkpoint moves past what the backup holds.
    let later = identity::person(&live, false).await;
    organisation_for(&live, &officer, &head, "Câu lạc bộ Cờ vây Cầu Giấy").await;
    let after = audit::verify_chain(live.state()).await.unwrap();
    assert!(after.checkpoint_matches && after.entries > before.entries);

    // Restoring over data is refused; into a fresh directory it works and says what to do.
    let refused = server(
        &live_dir,
        &checkpoint,
        &["restore", backup_dir.to_str().unwrap()],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not empty"),
        "{}",
        text(&refused)
    );
    let out = server(
        &restored_dir,
        &checkpoint,
        &["restore", backup_dir.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("audit new-epoch"),
        "{}",
        text(&out)
    );
    #[cfg(unix)]
    assert_eq!(mode(&restored_dir.join("server-keys.json")), 0o600);

    // Without the epoch, the shorter trail reads as entries removed.
    let out = server(&restored_dir, &checkpoint, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("MISMATCH"),
        "{}",
        text(&out)
    );
    // The operator records the restore; then it verifies and says what was lost.
    let reason = "Khôi phục từ bản sao lưu sau khi hỏng đĩa";
    let out = server(
        &restored_dir,
        &checkpoint,
        &["audit", "new-epoch", "--reason", reason],
    );
    assert!(out.status.success(), "{}", text(&out));
    let lost = after.entries - before.entries;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("({lost} entries lost)")),
        "{}",
        text(&out)
    );
    let out = server(&restored_dir, &checkpoint, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("epochs: 1"), "{report}");
    assert!(report.contains(reason), "{report}");
    assert!(
        report.contains(&format!(
            "{lost} entries ({}–{}) of the earlier trail are lost",
            before.entries + 1,
            after.entries
        )),
        "{report}"
    );
    // Once is enough: nothing more to accept.
    let out = server(
        &restored_dir,
        &checkpoint,
        &["audit", "new-epoch", "--reason", reason],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to accept"),
        "{}",
        text(&out)
    );

    // The restored server serves: the person signs in on the phone bound before the backup,
    // reads the attachment and the organisation's encrypted details.
    let restored = server_on(restored_dir.clone(), &checkpoint).await;
    let session = sign_in(&restored, &head, &phone, &device.id).await;
    let stored = registrations::load(
        restored.state(),
        &dinhdanh_core::ids::RegistrationId::parse(&registration).unwrap(),
    )
    .await
    .unwrap()
    .expect("the request is restored");
    assert_eq!(
        stored.details.representatives[0].citizen_id, head.citizen_id,
        "the details decrypt with the restored keys"
    );
    let attachment = stored
        .details
        .founding_decision
        .clone()
        .expect("the founding decision");
    let resp = restored
        .get(
            &paths::fill(paths::ATTACHMENT, "id", attachment.as_str()),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PDF);
    let eid = stored.org_eid.clone().expect("approved");
    let resp = restored
        .get(
            &paths::fill(paths::ORGANISATION, "eid", eid.as_str()),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let record: OrganisationRecord = resp.json().await.unwrap();
    assert_eq!(record.details.name_vi.as_str(), "Hội Cờ tướng Dịch Vọng");
    // What came after the backup is not there.
    assert!(
        accounts::find_account_by_citizen(restored.state(), &later.citizen_id)
            .await
            .unwrap()
            .is_none()
    );
    // And the trail goes on in the new epoch.
    let report = audit::verify_chain_report(restored.state()).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.epochs.len(), 1);

    // A damaged backup is refused, naming the file, before anything is written.
    let attachment_copy = std::fs::read_dir(backup_dir.join("attachments"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&attachment_copy).unwrap();
    bytes.push(b'\n');
    std::fs::write(&attachment_copy, bytes).unwrap();
    let untouched = root.join("untouched");
    let out = server(
        &untouched,
        &checkpoint,
        &["restore", backup_dir.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the backup is damaged: attachments/"),
        "{}",
        text(&out)
    );
    assert!(!untouched.exists(), "nothing written");

    drop(restored);
    drop(live);
    let _ = std::fs::remove_dir_all(root);
}
