//! The state machine of a sign-in to a relying party. The store moves a row only along these
//! transitions (each a conditional `UPDATE` naming the state it leaves), and the later login
//! page, the phone and the token endpoint all read the same states.
//!
//! ```text
//! pending ──approve──▶ approved ──issue code──▶ code_issued ──redeem──▶ redeemed
//!    │                                               │                     │
//!    ├──decline──▶ declined                          └──────replay─────────┴──▶ revoked
//!    │
//!    └──refresh (expired, unanswered)──▶ retired    (a new pending sign-in replaces it)
//! ```
//!
//! A pending sign-in also ends by time: after [`super::SIGN_IN_SECS`] no answer is accepted,
//! and a code is redeemable for [`super::CODE_SECS`].

use serde::{Deserialize, Serialize};

/// Where a sign-in is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInState {
    /// Waiting for the phone.
    Pending,
    /// Approved on the phone; the browser has not collected its code yet.
    Approved,
    /// Declined on the phone.
    Declined,
    /// The browser holding the cookie got the code.
    CodeIssued,
    /// The relying party redeemed the code for tokens.
    Redeemed,
    /// A code was presented again: everything issued from it is revoked.
    Revoked,
    /// Expired unanswered and replaced by a new sign-in for the same request ("new code").
    Retired,
}

/// What happens to a sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInEvent {
    /// The phone approves.
    Approve,
    /// The phone declines.
    Decline,
    /// The bound browser collects its code.
    IssueCode,
    /// The relying party redeems the code.
    Redeem,
    /// The code is presented again.
    Replay,
    /// The login page asks for a new code after this one expired unanswered.
    Refresh,
}

impl SignInState {
    /// The state after `event`, or `None` when the event cannot happen here.
    pub fn next(self, event: SignInEvent) -> Option<SignInState> {
        use SignInEvent as E;
        use SignInState as S;
        match (self, event) {
            (S::Pending, E::Approve) => Some(S::Approved),
            (S::Pending, E::Decline) => Some(S::Declined),
            (S::Approved, E::IssueCode) => Some(S::CodeIssued),
            (S::CodeIssued, E::Redeem) => Some(S::Redeemed),
            (S::CodeIssued | S::Redeemed, E::Replay) => Some(S::Revoked),
            (S::Pending, E::Refresh) => Some(S::Retired),
            _ => None,
        }
    }

    /// No event moves it any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SignInState::Declined | SignInState::Revoked | SignInState::Retired
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [SignInState; 7] = [
        SignInState::Pending,
        SignInState::Approved,
        SignInState::Declined,
        SignInState::CodeIssued,
        SignInState::Redeemed,
        SignInState::Revoked,
        SignInState::Retired,
    ];
    const EVENTS: [SignInEvent; 6] = [
        SignInEvent::Approve,
        SignInEvent::Decline,
        SignInEvent::IssueCode,
        SignInEvent::Redeem,
        SignInEvent::Replay,
        SignInEvent::Refresh,
    ];

    #[test]
    fn each_answer_and_each_code_happens_once() {
        let mut moves = 0;
        for s in STATES {
            for e in EVENTS {
                if let Some(n) = s.next(e) {
                    moves += 1;
                    assert_ne!(n, s, "{s:?} --{e:?}--> itself");
                    // No event applies twice in a row: one approval, one code, one
                    // redemption.
                    assert_eq!(n.next(e), None, "{s:?} --{e:?}--> {n:?} twice");
                }
            }
        }
        assert_eq!(moves, 7);
        for s in [
            SignInState::Declined,
            SignInState::Revoked,
            SignInState::Retired,
        ] {
            assert!(s.is_final());
            assert!(EVENTS.iter().all(|e| s.next(*e).is_none()));
        }
        assert_eq!(
            SignInState::Redeemed.next(SignInEvent::Redeem),
            None,
            "a code is redeemed once"
        );
        assert_eq!(
            SignInState::Redeemed.next(SignInEvent::Replay),
            Some(SignInState::Revoked)
        );
        assert_eq!(SignInState::Pending.next(SignInEvent::IssueCode), None);
    }

    #[test]
    fn states_are_stored_as_the_words_the_sql_names() {
        let words: Vec<String> = STATES
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            words,
            [
                "pending",
                "approved",
                "declined",
                "code_issued",
                "redeemed",
                "revoked",
                "retired"
            ]
        );
    }
}
