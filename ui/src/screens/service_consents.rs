//! *Dịch vụ đã chia sẻ thông tin*: the services the person agreed to share data with when
//! approving a sign-in (`GET /v1/me/service-consents`), what each received — the
//! identification number (CCCD) marked — and when; and withdrawing them. A withdrawal is not a
//! signed action (the server takes it in one request: it only reduces what is shared and signs
//! the service out), but it ends the service's sign-ins at once, so the screen asks first, in
//! place, with the service named.

use std::collections::BTreeSet;

use dinhdanh_core::api::{CCCD_CLAIM, ServiceConsentView};
use dinhdanh_core::app::WithdrawServiceConsentArgs;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::screens::service_sign_in::claim_words;
use crate::state::ctx;

/// One service's consents: one per account the person signed in to it as. A withdrawal
/// takes them all (the server's `DELETE` is per service).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceGroup {
    /// The service's `client_id`.
    pub client_id: String,
    /// Its registered name in Vietnamese.
    pub name_vi: String,
    /// The same in English.
    pub name_en: String,
    /// Its redirect origins.
    pub origins: Vec<String>,
    /// The consents, in the server's order (most recently used first).
    pub consents: Vec<ServiceConsentView>,
}

impl ServiceGroup {
    /// Whether any of its consents released the identification number (CCCD).
    pub fn releases_cccd(&self) -> bool {
        self.consents
            .iter()
            .any(|c| c.claims.iter().any(|claim| claim == CCCD_CLAIM))
    }

    /// The service's name in `lang`, through the text policy.
    pub fn name(&self, lang: Lang) -> String {
        format::label(lang.t(&self.name_vi, &self.name_en))
    }
}

/// The consents grouped by service, services in the order of their most recent use.
pub fn by_service(list: &[ServiceConsentView]) -> Vec<ServiceGroup> {
    let mut out: Vec<ServiceGroup> = Vec::new();
    for c in list {
        match out.iter_mut().find(|s| s.client_id == c.client_id) {
            Some(s) => s.consents.push(c.clone()),
            None => out.push(ServiceGroup {
                client_id: c.client_id.clone(),
                name_vi: c.name_vi.clone(),
                name_en: c.name_en.clone(),
                origins: c.origins.clone(),
                consents: vec![c.clone()],
            }),
        }
    }
    out
}

/// The claims in the order shown: the identification number first (the one that matters
/// most), then the others by name, each once.
pub fn claims_shown(claims: &[String]) -> Vec<String> {
    let mut rest: BTreeSet<&str> = claims.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    if rest.remove(CCCD_CLAIM) {
        out.push(CCCD_CLAIM.to_owned());
    }
    out.extend(rest.into_iter().map(str::to_owned));
    out
}

/// An element id's part for a client id (letters, digits, `-` and `_` kept, others `_`), so
/// a registered id cannot break the id attribute.
pub fn id_part(client_id: &str) -> String {
    client_id
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect()
}

/// *Dịch vụ đã chia sẻ thông tin*.
#[component]
pub fn ServiceConsents() -> Element {
    let c = ctx();
    let mut list = use_signal(|| None::<Vec<ServiceConsentView>>);
    let mut asking = use_signal(|| None::<String>);
    use_hook(move || {
        spawn(async move {
            if let Some(items) = c.load(bridge::service_consents()).await {
                list.set(Some(items));
            }
        });
    });
    let withdraw = move |service: ServiceGroup| {
        spawn(async move {
            let args = WithdrawServiceConsentArgs {
                client_id: service.client_id.clone(),
            };
            if let Some(done) = c.run(bridge::withdraw_service_consent(&args)).await {
                asking.set(None);
                let (vi, en) = (service.name(Lang::Vi), service.name(Lang::En));
                if let Some(items) = c.run(bridge::service_consents()).await {
                    list.set(Some(items));
                }
                let signed_out = done.tokens_revoked > 0;
                c.tell(
                    &if signed_out {
                        format!("Đã rút lại đồng ý với {vi}; dịch vụ đã bị đăng xuất.")
                    } else {
                        format!("Đã rút lại đồng ý với {vi}.")
                    },
                    &if signed_out {
                        format!("Consent to {en} withdrawn; the service was signed out.")
                    } else {
                        format!("Consent to {en} withdrawn.")
                    },
                );
            }
        });
    };
    let items = list.read().clone();
    let open = asking.read().clone();
    rsx! {
        div { id: "screen-service-consents", class: "screen",
            h1 { {c.t("Dịch vụ đã chia sẻ thông tin", "Services you share data with")} }
            p { class: "lead",
                {c.t(
                    "Khi bạn đồng ý đăng nhập vào một dịch vụ, dịch vụ đó nhận các thông tin dưới đây. Rút lại đồng ý sẽ đăng xuất dịch vụ ngay; lần sau dịch vụ lại phải hỏi bạn.",
                    "When you approve a sign-in to a service, it receives the data below. Withdrawing your consent signs the service out at once; next time it must ask you again.",
                )}
            }
            if let Some(items) = items {
                if items.is_empty() {
                    p { id: "consents-empty", class: "note",
                        {c.t(
                            "Bạn chưa đồng ý chia sẻ thông tin với dịch vụ nào.",
                            "You have not agreed to share your data with any service.",
                        )}
                    }
                }
                ul { class: "list consent-list",
                    for service in by_service(&items) {
                        ConsentCard {
                            key: "{service.client_id}",
                            asking: open.as_deref() == Some(service.client_id.as_str()),
                            on_ask: move |id: Option<String>| asking.set(id),
                            on_withdraw: withdraw,
                            service,
                        }
                    }
                }
            }
        }
    }
}

/// One service: name and website, each account's consent (what was released, CCCD marked,
/// first and last use), and *Rút lại đồng ý* with its question.
#[component]
fn ConsentCard(
    service: ServiceGroup,
    asking: bool,
    on_ask: EventHandler<Option<String>>,
    on_withdraw: EventHandler<ServiceGroup>,
) -> Element {
    let c = ctx();
    let lang = c.l();
    let name = service.name(lang);
    let id = id_part(&service.client_id);
    let for_ask = service.client_id.clone();
    let for_withdraw = service.clone();
    rsx! {
        li { class: "consent-row list-item", "data-client": "{service.client_id}",
            span { class: "item-title", "{name}" }
            for origin in service.origins.iter() {
                span { class: "item-meta code", {format::label(origin)} }
            }
            if service.releases_cccd() {
                p { class: "cccd-note", {c.t(
                    "Dịch vụ này đã nhận số định danh cá nhân (CCCD) của bạn.",
                    "This service received your identification number (CCCD).",
                )} }
            }
            for consent in service.consents.iter() {
                div { class: "consent-account",
                    span { class: "item-meta",
                        {c.t("Tài khoản: ", "Account: ")}
                        strong {
                            {match (&consent.organisation_name, &consent.organisation) {
                                (Some(org_name), Some(eid)) => format!("{} ({eid})", format::label(org_name)),
                                (None, Some(eid)) => eid.to_string(),
                                _ => c.t("Tài khoản cá nhân", "Personal account"),
                            }}
                        }
                    }
                    ul { class: "claims",
                        li { class: "claim", "data-claim": "sub",
                            {c.t("Mã nhận diện riêng cho dịch vụ này", "An identifier for this service only")}
                        }
                        for claim in claims_shown(&consent.claims) {
                            li {
                                key: "{claim}",
                                class: if claim == CCCD_CLAIM { "claim cccd" } else { "claim" },
                                "data-claim": "{claim}",
                                {claim_words(&claim, lang)}
                            }
                        }
                    }
                    span { class: "item-meta",
                        {c.t("Lần đầu: ", "First: ")} "{format::time(consent.first_used_at)}"
                        {c.t(" · gần nhất: ", " · latest: ")} "{format::time(consent.last_used_at)}"
                    }
                }
            }
            if asking {
                div { id: "consent-question-{id}", class: "warning", role: "alert",
                    p { class: "consent-question",
                        {match lang {
                            Lang::Vi => format!("Rút lại đồng ý với {name}? Dịch vụ sẽ bị đăng xuất ngay và không nhận thêm thông tin của bạn cho đến khi bạn đồng ý lại."),
                            Lang::En => format!("Withdraw your consent to {name}? The service is signed out at once and gets no more of your data until you approve again."),
                        }}
                    }
                    div { class: "actions two",
                        button { id: "consent-keep-{id}", class: "button secondary", r#type: "button",
                            onclick: move |_| on_ask.call(None),
                            {c.t("Giữ nguyên", "Keep")}
                        }
                        button { id: "consent-withdraw-confirm-{id}", class: "button danger", r#type: "button",
                            onclick: move |_| on_withdraw.call(for_withdraw.clone()),
                            {c.t("Rút lại", "Withdraw")}
                        }
                    }
                }
            } else {
                button { id: "consent-withdraw-{id}", class: "button small danger", r#type: "button",
                    onclick: move |_| on_ask.call(Some(for_ask.clone())),
                    {c.t("Rút lại đồng ý", "Withdraw consent")}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(client: &str, org: bool, claims: &[&str]) -> ServiceConsentView {
        let org = org.then(|| {
            dinhdanh_core::ids::OrgEid::from_serial(42)
                .unwrap()
                .to_string()
        });
        serde_json::from_value(serde_json::json!({
            "client_id": client,
            "name_vi": "Cổng dịch vụ công",
            "name_en": "Public service portal",
            "origins": ["https://dichvucong.example.vn"],
            "organisation": org,
            "organisation_name": org.as_ref().map(|_| "Công ty TNHH Dịch vụ công"),
            "claims": claims,
            "first_used_at": "2026-12-01T07:00:00Z",
            "last_used_at": "2026-12-02T07:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn consents_are_grouped_by_service_in_the_servers_order() {
        let list = vec![
            consent("rp_b", false, &["name"]),
            consent("rp_a", false, &["name", "cccd"]),
            consent("rp_b", true, &["name", "organisation"]),
        ];
        let grouped = by_service(&list);
        assert_eq!(
            grouped
                .iter()
                .map(|s| s.client_id.as_str())
                .collect::<Vec<_>>(),
            ["rp_b", "rp_a"]
        );
        assert_eq!(grouped[0].consents.len(), 2);
        assert!(!grouped[0].releases_cccd());
        assert!(grouped[1].releases_cccd());
    }

    #[test]
    fn the_identification_number_is_listed_first() {
        let claims = ["name", "organisation", "cccd"].map(String::from);
        assert_eq!(claims_shown(&claims), ["cccd", "name", "organisation"]);
        let without = ["organisation", "name"].map(String::from);
        assert_eq!(claims_shown(&without), ["name", "organisation"]);
    }

    #[test]
    fn a_client_id_cannot_break_an_element_id() {
        assert_eq!(id_part("rp_abc-1"), "rp_abc-1");
        assert_eq!(id_part("a\"b c"), "a_b_c");
    }
}
