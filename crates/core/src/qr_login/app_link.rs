//! The same-device hand-over: a version-2 code carried by a verified https link (Android App
//! Links, iOS Universal Links) instead of a QR code, for the person whose service page is open
//! on the phone itself and who cannot scan their own screen. See `docs/design/qr-login.md`.
//!
//! ```text
//! https://<link origin>/app/sign-in#v=2&s=<sign-in id>&o=<server origin>&e=<expiry>
//! ```
//!
//! * The fragment is exactly the query of the version-2 code ([`ServiceSignInPayload`]), read
//!   by the same strict parser: a link carries nothing a QR code does not, so a link forwarded
//!   to another person's phone is worth no more than a photo of the QR code (the sign-in stays
//!   bound to the browser that holds its cookie, and only that browser gets the code).
//! * A fragment, not a query: browsers never send it to the server, so the sign-in id is in no
//!   access log, proxy log or `Referer`.
//! * No custom scheme: the operating system gives the app only links of hosts that publish the
//!   app's identity (`/.well-known/assetlinks.json`, `/.well-known/apple-app-site-association`);
//!   without the app, the same URL opens a page of the server that says what to do instead.
//! * The link's origin may differ from the code's `o` (iOS opens a Universal Link in Safari when
//!   it is tapped on a page of the same host, so a deployment may serve links from a host of
//!   their own); `o` is what the phone checks against its server, as for a scanned code.
//! * Version 1 (a desktop logging in to this app) is never carried by a link: its reader
//!   answers `unsupported_version`.

use crate::signed_action::Origin;

use super::{QrError, ServiceSignInPayload, URI_PREFIX, malformed};

/// The path of a sign-in link, on the link origin.
pub const APP_LINK_PATH: &str = "/app/sign-in";

/// Longest sign-in link: an origin, the path, `#` and the longest version-2 query. Longer input
/// is refused before any other work.
pub const MAX_APP_LINK_LEN: usize =
    Origin::MAX_LEN + APP_LINK_PATH.len() + 1 + super::MAX_SERVICE_SIGN_IN_URI_LEN
        - URI_PREFIX.len();

impl ServiceSignInPayload {
    /// The https link that hands this sign-in to the app on the same phone, on `link_origin`.
    pub fn to_app_link(&self, link_origin: &Origin) -> String {
        let uri = self.to_uri();
        let query = uri.strip_prefix(URI_PREFIX).unwrap_or(&uri);
        format!("{link_origin}{APP_LINK_PATH}#{query}")
    }

    /// Parses a sign-in link strictly: an [`Origin`] (its one spelling: https, or http on
    /// loopback), exactly [`APP_LINK_PATH`], no query, and a fragment the version-2 reader
    /// accepts. Anything else that is not such a link is [`QrError::NotOurCode`]. Returns the
    /// link's origin with the payload; [`ServiceSignInPayload::check`] is still the caller's.
    pub fn parse_app_link(input: &str) -> Result<(Origin, Self), QrError> {
        if input.len() > MAX_APP_LINK_LEN {
            return Err(malformed("quá dài", "too long"));
        }
        let after_scheme = input
            .strip_prefix("https://")
            .or_else(|| input.strip_prefix("http://"))
            .ok_or(QrError::NotOurCode)?;
        let host_len = after_scheme.find('/').ok_or(QrError::NotOurCode)?;
        let origin_len = input.len() - after_scheme.len() + host_len;
        let (origin, rest) = input.split_at(origin_len);
        let fragment = rest
            .strip_prefix(APP_LINK_PATH)
            .and_then(|r| r.strip_prefix('#'))
            .ok_or(QrError::NotOurCode)?;
        let origin = Origin::parse(origin)
            .map_err(|_| malformed("địa chỉ liên kết không hợp lệ", "invalid link origin"))?;
        let payload = ServiceSignInPayload::parse(&format!("{URI_PREFIX}{fragment}"))?;
        Ok((origin, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr_login::RendezvousId;

    fn payload() -> ServiceSignInPayload {
        ServiceSignInPayload::new(
            RendezvousId::from_bytes(&[7u8; 32]).unwrap(),
            Origin::parse("https://dinhdanh.example.vn").unwrap(),
            1_800_000_000,
        )
        .unwrap()
    }

    fn link() -> String {
        payload().to_app_link(&Origin::parse("https://dinhdanh.example.vn").unwrap())
    }

    #[test]
    fn a_link_carries_exactly_the_version_2_code_in_its_fragment() {
        let p = payload();
        let link = link();
        assert_eq!(
            link,
            format!(
                "https://dinhdanh.example.vn/app/sign-in#v=2&s={}&o=https://dinhdanh.example.vn&e=1800000000",
                p.sign_in()
            )
        );
        let (origin, back) = ServiceSignInPayload::parse_app_link(&link).unwrap();
        assert_eq!(origin.as_str(), "https://dinhdanh.example.vn");
        assert_eq!(back, p);
        assert_eq!(back.check_code(), p.check_code());
    }

    #[test]
    fn a_link_on_a_host_of_its_own_keeps_the_servers_origin_in_the_code() {
        let host = Origin::parse("https://app.dinhdanh.example.vn").unwrap();
        let (origin, back) =
            ServiceSignInPayload::parse_app_link(&payload().to_app_link(&host)).unwrap();
        assert_eq!(origin, host);
        assert_eq!(back.origin().as_str(), "https://dinhdanh.example.vn");
    }

    #[test]
    fn the_longest_link_fits_the_bound() {
        let long = Origin::parse(&format!("https://{}.vn", "a".repeat(63))).unwrap();
        let p = ServiceSignInPayload::new(
            RendezvousId::from_bytes(&[1u8; 32]).unwrap(),
            long.clone(),
            9_999_999_999,
        )
        .unwrap();
        let link = p.to_app_link(&long);
        // docs/design/qr-login.md gives the number.
        assert_eq!(MAX_APP_LINK_LEN, 238);
        assert!(link.len() <= MAX_APP_LINK_LEN);
        assert_eq!(ServiceSignInPayload::parse_app_link(&link).unwrap().1, p);
    }

    #[test]
    fn anything_but_a_sign_in_link_is_refused() {
        let good = link();
        let not_ours = [
            "dinhdanh://login?v=2&s=x&o=https://a.vn&e=1".to_owned(),
            "https://dinhdanh.example.vn".to_owned(),
            good.replace("/app/sign-in#", "/app/sign-in?"),
            good.replace("/app/sign-in#", "/app/sign-in/#"),
            good.replace("/app/sign-in#", "/app/SIGN-IN#"),
            good.replace("/app/sign-in#", "/other#"),
            good.replace("#", "?x=1#"),
            good.replace("https://", "ftp://"),
            good.replace("https://", "intent://"),
        ];
        for input in not_ours {
            assert_eq!(
                ServiceSignInPayload::parse_app_link(&input),
                Err(QrError::NotOurCode),
                "{input}"
            );
        }
        let malformed = [
            good.replace(
                "https://dinhdanh.example.vn/app",
                "https://DINHDANH.example.vn/app",
            ),
            good.replace(
                "https://dinhdanh.example.vn/app",
                "https://user@dinhdanh.example.vn/app",
            ),
            good.replace(
                "https://dinhdanh.example.vn/app",
                "http://dinhdanh.example.vn/app",
            ),
            good.replace(
                "https://dinhdanh.example.vn/app",
                "https://dinhdanh.example.vn:443/app",
            ),
            format!("{good}&x=1"),
            format!("{good}&s=again"),
            good.replace("&e=", "&e=%31"),
            format!("{good}{}", "1".repeat(MAX_APP_LINK_LEN)),
        ];
        for input in malformed {
            assert!(
                matches!(
                    ServiceSignInPayload::parse_app_link(&input),
                    Err(QrError::Malformed { .. })
                ),
                "{input}"
            );
        }
    }

    #[test]
    fn a_link_never_carries_a_desktop_login() {
        let v1 = "https://dinhdanh.example.vn/app/sign-in#v=1&r=AAAAAAAAAAAAAAAAAAAAAA\
                  &k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&o=https://dinhdanh.example.vn&e=1";
        assert_eq!(
            ServiceSignInPayload::parse_app_link(v1),
            Err(QrError::UnsupportedVersion)
        );
    }

    #[test]
    fn a_link_for_another_server_fails_the_phones_check() {
        let (_, p) = ServiceSignInPayload::parse_app_link(&link()).unwrap();
        let ours = Origin::parse("https://other.example.vn").unwrap();
        assert_eq!(p.check(1_700_000_000, &ours), Err(QrError::WrongServer));
        let ours = Origin::parse("https://dinhdanh.example.vn").unwrap();
        assert_eq!(p.check(1_800_000_000, &ours), Err(QrError::Expired));
        assert_eq!(p.check(1_700_000_000, &ours), Ok(()));
    }
}
