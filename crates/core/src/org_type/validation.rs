//! Validation: [`OrganisationForm`] to [`OrganisationDetails`] for a given [`OrgType`], reporting
//! every [`FieldError`] in one pass; and the same check again for details that arrive over the
//! wire.

use chrono::{Datelike, NaiveDate};

use crate::error::IdError;
use crate::ids::{
    AgencyCode, AttachmentId, CitizenId, CooperativeCode, Email, EnterpriseCode, NewProvince,
    PhoneNumber, TaxCode,
};
use crate::org_type::details::{HeadOffice, LegalRepresentative, OrganisationDetails};
use crate::org_type::document::DocumentKind;
use crate::org_type::error::FieldError;
use crate::org_type::field::OrgField;
use crate::org_type::form::OrganisationForm;
use crate::org_type::types::OrgType;
use crate::text::{AddressLine, Name, TextProblem};

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
}
