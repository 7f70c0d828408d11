//! `dinhdanh`: the device side from a terminal, for power users and scripted tests. A thin
//! layer over `dinhdanh-client`: every rule lives in the library.
//!
//! Secrets (password, one-time code, passcode) are read from standard input, one per line,
//! after a prompt on standard error, so scripts can pipe them in. They are never taken as
//! arguments (which other users see in the process list) and never printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use dinhdanh_client::api::{Client, ClientConfig};
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{EnteredPasscode, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_client::{ClientError, qr};
use dinhdanh_core::api::{OneTimeCode, SecretText, SelfRegistrationFinish, SelfRegistrationStart};
use dinhdanh_core::ids::{CitizenId, Email, OrgEid, Password, PhoneNumber, SessionId};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "dinhdanh",
    version,
    about = "Định Danh on this device, from a terminal"
)]
struct Cli {
    /// The server's base URL.
    #[arg(long, env = "DINHDANH_SERVER", default_value = "http://127.0.0.1:8640")]
    server: String,
    /// The app profile: its own keystore namespace and data directory.
    #[arg(long, env = "DINHDANH_PROFILE", default_value = "default")]
    profile: String,
    /// The profile's data directory (default: $XDG_DATA_HOME/dinhdanh/<profile>).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a level-1 account (checked against the citizen registry); asks for the code
    /// sent by SMS and a new password, twice.
    Register {
        #[arg(long)]
        citizen_id: String,
        #[arg(long)]
        full_name: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        date_of_birth: chrono::NaiveDate,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Bind this device (profile) to an account: asks for the password, the code sent by
    /// SMS and a new passcode, twice. Unbinds any other device of the account.
    Bind {
        #[arg(long)]
        citizen_id: String,
        /// Lets the passcode policy refuse the date of birth (YYYY-MM-DD).
        #[arg(long)]
        date_of_birth: Option<chrono::NaiveDate>,
        /// The name shown in the device list.
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Sign in on this bound device: asks for the password.
    Login,
    /// Set a new passcode, or change it.
    Passcode {
        #[command(subcommand)]
        action: PasscodeAction,
    },
    /// The accounts this person may act as.
    Accounts,
    /// Switch to an organisation account, or back to the personal one (asks for the passcode).
    Switch {
        /// The organisation's e-ID number; none for the personal account.
        eid: Option<String>,
    },
    /// This account's sessions.
    Sessions,
    /// End another session of the account (a desktop): asks for the passcode.
    EndSession { id: String },
    /// QR login of a desktop.
    Qr {
        #[command(subcommand)]
        action: QrAction,
    },
    /// Sign out: the session ends and its token leaves the keystore.
    Logout,
}

#[derive(Subcommand)]
enum PasscodeAction {
    /// Set a new passcode (also when forgotten): password, code by SMS, new passcode twice.
    Set,
    /// Change the passcode: the same steps. The server has no route yet that accepts the old
    /// passcode instead of the password and the code.
    Change,
}

#[derive(Subcommand)]
enum QrAction {
    /// Approve the login shown in a picture of the desktop's QR code: asks for the passcode.
    Approve {
        #[arg(long)]
        image: PathBuf,
        /// Sign the desktop in to this organisation instead of the personal account.
        #[arg(long)]
        org: Option<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => {}
        Err(e) => {
            match e.downcast_ref::<ClientError>() {
                Some(c) => eprintln!(
                    "error [{}]: {}\n  {}\n  ({c})",
                    c.code(),
                    c.message_vi(),
                    c.message_en()
                ),
                None => eprintln!("error: {e:#}"),
            }
            std::process::exit(1);
        }
    }
}

/// Reads secrets and answers from standard input, one per line.
struct Input {
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Input {
    fn new() -> Self {
        Input {
            lines: std::io::stdin().lock().lines(),
        }
    }

    fn ask(&mut self, prompt: &str) -> Result<Zeroizing<String>> {
        if std::io::stdin().is_terminal() {
            // Typed by a person: every answer here is a secret or a one-time code, so nothing
            // is echoed (rpassword reads the terminal with echo off).
            let typed = Zeroizing::new(rpassword::prompt_password(format!("{prompt}: "))?);
            return Ok(Zeroizing::new(typed.trim().to_owned()));
        }
        eprint!("{prompt}: ");
        std::io::stderr().flush()?;
        match self.lines.next() {
            Some(line) => Ok(Zeroizing::new(line?.trim().to_owned())),
            None => anyhow::bail!("standard input ended before: {prompt}"),
        }
    }
}

fn open_client(cli: &Cli) -> Result<Client> {
    let mut config = ClientConfig::new(cli.server.clone());
    if let Command::Bind {
        device_name: Some(name),
        ..
    } = &cli.command
    {
        config.device_name = name.clone();
    }
    let dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => Profile::default_dir(&cli.profile)?,
    };
    let profile = Profile::open(&cli.profile, dir)?;
    let keystore = Keystore::os(&cli.profile)?;
    Ok(Client::new(config, profile, keystore)?)
}

async fn run(cli: Cli) -> Result<()> {
    let client = open_client(&cli)?;
    let mut input = Input::new();
    match cli.command {
        Command::Register {
            citizen_id,
            full_name,
            date_of_birth,
            phone,
            email,
        } => {
            let sent = client
                .register_start(&SelfRegistrationStart {
                    citizen_id: CitizenId::parse(&citizen_id)?,
                    full_name,
                    date_of_birth,
                    phone: PhoneNumber::parse(&phone)?,
                    email: email.as_deref().map(Email::parse).transpose()?,
                })
                .await?;
            println!("Đã gửi mã xác thực tới {} / code sent", sent.sent_to);
            let code = OneTimeCode::parse(&input.ask("Mã xác thực / code")?)?;
            let first = input.ask("Mật khẩu mới / new password")?;
            let second = input.ask("Nhập lại mật khẩu / again")?;
            if first != second {
                anyhow::bail!("Hai lần nhập mật khẩu không khớp / the passwords differ");
            }
            let account = client
                .register_finish(&SelfRegistrationFinish {
                    pending_id: sent.pending_id,
                    code,
                    password: Password::parse(&first)?,
                })
                .await?;
            println!(
                "Đã tạo tài khoản {} ({}) / account created",
                account.id, account.full_name
            );
        }
        Command::Bind {
            citizen_id,
            date_of_birth,
            device_name: _,
        } => {
            let citizen_id = CitizenId::parse(&citizen_id)?;
            let password = input.ask("Mật khẩu / password")?;
            let started = client
                .bind_start(&citizen_id, SecretText::new(password.as_str()))
                .await?;
            println!(
                "Đã gửi mã xác thực tới {} / code sent",
                started.sent.sent_to
            );
            let code = OneTimeCode::parse(&input.ask("Mã xác thực / code")?)?;
            let first = input.ask("Mã PIN mới (6 số) / new passcode")?;
            let second = input.ask("Nhập lại mã PIN / again")?;
            let passcode = new_passcode(&first, &second, date_of_birth)?;
            let view = client.bind_finish(started, code, &passcode, None).await?;
            if let Some(dob) = date_of_birth {
                client.set_date_of_birth(dob)?;
            }
            println!(
                "Đã liên kết thiết bị {} ({}) / device bound",
                view.id, view.name
            );
        }
        Command::Login => {
            let password = input.ask("Mật khẩu / password")?;
            let signed_in = client.sign_in(SecretText::new(password.as_str())).await?;
            println!(
                "Đã đăng nhập: {} ({}), phiên {} / signed in",
                signed_in.account.full_name, signed_in.account.id, signed_in.session.id
            );
        }
        Command::Passcode { action } => {
            if matches!(action, PasscodeAction::Change) {
                eprintln!(
                    "Đổi mã PIN cần mật khẩu và mã xác thực gửi qua SMS / changing the passcode \
                     needs the password and a code by SMS."
                );
            }
            let password = input.ask("Mật khẩu / password")?;
            let started = client
                .passcode_reset_start(SecretText::new(password.as_str()))
                .await?;
            println!(
                "Đã gửi mã xác thực tới {} / code sent",
                started.sent.sent_to
            );
            let code = OneTimeCode::parse(&input.ask("Mã xác thực / code")?)?;
            let first = input.ask("Mã PIN mới (6 số) / new passcode")?;
            let second = input.ask("Nhập lại mã PIN / again")?;
            let passcode = new_passcode(&first, &second, client.state().date_of_birth)?;
            client
                .passcode_reset_finish(started, code, &passcode)
                .await?;
            println!("Đã đặt mã PIN mới / new passcode set");
        }
        Command::Accounts => {
            let me = client.me().await?;
            println!(
                "* {}  {}  ({:?}, cá nhân / personal)",
                me.id, me.full_name, me.level
            );
            match client.account_choices().await {
                Ok(choices) => {
                    for org in choices.organisations {
                        println!("  {}  {}  ({:?})", org.eid, org.name, org.role);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Switch { eid } => {
            let to = eid.as_deref().map(OrgEid::parse).transpose()?;
            let pin = EnteredPasscode::parse(&input.ask("Mã PIN / passcode")?)?;
            let confirmer = client.passcode_confirmer(&pin)?;
            let choices = client.switch_account(to, &confirmer).await?;
            match choices.active {
                Some(eid) => println!("Đang dùng tài khoản tổ chức {eid} / now acting for {eid}"),
                None => println!("Đang dùng tài khoản cá nhân / now using the personal account"),
            }
        }
        Command::Sessions => {
            let current = client.state().session;
            for s in client.sessions().await? {
                let mark = if Some(&s.id) == current.as_ref() {
                    "*"
                } else {
                    " "
                };
                println!(
                    "{mark} {}  {:?}  {}  {}",
                    s.id, s.kind, s.client_name, s.created_at
                );
            }
        }
        Command::EndSession { id } => {
            let id = SessionId::parse(&id)?;
            let pin = EnteredPasscode::parse(&input.ask("Mã PIN / passcode")?)?;
            let confirmer = client.passcode_confirmer(&pin)?;
            client.end_session(&id, &confirmer).await?;
            println!("Đã kết thúc phiên {id} / session ended");
        }
        Command::Qr {
            action: QrAction::Approve { image, org },
        } => {
            let payload =
                qr::decode_image_file(&image, client.now(), client.origin()).map_err(|e| {
                    anyhow::anyhow!("[{}] {} / {}", e.code(), e.message_vi(), e.message_en())
                })?;
            println!("Mã kiểm tra / check code: {}", payload.check_code());
            let org = org.as_deref().map(OrgEid::parse).transpose()?;
            let pin = EnteredPasscode::parse(&input.ask("Mã PIN / passcode")?)?;
            let confirmer = client.passcode_confirmer(&pin)?;
            client.approve_qr_login(&payload, org, &confirmer).await?;
            println!("Đã cho phép đăng nhập trên máy tính / desktop signed in");
        }
        Command::Logout => {
            client.logout().await?;
            println!("Đã đăng xuất / signed out");
        }
    }
    Ok(())
}
