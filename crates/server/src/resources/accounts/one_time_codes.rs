//! One-time codes, shared by every flow that needs one: self-registration here, device
//! binding, passcode reset and self-lock in `devices`. A code is 6 uniform random digits,
//! stored only as a keyed hash bound to its pending operation, valid 5 minutes for 5 tries.

use dinhdanh_core::api::{CodeSent, ErrorCode, OneTimeCode};
use dinhdanh_core::ids::{Email, PhoneNumber};
use zeroize::Zeroizing;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::Channel;
use crate::infra::rate_limit::{self, DAY_SECS, hex};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::accounts;
use crate::store::audit::{self, AuditRecord};
use crate::store::one_time_codes::{self, NewCode};
use crate::store::tx::Tx;

/// The purposes one-time codes are issued for (`pending_codes.purpose`). A code redeems only
/// for the purpose it was issued for.
pub mod purpose {
    /// Self-registration of a level-1 account (SMS).
    pub const SELF_REGISTRATION: &str = "self_registration";
    /// Binding a device (SMS or e-mail).
    pub const DEVICE_BINDING: &str = "device_binding";
    /// Resetting a forgotten passcode (SMS).
    pub const PASSCODE_RESET: &str = "passcode_reset";
    /// Locking one's own account after losing the phone (e-mail).
    pub const SELF_LOCK: &str = "self_lock";
}

/// Codes one person may be sent for one purpose per rate-limit window: sending an SMS costs
/// money and annoys its receiver, so no one can make the server send them in bulk.
const CODES_PER_PERSON_PER_WINDOW: i64 = 10;

/// Codes one person may be sent for one purpose per day (the SMS flood over a whole day).
const CODES_PER_PERSON_PER_DAY: i64 = 20;

/// Wrong codes one person may enter for one purpose per day, over all the codes sent. With 5
/// tries per code alone, asking for code after code would allow a slow guess (10^6 codes):
/// this caps it at 10 in a million a day, and once it is reached no more codes are sent
/// either. Per purpose, so failures at someone's self-registration or binding never keep
/// the owner from locking the account.
const CODE_FAILURES_PER_PERSON_PER_DAY: i64 = 10;

/// The rate-limit bucket of `kind` for one person (`citizen_key`, already a keyed hash) and
/// one purpose.
fn bucket(kind: &str, purpose: &str, citizen_key: &[u8]) -> String {
    format!("{kind}:{purpose}:{}", hex(citizen_key))
}

/// Six uniformly random digits from the OS CSPRNG (rejection sampling: no digit string is
/// likelier than another).
fn random_code() -> Zeroizing<String> {
    // The largest multiple of 10^6 that fits in u32; values at or above it are drawn again.
    const ZONE: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let x = u32::from_be_bytes(crate::infra::ids::random_bytes::<4>());
        if x < ZONE {
            return Zeroizing::new(format!("{:06}", x % 1_000_000));
        }
    }
}

/// Constant-time equality of two hashes.
fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn code_use_vi(purpose: &str) -> &'static str {
    match purpose {
        purpose::SELF_REGISTRATION => "đăng ký tài khoản định danh điện tử",
        purpose::DEVICE_BINDING => "liên kết thiết bị",
        purpose::PASSCODE_RESET => "đặt lại mã PIN",
        purpose::SELF_LOCK => "khóa tài khoản",
        _ => "xác thực",
    }
}

/// Issues a one-time code for `purpose` and sends it to `recipient` (a phone number for
/// [`Channel::Sms`], an e-mail address for [`Channel::Email`]), as part of the action `tx`.
///
/// The code is stored only as `keys.code_hash(pending_id, code)`; `payload_json` is kept
/// with it for the flow's second step (put no secret and no clear identification number in
/// it). A new code for the same person and purpose voids the previous one, so pending codes
/// cannot be piled up to multiply the tries. At most [`CODES_PER_PERSON_PER_WINDOW`] codes
/// per person and purpose per rate-limit window and [`CODES_PER_PERSON_PER_DAY`] per day, and
/// none once the person has entered [`CODE_FAILURES_PER_PERSON_PER_DAY`] wrong codes for the
/// purpose today (`rate_limited`). The counts are steps of `tx`: a code that was not sent
/// (the action failed) is not counted.
pub async fn issue_code(
    tx: &mut Tx,
    state: &AppState,
    purpose: &str,
    citizen_key: &[u8],
    payload_json: &str,
    channel: Channel,
    recipient: &str,
) -> ServerResult<CodeSent> {
    let now = tx.now();
    let window = state.config.limits.rate_window_secs;
    rate_limit::check_on(
        tx.conn()?,
        now,
        &bucket("code_failures", purpose, citizen_key),
        CODE_FAILURES_PER_PERSON_PER_DAY,
        DAY_SECS,
    )
    .await?;
    rate_limit::hit_on(
        tx.conn()?,
        now,
        &bucket("codes", purpose, citizen_key),
        CODES_PER_PERSON_PER_WINDOW,
        window,
    )
    .await?;
    rate_limit::hit_on(
        tx.conn()?,
        now,
        &bucket("codes_day", purpose, citizen_key),
        CODES_PER_PERSON_PER_DAY,
        DAY_SECS,
    )
    .await?;
    one_time_codes::clear(tx.conn()?, purpose, citizen_key).await?;
    let pending_id = new_id("otp");
    let code = random_code();
    let expires_at = now + state.config.limits.code_ttl_secs;
    one_time_codes::insert(
        tx.conn()?,
        NewCode {
            id: &pending_id,
            purpose,
            citizen_key,
            code_hash: state.keys.code_hash(&pending_id, &code),
            payload: payload_json,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    let account = accounts::id_by_key(tx.conn()?, citizen_key).await?;
    let minutes = state.config.limits.code_ttl_secs / 60;
    let body = Zeroizing::new(format!(
        "Mã xác thực Định Danh để {} của bạn là {}. Mã có hiệu lực trong {minutes} phút. \
         Không cung cấp mã này cho bất kỳ ai.",
        code_use_vi(purpose),
        code.as_str()
    ));
    tx.send(
        account.as_deref(),
        channel,
        recipient,
        &format!("code.{purpose}"),
        "Mã xác thực Định Danh",
        &body,
    )
    .await?;
    let sent_to = match channel {
        Channel::Sms => PhoneNumber::parse(recipient).map(|p| p.masked()),
        Channel::Email => Email::parse(recipient).map(|e| e.masked()),
    }
    .unwrap_or_else(|_| "***".to_owned());
    Ok(CodeSent {
        pending_id,
        sent_to,
        expires_at: timestamp(expires_at),
    })
}

/// Redeems a one-time code: on success the pending operation is used up and its citizen key
/// and payload returned. A wrong, expired, used-up or unknown code is `one_time_code_invalid`
/// (the same answer for all, so nothing is learnt by probing).
///
/// Attempts are counted atomically before the code is compared (`UPDATE … SET attempts =
/// attempts + 1 … RETURNING`), so concurrent guesses each use a try; the fifth wrong one voids
/// the code. Each attempt is also reserved against the person's wrong codes for the purpose
/// today ([`CODE_FAILURES_PER_PERSON_PER_DAY`], over all codes; `rate_limited` beyond) and
/// given back when the code was right. Of two concurrent right answers only one wins the
/// final `DELETE`. Runs on its own before the action's transaction, like a confirmation: a
/// counted try stays counted, and a redeemed code stays used, whatever the action then does.
pub async fn redeem_code(
    state: &AppState,
    purpose: &str,
    pending_id: &str,
    code: &OneTimeCode,
) -> ServerResult<(Vec<u8>, String)> {
    let invalid = || ServerError::code(ErrorCode::OneTimeCodeInvalid);
    // The connection is let go before the wrong code is audited: the audit append (and the
    // checkpoint after it) take connections of their own, which a task holding one must not
    // wait for.
    let (citizen_key, voided) = {
        let conn = &mut *state.pool.acquire().await?;
        let attempt = one_time_codes::count_attempt(
            conn,
            pending_id,
            purpose,
            state.now(),
            state.config.limits.code_attempts,
        )
        .await?
        .ok_or_else(invalid)?;
        let citizen_key = attempt.citizen_key;
        let failures = bucket("code_failures", purpose, &citizen_key);
        let reserved = rate_limit::hit_on(
            conn,
            state.now(),
            &failures,
            CODE_FAILURES_PER_PERSON_PER_DAY,
            DAY_SECS,
        )
        .await?;
        let expected = state.keys.code_hash(pending_id, code.expose());
        if same_hash(&expected, &attempt.code_hash) {
            rate_limit::give_back_on(conn, &failures, reserved).await?;
            if !one_time_codes::delete(conn, pending_id).await? {
                return Err(invalid());
            }
            return Ok((citizen_key, attempt.payload));
        }
        let voided = attempt.attempts >= state.config.limits.code_attempts;
        if voided {
            one_time_codes::delete(conn, pending_id).await?;
        }
        (citizen_key, voided)
    };
    let action = format!(
        "one_time_code.{purpose}.{}",
        if voided { "voided" } else { "wrong" }
    );
    audit::append(
        state,
        AuditRecord {
            action: &action,
            subject_key: Some(&citizen_key),
            denied: true,
            ..AuditRecord::default()
        },
    )
    .await?;
    Err(invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200)
            .map(|_| random_code().as_str().to_owned())
            .collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 190, "200 draws from a million rarely repeat");
    }

    #[test]
    fn hashes_compare_in_full() {
        assert!(same_hash(&[1, 2, 3], &[1, 2, 3]));
        assert!(!same_hash(&[1, 2, 3], &[1, 2, 4]));
        assert!(!same_hash(&[1, 2], &[1, 2, 3]));
    }
}
