//! What the request page shows of a request beyond the queue's row: the details entered beside
//! the registry's record (each field the registry holds differently marked, with the
//! registry's value), why it waits for an officer, the requester, the representatives and
//! their consents, the attachments, and the history with the words people wrote.
//!
//! Identification numbers appear masked only (`001******277`); words other people wrote
//! (questions, answers, reasons, names) pass through the text policy's display form
//! ([`dinhdanh_core::text::shown`]), so a refused character shows as such instead of
//! steering the page.

use dinhdanh_core::api::{
    AttachmentView, ConsentView, MediaType, RegistrationEventKind, RegistrationView,
};
use dinhdanh_core::org_type::OrgField;
use dinhdanh_core::text::{MAX_MESSAGE_CHARS, shown};

/// Longest name or field value shown, in characters.
const MAX_SHOWN_VALUE: usize = 300;

/// One field of the form, entered and, where the registry differs, the registry's value.
pub(super) struct FieldRow {
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub entered: String,
    /// The registry's value where it differs from what was entered.
    pub registry: Option<String>,
}

/// The registry check in words.
pub(super) struct RegistryLine {
    pub registry_vi: &'static str,
    pub registry_en: &'static str,
    pub checked_at: String,
    pub found: bool,
    pub active: bool,
    pub requester_recorded: bool,
    pub differences: usize,
}

/// A co-representative's answer.
pub(super) struct ConsentRow {
    pub name: String,
    pub masked: String,
    pub answer_vi: &'static str,
    pub answer_en: &'static str,
    pub refused: bool,
    pub answered_at: String,
}

/// An attachment, with where the console serves it.
pub(super) struct AttachmentRow {
    pub kind_vi: &'static str,
    pub kind_en: &'static str,
    pub media: &'static str,
    pub size: String,
    pub uploaded_at: String,
    pub href: String,
    /// Shown inline (an image); a PDF is downloaded.
    pub image: bool,
}

/// One entry of the history.
pub(super) struct HistoryRow {
    pub at: String,
    pub actor: Option<String>,
    pub headline_vi: &'static str,
    pub headline_en: &'static str,
    /// Words a person wrote (a question, an answer, a reason), or an e-ID number.
    pub text: Option<String>,
    /// Why it went to an officer.
    pub note: Option<(&'static str, &'static str)>,
}

/// The request page's details.
pub(super) struct Details {
    pub fields: Vec<FieldRow>,
    pub registry: Option<RegistryLine>,
    pub requester_name: String,
    pub requester_masked: String,
    /// Taken at the counter from a person who has no account yet.
    pub requester_without_account: bool,
    pub capacity_vi: &'static str,
    pub capacity_en: &'static str,
    pub consents: Vec<ConsentRow>,
    pub attachments: Vec<AttachmentRow>,
    pub history: Vec<HistoryRow>,
}

fn value(text: &str) -> String {
    shown(text, MAX_SHOWN_VALUE, false)
}

/// A Unix time as Vietnam's date and time (UTC+7), `YYYY-MM-DD HH:MM`.
fn vietnam_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix + 7 * 3600, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

impl Details {
    /// The details of `view` as the officer's page shows them; attachments link under
    /// `attachment_href` (`{id}` replaced).
    pub fn of(view: &RegistrationView, attachment_href: &str) -> Details {
        let d = &view.details;
        let mut entered: Vec<(OrgField, String)> =
            vec![(OrgField::NameVi, value(d.name_vi.as_str()))];
        if let Some(n) = &d.abbreviated_name {
            entered.push((OrgField::AbbreviatedName, value(n.as_str())));
        }
        if let Some(n) = &d.foreign_name {
            entered.push((OrgField::ForeignName, value(n.as_str())));
        }
        entered.push((OrgField::EstablishedOn, d.established_on.to_string()));
        entered.push((
            OrgField::HeadOfficeAddress,
            value(d.head_office.address.as_str()),
        ));
        entered.push((
            OrgField::HeadOfficeProvince,
            d.head_office.province.name_vi().to_owned(),
        ));
        if let Some(c) = &d.tax_code {
            entered.push((OrgField::TaxCode, c.to_string()));
        }
        if let Some(c) = &d.enterprise_code {
            entered.push((OrgField::EnterpriseCode, c.to_string()));
        }
        if let Some(c) = &d.cooperative_code {
            entered.push((OrgField::CooperativeCode, c.to_string()));
        }
        if let Some(c) = &d.agency_code {
            entered.push((OrgField::AgencyCode, c.to_string()));
        }
        let representatives = d
            .representatives
            .iter()
            .map(|r| {
                format!(
                    "{} ({})",
                    value(r.full_name.as_str()),
                    r.citizen_id.masked()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        entered.push((OrgField::Representatives, representatives));
        entered.push((OrgField::ContactPhone, d.contact_phone.to_string()));
        if let Some(e) = &d.contact_email {
            entered.push((OrgField::ContactEmail, e.to_string()));
        }
        let mismatches = view
            .registry_check
            .as_ref()
            .map(|c| c.mismatches.as_slice())
            .unwrap_or_default();
        // A representative's name or number that differs belongs to the representatives' row.
        let row_of = |f: OrgField| match f {
            OrgField::RepresentativeName | OrgField::RepresentativeCitizenId => {
                OrgField::Representatives
            }
            other => other,
        };
        let mut fields: Vec<FieldRow> = entered
            .into_iter()
            .map(|(field, entered)| {
                let registry: Vec<String> = mismatches
                    .iter()
                    .filter(|m| row_of(m.field) == field)
                    .map(|m| value(&m.registry_value))
                    .collect();
                FieldRow {
                    label_vi: field.label_vi(),
                    label_en: field.label_en(),
                    entered,
                    registry: (!registry.is_empty()).then(|| registry.join("; ")),
                }
            })
            .collect();
        // A field the registry holds that the form left empty.
        for m in mismatches {
            let field = row_of(m.field);
            if !fields.iter().any(|r| r.label_vi == field.label_vi()) {
                fields.push(FieldRow {
                    label_vi: field.label_vi(),
                    label_en: field.label_en(),
                    entered: String::new(),
                    registry: Some(value(&m.registry_value)),
                });
            }
        }
        let registry = view.registry_check.as_ref().map(|c| RegistryLine {
            registry_vi: c.registry.label_vi(),
            registry_en: c.registry.label_en(),
            checked_at: vietnam_time(c.checked_at.timestamp()),
            found: c.found,
            active: c.active,
            requester_recorded: c.requester_is_recorded_representative,
            differences: c.mismatches.len(),
        });
        Details {
            fields,
            registry,
            requester_name: value(&view.requester.full_name),
            requester_masked: view.requester.citizen_id_masked.clone(),
            requester_without_account: view.requester.account.is_none(),
            capacity_vi: view.capacity.label_vi(),
            capacity_en: view.capacity.label_en(),
            consents: view.consents.iter().map(consent_row).collect(),
            attachments: view
                .attachments
                .iter()
                .map(|a| attachment_row(a, attachment_href))
                .collect(),
            history: view
                .history
                .iter()
                .map(|e| HistoryRow {
                    at: vietnam_time(e.at.timestamp()),
                    actor: e.actor.as_ref().map(|p| value(&p.full_name)),
                    headline_vi: e.kind.headline_vi(),
                    headline_en: e.kind.headline_en(),
                    text: event_text(&e.kind),
                    note: match &e.kind {
                        RegistrationEventKind::SentToOfficer { reason } => {
                            Some((reason.explanation_vi(), reason.explanation_en()))
                        }
                        _ => None,
                    },
                })
                .collect(),
        }
    }
}

fn event_text(kind: &RegistrationEventKind) -> Option<String> {
    match kind {
        RegistrationEventKind::InformationRequested { question } => {
            Some(shown(question, MAX_MESSAGE_CHARS, true))
        }
        RegistrationEventKind::InformationProvided { answer } => {
            Some(shown(answer, MAX_MESSAGE_CHARS, true))
        }
        RegistrationEventKind::Rejected { reason } => Some(shown(reason, MAX_MESSAGE_CHARS, true)),
        RegistrationEventKind::Approved { org_eid } => Some(org_eid.to_string()),
        _ => None,
    }
}

fn consent_row(c: &ConsentView) -> ConsentRow {
    let (answer_vi, answer_en, refused) = match c.consented {
        Some(true) => ("Đã đồng ý", "Consented", false),
        Some(false) => ("Đã từ chối", "Refused", true),
        None => ("Chưa trả lời", "Not answered yet", false),
    };
    ConsentRow {
        name: value(&c.full_name),
        masked: c.citizen_id_masked.clone(),
        answer_vi,
        answer_en,
        refused,
        answered_at: c
            .answered_at
            .map(|t| vietnam_time(t.timestamp()))
            .unwrap_or_default(),
    }
}

fn attachment_row(a: &AttachmentView, href: &str) -> AttachmentRow {
    AttachmentRow {
        kind_vi: a.kind.label_vi(),
        kind_en: a.kind.label_en(),
        media: match a.media_type {
            MediaType::Pdf => "PDF",
            MediaType::Jpeg => "JPEG",
            MediaType::Png => "PNG",
        },
        size: if a.size >= 1024 * 1024 {
            format!("{:.1} MB", a.size as f64 / (1024.0 * 1024.0))
        } else {
            format!("{} KB", a.size.div_ceil(1024))
        },
        uploaded_at: vietnam_time(a.uploaded_at.timestamp()),
        href: href.replace("{id}", a.id.as_str()),
        image: a.media_type != MediaType::Pdf,
    }
}
