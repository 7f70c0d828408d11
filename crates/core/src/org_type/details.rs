//! The organisation's details once validated, every identifier parsed: the shape that travels in
//! requests and is stored. They say who represents the organisation, and turn back into a form
//! to be edited again.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{
    AgencyCode, AttachmentId, CitizenId, CooperativeCode, Email, EnterpriseCode, NewProvince,
    PhoneNumber, TaxCode,
};
use crate::org_type::form::{OrganisationForm, RepresentativeForm};
use crate::text::{AddressLine, Name};

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
