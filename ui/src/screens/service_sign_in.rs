//! Phone: *Đăng nhập vào <service>* — a sign-in to another service (a relying party of the
//! server's OpenID provider), scanned from its login page in a desktop browser. Everything the
//! screen says about the service and the browser comes from the server
//! (`GET /v1/oidc/sign-ins/{id}`), never from the code; only the check code is computed from
//! the code, to compare with the one the page shows. Approving needs the passcode (or the
//! biometric key), declining is one tap, as for a desktop's QR login.

use dinhdanh_core::api::{CCCD_CLAIM, ORGANISATION_CLAIM, OidcApprovalBody, OidcSignInView};
use dinhdanh_core::app::{ServiceSignInDeclineArgs, ServiceSignInScanned};
use dinhdanh_core::ids::OrgEid;
use dioxus::prelude::*;

use crate::bridge;
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen};
use crate::screens::places::RequestPlaces;
use crate::state::ctx;

/// A claim as the person reads it: what the service learns, in words.
pub fn claim_words(claim: &str, lang: Lang) -> String {
    let (vi, en) = match claim {
        "name" => ("Họ tên", "Name"),
        ORGANISATION_CLAIM => (
            "Tổ chức: mã định danh, tên, loại, mã số và vai trò của bạn",
            "Organisation: e-ID number, name, type, registry code and your role",
        ),
        // The identification number (CCCD), for services registered to receive it.
        CCCD_CLAIM => (
            "Số định danh cá nhân (CCCD)",
            "Identification number (CCCD)",
        ),
        other => {
            return match lang {
                Lang::Vi => format!("Dữ liệu khác: {}", format::label(other)),
                Lang::En => format!("Other data: {}", format::label(other)),
            };
        }
    };
    lang.t(vi, en).to_owned()
}

/// The claims the service receives when `account` is chosen: exactly those of the body the
/// approval signs ([`OidcApprovalBody::for_view`]: the view's, plus the organisation for an
/// organisation account). Always besides a pseudonymous identifier of the person, different
/// for each service (the pairwise `sub`).
pub fn released_claims(view: &OidcSignInView, account: Option<&OrgEid>) -> Vec<String> {
    OidcApprovalBody::for_view(view, account.cloned()).claims
}

/// The service's registered name in the language shown, through the text policy.
pub fn service_name(view: &OidcSignInView, lang: Lang) -> String {
    format::label(match lang {
        Lang::Vi => &view.client_name_vi,
        Lang::En => &view.client_name_en,
    })
}

/// Phone: *Đăng nhập vào <service>*.
#[component]
pub fn ServiceSignIn(scanned: ServiceSignInScanned) -> Element {
    let c = ctx();
    let mut account = use_signal(|| None::<OrgEid>);
    let chosen = account.read().clone();
    let view = scanned.sign_in.clone();
    let name = service_name(&view, c.l());
    let claims = released_claims(&view, chosen.as_ref());
    let for_approve = scanned.clone();
    let for_decline = scanned.clone();
    // One tap, no passcode: a decline cannot hurt the person, and in doubt it must be the
    // easiest answer (the shell still signs the request with the session's key).
    let decline = move |_| {
        let args = ServiceSignInDeclineArgs {
            payload: for_decline.payload.clone(),
        };
        let (vi, en) = (
            service_name(&for_decline.sign_in, Lang::Vi),
            service_name(&for_decline.sign_in, Lang::En),
        );
        spawn(async move {
            if c.run(bridge::service_sign_in_decline(&args))
                .await
                .is_some()
            {
                c.go(Screen::Home);
                c.tell(
                    &format!("Đã từ chối đăng nhập vào {vi}."),
                    &format!("The sign-in to {en} was refused."),
                );
            }
        });
    };
    rsx! {
        div { id: "screen-service-sign-in", class: "screen",
            h1 { {match c.l() {
                Lang::Vi => format!("Đăng nhập vào {name}"),
                Lang::En => format!("Sign in to {name}"),
            }} }
            if view.address_warning {
                div { id: "service-warning", class: "warning", role: "alert",
                    {c.t(
                        "Cảnh báo: trình duyệt yêu cầu đăng nhập ở mạng hoặc nơi khác xa với điện thoại của bạn. Có thể ai đó đã gửi cho bạn mã QR từ trình duyệt của họ để đăng nhập bằng tài khoản của bạn. Đừng đồng ý nếu bạn không tự mở trang này.",
                        "Warning: the browser asking is on a network or in a place far from your phone. Someone may have sent you a code from their own browser to sign in as you. Do not approve unless you opened the page yourself.",
                    )}
                }
            }
            div { id: "service-request", class: "card",
                dl { class: "review",
                    div { class: "review-row",
                        dt { {c.t("Dịch vụ", "Service")} }
                        dd { id: "service-name", "{name}" }
                    }
                    div { class: "review-row",
                        dt { {c.t("Trang web của dịch vụ", "Service's website")} }
                        dd { id: "service-origin", class: "code", {format::label(&view.redirect_origin)} }
                    }
                    RequestPlaces {
                        id_prefix: "service",
                        ip_address: view.ip_address.clone(),
                        approximate_location: view.approximate_location.clone(),
                        phone_ip_address: view.phone_ip_address.clone(),
                        phone_approximate_location: view.phone_approximate_location.clone(),
                        requested_at: view.requested_at,
                    }
                    div { class: "review-row",
                        dt { {c.t("Mã đối chiếu", "Check code")} }
                        dd { id: "service-check", class: "check-code", "{scanned.check_code}" }
                    }
                }
                p { class: "note", {c.t("Chỉ đồng ý khi mã đối chiếu giống mã trên trang đăng nhập bạn vừa mở.", "Approve only if the check code matches the one on the sign-in page you opened.")} }
            }
            div { class: "card",
                h2 { {c.t("Dịch vụ sẽ nhận", "The service receives")} }
                ul { id: "service-claims", class: "list",
                    li { class: "claim", "data-claim": "sub",
                        {c.t("Một mã nhận diện riêng cho dịch vụ này (không dùng được ở dịch vụ khác)", "An identifier of you for this service only (useless to any other)")}
                    }
                    for claim in claims {
                        li { key: "{claim}", class: "claim", "data-claim": "{claim}", {claim_words(&claim, c.l())} }
                    }
                }
            }
            fieldset { class: "account-choice",
                legend { {c.t("Đăng nhập bằng tài khoản", "Sign in as")} }
                button {
                    id: "service-account-personal",
                    class: if chosen.is_none() { "account-entry active" } else { "account-entry" },
                    r#type: "button", role: "radio",
                    aria_checked: if chosen.is_none() { "true" } else { "false" },
                    onclick: move |_| account.set(None),
                    span { class: "entry-name", {c.t("Tài khoản cá nhân", "Personal account")} }
                }
                for org in view.accounts.iter().filter(|o| o.usable).cloned() {
                    button {
                        key: "{org.eid}",
                        id: "service-account-{org.eid}",
                        class: if chosen.as_ref() == Some(&org.eid) { "account-entry active" } else { "account-entry" },
                        r#type: "button", role: "radio",
                        aria_checked: if chosen.as_ref() == Some(&org.eid) { "true" } else { "false" },
                        onclick: {
                            let eid = org.eid.clone();
                            move |_| account.set(Some(eid.clone()))
                        },
                        span { class: "entry-name", {format::label(&org.name)} }
                        span { class: "entry-code", "{org.eid}" }
                    }
                }
            }
            div { class: "actions two",
                button { id: "service-decline", class: "button secondary big", r#type: "button", onclick: decline,
                    {c.t("Từ chối", "Decline")}
                }
                button { id: "service-approve", class: "button primary big", r#type: "button",
                    onclick: move |_| c.go(Screen::Confirm(Box::new(Pending::ServiceSignIn { scanned: Box::new(for_approve.clone()), account: chosen.clone() }))),
                    {c.t("Đồng ý", "Approve")}
                }
            }
        }
    }
}

/// Phone: the sign-in was approved; the browser goes on by itself.
#[component]
pub fn ServiceSignInDone(name_vi: String, name_en: String) -> Element {
    let c = ctx();
    rsx! {
        div { id: "screen-service-sign-in-done", class: "screen",
            h1 { {match c.l() {
                Lang::Vi => format!("Đã đồng ý đăng nhập vào {name_vi}"),
                Lang::En => format!("You approved the sign-in to {name_en}"),
            }} }
            p { class: "lead",
                {c.t(
                    "Trình duyệt trên máy tính sẽ tự tiếp tục; bạn không cần làm gì thêm trên điện thoại.",
                    "The browser on the computer goes on by itself; there is nothing more to do on the phone.",
                )}
            }
            button { id: "service-done-home", class: "button primary", r#type: "button",
                onclick: move |_| c.go(Screen::Home),
                {c.t("Về trang chủ", "Home")}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(claims: &[&str]) -> OidcSignInView {
        serde_json::from_value(serde_json::json!({
            "sign_in": "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU",
            "client_id": "cli_demo",
            "client_name_vi": "Cổng dịch vụ công\u{202e} (thử nghiệm)",
            "client_name_en": "Public service portal (test)",
            "redirect_origin": "https://portal.example.vn",
            "claims": claims,
            "ip_address": "203.0.113.7",
            "phone_ip_address": "203.0.113.9",
            "address_warning": false,
            "requested_at": "2026-12-02T07:00:00Z",
            "expires_at": "2026-12-02T07:05:00Z",
            "accounts": []
        }))
        .unwrap()
    }

    #[test]
    fn claims_are_named_in_words_in_both_languages() {
        assert_eq!(claim_words("name", Lang::Vi), "Họ tên");
        assert_eq!(claim_words("name", Lang::En), "Name");
        assert!(claim_words("organisation", Lang::Vi).starts_with("Tổ chức"));
        assert_eq!(
            claim_words(CCCD_CLAIM, Lang::Vi),
            "Số định danh cá nhân (CCCD)"
        );
        // An unknown claim is still shown, through the text policy.
        assert_eq!(
            claim_words("x\u{202e}y", Lang::En),
            "Other data: x\u{fffd}y"
        );
    }

    #[test]
    fn an_organisation_account_adds_the_organisation_to_what_is_released() {
        let v = view(&["name"]);
        assert_eq!(released_claims(&v, None), vec!["name".to_owned()]);
        let eid = OrgEid::from_serial(42).unwrap();
        assert_eq!(
            released_claims(&v, Some(&eid)),
            vec!["name".to_owned(), ORGANISATION_CLAIM.to_owned()]
        );
    }

    #[test]
    fn the_service_name_passes_the_text_policy() {
        let v = view(&[]);
        let vi = service_name(&v, Lang::Vi);
        assert!(!vi.contains('\u{202e}'), "{vi}");
        assert!(vi.contains('\u{fffd}'), "{vi}");
        assert_eq!(service_name(&v, Lang::En), "Public service portal (test)");
    }

    #[test]
    fn the_screens_follow_the_test_contract_and_cancel_comes_back_here() {
        let scanned = ServiceSignInScanned {
            payload: "dinhdanh://login?v=2".into(),
            check_code: "123456".into(),
            sign_in: view(&["name"]),
        };
        let screen = Screen::ServiceSignIn(Box::new(scanned.clone()));
        assert_eq!(screen.element_id(), "screen-service-sign-in");
        let pending = Pending::ServiceSignIn {
            scanned: Box::new(scanned),
            account: None,
        };
        assert_eq!(pending.cancel_to(), screen);
        assert!(
            pending
                .title(Lang::Vi)
                .starts_with("Nhập mã PIN để đăng nhập vào Cổng")
        );
        assert!(
            pending
                .title(Lang::En)
                .ends_with("Public service portal (test)")
        );
    }
}
