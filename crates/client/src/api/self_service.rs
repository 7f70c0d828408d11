//! Self-service: locking one's own account after losing the phone (from any device), the
//! person's data and the audit entries about them (Decree 13/2023/NĐ-CP), and an
//! organisation's activity for its owners and administrators. The passcode reset and device
//! binding are in the client's main module, beside the keys they change.

use dinhdanh_core::api::{
    AccountView, AuditEntry, CodeSent, ErrorCode, OneTimeCode, OrganisationActivityEntry,
    PersonalDataView, SecretText, SelfLockFinish, SelfLockStart, paths,
};
use dinhdanh_core::ids::{CitizenId, OrgEid};
use reqwest::Method;

use super::{Auth, Client};
use crate::error::ClientError;

/// A self-lock between its two steps: the code was sent. Keeps the identification number and
/// the password in memory only (the password is zeroised when this drops), to ask the server
/// whether the account is locked should the connection break while locking. Read by
/// [`Client::self_lock_finish`], which may be called again after a mistyped code.
pub struct SelfLockStarted {
    citizen_id: CitizenId,
    password: SecretText,
    /// Where the code went (masked) and until when it works.
    pub sent: CodeSent,
}

impl std::fmt::Debug for SelfLockStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfLockStarted")
            .field("citizen_id", &self.citizen_id.masked())
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

/// What [`Client::self_lock_finish`] came to.
#[derive(Debug)]
pub enum SelfLocked {
    /// The account is locked: the server's answer, the account as it now stands.
    Locked(AccountView),
    /// The connection broke on the way, and the server, asked afterwards, says the account is
    /// locked (it answers nothing more about a locked account).
    LockedWhileDisconnected,
    /// The connection broke on the way, and the server, asked afterwards, shows the account
    /// is not locked: nothing changed. Asking sent a new code (where `sent` says); the person
    /// types it to lock.
    NotDone(SelfLockStarted),
}

impl Client {
    /// *Khóa tài khoản*, step 1, from any device — bound or not, signed in or not: the
    /// identification number and the password; the code goes by e-mail (by SMS when there is
    /// no e-mail), since the phone may be in someone else's hands.
    pub async fn self_lock_start(
        &self,
        citizen_id: &CitizenId,
        password: SecretText,
    ) -> Result<SelfLockStarted, ClientError> {
        let sent: CodeSent = self
            .call(
                Method::POST,
                paths::SELF_LOCK_START,
                Some(&SelfLockStart {
                    citizen_id: citizen_id.clone(),
                    password: password.clone(),
                }),
                Auth::None,
            )
            .await?;
        Ok(SelfLockStarted {
            citizen_id: citizen_id.clone(),
            password,
            sent,
        })
    }

    /// Step 2: the code. The account is locked, every session ends and the bound device is
    /// unbound; only an officer unlocks it. When the account is this profile's own, the
    /// profile forgets its binding (the server no longer knows its keys).
    ///
    /// When the connection breaks on the way, the server is asked — step 1 again, with the
    /// password kept in memory: a locked account is refused there (`account_locked`), so the
    /// lock is done ([`SelfLocked::LockedWhileDisconnected`]); an account that is not locked
    /// gets a new code ([`SelfLocked::NotDone`]: the old code may or may not have been used,
    /// the new one settles it). When the server cannot be asked either,
    /// [`ClientError::ActionOutcomeUnknown`]: the app does not guess.
    pub async fn self_lock_finish(
        &self,
        started: &SelfLockStarted,
        code: OneTimeCode,
    ) -> Result<SelfLocked, ClientError> {
        let sent = self
            .call(
                Method::POST,
                paths::SELF_LOCK_FINISH,
                Some(&SelfLockFinish {
                    pending_id: started.sent.pending_id.clone(),
                    code,
                }),
                Auth::None,
            )
            .await;
        let outcome = match sent {
            Ok(view) => SelfLocked::Locked(view),
            Err(ClientError::Network { .. } | ClientError::Timeout) => {
                match self
                    .self_lock_start(&started.citizen_id, started.password.clone())
                    .await
                {
                    Err(e) if e.is(ErrorCode::AccountLocked) => SelfLocked::LockedWhileDisconnected,
                    Ok(again) => return Ok(SelfLocked::NotDone(again)),
                    Err(_) => return Err(ClientError::ActionOutcomeUnknown),
                }
            }
            Err(e) => return Err(e),
        };
        self.forget_binding_of(&started.citizen_id)?;
        Ok(outcome)
    }

    /// After this person's account was locked: when this profile is bound to it, the server
    /// has unbound the device and ended its sessions, so the profile forgets both.
    fn forget_binding_of(&self, citizen_id: &CitizenId) -> Result<(), ClientError> {
        if self.lock_state().citizen_id.as_ref() != Some(citizen_id) {
            return Ok(());
        }
        self.forget_binding()
    }

    /// Everything held about the signed-in person (the server audits the reading).
    pub async fn my_data(&self) -> Result<PersonalDataView, ClientError> {
        self.call::<(), _>(Method::GET, paths::MY_DATA, None, Auth::Session)
            .await
    }

    /// The audit entries about the signed-in person, newest first.
    pub async fn my_audit(&self) -> Result<Vec<AuditEntry>, ClientError> {
        let mut entries: Vec<AuditEntry> = self
            .call::<(), _>(Method::GET, paths::MY_AUDIT, None, Auth::Session)
            .await?;
        // The server answers the chain's order (oldest first); a person reads the latest first.
        entries.reverse();
        Ok(entries)
    }

    /// Who acted for the organisation, from which device, when, newest first (its owners and
    /// administrators; anyone else is refused `forbidden`).
    pub async fn organisation_activity(
        &self,
        eid: &OrgEid,
    ) -> Result<Vec<OrganisationActivityEntry>, ClientError> {
        self.call::<(), _>(
            Method::GET,
            &paths::fill(paths::ORGANISATION_ACTIVITY, "eid", eid.as_str()),
            None,
            Auth::Session,
        )
        .await
    }
}
