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

use serde::{Deserialize, Serialize};

use crate::account::ConfirmationMethod;
use crate::crypto::{
    self, CanonicalWriter, CryptoError, Digest32, KeyId, Material, PublicKey, Signature,
    parse_decimal,
};
use crate::error::{IdError, IdKind, IdProblem};
use crate::ids::{AccountId, OrgEid};

/// Domain-separation tag of the version-1 encoding.
pub const DOMAIN: &str = "dinhdanh/signed-action/v1";

// ---------------------------------------------------------------------------------------------
// Origin
// ---------------------------------------------------------------------------------------------

/// The origin of a Định Danh server, e.g. `https://dinhdanh.example.vn`: the server a
/// signature is meant for.
///
/// Grammar: `https://` host [`:` port], where host is a lower-case DNS name
/// (`[a-z0-9-]` labels of 1–63 characters, not starting or ending with `-`) or a dotted IPv4
/// address. `http://` is accepted only for `localhost` and `127.0.0.1`, for development and
/// tests. No path, query, fragment, user info, trailing dot or default port — one origin has
/// one spelling, so it compares byte for byte. The alphabet (`a-z 0-9 . - : /`) needs no
/// percent-encoding in a URI query, which keeps the QR-login payload simple. At most
/// [`Origin::MAX_LEN`] characters, so a QR code carrying it stays small.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

impl Origin {
    /// Longest origin accepted; chosen so the QR-login payload fits a version-10 QR code.
    pub const MAX_LEN: usize = 80;

    /// Parses an origin (see the type's grammar). Never normalises: upper case, a trailing
    /// slash or an explicit default port are errors, not silently fixed.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::Origin, p);
        let bad = |detail_vi, detail_en| {
            err(IdProblem::BadFormat {
                detail_vi,
                detail_en,
            })
        };
        if input.len() > Self::MAX_LEN {
            return Err(err(IdProblem::TooLong { max: Self::MAX_LEN }));
        }
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let (secure, rest) = if let Some(rest) = input.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = input.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad(
                "phải bắt đầu bằng https://",
                "must start with https://",
            ));
        };
        if rest.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad("phải viết thường", "must be lower case"));
        }
        if rest.bytes().any(|b| matches!(b, b'/' | b'?' | b'#')) {
            return Err(bad(
                "chỉ gồm tên máy chủ và cổng, không có đường dẫn",
                "must be a host and port only, without a path",
            ));
        }
        if !rest.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':')
        }) {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        let (host, port) = match rest.split_once(':') {
            None => (rest, None),
            Some((host, port)) => (host, Some(port)),
        };
        check_host(host).map_err(|(vi, en)| bad(vi, en))?;
        if let Some(port) = port {
            let n = parse_decimal(port, 5)
                .filter(|n| (1..=65535).contains(n))
                .ok_or_else(|| bad("cổng không hợp lệ", "has an invalid port"))?;
            if n == if secure { 443 } else { 80 } {
                return Err(bad(
                    "không ghi cổng mặc định",
                    "must not spell out the default port",
                ));
            }
        }
        if !secure && !matches!(host, "localhost" | "127.0.0.1") {
            return Err(bad(
                "phải dùng https (http chỉ dành cho máy cục bộ)",
                "must use https (http is for the local machine only)",
            ));
        }
        Ok(Origin(input.to_owned()))
    }
}

crate::ids::string_id!(Origin);

fn check_host(host: &str) -> Result<(), (&'static str, &'static str)> {
    const BAD_HOST: (&str, &str) = ("tên máy chủ không hợp lệ", "has an invalid host name");
    if host.is_empty() || host.len() > 253 {
        return Err(BAD_HOST);
    }
    let labels: Vec<&str> = host.split('.').collect();
    for label in &labels {
        let ok = (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(BAD_HOST);
        }
    }
    // A name whose last label is numeric is not a DNS name, so it must be an IPv4 address.
    let numeric_tail = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if numeric_tail {
        let ipv4 = labels.len() == 4
            && labels
                .iter()
                .all(|l| parse_decimal(l, 3).is_some_and(|n| n <= 255));
        if !ipv4 {
            return Err(BAD_HOST);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ActionTarget
// ---------------------------------------------------------------------------------------------

/// The object an action is about, as `type:id`, e.g. `registration:REQ123`,
/// `delegation:dlg_7`, `qr_login:<rendezvous id>`, `account:acc_1` for actions on the account
/// itself.
///
/// `type` is 1–32 characters of `[a-z_]` starting with a letter; `id` is 1–64 characters of
/// `[A-Za-z0-9_-]` (the alphabet of server-issued ids and of base64url).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionTarget(String);

impl ActionTarget {
    /// Longest target accepted: 32 + 1 + 64 characters.
    pub const MAX_LEN: usize = 97;

    /// Parses `type:id`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::ActionTarget, p);
        if input.len() > Self::MAX_LEN {
            return Err(err(IdProblem::TooLong { max: Self::MAX_LEN }));
        }
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let Some((kind, id)) = input.split_once(':') else {
            return Err(err(IdProblem::BadFormat {
                detail_vi: "phải có dạng loại:mã",
                detail_en: "must look like type:id",
            }));
        };
        let kind_ok = (1..=32).contains(&kind.len())
            && kind.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let id_ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(kind_ok && id_ok) {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        Ok(ActionTarget(input.to_owned()))
    }

    /// Builds a target from its two halves.
    pub fn new(kind: &str, id: &str) -> Result<Self, IdError> {
        // Refuse a ':' in the kind here, where `parse` alone would read it as the separator.
        if kind.contains(':') {
            return Err(IdError::new(
                IdKind::ActionTarget,
                IdProblem::ForbiddenCharacter,
            ));
        }
        Self::parse(&format!("{kind}:{id}"))
    }

    /// The type half, e.g. `registration`.
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map_or("", |(k, _)| k)
    }

    /// The id half, e.g. `REQ123`.
    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, i)| i)
    }
}

crate::ids::string_id!(ActionTarget);

// ---------------------------------------------------------------------------------------------
// Challenge
// ---------------------------------------------------------------------------------------------

/// A server-issued, single-use challenge: 16–64 random bytes, base64url on the wire.
///
/// The server draws the bytes (this crate has no randomness); 32 is the recommended size.
/// Equality is constant-time.
#[derive(Clone)]
pub struct Challenge(Vec<u8>);

impl Challenge {
    /// Fewest bytes accepted.
    pub const MIN_LEN: usize = 16;
    /// Most bytes accepted.
    pub const MAX_LEN: usize = 64;

    /// Wraps random bytes drawn by the server.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(CryptoError::WrongLength {
                what: Material::Challenge,
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
                found: bytes.len(),
            });
        }
        Ok(Challenge(bytes.to_vec()))
    }

    /// Parses the base64url form.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        crypto::base64url_decode(text, Material::Challenge, Self::MIN_LEN, Self::MAX_LEN)
            .map(Challenge)
    }

    /// The challenge bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Challenge {
    fn eq(&self, other: &Self) -> bool {
        crypto::ct_eq(&self.0, &other.0)
    }
}

impl Eq for Challenge {}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Challenge({self})")
    }
}

crypto::base64url_string!(Challenge);

// ---------------------------------------------------------------------------------------------
// ActionKind
// ---------------------------------------------------------------------------------------------

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
    /// Decline a desktop's QR login.
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
}

impl ActionKind {
    /// Every kind, in tag order.
    pub const ALL: [ActionKind; 27] = [
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
        }
    }

    /// The kind with this tag, if any.
    pub fn from_tag(tag: u16) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

fn method_tag(method: ConfirmationMethod) -> u8 {
    // Permanent numbers, like ActionKind tags; a new method must get a new number here.
    match method {
        ConfirmationMethod::Passcode => 1,
        ConfirmationMethod::Biometric => 2,
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical body hash
// ---------------------------------------------------------------------------------------------

/// Deepest nesting of arrays/objects accepted in an action body.
pub const MAX_BODY_DEPTH: usize = 32;

/// The canonical JSON of an action body: object keys sorted by their UTF-8 bytes, no
/// whitespace, integers only, strings escaped as `serde_json` escapes them.
///
/// Keys are sorted here rather than relying on `serde_json::Map` being a `BTreeMap`, because
/// any crate in a build enabling `serde_json/preserve_order` would silently change that.
/// Floats are rejected ([`ActionError::BodyNotCanonical`]): their text form is not stable
/// across implementations. Note that `serde_json` turns a non-finite float into `null` before
/// this function sees it, so bodies must not carry floats at all — amounts are integers.
pub fn canonical_json<T: Serialize + ?Sized>(body: &T) -> Result<Vec<u8>, ActionError> {
    let value = serde_json::to_value(body).map_err(|_| ActionError::BodyNotCanonical {
        detail_vi: "không chuyển được sang JSON",
        detail_en: "cannot be represented as JSON",
    })?;
    let mut out = Vec::with_capacity(128);
    write_canonical(&value, 0, &mut out)?;
    Ok(out)
}

/// SHA-256 of [`canonical_json`]: the `body_hash` of a [`SignedAction`]. The device hashes the
/// content it showed the person; the server hashes the body it received, parsed into the same
/// type, with this same function.
pub fn canonical_body_hash<T: Serialize + ?Sized>(body: &T) -> Result<Digest32, ActionError> {
    canonical_json(body).map(|bytes| crypto::sha256(&bytes))
}

fn write_canonical(
    value: &serde_json::Value,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), ActionError> {
    use serde_json::Value;
    if depth > MAX_BODY_DEPTH {
        return Err(ActionError::BodyNotCanonical {
            detail_vi: "lồng nhau quá sâu",
            detail_en: "is nested too deeply",
        });
    }
    let string = |s: &str, out: &mut Vec<u8>| {
        serde_json::to_writer(&mut *out, s).map_err(|_| ActionError::BodyNotCanonical {
            detail_vi: "chuỗi không ghi được",
            detail_en: "has a string that cannot be written",
        })
    };
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(ActionError::BodyNotCanonical {
                    detail_vi: "có số thực (chỉ được dùng số nguyên)",
                    detail_en: "contains a float (integers only)",
                });
            }
        }
        Value::String(s) => string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, depth + 1, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out)?;
                out.push(b':');
                write_canonical(item, depth + 1, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SignedAction, PendingAction, envelope
// ---------------------------------------------------------------------------------------------

/// The statement a device signs to confirm a sensitive action. Every field is a parsed type,
/// so a value of this type is always encodable; see the module documentation for the bytes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAction {
    /// What the action does.
    pub kind: ActionKind,
    /// The server the action is meant for.
    pub origin: Origin,
    /// The server-issued challenge this action answers.
    pub challenge: Challenge,
    /// The account of the person confirming.
    pub account: AccountId,
    /// The organisation the person acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The object the action is about.
    pub target: ActionTarget,
    /// [`canonical_body_hash`] of everything the person confirmed.
    pub body_hash: Digest32,
    /// Key id of the confirming device's device key.
    pub device_key_id: KeyId,
    /// Key id of the confirmation key that signs.
    pub confirmation_key_id: KeyId,
    /// How the person unlocked the confirmation key.
    pub method: ConfirmationMethod,
    /// The confirmation key's signature counter; strictly increasing per key, so the server
    /// notices a replay or a cloned key.
    pub counter: u64,
    /// When the device signed, in Unix seconds.
    pub time: i64,
}

impl SignedAction {
    /// The canonical, injective bytes that are signed (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(DOMAIN);
        w.u16(self.kind.tag());
        w.bytes(self.origin.as_str().as_bytes());
        w.bytes(self.challenge.as_bytes());
        w.bytes(self.account.as_str().as_bytes());
        w.optional(self.acting_for.as_ref().map(|o| o.as_str().as_bytes()));
        w.bytes(self.target.as_str().as_bytes());
        w.bytes(self.body_hash.as_bytes());
        w.bytes(self.device_key_id.as_bytes());
        w.bytes(self.confirmation_key_id.as_bytes());
        w.u8(method_tag(self.method));
        w.u64(self.counter);
        w.i64(self.time);
        w.finish()
    }
}

/// An action the device has prepared and not yet signed — the `start` half on the device.
///
/// Signing uses it up ([`PendingAction::finish`], [`PendingAction::sign_with`]), so one
/// prepared action yields at most one envelope.
#[derive(Debug)]
pub struct PendingAction {
    action: SignedAction,
}

impl PendingAction {
    /// Prepares `action` for signing.
    pub fn new(action: SignedAction) -> Self {
        PendingAction { action }
    }

    /// The action being confirmed, for display.
    pub fn action(&self) -> &SignedAction {
        &self.action
    }

    /// The bytes to hand to a platform keystore that signs with ECDSA P-256/SHA-256.
    pub fn bytes_to_sign(&self) -> Vec<u8> {
        self.action.to_bytes()
    }

    /// Attaches the signature made over [`PendingAction::bytes_to_sign`], after checking it
    /// with the very check the server will run: the key must be the action's confirmation
    /// key and the signature must verify. A mistake surfaces on the device, not as a
    /// rejection from the server.
    pub fn finish(
        self,
        signature: Signature,
        confirmation_key: &PublicKey,
    ) -> Result<SignedActionEnvelope, ActionError> {
        check_signature(&self.action, &signature, confirmation_key)?;
        Ok(SignedActionEnvelope {
            action: self.action,
            signature,
        })
    }

    /// Signs with a software-held confirmation key and finishes.
    pub fn sign_with(
        self,
        confirmation_key: &p256::ecdsa::SigningKey,
    ) -> Result<SignedActionEnvelope, ActionError> {
        let signature = crypto::sign_with(confirmation_key, &self.action.to_bytes());
        let public = PublicKey::from_verifying_key(confirmation_key.verifying_key());
        self.finish(signature, &public)
    }
}

/// A signed action as it travels from device to server.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedActionEnvelope {
    /// The signed statement.
    pub action: SignedAction,
    /// Signature by the confirmation key over [`SignedAction::to_bytes`].
    pub signature: Signature,
}

impl SignedActionEnvelope {
    /// How the person confirmed (signed as part of the action).
    pub fn method(&self) -> ConfirmationMethod {
        self.action.method
    }
}

// ---------------------------------------------------------------------------------------------
// Server-side verification
// ---------------------------------------------------------------------------------------------

/// What the server expects of a signed action: everything it knows independently of the
/// envelope. Built from the stored challenge, the route, the received body and the account's
/// registered keys.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// The action the route performs.
    pub kind: ActionKind,
    /// This server's own origin (configuration, never the request's Host header).
    pub origin: Origin,
    /// The challenge the server issued and stored.
    pub challenge: Challenge,
    /// The account of the session.
    pub account: AccountId,
    /// The organisation the session acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The object the route acts on.
    pub target: ActionTarget,
    /// [`canonical_body_hash`] of the body the server received.
    pub body_hash: Digest32,
    /// Key id of the device the confirmation key belongs to.
    pub device_key_id: KeyId,
    /// The method the confirmation key is registered for.
    pub method: ConfirmationMethod,
    /// The last counter accepted for this confirmation key, if any: the action's must be
    /// greater.
    pub previous_counter: Option<u64>,
    /// The server's current time, Unix seconds.
    pub now: i64,
    /// How old (in seconds) a confirmation may be.
    pub max_age_secs: u32,
    /// How far (in seconds) the device's clock may run ahead of the server's.
    pub max_future_secs: u32,
}

fn check_signature(
    action: &SignedAction,
    signature: &Signature,
    confirmation_key: &PublicKey,
) -> Result<(), ActionError> {
    if action.confirmation_key_id != confirmation_key.key_id() {
        return Err(ActionError::WrongConfirmationKey);
    }
    crypto::verify(confirmation_key, &action.to_bytes(), signature)?;
    Ok(())
}

/// Verifies a signed action on the server.
///
/// Checks, in order: the key is the action's confirmation key; the signature verifies (so
/// nothing below is read from unauthenticated input); kind, origin, challenge, account,
/// organisation, target, body hash, device key and method equal the [`Expectation`]; the
/// counter increased; the time is neither older than `max_age_secs` nor more than
/// `max_future_secs` ahead.
///
/// Not checked here, and the server's job: that the challenge is deleted on use (one
/// challenge, one action), that the new counter is stored, and that the confirmation key is
/// one the account has registered and not revoked.
pub fn verify(
    envelope: &SignedActionEnvelope,
    confirmation_key: &PublicKey,
    expected: &Expectation,
) -> Result<(), ActionError> {
    let a = &envelope.action;
    check_signature(a, &envelope.signature, confirmation_key)?;
    let checks = [
        (a.kind == expected.kind, ActionError::WrongKind),
        (a.origin == expected.origin, ActionError::WrongOrigin),
        (
            a.challenge == expected.challenge,
            ActionError::WrongChallenge,
        ),
        (a.account == expected.account, ActionError::WrongAccount),
        (
            a.acting_for == expected.acting_for,
            ActionError::WrongOrganisation,
        ),
        (a.target == expected.target, ActionError::WrongTarget),
        (a.body_hash == expected.body_hash, ActionError::WrongBody),
        (
            a.device_key_id == expected.device_key_id,
            ActionError::WrongDeviceKey,
        ),
        (a.method == expected.method, ActionError::WrongMethod),
    ];
    for (ok, error) in checks {
        if !ok {
            return Err(error);
        }
    }
    if expected
        .previous_counter
        .is_some_and(|previous| a.counter <= previous)
    {
        return Err(ActionError::CounterNotIncreasing);
    }
    if expected.now.saturating_sub(a.time) > i64::from(expected.max_age_secs) {
        return Err(ActionError::Expired);
    }
    if a.time.saturating_sub(expected.now) > i64::from(expected.max_future_secs) {
        return Err(ActionError::FromTheFuture);
    }
    Ok(())
}

/// Why a signed action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum ActionError {
    /// A key, signature or challenge is malformed, or the signature does not verify.
    Crypto(#[from] CryptoError),
    /// Signed for another kind of action than the route performs.
    WrongKind,
    /// Signed for another server.
    WrongOrigin,
    /// Answers another challenge (or a used one).
    WrongChallenge,
    /// Signed for another account.
    WrongAccount,
    /// Signed while acting for another organisation (or for none).
    WrongOrganisation,
    /// Signed for another object.
    WrongTarget,
    /// The content confirmed is not the content sent.
    WrongBody,
    /// Signed on another device.
    WrongDeviceKey,
    /// The confirmation key is not the action's.
    WrongConfirmationKey,
    /// Signed with another confirmation method than the key is registered for.
    WrongMethod,
    /// The counter did not increase: a replay or a cloned key.
    CounterNotIncreasing,
    /// Older than the server allows.
    Expired,
    /// Signed at a time ahead of the server's clock by more than allowed.
    FromTheFuture,
    /// The action body has no canonical form.
    BodyNotCanonical {
        /// What is wrong, in Vietnamese.
        detail_vi: &'static str,
        /// What is wrong, in English.
        detail_en: &'static str,
    },
}

impl ActionError {
    /// Stable machine code, e.g. `signed_action.wrong_origin`.
    pub fn code(&self) -> String {
        let code = match self {
            ActionError::Crypto(e) => return e.code(),
            ActionError::WrongKind => "wrong_kind",
            ActionError::WrongOrigin => "wrong_origin",
            ActionError::WrongChallenge => "wrong_challenge",
            ActionError::WrongAccount => "wrong_account",
            ActionError::WrongOrganisation => "wrong_organisation",
            ActionError::WrongTarget => "wrong_target",
            ActionError::WrongBody => "wrong_body",
            ActionError::WrongDeviceKey => "wrong_device_key",
            ActionError::WrongConfirmationKey => "wrong_confirmation_key",
            ActionError::WrongMethod => "wrong_method",
            ActionError::CounterNotIncreasing => "counter_not_increasing",
            ActionError::Expired => "expired",
            ActionError::FromTheFuture => "from_the_future",
            ActionError::BodyNotCanonical { .. } => "body_not_canonical",
        };
        format!("signed_action.{code}")
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            ActionError::Crypto(e) => e.message_vi(),
            ActionError::WrongKind => {
                "Thao tác đã ký không phải thao tác đang được xác nhận.".into()
            }
            ActionError::WrongOrigin => "Thao tác được ký cho một máy chủ khác.".into(),
            ActionError::WrongChallenge => "Mã thách thức không khớp hoặc đã được dùng.".into(),
            ActionError::WrongAccount => "Thao tác được ký cho một tài khoản khác.".into(),
            ActionError::WrongOrganisation => {
                "Thao tác được ký khi đại diện cho một tổ chức khác.".into()
            }
            ActionError::WrongTarget => "Thao tác được ký cho một đối tượng khác.".into(),
            ActionError::WrongBody => "Nội dung đã xác nhận khác với nội dung gửi lên.".into(),
            ActionError::WrongDeviceKey => "Thao tác được ký trên một thiết bị khác.".into(),
            ActionError::WrongConfirmationKey => "Khoá xác nhận không đúng.".into(),
            ActionError::WrongMethod => "Phương thức xác nhận không đúng.".into(),
            ActionError::CounterNotIncreasing => {
                "Bộ đếm chữ ký không tăng: có thể là phát lại hoặc khoá bị sao chép.".into()
            }
            ActionError::Expired => "Xác nhận đã hết hạn, vui lòng thử lại.".into(),
            ActionError::FromTheFuture => {
                "Đồng hồ của thiết bị chạy nhanh hơn máy chủ, vui lòng chỉnh lại giờ.".into()
            }
            ActionError::BodyNotCanonical { detail_vi, .. } => {
                format!("Nội dung thao tác không hợp lệ: {detail_vi}.")
            }
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            ActionError::Crypto(e) => e.message_en(),
            ActionError::WrongKind => "The signed action is not the action being confirmed.".into(),
            ActionError::WrongOrigin => "The action was signed for a different server.".into(),
            ActionError::WrongChallenge => {
                "The challenge does not match or was already used.".into()
            }
            ActionError::WrongAccount => "The action was signed for a different account.".into(),
            ActionError::WrongOrganisation => {
                "The action was signed while acting for a different organisation.".into()
            }
            ActionError::WrongTarget => "The action was signed for a different object.".into(),
            ActionError::WrongBody => "The confirmed content differs from the content sent.".into(),
            ActionError::WrongDeviceKey => "The action was signed on a different device.".into(),
            ActionError::WrongConfirmationKey => {
                "The confirmation key is not the right one.".into()
            }
            ActionError::WrongMethod => "The confirmation method is not the right one.".into(),
            ActionError::CounterNotIncreasing => {
                "The signature counter did not increase: a replay or a cloned key.".into()
            }
            ActionError::Expired => "The confirmation has expired; please try again.".into(),
            ActionError::FromTheFuture => {
                "The device clock is ahead of the server; please correct the time.".into()
            }
            ActionError::BodyNotCanonical { detail_en, .. } => {
                format!("The action content is invalid: it {detail_en}.")
            }
        }
    }
}

#[cfg(test)]
mod tests;
