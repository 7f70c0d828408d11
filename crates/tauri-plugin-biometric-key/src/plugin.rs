//! [`BiometricKey`]: the app's handle on the native plugin. On Android and iOS every call goes
//! to the Kotlin or Swift code; on desktop there is no such key and every call answers
//! [`Error::Unavailable`] (the status answers "not available"), so the shell is written once.
//!
//! Calls block the calling thread until the native side answers — for `sign`, until the
//! person has looked at the prompt. Call them from a worker thread (an async Tauri command,
//! `spawn_blocking`), never from the main thread, which the native side needs to show the
//! prompt.

use dinhdanh_core::crypto::{PublicKey, Signature};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tauri::Runtime;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::format::{decode_base64, encode_base64, public_key_from_platform, signature_from_der};
use crate::wire::{
    KeyArgs, Prompt, PublicKeyAnswer, SecretAnswer, SecretArgs, SignAnswer, SignArgs, Status,
    check_name, cmd, key_alias,
};

/// The native plugin, managed as Tauri state by [`crate::init`]. Cheap to clone.
pub struct BiometricKey<R: Runtime> {
    #[cfg(mobile)]
    handle: tauri::plugin::PluginHandle<R>,
    #[cfg(not(mobile))]
    _runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for BiometricKey<R> {
    fn clone(&self) -> Self {
        BiometricKey {
            #[cfg(mobile)]
            handle: self.handle.clone(),
            #[cfg(not(mobile))]
            _runtime: std::marker::PhantomData,
        }
    }
}

impl<R: Runtime> BiometricKey<R> {
    /// The handle over a registered native plugin.
    #[cfg(mobile)]
    pub(crate) fn native(handle: tauri::plugin::PluginHandle<R>) -> Self {
        BiometricKey { handle }
    }

    /// The desktop's handle: nothing behind it.
    #[cfg(not(mobile))]
    pub(crate) fn desktop() -> Self {
        BiometricKey {
            _runtime: std::marker::PhantomData,
        }
    }

    /// Whether this build talks to a native plugin at all (false on every desktop).
    pub fn is_mobile(&self) -> bool {
        cfg!(mobile)
    }

    /// Hardware, enrolment and whether `profile` has a key. On desktop: all false.
    pub fn status(&self, profile: &str) -> Result<Status, Error> {
        let args = KeyArgs {
            alias: key_alias(profile)?,
        };
        if !self.is_mobile() {
            return Ok(Status::unavailable());
        }
        self.call(cmd::STATUS, args)
    }

    /// Creates `profile`'s key — P-256, in the Android Keystore (StrongBox when the phone has
    /// one) or the Secure Enclave, usable only after strong biometric authentication and
    /// destroyed when the enrolled biometrics change — replacing any previous key, and
    /// returns its public half for the server.
    ///
    /// Call it at binding, right before `Client::bind_finish`; the old key is gone from this
    /// moment, which matches binding: the previous registration of this device is replaced.
    pub fn create_key(&self, profile: &str) -> Result<PublicKey, Error> {
        let args = KeyArgs {
            alias: key_alias(profile)?,
        };
        let answer: PublicKeyAnswer = self.call(cmd::CREATE_KEY, args)?;
        Ok(public_key_from_platform(&decode_base64(
            &answer.public_key,
        )?)?)
    }

    /// The public half of `profile`'s key ([`Error::NoKey`] when there is none). Reading it
    /// needs no prompt.
    pub fn public_key(&self, profile: &str) -> Result<PublicKey, Error> {
        let args = KeyArgs {
            alias: key_alias(profile)?,
        };
        let answer: PublicKeyAnswer = self.call(cmd::PUBLIC_KEY, args)?;
        Ok(public_key_from_platform(&decode_base64(
            &answer.public_key,
        )?)?)
    }

    /// Deletes `profile`'s key (biometrics turned off, profile reset). Deleting a key that is
    /// not there is not an error.
    pub fn delete_key(&self, profile: &str) -> Result<(), Error> {
        let args = KeyArgs {
            alias: key_alias(profile)?,
        };
        self.call::<serde_json::Value>(cmd::DELETE_KEY, args)
            .map(drop)
    }

    /// Shows the platform's biometric prompt and, once the person passes it, signs `message`
    /// with `profile`'s key (ECDSA P-256 over SHA-256). The platform releases the key to the
    /// signature operation only after the authentication it checked itself; there is no
    /// "succeeded" flag anywhere that could be forged. The result is the canonical low-S
    /// signature the server accepts.
    pub fn sign(&self, profile: &str, message: &[u8], prompt: &Prompt) -> Result<Signature, Error> {
        let args = SignArgs {
            alias: key_alias(profile)?,
            message: encode_base64(message),
            prompt: prompt.clone(),
        };
        let answer: SignAnswer = self.call(cmd::SIGN, args)?;
        Ok(signature_from_der(&decode_base64(&answer.signature)?)?)
    }

    /// `secretGet`: the value of `name` in `namespace`, or `None`.
    pub(crate) fn secret_get(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        check_name(name)?;
        let answer: SecretAnswer = self.call(
            cmd::SECRET_GET,
            SecretArgs {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                value: None,
            },
        )?;
        answer
            .value
            .map(|text| decode_base64(&text).map(Zeroizing::new))
            .transpose()
            .map_err(Error::from)
    }

    /// `secretSet`: stores (or replaces) `name` in `namespace`.
    pub(crate) fn secret_set(
        &self,
        namespace: &str,
        name: &str,
        value: &[u8],
    ) -> Result<(), Error> {
        check_name(name)?;
        self.call::<serde_json::Value>(
            cmd::SECRET_SET,
            SecretArgs {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                value: Some(Zeroizing::new(encode_base64(value))),
            },
        )
        .map(drop)
    }

    /// `secretDelete`: removes `name` from `namespace`; a missing entry is not an error.
    pub(crate) fn secret_delete(&self, namespace: &str, name: &str) -> Result<(), Error> {
        check_name(name)?;
        self.call::<serde_json::Value>(
            cmd::SECRET_DELETE,
            SecretArgs {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                value: None,
            },
        )
        .map(drop)
    }

    /// One native call. The plugin's answers are small JSON objects; a rejection carries one
    /// of the codes in [`crate::error`].
    #[cfg(mobile)]
    fn call<T: DeserializeOwned>(&self, command: &str, args: impl Serialize) -> Result<T, Error> {
        use tauri::plugin::mobile::PluginInvokeError;
        self.handle
            .run_mobile_plugin(command, args)
            .map_err(|e| match e {
                PluginInvokeError::InvokeRejected(rejection) => {
                    Error::from_native(rejection.code.as_deref(), rejection.message.as_deref())
                }
                other => Error::Platform {
                    code: "bridge".into(),
                    detail: other.to_string(),
                },
            })
    }

    /// Desktop: there is no native side.
    #[cfg(not(mobile))]
    fn call<T: DeserializeOwned>(&self, _command: &str, _args: impl Serialize) -> Result<T, Error> {
        Err(Error::Unavailable)
    }
}
