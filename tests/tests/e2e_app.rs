//! The app end to end: the real app binary under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, against the real server binary on loopback with the demo data. Elements
//! are found by the ids of docs/design/ui-test-ids.md. Every screen is saved as a screenshot
//! under `target/e2e-screens/<test>/`.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use dinhdanh_tests::e2e::{App, E2e, free_port};

const AN: (&str, &str, &str) = ("001080012345", "An#Demo2025", "Nguyễn Văn An");
const MAI: (&str, &str, &str) = ("074192034567", "Mai#Demo2025", "Trần Thị Mai");
/// Hoàng Đức Minh, officer for Hà Nội (the head office's province of the type-4 organisation).
const OFFICER_HA_NOI: &str = "001078067890";
const PASSCODE: &str = "270419";
const DELEGATE_PASSCODE: &str = "618305";
/// An's passcode after *Quên mã PIN*.
const NEW_PASSCODE: &str = "804159";
const SERVICE_VI: &str = "Thuế điện tử (thử nghiệm)";

/// First run on a fresh profile: bind the account to this app and set the passcode; ends on
/// the home screen, signed in.
async fn bind_and_set_passcode(
    env: &E2e,
    app: &App,
    person: (&str, &str, &str),
    passcode: &str,
) -> Result<()> {
    app.wait_for("screen-first-run").await?;
    env.screenshot(app, "first-run").await?;
    app.click("start-bind").await?;
    app.wait_for("screen-bind").await?;
    app.type_into("citizen-id-input", person.0).await?;
    app.type_into("password-input", person.1).await?;
    app.wait_for("bind-warning").await?;
    env.screenshot(app, "bind").await?;
    app.click("bind-submit").await?;
    app.wait_for("screen-bind-code").await?;
    let code = env.last_code()?;
    app.type_into("code-input", &code).await?;
    env.screenshot(app, "bind-code").await?;
    app.click("code-submit").await?;
    app.wait_for("screen-passcode-set").await?;
    app.keypad(passcode).await?;
    env.screenshot(app, "passcode-again").await?;
    app.keypad(passcode).await?;
    app.wait_for("screen-home").await?;
    app.wait_for_text("active-account", person.2).await?;
    env.screenshot(app, "home").await?;
    Ok(())
}

/// A service registered by the operator (`client add`) that accepts organisation accounts:
/// what a delegation may allow. Answers its client id.
fn register_service(env: &E2e) -> Result<String> {
    use dinhdanh_core::crypto::base64url_encode;
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let point = key.verifying_key().to_encoded_point(false);
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "rp-key-1",
        "x": base64url_encode(point.x().context("x")?),
        "y": base64url_encode(point.y().context("y")?),
    }]});
    let path = env.root.join("service-jwks.json");
    std::fs::write(&path, jwks.to_string())?;
    let out = env.server_cli(&[
        "client",
        "add",
        "--name-vi",
        SERVICE_VI,
        "--name-en",
        "Tax portal (test)",
        "--redirect-uri",
        "https://thue.example.vn/callback",
        "--jwks",
        &path.display().to_string(),
        "--claim",
        "name",
        "--organisations",
    ])?;
    Ok(out
        .split_whitespace()
        .find(|w| w.starts_with("rp_"))
        .with_context(|| format!("no client id in {out:?}"))?
        .to_owned())
}

/// Opens *Đổi tài khoản* from the home screen.
async fn open_switcher(app: &App) -> Result<()> {
    app.click("nav-home").await?;
    app.click("open-org-identity").await?;
    app.wait_for("screen-account-switcher").await?;
    Ok(())
}

/// Starts the registration wizard and confirms with the passcode; ends on the type choice.
async fn start_wizard(env: &E2e, app: &App, passcode: &str) -> Result<()> {
    open_switcher(app).await?;
    env.screenshot(app, "switcher").await?;
    app.click("register-org").await?;
    app.wait_for("screen-passcode-confirm").await?;
    app.wait_for("keypad").await?;
    env.screenshot(app, "confirm-passcode").await?;
    app.keypad(passcode).await?;
    app.wait_for("screen-wizard-type").await?;
    Ok(())
}

async fn choose_type(app: &App, org_type: &str) -> Result<()> {
    app.click(&format!("type-{org_type}")).await?;
    app.click("type-next").await?;
    app.wait_for("screen-wizard-form").await?;
    Ok(())
}

/// Sets a field's value by script and fires `input`/`change` (date pickers and selects do
/// not take keystrokes the same way in every engine).
async fn set_field(app: &App, id: &str, value: &str) -> Result<()> {
    app.select(id, value).await
}

/// Fills the fields every type has: name, date, address, province, one representative, phone.
async fn fill_common(app: &App, name: &str, established: &str, rep: (&str, &str)) -> Result<()> {
    app.type_into("field-name_vi", name).await?;
    set_field(app, "field-established_on", established).await?;
    app.type_into(
        "field-head_office_address",
        "Số 18 phố Duy Tân, phường Cầu Giấy",
    )
    .await?;
    set_field(app, "field-head_office_province", "ha_noi").await?;
    app.type_into("field-representative_name-0", rep.1).await?;
    app.type_into("field-representative_citizen_id-0", rep.0)
        .await?;
    app.type_into("field-contact_phone", "0912345678").await?;
    Ok(())
}

/// Review → passcode → the request's page; returns the request id shown.
async fn submit_from_form(env: &E2e, app: &App, passcode: &str, label: &str) -> Result<String> {
    env.screenshot(app, &format!("{label}-form")).await?;
    app.click("form-next").await?;
    app.wait_for("screen-wizard-review").await?;
    env.screenshot(app, &format!("{label}-review")).await?;
    app.click("review-submit").await?;
    app.wait_for("screen-passcode-confirm").await?;
    app.keypad(passcode).await?;
    app.wait_for("request-created").await?;
    let shown = app.wait_for("request-id").await?;
    let id = app.element_text(&shown).await?.trim().to_owned();
    if id.is_empty() {
        bail!("the request page shows no id");
    }
    env.screenshot(app, &format!("{label}-created")).await?;
    Ok(id)
}

async fn status_of_request(app: &App) -> Result<String> {
    let e = app.wait_for("request-status").await?;
    Ok(app.attribute(&e, "data-status").await?.unwrap_or_default())
}

/// Waits until the request page says `status` (the page refreshes itself or on reopening).
async fn wait_status(app: &App, status: &str) -> Result<()> {
    for _ in 0..60 {
        if status_of_request(app).await? == status {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!(
        "the request's status stayed {:?}, not {status:?}",
        status_of_request(app).await?
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_registers_two_organisations_and_a_delegate_acts_for_one() -> Result<()> {
    let mut env = E2e::start("owner_and_delegate").await?;
    env.check_screens()?;
    owner_and_delegate(&env).await
}

/// The same on a small Android phone (360×780): nothing scrolls sideways, every target is
/// large enough, the keypad and the wizard's buttons are reached and tapped.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_small_phone_an_owner_registers_two_organisations_and_a_delegate_acts_for_one()
-> Result<()> {
    let mut env = E2e::start("owner_and_delegate_360").await?;
    env.in_window(360, 780);
    env.check_screens()?;
    owner_and_delegate(&env).await
}

/// Two organisations registered by An (one approved by the registry, one by an officer), Mai
/// added as the enterprise's delegate with one outside service, Mai acting for it, and An
/// reading who acted for the enterprise.
async fn owner_and_delegate(env: &E2e) -> Result<()> {
    let started = std::time::Instant::now();
    let owner = env.open_app("owner").await?;
    bind_and_set_passcode(env, &owner, AN, PASSCODE).await?;

    // Type 1: the enterprise in the business registry, approved automatically.
    start_wizard(env, &owner, PASSCODE).await?;
    env.screenshot(&owner, "wizard-type").await?;
    choose_type(&owner, "enterprise").await?;
    fill_common(
        &owner,
        "Công ty TNHH Phần mềm An Phát",
        "2015-04-20",
        (AN.0, AN.2),
    )
    .await?;
    owner
        .type_into("field-enterprise_code", "0108680015")
        .await?;
    submit_from_form(env, &owner, PASSCODE, "enterprise").await?;
    wait_status(&owner, "approved").await?;
    let shown = owner.wait_for("request-eid").await?;
    let enterprise_eid = owner.element_text(&shown).await?.trim().to_owned();
    assert!(enterprise_eid.starts_with("TC"), "{enterprise_eid}");
    env.screenshot(&owner, "enterprise-approved").await?;

    // Type 4: no registry; the founding decision attached; an officer approves in person.
    start_wizard(env, &owner, PASSCODE).await?;
    choose_type(&owner, "organisation_without_registration").await?;
    fill_common(
        &owner,
        "Câu lạc bộ Cờ tướng Cầu Giấy",
        "2019-09-01",
        (AN.0, AN.2),
    )
    .await?;
    let decision = env.root.join("quyet-dinh-thanh-lap.pdf");
    std::fs::write(
        &decision,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )?;
    owner
        .choose_file("file-founding_decision", &decision)
        .await?;
    // The upload finishes before the form may go on.
    owner
        .wait_for_css(
            "[id=\"file-founding_decision\"][data-uploaded=\"true\"]",
            Duration::from_secs(60),
        )
        .await
        .context("the founding decision was not uploaded")?;
    let request_id = submit_from_form(env, &owner, PASSCODE, "club").await?;
    wait_status(&owner, "awaiting_officer").await?;
    let decided = env.server_cli(&[
        "registration",
        "decide",
        "--officer-citizen-id",
        OFFICER_HA_NOI,
        "--id",
        &request_id,
        "--approve",
    ])?;
    assert!(
        !decided.contains(AN.0),
        "the CLI printed a full CCCD number"
    );
    // The request's page, left open, shows the officer's decision without being reopened: the
    // live stream tells it (the CLI is another process on the database, so the server's stream
    // finds the event at its re-read, within 10 s).
    wait_status(&owner, "approved").await?;
    env.screenshot(&owner, "club-approved-live").await?;

    // Both outcomes reach the inbox.
    owner.click("nav-inbox").await?;
    owner.wait_for("screen-inbox").await?;
    let mut approvals = 0;
    for _ in 0..60 {
        approvals = owner
            .find_all_css(".notification.registration_approved")
            .await?
            .len();
        if approvals >= 2 {
            break;
        }
        owner.click("nav-inbox").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(approvals, 2, "both approvals are in the inbox");
    env.screenshot(&owner, "inbox").await?;

    // Both organisations under Đổi tài khoản.
    open_switcher(&owner).await?;
    owner
        .wait_for(&format!("account-org-{enterprise_eid}"))
        .await?;
    let orgs = owner.find_all_css("[id^=\"account-org-\"]").await?;
    assert_eq!(orgs.len(), 2, "two organisations to switch to");
    env.screenshot(&owner, "switcher-two-orgs").await?;

    // Add Trần Thị Mai as a delegate of the enterprise, allowed one outside service.
    let service = register_service(env)?;
    owner.click(&format!("org-open-{enterprise_eid}")).await?;
    owner.wait_for("screen-organisation").await?;
    owner.wait_for_text("org-eid", &enterprise_eid).await?;
    owner.type_into("delegate-citizen-id", MAI.0).await?;
    set_field(&owner, "delegate-role", "member").await?;
    owner.click("delegate-add").await?;
    owner.wait_for("screen-passcode-confirm").await?;
    owner.keypad(PASSCODE).await?;
    // A new delegation allows no outside service: the owner is offered the choice at once.
    owner.wait_for("screen-delegation-services").await?;
    owner.wait_for(&format!("service-choose-{service}")).await?;
    env.screenshots_at_widths(&owner, "delegation-services")
        .await?;
    // Back without choosing: the delegation says it allows no outside service.
    owner.click("delegation-services-back").await?;
    owner.wait_for("screen-organisation").await?;
    owner
        .wait_for_css(".delegation-no-services", Duration::from_secs(60))
        .await?;
    let rows = owner.find_all_css(".delegate-row").await?;
    let mut mai_row = None;
    for r in rows {
        if owner.element_text(&r).await?.contains(MAI.2) {
            mai_row = Some(r);
        }
    }
    let mai_row = mai_row.context("the new delegate is listed")?;
    let delegation = owner
        .attribute(&mai_row, "data-id")
        .await?
        .context("the row names its delegation")?;
    env.screenshots_at_widths(&owner, "delegate-added-no-services")
        .await?;
    // Then the service, until a last day, confirmed with the passcode.
    owner
        .click(&format!("delegate-services-{delegation}"))
        .await?;
    owner.wait_for("screen-delegation-services").await?;
    owner.click(&format!("service-choose-{service}")).await?;
    // A date input takes its value by script, as the wizard's date does.
    set_field(&owner, &format!("service-until-{service}"), "2099-12-31").await?;
    env.screenshots_at_widths(&owner, "delegation-services-chosen")
        .await?;
    owner.click("delegation-services-save").await?;
    owner.wait_for("screen-passcode-confirm").await?;
    owner.keypad(PASSCODE).await?;
    owner.wait_for("screen-organisation").await?;
    owner
        .wait_for_css(
            &format!(".delegated-service[data-client=\"{service}\"]"),
            Duration::from_secs(60),
        )
        .await?;
    env.screenshot(&owner, "delegate-added").await?;
    owner.quit().await?;

    // The delegate, on a second app profile: bind, accept, switch to the enterprise and back.
    let delegate = env.open_app("delegate").await?;
    bind_and_set_passcode(env, &delegate, MAI, DELEGATE_PASSCODE).await?;
    delegate.click("nav-inbox").await?;
    delegate.click("delegation-accept").await?;
    delegate.wait_for("screen-passcode-confirm").await?;
    delegate.keypad(DELEGATE_PASSCODE).await?;
    delegate.wait_for("screen-inbox").await?;
    env.screenshot(&delegate, "delegation-accepted").await?;
    open_switcher(&delegate).await?;
    delegate
        .click(&format!("account-org-{enterprise_eid}"))
        .await?;
    delegate.wait_for("screen-passcode-confirm").await?;
    delegate.keypad(DELEGATE_PASSCODE).await?;
    delegate.wait_for_text("active-account", "An Phát").await?;
    env.screenshot(&delegate, "acting-for-enterprise").await?;
    // The delegate reads which services their authorisation allows: acting for the
    // enterprise, the app already shows its page.
    delegate.wait_for("screen-organisation").await?;
    delegate
        .wait_for_css(
            &format!("#my-delegation .delegated-service[data-client=\"{service}\"]"),
            Duration::from_secs(60),
        )
        .await?;
    delegate.wait_for_text("my-delegation", SERVICE_VI).await?;
    env.screenshots_at_widths(&delegate, "my-delegation-services")
        .await?;
    open_switcher(&delegate).await?;
    let active = delegate
        .wait_for_css(
            &format!("[id=\"account-org-{enterprise_eid}\"].active"),
            Duration::from_secs(10),
        )
        .await;
    assert!(active.is_ok(), "the active account is marked");
    delegate.click("account-personal").await?;
    delegate.wait_for("screen-passcode-confirm").await?;
    delegate.keypad(DELEGATE_PASSCODE).await?;
    delegate.wait_for_text("active-account", MAI.2).await?;
    delegate.click("nav-inbox").await?;
    delegate.wait_for("screen-inbox").await?;
    // The list loads after the screen appears.
    let item = delegate
        .wait_for_css(".notification.delegation_changed", Duration::from_secs(30))
        .await;
    assert!(item.is_ok(), "the delegate's inbox shows the authorisation");
    env.screenshot(&delegate, "delegate-inbox").await?;
    delegate.quit().await?;

    // The owner reads who acted for the enterprise: Mai, from her phone, and when.
    let owner = reopen(env, "owner", AN).await?;
    open_switcher(&owner).await?;
    owner.click(&format!("org-open-{enterprise_eid}")).await?;
    owner.wait_for("screen-organisation").await?;
    owner.click("open-organisation-activity").await?;
    owner.wait_for("screen-organisation-activity").await?;
    let switched = owner
        .wait_for_css(
            ".activity-entry[data-action=\"session.switch\"]",
            Duration::from_secs(30),
        )
        .await?;
    let said = owner.element_text(&switched).await?;
    assert!(said.contains(MAI.2), "{said}");
    assert!(said.contains("Thiết bị"), "{said}");
    let all = owner.text("activity-list").await?;
    assert!(
        !all.contains(MAI.0),
        "a full identification number is shown"
    );
    env.screenshots_at_widths(&owner, "organisation-activity")
        .await?;
    owner.quit().await?;
    env.print_time(started);
    Ok(())
}

/// A cold start shows its entry screen from the template in index.html as soon as the shell
/// says where the device stands, before the WebAssembly starts (held back 8 s here, a debug
/// build's test hook): what is typed there and the buttons tapped reach the live screen, which
/// then takes its place.
#[tokio::test(flavor = "multi_thread")]
async fn what_is_typed_and_tapped_on_the_entry_screen_before_the_app_is_live_is_kept() -> Result<()>
{
    let env =
        E2e::start_with_app_env("entry_screen", &[("DINHDANH_TEST_HOLD_UI_MS", "8000")]).await?;
    let started = std::time::Instant::now();
    let app = env.open_app("early").await?;
    app.wait_for("screen-first-run").await?;
    let live = "document.querySelector('#main [id^=\"screen-\"]:not(#screen-loading)') !== null";
    let state = format!(
        "return [document.getElementById('entry') !== null, {live}, \
         document.getElementById('server-input').value]"
    );
    // The template, with this device's server, and no live screen yet.
    let before = app.execute(&state, serde_json::json!([])).await?;
    assert_eq!(before, serde_json::json!([true, false, env.server_url]));
    env.screenshot(&app, "first-run-entry").await?;
    // The same server by another name, so that the saved address shows it was this one.
    let typed = env.server_url.replace("127.0.0.1", "localhost");
    app.type_into("server-input", &typed).await?;
    app.click("server-save").await?;
    app.click("lang-toggle").await?;
    let meanwhile = app.execute(&state, serde_json::json!([])).await?;
    assert_eq!(
        meanwhile,
        serde_json::json!([true, false, typed]),
        "the live screen came before the test had typed and tapped: hold the WebAssembly longer"
    );
    // The live screen: the address typed, saved by the tap, and the language switched by the
    // next one, in that order.
    app.wait_for_text("notice", "The server address is saved.")
        .await?;
    let after = app.execute(&state, serde_json::json!([])).await?;
    assert_eq!(after, serde_json::json!([false, true, typed]));
    assert_eq!(
        app.execute(
            "return document.documentElement.lang",
            serde_json::json!([])
        )
        .await?,
        "en"
    );
    env.screenshot(&app, "first-run-live").await?;
    app.quit().await?;
    env.print_time(started);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_an_invalid_tax_code_and_a_wrong_passcode_each_say_so() -> Result<()>
{
    let mut env = E2e::start("error_messages").await?;
    env.check_screens()?;
    let started = std::time::Instant::now();
    let app = env.open_app("errors").await?;
    app.wait_for("screen-first-run").await?;
    // The shell injects only its IPC entry, which the bridge uses, not Tauri's global API
    // bundle (`withGlobalTauri` is off); every step below goes through that entry.
    let globals = app
        .execute(
            "return [typeof window.__TAURI__, typeof window.__TAURI_INTERNALS__.invoke]",
            serde_json::json!([]),
        )
        .await?;
    assert_eq!(globals, serde_json::json!(["undefined", "function"]));

    // Unreachable server: nothing listens on this port.
    let closed = free_port()?;
    app.type_into("server-input", &format!("http://127.0.0.1:{closed}"))
        .await?;
    app.click("server-save").await?;
    app.click("start-bind").await?;
    app.type_into("citizen-id-input", AN.0).await?;
    app.type_into("password-input", AN.1).await?;
    app.click("bind-submit").await?;
    let banner = app.wait_for("error-banner").await?;
    assert_eq!(
        app.attribute(&banner, "data-code").await?.as_deref(),
        Some("network_unavailable")
    );
    assert!(app.text("error-banner").await?.contains("máy chủ"));
    // Nothing typed is lost.
    let typed = app
        .execute(
            "return document.getElementById('citizen-id-input').value",
            serde_json::json!([]),
        )
        .await?;
    assert_eq!(typed.as_str(), Some(AN.0));
    env.screenshot(&app, "unreachable-server").await?;
    app.quit().await?;

    // Back on the real server (a new window, the same profile keeps the address it was given:
    // set it again).
    let app = env.open_app("errors").await?;
    app.wait_for("screen-first-run").await?;
    app.type_into("server-input", &env.server_url).await?;
    app.click("server-save").await?;
    bind_and_set_passcode(&env, &app, AN, PASSCODE).await?;

    // A wrong passcode is refused by the server and said so.
    open_switcher(&app).await?;
    app.click("register-org").await?;
    app.wait_for("screen-passcode-confirm").await?;
    app.keypad("111111").await?;
    let banner = app.wait_for("error-banner").await?;
    assert_eq!(
        app.attribute(&banner, "data-code").await?.as_deref(),
        Some("wrong_confirmation")
    );
    // How many tries are left before the lock, said by the server.
    let said = app.element_text(&banner).await?;
    assert!(said.contains("Còn 4 lần thử"), "{said}");
    env.screenshot(&app, "wrong-passcode").await?;
    app.keypad(PASSCODE).await?;
    app.wait_for("screen-wizard-type").await?;

    // An invalid tax code is caught in the form, under its field.
    choose_type(&app, "organisation_with_tax_code").await?;
    app.type_into("field-tax_code", "0108680048").await?;
    app.type_into("field-name_vi", "Hội Tin học thành phố Hà Nội")
        .await?;
    let error = app.wait_for("error-tax_code").await?;
    assert!(!app.element_text(&error).await?.is_empty());
    env.screenshot(&app, "invalid-tax-code").await?;

    self_service(&env, &app).await?;
    app.quit().await?;
    lock_from_another_phone(&env).await?;
    env.print_time(started);
    Ok(())
}

/// An's own data and activity, then a new passcode (password, code, new passcode twice):
/// the old passcode is refused and the new one confirms. The app is signed in on its home.
async fn self_service(env: &E2e, app: &App) -> Result<()> {
    app.click("nav-home").await?;
    app.click("open-security").await?;
    app.wait_for("screen-security").await?;
    env.screenshot(app, "security").await?;
    app.click("open-my-data").await?;
    app.wait_for_text("my-data-citizen-id", AN.0).await?;
    app.wait_for_text("my-data-name", AN.2).await?;
    env.screenshot(app, "my-data").await?;
    app.click("my-data-activity").await?;
    app.wait_for("screen-my-activity").await?;
    // Reading the data is the newest entry; the refused passcode is there too.
    let newest = app
        .wait_for_css(".activity-entry", Duration::from_secs(30))
        .await?;
    assert_eq!(
        app.attribute(&newest, "data-action").await?.as_deref(),
        Some("personal_data.viewed")
    );
    assert!(
        app.find_css(".activity-entry[data-outcome=\"denied\"]")
            .await?
            .is_some(),
        "the wrong passcode is in the activity"
    );
    let shown = app.text("activity-list").await?;
    for secret in [AN.0, AN.1, PASSCODE] {
        assert!(!shown.contains(secret), "the activity shows {secret}");
    }
    env.screenshot(app, "my-activity").await?;

    // Forgot the passcode: a wrong password is said under its field and kept as typed.
    app.click("nav-home").await?;
    app.click("open-security").await?;
    app.click("open-passcode-reset").await?;
    app.wait_for("screen-passcode-reset").await?;
    app.type_into("reset-password", "Sai#Matkhau1").await?;
    app.click("reset-send").await?;
    app.wait_for("reset-password-error").await?;
    let typed = app
        .execute(
            "return document.getElementById('reset-password').value",
            serde_json::json!([]),
        )
        .await?;
    assert_eq!(typed.as_str(), Some("Sai#Matkhau1"));
    env.screenshot(app, "reset-wrong-password").await?;
    app.type_into("reset-password", AN.1).await?;
    app.click("reset-send").await?;
    app.wait_for("reset-code").await?;
    app.type_into("reset-code", &env.last_code()?).await?;
    env.screenshot(app, "reset-code").await?;
    app.click("reset-code-submit").await?;
    app.wait_for("keypad").await?;
    env.screenshot(app, "reset-new-passcode").await?;
    app.keypad(NEW_PASSCODE).await?;
    app.wait_for_text("passcode-title", "lại").await?;
    app.keypad(NEW_PASSCODE).await?;
    app.wait_for("screen-security").await?;
    app.wait_for("notice").await?;
    env.screenshot(app, "reset-done").await?;

    // The old passcode is refused; the new one confirms.
    open_switcher(app).await?;
    app.click("register-org").await?;
    app.wait_for("screen-passcode-confirm").await?;
    app.keypad(PASSCODE).await?;
    let banner = app.wait_for("error-banner").await?;
    assert_eq!(
        app.attribute(&banner, "data-code").await?.as_deref(),
        Some("wrong_confirmation")
    );
    app.keypad(NEW_PASSCODE).await?;
    app.wait_for("screen-wizard-type").await?;
    Ok(())
}

/// *Khóa tài khoản* from a phone that is not the bound one (An's phone is lost): then the
/// bound profile's session is over, and signing in there says the device was unbound and
/// takes it to the binding.
async fn lock_from_another_phone(env: &E2e) -> Result<()> {
    let other = env.open_app("borrowed-phone").await?;
    other.wait_for("screen-first-run").await?;
    scroll_to(&other, "lost-phone").await?;
    env.screenshot(&other, "lost-phone").await?;
    other.click("start-lock").await?;
    other.wait_for("screen-lock-account").await?;
    other.wait_for("lock-warning").await?;
    other.type_into("lock-citizen-id", AN.0).await?;
    other.type_into("lock-password", AN.1).await?;
    env.screenshot(&other, "lock").await?;
    other.click("lock-send").await?;
    other.wait_for("lock-code").await?;
    other.type_into("lock-code", &env.last_code()?).await?;
    env.screenshot(&other, "lock-code").await?;
    other.click("lock-confirm").await?;
    other.wait_for("lock-done").await?;
    env.screenshot(&other, "lock-done").await?;
    other.quit().await?;

    // The bound phone, with the password: the lock unbound it, which it is told (since when,
    // without a word of another device), and it forgets its binding.
    let app = env.open_app("errors").await?;
    app.wait_for("screen-sign-in").await?;
    app.type_into("password-input", AN.1).await?;
    app.click("signin-submit").await?;
    app.wait_for("screen-bind").await?;
    let banner = app.wait_for("error-banner").await?;
    assert_eq!(
        app.attribute(&banner, "data-code").await?.as_deref(),
        Some("device_unbound")
    );
    let said = app.element_text(&banner).await?;
    assert!(said.contains("liên kết đã bị hủy lúc"), "{said}");
    assert!(!said.contains("thiết bị khác"), "{said}");
    env.screenshot(&app, "sign-in-refused-after-lock").await?;
    app.quit().await?;
    Ok(())
}

/// Scrolls `id` into the middle of the window, so a screenshot shows it (the request page is
/// longer than a phone's screen).
async fn scroll_to(app: &App, id: &str) -> Result<()> {
    app.wait_for(id).await?;
    app.execute(
        "document.getElementById(arguments[0]).scrollIntoView({block: 'center'}); return true",
        serde_json::json!([id]),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// Opens a profile bound earlier: home when its session lives on, otherwise the password.
async fn reopen(env: &E2e, profile: &str, person: (&str, &str, &str)) -> Result<App> {
    let app = env.open_app(profile).await?;
    if app.wait_for_any(&["screen-home", "screen-sign-in"]).await? == "screen-sign-in" {
        app.type_into("password-input", person.1).await?;
        app.click("signin-submit").await?;
        app.wait_for("screen-home").await?;
    }
    app.wait_for_text("active-account", person.2).await?;
    Ok(app)
}

/// The enterprise of the demo registry with two legal representatives, An and Mai, filed by
/// An naming both; ends on the new request's page and returns its id.
async fn file_song_hong(env: &E2e, app: &App, label: &str) -> Result<String> {
    start_wizard(env, app, PASSCODE).await?;
    choose_type(app, "enterprise").await?;
    app.type_into("field-name_vi", "Công ty Cổ phần Thương mại Sông Hồng")
        .await?;
    set_field(app, "field-established_on", "2012-09-01").await?;
    app.type_into(
        "field-head_office_address",
        "Số 5 đường Nguyễn Huệ, phường Sài Gòn",
    )
    .await?;
    set_field(app, "field-head_office_province", "ho_chi_minh").await?;
    app.type_into("field-enterprise_code", "0308680125").await?;
    app.type_into("field-representative_name-0", AN.2).await?;
    app.type_into("field-representative_citizen_id-0", AN.0)
        .await?;
    app.click("add-representative").await?;
    app.type_into("field-representative_name-1", MAI.2).await?;
    app.type_into("field-representative_citizen_id-1", MAI.0)
        .await?;
    app.type_into("field-contact_phone", "0912345678").await?;
    let id = submit_from_form(env, app, PASSCODE, label).await?;
    wait_status(app, "awaiting_consent").await?;
    Ok(id)
}

/// Opens the newest *your consent is asked* item of the inbox; returns the request id shown.
async fn open_newest_consent_request(app: &App) -> Result<String> {
    app.click("nav-inbox").await?;
    app.wait_for("screen-inbox").await?;
    let open = app
        .wait_for_css(
            ".notification.consent_requested .notification-open",
            Duration::from_secs(30),
        )
        .await?;
    app.click_element(&open).await?;
    app.wait_for("screen-request").await?;
    let shown = app.wait_for("request-id").await?;
    Ok(app.element_text(&shown).await?.trim().to_owned())
}

/// The representative line of `name` on the request page: its `data-consent`.
async fn consent_of(app: &App, name: &str) -> Result<String> {
    for row in app.find_all_css(".representative-row").await? {
        if app.element_text(&row).await?.contains(name) {
            return Ok(app
                .attribute(&row, "data-consent")
                .await?
                .unwrap_or_default());
        }
    }
    bail!("{name} is not listed among the representatives")
}

/// Opens the requester's own request `id` from *Yêu cầu đã gửi*.
async fn open_own_request(app: &App, id: &str) -> Result<()> {
    app.click("nav-requests").await?;
    app.wait_for("screen-requests").await?;
    let row = app
        .wait_for_css(
            &format!(".request-row[data-id=\"{id}\"]"),
            Duration::from_secs(30),
        )
        .await?;
    app.click_element(&row).await?;
    app.wait_for_text("request-id", id).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_co_representative_refuses_then_consents_and_the_requester_withdraws() -> Result<()> {
    let mut env = E2e::start("co_representatives").await?;
    env.check_screens()?;
    let started = std::time::Instant::now();

    // An files for Sông Hồng naming Mai, and withdraws that first request himself.
    let an = env.open_app("an").await?;
    bind_and_set_passcode(&env, &an, AN, PASSCODE).await?;
    let first = file_song_hong(&env, &an, "first").await?;
    assert_eq!(consent_of(&an, MAI.2).await?, "waiting");
    assert_eq!(consent_of(&an, AN.2).await?, "requester");
    scroll_to(&an, "request-representatives").await?;
    env.screenshots_at_widths(&an, "requester-waits-for-consent")
        .await?;
    an.click("request-withdraw").await?;
    scroll_to(&an, "withdraw-question").await?;
    env.screenshot(&an, "withdraw-question").await?;
    // Keeping it changes nothing; then withdrawn, confirmed with the passcode.
    an.click("withdraw-keep").await?;
    an.click("request-withdraw").await?;
    an.click("withdraw-confirm").await?;
    an.wait_for("screen-passcode-confirm").await?;
    env.screenshot(&an, "withdraw-passcode").await?;
    an.keypad(PASSCODE).await?;
    wait_status(&an, "withdrawn").await?;
    an.wait_for("request-withdrawn").await?;
    assert!(an.find_css("#request-withdraw").await?.is_none());
    scroll_to(&an, "request-withdrawn").await?;
    env.screenshot(&an, "withdrawn").await?;

    // Filed again: Mai will refuse this one.
    let second = file_song_hong(&env, &an, "second").await?;
    an.quit().await?;

    let mai = env.open_app("mai").await?;
    bind_and_set_passcode(&env, &mai, MAI, DELEGATE_PASSCODE).await?;
    let opened = open_newest_consent_request(&mai).await?;
    assert_eq!(
        opened, second,
        "the newest item asks about the second request"
    );
    mai.wait_for("consent-panel").await?;
    mai.wait_for_text("request-requester", AN.2).await?;
    let details = mai.text("request-details").await?;
    assert!(details.contains("0308680125"), "{details}");
    assert!(
        !details.contains(AN.0),
        "a full identification number is shown"
    );
    assert!(
        mai.find_css(".representative-row.you[data-consent=\"waiting\"]")
            .await?
            .is_some()
    );
    assert!(mai.find_css("#request-withdraw").await?.is_none());
    env.screenshot(&mai, "consent-asked-top").await?;
    scroll_to(&mai, "consent-panel").await?;
    env.screenshots_at_widths(&mai, "consent-asked").await?;
    mai.click("consent-refuse").await?;
    mai.wait_for("screen-passcode-confirm").await?;
    env.screenshot(&mai, "refuse-passcode").await?;
    mai.keypad(DELEGATE_PASSCODE).await?;
    wait_status(&mai, "withdrawn").await?;
    assert_eq!(consent_of(&mai, MAI.2).await?, "refused");
    assert!(mai.find_css("#consent-panel").await?.is_none());
    mai.wait_for("notice").await?;
    env.screenshot(&mai, "refused").await?;
    scroll_to(&mai, "request-representatives").await?;
    env.screenshot(&mai, "refused-representatives").await?;
    // The first request, withdrawn by An, asks nothing of her any more.
    mai.click("nav-inbox").await?;
    mai.wait_for("screen-inbox").await?;
    // The list loads after the screen appears (it comes in one piece).
    mai.wait_for_css(
        ".notification.consent_requested .notification-open",
        Duration::from_secs(30),
    )
    .await?;
    let items = mai
        .find_all_css(".notification.consent_requested .notification-open")
        .await?;
    assert_eq!(items.len(), 2, "one item per request");
    mai.click_element(&items[1]).await?;
    mai.wait_for_text("request-id", &first).await?;
    wait_status(&mai, "withdrawn").await?;
    assert!(mai.find_css("#consent-panel").await?.is_none());
    env.screenshot(&mai, "withdrawn-by-requester").await?;
    mai.quit().await?;

    // An sees her refusal when he opens the request, and files a third time.
    let an = reopen(&env, "an", AN).await?;
    open_own_request(&an, &second).await?;
    wait_status(&an, "withdrawn").await?;
    assert_eq!(consent_of(&an, MAI.2).await?, "refused");
    an.wait_for("request-withdrawn").await?;
    env.screenshot(&an, "requester-sees-refusal").await?;
    scroll_to(&an, "request-representatives").await?;
    env.screenshot(&an, "requester-sees-refusal-representatives")
        .await?;
    let third = file_song_hong(&env, &an, "third").await?;
    an.quit().await?;

    // Mai consents: the last consent sends it to the registry, which settles it.
    let mai = reopen(&env, "mai", MAI).await?;
    let opened = open_newest_consent_request(&mai).await?;
    assert_eq!(opened, third);
    mai.click("consent-give").await?;
    mai.wait_for("screen-passcode-confirm").await?;
    mai.keypad(DELEGATE_PASSCODE).await?;
    wait_status(&mai, "approved").await?;
    assert_eq!(consent_of(&mai, MAI.2).await?, "consented");
    env.screenshot(&mai, "consented").await?;
    scroll_to(&mai, "request-representatives").await?;
    env.screenshot(&mai, "consented-representatives").await?;
    mai.quit().await?;

    let an = reopen(&env, "an", AN).await?;
    open_own_request(&an, &third).await?;
    wait_status(&an, "approved").await?;
    assert_eq!(consent_of(&an, MAI.2).await?, "consented");
    let eid = an.text("request-eid").await?;
    assert!(eid.trim().starts_with("TC"), "{eid}");
    env.screenshot(&an, "requester-sees-consent").await?;
    scroll_to(&an, "request-representatives").await?;
    env.screenshot(&an, "requester-sees-consent-representatives")
        .await?;
    an.quit().await?;
    env.print_time(started);
    Ok(())
}

/// The passcode An sets on his new phone.
const NEW_PHONE_PASSCODE: &str = "395172";

/// Moving to a new phone after losing the old one: An binds a second phone with his password
/// and the one-time code, after the warning; the old phone's session is refused (opened again,
/// it shows the sign-in), and with the right password there it is told that another device was
/// bound and when, forgets its binding and shows the binding screen; An is told by text message
/// and in the new phone's inbox, which name the device as the app does on this computer.
#[tokio::test(flavor = "multi_thread")]
async fn rebinding_on_a_new_phone_signs_out_the_old_one_and_tells_the_person() -> Result<()> {
    let mut env = E2e::start("rebinding").await?;
    env.check_screens()?;
    let started = std::time::Instant::now();

    let old = env.open_app("old-phone").await?;
    bind_and_set_passcode(&env, &old, AN, PASSCODE).await?;
    let texts = device_changed_texts(&env, 1).await?;
    assert_eq!(texts.len(), 1);
    // The device is named after this computer, as the phone would name itself.
    let named = texts[0]["body"].as_str().unwrap_or_default();
    assert!(named.contains(&this_computer()), "{named}");
    assert!(!named.contains("Máy tính (linux)"), "{named}");
    // tauri-driver drives one window at a time: the old phone is closed while An binds the
    // new one, with its session kept in its profile.
    old.quit().await?;

    // The new phone: *Mất điện thoại cũ?* says what binding here does; then the binding.
    let new = env.open_app("new-phone").await?;
    new.wait_for("screen-first-run").await?;
    scroll_to(&new, "lost-phone").await?;
    env.screenshot(&new, "lost-phone").await?;
    bind_and_set_passcode(&env, &new, AN, NEW_PHONE_PASSCODE).await?;

    // The text message: one per binding, both to An's phone, the second saying the old device
    // was unbound.
    let texts = device_changed_texts(&env, 2).await?;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0]["to"], texts[1]["to"]);
    let said = texts[1]["body"].as_str().unwrap_or_default();
    assert!(said.contains("đã bị hủy liên kết"), "{said}");
    // The notice in the inbox, on the new phone.
    new.click("nav-inbox").await?;
    new.wait_for("screen-inbox").await?;
    new.wait_for_css(".notification.device_changed", Duration::from_secs(30))
        .await?;
    let notices = new.find_all_css(".notification.device_changed").await?;
    assert_eq!(notices.len(), 2, "one notice per binding");
    let shown = new.element_text(&notices[0]).await?;
    assert!(
        shown.contains("Tài khoản được liên kết với thiết bị mới"),
        "{shown}"
    );
    assert!(shown.contains(&this_computer()), "{shown}");
    env.screenshot(&new, "device-changed-notice").await?;

    // The old phone, opened again: its stored session is refused by the server, so it shows
    // the sign-in, not its home.
    new.quit().await?;
    let old = env.open_app("old-phone").await?;
    old.wait_for("screen-sign-in").await?;
    assert!(old.find_css("#screen-home").await?.is_none());
    // It says what the profile holds (the masked number), not what only the server knows.
    let lead = old.text("signin-lead").await?;
    assert!(lead.contains("001******345"), "{lead}");
    env.screenshot(&old, "signed-out").await?;
    // A wrong password there is only a wrong password.
    old.type_into("password-input", "Sai#Demo2025").await?;
    old.click("signin-submit").await?;
    let banner = old.wait_for("error-banner").await?;
    assert_eq!(
        old.attribute(&banner, "data-code").await?.as_deref(),
        Some("invalid_credentials")
    );
    // The right one: the device is unbound, and says since when and why; the app forgets the
    // binding and offers to bind again.
    old.type_into("password-input", AN.1).await?;
    old.click("signin-submit").await?;
    old.wait_for("screen-bind").await?;
    let banner = old.wait_for("error-banner").await?;
    assert_eq!(
        old.attribute(&banner, "data-code").await?.as_deref(),
        Some("device_unbound")
    );
    let said = old.element_text(&banner).await?;
    assert!(
        said.contains("không còn được liên kết với tài khoản của bạn vì một thiết bị khác đã được liên kết (lúc "),
        "{said}"
    );
    assert!(
        said.contains("Liên kết lại nếu bạn muốn dùng thiết bị này."),
        "{said}"
    );
    assert!(old.find_css("#screen-sign-in").await?.is_none());
    env.screenshot(&old, "unbound-bind-again").await?;
    old.quit().await?;
    // Opened again, it is a new profile: the first run, not the sign-in.
    let old = env.open_app("old-phone").await?;
    old.wait_for("screen-first-run").await?;
    old.quit().await?;

    // The new phone confirms with its own passcode.
    let new = reopen(&env, "new-phone", AN).await?;
    open_switcher(&new).await?;
    new.click("register-org").await?;
    new.wait_for("screen-passcode-confirm").await?;
    new.wait_for("keypad").await?;
    env.screenshot(&new, "confirm-passcode").await?;
    new.keypad(NEW_PHONE_PASSCODE).await?;
    new.wait_for("screen-wizard-type").await?;
    new.quit().await?;
    env.print_time(started);
    Ok(())
}

/// What the app calls this computer when it binds: "Máy tính <host name>" (followed by the
/// operating system when that fits the server's label limit; see `this_device_name` in the
/// shell).
fn this_computer() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    format!("\"Máy tính {host}").trim_end().to_owned()
}

/// The `alert.device_changed` text messages in the outbox, oldest first, once there are at
/// least `at_least` (messages are delivered after the action commits).
async fn device_changed_texts(env: &E2e, at_least: usize) -> Result<Vec<serde_json::Value>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let log = std::fs::read_to_string(env.server_dir.join("outbox.log")).unwrap_or_default();
        let texts: Vec<serde_json::Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["kind"] == "alert.device_changed" && m["channel"] == "sms")
            .collect();
        if texts.len() >= at_least || std::time::Instant::now() > deadline {
            return Ok(texts);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
