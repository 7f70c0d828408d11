//! [`OrgType`]: the four organisation types of the guidance, how people name them, the register
//! that verifies each, and which form fields and documents each asks for.

use serde::{Deserialize, Serialize};

use crate::org_type::document::DocumentKind;
use crate::org_type::field::OrgField;
use crate::org_type::registry::RegistryKind;

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn required_and_optional_fields_never_overlap() {
        for t in OrgType::ALL {
            for f in t.required_fields() {
                assert!(!t.optional_fields().contains(f), "{t:?} {f:?}");
            }
        }
    }
}
