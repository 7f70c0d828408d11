//! The dashboard: registered organisations against the registries' population and the plan's
//! targets, per organisation type and per province; requests overdue and decided late; the
//! weekly trend of requests submitted and approved (an SVG image drawn with `plotters`, and the
//! same numbers in a table); and all of it as CSV.
//!
//! Scope is the one rule of [`authz::dashboard_provinces`]: a provincial officer sees their
//! province only — nothing of another, not even its counts — and the read-only national scope
//! sees every province. The figures come from the API's own functions
//! (`progress::progress_in`, `registrations::statistics_in`, `registrations::weekly_trend`),
//! so the console and the API cannot disagree.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::{ProgressStatistics, RegistrationStatistics};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::OrgType;

use super::pages::{self, Header, LINKS, Links, Section, SignInPage};
use super::session::{self, Visitor};
use crate::authz::{self, ConsoleScope};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::progress;
use crate::resources::registrations::{WeekCount, statistics_in, vietnam_date, weekly_trend};

/// Weeks the trend shows.
pub const TREND_WEEKS: u32 = 12;

/// Who is looking, and what they may see.
struct Viewer {
    name: String,
    csrf: String,
    scope: ConsoleScope,
}

/// The viewer of this request, or the page to show instead (sign-in, not an officer).
async fn viewer_or_page(state: &AppState, parts: &Parts) -> Result<Viewer, Response> {
    match session::visitor(state, &parts.headers).await {
        Ok(Visitor::Officer(o)) => Ok(Viewer {
            name: o.name,
            csrf: o.csrf,
            scope: ConsoleScope::Province(o.province),
        }),
        Ok(Visitor::National(n)) => Ok(Viewer {
            name: n.name,
            csrf: n.csrf,
            scope: ConsoleScope::National,
        }),
        Ok(Visitor::Anonymous) => Err(pages::html(StatusCode::OK, &SignInPage { links: LINKS })),
        Ok(Visitor::NotOfficer) => Err(pages::failure(state, pages::Failure::NotOfficer)),
        Err(e) => Err(pages::server_error(state, e)),
    }
}

/// A row of the table by organisation type.
pub(super) struct TypeRow {
    pub type_vi: &'static str,
    pub type_en: &'static str,
    pub registered: u64,
    /// The registries' organisations of the type (none for type 4: no register).
    pub population: Option<u64>,
    pub achieved_percent: Option<String>,
    pub target_percent: u8,
    pub target_count: Option<u64>,
    pub met: Option<bool>,
}

/// A row of the table by province.
pub(super) struct ProvinceRow {
    pub key: &'static str,
    pub name_vi: &'static str,
    pub registered: u64,
    /// Of the types that have a register.
    pub population: u64,
    pub achieved_percent: Option<String>,
    pub open_requests: u64,
    pub overdue: u64,
    pub decided_late: u64,
}

/// The figures of the viewer's scope.
struct Figures {
    provinces: Vec<(NewProvince, ProgressStatistics, RegistrationStatistics)>,
}

/// The figures of every province in `scope`, each table read once for all of them (the
/// national scope's 34 provinces used to cost 34 reads of each).
async fn figures(state: &AppState, scope: &ConsoleScope) -> ServerResult<Figures> {
    let only = province_of(scope);
    let mut progress = progress::progress_in(state, only).await?;
    let mut requests = statistics_in(state, only).await?;
    let mut provinces = Vec::new();
    for p in authz::dashboard_provinces(scope) {
        let (Some(i), Some(j)) = (
            progress.iter().position(|s| s.province == p),
            requests.iter().position(|s| s.province == Some(p)),
        ) else {
            return Err(ServerError::Internal("a province without figures".into()));
        };
        provinces.push((p, progress.swap_remove(i), requests.swap_remove(j)));
    }
    Ok(Figures { provinces })
}

/// `part` of `whole` in percent with one decimal (`0.2`), so early progress does not read as
/// nothing.
fn percent(part: u64, whole: u64) -> Option<String> {
    (whole > 0).then(|| format!("{:.1}", part as f64 * 100.0 / whole as f64))
}

impl Figures {
    fn by_type(&self) -> Vec<TypeRow> {
        OrgType::ALL
            .iter()
            .map(|t| {
                let rows = self
                    .provinces
                    .iter()
                    .filter_map(|(_, p, _)| p.rows.iter().find(|r| r.org_type == *t));
                let (mut registered, mut population, mut target_count) = (0, None, None);
                let mut target_percent = 0;
                for r in rows {
                    registered += r.active + r.locked;
                    target_percent = r.target_percent;
                    if let Some(n) = r.registry_total {
                        population = Some(population.unwrap_or(0) + n);
                    }
                    if let Some(n) = r.target_count {
                        target_count = Some(target_count.unwrap_or(0) + n);
                    }
                }
                TypeRow {
                    type_vi: t.label_vi(),
                    type_en: t.label_en(),
                    registered,
                    population,
                    achieved_percent: population.and_then(|n| percent(registered, n)),
                    target_percent,
                    target_count,
                    met: target_count.map(|c| registered >= c),
                }
            })
            .collect()
    }

    fn by_province(&self) -> Vec<ProvinceRow> {
        self.provinces
            .iter()
            .map(|(p, progress, requests)| {
                let registered = progress.rows.iter().map(|r| r.active + r.locked).sum();
                let with_register: u64 = progress
                    .rows
                    .iter()
                    .filter(|r| r.registry_total.is_some())
                    .map(|r| r.active + r.locked)
                    .sum();
                let population = progress.rows.iter().filter_map(|r| r.registry_total).sum();
                ProvinceRow {
                    key: p.key(),
                    name_vi: p.name_vi(),
                    registered,
                    population,
                    achieved_percent: percent(with_register, population),
                    open_requests: requests
                        .by_status
                        .iter()
                        .filter(|(s, _)| !s.is_final())
                        .map(|(_, n)| n)
                        .sum(),
                    overdue: requests.overdue,
                    decided_late: requests.decided_late,
                }
            })
            .collect()
    }
}

/// The dashboard page.
#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub(super) struct DashboardPage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub national: bool,
    pub scope_vi: &'static str,
    pub scope_en: &'static str,
    pub today: String,
    pub types: Vec<TypeRow>,
    pub provinces: Vec<ProvinceRow>,
    pub weeks: Vec<WeekCount>,
    pub trend_src: &'static str,
    pub csv_href: &'static str,
}

/// `GET /console/dashboard`.
pub(super) async fn dashboard(State(state): State<AppState>, parts: Parts) -> Response {
    let viewer = match viewer_or_page(&state, &parts).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let figures = match figures(&state, &viewer.scope).await {
        Ok(f) => f,
        Err(e) => return pages::server_error(&state, e),
    };
    let weeks = match weekly_trend(&state, province_of(&viewer.scope), TREND_WEEKS).await {
        Ok(w) => w,
        Err(e) => return pages::server_error(&state, e),
    };
    let (scope_vi, scope_en) = match viewer.scope {
        ConsoleScope::Province(p) => (p.name_vi(), p.name_en()),
        ConsoleScope::National => ("Toàn quốc", "National"),
    };
    let header = Header {
        name: &viewer.name,
        province_vi: scope_vi,
        province_en: scope_en,
        csrf: &viewer.csrf,
        section: Section::Dashboard,
    };
    pages::html(
        StatusCode::OK,
        &DashboardPage {
            links: LINKS,
            header,
            national: viewer.scope == ConsoleScope::National,
            scope_vi,
            scope_en,
            today: vietnam_date(state.now()).to_string(),
            types: figures.by_type(),
            provinces: figures.by_province(),
            weeks,
            trend_src: super::DASHBOARD_TREND,
            csv_href: super::DASHBOARD_CSV,
        },
    )
}

fn province_of(scope: &ConsoleScope) -> Option<NewProvince> {
    match scope {
        ConsoleScope::Province(p) => Some(*p),
        ConsoleScope::National => None,
    }
}

/// `GET /console/dashboard/trend.svg`: the weekly trend, drawn by `plotters`' SVG backend.
pub(super) async fn trend_svg(State(state): State<AppState>, parts: Parts) -> Response {
    let viewer = match viewer_or_page(&state, &parts).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let svg = match weekly_trend(&state, province_of(&viewer.scope), TREND_WEEKS).await {
        Ok(weeks) => draw_trend(&weeks),
        Err(e) => return pages::server_error(&state, e),
    };
    match svg {
        Ok(svg) => file(svg, "image/svg+xml", "inline; filename=\"trend.svg\""),
        Err(e) => pages::server_error(&state, e),
    }
}

fn file(body: String, content_type: &'static str, disposition: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    response
}

/// Two lines over the weeks: submitted (blue) and approved (green), on the console's palette.
fn draw_trend(weeks: &[WeekCount]) -> ServerResult<String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 320)).into_drawing_area();
        let chart_error = |e: &dyn std::fmt::Display| ServerError::Internal(format!("chart: {e}"));
        root.fill(&WHITE).map_err(|e| chart_error(&e))?;
        let top = weeks
            .iter()
            .map(|w| w.submitted.max(w.approved))
            .max()
            .unwrap_or(0)
            .max(4);
        let n = weeks.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0u32..n.saturating_sub(1).max(1), 0u64..top + top / 5)
            .map_err(|e| chart_error(&e))?;
        let labels: Vec<String> = weeks
            .iter()
            .map(|w| w.start.format("%d/%m").to_string())
            .collect();
        chart
            .configure_mesh()
            .x_labels(weeks.len())
            .x_label_formatter(&|i| labels.get(*i as usize).cloned().unwrap_or_default())
            .y_desc("Hồ sơ / Requests")
            .light_line_style(RGBColor(0xee, 0xf1, 0xf5))
            .draw()
            .map_err(|e| chart_error(&e))?;
        let blue = RGBColor(0x0b, 0x3d, 0x91);
        let green = RGBColor(0x14, 0x53, 0x2d);
        let series = |f: fn(&WeekCount) -> u64| -> Vec<(u32, u64)> {
            weeks
                .iter()
                .enumerate()
                .map(|(i, w)| (i as u32, f(w)))
                .collect()
        };
        chart
            .draw_series(LineSeries::new(
                series(|w| w.submitted),
                blue.stroke_width(3),
            ))
            .map_err(|e| chart_error(&e))?
            .label("Nộp / Submitted")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(3))
            });
        chart
            .draw_series(LineSeries::new(
                series(|w| w.approved),
                green.stroke_width(3),
            ))
            .map_err(|e| chart_error(&e))?
            .label("Phê duyệt / Approved")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], green.stroke_width(3))
            });
        chart
            .configure_series_labels()
            .background_style(WHITE)
            .border_style(RGBColor(0xd7, 0xdc, 0xe3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| chart_error(&e))?;
        root.present().map_err(|e| chart_error(&e))?;
    }
    Ok(svg)
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; a field that a
/// spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets
/// a leading apostrophe (OWASP's advice on CSV injection).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn optional(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// `GET /console/dashboard.csv`: one row per province and organisation type of the viewer's
/// scope (UTF-8 with a byte-order mark, which spreadsheets need to read Vietnamese).
pub(super) async fn csv(State(state): State<AppState>, parts: Parts) -> Response {
    let viewer = match viewer_or_page(&state, &parts).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let figures = match figures(&state, &viewer.scope).await {
        Ok(f) => f,
        Err(e) => return pages::server_error(&state, e),
    };
    let mut out = String::from(
        "\u{feff}province,province_name,org_type,registered_active,registered_locked,\
         registry_total,achieved_percent,target_percent,target_count,target_met,\
         requests_of_type,province_open_overdue,province_decided_late\n",
    );
    for (p, progress, requests) in &figures.provinces {
        for r in &progress.rows {
            let requests_of_type = requests
                .by_type
                .iter()
                .find(|(t, _)| *t == r.org_type)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let row = [
                p.key().to_owned(),
                p.name_vi().to_owned(),
                crate::store::values::word(&r.org_type).unwrap_or_default(),
                r.active.to_string(),
                r.locked.to_string(),
                optional(r.registry_total),
                optional(r.achieved_percent),
                r.target_percent.to_string(),
                optional(r.target_count),
                r.target_met.map(|m| m.to_string()).unwrap_or_default(),
                requests_of_type.to_string(),
                requests.overdue.to_string(),
                requests.decided_late.to_string(),
            ];
            let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    file(
        out,
        "text/csv; charset=utf-8",
        "attachment; filename=\"dinhdanh-dashboard.csv\"",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_field_is_quoted_and_never_a_formula() {
        assert_eq!(csv_field("Hà Nội"), "Hà Nội");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@x,y"), "\"'@x,y\"");
    }

    #[test]
    fn the_trend_is_an_svg_with_both_lines() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 9, 7).unwrap();
        let weeks: Vec<WeekCount> = (0..12)
            .map(|i| WeekCount {
                start: start + chrono::Days::new(7 * i),
                submitted: i * 3,
                approved: i,
            })
            .collect();
        let svg = draw_trend(&weeks).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
        assert!(svg.contains("Nộp / Submitted"));
        assert!(svg.contains("Phê duyệt / Approved"));
        assert!(svg.matches("<polyline").count() >= 2, "{svg}");
    }
}
