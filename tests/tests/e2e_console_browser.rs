//! The officer console in a real browser: Debian's Chromium, headless at 1366×768, driven over
//! WebDriver (chromedriver, through `fantoccini`), against the real server binary seeded with
//! the demo data. The officer is Hoàng Đức Minh (README, "Demo accounts": an officer of Hà
//! Nội); his phone is the device library, its keys in the real Secret Service, and it reads
//! the sign-in from the QR code decoded out of a screenshot of the provider's login page, as
//! its camera would. Every page is saved under `target/e2e-screens/console_browser/`, and
//! axe-core (the demo's pinned devDependency) checks the console's pages. Run by `cargo xtask
//! test` in its end-to-end step.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use dinhdanh_client::passcode::EnteredPasscode;
use dinhdanh_core::api::{
    ActionOrigin, Decision, DesktopActionEvent, InformationAnswer, NotificationKind,
    OfficerDecision, RegistrationStatus, RegistrationSubmission, RegistrationView, paths,
};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_tests::chromium::{Chromium, axe_violations, service_sign_in_in, wait_for_within};
use dinhdanh_tests::oidc_demo::{DemoEnv, PASSCODE, Person, Phone, bin_dir};
use fantoccini::{Client as Browser, Locator};

/// Hoàng Đức Minh, level 2, officer of Hà Nội (seeded by `seed --demo`).
const MINH: Person = Person {
    citizen_id: "001078067890",
    password: "Minh#Officer2025",
    name: "Hoàng Đức Minh",
};
/// Nguyễn Văn An, level 2, not an officer.
const AN: Person = dinhdanh_tests::oidc_demo::AN;
/// An officer of Hồ Chí Minh City (the demo data's).
const HA: Person = Person {
    citizen_id: "079185004321",
    password: "Ha#Officer2025",
    name: "Phạm Thu Hà",
};
/// A dissolved enterprise in the demo registry, represented by An: its request goes to an
/// officer.
const AN_BINH: &str = "Công ty TNHH Thương mại An Bình";
const PAGE_WAIT: Duration = Duration::from_secs(15);

struct World {
    env: DemoEnv,
    driver: Chromium,
    shots_dir: PathBuf,
    shots: AtomicUsize,
    axe: String,
}

impl World {
    async fn shot(&self, browser: &Browser, label: &str) -> Result<Vec<u8>> {
        let png = browser.screenshot().await?;
        let n = self.shots.fetch_add(1, Ordering::SeqCst) + 1;
        std::fs::write(self.shots_dir.join(format!("{n:02}-{label}.png")), &png)?;
        Ok(png)
    }

    /// axe-core on the page as it is; the violations, one line each.
    async fn axe(&self, browser: &Browser) -> Result<Vec<String>> {
        axe_violations(browser, &self.axe).await
    }

    /// The console's sign-in button, the provider's login page, the phone reading the QR code
    /// out of a screenshot and approving with its passcode.
    async fn sign_in(&self, browser: &Browser, phone: &Phone, label: &str) -> Result<()> {
        browser
            .goto(&format!("{}/console/", self.env.server_url))
            .await?;
        wait_for(browser, "form[action='/console/sign-in'] button").await?;
        self.shot(browser, &format!("{label}-sign-in")).await?;
        browser
            .find(Locator::Css("form[action='/console/sign-in'] button"))
            .await?
            .click()
            .await?;
        wait_for(browser, "img.qr-code").await?;
        let title = browser.title().await?;
        ensure!(title.contains("Bảng điều khiển cán bộ"), "{title}");
        let sign_in = self
            .scan(browser, phone, &format!("{label}-login-page"))
            .await?;
        let view = phone.client.read_service_sign_in(&sign_in).await?;
        ensure!(view.client_name_vi == "Bảng điều khiển cán bộ");
        // The console asks for the name only.
        ensure!(view.claims == ["name"], "{:?}", view.claims);
        phone
            .client
            .approve_service_sign_in(&view, None, &phone.passcode()?)
            .await?;
        Ok(())
    }

    async fn scan(&self, browser: &Browser, phone: &Phone, label: &str) -> Result<RendezvousId> {
        let png = self.shot(browser, label).await?;
        let payload = service_sign_in_in(&png, phone)?;
        Ok(payload.sign_in().clone())
    }
}

/// An, from his phone, registers "Công ty TNHH Thương mại An Bình", which the registry lists
/// as dissolved: the request waits for an officer of Hà Nội.
async fn an_binh_waits_for_an_officer(an: &Phone) -> Result<RegistrationView> {
    let form = OrganisationForm {
        name_vi: AN_BINH.into(),
        established_on: "2009-06-30".into(),
        head_office_address: "Số 40 phố Huế, phường Hai Bà Trưng".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: "0108680054".into(),
        representatives: vec![RepresentativeForm {
            full_name: AN.name.into(),
            citizen_id: AN.citizen_id.into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    let today = chrono::DateTime::from_timestamp(an.client.now() + 7 * 3600, 0)
        .context("clock")?
        .date_naive();
    let details = form
        .validate(OrgType::Enterprise, today)
        .map_err(|e| anyhow!("form: {e:?}"))?;
    let body = RegistrationSubmission::new(
        OrgType::Enterprise,
        details,
        &CitizenId::parse(AN.citizen_id)?,
    );
    let confirmer = an
        .client
        .passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    let view: RegistrationView = an
        .client
        .confirmed(
            reqwest::Method::POST,
            paths::REGISTRATIONS,
            ActionKind::RegisterOrganisation,
            ActionTarget::new("registration", "new")?,
            body,
            &confirmer,
        )
        .await?;
    ensure!(
        view.status == RegistrationStatus::AwaitingOfficer,
        "{:?}",
        view.status
    );
    Ok(view)
}

/// The texts of the elements `css` finds, in order.
async fn cells_of(browser: &Browser, css: &str) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for cell in browser.find_all(Locator::Css(css)).await? {
        texts.push(cell.text().await?.trim().to_owned());
    }
    Ok(texts)
}

/// Hà Nội's registered organisations (active or locked) and open requests (any status that is
/// not final), read from the server's database file rather than through the server.
async fn ha_noi_in_the_database(env: &DemoEnv) -> Result<(u64, u64)> {
    use sqlx::Connection;
    let file = env.server_dir.join("dinhdanh.db");
    let mut db =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", file.display())).await?;
    let registered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM organisations WHERE province = 'ha_noi' \
         AND status IN ('active', 'locked')",
    )
    .fetch_one(&mut db)
    .await?;
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM registrations WHERE province = 'ha_noi' GROUP BY status",
    )
    .fetch_all(&mut db)
    .await?;
    let mut open = 0;
    for (status, n) in statuses {
        let status: RegistrationStatus = serde_json::from_value(serde_json::Value::String(status))?;
        if !status.is_final() {
            open += u64::try_from(n)?;
        }
    }
    Ok((u64::try_from(registered)?, open))
}

async fn wait_for(browser: &Browser, css: &str) -> Result<fantoccini::elements::Element> {
    wait_for_within(browser, css, PAGE_WAIT).await
}

async fn click(browser: &Browser, css: &str) -> Result<()> {
    browser.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// On the request page: chooses `choice`, writes `text` (if any) and sends the decision.
async fn send_decision(browser: &Browser, choice: &str, text: &str) -> Result<()> {
    click(
        browser,
        &format!("input[name='decision'][value='{choice}']"),
    )
    .await?;
    if !text.is_empty() {
        let field = browser.find(Locator::Css("#decision-text")).await?;
        field.clear().await?;
        field.send_keys(text).await?;
    }
    click(browser, "section.decision button[type='submit']").await
}

/// The officer's phone confirms the one decision the console is waiting on; the console's
/// page then updates itself (its script asks the server) and says it is done.
async fn phone_confirms_decision(
    browser: &Browser,
    minh: &Phone,
    expected_in_summary: &str,
) -> Result<String> {
    phone_confirms(
        browser,
        minh,
        ActionKind::ReviewRegistration,
        expected_in_summary,
    )
    .await
}

/// The officer's phone confirms the one action of `kind` the console is waiting on.
async fn phone_confirms(
    browser: &Browser,
    minh: &Phone,
    kind: ActionKind,
    expected_in_summary: &str,
) -> Result<String> {
    let pending = minh.client.pending_desktop_actions().await?;
    ensure!(pending.len() == 1, "{pending:?}");
    let action = &pending[0];
    ensure!(action.asked_from == ActionOrigin::Console, "{action:?}");
    ensure!(action.kind == kind, "{action:?}");
    ensure!(
        action.summary_vi.contains(expected_in_summary),
        "{}",
        action.summary_vi
    );
    let event = minh
        .client
        .confirm_desktop_action(action, &minh.passcode()?)
        .await?;
    ensure!(
        matches!(event, DesktopActionEvent::Done { .. }),
        "{event:?}"
    );
    Ok(wait_for(browser, ".action.done h1").await?.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_signs_in_to_the_console_with_the_phone_in_a_real_browser() -> Result<()> {
    let env = DemoEnv::start("console_browser").await?;
    let target = bin_dir()?.parent().context("no target dir")?.to_path_buf();
    let shots_dir = target.join("e2e-screens").join("console_browser");
    let _ = std::fs::remove_dir_all(&shots_dir);
    std::fs::create_dir_all(&shots_dir)?;
    let axe_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../demo/service/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_file)
        .with_context(|| format!("{} (`cargo xtask test` runs `npm ci`)", axe_file.display()))?;
    let driver = Chromium::start(env.root.join("chromedriver.log")).await?;
    let w = World {
        env,
        driver,
        shots_dir,
        shots: AtomicUsize::new(0),
        axe,
    };

    // A request waiting in Hà Nội.
    let an = w.env.phone_of(AN).await?;
    let request = an_binh_waits_for_an_officer(&an).await?;

    // The officer: the queue of Hà Nội, with his name and province in the header.
    let minh = w.env.phone_of(MINH).await?;
    let browser = w.driver.browser(1366, 768).await?;
    w.sign_in(&browser, &minh, "officer").await?;
    wait_for(&browser, "main .heading h1").await?;
    let url = browser.current_url().await?;
    ensure!(
        url.as_str() == format!("{}/console/", w.env.server_url),
        "{url}"
    );
    let who = browser.find(Locator::Css(".who")).await?.text().await?;
    ensure!(who.contains(MINH.name) && who.contains("Hà Nội"), "{who}");
    w.shot(&browser, "officer-queue").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the queue:\n{}",
        violations.join("\n")
    );
    // Nothing scrolls sideways at 1366 pixels.
    let overflow = browser
        .execute(
            "const e = document.documentElement; return e.scrollWidth - e.clientWidth;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    ensure!(overflow <= 0, "the queue scrolls sideways by {overflow}px");
    // The request's row, and its page.
    let link = browser
        .find(Locator::Css("table.queue tbody tr td a"))
        .await?;
    ensure!(link.text().await? == AN_BINH);
    link.click().await?;
    wait_for(&browser, "dl.details").await?;
    let page = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(page.contains(request.id.as_str()), "{page}");
    w.shot(&browser, "officer-request").await?;
    // The whole page, for looking at: the registry's differences, people, documents, history.
    browser.set_window_size(1366, 2600).await?;
    w.shot(&browser, "officer-request-whole").await?;
    browser.set_window_size(1366, 768).await?;
    let details = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(details.contains("không còn hoạt động"), "{details}");
    ensure!(
        !details.contains(AN.citizen_id),
        "a full identification number: {details}"
    );
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the request page:\n{}",
        violations.join("\n")
    );

    // Ask for information: without the question, a sentence under the field; then with it,
    // sent to the phone.
    send_decision(&browser, "ask", "").await?;
    let error = wait_for(&browser, "#decision-text-error")
        .await?
        .text()
        .await?;
    ensure!(
        error.contains("Nội dung cần bổ sung là bắt buộc"),
        "{error}"
    );
    w.shot(&browser, "officer-decision-error").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the decision's error:\n{}",
        violations.join("\n")
    );
    let question = "Xin gửi xác nhận của Sở Tài chính rằng doanh nghiệp vẫn đang hoạt động.";
    send_decision(&browser, "ask", question).await?;
    wait_for(&browser, "[data-state-url]").await?;
    w.shot(&browser, "officer-waiting-for-phone").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the waiting page:\n{}",
        violations.join("\n")
    );
    let done = phone_confirms_decision(&browser, &minh, question).await?;
    ensure!(done.contains("Đã thực hiện"), "{done}");
    w.shot(&browser, "officer-question-sent").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the outcome:\n{}",
        violations.join("\n")
    );

    // An reads the question in his inbox and answers from his phone.
    let inbox = an.client.notifications().await?;
    ensure!(
        inbox
            .iter()
            .any(|n| n.kind == NotificationKind::InformationRequested
                && n.body_vi.contains(question)),
        "{inbox:?}"
    );
    let answered: RegistrationView = an
        .client
        .confirmed(
            reqwest::Method::POST,
            &paths::fill(paths::REGISTRATION_ANSWER, "id", request.id.as_str()),
            ActionKind::AnswerInformationRequest,
            ActionTarget::new("registration", request.id.as_str())?,
            InformationAnswer {
                registration: request.id.clone(),
                answer: "Doanh nghiệp đã được khôi phục hoạt động; giấy xác nhận gửi kèm tại quầy."
                    .into(),
                corrected_details: None,
                attachments: Vec::new(),
            },
            &an.passcode()?,
        )
        .await?;
    ensure!(
        answered.status == RegistrationStatus::AwaitingOfficer,
        "{:?}",
        answered.status
    );

    // The officer approves; his phone confirms; the organisation has its e-ID.
    click(&browser, ".buttons a.button").await?;
    wait_for(&browser, "section.decision").await?;
    send_decision(&browser, "approve", "").await?;
    wait_for(&browser, "[data-state-url]").await?;
    let done = phone_confirms_decision(&browser, &minh, AN_BINH).await?;
    ensure!(done.contains("Đã thực hiện"), "{done}");
    let outcome = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(outcome.contains("Số định danh của tổ chức"), "{outcome}");
    w.shot(&browser, "officer-approved").await?;
    let inbox = an.client.notifications().await?;
    ensure!(
        inbox
            .iter()
            .any(|n| n.kind == NotificationKind::RegistrationApproved),
        "{inbox:?}"
    );

    // People: An looked up by his number; his page shows it masked; a lock without a reason
    // is refused under its field (locking itself is confirmed on the phone as a decision is,
    // and tested on the server).
    click(&browser, "nav.nav a[href='/console/people']").await?;
    let input = wait_for(&browser, "#citizen-id").await?;
    input.send_keys(AN.citizen_id).await?;
    w.shot(&browser, "officer-people").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the look-up:\n{}",
        violations.join("\n")
    );
    click(&browser, "main form button[type='submit']").await?;
    wait_for(&browser, "#lock").await?;
    let an_page = browser.current_url().await?.to_string();
    let person = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(person.contains(AN.name), "{person}");
    ensure!(!person.contains(AN.citizen_id), "the full number: {person}");
    click(&browser, "#lock button[type='submit']").await?;
    let error = wait_for(&browser, "#lock-reason-error")
        .await?
        .text()
        .await?;
    ensure!(error.contains("Lý do là bắt buộc"), "{error}");
    w.shot(&browser, "officer-person").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the person's page:\n{}",
        violations.join("\n")
    );

    // Organisations: An Bình, approved above, and its page.
    click(&browser, "nav.nav a[href='/console/organisations']").await?;
    wait_for(&browser, "table.organisations tbody tr td a").await?;
    w.shot(&browser, "officer-organisations").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the organisations:\n{}",
        violations.join("\n")
    );
    let search = browser.find(Locator::Css("#org-query")).await?;
    search.send_keys("An Bình").await?;
    click(&browser, "form.filters button[type='submit']").await?;
    // The search is a GET: wait for its address before reading the list.
    for _ in 0..50 {
        if browser.current_url().await?.as_str().contains("q=") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(&browser, "table.organisations tbody tr td a").await?;
    let link = browser
        .find(Locator::Css("table.organisations tbody tr td a"))
        .await?;
    ensure!(link.text().await? == AN_BINH, "the search finds An Bình");
    link.click().await?;
    wait_for(&browser, "ol.history").await?;
    let organisation_page = browser.current_url().await?.to_string();
    w.shot(&browser, "officer-organisation").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the organisation:\n{}",
        violations.join("\n")
    );

    // The dashboard of Hà Nội: the trend drawn, the province's row only.
    click(&browser, "nav.nav a[href='/console/dashboard']").await?;
    wait_for(&browser, "table.provinces").await?;
    let rows = browser
        .find_all(Locator::Css("table.provinces tbody tr"))
        .await?
        .len();
    ensure!(
        rows == 1,
        "a provincial officer sees one province, not {rows}"
    );
    let drawn = browser
        .execute(
            "const i = document.querySelector('img.chart'); return i.complete && i.naturalWidth;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    ensure!(drawn > 0, "the trend's image did not load");
    browser.set_window_size(1366, 1500).await?;
    w.shot(&browser, "officer-dashboard").await?;
    browser.set_window_size(1366, 768).await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the dashboard:\n{}",
        violations.join("\n")
    );
    // Its figures are the database's: Hà Nội's registered organisations (active or locked)
    // and open requests, counted here from the server's SQLite file.
    let cells = cells_of(&browser, "table.provinces tbody tr td").await?;
    let (registered, open) = ha_noi_in_the_database(&w.env).await?;
    ensure!(
        cells.first().map(String::as_str) == Some(registered.to_string().as_str())
            && cells.get(3).map(String::as_str) == Some(open.to_string().as_str()),
        "the dashboard's row {cells:?}; the database: {registered} registered, {open} open"
    );

    // The working-day calendar: every provincial officer reads it; Minh, made a calendar
    // keeper by the operator's command, is offered the form, and a date that is no date gets
    // its sentence under the field.
    w.env.cli(&[
        "holiday",
        "keeper",
        "grant",
        "--citizen-id",
        MINH.citizen_id,
    ])?;
    click(&browser, "nav.nav a[href='/console/holidays']").await?;
    wait_for(&browser, "table.holidays").await?;
    let days = browser
        .find(Locator::Css("table.holidays"))
        .await?
        .text()
        .await?;
    ensure!(days.contains("Tết"), "{days}");
    browser
        .find(Locator::Css("#holiday-day"))
        .await?
        .send_keys("2027-02-30")
        .await?;
    browser
        .find(Locator::Css("#holiday-name-vi"))
        .await?
        .send_keys("Nghỉ bù")
        .await?;
    click(
        &browser,
        "form[action='/console/holidays'] button[type='submit']",
    )
    .await?;
    let error = wait_for(&browser, "#holiday-day-error")
        .await?
        .text()
        .await?;
    ensure!(!error.is_empty(), "a sentence under the date");
    browser.set_window_size(1366, 2200).await?;
    w.shot(&browser, "officer-holidays").await?;
    browser.set_window_size(1366, 768).await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the calendar:\n{}",
        violations.join("\n")
    );

    // In-person intake (Cách 2): An at the counter registers his association of type 4; the
    // founding decision is scanned; a required field left empty comes back with its sentence
    // and what was typed; then the officer's phone confirms and the request exists.
    click(&browser, "nav.nav a[href='/console/intake']").await?;
    wait_for(
        &browser,
        "input[name='type'][value='organisation_without_registration']",
    )
    .await?;
    w.shot(&browser, "officer-intake-types").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the intake's types:\n{}",
        violations.join("\n")
    );
    click(
        &browser,
        "input[name='type'][value='organisation_without_registration']",
    )
    .await?;
    click(&browser, "section.intake button[type='submit']").await?;
    wait_for(&browser, "#f-requester").await?;
    let scan = w.env.root.join("quyet-dinh-thanh-lap.pdf");
    std::fs::write(
        &scan,
        dinhdanh_tests::pdf::one_page("QUYET DINH THANH LAP HOI"),
    )?;
    let association = "Hội Khuyến học phường Hoàn Kiếm";
    for (css, text) in [
        ("#f-requester", AN.citizen_id),
        ("#f-established_on", "2016-11-20"),
        (
            "#f-head_office_address",
            "Số 2 phố Lý Thái Tổ, phường Hoàn Kiếm",
        ),
        ("#f-contact_phone", "0912345678"),
        ("#rep-name-0", AN.name),
        ("#rep-id-0", AN.citizen_id),
    ] {
        browser
            .find(Locator::Css(css))
            .await?
            .send_keys(text)
            .await?;
    }
    let file = browser.find(Locator::Css("#f-founding_decision")).await?;
    file.send_keys(&scan.display().to_string()).await?;
    click(&browser, "section.intake button[type='submit']").await?;
    let error = wait_for(&browser, "#f-name_vi-error").await?.text().await?;
    ensure!(error.contains("bắt buộc"), "{error}");
    let kept = browser
        .find(Locator::Css("#f-head_office_address"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        kept.contains("Lý Thái Tổ"),
        "what was typed is kept: {kept}"
    );
    browser.set_window_size(1366, 2200).await?;
    w.shot(&browser, "officer-intake-error").await?;
    browser.set_window_size(1366, 768).await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the intake's form:\n{}",
        violations.join("\n")
    );
    browser
        .find(Locator::Css("#f-name_vi"))
        .await?
        .send_keys(association)
        .await?;
    // The scan sent with the form that came back is kept by the server: not chosen again
    // (the page drawn below is that file's).
    let kept = browser
        .find(Locator::Css("#f-founding_decision-kept"))
        .await?
        .text()
        .await?;
    ensure!(kept.contains("PDF"), "{kept}");
    click(&browser, "section.intake button[type='submit']").await?;
    wait_for(&browser, "[data-state-url]").await?;
    w.shot(&browser, "officer-intake-waiting").await?;
    let done = phone_confirms(&browser, &minh, ActionKind::RegisterInPerson, association).await?;
    ensure!(done.contains("Đã thực hiện"), "{done}");
    w.shot(&browser, "officer-intake-filed").await?;
    click(&browser, ".buttons a.button").await?;
    wait_for(&browser, "dl.details").await?;
    let page = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(page.contains(association), "{page}");
    // The founding decision's page is drawn on the page by pdf.js (served by the server from
    // the package `cargo xtask test` installs): its blue band is on the canvas.
    ensure!(
        std::env::var_os("DINHDANH_PDFJS_DIR").is_some(),
        "DINHDANH_PDFJS_DIR is not set: run this test through `cargo xtask test`, which \
         installs pdf.js for the console"
    );
    let drawn = wait_for(&browser, "figure.pdf[data-drawn]")
        .await?
        .attr("data-drawn")
        .await?;
    ensure!(drawn.as_deref() == Some("1"), "pages drawn: {drawn:?}");
    let [r, g, b] = dinhdanh_tests::pdf::BAND_RGB;
    let band = browser
        .execute(
            &format!(
                "const c = document.querySelector('figure.pdf canvas.pdf-page'); \
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
                 let n = 0; \
                 for (let i = 0; i < d.length; i += 4) {{ \
                   if (Math.abs(d[i] - {r}) < 16 && Math.abs(d[i + 1] - {g}) < 16 \
                       && Math.abs(d[i + 2] - {b}) < 16) n++; \
                 }} \
                 return n / (c.width * c.height);"
            ),
            vec![],
        )
        .await?
        .as_f64()
        .unwrap_or_default();
    // The band covers 495×60 of the page's 595×842 points: about 5.9% of its pixels.
    ensure!(
        (0.04..0.08).contains(&band),
        "the drawn page's band covers {band:.4} of it"
    );
    let status = browser
        .find(Locator::Css("figure.pdf .pdf-status"))
        .await?
        .text()
        .await?;
    ensure!(status.starts_with("1 trang"), "{status}");
    let intake_page = browser.current_url().await?.to_string();
    let scan_href = browser
        .find(Locator::Css("ul.documents a.button"))
        .await?
        .attr("href")
        .await?
        .context("the scan's link")?;
    browser.set_window_size(1366, 2200).await?;
    w.shot(&browser, "officer-intake-request").await?;
    browser.set_window_size(1366, 768).await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on a request page with a PDF drawn:\n{}",
        violations.join("\n")
    );
    let mine = an.client.registrations().await?;
    ensure!(
        mine.iter()
            .any(|r| r.details.name_vi.as_str() == association
                && r.status == RegistrationStatus::AwaitingOfficer),
        "An sees the request filed for him: {mine:?}"
    );

    // A requester who never installed the app: Võ Thị Lan, in the people records without an
    // account, registers her club at the counter; the request page says she has no account.
    let (lan_id, lan_name, ..) = dinhdanh_server::testing::seed::DEMO_UNREGISTERED;
    let club = "Câu lạc bộ Dưỡng sinh phường Hoàn Kiếm";
    click(&browser, "nav.nav a[href='/console/intake']").await?;
    wait_for(
        &browser,
        "input[name='type'][value='organisation_without_registration']",
    )
    .await?;
    click(
        &browser,
        "input[name='type'][value='organisation_without_registration']",
    )
    .await?;
    click(&browser, "section.intake button[type='submit']").await?;
    wait_for(&browser, "#f-requester").await?;
    for (css, text) in [
        ("#f-requester", lan_id),
        ("#f-name_vi", club),
        ("#f-established_on", "2020-05-15"),
        (
            "#f-head_office_address",
            "Số 8 phố Tràng Tiền, phường Hoàn Kiếm",
        ),
        ("#f-contact_phone", "0935444555"),
        ("#rep-name-0", lan_name),
        ("#rep-id-0", lan_id),
    ] {
        browser
            .find(Locator::Css(css))
            .await?
            .send_keys(text)
            .await?;
    }
    let file = browser.find(Locator::Css("#f-founding_decision")).await?;
    file.send_keys(&scan.display().to_string()).await?;
    click(&browser, "section.intake button[type='submit']").await?;
    wait_for(&browser, "[data-state-url]").await?;
    let done = phone_confirms(
        &browser,
        &minh,
        ActionKind::RegisterInPerson,
        "chưa có tài khoản",
    )
    .await?;
    ensure!(done.contains("Đã thực hiện"), "{done}");
    click(&browser, ".buttons a.button").await?;
    let note = wait_for(&browser, "#requester-no-account")
        .await?
        .text()
        .await?;
    ensure!(note.contains("Người nộp chưa có tài khoản"), "{note}");
    let page = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(page.contains(club), "{page}");
    ensure!(!page.contains(lan_id), "her number is shown masked only");
    browser.set_window_size(1366, 2200).await?;
    w.shot(&browser, "officer-intake-no-account").await?;
    browser.set_window_size(1366, 768).await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on a request page of a requester without an account:\n{}",
        violations.join("\n")
    );

    // A queue longer than a page: 55 more requests taken at the counter with the server's
    // command line (as an operator would); the pages' links, keyset positions sealed with
    // the filters, walk it there and back.
    let decision = w.env.root.join("quyet-dinh-hang-loat.pdf");
    std::fs::write(
        &decision,
        dinhdanh_tests::pdf::one_page("QUYET DINH THANH LAP"),
    )?;
    let form_file = w.env.root.join("queue-form.json");
    for i in 1..=55 {
        let form = serde_json::json!({
            "org_type": "organisation_without_registration",
            "form": {
                "name_vi": format!("Câu lạc bộ Dưỡng sinh tổ {i}"),
                "established_on": "2020-01-15",
                "head_office_address": "Số 12 phố Lý Thường Kiệt, phường Cửa Nam",
                "head_office_province": "ha_noi",
                "representatives": [{"full_name": AN.name, "citizen_id": AN.citizen_id}],
                "contact_phone": "0912345678",
            }
        });
        std::fs::write(&form_file, serde_json::to_vec(&form)?)?;
        w.env.cli(&[
            "registration",
            "in-person",
            "--officer-citizen-id",
            MINH.citizen_id,
            "--requester-citizen-id",
            AN.citizen_id,
            "--file",
            &form_file.display().to_string(),
            "--founding-decision",
            &decision.display().to_string(),
        ])?;
    }
    browser
        .goto(&format!(
            "{}/console/?type=organisation_without_registration",
            w.env.server_url
        ))
        .await?;
    let pages = wait_for(&browser, "nav.pages").await?.text().await?;
    ensure!(pages.contains("Trang 1 / 2"), "{pages}");
    let first_rows = browser
        .find_all(Locator::Css("table.queue tbody tr"))
        .await?
        .len();
    ensure!(first_rows == 50, "{first_rows} rows on the first page");
    browser.set_window_size(1366, 3200).await?;
    w.shot(&browser, "officer-queue-paged").await?;
    browser.set_window_size(1366, 768).await?;
    click(&browser, "nav.pages a[rel='next']").await?;
    wait_for(&browser, "nav.pages a[rel='prev']").await?;
    let url = browser.current_url().await?;
    ensure!(
        url.query()
            .is_some_and(|q| q.starts_with("type=organisation_without_registration&after=")),
        "{url}"
    );
    let pages = browser
        .find(Locator::Css("nav.pages"))
        .await?
        .text()
        .await?;
    ensure!(pages.contains("Trang 2 / 2"), "{pages}");
    ensure!(
        browser
            .find_all(Locator::Css("nav.pages a[rel='next']"))
            .await?
            .is_empty(),
        "the last page has no next"
    );
    w.shot(&browser, "officer-queue-page-2").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the queue's second page:\n{}",
        violations.join("\n")
    );
    click(&browser, "nav.pages a[rel='prev']").await?;
    wait_for(&browser, "nav.pages a[rel='next']").await?;
    let pages = browser
        .find(Locator::Css("nav.pages"))
        .await?
        .text()
        .await?;
    ensure!(pages.contains("Trang 1 / 2"), "{pages}");

    browser
        .find(Locator::Css(".sign-out button"))
        .await?
        .click()
        .await?;
    wait_for(&browser, "form[action='/console/sign-in'] button").await?;
    w.shot(&browser, "officer-signed-out").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the sign-in page:\n{}",
        violations.join("\n")
    );
    browser.close().await?;

    // Not an officer: told so.
    let browser = w.driver.browser(1366, 768).await?;
    w.sign_in(&browser, &an, "not-officer").await?;
    let alert = wait_for(&browser, "[role='alert'] h1")
        .await?
        .text()
        .await?;
    ensure!(alert.contains("không phải tài khoản cán bộ"), "{alert}");
    w.shot(&browser, "not-officer-refused").await?;
    let violations = w.axe(&browser).await?;
    ensure!(
        violations.is_empty(),
        "axe on the refusal:\n{}",
        violations.join("\n")
    );
    browser.close().await?;

    // An officer of another province (Phạm Thu Hà, Hồ Chí Minh City) gets nothing of Hà Nội:
    // not in her queue; its request, scan, person and organisation are "not found", the page of
    // something that does not exist; her dashboard has her province's row only; and her
    // phone's officer API refuses a decision on Hà Nội's request.
    let ha = w.env.phone_of(HA).await?;
    let browser = w.driver.browser(1366, 768).await?;
    w.sign_in(&browser, &ha, "other-province").await?;
    wait_for(&browser, "main .heading h1").await?;
    let queue = browser.find(Locator::Css("main")).await?.text().await?;
    ensure!(
        !queue.contains(association) && !queue.contains(AN_BINH),
        "{queue}"
    );
    let scan_url = format!("{}{scan_href}", w.env.server_url);
    for page in [&intake_page, &scan_url, &an_page, &organisation_page] {
        browser.goto(page).await?;
        let title = wait_for(&browser, "[role='alert'] h1")
            .await?
            .text()
            .await?;
        ensure!(title.starts_with("Không tìm thấy"), "{page}: {title}");
    }
    w.shot(&browser, "other-province-refused").await?;
    browser
        .goto(&format!("{}/console/dashboard", w.env.server_url))
        .await?;
    wait_for(&browser, "table.provinces").await?;
    let rows = cells_of(&browser, "table.provinces tbody tr th").await?;
    ensure!(rows == ["TP. Hồ Chí Minh"], "{rows:?}");
    browser.close().await?;
    let intake_id = intake_page
        .rsplit('/')
        .next()
        .context("the request's address")?;
    let registration = dinhdanh_core::ids::RegistrationId::parse(intake_id)?;
    let refused = ha
        .client
        .confirmed::<_, RegistrationView>(
            reqwest::Method::POST,
            &paths::OFFICER_DECISION.replace("{id}", intake_id),
            ActionKind::ReviewRegistration,
            ActionTarget::new("registration", intake_id)?,
            OfficerDecision {
                registration,
                decision: Decision::Approve,
            },
            &ha.passcode()?,
        )
        .await;
    match refused {
        Err(e) if e.code() == "forbidden" => {}
        other => anyhow::bail!("Hà's decision on Hà Nội's request: {other:?}"),
    }
    Ok(())
}
