//! Where a request comes from, as both approval screens show it (a desktop's QR login,
//! [`super::qr::QrApprove`], and a sign-in to another service,
//! [`super::service_sign_in::ServiceSignIn`]): the computer's address and approximate place,
//! this phone's own, and the time — so the person can compare the two places themselves, not
//! only through the server's warning. Every value comes from the server's view.

use chrono::{DateTime, Utc};
use dioxus::prelude::*;

use crate::format;
use crate::state::ctx;

/// This phone's line: its approximate place and address (`Đà Nẵng, VN · 198.51.100.9`), or the
/// address alone when the server has no place for it.
pub fn phone_line(ip_address: &str, place: Option<&str>) -> String {
    let ip = format::label(ip_address);
    match place {
        Some(place) => format!("{} · {ip}", format::label(place)),
        None => ip,
    }
}

/// The computer's and this phone's address and place, and the time of the request, as rows of
/// the screen's `dl.review`. Ids: `{id_prefix}-ip`, `{id_prefix}-place`, `{id_prefix}-phone`.
#[component]
pub fn RequestPlaces(
    id_prefix: &'static str,
    ip_address: String,
    approximate_location: Option<String>,
    phone_ip_address: String,
    phone_approximate_location: Option<String>,
    requested_at: DateTime<Utc>,
) -> Element {
    let c = ctx();
    let phone = phone_line(&phone_ip_address, phone_approximate_location.as_deref());
    rsx! {
        div { class: "review-row",
            dt { {c.t("Địa chỉ IP của máy tính", "Computer's IP address")} }
            dd { id: "{id_prefix}-ip", class: "code", {format::label(&ip_address)} }
        }
        if let Some(place) = &approximate_location {
            div { class: "review-row",
                dt { {c.t("Vị trí gần đúng của máy tính", "Computer's approximate place")} }
                dd { id: "{id_prefix}-place", {format::label(place)} }
            }
        }
        div { class: "review-row",
            dt { {c.t("Điện thoại này", "This phone")} }
            dd { id: "{id_prefix}-phone", "{phone}" }
        }
        div { class: "review-row",
            dt { {c.t("Thời gian", "Time")} }
            dd { "{format::time(requested_at)}" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_line_gives_the_place_first_and_the_address_beside_it() {
        assert_eq!(
            phone_line("198.51.100.9", Some("Đà Nẵng, VN")),
            "Đà Nẵng, VN · 198.51.100.9"
        );
        assert_eq!(phone_line("198.51.100.9", None), "198.51.100.9");
    }

    #[test]
    fn a_place_from_the_server_passes_the_text_policy() {
        // A place name is data from a table the operator loaded: shown through the policy,
        // so it cannot reorder the line around it.
        let line = phone_line("198.51.100.9", Some("Đà\u{202e}Nẵng"));
        assert!(!line.contains('\u{202e}'), "{line}");
    }
}
