//! The on-screen passcode keypad's state: six digits that submit themselves, and the
//! "type it twice" flow of setting a new passcode.

use dinhdanh_core::api::SecretText;

/// Digits in a passcode.
pub const PASSCODE_LEN: usize = 6;

/// Digits typed so far on the keypad. Never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Keypad {
    digits: String,
}

impl std::fmt::Debug for Keypad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keypad({} digits)", self.digits.len())
    }
}

impl Keypad {
    /// How many digits are typed (for the dots).
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// Adds a digit; returns the whole passcode (and empties the keypad) at the sixth.
    /// Anything but `0`–`9` is ignored.
    pub fn press(&mut self, digit: char) -> Option<SecretText> {
        if !digit.is_ascii_digit() || self.digits.len() >= PASSCODE_LEN {
            return None;
        }
        self.digits.push(digit);
        if self.digits.len() == PASSCODE_LEN {
            let full = SecretText::new(std::mem::take(&mut self.digits));
            return Some(full);
        }
        None
    }

    /// Removes the last digit.
    pub fn back(&mut self) {
        self.digits.pop();
    }
}

/// Setting a new passcode: typed once, then again.
#[derive(Clone, Debug, Default)]
pub enum PasscodeSet {
    /// Waiting for the first entry.
    #[default]
    First,
    /// Waiting for the same digits again.
    Again {
        /// The first entry.
        first: SecretText,
    },
}

/// What setting a passcode asks the screen to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasscodeSetStep {
    /// Ask for the same digits again.
    AskAgain,
    /// The two entries differ: start over, saying so.
    Mismatch,
    /// Both match: send them.
    Done {
        /// The passcode.
        passcode: SecretText,
        /// The second entry (the shell checks both too).
        again: SecretText,
    },
}

impl PasscodeSet {
    /// Takes one complete entry from the keypad.
    pub fn entered(&mut self, entry: SecretText) -> PasscodeSetStep {
        match std::mem::take(self) {
            PasscodeSet::First => {
                *self = PasscodeSet::Again { first: entry };
                PasscodeSetStep::AskAgain
            }
            PasscodeSet::Again { first } => {
                if first.expose() == entry.expose() {
                    PasscodeSetStep::Done {
                        passcode: first,
                        again: entry,
                    }
                } else {
                    PasscodeSetStep::Mismatch
                }
            }
        }
    }

    /// Whether the screen asks for the second entry.
    pub fn is_second(&self) -> bool {
        matches!(self, PasscodeSet::Again { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_digits(k: &mut Keypad, digits: &str) -> Option<SecretText> {
        digits.chars().fold(None, |_, d| k.press(d))
    }

    #[test]
    fn six_digits_submit_themselves_and_empty_the_keypad() {
        let mut k = Keypad::default();
        assert!(type_digits(&mut k, "48291").is_none());
        assert_eq!(k.len(), 5);
        let code = k.press('6').expect("sixth digit completes");
        assert_eq!(code.expose(), "482916");
        assert!(k.is_empty());
    }

    #[test]
    fn back_removes_one_digit_and_letters_are_ignored() {
        let mut k = Keypad::default();
        type_digits(&mut k, "12a");
        assert_eq!(k.len(), 2);
        k.back();
        assert_eq!(k.len(), 1);
        k.back();
        k.back();
        assert!(k.is_empty());
    }

    #[test]
    fn the_keypad_never_prints_its_digits() {
        let mut k = Keypad::default();
        type_digits(&mut k, "4829");
        assert!(!format!("{k:?}").contains("4829"));
    }

    #[test]
    fn a_new_passcode_is_accepted_only_when_typed_twice_the_same() {
        let mut set = PasscodeSet::default();
        assert_eq!(
            set.entered(SecretText::new("482916")),
            PasscodeSetStep::AskAgain
        );
        assert!(set.is_second());
        match set.entered(SecretText::new("482916")) {
            PasscodeSetStep::Done { passcode, again } => {
                assert_eq!(passcode.expose(), again.expose());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_different_second_entry_starts_over() {
        let mut set = PasscodeSet::default();
        set.entered(SecretText::new("482916"));
        assert_eq!(
            set.entered(SecretText::new("482917")),
            PasscodeSetStep::Mismatch
        );
        assert!(!set.is_second(), "back to the first entry");
    }
}
