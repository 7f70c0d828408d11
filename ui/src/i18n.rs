//! The two languages of the app: Vietnamese first, English on request.

use dinhdanh_core::api::ApiError;

/// The language the screens speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Tiếng Việt (the default).
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Picks the text in this language.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// The other language (what the switch changes to).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// The label of the switch: the language it switches *to*.
    pub fn switch_label(self) -> &'static str {
        match self {
            Lang::Vi => "English",
            Lang::En => "Tiếng Việt",
        }
    }

    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// An error's sentence in this language (never the machine code).
    pub fn error(self, e: &ApiError) -> String {
        self.t(&e.message_vi, &e.message_en).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dinhdanh_core::api::ErrorCode;

    #[test]
    fn vietnamese_is_the_default_and_the_switch_toggles() {
        assert_eq!(Lang::default(), Lang::Vi);
        assert_eq!(Lang::Vi.other().other(), Lang::Vi);
        assert_eq!(Lang::Vi.switch_label(), "English");
    }

    #[test]
    fn errors_are_shown_as_the_sentence_of_the_language() {
        let e = ApiError::new(ErrorCode::WrongConfirmation);
        assert_eq!(Lang::Vi.error(&e), "Mã PIN không đúng.");
        assert_eq!(Lang::En.error(&e), "The passcode is incorrect.");
    }
}
