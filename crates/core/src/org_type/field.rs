//! [`OrgField`]: every field of the organisation form, with the stable code the UI, the server's
//! field errors and stored drafts use, and its labels in both languages.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
