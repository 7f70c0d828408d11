//! The four organisation types of the registration guidance and the organisation's details.
//!
//! Decree 69/2024/NĐ-CP and the VNeID "Định danh tổ chức" guidance sort organisations into four
//! types by which register already knows them: (1) enterprises (business registry),
//! (2) cooperatives (cooperative registry), (3) agencies and organisations that have a tax code
//! but no business registration (tax registry), (4) organisations with none of these, which an
//! officer verifies by hand. The type decides which form fields are asked, which codes must or
//! must not be present, and which documents are attached.
//!
//! Parse, don't validate: the UI holds an [`OrganisationForm`] of plain strings while the person
//! types; [`OrganisationForm::validate`] turns it into [`OrganisationDetails`] (typed, every
//! identifier parsed) or returns *every* [`FieldError`] at once, so each is shown under its field.
//! The same function runs in the UI, the app and the server, so they agree on what is valid.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::IdError;
use crate::ids::{
    AgencyCode, AttachmentId, CitizenId, CooperativeCode, Email, EnterpriseCode, NewProvince,
    PhoneNumber, TaxCode,
};

/// The type of organisation being registered, numbered as in the VNeID guidance.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    /// (1) Doanh nghiệp: registered in the national business registry; its enterprise code is
    /// also its tax code (Law on Enterprises 2020, Art. 29).
    Enterprise,
    /// (2) Hợp tác xã, including liên hiệp hợp tác xã: registered in the cooperative registry.
    Cooperative,
    /// (3) Cơ quan, tổ chức có mã số thuế: state agencies, public service units, associations —
    /// no business or cooperative registration, but a tax code.
    OrganisationWithTaxCode,
    /// (4) Tổ chức không có đăng ký doanh nghiệp, hợp tác xã, mã số thuế: no register knows it,
    /// so an officer verifies its founding decision.
    OrganisationWithoutRegistration,
}

/// A register the identity authority checks an organisation's details against.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    /// The national business registration database (Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp).
    BusinessRegistry,
    /// The cooperative registration system (Hệ thống thông tin quốc gia về đăng ký hợp tác xã).
    CooperativeRegistry,
    /// The tax registration database (Cơ sở dữ liệu về đăng ký thuế).
    TaxRegistry,
}

impl RegistryKind {
    /// Vietnamese name of the register, for "verified against ..." lines.
    pub fn label_vi(self) -> &'static str {
        match self {
            RegistryKind::BusinessRegistry => "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
            RegistryKind::CooperativeRegistry => {
                "Hệ thống thông tin quốc gia về đăng ký hợp tác xã"
            }
            RegistryKind::TaxRegistry => "Cơ sở dữ liệu về đăng ký thuế",
        }
    }

    /// English name of the register.
    pub fn label_en(self) -> &'static str {
        match self {
            RegistryKind::BusinessRegistry => "National business registration database",
            RegistryKind::CooperativeRegistry => "National cooperative registration system",
            RegistryKind::TaxRegistry => "Tax registration database",
        }
    }
}

/// A document attached to a registration request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Giấy ủy quyền: the legal representative's authorisation, needed when the requester is an
    /// authorised person rather than a legal representative (Decree 69/2024, Art. 12).
    AuthorisationLetter,
    /// Quyết định thành lập: the founding decision, the only evidence an officer has for an
    /// organisation that no register knows (type 4).
    FoundingDecision,
}

impl DocumentKind {
    /// Vietnamese name of the document.
    pub fn label_vi(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Giấy ủy quyền",
            DocumentKind::FoundingDecision => "Quyết định thành lập",
        }
    }

    /// English name of the document.
    pub fn label_en(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Authorisation letter",
            DocumentKind::FoundingDecision => "Founding decision",
        }
    }

    /// The form field that holds the uploaded document.
    pub fn field(self) -> OrgField {
        match self {
            DocumentKind::AuthorisationLetter => OrgField::AuthorisationLetter,
            DocumentKind::FoundingDecision => OrgField::FoundingDecision,
        }
    }
}

/// Every field of the organisation form. The code is stable: the UI, the server's field errors
/// and stored drafts refer to fields by it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgField {
    /// Tên tổ chức bằng tiếng Việt.
    NameVi,
    /// Tên viết tắt.
    AbbreviatedName,
    /// Tên bằng tiếng nước ngoài.
    ForeignName,
    /// Ngày thành lập.
    EstablishedOn,
    /// Địa chỉ trụ sở chính (street, ward — free text).
    HeadOfficeAddress,
    /// Province of the head office.
    HeadOfficeProvince,
    /// Mã số thuế.
    TaxCode,
    /// Mã số doanh nghiệp.
    EnterpriseCode,
    /// Mã số hợp tác xã.
    CooperativeCode,
    /// Mã định danh điện tử của cơ quan (Decision 20/2020/QĐ-TTg).
    AgencyCode,
    /// The list of legal representatives as a whole (e.g. "at least one").
    Representatives,
    /// A legal representative's full name (errors carry the row index).
    RepresentativeName,
    /// A legal representative's personal identification number (errors carry the row index).
    RepresentativeCitizenId,
    /// Số điện thoại liên hệ.
    ContactPhone,
    /// Thư điện tử liên hệ.
    ContactEmail,
    /// The uploaded authorisation letter.
    AuthorisationLetter,
    /// The uploaded founding decision.
    FoundingDecision,
}

impl OrgField {
    /// Every field, in form order.
    pub const ALL: [OrgField; 17] = [
        OrgField::NameVi,
        OrgField::AbbreviatedName,
        OrgField::ForeignName,
        OrgField::EstablishedOn,
        OrgField::HeadOfficeAddress,
        OrgField::HeadOfficeProvince,
        OrgField::TaxCode,
        OrgField::EnterpriseCode,
        OrgField::CooperativeCode,
        OrgField::AgencyCode,
        OrgField::Representatives,
        OrgField::RepresentativeName,
        OrgField::RepresentativeCitizenId,
        OrgField::ContactPhone,
        OrgField::ContactEmail,
        OrgField::AuthorisationLetter,
        OrgField::FoundingDecision,
    ];

    /// The field with this [`OrgField::code`], if any.
    pub fn from_code(code: &str) -> Option<OrgField> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Stable snake_case code, equal to the serde name.
    pub fn code(self) -> &'static str {
        match self {
            OrgField::NameVi => "name_vi",
            OrgField::AbbreviatedName => "abbreviated_name",
            OrgField::ForeignName => "foreign_name",
            OrgField::EstablishedOn => "established_on",
            OrgField::HeadOfficeAddress => "head_office_address",
            OrgField::HeadOfficeProvince => "head_office_province",
            OrgField::TaxCode => "tax_code",
            OrgField::EnterpriseCode => "enterprise_code",
            OrgField::CooperativeCode => "cooperative_code",
            OrgField::AgencyCode => "agency_code",
            OrgField::Representatives => "representatives",
            OrgField::RepresentativeName => "representative_name",
            OrgField::RepresentativeCitizenId => "representative_citizen_id",
            OrgField::ContactPhone => "contact_phone",
            OrgField::ContactEmail => "contact_email",
            OrgField::AuthorisationLetter => "authorisation_letter",
            OrgField::FoundingDecision => "founding_decision",
        }
    }

    /// Vietnamese label shown above the field.
    pub fn label_vi(self) -> &'static str {
        match self {
            OrgField::NameVi => "Tên tổ chức bằng tiếng Việt",
            OrgField::AbbreviatedName => "Tên viết tắt",
            OrgField::ForeignName => "Tên bằng tiếng nước ngoài",
            OrgField::EstablishedOn => "Ngày thành lập",
            OrgField::HeadOfficeAddress => "Địa chỉ trụ sở chính",
            OrgField::HeadOfficeProvince => "Tỉnh, thành phố nơi đặt trụ sở chính",
            OrgField::TaxCode => "Mã số thuế",
            OrgField::EnterpriseCode => "Mã số doanh nghiệp",
            OrgField::CooperativeCode => "Mã số hợp tác xã",
            OrgField::AgencyCode => "Mã định danh điện tử của cơ quan",
            OrgField::Representatives => "Người đại diện theo pháp luật",
            OrgField::RepresentativeName => "Họ và tên người đại diện",
            OrgField::RepresentativeCitizenId => "Số định danh cá nhân của người đại diện",
            OrgField::ContactPhone => "Số điện thoại liên hệ",
            OrgField::ContactEmail => "Thư điện tử liên hệ",
            OrgField::AuthorisationLetter => "Giấy ủy quyền",
            OrgField::FoundingDecision => "Quyết định thành lập",
        }
    }

    /// English label shown above the field.
    pub fn label_en(self) -> &'static str {
        match self {
            OrgField::NameVi => "Name in Vietnamese",
            OrgField::AbbreviatedName => "Abbreviated name",
            OrgField::ForeignName => "Name in a foreign language",
            OrgField::EstablishedOn => "Date of establishment",
            OrgField::HeadOfficeAddress => "Head-office address",
            OrgField::HeadOfficeProvince => "Province of the head office",
            OrgField::TaxCode => "Tax code",
            OrgField::EnterpriseCode => "Enterprise code",
            OrgField::CooperativeCode => "Cooperative code",
            OrgField::AgencyCode => "Agency e-ID code",
            OrgField::Representatives => "Legal representatives",
            OrgField::RepresentativeName => "Representative's full name",
            OrgField::RepresentativeCitizenId => "Representative's personal identification number",
            OrgField::ContactPhone => "Contact phone",
            OrgField::ContactEmail => "Contact e-mail",
            OrgField::AuthorisationLetter => "Authorisation letter",
            OrgField::FoundingDecision => "Founding decision",
        }
    }
}

// The field lists below are the single source of truth for which fields a type asks for:
// `validate` requires exactly `required_fields` and refuses registry codes outside both lists.
const ENTERPRISE_REQUIRED: &[OrgField] = &[
    OrgField::NameVi,
    OrgField::EstablishedOn,
    OrgField::HeadOfficeAddress,
    OrgField::HeadOfficeProvince,
    OrgField::EnterpriseCode,
    OrgField::Representatives,
    OrgField::RepresentativeName,
    OrgField::RepresentativeCitizenId,
    OrgField::ContactPhone,
];
// The tax code is optional for an enterprise: its enterprise code already is its tax code.
const ENTERPRISE_OPTIONAL: &[OrgField] = &[
    OrgField::AbbreviatedName,
    OrgField::ForeignName,
    OrgField::TaxCode,
    OrgField::ContactEmail,
    OrgField::AuthorisationLetter,
];
const COOPERATIVE_REQUIRED: &[OrgField] = &[
    OrgField::NameVi,
    OrgField::EstablishedOn,
    OrgField::HeadOfficeAddress,
    OrgField::HeadOfficeProvince,
    OrgField::CooperativeCode,
    OrgField::Representatives,
    OrgField::RepresentativeName,
    OrgField::RepresentativeCitizenId,
    OrgField::ContactPhone,
];
const COOPERATIVE_OPTIONAL: &[OrgField] = &[
    OrgField::AbbreviatedName,
    OrgField::ForeignName,
    OrgField::TaxCode,
    OrgField::ContactEmail,
    OrgField::AuthorisationLetter,
];
const WITH_TAX_CODE_REQUIRED: &[OrgField] = &[
    OrgField::NameVi,
    OrgField::EstablishedOn,
    OrgField::HeadOfficeAddress,
    OrgField::HeadOfficeProvince,
    OrgField::TaxCode,
    OrgField::Representatives,
    OrgField::RepresentativeName,
    OrgField::RepresentativeCitizenId,
    OrgField::ContactPhone,
];
// The founding decision is optional for type 3: the tax registration record already names the
// head of the unit, so the tax registry can confirm who represents it.
const WITH_TAX_CODE_OPTIONAL: &[OrgField] = &[
    OrgField::AbbreviatedName,
    OrgField::ForeignName,
    OrgField::AgencyCode,
    OrgField::ContactEmail,
    OrgField::AuthorisationLetter,
    OrgField::FoundingDecision,
];
const WITHOUT_REGISTRATION_REQUIRED: &[OrgField] = &[
    OrgField::NameVi,
    OrgField::EstablishedOn,
    OrgField::HeadOfficeAddress,
    OrgField::HeadOfficeProvince,
    OrgField::Representatives,
    OrgField::RepresentativeName,
    OrgField::RepresentativeCitizenId,
    OrgField::ContactPhone,
    OrgField::FoundingDecision,
];
const WITHOUT_REGISTRATION_OPTIONAL: &[OrgField] = &[
    OrgField::AbbreviatedName,
    OrgField::ForeignName,
    OrgField::AgencyCode,
    OrgField::ContactEmail,
    OrgField::AuthorisationLetter,
];

impl OrgType {
    /// The four types in the order of the guidance.
    pub const ALL: [OrgType; 4] = [
        OrgType::Enterprise,
        OrgType::Cooperative,
        OrgType::OrganisationWithTaxCode,
        OrgType::OrganisationWithoutRegistration,
    ];

    /// The number of the type in the guidance (1–4), as people refer to it ("loại 3").
    pub fn number(self) -> u8 {
        match self {
            OrgType::Enterprise => 1,
            OrgType::Cooperative => 2,
            OrgType::OrganisationWithTaxCode => 3,
            OrgType::OrganisationWithoutRegistration => 4,
        }
    }

    /// Short Vietnamese name, for the type chooser and the review screen.
    pub fn label_vi(self) -> &'static str {
        match self {
            OrgType::Enterprise => "Doanh nghiệp",
            OrgType::Cooperative => "Hợp tác xã, liên hiệp hợp tác xã",
            OrgType::OrganisationWithTaxCode => "Cơ quan, tổ chức có mã số thuế",
            OrgType::OrganisationWithoutRegistration => "Tổ chức không có mã số thuế",
        }
    }

    /// Short English name.
    pub fn label_en(self) -> &'static str {
        match self {
            OrgType::Enterprise => "Enterprise",
            OrgType::Cooperative => "Cooperative or union of cooperatives",
            OrgType::OrganisationWithTaxCode => "Agency or organisation with a tax code",
            OrgType::OrganisationWithoutRegistration => "Organisation without a tax code",
        }
    }

    /// One Vietnamese line a person reads when choosing the type.
    pub fn description_vi(self) -> &'static str {
        match self {
            OrgType::Enterprise => {
                "Công ty, doanh nghiệp tư nhân đã đăng ký doanh nghiệp và có mã số doanh nghiệp."
            }
            OrgType::Cooperative => {
                "Hợp tác xã, liên hiệp hợp tác xã đã đăng ký và có mã số hợp tác xã."
            }
            OrgType::OrganisationWithTaxCode => {
                "Cơ quan nhà nước, đơn vị sự nghiệp công lập, hội, hiệp hội… không đăng ký doanh nghiệp, hợp tác xã nhưng có mã số thuế."
            }
            OrgType::OrganisationWithoutRegistration => {
                "Tổ chức không có đăng ký doanh nghiệp, hợp tác xã và không có mã số thuế; cán bộ xác minh theo quyết định thành lập."
            }
        }
    }

    /// One English line a person reads when choosing the type.
    pub fn description_en(self) -> &'static str {
        match self {
            OrgType::Enterprise => {
                "A company or sole proprietorship registered as an enterprise, with an enterprise code."
            }
            OrgType::Cooperative => {
                "A cooperative or union of cooperatives, registered and holding a cooperative code."
            }
            OrgType::OrganisationWithTaxCode => {
                "A state agency, public service unit or association with a tax code but no business or cooperative registration."
            }
            OrgType::OrganisationWithoutRegistration => {
                "An organisation with no business or cooperative registration and no tax code; an officer verifies its founding decision."
            }
        }
    }

    /// The register the authority checks this type against; `None` for type 4, which goes to
    /// an officer.
    pub fn verifying_registry(self) -> Option<RegistryKind> {
        match self {
            OrgType::Enterprise => Some(RegistryKind::BusinessRegistry),
            OrgType::Cooperative => Some(RegistryKind::CooperativeRegistry),
            OrgType::OrganisationWithTaxCode => Some(RegistryKind::TaxRegistry),
            OrgType::OrganisationWithoutRegistration => None,
        }
    }

    /// Fields that must be filled in for this type. The authorisation letter is not here: it is
    /// required only when the requester is not a legal representative (see
    /// [`OrgType::required_documents`]).
    pub fn required_fields(self) -> &'static [OrgField] {
        match self {
            OrgType::Enterprise => ENTERPRISE_REQUIRED,
            OrgType::Cooperative => COOPERATIVE_REQUIRED,
            OrgType::OrganisationWithTaxCode => WITH_TAX_CODE_REQUIRED,
            OrgType::OrganisationWithoutRegistration => WITHOUT_REGISTRATION_REQUIRED,
        }
    }

    /// Fields this type may fill in. Anything in neither list is not shown for this type; a
    /// registry code there is an error (it means the organisation is of another type), other
    /// values there are ignored.
    pub fn optional_fields(self) -> &'static [OrgField] {
        match self {
            OrgType::Enterprise => ENTERPRISE_OPTIONAL,
            OrgType::Cooperative => COOPERATIVE_OPTIONAL,
            OrgType::OrganisationWithTaxCode => WITH_TAX_CODE_OPTIONAL,
            OrgType::OrganisationWithoutRegistration => WITHOUT_REGISTRATION_OPTIONAL,
        }
    }

    /// Whether `field` is shown (required or optional) for this type.
    pub fn asks_for(self, field: OrgField) -> bool {
        self.required_fields().contains(&field) || self.optional_fields().contains(&field)
    }

    /// Documents the request must carry. Decree 69/2024, Art. 12: the legal representative or
    /// a person they authorise submits; an authorised person attaches the authorisation.
    pub fn required_documents(self, requester_is_legal_representative: bool) -> Vec<DocumentKind> {
        let mut docs = Vec::new();
        if !requester_is_legal_representative {
            docs.push(DocumentKind::AuthorisationLetter);
        }
        if self.required_fields().contains(&OrgField::FoundingDecision) {
            docs.push(DocumentKind::FoundingDecision);
        }
        docs
    }
}

/// What is wrong with a piece of free text (a name, an address, an answer to an officer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but whitespace.
    Empty,
    /// More characters than allowed.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A control character or a bidirectional override (which can make a name display as
    /// something other than what it is).
    ControlCharacter,
}

impl TextProblem {
    /// Stable machine name of the problem.
    pub fn code(self) -> &'static str {
        match self {
            TextProblem::Empty => "required",
            TextProblem::TooLong { .. } => "too_long",
            TextProblem::ControlCharacter => "control_character",
        }
    }

    /// Vietnamese predicate, completing "<label> ...".
    pub fn message_vi(self) -> String {
        match self {
            TextProblem::Empty => "là bắt buộc".into(),
            TextProblem::TooLong { max } => format!("quá dài (tối đa {max} ký tự)"),
            TextProblem::ControlCharacter => "chứa ký tự điều khiển không được phép".into(),
        }
    }

    /// English predicate, completing "<label> ...".
    pub fn message_en(self) -> String {
        match self {
            TextProblem::Empty => "is required".into(),
            TextProblem::TooLong { max } => format!("is too long (at most {max} characters)"),
            TextProblem::ControlCharacter => "contains a control character".into(),
        }
    }
}

/// Whether `c` may never appear in text a person enters: control characters (except newline
/// where multi-line text is allowed) and the bidirectional overrides/isolates.
fn is_forbidden_char(c: char, multi_line: bool) -> bool {
    if multi_line && c == '\n' {
        return false;
    }
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Normalises free text: trims it, collapses runs of spaces (and, for single-line text, every
/// whitespace) into one space, and checks 1..=`max` characters without control characters.
pub(crate) fn parse_text(input: &str, max: usize, multi_line: bool) -> Result<String, TextProblem> {
    // A cheap bound before any work: no character is wider than 4 bytes in UTF-8, and
    // surrounding whitespace rarely adds more than a few hundred bytes.
    if input.len() > max.saturating_mul(4).saturating_add(256) {
        return Err(TextProblem::TooLong { max });
    }
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.trim().chars() {
        // Line ends typed on Windows arrive as CRLF; keep the LF only.
        if multi_line && c == '\r' {
            continue;
        }
        if is_forbidden_char(c, multi_line) {
            return Err(TextProblem::ControlCharacter);
        }
        if c == '\n' {
            pending_space = false;
            out.push(c);
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    let count = out.chars().count();
    if count == 0 {
        return Err(TextProblem::Empty);
    }
    if count > max {
        return Err(TextProblem::TooLong { max });
    }
    Ok(out)
}

/// Implements a free-text newtype: parse, as_str, Display, serde-as-string (parsed again on the
/// way in).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters (Unicode scalar values) a value may have.
            pub const MAX_CHARS: usize = $max;

            /// Trims, collapses inner whitespace to single spaces, and checks the length and
            /// that no control character is present.
            pub fn parse(input: &str) -> Result<Self, TextProblem> {
                parse_text(input, Self::MAX_CHARS, false).map($name)
            }

            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(|p| ::serde::de::Error::custom(p.message_en()))
            }
        }

        $crate::openapi::string_schema!(
            $name,
            concat!("`", stringify!($name), "`: trimmed text of bounded length.")
        );
    };
}

bounded_text!(
    /// A name (of the organisation or of a person): trimmed, inner whitespace collapsed,
    /// 1..=255 characters, no control characters.
    Name,
    255
);

bounded_text!(
    /// A head-office address line (house number, street, ward): trimmed, inner whitespace
    /// collapsed, 1..=500 characters, no control characters.
    AddressLine,
    500
);

/// A legal representative as typed in the form.
///
/// `Debug` masks the identification number as [`CitizenId`]'s does, since a state holding a
/// form ends up in logs through `{:?}` too.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RepresentativeForm {
    /// Full name as on the citizen identity card.
    pub full_name: String,
    /// Personal identification number (12 digits).
    pub citizen_id: String,
}

impl std::fmt::Debug for RepresentativeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keep the first and last three characters, like `CitizenId::masked`, and only when
        // enough is hidden in between.
        let chars: Vec<char> = self.citizen_id.chars().collect();
        let masked: String = if chars.len() >= 9 {
            let head: String = chars.iter().take(3).collect();
            let tail: String = chars.iter().skip(chars.len() - 3).collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
        } else {
            "*".repeat(chars.len())
        };
        f.debug_struct("RepresentativeForm")
            .field("full_name", &self.full_name)
            .field("citizen_id", &masked)
            .finish()
    }
}

/// The organisation form as the UI holds it while the person types: every field a string, so
/// nothing typed is ever lost. Turn it into [`OrganisationDetails`] with
/// [`OrganisationForm::validate`]. Missing JSON fields read as empty.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrganisationForm {
    /// Tên tổ chức bằng tiếng Việt.
    pub name_vi: String,
    /// Tên viết tắt (optional).
    pub abbreviated_name: String,
    /// Tên bằng tiếng nước ngoài (optional).
    pub foreign_name: String,
    /// Ngày thành lập, as `YYYY-MM-DD` (what a date input gives) or `DD/MM/YYYY`.
    pub established_on: String,
    /// Head-office address line.
    pub head_office_address: String,
    /// Head-office province: the stable key of a [`NewProvince`], e.g. `ho_chi_minh` (the UI
    /// offers a list, so this is never free text).
    pub head_office_province: String,
    /// Mã số thuế.
    pub tax_code: String,
    /// Mã số doanh nghiệp.
    pub enterprise_code: String,
    /// Mã số hợp tác xã.
    pub cooperative_code: String,
    /// Mã định danh điện tử của cơ quan.
    pub agency_code: String,
    /// Legal representatives, in the order typed; the requester may be one of them.
    pub representatives: Vec<RepresentativeForm>,
    /// Contact phone.
    pub contact_phone: String,
    /// Contact e-mail (optional).
    pub contact_email: String,
    /// Attachment id of the uploaded authorisation letter, empty when none.
    pub authorisation_letter: String,
    /// Attachment id of the uploaded founding decision, empty when none.
    pub founding_decision: String,
}

/// A legal representative (người đại diện theo pháp luật / người đứng đầu).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRepresentative {
    /// Full name.
    pub full_name: Name,
    /// Personal identification number.
    pub citizen_id: CitizenId,
}

/// The head office: an address line and its province.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadOffice {
    /// House number, street, ward.
    pub address: AddressLine,
    /// Province, on the 34-province map in force since 1 July 2025.
    pub province: NewProvince,
}

/// The organisation's details for its e-ID (Decree 69/2024, Art. 6): the wire shape of a
/// validated form.
///
/// Every field holds a parsed, valid value. Consistency with the organisation type (which
/// codes are present, enterprise code = tax code, date not in the future) is guaranteed only
/// for values produced by [`OrganisationForm::validate`]; a receiver of deserialised details
/// checks them again with [`OrganisationDetails::revalidate`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationDetails {
    /// Tên tổ chức bằng tiếng Việt.
    pub name_vi: Name,
    /// Tên viết tắt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviated_name: Option<Name>,
    /// Tên bằng tiếng nước ngoài.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_name: Option<Name>,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// Trụ sở chính.
    pub head_office: HeadOffice,
    /// Mã số thuế: always present for type 3, never for type 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<TaxCode>,
    /// Mã số doanh nghiệp: present exactly for type 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_code: Option<EnterpriseCode>,
    /// Mã số hợp tác xã: present exactly for type 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooperative_code: Option<CooperativeCode>,
    /// Mã định danh điện tử của cơ quan (types 3 and 4 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_code: Option<AgencyCode>,
    /// One or more legal representatives, no two with the same identification number.
    pub representatives: Vec<LegalRepresentative>,
    /// Contact phone.
    pub contact_phone: PhoneNumber,
    /// Contact e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<Email>,
    /// The uploaded authorisation letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation_letter: Option<AttachmentId>,
    /// The uploaded founding decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founding_decision: Option<AttachmentId>,
}

/// One problem with one field, ready to show under it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field.
    pub field: OrgField,
    /// For representative fields: the row (0-based) in `representatives`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Stable machine code, `<field or id kind>.<problem>`, e.g. `tax_code.bad_check_digit`.
    pub code: String,
    /// Full sentence in Vietnamese.
    pub message_vi: String,
    /// Full sentence in English.
    pub message_en: String,
}

impl FieldError {
    /// An error about `field` with a code suffix and both messages.
    pub fn new(
        field: OrgField,
        index: Option<usize>,
        problem: &str,
        message_vi: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        FieldError {
            field,
            index,
            code: format!("{}.{}", field.code(), problem),
            message_vi: message_vi.into(),
            message_en: message_en.into(),
        }
    }

    /// An identifier in `field` failed to parse: keeps the identifier's own code and messages.
    pub fn from_id(field: OrgField, index: Option<usize>, error: &IdError) -> Self {
        FieldError {
            field,
            index,
            code: error.code(),
            message_vi: error.message_vi(),
            message_en: error.message_en(),
        }
    }

    /// A required field left empty.
    pub fn required(field: OrgField, index: Option<usize>) -> Self {
        Self::from_text(field, index, TextProblem::Empty)
    }

    /// Free text in `field` is wrong.
    pub fn from_text(field: OrgField, index: Option<usize>, problem: TextProblem) -> Self {
        FieldError::new(
            field,
            index,
            problem.code(),
            format!("{} {}.", field.label_vi(), problem.message_vi()),
            format!("{} {}.", field.label_en(), problem.message_en()),
        )
    }
}

/// Most representatives one request may list; a bound on work, far above real cases.
pub const MAX_REPRESENTATIVES: usize = 20;

/// Collects field errors while a form is parsed, so every problem is reported in one pass.
struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Parses a free-text field; empty is fine (`None`) unless `required`.
    fn text<T>(
        &mut self,
        field: OrgField,
        index: Option<usize>,
        input: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, TextProblem>,
    ) -> Option<T> {
        if input.trim().is_empty() {
            if required {
                self.push(FieldError::required(field, index));
            }
            return None;
        }
        match parse(input) {
            Ok(v) => Some(v),
            Err(p) => {
                self.push(FieldError::from_text(field, index, p));
                None
            }
        }
    }

    /// Parses an identifier field; empty is fine (`None`) unless `required`.
    fn id<T>(
        &mut self,
        field: OrgField,
        index: Option<usize>,
        input: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        if input.trim().is_empty() {
            if required {
                self.push(FieldError::required(field, index));
            }
            return None;
        }
        match parse(input) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(FieldError::from_id(field, index, &e));
                None
            }
        }
    }
}

/// Parses a date as `YYYY-MM-DD` or `DD/MM/YYYY`.
fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    if s.len() > 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// The error for a registry code typed into a type that must not have it.
fn belongs_to_other_type(field: OrgField) -> FieldError {
    let (vi, en) = match field {
        OrgField::EnterpriseCode => (
            "Tổ chức có mã số doanh nghiệp là doanh nghiệp: hãy chọn loại 1 (Doanh nghiệp).",
            "An organisation with an enterprise code is an enterprise: choose type 1 (Enterprise).",
        ),
        OrgField::CooperativeCode => (
            "Tổ chức có mã số hợp tác xã là hợp tác xã: hãy chọn loại 2 (Hợp tác xã).",
            "An organisation with a cooperative code is a cooperative: choose type 2 (Cooperative).",
        ),
        _ => (
            "Tổ chức có mã số thuế không thuộc loại 4: hãy chọn loại 3 (hoặc loại 1, 2 nếu đã đăng ký doanh nghiệp, hợp tác xã).",
            "An organisation with a tax code is not type 4: choose type 3 (or type 1 or 2 if it is registered as an enterprise or cooperative).",
        ),
    };
    FieldError::new(field, None, "belongs_to_other_type", vi, en)
}

impl OrganisationForm {
    /// Parses the form for `org_type`, returning typed details or every field error at once.
    ///
    /// `today` is the caller's date (core has no clock); the date of establishment may not be
    /// after it. Checks, besides each field on its own: the fields required by the type; that
    /// a registry code the type does not have is absent (it would mean another type); that an
    /// enterprise's tax code, when given, equals its enterprise code (Law on Enterprises 2020,
    /// Art. 29: the enterprise code is also the tax code); at least one representative and no
    /// representative twice.
    pub fn validate(
        &self,
        org_type: OrgType,
        today: NaiveDate,
    ) -> Result<OrganisationDetails, Vec<FieldError>> {
        self.parse(org_type, today, None)
    }

    /// Like [`OrganisationForm::validate`], and also requires the authorisation letter when
    /// `requester` is not one of the legal representatives (Decree 69/2024, Art. 12).
    pub fn validate_for_requester(
        &self,
        org_type: OrgType,
        requester: &CitizenId,
        today: NaiveDate,
    ) -> Result<OrganisationDetails, Vec<FieldError>> {
        self.parse(org_type, today, Some(requester))
    }

    /// The raw text of `field` (row `index` for representative fields), used to tell whether
    /// the person changed a field since an error was shown. `None` for a missing row or for
    /// the list as a whole.
    pub fn value_of(&self, field: OrgField, index: Option<usize>) -> Option<&str> {
        let rep = || index.and_then(|i| self.representatives.get(i));
        Some(match field {
            OrgField::NameVi => &self.name_vi,
            OrgField::AbbreviatedName => &self.abbreviated_name,
            OrgField::ForeignName => &self.foreign_name,
            OrgField::EstablishedOn => &self.established_on,
            OrgField::HeadOfficeAddress => &self.head_office_address,
            OrgField::HeadOfficeProvince => &self.head_office_province,
            OrgField::TaxCode => &self.tax_code,
            OrgField::EnterpriseCode => &self.enterprise_code,
            OrgField::CooperativeCode => &self.cooperative_code,
            OrgField::AgencyCode => &self.agency_code,
            OrgField::Representatives => return None,
            OrgField::RepresentativeName => &rep()?.full_name,
            OrgField::RepresentativeCitizenId => &rep()?.citizen_id,
            OrgField::ContactPhone => &self.contact_phone,
            OrgField::ContactEmail => &self.contact_email,
            OrgField::AuthorisationLetter => &self.authorisation_letter,
            OrgField::FoundingDecision => &self.founding_decision,
        })
    }

    fn parse(
        &self,
        org_type: OrgType,
        today: NaiveDate,
        requester: Option<&CitizenId>,
    ) -> Result<OrganisationDetails, Vec<FieldError>> {
        let mut c = Collector { errors: Vec::new() };
        let req = |f: OrgField| org_type.required_fields().contains(&f);
        let asks = |f: OrgField| org_type.asks_for(f);

        let name_vi = c.text(OrgField::NameVi, None, &self.name_vi, true, Name::parse);
        let abbreviated_name = c.text(
            OrgField::AbbreviatedName,
            None,
            &self.abbreviated_name,
            false,
            Name::parse,
        );
        let foreign_name = c.text(
            OrgField::ForeignName,
            None,
            &self.foreign_name,
            false,
            Name::parse,
        );

        let established_on = if self.established_on.trim().is_empty() {
            c.push(FieldError::required(OrgField::EstablishedOn, None));
            None
        } else {
            match parse_date(&self.established_on) {
                None => {
                    c.push(FieldError::new(
                        OrgField::EstablishedOn,
                        None,
                        "bad_format",
                        "Ngày thành lập không đúng định dạng (ngày/tháng/năm).",
                        "Date of establishment is not a valid date (YYYY-MM-DD).",
                    ));
                    None
                }
                Some(d) if d > today => {
                    c.push(FieldError::new(
                        OrgField::EstablishedOn,
                        None,
                        "in_future",
                        "Ngày thành lập không được sau ngày hôm nay.",
                        "Date of establishment cannot be in the future.",
                    ));
                    None
                }
                Some(d) => Some(d),
            }
        };

        let address = c.text(
            OrgField::HeadOfficeAddress,
            None,
            &self.head_office_address,
            true,
            AddressLine::parse,
        );
        let province = c.id(
            OrgField::HeadOfficeProvince,
            None,
            &self.head_office_province,
            true,
            |s| NewProvince::parse(s.trim()),
        );

        // Registry codes: parsed where the type asks for them; refused where their presence
        // means the organisation is of another type.
        let code_field = |c: &mut Collector, field: OrgField, input: &str| -> bool {
            if asks(field) {
                return true;
            }
            if !input.trim().is_empty() {
                c.push(belongs_to_other_type(field));
            }
            false
        };
        let tax_code = if code_field(&mut c, OrgField::TaxCode, &self.tax_code) {
            c.id(
                OrgField::TaxCode,
                None,
                &self.tax_code,
                req(OrgField::TaxCode),
                TaxCode::parse,
            )
        } else {
            None
        };
        let enterprise_code = if code_field(&mut c, OrgField::EnterpriseCode, &self.enterprise_code)
        {
            c.id(
                OrgField::EnterpriseCode,
                None,
                &self.enterprise_code,
                req(OrgField::EnterpriseCode),
                EnterpriseCode::parse,
            )
        } else {
            None
        };
        let cooperative_code =
            if code_field(&mut c, OrgField::CooperativeCode, &self.cooperative_code) {
                c.id(
                    OrgField::CooperativeCode,
                    None,
                    &self.cooperative_code,
                    req(OrgField::CooperativeCode),
                    CooperativeCode::parse,
                )
            } else {
                None
            };
        // The agency code identifies a state body, never a business: ignored where not asked.
        let agency_code = if asks(OrgField::AgencyCode) {
            c.id(
                OrgField::AgencyCode,
                None,
                &self.agency_code,
                false,
                AgencyCode::parse,
            )
        } else {
            None
        };

        // Law on Enterprises 2020, Art. 29 and Decree 92/2024/NĐ-CP: the enterprise or
        // cooperative code is also the tax code, so a tax code typed next to it must be the
        // same 10 digits (not a branch's 13).
        let registry_tax_code = match org_type {
            OrgType::Enterprise => enterprise_code.as_ref().map(EnterpriseCode::tax_code),
            OrgType::Cooperative => cooperative_code.as_ref().map(CooperativeCode::tax_code),
            _ => None,
        };
        if let (Some(tax), Some(expected)) = (&tax_code, &registry_tax_code) {
            if tax != expected {
                let (vi, en) = if org_type == OrgType::Enterprise {
                    (
                        "Mã số thuế của doanh nghiệp phải trùng với mã số doanh nghiệp (10 chữ số).",
                        "An enterprise's tax code must equal its enterprise code (10 digits).",
                    )
                } else {
                    (
                        "Mã số thuế của hợp tác xã phải trùng với mã số hợp tác xã (10 chữ số).",
                        "A cooperative's tax code must equal its cooperative code (10 digits).",
                    )
                };
                c.push(FieldError::new(
                    OrgField::TaxCode,
                    None,
                    "differs_from_registry_code",
                    vi,
                    en,
                ));
            }
        }

        let representatives = self.parse_representatives(&mut c, today.year());

        let contact_phone = c.id(
            OrgField::ContactPhone,
            None,
            &self.contact_phone,
            true,
            PhoneNumber::parse,
        );
        let contact_email = c.id(
            OrgField::ContactEmail,
            None,
            &self.contact_email,
            false,
            Email::parse,
        );

        let requester_is_rep = match requester {
            None => true,
            // Judged on the typed rows, not only the fully valid ones: a typo in the
            // requester's own name must not also demand an authorisation letter.
            Some(r) => self
                .representatives
                .iter()
                .any(|row| CitizenId::parse(&row.citizen_id).is_ok_and(|id| &id == r)),
        };
        let document = |c: &mut Collector, kind: DocumentKind, input: &str| {
            let field = kind.field();
            let required = org_type
                .required_documents(requester_is_rep)
                .contains(&kind);
            if !asks(field) {
                return None;
            }
            c.id(field, None, input, required, AttachmentId::parse)
        };
        let authorisation_letter = document(
            &mut c,
            DocumentKind::AuthorisationLetter,
            &self.authorisation_letter,
        );
        let founding_decision = document(
            &mut c,
            DocumentKind::FoundingDecision,
            &self.founding_decision,
        );

        match (name_vi, established_on, address, province, contact_phone) {
            (Some(name_vi), Some(established_on), Some(address), Some(province), Some(phone))
                if c.errors.is_empty() =>
            {
                Ok(OrganisationDetails {
                    name_vi,
                    abbreviated_name,
                    foreign_name,
                    established_on,
                    head_office: HeadOffice { address, province },
                    tax_code,
                    enterprise_code,
                    cooperative_code,
                    agency_code,
                    representatives,
                    contact_phone: phone,
                    contact_email,
                    authorisation_letter,
                    founding_decision,
                })
            }
            _ => Err(c.errors),
        }
    }

    /// Parses the representative rows; returns the rows that parsed fully.
    fn parse_representatives(&self, c: &mut Collector, year: i32) -> Vec<LegalRepresentative> {
        let mut out: Vec<LegalRepresentative> = Vec::new();
        if self.representatives.is_empty() {
            c.push(FieldError::new(
                OrgField::Representatives,
                None,
                "required",
                "Cần khai ít nhất một người đại diện theo pháp luật.",
                "At least one legal representative is required.",
            ));
            return out;
        }
        if self.representatives.len() > MAX_REPRESENTATIVES {
            c.push(FieldError::new(
                OrgField::Representatives,
                None,
                "too_many",
                format!("Chỉ khai tối đa {MAX_REPRESENTATIVES} người đại diện."),
                format!("At most {MAX_REPRESENTATIVES} representatives may be listed."),
            ));
            return out;
        }
        for (i, row) in self.representatives.iter().enumerate() {
            let name = c.text(
                OrgField::RepresentativeName,
                Some(i),
                &row.full_name,
                true,
                Name::parse,
            );
            let id = c.id(
                OrgField::RepresentativeCitizenId,
                Some(i),
                &row.citizen_id,
                true,
                // A holder born after today means a mistyped number.
                |s| CitizenId::parse_as_of(s, year),
            );
            if let Some(id) = &id {
                if out.iter().any(|p| &p.citizen_id == id) {
                    c.push(FieldError::new(
                        OrgField::RepresentativeCitizenId,
                        Some(i),
                        "duplicate",
                        "Người đại diện này đã được khai ở trên.",
                        "This representative is already listed above.",
                    ));
                    continue;
                }
            }
            if let (Some(full_name), Some(citizen_id)) = (name, id) {
                out.push(LegalRepresentative {
                    full_name,
                    citizen_id,
                });
            }
        }
        out
    }
}

impl OrganisationDetails {
    /// The details back as a form (dates as `YYYY-MM-DD`), e.g. to edit them again.
    pub fn to_form(&self) -> OrganisationForm {
        fn opt<T: AsRef<str>>(v: &Option<T>) -> String {
            v.as_ref()
                .map(|x| x.as_ref().to_owned())
                .unwrap_or_default()
        }
        OrganisationForm {
            name_vi: self.name_vi.as_str().to_owned(),
            abbreviated_name: opt(&self.abbreviated_name),
            foreign_name: opt(&self.foreign_name),
            established_on: self.established_on.format("%Y-%m-%d").to_string(),
            head_office_address: self.head_office.address.as_str().to_owned(),
            head_office_province: self.head_office.province.key().to_owned(),
            tax_code: opt(&self.tax_code),
            enterprise_code: opt(&self.enterprise_code),
            cooperative_code: opt(&self.cooperative_code),
            agency_code: opt(&self.agency_code),
            representatives: self
                .representatives
                .iter()
                .map(|r| RepresentativeForm {
                    full_name: r.full_name.as_str().to_owned(),
                    citizen_id: r.citizen_id.as_str().to_owned(),
                })
                .collect(),
            contact_phone: self.contact_phone.as_str().to_owned(),
            contact_email: opt(&self.contact_email),
            authorisation_letter: opt(&self.authorisation_letter),
            founding_decision: opt(&self.founding_decision),
        }
    }

    /// Checks deserialised details again for `org_type` (what a server does with a request body):
    /// the cross-field rules hold only for details built by [`OrganisationForm::validate`].
    pub fn revalidate(
        &self,
        org_type: OrgType,
        requester: &CitizenId,
        today: NaiveDate,
    ) -> Result<OrganisationDetails, Vec<FieldError>> {
        self.to_form()
            .validate_for_requester(org_type, requester, today)
    }

    /// Whether `person` is one of the legal representatives.
    pub fn is_legal_representative(&self, person: &CitizenId) -> bool {
        self.representatives.iter().any(|r| &r.citizen_id == person)
    }

    /// The legal representatives other than `requester`, whose consent the request needs
    /// before it proceeds (Decree 69/2024, Art. 12).
    pub fn co_representatives(&self, requester: &CitizenId) -> Vec<CitizenId> {
        self.representatives
            .iter()
            .filter(|r| &r.citizen_id != requester)
            .map(|r| r.citizen_id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VINAMILK: &str = "0300588569";
    const FPT: &str = "0101248141";
    const VIETTEL: &str = "0100109106";
    // Constructed codes with a valid check digit, standing in for a cooperative and an
    // association whose real codes are not public knowledge; not real organisations' codes.
    const COOPERATIVE: &str = "0101234565";
    const ASSOCIATION: &str = "0301234562";

    /// The check-digit rule of Circular 105/2020/TT-BTC, written out independently of
    /// `TaxCode`, so the examples above are checked against the rule itself.
    fn has_valid_check_digit(code: &str) -> bool {
        const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        let d: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
        if d.len() != 10 {
            return false;
        }
        let sum: u32 = d.iter().zip(W).map(|(n, w)| n * w).sum();
        sum % 11 != 0 && 10 - sum % 11 == d[9]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 15).unwrap()
    }

    fn rep(name: &str, id: &str) -> RepresentativeForm {
        RepresentativeForm {
            full_name: name.into(),
            citizen_id: id.into(),
        }
    }

    fn vinamilk_form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Công ty Cổ phần Sữa Việt Nam".into(),
            abbreviated_name: "VINAMILK".into(),
            foreign_name: "Vietnam Dairy Products Joint Stock Company".into(),
            established_on: "2003-11-20".into(),
            head_office_address: "Số 10 Tân Trào, Phường Tân Mỹ".into(),
            head_office_province: "ho_chi_minh".into(),
            enterprise_code: VINAMILK.into(),
            tax_code: VINAMILK.into(),
            representatives: vec![rep("Mai Kiều Liên", "079153000123")],
            contact_phone: "0912345678".into(),
            contact_email: "vinamilk@vinamilk.com.vn".into(),
            ..OrganisationForm::default()
        }
    }

    fn fpt_form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Công ty Cổ phần FPT".into(),
            established_on: "13/09/1988".into(),
            head_office_address: "Số 10 Phạm Văn Bạch, Phường Cầu Giấy".into(),
            head_office_province: "ha_noi".into(),
            enterprise_code: FPT.into(),
            representatives: vec![rep("Trương Gia Bình", "001056000456")],
            contact_phone: "0987654321".into(),
            ..OrganisationForm::default()
        }
    }

    fn cooperative_form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Hợp tác xã Nông nghiệp Đông Anh".into(),
            established_on: "2016-03-01".into(),
            head_office_address: "Thôn Đông, Xã Đông Anh".into(),
            head_office_province: "ha_noi".into(),
            cooperative_code: COOPERATIVE.into(),
            representatives: vec![rep("Nguyễn Văn An", "001070012345")],
            contact_phone: "0912000111".into(),
            ..OrganisationForm::default()
        }
    }

    fn association_form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Hội Tin học Thành phố Hồ Chí Minh".into(),
            abbreviated_name: "HCA".into(),
            established_on: "1993-05-01".into(),
            head_office_address: "Số 79 Trương Định, Phường Bến Thành".into(),
            head_office_province: "ho_chi_minh".into(),
            tax_code: ASSOCIATION.into(),
            representatives: vec![rep("Trần Thị Bình", "079185001234")],
            contact_phone: "0903123456".into(),
            contact_email: "contact@hca.org.vn".into(),
            ..OrganisationForm::default()
        }
    }

    fn unregistered_form() -> OrganisationForm {
        OrganisationForm {
            name_vi: "Ban Quản lý Khu dân cư số 5".into(),
            established_on: "2020-01-10".into(),
            head_office_address: "Tổ 5, Phường Hải Châu".into(),
            head_office_province: "da_nang".into(),
            representatives: vec![rep("Lê Văn Cường", "048080004321")],
            contact_phone: "0905111222".into(),
            founding_decision: "att_founding_1".into(),
            ..OrganisationForm::default()
        }
    }

    fn error_codes(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.code.as_str()).collect()
    }

    #[test]
    fn every_tax_code_used_in_these_examples_satisfies_the_check_digit_rule() {
        for code in [VINAMILK, FPT, VIETTEL, COOPERATIVE, ASSOCIATION] {
            assert!(has_valid_check_digit(code), "{code}");
            assert!(TaxCode::parse(code).is_ok(), "{code}");
        }
        // And the rule really rejects a mistyped one.
        assert!(!has_valid_check_digit("0300588568"));
    }

    #[test]
    fn vinamilk_as_an_enterprise_validates_into_typed_details() {
        let d = vinamilk_form()
            .validate(OrgType::Enterprise, today())
            .unwrap();
        assert_eq!(d.name_vi.as_str(), "Công ty Cổ phần Sữa Việt Nam");
        assert_eq!(
            d.abbreviated_name.as_ref().map(Name::as_str),
            Some("VINAMILK")
        );
        assert_eq!(
            d.established_on,
            NaiveDate::from_ymd_opt(2003, 11, 20).unwrap()
        );
        assert_eq!(d.head_office.province.key(), "ho_chi_minh");
        assert_eq!(
            d.enterprise_code.as_ref().map(|c| c.as_str()),
            Some(VINAMILK)
        );
        assert_eq!(d.tax_code.as_ref().map(|c| c.as_str()), Some(VINAMILK));
        assert_eq!(d.representatives.len(), 1);
        assert_eq!(
            d.contact_email.as_ref().map(|e| e.as_str()),
            Some("vinamilk@vinamilk.com.vn")
        );
        assert_eq!(d.cooperative_code, None);
        assert_eq!(d.founding_decision, None);
    }

    #[test]
    fn fpt_validates_with_a_vietnamese_date_and_no_tax_code_field() {
        let d = fpt_form().validate(OrgType::Enterprise, today()).unwrap();
        assert_eq!(
            d.established_on,
            NaiveDate::from_ymd_opt(1988, 9, 13).unwrap()
        );
        assert_eq!(d.tax_code, None);
        assert_eq!(d.enterprise_code.unwrap().tax_code().as_str(), FPT);
    }

    #[test]
    fn a_realistic_form_of_each_type_validates() {
        assert!(
            cooperative_form()
                .validate(OrgType::Cooperative, today())
                .is_ok()
        );
        let assoc = association_form()
            .validate(OrgType::OrganisationWithTaxCode, today())
            .unwrap();
        assert_eq!(assoc.tax_code.unwrap().as_str(), ASSOCIATION);
        let unreg = unregistered_form()
            .validate(OrgType::OrganisationWithoutRegistration, today())
            .unwrap();
        assert_eq!(unreg.founding_decision.unwrap().as_str(), "att_founding_1");
        assert_eq!(unreg.tax_code, None);
    }

    #[test]
    fn an_empty_form_reports_every_required_field_of_its_type_at_once() {
        for t in OrgType::ALL {
            let errors = OrganisationForm::default()
                .validate(t, today())
                .unwrap_err();
            let mut got: Vec<OrgField> = errors.iter().map(|e| e.field).collect();
            got.sort();
            got.dedup();
            // With no rows at all, the row fields are reported as the list being empty.
            let mut want: Vec<OrgField> = t
                .required_fields()
                .iter()
                .copied()
                .filter(|f| {
                    !matches!(
                        f,
                        OrgField::RepresentativeName | OrgField::RepresentativeCitizenId
                    )
                })
                .collect();
            want.sort();
            assert_eq!(got, want, "{t:?}");
            assert!(
                errors
                    .iter()
                    .all(|e| !e.message_vi.is_empty() && !e.message_en.is_empty())
            );
        }
    }

    #[test]
    fn an_enterprise_tax_code_must_equal_its_enterprise_code() {
        let mut f = fpt_form();
        f.tax_code = VIETTEL.into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(
            error_codes(&errors),
            ["tax_code.differs_from_registry_code"]
        );
        assert_eq!(errors[0].field, OrgField::TaxCode);

        // A branch's 13-digit code is not the enterprise's own tax code either.
        f.tax_code = format!("{FPT}-001");
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(
            error_codes(&errors),
            ["tax_code.differs_from_registry_code"]
        );

        // Separators people type do not matter.
        f.tax_code = "0101 248 141".into();
        assert!(f.validate(OrgType::Enterprise, today()).is_ok());
    }

    #[test]
    fn a_cooperative_tax_code_must_equal_its_cooperative_code() {
        let mut f = cooperative_form();
        f.tax_code = VINAMILK.into();
        let errors = f.validate(OrgType::Cooperative, today()).unwrap_err();
        assert_eq!(
            error_codes(&errors),
            ["tax_code.differs_from_registry_code"]
        );
        f.tax_code = COOPERATIVE.into();
        assert!(f.validate(OrgType::Cooperative, today()).is_ok());
    }

    #[test]
    fn an_organisation_with_a_tax_code_must_give_it() {
        let mut f = association_form();
        f.tax_code.clear();
        let errors = f
            .validate(OrgType::OrganisationWithTaxCode, today())
            .unwrap_err();
        assert_eq!(error_codes(&errors), ["tax_code.required"]);
    }

    #[test]
    fn type_4_refuses_registry_codes_and_names_the_type_they_belong_to() {
        let cases = [
            (OrgField::TaxCode, VINAMILK, "loại 3"),
            (OrgField::EnterpriseCode, FPT, "loại 1"),
            (OrgField::CooperativeCode, COOPERATIVE, "loại 2"),
        ];
        for (field, code, type_vi) in cases {
            let mut f = unregistered_form();
            match field {
                OrgField::TaxCode => f.tax_code = code.into(),
                OrgField::EnterpriseCode => f.enterprise_code = code.into(),
                _ => f.cooperative_code = code.into(),
            }
            let errors = f
                .validate(OrgType::OrganisationWithoutRegistration, today())
                .unwrap_err();
            assert_eq!(errors.len(), 1, "{field:?}");
            assert_eq!(errors[0].field, field);
            assert_eq!(
                errors[0].code,
                format!("{}.belongs_to_other_type", field.code())
            );
            assert!(
                errors[0].message_vi.contains(type_vi),
                "{}",
                errors[0].message_vi
            );
        }
    }

    #[test]
    fn registry_codes_of_other_types_are_refused_for_types_1_to_3_too() {
        let mut f = association_form();
        f.enterprise_code = VINAMILK.into();
        let errors = f
            .validate(OrgType::OrganisationWithTaxCode, today())
            .unwrap_err();
        assert_eq!(
            error_codes(&errors),
            ["enterprise_code.belongs_to_other_type"]
        );

        let mut f = fpt_form();
        f.cooperative_code = COOPERATIVE.into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(
            error_codes(&errors),
            ["cooperative_code.belongs_to_other_type"]
        );
    }

    #[test]
    fn an_agency_code_left_over_on_an_enterprise_form_is_ignored() {
        let mut f = fpt_form();
        f.agency_code = "000.00.00.H29".into();
        let d = f.validate(OrgType::Enterprise, today()).unwrap();
        assert_eq!(d.agency_code, None);
        let mut f = association_form();
        f.agency_code = "000.00.00.H29".into();
        let d = f
            .validate(OrgType::OrganisationWithTaxCode, today())
            .unwrap();
        assert_eq!(d.agency_code.unwrap().as_str(), "000.00.00.H29");
    }

    #[test]
    fn identifier_errors_keep_the_identifier_code_and_messages() {
        let mut f = vinamilk_form();
        f.tax_code = "0300588568".into();
        f.contact_phone = "12345".into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        let tax = errors
            .iter()
            .find(|e| e.field == OrgField::TaxCode)
            .unwrap();
        assert_eq!(tax.code, "tax_code.bad_check_digit");
        assert_eq!(tax.message_vi, "Mã số thuế không hợp lệ (sai số kiểm tra).");
        assert!(errors.iter().any(|e| e.field == OrgField::ContactPhone));
    }

    #[test]
    fn every_field_error_is_reported_in_one_pass() {
        let mut f = vinamilk_form();
        f.name_vi = "   ".into();
        f.established_on = "2030-01-01".into();
        f.head_office_province = "sai_gon".into();
        f.enterprise_code = "abc".into();
        f.contact_email = "no-at-sign".into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        let fields: Vec<OrgField> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                OrgField::NameVi,
                OrgField::EstablishedOn,
                OrgField::HeadOfficeProvince,
                OrgField::EnterpriseCode,
                OrgField::ContactEmail
            ]
        );
        assert_eq!(errors[1].code, "established_on.in_future");
        assert_eq!(errors[2].code, "province.unknown_province");
    }

    #[test]
    fn the_date_of_establishment_is_checked_against_the_given_today() {
        let mut f = fpt_form();
        f.established_on = "2025-07-15".into();
        assert!(f.validate(OrgType::Enterprise, today()).is_ok());
        f.established_on = "16/07/2025".into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(error_codes(&errors), ["established_on.in_future"]);
        for bad in ["31/02/2020", "2020-13-01", "hôm qua", "2020-01-01T00:00"] {
            f.established_on = bad.into();
            let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
            assert_eq!(error_codes(&errors), ["established_on.bad_format"], "{bad}");
        }
    }

    #[test]
    fn a_representative_listed_twice_is_reported_on_the_second_row() {
        let mut f = vinamilk_form();
        f.representatives
            .push(rep("Nguyễn Văn Bình", "001085012345"));
        f.representatives
            .push(rep("Mai Kiều Liên", "079 153 000 123"));
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "representative_citizen_id.duplicate");
        assert_eq!(errors[0].index, Some(2));
    }

    #[test]
    fn representative_errors_carry_their_row_index() {
        let mut f = vinamilk_form();
        f.representatives.push(rep("", "00108501234"));
        f.representatives
            .push(rep("Trần Văn Cường", "001299912345"));
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        let got: Vec<(OrgField, Option<usize>, &str)> = errors
            .iter()
            .map(|e| (e.field, e.index, e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    OrgField::RepresentativeName,
                    Some(1),
                    "representative_name.required"
                ),
                (
                    OrgField::RepresentativeCitizenId,
                    Some(1),
                    "citizen_id.wrong_length"
                ),
                // Born in 2099 according to the number: mistyped, as of 2025.
                (
                    OrgField::RepresentativeCitizenId,
                    Some(2),
                    "citizen_id.impossible_birth_year"
                ),
            ]
        );
    }

    #[test]
    fn no_representative_at_all_is_an_error_on_the_list() {
        let mut f = fpt_form();
        f.representatives.clear();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(error_codes(&errors), ["representatives.required"]);
        f.representatives =
            vec![rep("Trương Gia Bình", "001056000456"); MAX_REPRESENTATIVES + 1];
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(error_codes(&errors), ["representatives.too_many"]);
    }

    #[test]
    fn the_debug_form_of_a_typed_row_masks_the_identification_number() {
        let dbg = format!("{:?}", rep("Mai Kiều Liên", "079153000123"));
        assert!(dbg.contains("079******123"), "{dbg}");
        assert!(!dbg.contains("079153000123"), "{dbg}");
        assert!(!format!("{:?}", rep("A", "0791530")).contains("0791530"));
    }

    #[test]
    fn names_are_trimmed_and_inner_whitespace_collapsed() {
        let n = Name::parse("  Công ty   Cổ phần\u{a0}FPT ").unwrap();
        assert_eq!(n.as_str(), "Công ty Cổ phần FPT");
    }

    #[test]
    fn names_longer_than_255_characters_are_refused_counting_characters_not_bytes() {
        // 255 Vietnamese letters are 510 bytes but only 255 characters.
        assert!(Name::parse(&"Đ".repeat(255)).is_ok());
        assert_eq!(
            Name::parse(&"Đ".repeat(256)),
            Err(TextProblem::TooLong { max: 255 })
        );
        assert_eq!(
            Name::parse(&"a".repeat(100_000)),
            Err(TextProblem::TooLong { max: 255 })
        );
    }

    #[test]
    fn names_with_control_or_bidi_characters_are_refused() {
        for bad in ["Công ty\nFPT", "FPT\u{0}", "Công ty \u{202E}TPF", "a\tb"] {
            assert_eq!(
                Name::parse(bad),
                Err(TextProblem::ControlCharacter),
                "{bad:?}"
            );
        }
        let mut f = fpt_form();
        f.name_vi = "Công ty\u{7}".into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(error_codes(&errors), ["name_vi.control_character"]);
    }

    #[test]
    fn an_authorised_person_must_attach_the_authorisation_letter() {
        let legal_rep = CitizenId::parse("079153000123").unwrap();
        let assistant = CitizenId::parse("079190001234").unwrap();
        let f = vinamilk_form();
        assert!(
            f.validate_for_requester(OrgType::Enterprise, &legal_rep, today())
                .is_ok()
        );
        let errors = f
            .validate_for_requester(OrgType::Enterprise, &assistant, today())
            .unwrap_err();
        assert_eq!(error_codes(&errors), ["authorisation_letter.required"]);
        let mut f = f;
        f.authorisation_letter = "att_letter_9".into();
        let d = f
            .validate_for_requester(OrgType::Enterprise, &assistant, today())
            .unwrap();
        assert_eq!(d.authorisation_letter.unwrap().as_str(), "att_letter_9");
    }

    #[test]
    fn type_4_needs_its_founding_decision() {
        let mut f = unregistered_form();
        f.founding_decision.clear();
        let errors = f
            .validate(OrgType::OrganisationWithoutRegistration, today())
            .unwrap_err();
        assert_eq!(error_codes(&errors), ["founding_decision.required"]);
        f.founding_decision = "not an id/".into();
        let errors = f
            .validate(OrgType::OrganisationWithoutRegistration, today())
            .unwrap_err();
        assert_eq!(error_codes(&errors), ["id.forbidden_character"]);
    }

    #[test]
    fn required_documents_depend_on_the_type_and_on_who_submits() {
        use DocumentKind::*;
        assert_eq!(OrgType::Enterprise.required_documents(true), []);
        assert_eq!(
            OrgType::Enterprise.required_documents(false),
            [AuthorisationLetter]
        );
        assert_eq!(
            OrgType::OrganisationWithTaxCode.required_documents(true),
            []
        );
        assert_eq!(
            OrgType::OrganisationWithoutRegistration.required_documents(true),
            [FoundingDecision]
        );
        assert_eq!(
            OrgType::OrganisationWithoutRegistration.required_documents(false),
            [AuthorisationLetter, FoundingDecision]
        );
        assert_eq!(AuthorisationLetter.label_vi(), "Giấy ủy quyền");
        assert_eq!(FoundingDecision.field(), OrgField::FoundingDecision);
    }

    #[test]
    fn only_type_4_has_no_verifying_registry() {
        assert_eq!(
            OrgType::Enterprise.verifying_registry(),
            Some(RegistryKind::BusinessRegistry)
        );
        assert_eq!(
            OrgType::Cooperative.verifying_registry(),
            Some(RegistryKind::CooperativeRegistry)
        );
        assert_eq!(
            OrgType::OrganisationWithTaxCode.verifying_registry(),
            Some(RegistryKind::TaxRegistry)
        );
        assert_eq!(
            OrgType::OrganisationWithoutRegistration.verifying_registry(),
            None
        );
    }

    #[test]
    fn types_are_numbered_labelled_and_serialised_as_in_the_guidance() {
        let numbers: Vec<u8> = OrgType::ALL.iter().map(|t| t.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4]);
        for t in OrgType::ALL {
            for s in [
                t.label_vi(),
                t.label_en(),
                t.description_vi(),
                t.description_en(),
            ] {
                assert!(!s.is_empty());
            }
        }
        assert_eq!(
            serde_json::to_string(&OrgType::OrganisationWithTaxCode).unwrap(),
            "\"organisation_with_tax_code\""
        );
    }

    #[test]
    fn field_codes_are_unique_and_equal_to_their_serde_names() {
        let mut codes: Vec<&str> = OrgField::ALL.iter().map(|f| f.code()).collect();
        for f in OrgField::ALL {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.code())
            );
            assert!(!f.label_vi().is_empty() && !f.label_en().is_empty());
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), OrgField::ALL.len());
    }

    #[test]
    fn required_and_optional_fields_never_overlap() {
        for t in OrgType::ALL {
            for f in t.required_fields() {
                assert!(!t.optional_fields().contains(f), "{t:?} {f:?}");
            }
        }
    }

    #[test]
    fn field_errors_travel_as_json_with_their_row_index() {
        let e = FieldError::required(OrgField::RepresentativeName, Some(1));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "representative_name");
        assert_eq!(json["index"], 1);
        assert_eq!(json["code"], "representative_name.required");
        let no_index = serde_json::to_value(FieldError::required(OrgField::NameVi, None)).unwrap();
        assert!(no_index.get("index").is_none());
    }

    #[test]
    fn details_round_trip_through_json_and_back_to_the_same_form() {
        let d = vinamilk_form()
            .validate(OrgType::Enterprise, today())
            .unwrap();
        let json = serde_json::to_string(&d).unwrap();
        let back: OrganisationDetails = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        assert_eq!(
            back.to_form()
                .validate(OrgType::Enterprise, today())
                .unwrap(),
            d
        );
    }

    #[test]
    fn revalidating_deserialised_details_catches_a_type_mismatch() {
        let d = vinamilk_form()
            .validate(OrgType::Enterprise, today())
            .unwrap();
        let requester = CitizenId::parse("079153000123").unwrap();
        assert!(
            d.revalidate(OrgType::Enterprise, &requester, today())
                .is_ok()
        );
        let errors = d
            .revalidate(
                OrgType::OrganisationWithoutRegistration,
                &requester,
                today(),
            )
            .unwrap_err();
        let codes = error_codes(&errors);
        assert!(
            codes.contains(&"tax_code.belongs_to_other_type"),
            "{codes:?}"
        );
        assert!(
            codes.contains(&"enterprise_code.belongs_to_other_type"),
            "{codes:?}"
        );
        // A JSON body with a bad name never becomes details at all.
        let mut v = serde_json::to_value(&d).unwrap();
        v["name_vi"] = "  ".into();
        assert!(serde_json::from_value::<OrganisationDetails>(v).is_err());
    }

    #[test]
    fn co_representatives_are_everyone_but_the_requester() {
        let mut f = vinamilk_form();
        f.representatives
            .push(rep("Nguyễn Văn Bình", "001085012345"));
        let d = f.validate(OrgType::Enterprise, today()).unwrap();
        let requester = CitizenId::parse("079153000123").unwrap();
        let others = d.co_representatives(&requester);
        assert_eq!(others, [CitizenId::parse("001085012345").unwrap()]);
        assert!(d.is_legal_representative(&requester));
    }

    proptest! {
        #[test]
        fn name_parsing_is_idempotent_and_never_panics(s in any::<String>()) {
            if let Ok(n) = Name::parse(&s) {
                prop_assert_eq!(Name::parse(n.as_str()), Ok(n.clone()));
                prop_assert!(n.as_str().chars().count() <= Name::MAX_CHARS);
                prop_assert!(!n.as_str().starts_with(' ') && !n.as_str().ends_with(' '));
            }
        }

        #[test]
        fn validation_never_panics_and_valid_details_round_trip(
            name in "\\PC{0,40}",
            date in "[0-9/-]{0,12}",
            tax in "[0-9 -]{0,14}",
            phone in "[0-9+ ]{0,12}",
            citizen in "[0-9]{10,13}",
            t in 0usize..4,
        ) {
            let org_type = OrgType::ALL[t];
            let mut f = vinamilk_form();
            f.name_vi = name;
            f.established_on = date;
            f.tax_code = tax;
            f.contact_phone = phone;
            f.representatives[0].citizen_id = citizen;
            if let Ok(d) = f.validate(org_type, today()) {
                let again = d.to_form().validate(org_type, today());
                prop_assert_eq!(again, Ok(d));
            }
        }
    }
}
