//! Officer decisions taken at the desk: `dinhdanh-server registration list` and
//! `registration decide`, through the library function the command calls and through the
//! built binary on the test's database. The same checks and records as the officer's decision
//! in the app. And the operator's `holiday list|add|remove` through the binary. Runs on
//! SQLite and on PostgreSQL (`backend_test!`).

use crate::common;
use crate::identity;

use std::process::Command;

use common::TestServer;
use common::{Backend, backend_test};
use dinhdanh_core::api::{
    Decision, ErrorCode, NotificationKind, RegistrationStatus, RegistrationView,
};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_server::testing::ServerKeys;
use dinhdanh_server::testing::officers;
use dinhdanh_server::testing::registrations::{self, decide_in_person};
use identity::Person;
use rand_core::{OsRng, RngCore};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";

/// A server whose keys live in its data directory, so the binary started on the same
/// directory and database reads what the server wrote.
async fn server_sharing_its_keys(db: Backend) -> TestServer {
    let data_dir = std::env::temp_dir().join(format!(
        "dd-test-{}",
        dinhdanh_server::testing::unique_name("cli")
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let database_url = common::fresh_database_url(db, &data_dir).await;
    let keys = ServerKeys::load_or_create(&data_dir).unwrap();
    TestServer::start_on(data_dir, database_url, keys).await
}

async fn officer_for(t: &TestServer, province: &str) -> Person {
    let p = identity::person(t, false).await;
    officers::grant_officer(
        t.state(),
        &p.citizen_id,
        NewProvince::parse(province).unwrap(),
    )
    .await
    .unwrap();
    p
}

/// A type-4 request (no registry: it waits for an officer of Hà Nội), filed at the desk by
/// `filer` for `head`.
async fn type_4_request(t: &TestServer, filer: &Person, head: &Person) -> RegistrationView {
    let form = OrganisationForm {
        name_vi: format!("Hội Cờ tướng phường {}", OsRng.next_u32() % 100_000),
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
    let view = registrations::register_in_person(
        t.state(),
        &filer.citizen_id,
        &head.citizen_id,
        OrgType::OrganisationWithoutRegistration,
        &form,
        &[(DocumentKind::FoundingDecision, PDF.to_vec())],
    )
    .await
    .unwrap();
    assert_eq!(view.status, RegistrationStatus::AwaitingOfficer);
    view
}

async fn audit_actor(t: &TestServer, action: &str, view: &RegistrationView) -> Option<String> {
    sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = $1 AND object = $2")
        .bind(action)
        .bind(format!("registration:{}", view.id))
        .fetch_optional(&t.state().pool)
        .await
        .unwrap()
        .flatten()
}

backend_test!(an_officer_decides_at_the_desk_with_the_same_checks_and_records_as_in_the_app);
async fn an_officer_decides_at_the_desk_with_the_same_checks_and_records_as_in_the_app(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let head = identity::person(&t, true).await;
    let officer = officer_for(&t, "ha_noi").await;
    let elsewhere = officer_for(&t, "ho_chi_minh").await;
    let reg = type_4_request(&t, &officer, &head).await;

    // Not an officer, or an officer of another province: refused, and the refusal audited.
    let not_officer = decide_in_person(t.state(), &head.citizen_id, &reg.id, &Decision::Approve)
        .await
        .unwrap_err();
    assert!(not_officer.is(ErrorCode::Forbidden), "{not_officer}");
    let other = decide_in_person(
        t.state(),
        &elsewhere.citizen_id,
        &reg.id,
        &Decision::Approve,
    )
    .await
    .unwrap_err();
    assert!(other.is(ErrorCode::Forbidden), "{other}");
    assert_eq!(
        audit_actor(&t, "registration.decision.refused", &reg)
            .await
            .as_deref(),
        Some(head.account.as_str()),
        "the first refusal names who tried"
    );
    // A blank reason is refused like in the app.
    let blank = decide_in_person(
        t.state(),
        &officer.citizen_id,
        &reg.id,
        &Decision::Reject {
            reason: "  ".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(blank.is(ErrorCode::ValidationFailed), "{blank}");

    // A question, then the approval.
    let asked = decide_in_person(
        t.state(),
        &officer.citizen_id,
        &reg.id,
        &Decision::RequestInformation {
            question: "Xin gửi biên bản họp thành lập.".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(asked.status, RegistrationStatus::InformationRequested);
    let approved = decide_in_person(t.state(), &officer.citizen_id, &reg.id, &Decision::Approve)
        .await
        .unwrap();
    assert_eq!(approved.status, RegistrationStatus::Approved);
    assert!(approved.org_eid.is_some());
    assert_eq!(
        audit_actor(&t, "registration.approved", &reg)
            .await
            .as_deref(),
        Some(officer.account.as_str())
    );
    assert_eq!(
        audit_actor(&t, "registration.information_requested", &reg)
            .await
            .as_deref(),
        Some(officer.account.as_str())
    );
    // The requester is told in the inbox, as after a decision in the app.
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM notifications WHERE account_id = $1")
            .bind(head.account.as_str())
            .fetch_all(&t.state().pool)
            .await
            .unwrap();
    let approved_kind = serde_json::to_value(NotificationKind::RegistrationApproved).unwrap();
    assert!(
        kinds.iter().any(|k| approved_kind == k.as_str()),
        "{kinds:?}"
    );
    // Decided requests stay decided.
    let again = decide_in_person(
        t.state(),
        &officer.citizen_id,
        &reg.id,
        &Decision::Reject {
            reason: "Nhầm".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(again.is(ErrorCode::InvalidState), "{again}");
}

fn server_command(t: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dinhdanh-server"))
        .arg("--data-dir")
        .arg(&t.data_dir)
        .arg("--database-url")
        .arg(&t.database_url)
        .args(args)
        .env_remove("DINHDANH_SERVER_KEYS")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the server binary runs")
}

backend_test!(the_registration_commands_list_and_decide_through_the_server_binary);
async fn the_registration_commands_list_and_decide_through_the_server_binary(db: Backend) {
    let t = server_sharing_its_keys(db).await;
    let head = identity::person(&t, false).await;
    let officer = officer_for(&t, "ha_noi").await;
    let approved = type_4_request(&t, &officer, &head).await;
    let rejected = type_4_request(&t, &officer, &head).await;

    let out = server_command(
        &t,
        &["registration", "list", "--status", "awaiting_officer"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for reg in [&approved, &rejected] {
        let line = table
            .lines()
            .find(|l| l.starts_with(reg.id.as_str()))
            .unwrap_or_else(|| panic!("{} missing from\n{table}", reg.id));
        assert!(line.contains("awaiting_officer"), "{line}");
        assert!(line.contains(reg.details.name_vi.as_str()), "{line}");
        assert!(line.contains(&reg.due_on.to_string()), "{line}");
    }
    assert!(
        !table.contains(head.citizen_id.as_str()),
        "no identification numbers in the list"
    );

    let officer_id = officer.citizen_id.as_str();
    let out = server_command(
        &t,
        &[
            "registration",
            "decide",
            "--officer-citizen-id",
            officer_id,
            "--id",
            approved.id.as_str(),
            "--approve",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("approved; e-ID number"));
    let out = server_command(
        &t,
        &[
            "registration",
            "decide",
            "--officer-citizen-id",
            officer_id,
            "--id",
            rejected.id.as_str(),
            "--reject",
            "Quyết định thành lập không hợp lệ.",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The server sees what the command did.
    let now = registrations::load(t.state(), &approved.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.status, RegistrationStatus::Approved);
    assert!(now.org_eid.is_some());
    let now = registrations::load(t.state(), &rejected.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.status, RegistrationStatus::Rejected);
    assert_eq!(
        audit_actor(&t, "registration.rejected", &rejected)
            .await
            .as_deref(),
        Some(officer.account.as_str())
    );

    // Refusals exit non-zero with the reason; so does a decision without its kind.
    let out = server_command(
        &t,
        &[
            "registration",
            "decide",
            "--officer-citizen-id",
            officer_id,
            "--id",
            approved.id.as_str(),
            "--approve",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_state"));
    let out = server_command(
        &t,
        &[
            "registration",
            "decide",
            "--officer-citizen-id",
            officer_id,
            "--id",
            approved.id.as_str(),
        ],
    );
    assert!(!out.status.success());
    let out = server_command(&t, &["registration", "list", "--status", "approved"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(approved.id.as_str()), "{table}");
    assert!(!table.contains(rejected.id.as_str()), "{table}");
}

backend_test!(the_holiday_commands_list_add_and_remove_through_the_server_binary);
async fn the_holiday_commands_list_add_and_remove_through_the_server_binary(db: Backend) {
    let t = server_sharing_its_keys(db).await;
    let text = |out: &std::process::Output| {
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let list = |t: &TestServer| {
        let out = server_command(t, &["holiday", "list", "2026"]);
        assert!(out.status.success(), "{:?}", text(&out));
        text(&out).0
    };
    let shipped = list(&t);
    assert!(
        shipped.contains("2026-02-17  Thứ Ba    day off") && shipped.contains("Bính Ngọ"),
        "{shipped}"
    );

    // A weekday is not a make-up working day: refused, said in both languages, nothing stored.
    let out = server_command(
        &t,
        &[
            "holiday",
            "add",
            "2026-11-20",
            "--kind",
            "make-up-working-day",
            "--name-vi",
            "Làm bù",
            "--name-en",
            "Make-up day",
        ],
    );
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("holiday.make_up_on_weekday")
            && err.contains("Ngày làm bù phải là thứ Bảy hoặc Chủ nhật")
            && err.contains("nothing changed"),
        "{err}"
    );
    assert_eq!(list(&t), shipped);

    let out = server_command(
        &t,
        &[
            "holiday",
            "add",
            "2026-11-20",
            "--kind",
            "day-off",
            "--name-vi",
            "Nghỉ đột xuất",
            "--name-en",
            "Extra day off",
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("added 2026-11-20 (day off)"));
    assert!(list(&t).contains(
        "2026-11-20  Thứ Sáu   day off             Nghỉ đột xuất  /  Extra day off  [operator]"
    ));
    let out = server_command(&t, &["holiday", "remove", "2026-11-20"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(list(&t), shipped);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object = 'holiday:2026-11-20' ORDER BY seq",
    )
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(actions, ["holiday.added", "holiday.removed"]);
}
