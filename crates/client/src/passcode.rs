//! The passcode: set (entered twice, checked against the core crate's policy), change, and
//! confirm. The passcode never leaves the device and is never stored: argon2id turns it, with
//! a random salt held in the OS keystore, into the confirmation key, and both the digits and
//! the KDF output are wiped as soon as the key exists.
//!
//! Why a memory-hard KDF when the server counts wrong tries: whoever copies the public
//! confirmation key and the salt (a stolen, unlocked phone) could otherwise try all 10^6
//! passcodes offline in a second. At 64 MiB and 3 passes a try costs about a third of a second
//! and 64 MiB of memory, so the whole space costs days of a core and the memory bandwidth to
//! match, instead of a moment. The salt sits in the keystore, never beside the key.

use argon2::{Algorithm, Argon2, Params, Version};
use chrono::NaiveDate;
use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::crypto::KeyId;
use dinhdanh_core::ids::Passcode;
use dinhdanh_core::signed_action::{PendingAction, SignedActionEnvelope};
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::error::ClientError;
use crate::keys::{ConfirmationKey, SCALAR_LEN};

/// Length of the keystore-held salt.
pub const SALT_LEN: usize = 16;

/// argon2id parameters of the passcode KDF.
///
/// The default is the production setting: m = 64 MiB, t = 3, p = 1. RFC 9106 §4 recommends
/// argon2id with 64 MiB and t = 3 when 2 GiB is too much for the platform, which is a phone's
/// case; OWASP's floor (19 MiB, t = 2) is well below. One lane, because the `argon2` crate
/// computes lanes one after another: more lanes would only add time, not hardness. About
/// 0.2–0.5 s on a phone or laptop core, once per confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The production parameters (see the type's documentation).
    pub const PRODUCTION: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests only: 64 KiB, one pass. Never use them on a device: they
    /// make an offline search of all passcodes take seconds.
    pub fn insecure_for_tests() -> KdfParams {
        KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::PRODUCTION
    }
}

/// The random salt of the passcode KDF, made at binding (and at each passcode reset) and kept
/// in the OS keystore. No `Debug`, no serde; wiped on drop.
pub struct PasscodeSalt(Zeroizing<[u8; SALT_LEN]>);

impl PasscodeSalt {
    /// A fresh salt from the OS's random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; SALT_LEN]);
        OsRng.fill_bytes(bytes.as_mut_slice());
        PasscodeSalt(bytes)
    }

    /// A salt read back from the keystore.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, ClientError> {
        let array: [u8; SALT_LEN] = bytes.try_into().map_err(|_| ClientError::Keystore {
            detail: "the stored passcode salt has the wrong length".into(),
        })?;
        Ok(PasscodeSalt(Zeroizing::new(array)))
    }

    /// The bytes, for the keystore and the KDF.
    pub(crate) fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }
}

/// A passcode typed to confirm an action: exactly six ASCII digits, nothing more. It is not
/// checked against the policy for new passcodes: a passcode set under an older policy must
/// still work, and whether it is right is for the server to count. No `Debug`; wiped on drop.
pub struct EnteredPasscode(Zeroizing<[u8; 6]>);

impl EnteredPasscode {
    /// Takes what was typed (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        let trimmed = input.trim();
        // The policy type gives the same errors for "not six digits" as a new passcode does;
        // only its trivial-passcode and birth-date checks are skipped here.
        let bytes: [u8; 6] = trimmed.as_bytes().try_into().map_err(|_| {
            ClientError::Invalid(dinhdanh_core::error::IdError::new(
                dinhdanh_core::error::IdKind::Passcode,
                dinhdanh_core::error::IdProblem::WrongLength {
                    expected: "6",
                    found: trimmed.chars().count(),
                },
            ))
        })?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(ClientError::Invalid(dinhdanh_core::error::IdError::new(
                dinhdanh_core::error::IdKind::Passcode,
                dinhdanh_core::error::IdProblem::NotDigits,
            )));
        }
        Ok(EnteredPasscode(Zeroizing::new(bytes)))
    }

    fn digits(&self) -> &[u8; 6] {
        &self.0
    }
}

/// A new passcode, entered twice and checked against the policy (six digits, not trivial,
/// not a keypad pattern, not the date of birth when known).
pub fn new_passcode(
    first: &str,
    second: &str,
    date_of_birth: Option<NaiveDate>,
) -> Result<Passcode, ClientError> {
    let passcode = Passcode::parse(first.trim(), date_of_birth)?;
    if first.trim().as_bytes() != second.trim().as_bytes() {
        return Err(ClientError::PasscodeMismatch);
    }
    Ok(passcode)
}

/// Derives the confirmation key from six digits and the salt. The KDF output is wiped before
/// returning; the caller drops the digits.
fn derive(
    digits: &[u8; 6],
    salt: &PasscodeSalt,
    params: KdfParams,
) -> Result<ConfirmationKey, ClientError> {
    let kdf_error = |detail: String| ClientError::Protocol {
        code: "key_derivation_failed".into(),
        message_vi: "Không tạo được khóa xác nhận từ mã PIN.".into(),
        message_en: format!("The confirmation key could not be derived: {detail}"),
    };
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(SCALAR_LEN),
    )
    .map_err(|e| kdf_error(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; SCALAR_LEN]);
    argon
        .hash_password_into(digits, salt.as_bytes(), out.as_mut_slice())
        .map_err(|e| kdf_error(e.to_string()))?;
    let key = ConfirmationKey::from_kdf_output(&out, ConfirmationMethod::Passcode);
    out.zeroize();
    key
}

/// The confirmation key of a new passcode (at binding or reset).
pub fn derive_new_key(
    passcode: &Passcode,
    salt: &PasscodeSalt,
    params: KdfParams,
) -> Result<ConfirmationKey, ClientError> {
    derive(passcode.expose(), salt, params)
}

/// The confirmation key of a typed passcode, to confirm one action.
pub fn derive_key(
    passcode: &EnteredPasscode,
    salt: &PasscodeSalt,
    params: KdfParams,
) -> Result<ConfirmationKey, ClientError> {
    derive(passcode.digits(), salt, params)
}

/// Whatever confirms a sensitive action: it names its key (the signed action carries the key
/// id) and signs the prepared action. The passcode and the platform's biometric-bound key are
/// the two kinds; the API client takes either. `Send + Sync`, so a confirmed call can run on
/// any thread of the app's async runtime (the Tauri shell's commands).
pub trait Confirmer: Send + Sync {
    /// How the person confirms.
    fn method(&self) -> ConfirmationMethod;
    /// The id of the key that will sign.
    fn key_id(&self) -> Result<KeyId, ClientError>;
    /// Signs the prepared action (prompting the person where the platform does).
    fn confirm(&self, pending: PendingAction) -> Result<SignedActionEnvelope, ClientError>;
}

/// Confirmation with the passcode: the key derived from it for this confirmation. Dropped
/// (and wiped) as soon as the action is sent.
pub struct PasscodeConfirmer {
    key: ConfirmationKey,
}

impl PasscodeConfirmer {
    /// Derives the key from what was typed and the keystore's salt.
    pub fn new(
        passcode: &EnteredPasscode,
        salt: &PasscodeSalt,
        params: KdfParams,
    ) -> Result<Self, ClientError> {
        Ok(PasscodeConfirmer {
            key: derive_key(passcode, salt, params)?,
        })
    }
}

impl Confirmer for PasscodeConfirmer {
    fn method(&self) -> ConfirmationMethod {
        ConfirmationMethod::Passcode
    }

    fn key_id(&self) -> Result<KeyId, ClientError> {
        Ok(self.key.key_id())
    }

    fn confirm(&self, pending: PendingAction) -> Result<SignedActionEnvelope, ClientError> {
        self.key.sign(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_parameters_are_the_default_and_derive_deterministically() {
        assert_eq!(KdfParams::default(), KdfParams::PRODUCTION);
        assert_eq!(KdfParams::default().memory_kib, 65_536);
        assert_eq!(KdfParams::default().iterations, 3);
        assert_eq!(KdfParams::default().parallelism, 1);
        let salt = PasscodeSalt::from_bytes(&[9u8; SALT_LEN]).unwrap();
        let pin = EnteredPasscode::parse("380517").unwrap();
        let started = std::time::Instant::now();
        let a = derive_key(&pin, &salt, KdfParams::default()).unwrap();
        let once = started.elapsed();
        let b = derive_key(&pin, &salt, KdfParams::default()).unwrap();
        assert_eq!(a.public_key(), b.public_key(), "same passcode and salt");
        let other = derive_key(
            &EnteredPasscode::parse("380518").unwrap(),
            &salt,
            KdfParams::default(),
        )
        .unwrap();
        assert_ne!(a.public_key(), other.public_key(), "another passcode");
        let cheap = derive_key(&pin, &salt, KdfParams::insecure_for_tests()).unwrap();
        assert_ne!(
            a.public_key(),
            cheap.public_key(),
            "parameters are part of the key"
        );
        // A floor, not a benchmark: production parameters must cost real work.
        assert!(
            once.as_millis() >= 20,
            "argon2id at 64 MiB took only {once:?}"
        );
    }

    #[test]
    fn another_salt_gives_another_key() {
        let pin = EnteredPasscode::parse("380517").unwrap();
        let p = KdfParams::insecure_for_tests();
        let a = derive_key(&pin, &PasscodeSalt::generate(), p).unwrap();
        let b = derive_key(&pin, &PasscodeSalt::generate(), p).unwrap();
        assert_ne!(a.public_key(), b.public_key());
    }

    #[test]
    fn a_new_passcode_is_entered_twice_and_follows_the_policy() {
        let dob = NaiveDate::from_ymd_opt(1990, 5, 17);
        assert!(new_passcode("380517", "380517", dob).is_ok());
        assert!(matches!(
            new_passcode("380517", "380518", dob),
            Err(ClientError::PasscodeMismatch)
        ));
        let trivial = new_passcode("123456", "123456", dob).unwrap_err();
        assert_eq!(trivial.code(), "passcode.trivial_passcode");
        let birthday = new_passcode("170590", "170590", dob).unwrap_err();
        assert_eq!(birthday.code(), "passcode.passcode_is_birth_date");
        assert!(new_passcode("12345", "12345", None).is_err());
    }

    #[test]
    fn an_entered_passcode_is_six_digits_whatever_the_policy() {
        assert!(EnteredPasscode::parse("000000").is_ok());
        assert!(EnteredPasscode::parse(" 271828\n").is_ok());
        assert!(EnteredPasscode::parse("27182").is_err());
        assert!(EnteredPasscode::parse("27182a").is_err());
        assert!(EnteredPasscode::parse("2718281").is_err());
    }

    #[test]
    fn the_same_passcode_derives_the_same_key_for_binding_and_confirming() {
        let salt = PasscodeSalt::generate();
        let p = KdfParams::insecure_for_tests();
        let new = new_passcode("271828", "271828", None).unwrap();
        let set = derive_new_key(&new, &salt, p).unwrap();
        let typed = derive_key(&EnteredPasscode::parse("271828").unwrap(), &salt, p).unwrap();
        assert_eq!(set.public_key(), typed.public_key());
    }
}
