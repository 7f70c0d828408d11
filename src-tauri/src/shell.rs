//! The shell's managed state: which profile, which server, the API client over them, and what
//! must live between two commands (the password between the two steps of binding, the QR code
//! the desktop shows). Every command in [`crate::commands`] is a few lines over a method here,
//! and every method maps the client's errors to the [`ApiError`] the UI shows.

// Every method answers the contract's `ApiError` as it is (the commands pass it to the UI
// unchanged); boxing it here only to unbox it one line later would buy nothing.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use dinhdanh_client::api::{
    BindingStarted, Client, ClientConfig, PasscodeResetStarted, QrLoginAnswer, QrLoginPending,
    SelfLockStarted, SelfLocked,
};
use dinhdanh_client::biometric::{BiometricConfirmation, BiometricConfirmer, NoBiometrics};
use dinhdanh_client::drafts::Drafts;
use dinhdanh_client::keystore::Keystore;
use dinhdanh_client::passcode::{Confirmer, EnteredPasscode, KdfParams, new_passcode};
use dinhdanh_client::profile::Profile;
use dinhdanh_client::{ClientError, qr};
use dinhdanh_core::api::{
    ApiError, DesktopActionEvent, ErrorCode, OneTimeCode, RegistrationSubmission, RegistrationView,
    RequesterCapacity, SecretText, SwitchAccount,
};
use dinhdanh_core::app::{
    self as app, AppStatus, Confirm, DeviceRole, QrLoginOutcome, QrLoginShown, QrScanArgs,
    QrScanned, Scanned, ServiceSignInScanned, SignedInView, is_valid_draft_key,
};
use dinhdanh_core::ids::{CitizenId, OrgEid};
use dinhdanh_core::org_type::{OrgType, OrganisationDetails};
use dinhdanh_core::qr_login::{QrLoginPayload, QrPayload, ServiceSignInPayload};
use dinhdanh_core::signed_action::ActionKind;
use dinhdanh_core::text;
use serde::Serialize;
use tokio::sync::Notify;

use crate::live::{Listening, LiveSink, LiveTask, NoLiveSink};

/// The server of a profile that names none, when `DINHDANH_SERVER` is not set either: the
/// embedded local server (`cargo xtask run`).
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8640";

/// The profile of an app started without `--profile` or `DINHDANH_PROFILE`.
pub const DEFAULT_PROFILE: &str = "default";

/// Largest draft kept, in bytes: a form's JSON is a few KiB; this only stops a runaway UI from
/// filling the disk.
pub const MAX_DRAFT_BYTES: usize = 256 * 1024;

/// Longest computer name or OS name sent with a QR login (the server's limit).
const MAX_LABEL_CHARS: usize = 100;

/// What the shell starts with.
pub struct ShellOptions {
    /// The profile's name (its keystore namespace).
    pub profile: String,
    /// The profile's own data directory.
    pub data_dir: PathBuf,
    /// The server used while the profile remembers none.
    pub server: String,
    /// The passcode KDF (production; cheaper only in tests).
    pub kdf: KdfParams,
    /// The platform's biometric key (mobile), or [`NoBiometrics`].
    pub biometric: Arc<dyn BiometricConfirmer>,
    /// Opens the profile's keystore: the OS keystore on desktop, the platform secret store
    /// (through the biometric-key plugin) on mobile.
    pub open_keystore: KeystoreOpener,
    /// Where the session's live events go ([`crate::live`]): the window and, on desktop, OS
    /// notifications in the app; nowhere by default.
    pub live_sink: Arc<dyn LiveSink>,
    /// The name binding gives this device: what the person's text messages, inbox notices and
    /// session list call it ([`this_device_name`]); `None`: the client's default.
    pub device_name: Option<String>,
}

/// How the shell opens a profile's keystore (by profile name).
pub type KeystoreOpener = Arc<dyn Fn(&str) -> Result<Keystore, ClientError> + Send + Sync>;

impl ShellOptions {
    /// From the command line and the environment:
    ///
    /// - profile: `--profile NAME` (or `--profile=NAME`), else `DINHDANH_PROFILE`, else
    ///   [`DEFAULT_PROFILE`];
    /// - data directory: `$DINHDANH_DATA_DIR/<profile>`, else [`Profile::default_dir`], else
    ///   `<fallback>/<profile>` (the platform's app data directory, on mobile);
    /// - server: `DINHDANH_SERVER`, else [`DEFAULT_SERVER`]; a server chosen in the app
    ///   (`set_server`) is remembered by the profile and wins over both.
    pub fn from_env(fallback_dir: Option<&Path>) -> Result<Self, ApiError> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let profile = profile_from_args(&args)
            .or_else(|| non_empty_env("DINHDANH_PROFILE"))
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        let data_dir = match non_empty_env("DINHDANH_DATA_DIR") {
            Some(base) => PathBuf::from(base).join(&profile),
            None => match (Profile::default_dir(&profile), fallback_dir) {
                (Ok(dir), _) => dir,
                (Err(_), Some(base)) => base.join(&profile),
                (Err(e), None) => return Err(e.to_api_error()),
            },
        };
        Ok(ShellOptions {
            profile,
            data_dir,
            server: non_empty_env("DINHDANH_SERVER").unwrap_or_else(|| DEFAULT_SERVER.to_owned()),
            kdf: KdfParams::default(),
            biometric: Arc::new(NoBiometrics),
            open_keystore: Arc::new(Keystore::os),
            live_sink: Arc::new(NoLiveSink),
            device_name: this_device_name(),
        })
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `--profile NAME` or `--profile=NAME` among the arguments.
fn profile_from_args(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--profile" {
            return it.next().cloned();
        }
        if let Some(name) = arg.strip_prefix("--profile=") {
            return Some(name.to_owned());
        }
    }
    None
}

/// Device binding between its two commands: the server's state and the password, which
/// signs in right after binding. Only in memory; the password is zeroised when this drops.
struct PendingBinding {
    started: BindingStarted,
    password: SecretText,
}

/// The app's managed state.
pub struct Shell {
    options: ShellOptions,
    profile: Profile,
    client: RwLock<Option<Arc<Client>>>,
    binding: Mutex<Option<PendingBinding>>,
    /// A passcode reset between its two commands.
    passcode_reset: Mutex<Option<PasscodeResetStarted>>,
    /// A self-lock between its two commands (the password in memory only, zeroised on drop).
    self_lock: Mutex<Option<SelfLockStarted>>,
    qr_shown: Mutex<Option<QrLoginPending>>,
    /// Phone: the sign-in link the operating system handed the app last, until the UI takes it
    /// ([`Shell::receive_link`], [`Shell::app_link_take`]).
    app_link: Mutex<Option<String>>,
    /// Wakes a `qr_login_wait` whose code was replaced by a new one.
    qr_replaced: Notify,
    /// Desktop: the action waiting for the phone, for `cancel_on_phone`.
    on_phone: Mutex<OnPhone>,
    /// The task reading the session's live stream, while signed in ([`crate::live`]).
    live: Mutex<Option<LiveTask>>,
}

/// Desktop: where the action sent to the phone stands.
#[derive(Debug, Default)]
enum OnPhone {
    /// Nothing is waiting.
    #[default]
    Idle,
    /// Being sent; `cancelled` when the person cancelled before the server answered.
    Starting { cancelled: bool },
    /// Sent: the action's id.
    Waiting(String),
}

impl Shell {
    /// The shell of `options`' profile; its data directory is created when missing. The
    /// client (and with it the OS keystore) is opened on first use, so a keystore that is
    /// locked now can still be used once unlocked.
    pub fn new(options: ShellOptions) -> Result<Self, ApiError> {
        let profile =
            Profile::open(&options.profile, &options.data_dir).map_err(|e| e.to_api_error())?;
        Ok(Shell {
            options,
            profile,
            client: RwLock::new(None),
            binding: Mutex::new(None),
            passcode_reset: Mutex::new(None),
            self_lock: Mutex::new(None),
            qr_shown: Mutex::new(None),
            app_link: Mutex::new(None),
            qr_replaced: Notify::new(),
            on_phone: Mutex::new(OnPhone::Idle),
            live: Mutex::new(None),
        })
    }

    /// The client, opened on first use with the profile's remembered server or the default.
    pub fn client(&self) -> Result<Arc<Client>, ApiError> {
        if let Some(client) = self.read_client() {
            return Ok(client);
        }
        let mut slot = self.client.write().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let remembered = self.profile.load().map_err(api)?.server;
        let server = remembered.unwrap_or_else(|| self.options.server.clone());
        let client = Arc::new(self.open_client(&server).map_err(api)?);
        *slot = Some(client.clone());
        Ok(client)
    }

    fn read_client(&self) -> Option<Arc<Client>> {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn open_client(&self, server: &str) -> Result<Client, ClientError> {
        let keystore = (self.options.open_keystore)(&self.options.profile)?;
        let mut config = ClientConfig::new(server);
        config.kdf = self.options.kdf;
        if let Some(name) = &self.options.device_name {
            config.device_name = name.clone();
        }
        Client::new(config, self.profile.clone(), keystore)
    }

    // -----------------------------------------------------------------------------------------
    // Status and server
    // -----------------------------------------------------------------------------------------

    /// Keeps the live stream in step with the session: one task while signed in, for this
    /// session and the organisation it acts for (another one: a new task), none otherwise.
    /// A task whose stream ended (the session did) is started again here once the session
    /// holds again.
    fn keep_live(&self, client: &Arc<Client>, signed_in: bool) {
        let state = client.state();
        let want = match (signed_in, state.session) {
            (true, Some(session)) => Some(Listening {
                session,
                acting_for: state.acting_for,
            }),
            _ => None,
        };
        let mut live = lock(&self.live);
        let current = live
            .as_ref()
            .filter(|t| !t.task.inner().is_finished())
            .map(|t| &t.listening);
        if current == want.as_ref() {
            return;
        }
        // Dropping the old task aborts it (and closes its socket).
        *live = want.map(|listening| {
            crate::live::start(client.clone(), self.options.live_sink.clone(), listening)
        });
    }

    /// Where the app stands. Signed in, the account is read from the server; a session the
    /// server ended reads as signed out (the client forgot it), anything else is an error.
    pub async fn status(&self) -> Result<AppStatus, ApiError> {
        let client = self.client()?;
        let signed_in = if client.state().session.is_some() {
            match signed_in_view(&client).await {
                Ok(view) => Some(view),
                Err(e) if session_gone(&e) => None,
                Err(e) => return Err(api(e)),
            }
        } else {
            None
        };
        // Read after the server was asked: a desktop whose session ended is new again.
        let state = client.state();
        self.keep_live(&client, signed_in.is_some());
        let role = if state.signed_in_by_qr {
            DeviceRole::QrDesktop
        } else if state.device.is_some() {
            DeviceRole::Bound
        } else {
            DeviceRole::New
        };
        // Only what this profile holds: whether the server still has the binding is known
        // when signing in.
        let bound_to = match role {
            DeviceRole::Bound => state.citizen_id.as_ref().map(CitizenId::masked),
            DeviceRole::New | DeviceRole::QrDesktop => None,
        };
        Ok(AppStatus {
            profile: self.options.profile.clone(),
            server: client.server().to_owned(),
            role,
            bound_to,
            signed_in,
            biometric_available: self.options.biometric.is_available(),
            // The barcode-scanner plugin is registered on phones only (`run`).
            platform_scanner: cfg!(mobile),
        })
    }

    /// Changes the server of a new profile (first run) and remembers it. A bound device or a
    /// signed-in desktop keeps its server: its keys and session belong to it.
    pub async fn set_server(&self, server: &str) -> Result<AppStatus, ApiError> {
        let current = self.client()?;
        let state = current.state();
        if state.device.is_some() || state.signed_in_by_qr {
            return Err(shell_error(
                "server_locked",
                "Không thể đổi máy chủ khi thiết bị đã liên kết hoặc đang đăng nhập.",
                "The server cannot be changed while this device is bound or signed in.",
            ));
        }
        let client = self.open_client(server.trim()).map_err(|e| {
            let mut e = api(e);
            e.field = Some("server".into());
            e
        })?;
        client.remember_server().map_err(api)?;
        drop(current);
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(client));
        self.status().await
    }

    // -----------------------------------------------------------------------------------------
    // Binding and signing in
    // -----------------------------------------------------------------------------------------

    /// Device binding, step 1; the password is kept in memory for the sign-in after step 2.
    pub async fn bind_start(
        &self,
        citizen_id: &str,
        password: SecretText,
    ) -> Result<dinhdanh_core::api::CodeSent, ApiError> {
        let client = self.client()?;
        let citizen_id = CitizenId::parse(citizen_id.trim())
            .map_err(|e| with_field(api(ClientError::from(e)), "citizen_id"))?;
        let started = client
            .bind_start(&citizen_id, password.clone())
            .await
            .map_err(api)?;
        let sent = started.sent.clone();
        *lock(&self.binding) = Some(PendingBinding { started, password });
        Ok(sent)
    }

    /// Device binding, step 2, then sign-in with the password from step 1. Typing mistakes
    /// (code format, passcode policy, the two passcodes differ) keep step 1 for another try.
    pub async fn bind_finish(
        &self,
        code: &str,
        passcode: &SecretText,
        passcode_again: &SecretText,
    ) -> Result<AppStatus, ApiError> {
        let client = self.client()?;
        let code =
            OneTimeCode::parse(code.trim()).map_err(|e| with_field(api(e.into()), "code"))?;
        let passcode = new_passcode(
            passcode.expose(),
            passcode_again.expose(),
            client.state().date_of_birth,
        )
        .map_err(|e| with_field(api(e), "passcode"))?;
        let pending = lock(&self.binding).take().ok_or_else(|| {
            shell_error(
                "binding_not_started",
                "Phiên liên kết thiết bị đã kết thúc; vui lòng bắt đầu lại.",
                "The device binding has ended; please start again.",
            )
        })?;
        let biometric = self
            .options
            .biometric
            .is_available()
            .then_some(&*self.options.biometric);
        client
            .bind_finish(pending.started, code, &passcode, biometric)
            .await
            .map_err(api)?;
        client.sign_in(pending.password).await.map_err(api)?;
        self.status().await
    }

    /// Signs in on the bound device. `device_unbound`: the account no longer has this device
    /// bound, the client forgot the binding (see [`Client::sign_in`]), and the profile is new
    /// again; the error's sentence says since when, for the binding screen.
    pub async fn sign_in(&self, password: SecretText) -> Result<AppStatus, ApiError> {
        self.client()?.sign_in(password).await.map_err(api)?;
        self.status().await
    }

    /// Signs out (phone or desktop); signing out when not signed in is not an error.
    pub async fn sign_out(&self) -> Result<AppStatus, ApiError> {
        match self.client()?.logout().await {
            Ok(()) => {}
            Err(ClientError::NotSignedIn) => {}
            Err(e) => return Err(api(e)),
        }
        self.status().await
    }

    // -----------------------------------------------------------------------------------------
    // Self-service: the passcode, locking the account
    // -----------------------------------------------------------------------------------------

    /// Passcode reset, step 1, in the phone's session: the password; a code goes to the phone.
    pub async fn passcode_reset_start(
        &self,
        password: SecretText,
    ) -> Result<dinhdanh_core::api::CodeSent, ApiError> {
        let started = self
            .client()?
            .passcode_reset_start(password)
            .await
            .map_err(|e| field_of_password(api(e)))?;
        let sent = started.sent.clone();
        *lock(&self.passcode_reset) = Some(started);
        Ok(sent)
    }

    /// Passcode reset, step 2: the code and the new passcode, twice. Typing mistakes (code
    /// format, passcode policy, the two differ) keep step 1 for another try; so does a wrong
    /// code, which the server counts.
    pub async fn passcode_reset_finish(
        &self,
        code: &str,
        passcode: &SecretText,
        passcode_again: &SecretText,
    ) -> Result<(), ApiError> {
        let client = self.client()?;
        let code =
            OneTimeCode::parse(code.trim()).map_err(|e| with_field(api(e.into()), "code"))?;
        let passcode = new_passcode(
            passcode.expose(),
            passcode_again.expose(),
            client.state().date_of_birth,
        )
        .map_err(|e| with_field(api(e), "passcode"))?;
        let started = lock(&self.passcode_reset).take().ok_or_else(|| {
            shell_error(
                "passcode_reset_not_started",
                "Phiên đặt lại mã PIN đã kết thúc; vui lòng bắt đầu lại.",
                "The passcode reset has ended; please start again.",
            )
        })?;
        let sent = started.sent.clone();
        match client.passcode_reset_finish(started, code, &passcode).await {
            Ok(_) => Ok(()),
            Err(e) if e.is(ErrorCode::OneTimeCodeInvalid) => {
                // The code can be typed again while it lives (the server counts the tries).
                *lock(&self.passcode_reset) = Some(PasscodeResetStarted { sent });
                Err(with_field(api(e), "code"))
            }
            Err(e) => Err(api(e)),
        }
    }

    /// *Khóa tài khoản*, step 1, from any profile (bound or not): identification number and
    /// password; the code goes by e-mail.
    pub async fn self_lock_start(
        &self,
        citizen_id: &str,
        password: SecretText,
    ) -> Result<dinhdanh_core::api::CodeSent, ApiError> {
        let client = self.client()?;
        let citizen_id = CitizenId::parse(citizen_id.trim())
            .map_err(|e| with_field(api(ClientError::from(e)), "citizen_id"))?;
        let started = client
            .self_lock_start(&citizen_id, password)
            .await
            .map_err(|e| field_of_password(api(e)))?;
        let sent = started.sent.clone();
        *lock(&self.self_lock) = Some(started);
        Ok(sent)
    }

    /// Self-lock, step 2: the code. A broken connection is settled by asking the server (see
    /// [`Client::self_lock_finish`]): locked, or not locked with a new code to type
    /// (`action_not_done` under the code's field), or `action_outcome_unknown`.
    pub async fn self_lock_finish(&self, code: &str) -> Result<AppStatus, ApiError> {
        let client = self.client()?;
        let code =
            OneTimeCode::parse(code.trim()).map_err(|e| with_field(api(e.into()), "code"))?;
        let started = lock(&self.self_lock).take().ok_or_else(|| {
            shell_error(
                "self_lock_not_started",
                "Phiên khóa tài khoản đã kết thúc; vui lòng bắt đầu lại.",
                "Locking the account has ended; please start again.",
            )
        })?;
        match client.self_lock_finish(&started, code).await {
            Ok(SelfLocked::Locked(_) | SelfLocked::LockedWhileDisconnected) => self.status().await,
            Ok(SelfLocked::NotDone(again)) => {
                let to = again.sent.sent_to.clone();
                *lock(&self.self_lock) = Some(again);
                Err(with_field(
                    shell_error(
                        "action_not_done",
                        &format!(
                            "Mất kết nối trước khi tài khoản được khóa; máy chủ cho biết tài \
                             khoản chưa bị khóa. Một mã mới đã được gửi tới {to}: hãy nhập mã \
                             mới để khóa."
                        ),
                        &format!(
                            "The connection broke before the account was locked; the server \
                             shows it is not locked. A new code was sent to {to}: enter it to \
                             lock the account."
                        ),
                    ),
                    "code",
                ))
            }
            Err(e) => {
                // A mistyped code (the server counts the tries), or an outcome not known yet:
                // the step stays for another try.
                *lock(&self.self_lock) = Some(started);
                if e.is(ErrorCode::OneTimeCodeInvalid) {
                    Err(with_field(api(e), "code"))
                } else {
                    Err(api(e))
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Confirmation
    // -----------------------------------------------------------------------------------------

    /// The confirmer for what the person did: the passcode's key (derived off the async
    /// threads: the KDF takes a moment and 64 MiB) or the platform's biometric key.
    pub async fn confirmer(
        &self,
        client: &Arc<Client>,
        confirm: Confirm,
        reason: &str,
    ) -> Result<Box<dyn Confirmer + '_>, ApiError> {
        match confirm {
            Confirm::Passcode { passcode } => {
                let client = client.clone();
                let derived = tokio::task::spawn_blocking(move || {
                    let entered = EnteredPasscode::parse(passcode.expose())?;
                    client.passcode_confirmer(&entered)
                })
                .await
                .map_err(|e| {
                    shell_error(
                        "internal",
                        "Đã xảy ra lỗi trong ứng dụng; vui lòng thử lại.",
                        &format!("The passcode could not be checked: {e}"),
                    )
                })?;
                let confirmer = derived.map_err(|e| with_field(api(e), "passcode"))?;
                Ok(Box::new(confirmer))
            }
            Confirm::Biometric => {
                let confirmation =
                    BiometricConfirmation::new(&*self.options.biometric, reason).map_err(api)?;
                Ok(Box::new(confirmation))
            }
            // The commands a desktop may confirm on the phone handle this before asking for
            // a confirmer; everything else is done on the phone itself.
            Confirm::OnPhone if client.state().signed_in_by_qr => {
                Err(ApiError::new(ErrorCode::DesktopActionNotAllowed))
            }
            Confirm::OnPhone => Err(shell_error(
                "confirm_on_phone_unavailable",
                "Chỉ máy tính đăng nhập bằng mã QR mới chờ xác nhận trên điện thoại; \
                 hãy nhập mã PIN trên thiết bị này.",
                "Only a computer signed in by QR code waits for confirmation on the phone; \
                 enter the passcode on this device.",
            )),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Sensitive actions started on the desktop, confirmed on the phone (issue 8)
    // -----------------------------------------------------------------------------------------

    /// Desktop: submits a registration confirmed on the phone. The desktop knows only the
    /// masked identification number, so the capacity it sends is a guess from it; the server,
    /// which knows the person, derives the capacity itself and the phone confirms the
    /// corrected submission.
    pub async fn submit_registration_on_phone(
        &self,
        org_type: OrgType,
        details: OrganisationDetails,
    ) -> Result<RegistrationView, ApiError> {
        let client = self.client()?;
        let masked = client.me().await.map_err(api)?.citizen_id_masked;
        let representative = details
            .representatives
            .iter()
            .any(|r| r.citizen_id.masked() == masked);
        let submission = RegistrationSubmission {
            org_type,
            details,
            capacity: if representative {
                RequesterCapacity::LegalRepresentative
            } else {
                RequesterCapacity::Authorised
            },
        };
        let result = self
            .on_phone(&client, ActionKind::RegisterOrganisation, &submission)
            .await?;
        // Read by reference, as the commands' arguments are (one deserializer compiled).
        serde::Deserialize::deserialize(&result).map_err(|_| unexpected_answer())
    }

    /// Desktop: switches the desktop's account, confirmed on the phone, and answers the app's
    /// state with the account switched to.
    pub async fn switch_account_on_phone(&self, to: Option<OrgEid>) -> Result<AppStatus, ApiError> {
        let client = self.client()?;
        self.on_phone(&client, ActionKind::SwitchAccount, &SwitchAccount { to })
            .await?;
        self.status().await
    }

    /// Desktop: asks the phone to confirm `kind` with the direct route's `body`, waits for the
    /// answer and returns the direct route's result.
    async fn on_phone<B: Serialize>(
        &self,
        client: &Client,
        kind: ActionKind,
        body: &B,
    ) -> Result<serde_json::Value, ApiError> {
        if !client.state().signed_in_by_qr {
            return Err(shell_error(
                "confirm_on_phone_unavailable",
                "Chỉ máy tính đăng nhập bằng mã QR mới chờ xác nhận trên điện thoại; \
                 hãy nhập mã PIN trên thiết bị này.",
                "Only a computer signed in by QR code waits for confirmation on the phone; \
                 enter the passcode on this device.",
            ));
        }
        *self.lock_on_phone() = OnPhone::Starting { cancelled: false };
        let started = client.start_desktop_action(kind, body).await;
        let cancelled = {
            let mut on_phone = self.lock_on_phone();
            let cancelled = matches!(*on_phone, OnPhone::Starting { cancelled: true });
            *on_phone = match &started {
                Ok(pending) if !cancelled => OnPhone::Waiting(pending.id.clone()),
                _ => OnPhone::Idle,
            };
            cancelled
        };
        let pending = started.map_err(api)?;
        if cancelled {
            // Cancelled while it was being sent: withdraw it before the phone sees it.
            client
                .cancel_desktop_action(&pending.id)
                .await
                .map_err(api)?;
            return Err(ApiError::new(ErrorCode::DesktopActionCancelled));
        }
        let event = client.wait_desktop_action(&pending).await;
        {
            let mut on_phone = self.lock_on_phone();
            if matches!(&*on_phone, OnPhone::Waiting(id) if *id == pending.id) {
                *on_phone = OnPhone::Idle;
            }
        }
        match event.map_err(api)? {
            DesktopActionEvent::Done { result } => Ok(result),
            DesktopActionEvent::Refused { error } => Err(error),
            DesktopActionEvent::Declined => Err(shell_error(
                "desktop_action_declined",
                "Yêu cầu đã bị từ chối trên điện thoại.",
                "The request was declined on the phone.",
            )),
            DesktopActionEvent::Expired => Err(ApiError::new(ErrorCode::DesktopActionExpired)),
            DesktopActionEvent::Cancelled => Err(ApiError::new(ErrorCode::DesktopActionCancelled)),
        }
    }

    /// Desktop: the person cancelled the wait for the phone. The action is withdrawn, so a
    /// later confirmation on the phone does nothing (the waiting `on_phone` then ends with
    /// `desktop_action_cancelled`). `desktop_action_answered` when the phone answered first:
    /// that answer stands, and the person is told.
    pub async fn cancel_on_phone(&self) -> Result<(), ApiError> {
        let id = {
            let mut on_phone = self.lock_on_phone();
            match &mut *on_phone {
                OnPhone::Idle => return Ok(()),
                OnPhone::Starting { cancelled } => {
                    *cancelled = true;
                    return Ok(());
                }
                OnPhone::Waiting(id) => id.clone(),
            }
        };
        self.client()?.cancel_desktop_action(&id).await.map_err(api)
    }

    fn lock_on_phone(&self) -> std::sync::MutexGuard<'_, OnPhone> {
        // Plain data: a panic elsewhere while holding the lock leaves it usable.
        self.on_phone.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Phone: confirms the desktop's pending action `id` with `confirm` (passcode or
    /// biometrics here). An action confirmed but refused when carried out answers why.
    pub async fn confirm_desktop_action(&self, id: &str, confirm: Confirm) -> Result<(), ApiError> {
        let client = self.client()?;
        let pending = client
            .pending_desktop_actions()
            .await
            .map_err(api)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ApiError::new(ErrorCode::DesktopActionExpired))?;
        let confirmer = self
            .confirmer(&client, confirm, "Xác nhận thao tác từ máy tính")
            .await?;
        match client
            .confirm_desktop_action(&pending, confirmer.as_ref())
            .await
            .map_err(api)?
        {
            DesktopActionEvent::Refused { error } => Err(error),
            DesktopActionEvent::Done { .. } => Ok(()),
            DesktopActionEvent::Declined | DesktopActionEvent::Expired => {
                Err(ApiError::new(ErrorCode::DesktopActionAnswered))
            }
            DesktopActionEvent::Cancelled => Err(ApiError::new(ErrorCode::DesktopActionCancelled)),
        }
    }

    // -----------------------------------------------------------------------------------------
    // QR login
    // -----------------------------------------------------------------------------------------

    /// Desktop: a new code (new key, new rendezvous), replacing the one shown before; a
    /// `qr_login_wait` still waiting on that one ends as expired.
    pub async fn qr_login_start(&self) -> Result<QrLoginShown, ApiError> {
        let client = self.client()?;
        let pending = client
            .qr_login_start(&computer_name(), &os_name())
            .await
            .map_err(api)?;
        let svg = qr::render_svg(&pending.payload)
            .map_err(|e| shell_error(e.code(), e.message_vi(), e.message_en()))?;
        let shown = QrLoginShown {
            svg,
            check_code: pending.check_code.clone(),
            expires_at: pending.expires_at(),
        };
        *lock(&self.qr_shown) = Some(pending);
        self.qr_replaced.notify_waiters();
        Ok(shown)
    }

    /// Desktop: waits for the phone's answer to the code shown last.
    pub async fn qr_login_wait(&self) -> Result<QrLoginOutcome, ApiError> {
        let client = self.client()?;
        let replaced = self.qr_replaced.notified();
        tokio::pin!(replaced);
        replaced.as_mut().enable();
        let pending = lock(&self.qr_shown).take().ok_or_else(|| {
            shell_error(
                "qr_login_not_started",
                "Chưa có mã QR đăng nhập; vui lòng tạo mã mới.",
                "No login QR code is shown; please make a new one.",
            )
        })?;
        let answer = tokio::select! {
            answer = client.qr_login_wait(pending) => answer.map_err(api)?,
            () = replaced => return Ok(QrLoginOutcome::Expired),
        };
        Ok(match answer {
            QrLoginAnswer::SignedIn(_) => QrLoginOutcome::SignedIn {
                status: self.status().await?,
            },
            QrLoginAnswer::Declined => QrLoginOutcome::Declined,
            QrLoginAnswer::Expired => QrLoginOutcome::Expired,
        })
    }

    /// Phone: reads a code from a picture, a camera frame or the platform scanner's text (only
    /// this server's, not expired; the text by the same strict parser as a decoded frame),
    /// then asks the server what it is: which computer asks to be signed in here
    /// (version 1), or which service a browser signs in to (version 2; the service's name and
    /// redirect origin come from the server's registry, never from the code).
    pub async fn qr_scan(&self, args: QrScanArgs) -> Result<Scanned, ApiError> {
        let client = self.client()?;
        let now = client.now();
        // Grey pixels from the WebView: a picked picture (read once, every attempt may run) or
        // a camera frame (the next one comes soon).
        let grey = |width: u32, height: u32, luma: &[u8], options: &qr::ScanOptions| {
            let side = |v: u32| usize::try_from(v).unwrap_or(usize::MAX);
            qr::decode_any_luma(
                luma,
                side(width),
                side(height),
                now,
                client.origin(),
                options,
            )
        };
        let decoded = match &args {
            QrScanArgs::Picture { width, height, .. }
                if (*width).max(*height) > app::MAX_PICTURE_SIDE =>
            {
                Err(qr::ScanError::UnreadableImage)
            }
            QrScanArgs::Picture {
                width,
                height,
                luma,
            } => grey(*width, *height, luma, &qr::ScanOptions::picture()),
            QrScanArgs::Frame {
                width,
                height,
                luma,
            } => grey(*width, *height, luma, &qr::ScanOptions::default()),
            QrScanArgs::PlatformScanner { text } => qr::decode_any_text(text, now, client.origin()),
        };
        let payload =
            decoded.map_err(|e| shell_error(e.code(), &e.message_vi(), &e.message_en()))?;
        Ok(match payload {
            QrPayload::DesktopLogin(payload) => {
                let request = client.qr_login_request(&payload).await.map_err(api)?;
                Scanned::DesktopLogin(QrScanned {
                    payload: payload.to_uri(),
                    request,
                })
            }
            QrPayload::ServiceSignIn(payload) => {
                Scanned::ServiceSignIn(service_sign_in_scanned(&client, &payload).await?)
            }
        })
    }

    /// Phone: keeps a link the operating system handed the app (a verified https link, on
    /// Android and iOS through the deep-link plugin's `on_open_url`), replacing one not yet
    /// taken. Nothing is read here: [`Shell::app_link_take`] reads it when the UI asks.
    pub fn receive_link(&self, url: &str) {
        *lock(&self.app_link) = Some(url.to_owned());
    }

    /// Phone: the waiting link, taken once, read exactly as a scanned version-2 code: the
    /// core's strict parser (`ServiceSignInPayload::parse_app_link`), this server's and not
    /// expired, then what the server says about the sign-in. `None` when no link waits.
    pub async fn app_link_take(&self) -> Result<Option<ServiceSignInScanned>, ApiError> {
        let Some(link) = lock(&self.app_link).take() else {
            return Ok(None);
        };
        let client = self.client()?;
        let (_, payload) =
            ServiceSignInPayload::parse_app_link(&link).map_err(|e| api(e.into()))?;
        payload
            .check(client.now(), client.origin())
            .map_err(|e| api(e.into()))?;
        Ok(Some(service_sign_in_scanned(&client, &payload).await?))
    }

    /// Phone: a sign-in code passed back by the UI, read again (never trusted as it came).
    pub fn service_sign_in_payload(&self, payload: &str) -> Result<ServiceSignInPayload, ApiError> {
        ServiceSignInPayload::parse(payload).map_err(|e| api(e.into()))
    }

    /// Phone: a payload passed back by the UI, read again (never trusted as it came).
    pub fn qr_payload(&self, payload: &str) -> Result<QrLoginPayload, ApiError> {
        QrLoginPayload::parse(payload).map_err(|e| api(e.into()))
    }

    // -----------------------------------------------------------------------------------------
    // Drafts
    // -----------------------------------------------------------------------------------------

    /// The drafts, once `key` is known to be a valid draft name (it becomes a file name).
    fn drafts_for(&self, key: &str) -> Result<Drafts, ApiError> {
        if !is_valid_draft_key(key) {
            return Err(with_field(
                shell_error(
                    "invalid_draft_key",
                    "Tên bản nháp không hợp lệ.",
                    "The draft's name is not valid.",
                ),
                "key",
            ));
        }
        Ok(self.client()?.drafts())
    }

    /// Saves a form's content, sealed with the profile's draft key (see
    /// [`dinhdanh_client::drafts`]: the form holds identification numbers).
    pub fn save_draft(&self, key: &str, json: &str) -> Result<(), ApiError> {
        let drafts = self.drafts_for(key)?;
        if json.len() > MAX_DRAFT_BYTES {
            return Err(shell_error(
                "draft_too_large",
                "Bản nháp quá lớn để lưu.",
                "The draft is too large to save.",
            ));
        }
        drafts.save(key, json).map_err(api)
    }

    /// Reads a saved draft, `None` when there is none.
    pub fn load_draft(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.drafts_for(key)?.load(key).map_err(api)
    }
}

/// What the phone shows for a version-2 code, scanned or handed over by a link: the service,
/// the browser and the accounts from the server, the check code from the code.
async fn service_sign_in_scanned(
    client: &Client,
    payload: &ServiceSignInPayload,
) -> Result<ServiceSignInScanned, ApiError> {
    let sign_in = client
        .read_service_sign_in(payload.sign_in())
        .await
        .map_err(api)?;
    Ok(ServiceSignInScanned {
        payload: payload.to_uri(),
        check_code: payload.check_code(),
        sign_in,
    })
}

/// The signed-in account and the organisation acted for.
async fn signed_in_view(client: &Client) -> Result<SignedInView, ClientError> {
    let account = client.me().await?;
    let acting_for = match client.state().acting_for {
        None => None,
        Some(eid) => client
            .account_choices()
            .await?
            .organisations
            .into_iter()
            .find(|o| o.eid == eid),
    };
    Ok(SignedInView {
        account,
        acting_for,
    })
}

/// The session is over (the client has forgotten it).
fn session_gone(e: &ClientError) -> bool {
    matches!(e, ClientError::NotSignedIn)
        || e.is(ErrorCode::SessionExpired)
        || e.is(ErrorCode::Unauthenticated)
}

/// An answer the server should not have given.
fn unexpected_answer() -> ApiError {
    api(ClientError::UnexpectedResponse { status: 200 })
}

/// The UI's error for a client error.
pub fn api(e: ClientError) -> ApiError {
    e.to_api_error()
}

/// An error of the shell itself, in the server's shape.
pub fn shell_error(code: &str, message_vi: &str, message_en: &str) -> ApiError {
    ApiError {
        code: code.to_owned(),
        message_vi: message_vi.to_owned(),
        message_en: message_en.to_owned(),
        field: None,
        details: Vec::new(),
        retry_after_secs: None,
        attempts_left: None,
        unbound_at: None,
    }
}

fn with_field(mut e: ApiError, field: &str) -> ApiError {
    e.field = Some(field.to_owned());
    e
}

/// A wrong password is said under the password's field; anything else in the banner only.
fn field_of_password(e: ApiError) -> ApiError {
    if e.kind() == Some(ErrorCode::InvalidCredentials) {
        with_field(e, "password")
    } else {
        e
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain data behind the lock: a panic elsewhere leaves it usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// This computer's host name, when it has one.
fn host_name() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// The computer's name as the phone will show it.
fn computer_name() -> String {
    label(&match host_name() {
        Some(host) => format!("Máy tính {host}"),
        None => "Máy tính".to_owned(),
    })
}

/// The name binding gives this device. A computer says which one: its host name and operating
/// system ([`desktop_device_name`]). A phone keeps the client's "Điện thoại" (`None`): Tauri
/// names no phone model without a plugin of its own, and a person has one phone bound.
pub fn this_device_name() -> Option<String> {
    (!cfg!(mobile)).then(|| desktop_device_name(host_name().as_deref(), &os_name()))
}

/// "Máy tính <host> (<OS>)" within the server's label policy ([`text::label`]: one line, at
/// most [`text::MAX_LABEL_CHARS`] characters, no invisible characters); without the OS when
/// that is too long, then the host name's beginning; "Máy tính" when nothing else passes.
fn desktop_device_name(host: Option<&str>, os: &str) -> String {
    let computer = match host {
        Some(host) => format!("Máy tính {host}"),
        None => "Máy tính".to_owned(),
    };
    let cut: String = computer.chars().take(text::MAX_LABEL_CHARS).collect();
    [format!("{computer} ({os})"), computer, cut]
        .iter()
        .find_map(|name| text::label(name).ok())
        .unwrap_or_else(|| "Máy tính".to_owned())
}

/// The operating system as the phone will show it ("Ubuntu 24.04.1 LTS").
fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim().trim_matches('"').to_owned())
        })
        .filter(|v| !v.is_empty());
    label(&pretty.unwrap_or_else(|| std::env::consts::OS.to_owned()))
}

/// Within the server's limits: no control characters, at most [`MAX_LABEL_CHARS`].
fn label(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_comes_from_either_spelling_of_the_argument() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            profile_from_args(&args(&["--profile", "phone"])).as_deref(),
            Some("phone")
        );
        assert_eq!(
            profile_from_args(&args(&["-v", "--profile=computer"])).as_deref(),
            Some("computer")
        );
        assert_eq!(profile_from_args(&args(&["--other"])), None);
    }

    #[test]
    fn labels_fit_the_servers_limits() {
        let long = format!("a\u{7}{}", "x".repeat(300));
        let l = label(&long);
        assert_eq!(l.chars().count(), MAX_LABEL_CHARS);
        assert!(!l.chars().any(char::is_control));
        assert!(!computer_name().is_empty());
        assert!(!os_name().is_empty());
    }

    #[test]
    fn a_computer_is_named_by_its_host_and_system_within_the_servers_label_policy() {
        assert_eq!(
            desktop_device_name(Some("lan-thinkpad"), "Ubuntu 24.04.1 LTS"),
            "Máy tính lan-thinkpad (Ubuntu 24.04.1 LTS)"
        );
        assert_eq!(desktop_device_name(None, "linux"), "Máy tính (linux)");
        // Too long with the system: the host alone; a host longer than a label: its beginning.
        let os = "Debian GNU/Linux 12 (bookworm) with a very long vendor suffix";
        assert_eq!(
            desktop_device_name(Some("lan-thinkpad"), os),
            "Máy tính lan-thinkpad"
        );
        let host = "h".repeat(200);
        let name = desktop_device_name(Some(&host), os);
        assert_eq!(name.chars().count(), text::MAX_LABEL_CHARS);
        assert!(name.starts_with("Máy tính hhh"));
        // What the server would refuse is never sent: a host with an invisible character.
        assert_eq!(
            desktop_device_name(Some("evil\u{200B}host"), "linux"),
            "Máy tính"
        );
        for name in [
            this_device_name().unwrap(),
            desktop_device_name(Some(&host), os),
        ] {
            assert_eq!(text::label(&name).as_deref(), Ok(name.as_str()));
        }
    }
}
