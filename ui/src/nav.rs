//! Which screen is shown, which follows which, and the actions that wait for the passcode.

use dinhdanh_core::api::{
    AddDelegate, ApiError, DelegatedService, DelegationAnswer, DelegationView, ErrorCode,
    RegistrationView, RevokeDelegate, SessionView, SetDelegationServices,
};
use dinhdanh_core::app::{AppStatus, DeviceRole, QrScanned, ServiceSignInScanned};
use dinhdanh_core::ids::{OrgEid, RegistrationId, SessionId};
use dinhdanh_core::org_type::{OrgType, OrganisationDetails};

use crate::i18n::Lang;

/// A screen of the app, with what it needs to show.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// Asking the shell where the app stands (the first moment of every start).
    Loading,
    /// First run: server address and the three ways in.
    FirstRun,
    /// Self-registration (level 1): who the person is, then the code and a password.
    SelfRegister,
    /// Binding, step 1: identification number and password.
    Bind,
    /// Binding, step 2: the one-time code.
    BindCode {
        /// Where the code went (masked).
        sent_to: String,
    },
    /// Binding, step 3: the new passcode, twice.
    PasscodeSet {
        /// The one-time code typed on the previous step.
        code: String,
    },
    /// Signing in on a bound device.
    SignIn,
    /// Home.
    Home,
    /// *Đổi tài khoản*.
    AccountSwitcher,
    /// Wizard: choose the type.
    WizardType,
    /// Wizard: the type's form.
    WizardForm,
    /// Wizard: review before confirming.
    WizardReview,
    /// A request's page.
    Request {
        /// The request.
        id: RegistrationId,
        /// Shown right after submitting ("request created").
        created: bool,
    },
    /// The person's requests.
    Requests,
    /// The inbox.
    Inbox,
    /// An organisation's page.
    Organisation(OrgEid),
    /// Desktop: *Đăng nhập bằng mã QR*.
    QrDesktop,
    /// Phone: *Quét mã QR*.
    QrScan,
    /// Phone: approve or decline a scanned login.
    QrApprove(Box<QrScanned>),
    /// Phone: *Đăng nhập vào <service>*: approve or decline a scanned sign-in to another
    /// service.
    ServiceSignIn(Box<ServiceSignInScanned>),
    /// Phone: the sign-in to a service was approved; the browser goes on by itself.
    ServiceSignInDone {
        /// The service's registered name in Vietnamese.
        name_vi: String,
        /// The same in English.
        name_en: String,
    },
    /// The passcode keypad for an action waiting for confirmation.
    Confirm(Box<Pending>),
    /// The person's sessions.
    Sessions,
    /// Phone: the desktop's actions waiting for confirmation here.
    DesktopActions,
    /// The services the person consented to share data with, each withdrawable.
    ServiceConsents,
    /// The services a delegation allows (owners and administrators choose them).
    DelegationServices(Box<DelegationServicesEdit>),
    /// *Tài khoản và bảo mật*: the passcode, locking the account, the person's data and
    /// activity.
    Security,
    /// *Quên mã PIN* / *Đổi mã PIN*: the password, the code, the new passcode twice.
    PasscodeReset,
    /// *Khóa tài khoản*: from any device (the phone may be lost), signed in or not.
    LockAccount,
    /// *Dữ liệu cá nhân*: everything held about the person.
    MyData,
    /// *Hoạt động của tôi*: the audit entries about the person.
    MyActivity,
    /// *Hoạt động của tổ chức*: who acted for the organisation (owners and administrators).
    OrganisationActivity(OrgEid),
}

/// The services screen of one delegation: the delegation as read, and the list being chosen,
/// kept across the keypad so *Hủy* or a refusal brings the person back to what they chose.
#[derive(Clone, Debug, PartialEq)]
pub struct DelegationServicesEdit {
    /// The delegation, as the organisation's list gave it.
    pub delegation: DelegationView,
    /// The list chosen so far; `None`: start from the delegation's own.
    pub draft: Option<Vec<DelegatedService>>,
}

impl DelegationServicesEdit {
    /// The request that sets the chosen list (the draft, else the delegation's own list).
    pub fn request(&self) -> SetDelegationServices {
        let services = self.draft.clone().unwrap_or_else(|| {
            self.delegation
                .services
                .iter()
                .flatten()
                .map(|s| DelegatedService {
                    client_id: s.client_id.clone(),
                    from: s.from,
                    until: s.until,
                })
                .collect()
        });
        SetDelegationServices {
            organisation: self.delegation.organisation.clone(),
            delegation: self.delegation.id.clone(),
            services,
        }
    }
}

impl Screen {
    /// The root element's id (`screen-…`, see docs/design/ui-test-ids.md).
    pub fn element_id(&self) -> &'static str {
        match self {
            Screen::Loading => "screen-loading",
            Screen::FirstRun => "screen-first-run",
            Screen::SelfRegister => "screen-self-register",
            Screen::Bind => "screen-bind",
            Screen::BindCode { .. } => "screen-bind-code",
            Screen::PasscodeSet { .. } => "screen-passcode-set",
            Screen::SignIn => "screen-sign-in",
            Screen::Home => "screen-home",
            Screen::AccountSwitcher => "screen-account-switcher",
            Screen::WizardType => "screen-wizard-type",
            Screen::WizardForm => "screen-wizard-form",
            Screen::WizardReview => "screen-wizard-review",
            Screen::Request { .. } => "screen-request",
            Screen::Requests => "screen-requests",
            Screen::Inbox => "screen-inbox",
            Screen::Organisation(_) => "screen-organisation",
            Screen::QrDesktop => "screen-qr-desktop",
            Screen::QrScan => "screen-qr-scan",
            Screen::QrApprove(_) => "screen-qr-approve",
            Screen::ServiceSignIn(_) => "screen-service-sign-in",
            Screen::ServiceSignInDone { .. } => "screen-service-sign-in-done",
            Screen::Confirm(_) => "screen-passcode-confirm",
            Screen::Sessions => "screen-sessions",
            Screen::DesktopActions => "screen-desktop-action",
            Screen::ServiceConsents => "screen-service-consents",
            Screen::DelegationServices(_) => "screen-delegation-services",
            Screen::Security => "screen-security",
            Screen::PasscodeReset => "screen-passcode-reset",
            Screen::LockAccount => "screen-lock-account",
            Screen::MyData => "screen-my-data",
            Screen::MyActivity => "screen-my-activity",
            Screen::OrganisationActivity(_) => "screen-organisation-activity",
        }
    }

    /// Whether the screen belongs to a signed-in person (shows the header's account and the
    /// navigation).
    pub fn is_signed_in_screen(&self) -> bool {
        !matches!(
            self,
            Screen::Loading
                | Screen::FirstRun
                | Screen::SelfRegister
                | Screen::Bind
                | Screen::BindCode { .. }
                | Screen::PasscodeSet { .. }
                | Screen::SignIn
                | Screen::QrDesktop
        )
    }
}

/// The screen to show for the app's state: home when signed in, the password on a bound
/// device, the first-run screen otherwise (a new profile, or a desktop whose QR session ended).
pub fn entry_screen(status: &AppStatus) -> Screen {
    match (status.role, &status.signed_in) {
        (_, Some(_)) => Screen::Home,
        (DeviceRole::Bound, None) => Screen::SignIn,
        (DeviceRole::New | DeviceRole::QrDesktop, None) => Screen::FirstRun,
    }
}

/// Whether an error means the session is gone, so the app must ask the shell where it stands
/// and show the sign-in (nothing typed is lost: forms keep their state).
pub fn ends_session(error: &ApiError) -> bool {
    matches!(
        error.kind(),
        Some(
            ErrorCode::Unauthenticated
                | ErrorCode::SessionExpired
                | ErrorCode::DeviceNotBound
                | ErrorCode::DeviceRebindRequired
        )
    )
}

/// Whether the person may manage bindings and delegates here: not on a desktop signed in by
/// QR (issue 8: such a desktop acts with the account's rights but manages no one).
pub fn may_manage(status: &AppStatus) -> bool {
    status.role == DeviceRole::Bound
}

/// Whether `pending` is confirmed on the phone rather than on a keypad here: a desktop signed
/// in by QR holds no confirmation key, and the phone confirms the actions a desktop may start
/// (submitting a registration, switching the desktop's account).
pub fn confirms_on_phone(status: &AppStatus, pending: &Pending) -> bool {
    status.role == DeviceRole::QrDesktop
        && matches!(
            pending,
            Pending::SubmitRegistration { .. } | Pending::SwitchAccount { .. }
        )
}

/// Whether the step-up before the registration wizard is skipped: on a QR desktop there is no
/// key to prove presence with, and the submission itself is confirmed on the phone.
pub fn skips_identity_step_up(status: &AppStatus) -> bool {
    status.role == DeviceRole::QrDesktop
}

/// A sensitive action waiting for the passcode (or the biometric key).
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// Confirm who starts a registration (guidance step 3), then choose the type.
    StartRegistration,
    /// Switch to an organisation, or back to the personal account.
    SwitchAccount {
        /// `None`: the personal account.
        to: Option<OrgEid>,
    },
    /// Submit the registration.
    SubmitRegistration {
        /// The type.
        org_type: OrgType,
        /// The validated details.
        details: Box<OrganisationDetails>,
    },
    /// Answer an officer's question.
    AnswerInformation {
        /// The request.
        id: RegistrationId,
        /// The answer.
        answer: String,
    },
    /// A co-representative consents to or refuses a request filed in their name: the request
    /// as the screen showed it (its digest is signed).
    AnswerConsent {
        /// The request as shown.
        shown: Box<RegistrationView>,
        /// Consent (`true`) or refuse.
        consent: bool,
    },
    /// The requester withdraws their own request.
    WithdrawRegistration {
        /// The request.
        id: RegistrationId,
        /// The organisation's name, for the keypad's title.
        name: String,
    },
    /// Add a delegate.
    AddDelegate(AddDelegate),
    /// Revoke a delegation.
    RevokeDelegate(RevokeDelegate),
    /// Accept or decline an authorisation.
    AnswerDelegation(DelegationAnswer),
    /// Sign a desktop out.
    EndSession(SessionId),
    /// Approve a QR login.
    QrApprove {
        /// The scanned code.
        scanned: Box<QrScanned>,
        /// The account chosen; `None` for the personal one.
        account: Option<OrgEid>,
    },
    /// Approve a sign-in to another service, as the screen showed it.
    ServiceSignIn {
        /// The scanned code and what the server said about it.
        scanned: Box<ServiceSignInScanned>,
        /// The account chosen; `None` for the personal one.
        account: Option<OrgEid>,
    },
    /// Set the services a delegation allows: the edit's draft is the list signed.
    SetDelegationServices(Box<DelegationServicesEdit>),
    /// Phone: confirm a desktop's action (its id; the phone signs the body the server keeps
    /// and showed in the list).
    ConfirmDesktopAction {
        /// The pending action's id.
        id: String,
        /// Its summary in Vietnamese, for the keypad's title.
        summary_vi: String,
        /// The same in English.
        summary_en: String,
    },
}

impl Pending {
    /// What the keypad screen says is being confirmed.
    pub fn title(&self, lang: Lang) -> String {
        let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
        match self {
            Pending::StartRegistration => t(
                "Nhập mã PIN để bắt đầu đăng ký định danh tổ chức",
                "Enter your passcode to start registering an organisation",
            ),
            Pending::SwitchAccount { to: Some(eid) } => match lang {
                Lang::Vi => format!("Nhập mã PIN để chuyển sang tài khoản tổ chức {eid}"),
                Lang::En => format!("Enter your passcode to switch to organisation {eid}"),
            },
            Pending::SwitchAccount { to: None } => t(
                "Nhập mã PIN để quay về tài khoản cá nhân",
                "Enter your passcode to return to your personal account",
            ),
            Pending::SubmitRegistration { .. } => t(
                "Nhập mã PIN để xác nhận các thông tin trên là đúng và gửi yêu cầu",
                "Enter your passcode to confirm the details are true and send the request",
            ),
            Pending::AnswerInformation { .. } => t(
                "Nhập mã PIN để gửi câu trả lời cho cán bộ",
                "Enter your passcode to send your answer to the officer",
            ),
            Pending::AnswerConsent { shown, consent } => {
                let name = crate::format::label(shown.details.name_vi.as_str());
                match (lang, consent) {
                    (Lang::Vi, true) => format!("Nhập mã PIN để đồng ý đăng ký {name}"),
                    (Lang::Vi, false) => format!("Nhập mã PIN để từ chối đăng ký {name}"),
                    (Lang::En, true) => {
                        format!("Enter your passcode to consent to registering {name}")
                    }
                    (Lang::En, false) => {
                        format!("Enter your passcode to refuse registering {name}")
                    }
                }
            }
            Pending::WithdrawRegistration { name, .. } => {
                let name = crate::format::label(name);
                match lang {
                    Lang::Vi => format!("Nhập mã PIN để rút yêu cầu đăng ký {name}"),
                    Lang::En => {
                        format!("Enter your passcode to withdraw the request to register {name}")
                    }
                }
            }
            Pending::AddDelegate(_) => t(
                "Nhập mã PIN để ủy quyền cho người được chọn",
                "Enter your passcode to authorise this person",
            ),
            Pending::RevokeDelegate(_) => t(
                "Nhập mã PIN để thu hồi ủy quyền",
                "Enter your passcode to revoke the authorisation",
            ),
            Pending::AnswerDelegation(a) if a.accept => t(
                "Nhập mã PIN để nhận ủy quyền",
                "Enter your passcode to accept the authorisation",
            ),
            Pending::AnswerDelegation(_) => t(
                "Nhập mã PIN để từ chối ủy quyền",
                "Enter your passcode to decline the authorisation",
            ),
            Pending::EndSession(_) => t(
                "Nhập mã PIN để đăng xuất máy tính",
                "Enter your passcode to sign the computer out",
            ),
            Pending::QrApprove { .. } => t(
                "Nhập mã PIN để đăng nhập trên máy tính",
                "Enter your passcode to sign in on the computer",
            ),
            Pending::ServiceSignIn { scanned, .. } => {
                let view = &scanned.sign_in;
                match lang {
                    Lang::Vi => format!(
                        "Nhập mã PIN để đăng nhập vào {}",
                        crate::format::label(&view.client_name_vi)
                    ),
                    Lang::En => format!(
                        "Enter your passcode to sign in to {}",
                        crate::format::label(&view.client_name_en)
                    ),
                }
            }
            Pending::SetDelegationServices(edit) => {
                let name = crate::format::label(&edit.delegation.person.full_name);
                match lang {
                    Lang::Vi => format!(
                        "Nhập mã PIN để xác nhận các dịch vụ {name} được đăng nhập thay mặt tổ chức"
                    ),
                    Lang::En => format!(
                        "Enter your passcode to confirm the services {name} may sign in to for the organisation"
                    ),
                }
            }
            Pending::ConfirmDesktopAction {
                summary_vi,
                summary_en,
                ..
            } => match lang {
                Lang::Vi => format!("Nhập mã PIN để xác nhận yêu cầu từ máy tính: {summary_vi}"),
                Lang::En => {
                    format!("Enter your passcode to confirm the computer's request: {summary_en}")
                }
            },
        }
    }

    /// What the desktop's waiting panel says is being confirmed on the phone.
    pub fn title_on_phone(&self, lang: Lang) -> String {
        let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
        match self {
            Pending::SubmitRegistration { .. } => t(
                "Xác nhận trên điện thoại để gửi yêu cầu đăng ký",
                "Confirm on your phone to send the registration request",
            ),
            Pending::SwitchAccount { to: Some(eid) } => match lang {
                Lang::Vi => {
                    format!("Xác nhận trên điện thoại để chuyển sang tài khoản tổ chức {eid}")
                }
                Lang::En => format!("Confirm on your phone to switch to organisation {eid}"),
            },
            Pending::SwitchAccount { to: None } => t(
                "Xác nhận trên điện thoại để quay về tài khoản cá nhân",
                "Confirm on your phone to return to your personal account",
            ),
            other => other.title(lang),
        }
    }

    /// Where "Hủy" on the keypad goes back to.
    pub fn cancel_to(&self) -> Screen {
        match self {
            Pending::StartRegistration | Pending::SwitchAccount { .. } => Screen::AccountSwitcher,
            Pending::SubmitRegistration { .. } => Screen::WizardReview,
            Pending::AnswerInformation { id, .. } => Screen::Request {
                id: id.clone(),
                created: false,
            },
            Pending::AnswerConsent { shown, .. } => Screen::Request {
                id: shown.id.clone(),
                created: false,
            },
            Pending::WithdrawRegistration { id, .. } => Screen::Request {
                id: id.clone(),
                created: false,
            },
            Pending::AddDelegate(d) => Screen::Organisation(d.organisation.clone()),
            Pending::RevokeDelegate(r) => Screen::Organisation(r.organisation.clone()),
            Pending::AnswerDelegation(_) => Screen::Inbox,
            Pending::EndSession(_) => Screen::Sessions,
            Pending::QrApprove { scanned, .. } => Screen::QrApprove(scanned.clone()),
            Pending::ServiceSignIn { scanned, .. } => Screen::ServiceSignIn(scanned.clone()),
            Pending::SetDelegationServices(edit) => Screen::DelegationServices(edit.clone()),
            Pending::ConfirmDesktopAction { .. } => Screen::DesktopActions,
        }
    }
}

/// A session other than a phone's: the ones that may be signed out from the list.
pub fn is_desktop(session: &SessionView) -> bool {
    session.kind == dinhdanh_core::api::SessionKind::Desktop
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::api::AccountView;
    use dinhdanh_core::app::SignedInView;

    fn status(role: DeviceRole, signed_in: bool) -> AppStatus {
        let account: AccountView = serde_json::from_value(serde_json::json!({
            "id": "acc_1", "full_name": "Nguyễn Thị Lan", "citizen_id_masked": "001*******345",
            "level": "level2", "locked": false
        }))
        .unwrap();
        AppStatus {
            profile: "default".into(),
            server: "http://127.0.0.1:8640".into(),
            role,
            bound_to: None,
            signed_in: signed_in.then_some(SignedInView {
                account,
                acting_for: None,
            }),
            biometric_available: false,
            platform_scanner: false,
        }
    }

    #[test]
    fn a_new_profile_starts_at_the_first_run_screen() {
        assert_eq!(
            entry_screen(&status(DeviceRole::New, false)),
            Screen::FirstRun
        );
    }

    #[test]
    fn a_bound_device_asks_for_the_password_then_goes_home() {
        assert_eq!(
            entry_screen(&status(DeviceRole::Bound, false)),
            Screen::SignIn
        );
        assert_eq!(entry_screen(&status(DeviceRole::Bound, true)), Screen::Home);
    }

    #[test]
    fn a_desktop_whose_qr_session_ended_offers_the_qr_login_again() {
        assert_eq!(
            entry_screen(&status(DeviceRole::QrDesktop, false)),
            Screen::FirstRun
        );
        assert_eq!(
            entry_screen(&status(DeviceRole::QrDesktop, true)),
            Screen::Home
        );
    }

    #[test]
    fn a_qr_signed_in_desktop_manages_no_one() {
        assert!(!may_manage(&status(DeviceRole::QrDesktop, true)));
        assert!(may_manage(&status(DeviceRole::Bound, true)));
    }

    #[test]
    fn an_expired_session_sends_the_person_to_sign_in_but_a_wrong_passcode_does_not() {
        assert!(ends_session(&ApiError::new(ErrorCode::SessionExpired)));
        assert!(!ends_session(&ApiError::new(ErrorCode::WrongConfirmation)));
    }

    #[test]
    fn screen_ids_follow_the_test_contract() {
        assert_eq!(Screen::FirstRun.element_id(), "screen-first-run");
        let pending = Pending::SwitchAccount { to: None };
        assert_eq!(
            Screen::Confirm(Box::new(pending.clone())).element_id(),
            "screen-passcode-confirm"
        );
        assert_eq!(pending.cancel_to(), Screen::AccountSwitcher);
        assert!(pending.title(Lang::Vi).contains("mã PIN"));
        assert_eq!(Screen::DesktopActions.element_id(), "screen-desktop-action");
        let from_desktop = Pending::ConfirmDesktopAction {
            id: "dact_1".into(),
            summary_vi: "Chuyển máy tính về tài khoản cá nhân".into(),
            summary_en: "Switch the computer back to the personal account".into(),
        };
        assert_eq!(from_desktop.cancel_to(), Screen::DesktopActions);
        assert!(from_desktop.title(Lang::En).contains("personal account"));
    }

    #[test]
    fn a_qr_desktop_confirms_registration_and_switching_on_the_phone_only() {
        let desktop = status(DeviceRole::QrDesktop, true);
        let phone = status(DeviceRole::Bound, true);
        let switch = Pending::SwitchAccount { to: None };
        assert!(confirms_on_phone(&desktop, &switch));
        assert!(!confirms_on_phone(&phone, &switch));
        assert!(!confirms_on_phone(&desktop, &Pending::StartRegistration));
        assert!(skips_identity_step_up(&desktop));
        assert!(!skips_identity_step_up(&phone));
    }
}
