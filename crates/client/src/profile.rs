//! An app profile: a name (its own namespace in the OS keystore) and a data directory holding
//! what is not secret — which device and account this is, the current session's id, the
//! signed-action counter. Secrets are in the keystore only ([`crate::keystore`]); a test
//! checks that no file here ever contains one.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use dinhdanh_core::ids::{AccountId, CitizenId, DeviceId, OrgEid, SessionId};
use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// Longest profile name.
pub const MAX_NAME_LEN: usize = 32;

/// The file of a profile's state in its data directory.
pub const STATE_FILE: &str = "profile.json";

/// What a profile remembers between runs. Nothing here is a secret: ids, and the counter the
/// server requires to increase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileState {
    /// The bound device, once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// Whose device it is (asked at binding; sign-in needs it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen_id: Option<CitizenId>,
    /// The account, once signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    /// The date of birth, when known, for the passcode policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// The current session's id (its token is in the keystore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionId>,
    /// The organisation the session acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_for: Option<OrgEid>,
    /// The last signed-action counter used.
    #[serde(default)]
    pub counter: u64,
    /// The server this profile talks to, when the person chose one in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Signed in by QR from the phone (a desktop): the session is bound to an ephemeral key
    /// in the keystore, and this profile is never bound. Cleared when that session ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub signed_in_by_qr: bool,
}

/// A profile on disk.
#[derive(Clone, Debug)]
pub struct Profile {
    name: String,
    dir: PathBuf,
}

impl Profile {
    /// A profile named `name` (letters, digits, `-`, `_`; at most 32) keeping its state in
    /// `dir`, which is created when missing.
    pub fn open(name: &str, dir: impl Into<PathBuf>) -> Result<Self, ClientError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(ClientError::profile(
                "a profile name is 1-32 letters, digits, '-' or '_'",
            ));
        }
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(ClientError::profile)?;
        Ok(Profile {
            name: name.to_owned(),
            dir,
        })
    }

    /// The default data directory of `name`: `$XDG_DATA_HOME/dinhdanh/<name>`, else
    /// `~/.local/share/dinhdanh/<name>`.
    pub fn default_dir(name: &str) -> Result<PathBuf, ClientError> {
        let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
                .ok_or_else(|| ClientError::profile("neither XDG_DATA_HOME nor HOME is set"))?,
        };
        Ok(base.join("dinhdanh").join(name))
    }

    /// The profile's name (its keystore namespace).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the state; a profile never used has the empty state.
    pub fn load(&self) -> Result<ProfileState, ClientError> {
        match std::fs::read(self.dir.join(STATE_FILE)) {
            Ok(bytes) => crate::json::from_json(&bytes).map_err(ClientError::profile),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfileState::default()),
            Err(e) => Err(ClientError::profile(e)),
        }
    }

    /// Writes the state (to a temporary file, then renamed, so a crash leaves the old one).
    pub fn save(&self, state: &ProfileState) -> Result<(), ClientError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(ClientError::profile)?;
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        std::fs::write(&tmp, bytes).map_err(ClientError::profile)?;
        std::fs::rename(&tmp, self.dir.join(STATE_FILE)).map_err(ClientError::profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_safe_for_paths_and_keystore_namespaces() {
        let dir = std::env::temp_dir().join("dd-profile-names");
        assert!(Profile::open("phone", &dir).is_ok());
        assert!(Profile::open("computer_2", &dir).is_ok());
        for bad in ["", "../x", "a b", "tên", &"x".repeat(33)] {
            assert!(Profile::open(bad, &dir).is_err(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_state_round_trips_and_starts_empty() {
        let dir = std::env::temp_dir().join(format!("dd-profile-{}", std::process::id()));
        let p = Profile::open("phone", &dir).unwrap();
        assert_eq!(p.load().unwrap(), ProfileState::default());
        let state = ProfileState {
            counter: 41,
            device: Some(DeviceId::parse("dev_abc").unwrap()),
            ..ProfileState::default()
        };
        p.save(&state).unwrap();
        assert_eq!(p.load().unwrap(), state);
        let _ = std::fs::remove_dir_all(dir);
    }
}
