//! QR login end to end: the desktop app runs under Xvfb and shows a QR code; the test takes a
//! screenshot of its window, decodes the code from that image with dinhdanh-client (as a phone
//! camera would), approves it as the phone with the passcode, and checks that the desktop shows
//! the signed-in account — once for the personal account and once for an organisation. Signed
//! in, the desktop switches account with the phone's confirmation, after a first request it
//! cancels (the phone can then no longer confirm it).
//!
//! The phone here is the device library itself (the same code the phone app runs), bound to
//! the account on its own profile and keystore entries.

use anyhow::{Context, Result, bail};
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{EnteredPasscode, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_core::api::{
    ErrorCode, OneTimeCode, PendingDesktopAction, RegistrationStatus, RegistrationSubmission,
    RegistrationView, SecretText, paths,
};
use dinhdanh_core::ids::CitizenId;
use dinhdanh_core::org_type::{OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use dinhdanh_tests::e2e::{App, E2e};

const AN: (&str, &str, &str) = ("001080012345", "An#Demo2025", "Nguyễn Văn An");
const PASSCODE: &str = "270419";

/// The phone: bound to An's account, signed in, with the enterprise An Phát registered.
async fn phone(env: &E2e) -> Result<Client> {
    let name = "phone";
    let profile = Profile::open(name, env.root.join("phone"))?;
    let keystore = Keystore::os(name).context("the Secret Service (run through cargo xtask)")?;
    keystore.clear()?;
    let client = Client::new(ClientConfig::new(&env.server_url), profile, keystore)?;
    let citizen = CitizenId::parse(AN.0)?;
    let started = client.bind_start(&citizen, SecretText::new(AN.1)).await?;
    let code = OneTimeCode::parse(&env.last_code()?)?;
    let dob = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).context("date")?;
    let passcode = new_passcode(PASSCODE, PASSCODE, Some(dob))?;
    client.bind_finish(started, code, &passcode, None).await?;
    client.sign_in(SecretText::new(AN.1)).await?;
    Ok(client)
}

/// Registers the demo enterprise from the phone (approved automatically by the registry).
async fn register_enterprise(client: &Client) -> Result<RegistrationView> {
    let form = OrganisationForm {
        name_vi: "Công ty TNHH Phần mềm An Phát".into(),
        established_on: "2015-04-20".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: "0108680015".into(),
        representatives: vec![RepresentativeForm {
            full_name: AN.2.into(),
            citizen_id: AN.0.into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    // Today in Vietnam (UTC+7), as the server counts it.
    let today = chrono::DateTime::from_timestamp(client.now() + 7 * 3600, 0)
        .context("clock")?
        .date_naive();
    let details = form
        .validate(OrgType::Enterprise, today)
        .map_err(|e| anyhow::anyhow!("form: {e:?}"))?;
    let body = RegistrationSubmission::new(OrgType::Enterprise, details, &CitizenId::parse(AN.0)?);
    let confirmer = client.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    let view: RegistrationView = client
        .confirmed(
            reqwest::Method::POST,
            paths::REGISTRATIONS,
            ActionKind::RegisterOrganisation,
            ActionTarget::new("registration", "new")?,
            body,
            &confirmer,
        )
        .await?;
    if view.status != RegistrationStatus::Approved {
        bail!(
            "the enterprise was not approved automatically: {:?}",
            view.status
        );
    }
    Ok(view)
}

/// Shows a fresh QR code on the desktop, reads it from a screenshot of the window as a camera
/// would, checks the check code both screens show, and approves it from the phone.
async fn scan_and_approve(
    env: &E2e,
    desktop: &App,
    phone: &Client,
    account: Option<dinhdanh_core::ids::OrgEid>,
    label: &str,
) -> Result<()> {
    let payload = scan(env, desktop, phone, label).await?;
    let confirmer = phone.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    phone
        .approve_qr_login(&payload, account, &confirmer)
        .await?;
    Ok(())
}

/// Reads the desktop's QR code from a screenshot of the window as a camera would, and checks
/// the check code both screens show.
async fn scan(
    env: &E2e,
    desktop: &App,
    phone: &Client,
    label: &str,
) -> Result<dinhdanh_core::qr_login::QrLoginPayload> {
    desktop.wait_for("qr-code").await?;
    let shown_check = desktop.text("qr-check-code").await?;
    let shot = env.screenshot(desktop, &format!("qr-{label}")).await?;
    let mut read = dinhdanh_client::qr::decode_image_file(&shot, phone.now(), phone.origin());
    // A camera reads the next frame when one shows no code. Seen once on a machine loaded by
    // a parallel build: the screenshot taken just after the code was in the DOM still showed
    // the screen's "creating a code" placeholder, and the one after it the code. Up to 5 s of
    // further shots, each said in the log, then the last error.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while let Err(e) = &read {
        if std::time::Instant::now() > deadline {
            break;
        }
        println!(
            "qr-{label}: {} — taking another screenshot (#qr-code in the page: {})",
            e.message_en(),
            desktop.find_css("#qr-code").await?.is_some()
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let again = env
            .screenshot(desktop, &format!("qr-{label}-again"))
            .await?;
        read = dinhdanh_client::qr::decode_image_file(&again, phone.now(), phone.origin());
    }
    let payload =
        read.map_err(|e| anyhow::anyhow!("the QR code in the screenshot: {}", e.message_en()))?;
    let check = payload.check_code();
    assert!(
        shown_check.contains(&check),
        "the desktop shows {shown_check:?}, the code says {check:?}"
    );
    Ok(payload)
}

/// On the signed-in desktop: *Đổi tài khoản*, the enterprise; the desktop then waits for the
/// phone.
async fn ask_switch_on_desktop(desktop: &App, eid: &dinhdanh_core::ids::OrgEid) -> Result<()> {
    desktop.click("nav-home").await?;
    desktop.click("open-org-identity").await?;
    desktop.wait_for("screen-account-switcher").await?;
    desktop.click(&format!("account-org-{eid}")).await?;
    desktop.wait_for("confirm-on-phone").await?;
    Ok(())
}

/// The one desktop action waiting on the phone, once the desktop has asked.
async fn pending_on_phone(phone: &Client) -> Result<PendingDesktopAction> {
    for _ in 0..100 {
        let mut listed = phone.pending_desktop_actions().await?;
        if let Some(action) = listed.pop() {
            if !listed.is_empty() {
                bail!("more than one action waits: {listed:?}");
            }
            return Ok(action);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    bail!("the desktop's request never reached the phone")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desktop_signs_in_by_qr_code_to_the_personal_and_to_an_organisation_account() -> Result<()>
{
    let mut env = E2e::start("qr_login").await?;
    env.check_screens()?;
    desktop_flows(&env).await
}

/// The same in a laptop's window (1280×800), where the screens use the width.
#[tokio::test(flavor = "multi_thread")]
async fn in_a_laptop_window_a_desktop_signs_in_by_qr_code_and_switches_with_the_phone() -> Result<()>
{
    let mut env = E2e::start("qr_login_1280").await?;
    env.in_window(1280, 800);
    env.check_screens()?;
    desktop_flows(&env).await
}

/// Signing in by QR code (declined once, then the personal account), a switch cancelled on
/// the desktop and one confirmed on the phone, then signing in for the organisation.
async fn desktop_flows(env: &E2e) -> Result<()> {
    let started = std::time::Instant::now();
    let phone = phone(env).await?;
    let enterprise = register_enterprise(&phone).await?;
    let eid = enterprise
        .org_eid
        .context("approved without an e-ID number")?;

    let desktop = env.open_app("desktop").await?;
    desktop.wait_for("screen-first-run").await?;
    env.screenshot(&desktop, "first-run").await?;
    // The keyboard goes through the screen as it is shown (on a laptop: the server on the
    // left, then the ways in and the lost phone on the right).
    desktop
        .execute(
            "document.activeElement.blur(); return true",
            serde_json::json!([]),
        )
        .await?;
    let mut focused = Vec::new();
    for _ in 0..7 {
        desktop.press_tab().await?;
        let id = desktop
            .execute("return document.activeElement.id", serde_json::json!([]))
            .await?;
        focused.push(id.as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        focused,
        [
            "lang-toggle",
            "server-input",
            "server-save",
            "start-bind",
            "start-register",
            "start-qr-login",
            "start-lock"
        ]
    );
    desktop.click("start-qr-login").await?;
    desktop.wait_for("screen-qr-desktop").await?;
    // Declined on the phone (one tap, no passcode): the desktop says so and shows a new code.
    let declined = scan(env, &desktop, &phone, "declined").await?;
    let declined_check = desktop.text("qr-check-code").await?;
    phone.decline_qr_login(&declined).await?;
    desktop
        .wait_for_text("screen-qr-desktop", "đã bị từ chối trên điện thoại")
        .await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while desktop.text("qr-check-code").await? == declined_check {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no new code after the decline"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    env.screenshot(&desktop, "declined-on-phone").await?;
    scan_and_approve(env, &desktop, &phone, None, "personal").await?;
    desktop.wait_for("screen-home").await?;
    desktop.wait_for_text("active-account", AN.2).await?;
    env.screenshot(&desktop, "signed-in-personal").await?;

    // A switch started on the desktop waits for the phone. Cancelled on the desktop, it is
    // withdrawn: the phone no longer lists it and cannot confirm it.
    let confirmer = phone.passcode_confirmer(&EnteredPasscode::parse(PASSCODE)?)?;
    ask_switch_on_desktop(&desktop, &eid).await?;
    let withdrawn = pending_on_phone(&phone).await?;
    env.screenshot(&desktop, "waiting-for-phone").await?;
    desktop.click("confirm-cancel").await?;
    desktop.wait_for("screen-account-switcher").await?;
    desktop
        .wait_for_text("notice", "không có gì được thực hiện")
        .await?;
    env.screenshot(&desktop, "cancelled-on-desktop").await?;
    assert!(phone.pending_desktop_actions().await?.is_empty());
    let refused = phone.confirm_desktop_action(&withdrawn, &confirmer).await;
    assert!(
        matches!(&refused, Err(e) if e.is(ErrorCode::DesktopActionCancelled)),
        "{refused:?}"
    );
    desktop.wait_for_text("active-account", AN.2).await?;

    // Asked again and confirmed on the phone: the desktop acts for the enterprise.
    ask_switch_on_desktop(&desktop, &eid).await?;
    let action = pending_on_phone(&phone).await?;
    phone.confirm_desktop_action(&action, &confirmer).await?;
    desktop.wait_for_text("active-account", "An Phát").await?;
    env.screenshot(&desktop, "switched-on-phone").await?;

    // The phone's inbox tells of the desktop sign-in; the person signs the desktop out.
    desktop.click("sign-out").await?;
    desktop.wait_for("screen-first-run").await?;

    desktop.click("start-qr-login").await?;
    scan_and_approve(env, &desktop, &phone, Some(eid.clone()), "organisation").await?;
    desktop.wait_for("screen-home").await?;
    desktop.wait_for_text("active-account", "An Phát").await?;
    let header = desktop.text("active-account").await?;
    assert!(header.contains(eid.as_str()), "{header}");
    env.screenshot(&desktop, "signed-in-organisation").await?;
    desktop.quit().await?;
    env.print_time(started);
    Ok(())
}
