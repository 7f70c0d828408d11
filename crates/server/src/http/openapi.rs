//! The API description: an OpenAPI 3.1 document at `GET /v1/openapi.json`, generated from the
//! code. Schemas come from the core crate's wire types (`utoipa::ToSchema`, derived behind
//! dinhdanh-core's `openapi` feature, so a body's schema cannot drift from the type the server
//! and the client use). The paths come from [`ROUTES`], one line per route naming the
//! `api::paths` constant, the method, who may call it and the body types; the handlers live in
//! their resource modules, so this table is the one place that pairs a route with its types
//! (utoipa's `#[utoipa::path]` would have to sit on every handler across the modules).
//! `tests/openapi.rs` checks the table against the running router: every route the server
//! serves is described.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use axum::routing::get;
use dinhdanh_core::api::{self, paths};
use dinhdanh_core::qr_login::QrApprovalBody;
use dinhdanh_core::signed_action::SignedActionEnvelope;
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder,
};

use crate::infra::state::AppState;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(paths::OPENAPI, get(|| async { Json(document()) }))
}

/// The document, built once per process (it depends on nothing but the code).
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(build)
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A sessionless request proof by the device key (sign-in, device binding).
    DeviceProof,
    /// A session token and a request proof by the session's key.
    Session,
}

/// Named schemas collected while describing routes.
type Components = Vec<(String, RefOr<Schema>)>;

/// A body's schema, registering every schema it refers to.
type BodySchema = fn(&mut Components) -> RefOr<Schema>;

/// A request or response body.
#[derive(Clone, Copy)]
pub enum Body {
    /// JSON of this schema.
    Json(BodySchema),
    /// Raw bytes (attachments).
    Bytes,
    /// Plain text.
    Text,
}

/// One operation of the API.
pub struct Route {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The route, from `api::paths`.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The request body.
    pub request: Option<Body>,
    /// The success response body (`None`: 204 No Content).
    pub response: Option<Body>,
}

fn named<T: ToSchema>(c: &mut Components) -> RefOr<Schema> {
    T::schemas(c);
    c.push((T::name().into_owned(), T::schema()));
    Ref::from_schema_name(T::name()).into()
}

fn list<T: ToSchema>(c: &mut Components) -> RefOr<Schema> {
    ArrayBuilder::new().items(named::<T>(c)).into()
}

/// `Page<T>`: items and the cursor of the next page.
fn page<T: ToSchema>(c: &mut Components) -> RefOr<Schema> {
    ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(named::<T>(c)))
        .required("items")
        .property(
            "next",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "Pass as `after` for the next page; absent on the last.",
                )),
        )
        .into()
}

/// `Confirmed<T>`: the body the person saw and the signed action covering it.
fn confirmed<T: ToSchema>(c: &mut Components) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some(
            "A sensitive action: `body` is what the person confirmed; `confirmation` is the \
             signed action (device confirmation key) whose body hash covers it.",
        ))
        .property("body", named::<T>(c))
        .required("body")
        .property("confirmation", named::<SignedActionEnvelope>(c))
        .required("confirmation")
        .into()
}

/// `Confirmed<T>` whose body is whatever the action's direct route takes.
fn confirmed_any(c: &mut Components) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some(
            "A sensitive action confirmed on the phone: `body` is the pending action's body, \
             unchanged; `confirmation` is the signed action whose body hash covers it.",
        ))
        .property("body", ObjectBuilder::new())
        .required("body")
        .property("confirmation", named::<SignedActionEnvelope>(c))
        .required("confirmation")
        .into()
}

fn any_json(_: &mut Components) -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("An OpenAPI 3.1 document."))
        .into()
}

macro_rules! route {
    ($method:ident $path:ident, $access:ident, $summary:expr, $request:expr => $response:expr) => {
        Route {
            method: HttpMethod::$method,
            path: paths::$path,
            summary: $summary,
            access: Access::$access,
            request: $request,
            response: $response,
        }
    };
}

use Body::{Bytes, Json as J, Text};

/// Every operation of the API. Keep in step with the resource modules' `routes()`; the
/// integration test fails when the router serves a path this table does not describe.
pub static ROUTES: &[Route] = &[
    route!(Get HEALTH, Public, "Liveness.", None => Some(Text)),
    route!(Get OPENAPI, Public, "This document.", None => Some(J(any_json))),
    route!(Post CHALLENGES, Public,
        "A single-use challenge for one purpose (sign-in and renewal without a session; \
         actions in a session). Limited per address, or per account in a session \
         (`rate_limited`).",
        Some(J(named::<api::ChallengeRequest>)) => Some(J(named::<api::ChallengeResponse>))),
    route!(Post SELF_REGISTRATION_START, Public,
        "Self-registration, step 1: checked against the citizen registry; a code goes to the phone.",
        Some(J(named::<api::SelfRegistrationStart>)) => Some(J(named::<api::CodeSent>))),
    route!(Post SELF_REGISTRATION_FINISH, Public,
        "Self-registration, step 2: the code and the new password; a level-1 account.",
        Some(J(named::<api::SelfRegistrationFinish>)) => Some(J(named::<api::AccountView>))),
    route!(Post DEVICE_BINDING_START, Public,
        "Device binding, step 1: password; a code goes to the registered phone/e-mail.",
        Some(J(named::<api::DeviceBindingStart>)) => Some(J(named::<api::CodeSent>))),
    route!(Post DEVICE_BINDING_FINISH, DeviceProof,
        "Device binding, step 2: the code and the device's keys; unbinds any other device.",
        Some(J(named::<api::DeviceBindingFinish>)) => Some(J(named::<api::DeviceView>))),
    route!(Post PASSCODE_RESET_START, Session,
        "Forgotten passcode, step 1: password; a code goes to the phone.",
        Some(J(named::<api::PasscodeResetStart>)) => Some(J(named::<api::CodeSent>))),
    route!(Post PASSCODE_RESET_FINISH, Session,
        "Forgotten passcode, step 2: the code and the new passcode-derived key.",
        Some(J(named::<api::PasscodeResetFinish>)) => Some(J(named::<api::DeviceView>))),
    route!(Post SELF_LOCK_START, Public,
        "Lock one's own account, step 1: password; a code goes to the e-mail address.",
        Some(J(named::<api::SelfLockStart>)) => Some(J(named::<api::CodeSent>))),
    route!(Post SELF_LOCK_FINISH, Public,
        "Lock one's own account, step 2: ends every session and unbinds the device.",
        Some(J(named::<api::SelfLockFinish>)) => Some(J(named::<api::AccountView>))),
    route!(Post LOGIN, DeviceProof,
        "Sign in: identification number, password and a proof by the bound device key.",
        Some(J(named::<api::LoginRequest>)) => Some(J(named::<api::LoginResponse>))),
    route!(Get SESSIONS, Session, "The account's sessions.",
        None => Some(J(list::<api::SessionView>))),
    route!(Delete SESSION, Session,
        "End a session (confirmed when it is not the current one).",
        Some(J(confirmed::<api::EndSession>)) => None),
    route!(Delete SESSION_CURRENT, Session,
        "Sign out: end the session the request is made in (works on an idle session).",
        None => None),
    route!(Post SESSION_RENEWAL, Session,
        "Renew an idle session within its absolute expiry, signing a fresh challenge.",
        Some(J(named::<api::SessionRenewal>)) => Some(J(named::<api::LoginResponse>))),
    route!(Get ME, Session, "The signed-in account.",
        None => Some(J(named::<api::AccountView>))),
    route!(Get MY_DATA, Session,
        "Everything held about the signed-in person (Decree 13/2023/NĐ-CP).",
        None => Some(J(named::<api::PersonalDataView>))),
    route!(Get MY_AUDIT, Session,
        "The signed-in person's activity: the audit entries about them and of what they did \
         (Decree 13/2023/NĐ-CP), oldest first.",
        None => Some(J(list::<api::AuditEntry>))),
    route!(Get ACCOUNT_SWITCH, Session, "The accounts the person may switch to.",
        None => Some(J(named::<api::AccountChoices>))),
    route!(Post ACCOUNT_SWITCH, Session, "Switch to an organisation or back.",
        Some(J(confirmed::<api::SwitchAccount>)) => Some(J(named::<api::AccountChoices>))),
    route!(Get NOTIFICATIONS, Session, "The in-app inbox, newest first.",
        None => Some(J(list::<api::Notification>))),
    route!(Get LIVE_EVENTS, Session,
        "WebSocket of the session (token and proof over the GET): live updates while the app \
         is open, one LiveEvent as JSON text each (`ready` first); the app reads the thing \
         named through its own route. One stream per session in an instance \
         (already_waiting); frames over 1 KiB end it, any data frame closes it (1008); pinged \
         when idle; closed with 4401 when the session ends.",
        None => Some(J(named::<api::LiveEvent>))),
    route!(Post REGISTRATIONS, Session, "Submit an organisation registration.",
        Some(J(confirmed::<api::RegistrationSubmission>))
            => Some(J(named::<api::RegistrationView>))),
    route!(Get REGISTRATIONS, Session, "One's registrations.",
        None => Some(J(list::<api::RegistrationView>))),
    route!(Get REGISTRATION, Session,
        "One registration. Every co-representative is listed with a masked number; which of \
         them has an account (and its id) only officers of the request's province see.",
        None => Some(J(named::<api::RegistrationView>))),
    route!(Post REGISTRATION_CONSENT, Session, "A co-representative's consent or refusal.",
        Some(J(confirmed::<api::ConsentDecision>)) => Some(J(named::<api::RegistrationView>))),
    route!(Post REGISTRATION_ANSWER, Session, "Answer an officer's information request.",
        Some(J(confirmed::<api::InformationAnswer>)) => Some(J(named::<api::RegistrationView>))),
    route!(Post REGISTRATION_WITHDRAWAL, Session, "Withdraw a registration.",
        Some(J(confirmed::<api::RegistrationWithdrawal>)) => Some(J(named::<api::RegistrationView>))),
    route!(Post ATTACHMENTS, Session,
        "Upload an attachment (raw body, recognised by content). The session and the proof are \
         checked before the body is read; then the account's quota (20 uploads and 50 MiB a \
         day: attachment_quota_exceeded); the body is read up to 10 MiB (attachment_rejected, \
         field size).",
        Some(Bytes) => Some(J(named::<api::AttachmentView>))),
    route!(Get ATTACHMENT, Session, "An attachment's content (requester and officers only).",
        None => Some(Bytes)),
    route!(Get OFFICER_QUEUE, Session, "The officer queue, overdue first.",
        None => Some(J(page::<api::QueueItem>))),
    route!(Post OFFICER_DECISION, Session, "An officer's decision on a registration.",
        Some(J(confirmed::<api::OfficerDecision>)) => Some(J(named::<api::RegistrationView>))),
    route!(Post OFFICER_ACCOUNT_LOCK, Session,
        "An officer locks or unlocks an account (Decree 69/2024, Art. 15).",
        Some(J(confirmed::<api::OfficerAccountChange>)) => Some(J(named::<api::AccountView>))),
    route!(Get OFFICER_STATISTICS, Session, "Registration statistics.",
        None => Some(J(named::<api::RegistrationStatistics>))),
    route!(Get ORGANISATION, Session,
        "An organisation's e-ID record. Legal representatives' full identification numbers \
         only for its owners and the officers of its province; masked for everyone else.",
        None => Some(J(named::<api::OrganisationRecord>))),
    route!(Get ORGANISATION_ACTIVITY, Session,
        "Who acted for the organisation, from which device, when: the newest 200 audit \
         entries, for its owners and administrators.",
        None => Some(J(list::<api::OrganisationActivityEntry>))),
    route!(Get DELEGATIONS, Session, "An organisation's delegates.",
        None => Some(J(list::<api::DelegationView>))),
    route!(Post DELEGATIONS, Session, "Authorise a person to act for the organisation.",
        Some(J(confirmed::<api::AddDelegate>)) => Some(J(named::<api::DelegationView>))),
    route!(Delete DELEGATION, Session, "Revoke a delegation.",
        Some(J(confirmed::<api::RevokeDelegate>)) => None),
    route!(Post DELEGATION_ANSWER, Session,
        "The delegate accepts or declines a delegation (it works only once accepted).",
        Some(J(confirmed::<api::DelegationAnswer>)) => Some(J(named::<api::DelegationView>))),
    route!(Put DELEGATION_SERVICES, Session,
        "Set the services (relying parties) a delegation lets its delegate sign in to as the \
         organisation, with optional first and last days, replacing the list (confirmed: kind \
         `set_delegation_services`, target `delegation:<id>`). Owners set it for administrators \
         and members, administrators for members; owners are not limited by lists. An unknown, \
         disabled or personal-only service: `unknown_service`.",
        Some(J(confirmed::<api::SetDelegationServices>)) => Some(J(named::<api::DelegationView>))),
    route!(Get SERVICES, Session,
        "The registered services that accept organisation accounts: what a delegation may allow.",
        None => Some(J(list::<api::ServiceView>))),
    route!(Get SERVICE_CONSENTS, Session,
        "The person's consents to services (one per service and account signed in as): claims, \
         first and last use.",
        None => Some(J(list::<api::ServiceConsentView>))),
    route!(Delete SERVICE_CONSENT, Session,
        "Withdraw the person's consents to a service: one tap, no body, not confirmed (it only \
         reduces what is shared); the person's live access tokens for it are revoked at once. \
         Audited (`service_consent.withdrawn`).",
        None => Some(J(named::<api::ConsentWithdrawn>))),
    route!(Post OFFICER_ORGANISATION_CHANGE, Session,
        "An officer locks, unlocks, closes, renames, merges or splits an organisation.",
        Some(J(confirmed::<api::OrganisationLifecycle>))
            => Some(J(named::<api::OrganisationRecord>))),
    route!(Get OFFICER_PROGRESS, Session,
        "Registered organisations of the officer's province against the deployment targets.",
        None => Some(J(named::<api::ProgressStatistics>))),
    route!(Post QR_LOGIN, DeviceProof,
        "The desktop starts a QR login with its ephemeral key (a sessionless proof by that \
         key; rate limited per address). The rendezvous expires after about 60 seconds.",
        Some(J(named::<api::QrLoginStart>)) => Some(J(named::<api::QrLoginStarted>))),
    route!(Get QR_LOGIN_EVENTS, DeviceProof,
        "WebSocket (proof by the desktop key over the GET): one QrLoginEvent as JSON text, \
         then close; the token is handed out once. Rate limited per address like the start; \
         one socket per rendezvous (already_waiting); frames over 1 KiB end it, any data \
         frame closes it (1008).",
        None => Some(J(named::<api::QrLoginEvent>))),
    route!(Get QR_LOGIN_REQUEST, Session, "The phone reads which computer asks.",
        None => Some(J(named::<api::QrLoginRequestView>))),
    route!(Post QR_LOGIN_APPROVAL, Session,
        "The phone approves (confirmed, single use); the desktop gets a session bound to its key.",
        Some(J(confirmed::<QrApprovalBody>)) => None),
    route!(Post QR_LOGIN_DECLINE, Session,
        "The phone declines the QR login: one tap, no body, not confirmed (a decline cannot \
         hurt the person); the desktop is told.",
        None => None),
    route!(Get OIDC_SIGN_IN, Session,
        "The phone reads a sign-in to a service (a relying party of the OpenID provider): the \
         service's registered name and redirect origin, the claims, the browser's address and \
         the accounts it may sign in as. Level 2 only. The OAuth endpoints themselves (PAR, \
         authorize, token, introspection, userinfo, JWKS, discovery, logout) speak OAuth's form and \
         JSON formats and are described by `/.well-known/openid-configuration`. The browser's \
         login page is HTML, outside this API: `/oidc/authorize` (the page; JSON for \
         `Accept: application/json`), `/oidc/authorize/page`, `/oidc/authorize/events` (its \
         WebSocket: cookie and `Origin` checked), `/oidc/authorize/status`, \
         `/oidc/authorize/refresh` (a new code), `/oidc/assets/login.{css,js}` and \
         `/oidc/clients/{client_id}/logo.png`.",
        None => Some(J(named::<api::OidcSignInView>))),
    route!(Post OIDC_SIGN_IN_APPROVAL, Session,
        "The phone approves a sign-in to a service (confirmed: kind `approve_oidc_sign_in`, \
         target `oidc_sign_in:<id>`), naming the service, redirect origin, claims and account.",
        Some(J(confirmed::<api::OidcApprovalBody>)) => None),
    route!(Post OIDC_SIGN_IN_DECLINE, Session,
        "The phone declines a sign-in to a service: one tap, no body, not confirmed (a decline \
         cannot hurt the person).",
        None => None),
    route!(Post STEP_UP, Session,
        "Prove the person is present (passcode or biometrics, kind `step_up`, target \
         `step_up:<purpose>`) before a sensitive screen opens; nothing is changed.",
        Some(J(confirmed::<api::StepUpRequest>)) => Some(J(named::<api::StepUpDone>))),
    route!(Post DESKTOP_ACTIONS, Session,
        "A desktop signed in by QR asks for a sensitive action (`register_organisation`, \
         `switch_account`) to be confirmed on the phone; checked as the direct route would.",
        Some(J(named::<api::DesktopActionRequest>))
            => Some(J(named::<api::PendingDesktopAction>))),
    route!(Get DESKTOP_ACTIONS, Session, "The phone lists the desktop's actions waiting.",
        None => Some(J(list::<api::PendingDesktopAction>))),
    route!(Post DESKTOP_ACTION_CONFIRMATION, Session,
        "The phone confirms a desktop's action: kind `confirm_desktop_action`, target \
         `desktop_action:<id>`, the stored body (single use); answers the outcome the desktop \
         is told.",
        Some(J(confirmed_any)) => Some(J(named::<api::DesktopActionEvent>))),
    route!(Post DESKTOP_ACTION_DECLINE, Session, "The phone declines a desktop's action.",
        None => None),
    route!(Post DESKTOP_ACTION_CANCEL, Session,
        "The desktop session that asked withdraws its action before the phone answered; the \
         phone's confirmation is then refused (desktop_action_cancelled).",
        None => None),
    route!(Get DESKTOP_ACTION_EVENTS, Session,
        "WebSocket of the desktop session that asked (token and proof over the GET): one \
         DesktopActionEvent as JSON text, then close. One socket per action (already_waiting); \
         frames over 1 KiB end it, any data frame closes it (1008).",
        None => Some(J(named::<api::DesktopActionEvent>))),
];

fn content(body: Body, c: &mut Components) -> (&'static str, utoipa::openapi::Content) {
    match body {
        Body::Json(schema) => (
            "application/json",
            ContentBuilder::new().schema(Some(schema(c))).build(),
        ),
        Body::Bytes => (
            "application/octet-stream",
            ContentBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type("application/octet-stream"),
                ))
                .build(),
        ),
        Body::Text => (
            "text/plain",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ),
    }
}

/// The `{name}` parameters of a route.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Delete => "delete",
        HttpMethod::Options => "options",
        HttpMethod::Head => "head",
        HttpMethod::Patch => "patch",
        HttpMethod::Trace => "trace",
    }
}

fn operation_id(method: &HttpMethod, path: &str) -> String {
    let method = method_name(method);
    let rest: Vec<String> = path
        .trim_start_matches("/v1/")
        .split('/')
        .map(|s| {
            s.trim_matches(|c| c == '{' || c == '}')
                .replace(['-', '.'], "_")
        })
        .collect();
    format!("{method}_{}", rest.join("_"))
}

fn build() -> OpenApi {
    let mut components: Components = Vec::new();
    let error = named::<api::ApiError>(&mut components);
    let mut items: BTreeMap<&'static str, Vec<(HttpMethod, utoipa::openapi::path::Operation)>> =
        BTreeMap::new();
    for route in ROUTES {
        let mut op = OperationBuilder::new()
            .summary(Some(route.summary))
            .operation_id(Some(operation_id(&route.method, route.path)));
        for name in path_parameters(route.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        if let Some(body) = route.request {
            let (media, c) = content(body, &mut components);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(media, c)
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        op = match route.response {
            Some(body) => {
                let (media, c) = content(body, &mut components);
                op.response(
                    "200",
                    ResponseBuilder::new()
                        .description("Success.")
                        .content(media, c),
                )
            }
            None => op.response("204", ResponseBuilder::new().description("Done.")),
        };
        op = op.response(
            "default",
            ResponseBuilder::new()
                .description(
                    "Any failure: a stable machine code, a Vietnamese and an English sentence, \
                     the field it concerns; the HTTP status follows the code.",
                )
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(error.clone())).build(),
                ),
        );
        op = match route.access {
            Access::Public => op,
            Access::DeviceProof => op.security(SecurityRequirement::new(
                "request_proof",
                Vec::<String>::new(),
            )),
            Access::Session => op.security(
                SecurityRequirement::new("session", Vec::<String>::new())
                    .add("request_proof", Vec::<String>::new()),
            ),
        };
        items
            .entry(route.path)
            .or_default()
            .push((route.method.clone(), op.build()));
    }
    let mut paths = PathsBuilder::new();
    for (path, ops) in items {
        let mut ops = ops.into_iter();
        let Some((method, first)) = ops.next() else {
            continue;
        };
        let mut item = PathItem::new(method, first);
        for (method, op) in ops {
            item.merge_operations(PathItem::new(method, op));
        }
        paths = paths.path(path, item);
    }
    components.sort_by(|a, b| a.0.cmp(&b.0));
    components.dedup_by(|a, b| a.0 == b.0);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(components)
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "authorization",
                "`DinhDanh <session token>`. Useless alone: every request also carries a \
                 request proof by the key the session is bound to.",
            ))),
        )
        .security_scheme(
            "request_proof",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                dinhdanh_core::request_proof::HEADER_NAME,
                "A request proof (docs/design/request-proofs.md): method, path, body hash, \
                 session hash, time and nonce, signed by the device or session key.",
            ))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Định Danh API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Reference backend of Định Danh, the organisation electronic identity app \
                     (Decree 69/2024/NĐ-CP). Generated from the code: schemas from the wire \
                     types of dinhdanh-core, paths from the server's route table.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_constant_of_the_core_crate_is_described() {
        let source = include_str!("../../../core/src/api/paths.rs");
        let described: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
        let mut checked = 0;
        for line in source.lines() {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let Some(path) = rest.split('"').nth(1) else {
                continue;
            };
            assert!(described.contains(&path), "{path} is not in ROUTES");
            checked += 1;
        }
        assert!(checked > 30, "read the route constants ({checked})");
    }

    #[test]
    fn every_schema_reference_resolves_to_a_component() {
        let json = serde_json::to_value(document()).unwrap();
        let schemas = json["components"]["schemas"].as_object().unwrap();
        let text = json.to_string();
        let mut refs = 0;
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "unresolved $ref {name}");
            refs += 1;
        }
        assert!(refs > 20);
        assert!(schemas.contains_key("SignedActionEnvelope"));
        assert!(schemas.contains_key("CitizenId"));
    }

    #[test]
    fn identifiers_codes_and_keys_carry_the_constraints_of_their_parsers() {
        use dinhdanh_core::patterns;
        let json = serde_json::to_value(document()).unwrap();
        let schemas = &json["components"]["schemas"];
        let pattern = |name: &str| schemas[name]["pattern"].as_str().map(str::to_owned);
        assert_eq!(pattern("CitizenId"), Some(patterns::citizen_id()));
        assert_eq!(pattern("PhoneNumber"), Some(patterns::phone_number()));
        assert_eq!(pattern("Email").as_deref(), Some(patterns::EMAIL));
        assert_eq!(
            pattern("OneTimeCode").as_deref(),
            Some(patterns::ONE_TIME_CODE)
        );
        assert_eq!(pattern("PublicKey").as_deref(), Some(patterns::PUBLIC_KEY));
        assert_eq!(pattern("DeviceId").as_deref(), Some(patterns::OPAQUE_ID));
        assert_eq!(pattern("SessionToken"), Some(patterns::session_token()));
        assert_eq!(pattern("Challenge"), Some(patterns::base64url(16, 64)));
        assert_eq!(schemas["Password"]["minLength"], 8);
        assert_eq!(schemas["Password"]["maxLength"], 20);
        assert_eq!(schemas["SecretText"]["maxLength"], 256);
        assert_eq!(schemas["NewProvince"]["enum"].as_array().unwrap().len(), 34);
        // The login body refers to them, so a generator makes numbers and keys the server
        // takes.
        let login = &schemas["LoginRequest"]["properties"];
        assert_eq!(
            login["citizen_id"]["$ref"],
            "#/components/schemas/CitizenId"
        );
    }
}
