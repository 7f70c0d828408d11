//! What a signed action does, and the permanent number each kind has in the signed bytes.

use serde::{Deserialize, Serialize};

/// What a signed action does. The serde name (snake_case) is its text tag; [`ActionKind::tag`]
/// is the number in the signed bytes. Tags are permanent: a retired kind keeps its number and
/// a new kind takes the next free one.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Submit a registration of an organisation (Decree 69/2024, Art. 12).
    RegisterOrganisation,
    /// A legal representative consents to a registration submitted by someone else.
    ConsentToRegistration,
    /// A legal representative refuses such a registration.
    RefuseRegistration,
    /// Answer the authority's request for more information on a registration.
    AnswerInformationRequest,
    /// Withdraw a registration before it is decided.
    WithdrawRegistration,
    /// Authorise a person to act for an organisation.
    AddDelegate,
    /// End a person's authorisation to act for an organisation.
    RevokeDelegate,
    /// Change a delegate's role within the organisation.
    ChangeDelegateRole,
    /// Accept an invitation to act for an organisation.
    AcceptDelegation,
    /// Decline an invitation to act for an organisation.
    DeclineDelegation,
    /// Switch between the personal account and an organisation account.
    SwitchAccount,
    /// Approve a desktop's QR login (the desktop gets a session bound to its key).
    ApproveQrLogin,
    /// Retired: declining a desktop's QR login is one tap, not a signed action (see
    /// docs/design/sessions-and-confirmation.md). The server accepts no signature of this kind.
    DeclineQrLogin,
    /// Confirm on the phone an action started in a desktop session.
    ConfirmDesktopAction,
    /// Bind this device (and its keys) to the account.
    BindDevice,
    /// Remove another device from the account.
    UnbindDevice,
    /// Set the confirmation passcode for the first time.
    SetPasscode,
    /// Change or reset the confirmation passcode.
    ResetPasscode,
    /// Enrol a biometric-bound confirmation key.
    EnrolBiometric,
    /// Remove the biometric-bound confirmation key.
    RemoveBiometric,
    /// Change the account's phone number or e-mail address.
    ChangeContact,
    /// Change an organisation's recorded details (name, address ...).
    UpdateOrganisationInfo,
    /// Lock the account (for example after losing a device).
    LockAccount,
    /// End a session (this one or another listed one).
    EndSession,
    /// An officer approves, rejects or asks about a registration request.
    ReviewRegistration,
    /// An officer locks or unlocks a personal or organisation account (Decree 69/2024, Art. 15).
    ChangeAccountLock,
    /// Prove the person is present (passcode or biometrics) before a sensitive screen opens,
    /// e.g. the first step of the registration wizard; nothing is changed.
    StepUp,
    /// Approve a sign-in to a relying party (a service using this server as its OpenID
    /// provider), naming the service, its redirect origin, the claims and the account.
    ApproveOidcSignIn,
    /// Retired: declining a sign-in to a relying party is one tap, not a signed action. The
    /// server accepts no signature of this kind.
    DeclineOidcSignIn,
    /// Set the services (relying parties) a delegation lets its delegate sign in to as the
    /// organisation, with their dates.
    SetDelegationServices,
    /// An officer files a registration at the counter for a person who came with their
    /// documents (Cách 2): the form, the scanned documents' digests and the consents given on
    /// paper, confirmed on the officer's phone.
    RegisterInPerson,
    /// Add a day to the working-day calendar's table, or remove one: due dates of open
    /// requests are counted on it (asked at the officer console by a calendar keeper).
    ChangeHolidayTable,
}

impl ActionKind {
    /// Every kind, in tag order.
    pub const ALL: [ActionKind; 32] = [
        ActionKind::RegisterOrganisation,
        ActionKind::ConsentToRegistration,
        ActionKind::RefuseRegistration,
        ActionKind::AnswerInformationRequest,
        ActionKind::WithdrawRegistration,
        ActionKind::AddDelegate,
        ActionKind::RevokeDelegate,
        ActionKind::SwitchAccount,
        ActionKind::ApproveQrLogin,
        ActionKind::DeclineQrLogin,
        ActionKind::BindDevice,
        ActionKind::SetPasscode,
        ActionKind::ResetPasscode,
        ActionKind::LockAccount,
        ActionKind::EndSession,
        ActionKind::ConfirmDesktopAction,
        ActionKind::ChangeDelegateRole,
        ActionKind::AcceptDelegation,
        ActionKind::DeclineDelegation,
        ActionKind::UnbindDevice,
        ActionKind::EnrolBiometric,
        ActionKind::RemoveBiometric,
        ActionKind::ChangeContact,
        ActionKind::UpdateOrganisationInfo,
        ActionKind::ReviewRegistration,
        ActionKind::ChangeAccountLock,
        ActionKind::StepUp,
        ActionKind::ApproveOidcSignIn,
        ActionKind::DeclineOidcSignIn,
        ActionKind::SetDelegationServices,
        ActionKind::RegisterInPerson,
        ActionKind::ChangeHolidayTable,
    ];

    /// The permanent number of this kind in the signed bytes.
    pub fn tag(self) -> u16 {
        match self {
            ActionKind::RegisterOrganisation => 1,
            ActionKind::ConsentToRegistration => 2,
            ActionKind::RefuseRegistration => 3,
            ActionKind::AnswerInformationRequest => 4,
            ActionKind::WithdrawRegistration => 5,
            ActionKind::AddDelegate => 6,
            ActionKind::RevokeDelegate => 7,
            ActionKind::SwitchAccount => 8,
            ActionKind::ApproveQrLogin => 9,
            ActionKind::DeclineQrLogin => 10,
            ActionKind::BindDevice => 11,
            ActionKind::SetPasscode => 12,
            ActionKind::ResetPasscode => 13,
            ActionKind::LockAccount => 14,
            ActionKind::EndSession => 15,
            ActionKind::ConfirmDesktopAction => 16,
            ActionKind::ChangeDelegateRole => 17,
            ActionKind::AcceptDelegation => 18,
            ActionKind::DeclineDelegation => 19,
            ActionKind::UnbindDevice => 20,
            ActionKind::EnrolBiometric => 21,
            ActionKind::RemoveBiometric => 22,
            ActionKind::ChangeContact => 23,
            ActionKind::UpdateOrganisationInfo => 24,
            ActionKind::ReviewRegistration => 25,
            ActionKind::ChangeAccountLock => 26,
            ActionKind::StepUp => 27,
            ActionKind::ApproveOidcSignIn => 28,
            ActionKind::DeclineOidcSignIn => 29,
            ActionKind::SetDelegationServices => 30,
            ActionKind::RegisterInPerson => 31,
            ActionKind::ChangeHolidayTable => 32,
        }
    }

    /// The kind with this tag, if any.
    pub fn from_tag(tag: u16) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }
}
