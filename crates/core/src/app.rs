//! The contract between the app's shell (`src-tauri`) and its screens (`ui`): one type per
//! command, naming it and fixing what goes in and what comes back. The shell implements each
//! [`Command`] as a Tauri command of the same name; the UI's bridge has one function per
//! command. Both sides compile against these types, so a renamed field or command breaks the
//! build instead of a screen.
//!
//! Everything here crosses only the in-process IPC between the WebView and the shell, never
//! the network: that is why a passcode may appear in an argument ([`Confirm::Passcode`]). It is
//! a [`SecretText`] (zeroised, never printed) and the shell turns it into the confirmation key
//! at once; the server only ever sees signatures.
//!
//! Errors are always [`crate::api::ApiError`]: the server's errors pass through unchanged and
//! the shell's own (keystore unavailable, server unreachable, wrong QR code) use the same
//! shape with Vietnamese and English sentences.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::{
    AccountChoices, AccountView, AddDelegate, AttachmentView, AuditEntry, CodeSent,
    ConsentWithdrawn, DelegationAnswer, DelegationView, Notification, OidcSignInView,
    OrganisationActivityEntry, OrganisationChoice, OrganisationRecord, PendingDesktopAction,
    PersonalDataView, QrLoginRequestView, RegistrationView, RevokeDelegate, SecretText,
    SelfRegistrationFinish, SelfRegistrationStart, ServiceConsentView, ServiceView, SessionView,
    SetDelegationServices,
};
use crate::ids::{OrgEid, RegistrationId, SessionId};
use crate::org_type::{DocumentKind, OrgType, OrganisationDetails};

/// A command the shell offers the UI.
pub trait Command {
    /// The Tauri command's name (the Rust function's name in `src-tauri`).
    const NAME: &'static str;
    /// What the UI sends, as the command's single argument named `args`.
    type Args: Serialize + DeserializeOwned;
    /// What comes back on success.
    type Output: Serialize + DeserializeOwned;
}

/// The name of the single argument every command takes (Tauri passes arguments by name).
pub const ARGS: &str = "args";

macro_rules! commands {
    ($( $(#[$doc:meta])* $ty:ident = $name:literal : $args:ty => $out:ty; )*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $ty;
            impl Command for $ty {
                const NAME: &'static str = $name;
                type Args = $args;
                type Output = $out;
            }
        )*
        /// Every command's name, for the shell's completeness test.
        pub const COMMAND_NAMES: &[&str] = &[$($name),*];
    };
}

commands! {
    /// Where the app stands: profile, server, device, session, active account.
    Status = "status": () => AppStatus;
    /// Sets the server's address (first run, before binding).
    SetServer = "set_server": SetServerArgs => AppStatus;
    /// Self-registration, step 1 (level 1 account): a code goes to the person's phone.
    RegisterStart = "register_start": SelfRegistrationStart => CodeSent;
    /// Self-registration, step 2: the code and the new password.
    RegisterFinish = "register_finish": SelfRegistrationFinish => AccountView;
    /// Device binding, step 1: identification number and password; a code goes to the phone.
    BindStart = "bind_start": BindStartArgs => CodeSent;
    /// Device binding, step 2: the code and the new passcode (typed twice on the keypad; the
    /// shell checks the policy and that both match). Signs in afterwards with the password
    /// kept from step 1 only in memory.
    BindFinish = "bind_finish": BindFinishArgs => AppStatus;
    /// Signs in on a bound device with the password.
    SignIn = "sign_in": SignInArgs => AppStatus;
    /// Ends this session (phone or desktop).
    SignOut = "sign_out": () => AppStatus;
    /// *Đổi tài khoản*: the personal account and every organisation the person may act for.
    AccountChoicesList = "account_choices": () => AccountChoices;
    /// The person proves they are present before the registration wizard opens (a step-up:
    /// the server checks the passcode like any confirmation and counts wrong ones).
    ConfirmIdentity = "confirm_identity": ConfirmIdentityArgs => ();
    /// Switches to an organisation (`to: Some`) or back to the personal account, confirmed.
    SwitchAccount = "switch_account": SwitchAccountArgs => AppStatus;
    /// Uploads a document for a registration (PDF, JPEG or PNG, at most 10 MiB).
    UploadAttachment = "upload_attachment": UploadAttachmentArgs => AttachmentView;
    /// Submits a registration request (details already validated by the UI with the core
    /// crate; the server checks again), confirmed.
    SubmitRegistration = "submit_registration": SubmitRegistrationArgs => RegistrationView;
    /// The person's registration requests, newest first.
    Registrations = "registrations": () => Vec<RegistrationView>;
    /// One registration request.
    Registration = "registration": RegistrationArgs => RegistrationView;
    /// Answers an officer's request for information, confirmed.
    AnswerInformation = "answer_information": AnswerInformationArgs => RegistrationView;
    /// A co-representative consents to or refuses a request filed in their name, confirmed;
    /// signs the digest of the request as the screen showed it. Answers the request as it now
    /// stands. When the connection breaks on the way, the shell asks the server whether the
    /// answer arrived: the request as it stands when it did, `action_not_done` when it did
    /// not, `action_outcome_unknown` when the server cannot be asked either.
    AnswerConsent = "answer_consent": AnswerConsentArgs => RegistrationView;
    /// The requester withdraws their own request that is not decided yet, confirmed; answers
    /// it as it now stands (withdrawn). A broken connection is answered as for
    /// [`AnswerConsent`].
    WithdrawRegistration = "withdraw_registration": WithdrawRegistrationArgs => RegistrationView;
    /// The inbox, newest first.
    Notifications = "notifications": () => Vec<Notification>;
    /// An organisation's record (details, code, status, history).
    Organisation = "organisation": OrganisationArgs => OrganisationRecord;
    /// An organisation's delegates (owners and administrators see them).
    Delegations = "delegations": OrganisationArgs => Vec<DelegationView>;
    /// Adds a delegate, confirmed.
    AddDelegateCmd = "add_delegate": AddDelegateArgs => DelegationView;
    /// Revokes a delegation, confirmed.
    RevokeDelegateCmd = "revoke_delegate": RevokeDelegateArgs => DelegationView;
    /// The delegate accepts or declines an authorisation, confirmed.
    AnswerDelegation = "answer_delegation": AnswerDelegationArgs => DelegationView;
    /// The registered services that accept organisation accounts: what a delegation may allow.
    Services = "services": () => Vec<ServiceView>;
    /// Sets the services a delegation allows (the whole list, with optional dates), confirmed;
    /// answers the delegation as it now stands.
    SetDelegationServicesCmd = "set_delegation_services": SetDelegationServicesArgs => DelegationView;
    /// The person's consents to services (what each was given, and when), most recent first.
    ServiceConsents = "service_consents": () => Vec<ServiceConsentView>;
    /// Withdraws the person's consents to a service, not confirmed: it only reduces what is
    /// shared (the server revokes the person's live tokens for it at once).
    WithdrawServiceConsent = "withdraw_service_consent": WithdrawServiceConsentArgs => ConsentWithdrawn;
    /// The person's sessions (this phone, desktops signed in by QR).
    Sessions = "sessions": () => Vec<SessionView>;
    /// Ends another session (e.g. a desktop), confirmed.
    EndSession = "end_session": EndSessionArgs => Vec<SessionView>;
    /// Desktop: a fresh QR login code (new ephemeral key, new rendezvous).
    QrLoginStart = "qr_login_start": () => QrLoginShown;
    /// Desktop: waits on the push channel for the phone's answer to the code shown last.
    QrLoginWait = "qr_login_wait": () => QrLoginOutcome;
    /// Phone: decodes a camera frame or a picked picture; accepts only this server's codes (a
    /// desktop login or a sign-in to another service, not expired) and answers what the phone
    /// must show before approving, read from the server.
    QrScan = "qr_scan": QrScanArgs => Scanned;
    /// Phone: the sign-in link the operating system last handed the app (a verified https
    /// link from a service's login page open on this phone: Android App Links, iOS Universal
    /// Links), taken once. Read like a scanned version-2 code — the core's strict parser, this
    /// server's, not expired, then the server's view — and answered as [`QrScan`] answers one.
    /// `None` when no link is waiting.
    AppLinkTake = "app_link_take": () => Option<ServiceSignInScanned>;
    /// Phone: approves the login for the account chosen, confirmed.
    QrApprove = "qr_approve": QrApproveArgs => ();
    /// Phone: declines the login in one tap, without the passcode: a decline cannot hurt the
    /// person, and in a moment of doubt it must be the easiest answer. The request is still
    /// signed by the phone's session key, so a token alone cannot decline.
    QrDecline = "qr_decline": QrDeclineArgs => ();
    /// Phone: approves a sign-in to another service for the account chosen, confirmed; signs
    /// exactly what the screen showed (the server refuses a body that differs from its own).
    ServiceSignInApprove = "service_sign_in_approve": ServiceSignInApproveArgs => ();
    /// Phone: declines a sign-in to another service in one tap, without the passcode (like
    /// [`QrDecline`]); the browser goes back to the service, refused.
    ServiceSignInDecline = "service_sign_in_decline": ServiceSignInDeclineArgs => ();
    /// Saves what the person typed in a form, so nothing is lost (profile's data dir).
    SaveDraft = "save_draft": SaveDraftArgs => ();
    /// Reads a saved draft (`None` when there is none).
    LoadDraft = "load_draft": LoadDraftArgs => Option<String>;
    /// Phone: the desktop's sensitive actions waiting for confirmation here, oldest first.
    PendingDesktopActions = "pending_desktop_actions": () => Vec<PendingDesktopAction>;
    /// Phone: confirms a desktop's action (passcode or biometrics on the phone), signing
    /// exactly the body it shows; the desktop goes on at once.
    ConfirmDesktopAction = "confirm_desktop_action": ConfirmDesktopActionArgs => ();
    /// Phone: declines a desktop's action; the desktop is told at once.
    DeclineDesktopAction = "decline_desktop_action": DeclineDesktopActionArgs => ();
    /// Desktop: withdraws the action waiting for the phone (the person cancelled the wait),
    /// so a later confirmation on the phone does nothing.
    CancelOnPhone = "cancel_on_phone": () => ();
    /// A forgotten passcode (or one to change), step 1, in the bound phone's session: the
    /// password; a code goes to the registered phone number.
    PasscodeResetStart = "passcode_reset_start": PasscodeResetStartArgs => CodeSent;
    /// Step 2: the code and the new passcode, typed twice on the keypad (the shell checks the
    /// policy and that both match). The old passcode stops working at once.
    PasscodeResetFinish = "passcode_reset_finish": PasscodeResetFinishArgs => ();
    /// *Khóa tài khoản*, step 1, from any device (the phone may be lost): identification
    /// number and password; a code goes by e-mail (by SMS when there is no e-mail).
    SelfLockStart = "self_lock_start": SelfLockStartArgs => CodeSent;
    /// Step 2: the code. Locks the account, ends every session and unbinds the phone; only an
    /// officer unlocks it. When the connection breaks on the way, the shell asks the server
    /// whether the account is locked: done when it is, `action_not_done` (field `code`, a new
    /// code sent) when it is not, `action_outcome_unknown` when the server cannot be asked.
    SelfLockFinish = "self_lock_finish": SelfLockFinishArgs => AppStatus;
    /// Everything held about the signed-in person (Decree 13/2023/NĐ-CP); the full
    /// identification number is shown to its owner only.
    MyData = "my_data": () => PersonalDataView;
    /// The signed-in person's activity (the audit entries about them and of what they did),
    /// newest first.
    MyActivity = "my_activity": () => Vec<AuditEntry>;
    /// Who acted for an organisation, from which device, when, newest first (owners and
    /// administrators).
    OrganisationActivity = "organisation_activity": OrganisationArgs => Vec<OrganisationActivityEntry>;
}

/// How the person confirmed a sensitive action on this device.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Confirm {
    /// The six digits typed on the keypad; the shell derives the confirmation key from them.
    Passcode {
        /// The passcode.
        passcode: SecretText,
    },
    /// The platform's biometric key (mobile): the OS prompt unlocks the key that signs.
    Biometric,
    /// A desktop signed in by QR code holds no confirmation key: it asks the phone, where the
    /// person confirms the same action with passcode or biometrics, and waits for the answer.
    /// Only a QR desktop may use it, and only for the actions a desktop may ask the phone for
    /// ([`SubmitRegistration`], [`SwitchAccount`]).
    OnPhone,
}

/// Which part the app plays in this profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// Not bound and not signed in by QR: first run.
    New,
    /// The person's bound device (the phone).
    Bound,
    /// A computer signed in by QR from the phone: acts with the account's rights, but
    /// sensitive actions are confirmed on the phone.
    QrDesktop,
}

/// The app's state, as every screen needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus {
    /// The app profile (its own data dir and keystore entries).
    pub profile: String,
    /// The server's address.
    pub server: String,
    /// What this profile is.
    pub role: DeviceRole,
    /// A bound profile: the identification number it was bound with, masked
    /// (`079******345`). What the profile holds, not what the server says: whether the
    /// binding still stands is known only when signing in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_to: Option<String>,
    /// Signed in: the account and the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_in: Option<SignedInView>,
    /// Whether biometric confirmation is available (mobile with an enrolled biometric key).
    pub biometric_available: bool,
    /// Whether the camera screen reads codes with the platform's scanner (Android and iOS,
    /// through Tauri's barcode-scanner plugin) before the WebView's camera and the app's own
    /// decoder.
    #[serde(default)]
    pub platform_scanner: bool,
}

/// The signed-in account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInView {
    /// The person's account.
    pub account: AccountView,
    /// The organisation acted for; `None` for the personal account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<OrganisationChoice>,
}

/// [`SetServer`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetServerArgs {
    /// `https://…` or, for the embedded server, `http://127.0.0.1:8640`.
    pub server: String,
}

/// [`BindStart`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BindStartArgs {
    /// The identification number as typed.
    pub citizen_id: String,
    /// The password.
    pub password: SecretText,
}

/// [`BindFinish`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BindFinishArgs {
    /// The one-time code as typed.
    pub code: String,
    /// The new passcode.
    pub passcode: SecretText,
    /// The same, typed again.
    pub passcode_again: SecretText,
}

/// [`SignIn`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignInArgs {
    /// The password.
    pub password: SecretText,
}

/// [`ConfirmIdentity`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfirmIdentityArgs {
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`SwitchAccount`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwitchAccountArgs {
    /// The organisation, or `None` for the personal account.
    pub to: Option<OrgEid>,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`UploadAttachment`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadAttachmentArgs {
    /// Which document it is.
    pub kind: DocumentKind,
    /// The file's bytes (the server recognises the type from them, not from a name).
    pub content: Vec<u8>,
}

/// [`SubmitRegistration`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubmitRegistrationArgs {
    /// The type chosen.
    pub org_type: OrgType,
    /// The details, as validated by the core crate.
    pub details: OrganisationDetails,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`ConfirmDesktopAction`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfirmDesktopActionArgs {
    /// The pending action, as [`PendingDesktopAction::id`].
    pub id: String,
    /// The phone's own confirmation (passcode or biometrics).
    pub confirm: Confirm,
}

/// [`DeclineDesktopAction`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeclineDesktopActionArgs {
    /// The pending action, as [`PendingDesktopAction::id`].
    pub id: String,
}

/// [`Registration`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegistrationArgs {
    /// The request.
    pub id: RegistrationId,
}

/// [`AnswerInformation`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnswerInformationArgs {
    /// The request.
    pub id: RegistrationId,
    /// The answer in words.
    pub answer: String,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`PasscodeResetStart`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasscodeResetStartArgs {
    /// The password.
    pub password: SecretText,
}

/// [`PasscodeResetFinish`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasscodeResetFinishArgs {
    /// The one-time code as typed.
    pub code: String,
    /// The new passcode.
    pub passcode: SecretText,
    /// The same, typed again.
    pub passcode_again: SecretText,
}

/// [`SelfLockStart`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SelfLockStartArgs {
    /// The identification number as typed.
    pub citizen_id: String,
    /// The password.
    pub password: SecretText,
}

/// [`SelfLockFinish`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SelfLockFinishArgs {
    /// The one-time code as typed.
    pub code: String,
}

/// [`AnswerConsent`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnswerConsentArgs {
    /// The request as the screen showed it: its digest is what is signed
    /// ([`RegistrationView::consent_digest`]), so the answer is about exactly that.
    pub shown: RegistrationView,
    /// Consent (`true`) or refuse.
    pub consent: bool,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`WithdrawRegistration`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WithdrawRegistrationArgs {
    /// The request.
    pub id: RegistrationId,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`Organisation`]'s and [`Delegations`]' argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrganisationArgs {
    /// The organisation.
    pub eid: OrgEid,
}

/// [`AddDelegateCmd`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddDelegateArgs {
    /// Who, which role, until when.
    pub delegate: AddDelegate,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`RevokeDelegateCmd`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevokeDelegateArgs {
    /// Which delegation.
    pub revoke: RevokeDelegate,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`AnswerDelegation`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AnswerDelegationArgs {
    /// The answer.
    pub answer: DelegationAnswer,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`SetDelegationServicesCmd`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetDelegationServicesArgs {
    /// The delegation and its new list of services.
    pub services: SetDelegationServices,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`WithdrawServiceConsent`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WithdrawServiceConsentArgs {
    /// The service's `client_id`, as [`ServiceConsentView::client_id`].
    pub client_id: String,
}

/// [`EndSession`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndSessionArgs {
    /// The session to end.
    pub session: SessionId,
    /// The confirmation.
    pub confirm: Confirm,
}

/// What the desktop shows for a QR login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrLoginShown {
    /// The QR code as an SVG document (rendered by the shell with the client's renderer).
    pub svg: String,
    /// The short code the phone shows too.
    pub check_code: String,
    /// Unix seconds when the code stops working; the UI asks for a new one before.
    pub expires_at: i64,
}

/// How a QR login ended.
// One value per login, crossing the IPC once: its size does not matter, and boxing the status
// would only make every match on it noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum QrLoginOutcome {
    /// Approved: the desktop is signed in.
    SignedIn {
        /// The app's state now.
        status: AppStatus,
    },
    /// The phone declined.
    Declined,
    /// The code expired unanswered (the UI shows a new one).
    Expired,
}

/// The longest side of a [`QrScanArgs::Picture`]: the UI draws a larger picture smaller, the
/// shell refuses one larger. A screenshot of the computer's screen keeps its size; a phone
/// camera's photo is about halved, which the decoder's first attempt does anyway.
pub const MAX_PICTURE_SIDE: u32 = 2048;

/// [`QrScan`]'s argument: a picked picture or a camera frame, both decoded by the WebView and
/// turned grey, or the text the phone's own scanner read. The shell never parses an image
/// file: the WebView's decoders run in its sandboxed web process.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum QrScanArgs {
    /// A picture the person picked, in 8-bit grey (one byte per pixel, row by row), at most
    /// [`MAX_PICTURE_SIDE`] on a side: read once, with a picture's time, not a frame's.
    Picture {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height` luminance bytes.
        luma: Vec<u8>,
    },
    /// A camera frame in 8-bit grey (one byte per pixel, row by row).
    Frame {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height` luminance bytes.
        luma: Vec<u8>,
    },
    /// What the platform's QR scanner read (Android: ML Kit; iOS: AVFoundation), as it came:
    /// the shell reads it with the same strict parser as a code its own decoder found.
    PlatformScanner {
        /// The code's content.
        text: String,
    },
}

/// A decoded login code: what the phone shows before the person approves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrScanned {
    /// The code's content, passed back to [`QrApprove`] / [`QrDecline`].
    pub payload: String,
    /// Which computer asks, from where, for which accounts.
    pub request: QrLoginRequestView,
}

/// What a scanned code asks for: the screen it opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scanned {
    /// Version 1: a computer asks to be signed in to this app.
    DesktopLogin(QrScanned),
    /// Version 2: a browser asks to sign in to another service.
    ServiceSignIn(ServiceSignInScanned),
}

/// A decoded sign-in to another service: what the phone shows before the person approves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSignInScanned {
    /// The code's content, passed back to [`ServiceSignInApprove`] / [`ServiceSignInDecline`].
    pub payload: String,
    /// The six-digit check code computed from the code, to compare with the login page's.
    pub check_code: String,
    /// The service, the browser and the accounts, from the server (never from the code).
    pub sign_in: OidcSignInView,
}

/// [`ServiceSignInApprove`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceSignInApproveArgs {
    /// The code's content, as [`ServiceSignInScanned::payload`].
    pub payload: String,
    /// What the screen showed, as [`ServiceSignInScanned::sign_in`]: what is signed.
    pub sign_in: OidcSignInView,
    /// The account to sign in as: `None` for the personal account.
    pub account: Option<OrgEid>,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`ServiceSignInDecline`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceSignInDeclineArgs {
    /// The code's content.
    pub payload: String,
}

/// [`QrApprove`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QrApproveArgs {
    /// The code's content, as [`QrScanned::payload`].
    pub payload: String,
    /// The account to sign the desktop in to: `None` for the personal account.
    pub account: Option<OrgEid>,
    /// The confirmation.
    pub confirm: Confirm,
}

/// [`QrDecline`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QrDeclineArgs {
    /// The code's content.
    pub payload: String,
}

/// [`SaveDraft`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SaveDraftArgs {
    /// Which form (`registration`, `add_delegate`, …): letters, digits and `_` only.
    pub key: String,
    /// The form's content as JSON.
    pub json: String,
}

/// [`LoadDraft`]'s argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadDraftArgs {
    /// Which form.
    pub key: String,
}

/// A draft key is safe as a file name: 1–40 of `[a-z0-9_]`.
pub fn is_valid_draft_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What an inbox item links to, read from [`Notification::link`], so the inbox can open the
/// request, answer a delegation or sign a desktop out with one tap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboxLink {
    /// A registration request's page.
    Registration(RegistrationId),
    /// An authorisation waiting for the delegate's answer.
    DelegationAnswer {
        /// The organisation.
        organisation: OrgEid,
        /// The delegation.
        delegation: crate::ids::DelegationId,
    },
    /// A session (a desktop signed in by QR), for one-tap sign-out.
    Session(SessionId),
    /// A desktop's action waiting for confirmation on the phone (its
    /// [`PendingDesktopAction::id`]).
    DesktopAction(String),
}

impl InboxLink {
    /// Reads a notification's link; `None` for links the app does not open.
    pub fn parse(link: &str) -> Option<InboxLink> {
        if let Some(id) = link.strip_prefix("registration:") {
            return RegistrationId::parse(id).ok().map(InboxLink::Registration);
        }
        if let Some(id) = link.strip_prefix("session:") {
            return SessionId::parse(id).ok().map(InboxLink::Session);
        }
        if let Some(id) = link.strip_prefix("desktop-action:") {
            // Passed back to the server only as a path segment: plain id characters only.
            let plain = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            return plain.then(|| InboxLink::DesktopAction(id.to_owned()));
        }
        // `/v1/organisations/{eid}/delegations/{id}/answer` (paths::DELEGATION_ANSWER).
        let rest = link.strip_prefix("/v1/organisations/")?;
        let (eid, rest) = rest.split_once("/delegations/")?;
        let id = rest.strip_suffix("/answer")?;
        Some(InboxLink::DelegationAnswer {
            organisation: OrgEid::parse(eid).ok()?,
            delegation: crate::ids::DelegationId::parse(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for name in COMMAND_NAMES {
            assert!(seen.insert(*name), "{name} twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
        assert_eq!(seen.len(), COMMAND_NAMES.len());
    }

    #[test]
    fn a_passcode_confirmation_never_prints_its_digits() {
        let confirm: Confirm =
            serde_json::from_str(r#"{"method":"passcode","passcode":"482916"}"#).unwrap();
        assert!(!format!("{confirm:?}").contains("482916"));
        let Confirm::Passcode { passcode } = &confirm else {
            panic!("passcode expected")
        };
        assert_eq!(passcode.expose(), "482916");
    }

    #[test]
    fn draft_keys_cannot_name_other_files() {
        assert!(is_valid_draft_key("registration"));
        assert!(is_valid_draft_key("add_delegate_2"));
        for bad in [
            "",
            "../secrets",
            "a/b",
            "Registration",
            "x".repeat(41).as_str(),
        ] {
            assert!(!is_valid_draft_key(bad), "{bad}");
        }
    }

    #[test]
    fn inbox_links_open_what_the_server_links() {
        let eid = OrgEid::from_serial(42).unwrap();
        let link = crate::api::paths::fill(
            &crate::api::paths::fill(crate::api::paths::DELEGATION_ANSWER, "eid", eid.as_str()),
            "id",
            "dlg_0123456789abcdef",
        );
        match InboxLink::parse(&link) {
            Some(InboxLink::DelegationAnswer { organisation, .. }) => assert_eq!(organisation, eid),
            other => panic!("{other:?}"),
        }
        assert!(InboxLink::parse("/v1/organisations/x/delegations/y").is_none());
        assert!(InboxLink::parse("https://evil.example/").is_none());
    }

    #[test]
    fn desktop_action_links_open_the_pending_action_and_nothing_else() {
        assert_eq!(
            InboxLink::parse("desktop-action:dact_0123456789abcdef"),
            Some(InboxLink::DesktopAction("dact_0123456789abcdef".into()))
        );
        for bad in [
            "desktop-action:",
            "desktop-action:../sessions",
            "desktop-action:a/b",
            "desktop-action:a?b",
        ] {
            assert_eq!(InboxLink::parse(bad), None, "{bad}");
        }
        let on_phone = serde_json::to_value(Confirm::OnPhone).unwrap();
        assert_eq!(on_phone, serde_json::json!({"method": "on_phone"}));
    }

    #[test]
    fn a_qr_frame_round_trips_tagged_by_source() {
        let args = QrScanArgs::Frame {
            width: 2,
            height: 1,
            luma: vec![0, 255],
        };
        let json = serde_json::to_value(&args).unwrap();
        assert_eq!(json["source"], "frame");
        let back: QrScanArgs = serde_json::from_value(json).unwrap();
        assert!(matches!(back, QrScanArgs::Frame { width: 2, .. }));
    }

    #[test]
    fn the_platform_scanners_text_round_trips_tagged_by_source() {
        let args = QrScanArgs::PlatformScanner {
            text: "dinhdanh://login?v=1".into(),
        };
        let json = serde_json::to_value(&args).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"source": "platform_scanner", "text": "dinhdanh://login?v=1"})
        );
        let back: QrScanArgs = serde_json::from_value(json).unwrap();
        assert!(
            matches!(back, QrScanArgs::PlatformScanner { text } if text == "dinhdanh://login?v=1")
        );
    }

    #[test]
    fn a_scanned_service_sign_in_round_trips_tagged_by_kind() {
        let view: OidcSignInView = serde_json::from_value(serde_json::json!({
            "sign_in": "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU",
            "client_id": "cli_demo", "client_name_vi": "Cổng dịch vụ công (thử nghiệm)",
            "client_name_en": "Public service portal (test)",
            "redirect_origin": "https://portal.example.vn", "claims": ["name"],
            "ip_address": "203.0.113.7", "address_warning": true,
            "phone_ip_address": "198.51.100.9",
            "requested_at": "2026-12-02T07:00:00Z", "expires_at": "2026-12-02T07:05:00Z",
            "accounts": []
        }))
        .unwrap();
        let scanned = Scanned::ServiceSignIn(ServiceSignInScanned {
            payload: "dinhdanh://login?v=2".into(),
            check_code: "123456".into(),
            sign_in: view,
        });
        let json = serde_json::to_value(&scanned).unwrap();
        assert_eq!(json["kind"], "service_sign_in");
        assert_eq!(json["sign_in"]["client_id"], "cli_demo");
        let back: Scanned = serde_json::from_value(json).unwrap();
        assert_eq!(back, scanned);
    }
}
