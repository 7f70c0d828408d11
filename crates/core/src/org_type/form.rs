//! The organisation form as the person types it: plain strings, so nothing typed is lost before
//! validation (`validation.rs`) turns it into typed details.

use serde::{Deserialize, Serialize};

use crate::org_type::field::OrgField;

/// A legal representative as typed in the form.
///
/// `Debug` masks the identification number as [`CitizenId`]'s does, since a state holding a
/// form ends up in logs through `{:?}` too.
///
/// [`CitizenId`]: crate::ids::CitizenId
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
///
/// [`OrganisationDetails`]: crate::org_type::OrganisationDetails
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
    ///
    /// [`NewProvince`]: crate::ids::NewProvince
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

impl OrganisationForm {
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
}
