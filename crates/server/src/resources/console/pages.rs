//! The console's pages: askama templates in `templates/console/`, every value escaped by the
//! template engine (HTML escaping is on for `.html` templates and nothing here turns it off),
//! Vietnamese first with English beside it.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::Officer;
use super::{
    CONSOLE_CSS, DASHBOARD, HOLIDAYS, HOME, INTAKE, ORGANISATIONS, PEOPLE, SIGN_IN, SIGN_OUT,
};
use crate::infra::error::ServerError;
use crate::infra::state::AppState;

/// The header of a page of a signed-in officer.
pub(super) struct Header<'a> {
    /// Their name.
    pub name: &'a str,
    /// Their province's Vietnamese name.
    pub province_vi: &'static str,
    /// Its English name.
    pub province_en: &'static str,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: &'a str,
    /// The part of the console the page belongs to, marked in the navigation.
    pub section: Section,
}

impl<'a> Header<'a> {
    /// The header of `officer`'s pages in `section`.
    pub fn of(officer: &'a Officer, section: Section) -> Header<'a> {
        Header {
            name: &officer.name,
            province_vi: officer.province.name_vi(),
            province_en: officer.province.name_en(),
            csrf: &officer.csrf,
            section,
        }
    }

    /// The navigation's links, the page's own marked current.
    pub fn nav(&self) -> [NavLink; 6] {
        [
            (Section::Queue, HOME, "Hàng chờ", "Queue"),
            (
                Section::Intake,
                INTAKE,
                "Tiếp nhận tại quầy",
                "Counter intake",
            ),
            (Section::People, PEOPLE, "Người dân", "People"),
            (
                Section::Organisations,
                ORGANISATIONS,
                "Tổ chức",
                "Organisations",
            ),
            (Section::Dashboard, DASHBOARD, "Số liệu", "Dashboard"),
            (Section::Holidays, HOLIDAYS, "Ngày nghỉ", "Days off"),
        ]
        .map(|(section, href, vi, en)| NavLink {
            href,
            vi,
            en,
            current: section == self.section,
        })
    }
}

/// A part of the console, one link of its navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Section {
    /// The queue and the requests' pages.
    Queue,
    /// Registering an organisation at the counter.
    Intake,
    /// Looking people up, their pages.
    People,
    /// The organisations' list and pages.
    Organisations,
    /// The figures.
    Dashboard,
    /// The working-day calendar.
    Holidays,
    /// A page of no part (a decision waiting on the phone).
    None,
}

/// One link of the navigation.
pub(super) struct NavLink {
    pub href: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    /// The page is in its part (`aria-current="page"`).
    pub current: bool,
}

/// Paths the templates link to.
pub(super) struct Links {
    pub css: &'static str,
    pub home: &'static str,
    pub people: &'static str,
    pub organisations: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
}

pub(super) const LINKS: Links = Links {
    css: CONSOLE_CSS,
    home: HOME,
    people: PEOPLE,
    organisations: ORGANISATIONS,
    sign_in: SIGN_IN,
    sign_out: SIGN_OUT,
};

/// The sign-in page: one button that starts a sign-in at the provider.
#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub(super) struct SignInPage {
    pub links: Links,
}

/// Why something did not work, as a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Signed in, but not an officer (or no longer one).
    NotOfficer,
    /// The phone declined, or the sign-in ran out of time.
    Declined,
    /// The sign-in under way is not this browser's, or took too long.
    SignInExpired,
    /// The provider's answer did not check out.
    SignInFailed,
    /// A form that did not come from a console page of this session.
    NotFromConsole,
    /// Not there, or not of the officer's province.
    NotFound,
    /// A person not of the officer's province, or not known.
    PersonNotFound,
    /// An organisation not of the officer's province, or none.
    OrganisationNotFound,
    /// A page of a province's work, asked by the read-only national scope.
    NationalReadOnly,
    /// A filter of the queue that is not one of its choices.
    BadFilter,
    /// A queue page's link that the server did not make for this queue and filter (changed,
    /// cut, another province's, or an offset link from before keyset paging).
    BadPageLink,
    /// The server failed.
    Internal,
}

impl Failure {
    fn status(self) -> StatusCode {
        match self {
            Failure::NotOfficer | Failure::NotFromConsole | Failure::NationalReadOnly => {
                StatusCode::FORBIDDEN
            }
            Failure::Declined | Failure::SignInExpired | Failure::SignInFailed => {
                StatusCode::BAD_REQUEST
            }
            Failure::NotFound | Failure::PersonNotFound | Failure::OrganisationNotFound => {
                StatusCode::NOT_FOUND
            }
            Failure::BadFilter | Failure::BadPageLink => StatusCode::BAD_REQUEST,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn texts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Failure::NotOfficer => (
                "Tài khoản này không phải tài khoản cán bộ",
                "This account is not an officer's account",
                "Bảng điều khiển chỉ dành cho cán bộ công an tỉnh, thành phố được cấp quyền. \
                 Nếu bạn vừa được cấp hoặc bị thu hồi quyền, hãy liên hệ quản trị viên.",
                "The console is for officers of the provincial police who hold the officer \
                 role. If your role was just granted or withdrawn, ask your administrator.",
            ),
            Failure::Declined => (
                "Đăng nhập chưa được chấp thuận",
                "The sign-in was not approved",
                "Điện thoại đã từ chối, hoặc mã đăng nhập đã hết hạn. Hãy đăng nhập lại.",
                "The phone declined, or the sign-in code expired. Please sign in again.",
            ),
            Failure::SignInExpired => (
                "Phiên đăng nhập đã hết hạn",
                "The sign-in has expired",
                "Lượt đăng nhập này không bắt đầu từ trình duyệt này hoặc đã quá lâu. Hãy đăng \
                 nhập lại.",
                "This sign-in did not start in this browser, or took too long. Please sign in \
                 again.",
            ),
            Failure::SignInFailed => (
                "Không đăng nhập được",
                "The sign-in did not succeed",
                "Kết quả đăng nhập không hợp lệ hoặc đã được dùng. Hãy đăng nhập lại.",
                "The sign-in's answer was not valid or was already used. Please sign in again.",
            ),
            Failure::NotFromConsole => (
                "Yêu cầu bị từ chối",
                "Request refused",
                "Biểu mẫu này không được gửi từ trang của bảng điều khiển. Không có gì thay đổi.",
                "This form was not sent from a console page. Nothing was changed.",
            ),
            Failure::NotFound => (
                "Không tìm thấy hồ sơ",
                "Request not found",
                "Hồ sơ không tồn tại hoặc không thuộc tỉnh, thành phố của bạn.",
                "The request does not exist or is not of your province.",
            ),
            Failure::PersonNotFound => (
                "Không tìm thấy người này",
                "Person not found",
                "Người này không có trong cơ sở dữ liệu hoặc không thuộc tỉnh, thành phố của bạn.",
                "This person is not known, or is not of your province.",
            ),
            Failure::OrganisationNotFound => (
                "Không tìm thấy tổ chức",
                "Organisation not found",
                "Không có tổ chức với số định danh này trong tỉnh, thành phố của bạn.",
                "No organisation with this e-ID number in your province.",
            ),
            Failure::NationalReadOnly => (
                "Phạm vi toàn quốc chỉ xem số liệu",
                "The national scope reads figures only",
                "Tài khoản của bạn được cấp phạm vi toàn quốc chỉ để xem bảng số liệu. Hàng chờ, \
                 hồ sơ và người dân thuộc cán bộ của từng tỉnh, thành phố.",
                "Your account holds the national scope, which reads the dashboard only. Queues, \
                 requests and people belong to each province's officers.",
            ),
            Failure::BadFilter => (
                "Bộ lọc không hợp lệ",
                "Not a valid filter",
                "Hãy chọn trạng thái và loại tổ chức trong danh sách của trang hàng chờ.",
                "Choose the status and organisation type from the queue page's lists.",
            ),
            Failure::BadPageLink => (
                "Liên kết trang không hợp lệ",
                "Not a valid page link",
                "Liên kết này không phải do hàng chờ tạo ra, hoặc đã bị sửa. Hãy mở lại hàng chờ \
                 và dùng nút Trang sau / Trang trước.",
                "This link was not made by the queue, or was changed. Open the queue again and \
                 use its Next / Previous buttons.",
            ),
            Failure::Internal => (
                "Đã có lỗi ở máy chủ",
                "The server failed",
                "Hãy thử lại sau ít phút.",
                "Please try again in a few minutes.",
            ),
        }
    }
}

/// A page saying what went wrong, with the way back.
#[derive(Template)]
#[template(path = "console/failure.html")]
pub(super) struct FailurePage {
    pub links: Links,
    pub title_vi: &'static str,
    pub title_en: &'static str,
    pub text_vi: &'static str,
    pub text_en: &'static str,
}

/// An HTML response of `page` with `status`.
pub(super) fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a console page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "").into_response()
        }
    }
}

/// The page of `failure`.
pub(super) fn failure(_state: &AppState, failure: Failure) -> Response {
    let (title_vi, title_en, text_vi, text_en) = failure.texts();
    html(
        failure.status(),
        &FailurePage {
            links: LINKS,
            title_vi,
            title_en,
            text_vi,
            text_en,
        },
    )
}

/// The page of a failure inside the server (logged, not shown).
pub(super) fn server_error(state: &AppState, e: ServerError) -> Response {
    tracing::error!(error = %e, "a console page failed");
    failure(state, Failure::Internal)
}
