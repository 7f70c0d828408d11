//! Signed actions: what a person confirms on their device, in bytes the server can check.
//!
//! A sensitive action (consenting to a registration, adding a delegate, approving a QR login
//! ...) is confirmed with the device's *confirmation key* — derived from the passcode or bound
//! to the platform's biometrics. The device signs a [`SignedAction`]: every field that decides
//! what the action does, in one canonical byte string ([`SignedAction::to_bytes`]). The
//! server rebuilds nothing by hand: it calls [`verify`], which runs the same encoding and the
//! same [`crate::crypto::verify`] the device used, and compares each field with what the
//! server itself expects ([`Expectation`]).
//!
//! # Protocol
//!
//! 1. The server issues a fresh [`Challenge`] (16–64 random bytes, at least 32 recommended)
//!    and stores an [`Expectation`] for it: kind, target, account, organisation, origin.
//! 2. The device shows the person what they are confirming, builds a [`SignedAction`] with
//!    [`canonical_body_hash`] over exactly that content, and signs through a
//!    [`PendingAction`], which is used up by signing ([`PendingAction::finish`]).
//! 3. The server computes [`canonical_body_hash`] over the body it received, fills in the
//!    rest of the [`Expectation`] and calls [`verify`]. It must delete the challenge at the
//!    same time (one use), and store the action's counter.
//!
//! # Encoding (version 1)
//!
//! `len ‖ "dinhdanh/signed-action/v1"`, then in this order: kind (`u16` tag, see
//! [`ActionKind::tag`]), origin, challenge, account, acting-for organisation (presence byte
//! `0`/`1`, then the value), target, body hash, device key id, confirmation key id,
//! confirmation method (`u8` tag), counter (`u64`), time (`i64`). Variable fields carry a
//! big-endian `u64` byte-length prefix; integers are big-endian. Every field has a single
//! spelling (the parsers guarantee it), so different actions never encode the same.
//!
//! The confirmation method is *inside* the signed bytes (and so inside [`SignedAction`], not
//! beside it in the envelope): otherwise an intermediary could relabel a passcode confirmation
//! as a biometric one.

mod action;
mod canonical;
mod challenge;
mod error;
mod kind;
mod origin;
mod target;
mod verification;

pub use action::{DOMAIN, PendingAction, SignedAction, SignedActionEnvelope};
pub use canonical::{MAX_BODY_DEPTH, canonical_body_hash, canonical_json};
pub use challenge::Challenge;
pub use error::ActionError;
pub use kind::ActionKind;
pub use origin::Origin;
pub use target::ActionTarget;
pub use verification::{Expectation, verify};

#[cfg(test)]
mod tests;
