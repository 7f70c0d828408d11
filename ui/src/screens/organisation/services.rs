//! The services a delegation allows its delegate to sign in to as the organisation (issue 15,
//! per-service delegation): the summary under each delegation, for the owner and for the
//! delegate, and the screen where an owner (or an administrator, for members) chooses them,
//! each with optional first and last days. Setting the list is a confirmed action
//! (`set_delegation_services`); the server checks everything again.

use chrono::NaiveDate;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    ApiError, DelegatedService, DelegatedServiceView, DelegationView, ErrorCode,
    ServiceDaysProblem, ServiceView,
};
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::nav::{DelegationServicesEdit, Pending, Screen};
use crate::screens::home::role_label;
use crate::screens::service_consents::id_part;
use crate::state::ctx;
use crate::widgets::Field;

/// What the app says of a delegation that allows no outside service (every delegation starts
/// so, and those made before the list existed have none).
pub const NO_SERVICES_VI: &str = "Ủy quyền này chưa cho phép đăng nhập vào dịch vụ nào bên ngoài. Người đại diện theo pháp luật hoặc quản trị viên của tổ chức có thể thêm dịch vụ.";
/// The same in English.
pub const NO_SERVICES_EN: &str = "This delegation does not allow signing in to any outside service yet. The organisation's legal representative or an administrator can add services.";

/// A service's dates in words: "từ 01/12/2026 đến 31/12/2026", or empty when it has none.
pub fn dates_words(from: Option<NaiveDate>, until: Option<NaiveDate>, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(d) = from {
        parts.push(format!("{} {}", lang.t("từ", "from"), format::date(d)));
    }
    if let Some(d) = until {
        parts.push(format!(
            "{} {}",
            lang.t("đến hết", "until the end of"),
            format::date(d)
        ));
    }
    parts.join(" ")
}

/// The services a delegation allows, as its owner and its delegate read them. Nothing for an
/// owner's own delegation (legal representatives hold no list), nor for one revoked or
/// declined (it allows nothing at all).
#[component]
pub fn ServicesSummary(delegation: DelegationView) -> Element {
    let c = ctx();
    let lang = c.l();
    let ended = delegation.revoked_at.is_some() || delegation.declined_at.is_some();
    let Some(services) = delegation.services.clone().filter(|_| !ended) else {
        return rsx! {};
    };
    if services.is_empty() {
        return rsx! {
            p { class: "note delegation-no-services", "data-id": "{delegation.id}",
                {c.t(NO_SERVICES_VI, NO_SERVICES_EN)}
            }
        };
    }
    rsx! {
        div { class: "delegation-services", "data-id": "{delegation.id}",
            span { class: "item-meta", {c.t("Được đăng nhập thay mặt tổ chức vào:", "May sign in for the organisation to:")} }
            ul { class: "claims",
                for s in services {
                    ServiceLine { key: "{s.client_id}", service: s, lang }
                }
            }
        }
    }
}

#[component]
fn ServiceLine(service: DelegatedServiceView, lang: Lang) -> Element {
    let s = service;
    let name = format::label(lang.t(&s.name_vi, &s.name_en));
    let dates = dates_words(s.from, s.until, lang);
    rsx! {
        li { class: "claim delegated-service", "data-client": "{s.client_id}",
            "{name}"
            if !dates.is_empty() { " · {dates}" }
            if !s.available {
                span { class: "unavailable",
                    {lang.t(" · hiện không dùng được", " · not available now")}
                }
            }
        }
    }
}

/// The person's own delegation (a member's or an administrator's): which services it allows.
#[component]
pub fn MyDelegation(delegation: DelegationView) -> Element {
    let c = ctx();
    let d = delegation;
    rsx! {
        section { id: "my-delegation", class: "card",
            h2 { {c.t("Ủy quyền của bạn", "Your authorisation")} }
            p { class: "item-meta",
                {role_label(d.role, c.l())}
                if let Some(until) = d.expires_on { {format!(" · {} {}", c.t("đến", "until"), format::date(until))} }
            }
            ServicesSummary { delegation: d.clone() }
        }
    }
}

/// One row of the form: a service, whether it is chosen, and its dates as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceRow {
    /// The service's `client_id`.
    pub client_id: String,
    /// Its names.
    pub name_vi: String,
    /// Its English name.
    pub name_en: String,
    /// Its redirect origins (empty for a listed service no longer offered).
    pub origins: Vec<String>,
    /// Offered by the server now (a listed service that is not can only be taken off).
    pub available: bool,
    /// Ticked.
    pub chosen: bool,
    /// First day as typed (`yyyy-mm-dd`, or empty).
    pub from: String,
    /// Last day as typed.
    pub until: String,
}

/// The form's rows: every service offered, ticked when `chosen` lists it (with its dates),
/// then the listed ones no longer offered, ticked, so the owner sees and can remove them.
pub fn rows(
    offered: &[ServiceView],
    chosen: &[DelegatedService],
    listed: &[DelegatedServiceView],
) -> Vec<ServiceRow> {
    let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let mut out: Vec<ServiceRow> = offered
        .iter()
        .map(|s| {
            let pick = chosen.iter().find(|c| c.client_id == s.client_id);
            ServiceRow {
                client_id: s.client_id.clone(),
                name_vi: s.name_vi.clone(),
                name_en: s.name_en.clone(),
                origins: s.origins.clone(),
                available: true,
                chosen: pick.is_some(),
                from: pick.and_then(|p| date(p.from)).unwrap_or_default(),
                until: pick.and_then(|p| date(p.until)).unwrap_or_default(),
            }
        })
        .collect();
    for c in chosen {
        if out.iter().any(|r| r.client_id == c.client_id) {
            continue;
        }
        let known = listed.iter().find(|l| l.client_id == c.client_id);
        out.push(ServiceRow {
            client_id: c.client_id.clone(),
            name_vi: known.map_or_else(|| c.client_id.clone(), |k| k.name_vi.clone()),
            name_en: known.map_or_else(|| c.client_id.clone(), |k| k.name_en.clone()),
            origins: Vec::new(),
            available: false,
            chosen: true,
            from: date(c.from).unwrap_or_default(),
            until: date(c.until).unwrap_or_default(),
        });
    }
    out
}

/// The field name the server gives a chosen service's `part` (`client_id`, `from`, `until`):
/// `body.services[k].part`, `k` its place among the chosen ones.
pub fn field_name(k: usize, part: &str) -> String {
    format!("body.services[{k}].{part}")
}

/// A field's error, boxed: an `ApiError` is large, and this one only goes to the banner.
fn field_error(field: String, vi: &str, en: &str) -> Box<ApiError> {
    Box::new(
        ApiError::new(ErrorCode::ValidationFailed).with_details(vec![ApiError {
            field: Some(field),
            message_vi: vi.into(),
            message_en: en.into(),
            ..ApiError::new(ErrorCode::ValidationFailed)
        }]),
    )
}

/// The list to send from the rows: the chosen ones in order, with their dates read (a day
/// that does not read is refused here) and checked by the core's
/// [`DelegatedService::days_problem`], the server's own rule, reported on the field the server
/// would name.
pub fn chosen_services(
    rows: &[ServiceRow],
    today: NaiveDate,
) -> Result<Vec<DelegatedService>, Box<ApiError>> {
    let mut out = Vec::new();
    for (k, r) in rows.iter().filter(|r| r.chosen).enumerate() {
        let day = |text: &str, part: &str| -> Result<Option<NaiveDate>, Box<ApiError>> {
            match text.trim() {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| {
                        field_error(
                            field_name(k, part),
                            "Ngày không hợp lệ; hãy chọn một ngày.",
                            "Not a valid day; please pick one.",
                        )
                    }),
            }
        };
        let entry = DelegatedService {
            client_id: r.client_id.clone(),
            from: day(&r.from, "from")?,
            until: day(&r.until, "until")?,
        };
        match entry.days_problem(today) {
            Some(ServiceDaysProblem::EndsBeforeItStarts) => {
                return Err(field_error(
                    field_name(k, "until"),
                    "Ngày cuối phải sau hoặc bằng ngày đầu.",
                    "The last day must be on or after the first day.",
                ));
            }
            Some(ServiceDaysProblem::AlreadyEnded) => {
                return Err(field_error(
                    field_name(k, "until"),
                    "Ngày cuối đã qua; hãy chọn hôm nay hoặc một ngày sau.",
                    "The last day has passed; pick today or a later day.",
                ));
            }
            None => {}
        }
        out.push(entry);
    }
    Ok(out)
}

/// *Dịch vụ được phép*: the owner chooses the services a delegation allows, then confirms.
#[component]
pub fn DelegationServicesScreen(edit: DelegationServicesEdit) -> Element {
    let c = ctx();
    let lang = c.l();
    let mut offered = use_signal(|| None::<Vec<ServiceRow>>);
    let start = edit.clone();
    use_hook(move || {
        spawn(async move {
            if let Some(list) = c.load(bridge::services()).await {
                let listed = start.delegation.services.clone().unwrap_or_default();
                offered.set(Some(rows(&list, &start.request().services, &listed)));
            }
        });
    });
    let d = edit.delegation.clone();
    let eid = d.organisation.clone();
    let for_save = edit.clone();
    let save = move |_| {
        let Some(current) = offered.read().clone() else {
            return;
        };
        match chosen_services(&current, crate::platform::today()) {
            Ok(list) => {
                let mut next = for_save.clone();
                next.draft = Some(list);
                c.go(Screen::Confirm(Box::new(Pending::SetDelegationServices(
                    Box::new(next),
                ))));
            }
            Err(e) => c.fail(*e),
        }
    };
    let current = offered.read().clone();
    let name = format::label(&d.person.full_name);
    rsx! {
        div { id: "screen-delegation-services", class: "screen",
            h1 { {c.t("Dịch vụ được phép", "Services allowed")} }
            p { class: "lead",
                {match lang {
                    Lang::Vi => format!("Chọn các dịch vụ mà {name} ({}) được đăng nhập thay mặt tổ chức. Không chọn dịch vụ nào: ủy quyền không cho phép đăng nhập vào dịch vụ bên ngoài nào.", role_label(d.role, lang)),
                    Lang::En => format!("Choose the services {name} ({}) may sign in to for the organisation. None chosen: the authorisation allows no outside service.", role_label(d.role, lang)),
                }}
            }
            if let Some(list) = current {
                if list.is_empty() {
                    p { id: "delegation-services-none", class: "note",
                        {c.t("Chưa có dịch vụ nào nhận đăng nhập bằng tài khoản tổ chức.", "No service accepts organisation accounts yet.")}
                    }
                }
                ul { class: "list",
                    for (i, place, row) in numbered(&list) {
                        ServiceChoice { key: "{row.client_id}", index: i, row, place, offered }
                    }
                }
            }
            div { class: "actions two",
                button { id: "delegation-services-back", class: "button secondary", r#type: "button",
                    onclick: move |_| c.go(Screen::Organisation(eid.clone())),
                    {c.t("Quay lại", "Back")}
                }
                button { id: "delegation-services-save", class: "button primary", r#type: "button", onclick: save,
                    {c.t("Lưu", "Save")}
                }
            }
        }
    }
}

/// Each row with its index and its place among the chosen ones.
fn numbered(rows: &[ServiceRow]) -> Vec<(usize, Option<usize>, ServiceRow)> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| (i, place_among_chosen(rows, i), r.clone()))
        .collect()
}

/// Where row `i` stands among the chosen rows (the index the server's fields use), if chosen.
pub fn place_among_chosen(rows: &[ServiceRow], i: usize) -> Option<usize> {
    rows.get(i)
        .filter(|r| r.chosen)
        .map(|_| rows[..i].iter().filter(|r| r.chosen).count())
}

/// One service of the form: the tick, and when ticked its optional dates.
#[component]
fn ServiceChoice(
    index: usize,
    row: ServiceRow,
    place: Option<usize>,
    offered: Signal<Option<Vec<ServiceRow>>>,
) -> Element {
    let c = ctx();
    let lang = c.l();
    let id = id_part(&row.client_id);
    let name = format::label(lang.t(&row.name_vi, &row.name_en));
    let mut form = offered;
    let mut set = move |f: &dyn Fn(&mut ServiceRow)| {
        if let Some(rows) = form.write().as_mut() {
            if let Some(r) = rows.get_mut(index) {
                f(r);
            }
        }
    };
    let error = |part: &str| place.and_then(|k| c.field_error(&field_name(k, part)));
    rsx! {
        li { class: "list-item service-choice", "data-client": "{row.client_id}",
            label { class: "check",
                input { id: "service-choose-{id}", r#type: "checkbox", checked: row.chosen,
                    onchange: move |e| { let on = e.checked(); set(&|r: &mut ServiceRow| r.chosen = on) } }
                span { class: "item-title", " {name}" }
            }
            for origin in row.origins.iter() {
                span { class: "item-meta code", {format::label(origin)} }
            }
            if !row.available {
                p { class: "field-error",
                    {c.t("Dịch vụ này không còn nhận tài khoản tổ chức; hãy bỏ chọn để lưu.", "This service no longer accepts organisation accounts; untick it to save.")}
                }
            }
            if let Some(e) = error("client_id") {
                p { class: "field-error", "{e}" }
            }
            if row.chosen {
                div { class: "date-pair",
                    Field {
                        input_id: "service-from-{id}",
                        label: c.t("Từ ngày (không bắt buộc)", "From (optional)"),
                        error: error("from"),
                        error_id: "error-service-from-{id}",
                        input { id: "service-from-{id}", r#type: "date", initial_value: "{row.from}",
                            oninput: move |e| { let v = e.value(); set(&|r: &mut ServiceRow| r.from = v.clone()) } }
                    }
                    Field {
                        input_id: "service-until-{id}",
                        label: c.t("Đến hết ngày (không bắt buộc)", "Until the end of (optional)"),
                        error: error("until"),
                        error_id: "error-service-until-{id}",
                        input { id: "service-until-{id}", r#type: "date", initial_value: "{row.until}",
                            oninput: move |e| { let v = e.value(); set(&|r: &mut ServiceRow| r.until = v.clone()) } }
                    }
                }
            }
        }
    }
}

/// Whether the person may choose the services of `d`: open, not an owner's, and within what
/// their role may grant (the server decides again).
pub fn may_choose_services(d: &DelegationView, my_role: OrgRole) -> bool {
    d.revoked_at.is_none()
        && d.declined_at.is_none()
        && d.role != OrgRole::Owner
        && my_role.may_manage(d.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(ids: &[&str]) -> Vec<ServiceView> {
        ids.iter()
            .map(|id| ServiceView {
                client_id: (*id).into(),
                name_vi: format!("Dịch vụ {id}"),
                name_en: format!("Service {id}"),
                origins: vec![format!("https://{id}.example.vn")],
            })
            .collect()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_form_ticks_what_the_delegation_lists_and_keeps_a_service_no_longer_offered() {
        let chosen = vec![
            DelegatedService {
                client_id: "rp_b".into(),
                from: None,
                until: Some(day("2026-12-31")),
            },
            DelegatedService {
                client_id: "rp_gone".into(),
                from: None,
                until: None,
            },
        ];
        let r = rows(&offered(&["rp_a", "rp_b"]), &chosen, &[]);
        assert_eq!(r.len(), 3);
        assert!(!r[0].chosen);
        assert!(r[1].chosen && r[1].until == "2026-12-31");
        assert!(r[2].chosen && !r[2].available, "{:?}", r[2]);
        assert_eq!(place_among_chosen(&r, 0), None);
        assert_eq!(place_among_chosen(&r, 1), Some(0));
        assert_eq!(place_among_chosen(&r, 2), Some(1));
    }

    #[test]
    fn dates_are_checked_as_the_server_does_and_named_on_the_servers_field() {
        let today = day("2026-12-02");
        let mut r = rows(&offered(&["rp_a", "rp_b"]), &[], &[]);
        assert_eq!(chosen_services(&r, today).unwrap(), vec![]);
        r[1].chosen = true;
        r[1].from = "2026-12-10".into();
        r[1].until = "2026-12-05".into();
        let e = chosen_services(&r, today).unwrap_err();
        assert_eq!(
            e.details[0].field.as_deref(),
            Some("body.services[0].until")
        );
        r[1].from = String::new();
        r[1].until = "2026-12-01".into();
        let e = chosen_services(&r, today).unwrap_err();
        assert!(e.details[0].message_en.contains("passed"), "{e:?}");
        r[1].until = "2026-12-02".into();
        let ok = chosen_services(&r, today).unwrap();
        assert_eq!(ok[0].client_id, "rp_b");
        assert_eq!(ok[0].until, Some(today));
        r[1].from = "02/12/2026".into();
        let e = chosen_services(&r, today).unwrap_err();
        assert_eq!(e.details[0].field.as_deref(), Some("body.services[0].from"));
    }

    #[test]
    fn dates_read_in_words() {
        assert_eq!(dates_words(None, None, Lang::Vi), "");
        assert_eq!(
            dates_words(Some(day("2026-12-01")), Some(day("2026-12-31")), Lang::Vi),
            "từ 01/12/2026 đến hết 31/12/2026"
        );
        assert_eq!(
            dates_words(None, Some(day("2026-12-31")), Lang::En),
            "until the end of 31/12/2026"
        );
    }

    #[test]
    fn the_no_services_sentence_says_who_can_add_them() {
        assert!(
            NO_SERVICES_VI
                .starts_with("Ủy quyền này chưa cho phép đăng nhập vào dịch vụ nào bên ngoài")
        );
        assert!(NO_SERVICES_EN.contains("administrator"));
    }
}
