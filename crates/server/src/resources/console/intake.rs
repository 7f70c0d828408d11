//! In-person intake (Cách 2): an officer registers an organisation of their province at the
//! counter. The officer picks the type, fills the type's form — checked by the core crate's
//! rules, the same as the app's — enters the identification number of the person at the
//! counter (checked against the people records and their account), and attaches the scans:
//! the authorisation letter or founding decision, and the signed consent papers of
//! co-representatives without an account. The form is `multipart/form-data`, with the
//! session's CSRF token and the same-origin check of every console form; each file gets the
//! API's upload checks (PDF, JPEG or PNG by content, at most 10 MiB).
//!
//! A form with a problem comes back with a sentence under each field concerned and every text
//! typed kept (files must be chosen again: a browser does not keep them), and nothing is
//! stored. A form without one becomes a `register_in_person` action for the officer's phone
//! (`resources::registrations::check_in_person`); the browser waits on its page, which links
//! to the request once the phone confirmed it.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use dinhdanh_core::account::AccountLevel;
use dinhdanh_core::api::{
    ApiError, ErrorCode, InPersonRegistration, MediaType, PaperConsent, ScannedDocument,
};
use dinhdanh_core::crypto::Digest32;
use dinhdanh_core::ids::{AttachmentId, CitizenId, NewProvince};
use dinhdanh_core::org_type::{
    DocumentKind, FieldError, MAX_REPRESENTATIVES, OrgField, OrgType, OrganisationForm,
    RepresentativeForm,
};
use dinhdanh_core::signed_action::ActionKind;

use super::pages::{self, Failure, Header, LINKS, Links, Section};
use super::queue::officer_or_page;
use super::session::{self, Officer};
use super::sign_in::see_other;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::resources::{accounts, registrations};
use crate::store::values::{from_word, word};

/// Most bytes of one intake form: two documents and a few consent papers of the largest
/// size. A larger form is refused whole, before it is parsed.
const MAX_FORM_BYTES: u64 = 4 * MediaType::MAX_SIZE;
/// Representative rows shown on an empty form; one more than those filled after an error.
const ROWS: usize = 3;

/// A sentence in both languages.
type Sentence = (String, String);

/// One input of the organisation's part of the form.
pub(super) struct Input {
    pub code: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub required: bool,
    pub value: String,
    pub error: Option<Sentence>,
}

/// A choice of the province's `<select>`.
pub(super) struct ProvinceChoice {
    pub key: &'static str,
    pub name_vi: &'static str,
    pub selected: bool,
}

/// One representative's row.
pub(super) struct RepRow {
    pub index: usize,
    pub name: String,
    pub citizen_id: String,
    pub name_error: Option<Sentence>,
    pub id_error: Option<Sentence>,
    pub paper_error: Option<Sentence>,
    pub kept_paper: Option<KeptFile>,
}

/// One document's file input.
pub(super) struct DocInput {
    pub code: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub required_vi: &'static str,
    pub required_en: &'static str,
    pub error: Option<Sentence>,
    /// The file received with a form that came back.
    pub kept: Option<KeptFile>,
}

/// A file received with a form that came back with a problem: kept on the server (under its
/// digest, as a rolled-back upload's content is) and named in the form again by a token this
/// console session alone can make, so the officer does not choose it again.
pub(super) struct KeptFile {
    /// `kept_<field>`'s value: the digest and the session's keyed tag over field and digest.
    pub token: String,
    pub media: &'static str,
    pub size: String,
}
pub(super) struct TypeChoice {
    pub value: String,
    pub number: u8,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub description_vi: &'static str,
    pub description_en: &'static str,
}

/// The intake page: the types to choose from, or the chosen type's form.
#[derive(Template)]
#[template(path = "console/intake.html")]
pub(super) struct IntakePage<'a> {
    pub links: Links,
    pub header: Header<'a>,
    pub action: &'static str,
    pub types: Vec<TypeChoice>,
    /// The chosen type: its word, number and names.
    pub chosen: Option<TypeChoice>,
    pub requester: String,
    pub requester_error: Option<Sentence>,
    pub inputs: Vec<Input>,
    pub provinces: Vec<ProvinceChoice>,
    pub province_error: Option<Sentence>,
    pub rows: Vec<RepRow>,
    pub reps_error: Option<Sentence>,
    pub documents: Vec<DocInput>,
    /// Files were chosen, and the form came back: they must be chosen again.
    pub choose_again: bool,
    pub form_error: Option<Sentence>,
}

fn type_choice(t: OrgType) -> ServerResult<TypeChoice> {
    Ok(TypeChoice {
        value: word(&t)?,
        number: t.number(),
        label_vi: t.label_vi(),
        label_en: t.label_en(),
        description_vi: t.description_vi(),
        description_en: t.description_en(),
    })
}

/// What was posted, as typed.
#[derive(Default)]
struct Posted {
    org_type: Option<OrgType>,
    requester: String,
    form: OrganisationForm,
    /// The representative rows as typed (name, number), blank ones included.
    rows: Vec<(String, String)>,
    /// Files by field name (`authorisation_letter`, `founding_decision`, `rep_paper_<row>`);
    /// an input left empty sends none.
    files: BTreeMap<String, Vec<u8>>,
    /// `kept_<field>` tokens the form sent back (files received with an earlier try).
    kept_tokens: BTreeMap<String, String>,
    /// Files kept for the next try, by field name, once the form is to come back.
    kept: BTreeMap<String, KeptFile>,
}

/// The tag binding a kept file's digest to this console session and field.
fn kept_tag(state: &AppState, officer: &Officer, field: &str, digest: &Digest32) -> String {
    dinhdanh_core::crypto::base64url_encode(&state.keys.keyed_hash(&[
        b"console.intake.kept\0",
        officer.csrf.as_bytes(),
        b"\0",
        field.as_bytes(),
        b"\0",
        digest.as_bytes(),
    ]))
}

/// Puts back the files an earlier try of this session sent, for the fields that carry no new
/// file; a token that is not this session's, or whose content is gone, is ignored (the field
/// then says what it needs, as an empty one does).
async fn take_back_kept(
    state: &AppState,
    officer: &Officer,
    posted: &mut Posted,
) -> ServerResult<()> {
    for (field, token) in std::mem::take(&mut posted.kept_tokens) {
        if posted.files.contains_key(&field) {
            continue;
        }
        let Some((digest, tag)) = token.split_once('.') else {
            continue;
        };
        let Ok(digest) = Digest32::parse(digest) else {
            continue;
        };
        let expected = kept_tag(state, officer, &field, &digest);
        if !dinhdanh_core::crypto::ct_eq(tag.as_bytes(), expected.as_bytes()) {
            continue;
        }
        if let Some(content) = registrations::kept_content(state, &digest).await? {
            posted.files.insert(field, content);
        }
    }
    Ok(())
}

/// Keeps every acceptable file of a form that is coming back, so the page names it instead
/// of asking for it again (a file the upload checks refuse has its sentence, and is not kept).
async fn keep_for_another_try(
    state: &AppState,
    officer: &Officer,
    posted: &mut Posted,
) -> ServerResult<()> {
    for (field, content) in &posted.files {
        let Ok(media) = registrations::checked_media_type(content) else {
            continue;
        };
        let (_, digest) = registrations::keep_content(state, content).await?;
        let media = match media {
            MediaType::Pdf => "PDF",
            MediaType::Jpeg => "JPEG",
            MediaType::Png => "PNG",
        };
        posted.kept.insert(
            field.clone(),
            KeptFile {
                token: format!("{digest}.{}", kept_tag(state, officer, field, &digest)),
                media,
                size: format!("{} KB", content.len().div_ceil(1024)),
            },
        );
    }
    Ok(())
}

/// The problems of a posted form, by where they are shown.
#[derive(Default)]
struct Problems {
    requester: Option<Sentence>,
    fields: BTreeMap<&'static str, Sentence>,
    province: Option<Sentence>,
    reps: Option<Sentence>,
    /// (row, column) → sentence; columns `name`, `id`, `paper`.
    rows: BTreeMap<(usize, &'static str), Sentence>,
    documents: BTreeMap<&'static str, Sentence>,
    form: Option<Sentence>,
}

impl Problems {
    fn is_empty(&self) -> bool {
        self.requester.is_none()
            && self.fields.is_empty()
            && self.province.is_none()
            && self.reps.is_none()
            && self.rows.is_empty()
            && self.documents.is_empty()
            && self.form.is_none()
    }

    /// A core field error under its field; `row_of` maps the form's representative index to
    /// the row it was typed in.
    fn field(&mut self, e: &FieldError, row_of: &[usize]) {
        let sentence = (e.message_vi.clone(), e.message_en.clone());
        let row = e.index.and_then(|i| row_of.get(i).copied()).unwrap_or(0);
        match e.field {
            OrgField::HeadOfficeProvince => {
                self.province.get_or_insert(sentence);
            }
            OrgField::Representatives => {
                self.reps.get_or_insert(sentence);
            }
            OrgField::RepresentativeName => {
                self.rows.entry((row, "name")).or_insert(sentence);
            }
            OrgField::RepresentativeCitizenId => {
                self.rows.entry((row, "id")).or_insert(sentence);
            }
            OrgField::AuthorisationLetter | OrgField::FoundingDecision => {
                self.documents.entry(e.field.code()).or_insert(sentence);
            }
            other => {
                self.fields.entry(other.code()).or_insert(sentence);
            }
        }
    }
}

/// The fields of the organisation's part of the form for `t`, in form order (the province,
/// the representatives and the documents have parts of their own).
fn text_fields(t: OrgType) -> impl Iterator<Item = OrgField> {
    OrgField::ALL.into_iter().filter(move |f| {
        t.asks_for(*f)
            && !matches!(
                f,
                OrgField::HeadOfficeProvince
                    | OrgField::Representatives
                    | OrgField::RepresentativeName
                    | OrgField::RepresentativeCitizenId
                    | OrgField::AuthorisationLetter
                    | OrgField::FoundingDecision
            )
    })
}

fn text_of(form: &mut OrganisationForm, field: OrgField) -> Option<&mut String> {
    Some(match field {
        OrgField::NameVi => &mut form.name_vi,
        OrgField::AbbreviatedName => &mut form.abbreviated_name,
        OrgField::ForeignName => &mut form.foreign_name,
        OrgField::EstablishedOn => &mut form.established_on,
        OrgField::HeadOfficeAddress => &mut form.head_office_address,
        OrgField::HeadOfficeProvince => &mut form.head_office_province,
        OrgField::TaxCode => &mut form.tax_code,
        OrgField::EnterpriseCode => &mut form.enterprise_code,
        OrgField::CooperativeCode => &mut form.cooperative_code,
        OrgField::AgencyCode => &mut form.agency_code,
        OrgField::ContactPhone => &mut form.contact_phone,
        OrgField::ContactEmail => &mut form.contact_email,
        _ => return None,
    })
}

/// The page for `officer`: the type choice, or `posted`'s type's form with `problems`.
fn page<'a>(
    officer: &'a Officer,
    posted: &Posted,
    problems: Problems,
) -> ServerResult<IntakePage<'a>> {
    let types = OrgType::ALL
        .into_iter()
        .map(type_choice)
        .collect::<ServerResult<Vec<_>>>()?;
    let mut page = IntakePage {
        links: LINKS,
        header: Header::of(officer, Section::Intake),
        action: super::INTAKE,
        types,
        chosen: None,
        requester: posted.requester.clone(),
        requester_error: problems.requester,
        inputs: Vec::new(),
        provinces: Vec::new(),
        province_error: problems.province,
        rows: Vec::new(),
        reps_error: problems.reps,
        documents: Vec::new(),
        // Files the checks refused are not kept: they must be chosen again.
        choose_again: posted.files.keys().any(|f| !posted.kept.contains_key(f)),
        form_error: problems.form,
    };
    let Some(t) = posted.org_type else {
        return Ok(page);
    };
    page.chosen = Some(type_choice(t)?);
    let mut form = posted.form.clone();
    page.inputs = text_fields(t)
        .map(|f| Input {
            code: f.code(),
            label_vi: f.label_vi(),
            label_en: f.label_en(),
            required: t.required_fields().contains(&f),
            value: text_of(&mut form, f).cloned().unwrap_or_default(),
            error: problems.fields.get(f.code()).cloned(),
        })
        .collect();
    // The officer takes organisations of their own province: it is chosen for them.
    let province = if form.head_office_province.is_empty() {
        officer.province.key()
    } else {
        form.head_office_province.as_str()
    };
    page.provinces = NewProvince::all()
        .iter()
        .map(|p| ProvinceChoice {
            key: p.key(),
            name_vi: p.name_vi(),
            selected: p.key() == province,
        })
        .collect();
    let shown = (posted.rows.len() + 1).clamp(ROWS, MAX_REPRESENTATIVES);
    page.rows = (0..shown)
        .map(|i| {
            let (name, id) = posted.rows.get(i).cloned().unwrap_or_default();
            RepRow {
                index: i,
                name,
                citizen_id: id,
                name_error: problems.rows.get(&(i, "name")).cloned(),
                id_error: problems.rows.get(&(i, "id")).cloned(),
                paper_error: problems.rows.get(&(i, "paper")).cloned(),
                kept_paper: kept_file(posted, &format!("rep_paper_{i}")),
            }
        })
        .collect();
    page.documents = [
        DocumentKind::AuthorisationLetter,
        DocumentKind::FoundingDecision,
    ]
    .into_iter()
    .filter(|k| t.asks_for(k.field()))
    .map(|k| {
        let (required_vi, required_en) = match k {
            DocumentKind::FoundingDecision if t.required_fields().contains(&k.field()) => {
                ("Bắt buộc với loại tổ chức này.", "Required for this type.")
            }
            DocumentKind::AuthorisationLetter => (
                "Bắt buộc khi người nộp không phải người đại diện theo pháp luật.",
                "Required when the requester is not a legal representative.",
            ),
            _ => ("Không bắt buộc.", "Optional."),
        };
        DocInput {
            code: k.field().code(),
            label_vi: k.label_vi(),
            label_en: k.label_en(),
            required_vi,
            required_en,
            error: problems.documents.get(k.field().code()).cloned(),
            kept: kept_file(posted, k.field().code()),
        }
    })
    .collect();
    Ok(page)
}

fn kept_file(posted: &Posted, field: &str) -> Option<KeptFile> {
    posted.kept.get(field).map(|k| KeptFile {
        token: k.token.clone(),
        media: k.media,
        size: k.size.clone(),
    })
}

fn show(state: &AppState, status: StatusCode, page: ServerResult<IntakePage<'_>>) -> Response {
    match page {
        Ok(p) => pages::html(status, &p),
        Err(e) => pages::server_error(state, e),
    }
}

/// `?type=` of the intake page.
#[derive(serde::Deserialize)]
pub(super) struct TypeQuery {
    #[serde(rename = "type")]
    org_type: Option<String>,
}

/// `GET /console/intake`: the four types to choose from; `?type=…`: that type's empty form.
pub(super) async fn intake(
    State(state): State<AppState>,
    Query(q): Query<TypeQuery>,
    parts: Parts,
) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let mut posted = Posted::default();
    let mut problems = Problems::default();
    match q.org_type.as_deref() {
        None | Some("") => {}
        Some(w) => match from_word::<OrgType>(w) {
            Ok(t) => posted.org_type = Some(t),
            Err(_) => {
                problems.form = Some((
                    "Hãy chọn một trong bốn loại tổ chức.".into(),
                    "Choose one of the four types.".into(),
                ));
            }
        },
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    show(&state, status, page(&officer, &posted, problems))
}

/// Reads the multipart form, at most [`MAX_FORM_BYTES`]; `None` when it is not one or is
/// larger.
async fn read_form(parts: &Parts, body: Body) -> Option<(Option<String>, Posted)> {
    let content_type = parts.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let boundary = multer::parse_boundary(content_type).ok()?;
    let limits = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_FORM_BYTES));
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let mut csrf = None;
    let mut posted = Posted::default();
    let mut rows: BTreeMap<usize, (String, String)> = BTreeMap::new();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            let content = field.bytes().await.ok()?;
            if !content.is_empty() {
                posted.files.insert(name, content.to_vec());
            }
            continue;
        }
        let value = field.text().await.ok()?;
        if let Some(i) = name.strip_prefix("rep_name_") {
            if let Ok(i) = i.parse::<usize>() {
                if i < MAX_REPRESENTATIVES {
                    rows.entry(i).or_default().0 = value;
                }
            }
            continue;
        }
        if let Some(i) = name.strip_prefix("rep_id_") {
            if let Ok(i) = i.parse::<usize>() {
                if i < MAX_REPRESENTATIVES {
                    rows.entry(i).or_default().1 = value;
                }
            }
            continue;
        }
        if let Some(field) = name.strip_prefix("kept_") {
            posted.kept_tokens.insert(field.to_owned(), value);
            continue;
        }
        match name.as_str() {
            "csrf" => csrf = Some(value),
            "org_type" => posted.org_type = from_word::<OrgType>(&value).ok(),
            "requester_citizen_id" => posted.requester = value,
            "head_office_province" => posted.form.head_office_province = value,
            other => {
                if let Some(f) = OrgField::from_code(other) {
                    if let Some(slot) = text_of(&mut posted.form, f) {
                        *slot = value;
                    }
                }
            }
        }
    }
    if let Some(last) = rows.keys().next_back().copied() {
        posted.rows = (0..=last)
            .map(|i| rows.remove(&i).unwrap_or_default())
            .collect();
    }
    Some((csrf, posted))
}

/// The sentence for a file refused by the upload checks (`size` or `media_type`).
fn file_problem(problem: &str) -> Sentence {
    if problem == "size" {
        (
            "Tệp lớn hơn 10 MB; hãy quét lại với độ phân giải thấp hơn.".into(),
            "The file is larger than 10 MB; scan it again at a lower resolution.".into(),
        )
    } else {
        (
            "Tệp không phải PDF, JPEG hoặc PNG.".into(),
            "The file is not a PDF, JPEG or PNG.".into(),
        )
    }
}

/// A scan the form carries, checked; its id is chosen now and named in the form.
fn scan_of(kind: DocumentKind, content: &[u8]) -> Result<(ScannedDocument, Vec<u8>), &'static str> {
    let media_type = registrations::checked_media_type(content)?;
    let id = AttachmentId::parse(&new_id("att")).map_err(|_| "media_type")?;
    Ok((
        ScannedDocument {
            id,
            kind,
            media_type,
            size: content.len() as u64,
            sha256: dinhdanh_core::crypto::sha256(content),
        },
        content.to_vec(),
    ))
}

/// `POST /console/intake` (`multipart/form-data`: `csrf`, `org_type`, `requester_citizen_id`,
/// the type's fields, `rep_name_<row>`, `rep_id_<row>`, files `rep_paper_<row>`,
/// `authorisation_letter`, `founding_decision`): checks everything, then asks the officer's
/// phone to confirm the registration; the browser goes to the action's page. A problem gets
/// the form again with its sentence, status 400, and nothing stored.
pub(super) async fn submit(State(state): State<AppState>, parts: Parts, body: Body) -> Response {
    let officer = match officer_or_page(&state, &parts.headers).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    // The origin is checked before a byte of the body is read; the token once it is.
    if !crate::resources::oidc::from_own_page(&parts.headers, state.config.origin.as_str()) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let Some((csrf, mut posted)) = read_form(&parts, body).await else {
        let problems = Problems {
            form: Some((
                "Không đọc được biểu mẫu: các tệp cộng lại lớn hơn 40 MB, hoặc biểu mẫu không \
                 được gửi từ trang này. Không có gì được lưu."
                    .into(),
                "The form could not be read: the files come to more than 40 MB, or the form \
                 was not sent from this page. Nothing was stored."
                    .into(),
            )),
            ..Problems::default()
        };
        return show(
            &state,
            StatusCode::PAYLOAD_TOO_LARGE,
            page(&officer, &Posted::default(), problems),
        );
    };
    if !session::csrf_matches(&officer, csrf.as_deref()) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    if let Err(e) = take_back_kept(&state, &officer, &mut posted).await {
        return pages::server_error(&state, e);
    }
    let Some(org_type) = posted.org_type else {
        let problems = Problems {
            form: Some((
                "Hãy chọn một trong bốn loại tổ chức.".into(),
                "Choose one of the four types.".into(),
            )),
            ..Problems::default()
        };
        return coming_back(&state, &officer, &mut posted, problems).await;
    };
    match checked(&state, org_type, &mut posted).await {
        Ok(Ok(intake)) => ask(&state, &officer, &mut posted, intake).await,
        Ok(Err(problems)) => coming_back(&state, &officer, &mut posted, problems).await,
        Err(e) => pages::server_error(&state, e),
    }
}

/// The form again with its problems, status 400, its files kept for the next try.
async fn coming_back(
    state: &AppState,
    officer: &Officer,
    posted: &mut Posted,
    problems: Problems,
) -> Response {
    if let Err(e) = keep_for_another_try(state, officer, posted).await {
        return pages::server_error(state, e);
    }
    show(
        state,
        StatusCode::BAD_REQUEST,
        page(officer, posted, problems),
    )
}

/// The scans kept, then the phone asked; a refusal of the server's checks comes back as the
/// form with its sentence.
async fn ask(
    state: &AppState,
    officer: &Officer,
    posted: &mut Posted,
    (intake, contents): (InPersonRegistration, Vec<Vec<u8>>),
) -> Response {
    for content in &contents {
        if let Err(e) = registrations::keep_content(state, content).await {
            return pages::server_error(state, e);
        }
    }
    let asked =
        super::action::ask_phone(state, officer, ActionKind::RegisterInPerson, &intake).await;
    match asked {
        Ok(action) => see_other(&super::ACTION.replace("{id}", &action)),
        Err(ServerError::Api(e)) => {
            let problems = refusal(&e, &intake);
            coming_back(state, officer, posted, problems).await
        }
        Err(e) => pages::server_error(state, e),
    }
}

/// Where the server's refusal `e` is shown on the form.
fn refusal(e: &ApiError, intake: &InPersonRegistration) -> Problems {
    let mut problems = Problems::default();
    let code = e.code.as_str();
    let field = e.field.as_deref().unwrap_or_default();
    if code == ErrorCode::Forbidden.as_str() {
        problems.province = Some((
            "Bạn chỉ tiếp nhận hồ sơ của tổ chức có trụ sở chính tại tỉnh, thành phố của bạn. \
             Không có gì thay đổi."
                .into(),
            "You take registrations only of organisations whose head office is in your \
             province. Nothing changed."
                .into(),
        ));
    } else if code == ErrorCode::OrganisationAlreadyRegistered.as_str()
        || code == ErrorCode::DuplicateRegistration.as_str()
    {
        let sentence = (e.message_vi.clone(), e.message_en.clone());
        // Under the code it was found by (or the name), a field of the form.
        match OrgField::from_code(field).filter(|f| intake.org_type.asks_for(*f)) {
            Some(f) => {
                problems.fields.insert(f.code(), sentence);
            }
            None => problems.form = Some(sentence),
        }
    } else if code == ErrorCode::RateLimited.as_str() {
        problems.form = Some((
            "Đã có 5 yêu cầu đang chờ điện thoại xác nhận. Hãy xác nhận hoặc hủy chúng trước."
                .into(),
            "Five requests are already waiting for your phone. Confirm or cancel them first."
                .into(),
        ));
    } else {
        problems.form = Some((
            format!("{} Không có gì thay đổi.", e.message_vi),
            format!("{} Nothing changed.", e.message_en),
        ));
    }
    problems
}

/// Checks the posted form as the app's is checked, and the people it names against the
/// records; the registration to confirm with the scans' contents, or the problems.
async fn checked(
    state: &AppState,
    org_type: OrgType,
    posted: &mut Posted,
) -> ServerResult<Result<(InPersonRegistration, Vec<Vec<u8>>), Problems>> {
    let mut problems = Problems::default();
    // The requester: a number, a person of the records, with a level-2 account or none yet.
    let requester = match CitizenId::parse(posted.requester.trim()) {
        Err(e) => {
            problems.requester = Some((e.message_vi(), e.message_en()));
            None
        }
        Ok(c) => match person_problem(state, &c).await? {
            Some(p) => {
                problems.requester = Some(p);
                None
            }
            None => Some(c),
        },
    };
    if posted.requester.trim().is_empty() {
        problems.requester = Some((
            "Số định danh cá nhân của người nộp là bắt buộc.".into(),
            "The requester's identification number is required.".into(),
        ));
    }
    // The representatives typed, blank rows left out; `row_of` maps back to the rows.
    let mut row_of = Vec::new();
    posted.form.representatives = Vec::new();
    for (i, (name, id)) in posted.rows.iter().enumerate() {
        if name.trim().is_empty() && id.trim().is_empty() {
            continue;
        }
        row_of.push(i);
        posted.form.representatives.push(RepresentativeForm {
            full_name: name.clone(),
            citizen_id: id.clone(),
        });
    }
    // The scans: checked as uploads are, named in the form by the id each will have.
    let mut scans = Vec::new();
    let mut contents = Vec::new();
    for kind in [
        DocumentKind::AuthorisationLetter,
        DocumentKind::FoundingDecision,
    ] {
        let code = kind.field().code();
        let Some(content) = posted.files.get(code) else {
            continue;
        };
        match scan_of(kind, content) {
            Ok((scan, content)) => {
                let slot = match kind {
                    DocumentKind::AuthorisationLetter => &mut posted.form.authorisation_letter,
                    _ => &mut posted.form.founding_decision,
                };
                *slot = scan.id.to_string();
                scans.push(scan);
                contents.push(content);
            }
            Err(p) => {
                problems.documents.insert(code, file_problem(p));
            }
        }
    }
    // The form, by the core crate's rules for the type (and the requester, when known).
    let today = registrations::vietnam_date(state.now());
    let validated = match &requester {
        Some(r) => posted.form.validate_for_requester(org_type, r, today),
        None => posted.form.validate(org_type, today),
    };
    let details = match validated {
        Ok(d) => Some(d),
        Err(errors) => {
            for e in &errors {
                // A document whose file was refused already has its sentence.
                problems.field(e, &row_of);
            }
            None
        }
    };
    // Consents on paper: a co-representative's row, who has no account.
    let mut paper_consents = Vec::new();
    for (i, (_, id)) in posted.rows.iter().enumerate() {
        let Some(content) = posted.files.get(&format!("rep_paper_{i}")) else {
            continue;
        };
        let sentence = match CitizenId::parse(id.trim()) {
            Err(_) => Some((
                "Hãy nhập số định danh hợp lệ của người đã ký giấy đồng ý.".to_owned(),
                "Enter a valid identification number for the person who signed.".to_owned(),
            )),
            Ok(c) if Some(&c) == requester.as_ref() => Some((
                "Người nộp hồ sơ không cần giấy đồng ý.".to_owned(),
                "The requester needs no consent paper.".to_owned(),
            )),
            Ok(c) => match accounts::find_account_by_citizen(state, &c).await? {
                Some(_) => Some((
                    "Người này đã có tài khoản định danh điện tử: họ sẽ đồng ý trong ứng dụng, không cần giấy."
                        .to_owned(),
                    "This person has an e-ID account: they consent in the app, no paper is needed."
                        .to_owned(),
                )),
                None => match scan_of(DocumentKind::ConsentPaper, content) {
                    Ok((scan, content)) => {
                        paper_consents.push(PaperConsent {
                            citizen_id: c,
                            paper: scan.id.clone(),
                        });
                        scans.push(scan);
                        contents.push(content);
                        None
                    }
                    Err(p) => Some(file_problem(p)),
                },
            },
        };
        if let Some(s) = sentence {
            problems.rows.insert((i, "paper"), s);
        }
    }
    match (requester, details) {
        (Some(requester), Some(details)) if problems.is_empty() => Ok(Ok((
            InPersonRegistration {
                org_type,
                requester,
                details,
                scans,
                paper_consents,
            },
            contents,
        ))),
        _ => Ok(Err(problems)),
    }
}

/// Why the person of `citizen` cannot ask at the counter, if they cannot: unknown to the
/// people records, or with a level-1 account (one without an account can).
async fn person_problem(state: &AppState, citizen: &CitizenId) -> ServerResult<Option<Sentence>> {
    if accounts::find_citizen(state, citizen).await?.is_none() {
        return Ok(Some((
            "Không có người mang số định danh này trong cơ sở dữ liệu dân cư.".into(),
            "No person with this identification number is in the population records.".into(),
        )));
    }
    Ok(
        match accounts::find_account_by_citizen(state, citizen).await? {
            // A person without an account is taken: the request becomes theirs when they
            // create one.
            None => None,
            Some(a) if a.level != AccountLevel::Level2 => Some((
                "Tài khoản của người này ở mức 1; cần tài khoản mức 2 để đăng ký tổ chức.".into(),
                "This person's account is level 1; registering an organisation needs level 2."
                    .into(),
            )),
            Some(_) => None,
        },
    )
}
