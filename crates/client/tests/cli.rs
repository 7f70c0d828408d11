//! The `dinhdanh` CLI as a script drives it: secrets on standard input, one per line, against
//! the real server in-process and the real Secret Service.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{PASSCODE, PASSWORD, TestServer};

fn cli(t: &TestServer, profile: &str, dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dinhdanh"));
    c.args(["--server", &t.server.base_url(), "--profile", profile])
        .arg("--data-dir")
        .arg(dir);
    c
}

fn run(mut c: Command, stdin: &str) -> (bool, String, String) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_binds_signs_in_lists_accounts_and_signs_out_with_the_cli() {
    let t = TestServer::start_on_system_clock().await;
    let p = t.person(true).await;
    let profile = format!("t{}-cli", common::random_hex(6));
    let dir = std::env::temp_dir().join(format!("dd-cli-{profile}"));
    let keystore = common::os_keystore(&profile);

    // Binding asks for the code after sending it: feed the password, wait for the outbox.
    let mut bind = cli(&t, &profile, &dir);
    bind.args(["bind", "--citizen-id", p.citizen_id.as_str()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = bind.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{PASSWORD}").unwrap();
    let code = {
        let mut waited = 0;
        loop {
            let text = std::fs::read_to_string(t.data_dir.join("outbox.log")).unwrap_or_default();
            if text.contains(&p.phone) {
                break t.last_code_to(&p.phone);
            }
            assert!(waited < 200, "no code was sent");
            waited += 1;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    writeln!(stdin, "{}\n{PASSCODE}\n{PASSCODE}", code.expose()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Đã liên kết thiết bị"));
    assert!(keystore.device_key().unwrap().is_some());

    let (ok, stdout, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.arg("login");
            c
        },
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Đã đăng nhập"), "{stdout}");

    let (ok, stdout, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.arg("accounts");
            c
        },
        "",
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Nguyễn Thị Lan"), "{stdout}");

    // An organisation this person may not act for: refused by the server, after the passcode.
    let (ok, _, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.args(["switch", "TC00000000013"]);
            c
        },
        &format!("{PASSCODE}\n"),
    );
    assert!(!ok);
    assert!(stderr.contains("forbidden"), "{stderr}");

    // Back to the personal account (where the session already is): confirmed and done.
    let (ok, stdout, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.arg("switch");
            c
        },
        &format!("{PASSCODE}\n"),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("tài khoản cá nhân"), "{stdout}");

    let (ok, _, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.arg("logout");
            c
        },
        "",
    );
    assert!(ok, "{stderr}");
    assert!(keystore.session_token().unwrap().is_none());
    let (ok, _, stderr) = run(
        {
            let mut c = cli(&t, &profile, &dir);
            c.arg("accounts");
            c
        },
        "",
    );
    assert!(!ok);
    assert!(stderr.contains("not_signed_in"), "{stderr}");

    keystore.clear().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
