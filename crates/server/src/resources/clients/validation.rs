//! The checks of a relying party's registration: names, redirect URIs, keys, sector, claims.
//! Pure: every problem is collected and reported at once on its field.

use std::collections::BTreeSet;

use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::text::TextProblem;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use unicode_normalization::UnicodeNormalization;

use super::{Claim, ClientRegistration};
use crate::infra::error::ServerResult;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Most redirect URIs a client may register.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI, in bytes.
const MAX_URI_LEN: usize = 512;
/// Most keys in a client's JWK set.
const MAX_KEYS: usize = 5;
/// Longest `kid`.
const MAX_KID_LEN: usize = 64;
/// Largest logo file accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// Widest and tallest logo accepted, in pixels.
pub const MAX_LOGO_PIXELS: u32 = 1024;

/// A registration that passed every check.
pub(super) struct Checked {
    pub name_vi: String,
    pub name_en: String,
    /// The distinct skeletons of the two names, with the field each came from.
    pub skeletons: Vec<(&'static str, String)>,
    pub redirect_uris: Vec<String>,
    pub jwks: JwkSet,
    pub sector: String,
    pub allowed_claims: Vec<Claim>,
    pub logo_png: Option<Vec<u8>>,
    pub backchannel_logout_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub jwks_uri: Option<String>,
}

/// A problem on `field`, inside a `validation_failed` error.
pub(super) fn problem(field: &str, vi: &str, en: &str) -> ApiError {
    let mut e = ApiError::new(ErrorCode::ValidationFailed).with_field(field);
    e.message_vi = vi.to_owned();
    e.message_en = en.to_owned();
    e
}

/// The form a name is compared in: NFKC, lower case, its confusable skeleton (UTS #39), without
/// white space. Two names with the same skeleton look alike to a person.
pub fn name_skeleton(name: &str) -> String {
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    unicode_security::confusable_detection::skeleton(&folded)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The origin (`scheme://host[:port]`) of a redirect URI, as the phone shows it; `None` when it
/// does not parse.
pub fn redirect_origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

pub(super) fn check(r: &ClientRegistration) -> ServerResult<Checked> {
    let mut problems = Vec::new();
    let name_vi = name(&r.name_vi, "name_vi", &mut problems);
    let name_en = name(&r.name_en, "name_en", &mut problems);
    let mut skeletons: Vec<(&'static str, String)> = Vec::new();
    for (field, n) in [("name_vi", &name_vi), ("name_en", &name_en)] {
        let s = name_skeleton(n);
        if !n.is_empty() && !skeletons.iter().any(|(_, k)| *k == s) {
            skeletons.push((field, s));
        }
    }
    let redirect_uris = redirect_uris(&r.redirect_uris, &mut problems);
    let jwks = match &r.jwks_uri {
        None => jwks(&r.jwks, &mut problems),
        Some(uri) => {
            if !r.jwks.trim().is_empty() {
                problems.push(problem(
                    "jwks",
                    "Hãy đăng ký khóa trực tiếp hoặc địa chỉ JWKS, không phải cả hai.",
                    "Register the keys inline or a JWKS URI, not both.",
                ));
            }
            if let Err((vi, en)) = redirect_uri(uri) {
                problems.push(problem("jwks_uri", vi, en));
            }
            Some(JwkSet { keys: Vec::new() })
        }
    };
    let sector = sector(r.sector.as_deref(), &redirect_uris, &mut problems);
    let allowed_claims = claims(&r.allowed_claims, &mut problems);
    let logo_png = r.logo.as_deref().and_then(|l| logo(l, &mut problems));
    if let Some(uri) = &r.backchannel_logout_uri {
        if let Err((vi, en)) = redirect_uri(uri) {
            problems.push(problem("backchannel_logout_uri", vi, en));
        }
    }
    post_logout_redirect_uris(&r.post_logout_redirect_uris, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(problems)
            .into());
    }
    Ok(Checked {
        name_vi,
        name_en,
        skeletons,
        redirect_uris,
        jwks: jwks.unwrap_or(JwkSet { keys: Vec::new() }),
        sector,
        allowed_claims,
        logo_png,
        backchannel_logout_uri: r.backchannel_logout_uri.clone(),
        post_logout_redirect_uris: r.post_logout_redirect_uris.clone(),
        jwks_uri: r.jwks_uri.clone(),
    })
}

/// A service's name is shown to people deciding whether to sign in: the one text policy
/// (`dinhdanh_core::text`: no control, invisible or direction characters, no stacked marks),
/// then at least 2 characters.
fn name(text: &str, field: &str, problems: &mut Vec<ApiError>) -> String {
    let text: String = text.trim().nfc().collect();
    match dinhdanh_core::text::parse_text(&text, MAX_NAME_CHARS, false) {
        Ok(name) if name.chars().count() >= 2 => name,
        Ok(_) | Err(TextProblem::Empty) => {
            problems.push(problem(
                field,
                "Tên phải dài từ 2 đến 100 ký tự.",
                "The name must be 2 to 100 characters long.",
            ));
            text
        }
        Err(e) => {
            problems.push(problem(field, &e.message_vi(), &e.message_en()));
            text
        }
    }
}

fn redirect_uris(uris: &[String], problems: &mut Vec<ApiError>) -> Vec<String> {
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        problems.push(problem(
            "redirect_uris",
            "Cần từ 1 đến 10 địa chỉ chuyển hướng.",
            "Give 1 to 10 redirect URIs.",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, uri) in uris.iter().enumerate() {
        let field = format!("redirect_uris[{i}]");
        if let Err((vi, en)) = redirect_uri(uri) {
            problems.push(problem(&field, vi, en));
        } else if !seen.insert(uri.clone()) {
            problems.push(problem(
                &field,
                "Địa chỉ chuyển hướng bị lặp.",
                "This redirect URI is listed twice.",
            ));
        }
    }
    uris.to_vec()
}

/// The addresses a relying party may be sent back to after RP-initiated logout: at most
/// [`MAX_REDIRECT_URIS`], each checked like a redirect URI, none twice (none is required).
fn post_logout_redirect_uris(uris: &[String], problems: &mut Vec<ApiError>) {
    if uris.len() > MAX_REDIRECT_URIS {
        problems.push(problem(
            "post_logout_redirect_uris",
            "Tối đa 10 địa chỉ quay lại sau khi đăng xuất.",
            "Give at most 10 post-logout redirect URIs.",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, uri) in uris.iter().enumerate() {
        let field = format!("post_logout_redirect_uris[{i}]");
        if let Err((vi, en)) = redirect_uri(uri) {
            problems.push(problem(&field, vi, en));
        } else if !seen.insert(uri.as_str()) {
            problems.push(problem(
                &field,
                "Địa chỉ bị lặp.",
                "This URI is listed twice.",
            ));
        }
    }
}

/// An https URI with a host, no user name, no fragment, written in its normal form (so the
/// exact comparison at sign-in is the comparison a reader expects); http only on loopback.
fn redirect_uri(uri: &str) -> Result<(), (&'static str, &'static str)> {
    if uri.len() > MAX_URI_LEN {
        return Err(("Địa chỉ quá dài.", "The URI is too long."));
    }
    let url = url::Url::parse(uri).map_err(|_| {
        (
            "Địa chỉ chuyển hướng không hợp lệ.",
            "The redirect URI does not parse.",
        )
    })?;
    if url.as_str() != uri {
        return Err((
            "Hãy viết địa chỉ ở dạng chuẩn (ví dụ có dấu / sau tên miền).",
            "Write the URI in its normal form (e.g. with a / after the host).",
        ));
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err((
            "Địa chỉ chuyển hướng không được có phần # hoặc tên người dùng.",
            "A redirect URI has no fragment and no user name.",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err((
            "Chỉ dùng http:// cho địa chỉ nội bộ (loopback); dịch vụ thật phải dùng https://.",
            "http:// is only for loopback addresses; a real service uses https://.",
        )),
        _ => Err((
            "Địa chỉ chuyển hướng phải là https://.",
            "A redirect URI must be https://.",
        )),
    }
}

/// A JWK set document as a registered set must be (a JWKS URI's document too).
pub(super) fn jwks_text(text: &str, problems: &mut Vec<ApiError>) -> Option<JwkSet> {
    jwks(text, problems)
}

/// A JWK set on its own (a client's keys replaced): the checks of a registration's `jwks`.
pub(super) fn check_jwks(text: &str) -> ServerResult<JwkSet> {
    let mut problems = Vec::new();
    match jwks(text, &mut problems) {
        Some(set) if problems.is_empty() => Ok(set),
        _ => Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(problems)
            .into()),
    }
}

fn jwks(text: &str, problems: &mut Vec<ApiError>) -> Option<JwkSet> {
    let bad = |problems: &mut Vec<ApiError>, vi: &str, en: &str| {
        problems.push(problem("jwks", vi, en));
        None
    };
    let Ok(raw) = serde_json::from_str::<serde_json::Value>(text) else {
        return bad(problems, "JWKS không phải JSON.", "The JWKS is not JSON.");
    };
    // A private key pasted by mistake is refused, not quietly stripped.
    let has_private = raw["keys"]
        .as_array()
        .is_some_and(|keys| keys.iter().any(|k| k.get("d").is_some()));
    if has_private {
        return bad(
            problems,
            "JWKS chứa khóa bí mật (\"d\"); chỉ đăng ký khóa công khai.",
            "The JWKS holds a private key (\"d\"); register public keys only.",
        );
    }
    let Ok(set) = serde_json::from_value::<JwkSet>(raw) else {
        return bad(
            problems,
            "JWKS không đúng định dạng (RFC 7517).",
            "The JWKS is malformed (RFC 7517).",
        );
    };
    if set.keys.is_empty() || set.keys.len() > MAX_KEYS {
        return bad(
            problems,
            "JWKS phải có từ 1 đến 5 khóa.",
            "The JWKS must hold 1 to 5 keys.",
        );
    }
    let mut kids = BTreeSet::new();
    for key in &set.keys {
        let kid = key.common.key_id.clone().unwrap_or_default();
        if kid.is_empty() || kid.len() > MAX_KID_LEN || !kids.insert(kid) {
            return bad(
                problems,
                "Mỗi khóa cần một \"kid\" riêng (tối đa 64 ký tự).",
                "Each key needs its own \"kid\" (at most 64 characters).",
            );
        }
        if !is_es256_signing_key(key) {
            return bad(
                problems,
                "Chỉ chấp nhận khóa EC P-256 dùng để ký ES256.",
                "Only EC P-256 keys for ES256 signatures are accepted.",
            );
        }
    }
    Some(set)
}

/// A public P-256 key on the curve, for signatures, with `alg` ES256 or none.
pub fn is_es256_signing_key(key: &Jwk) -> bool {
    let AlgorithmParameters::EllipticCurve(ec) = &key.algorithm else {
        return false;
    };
    let alg_ok = matches!(key.common.key_algorithm, None | Some(KeyAlgorithm::ES256));
    let use_ok = matches!(
        key.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    );
    ec.curve == EllipticCurve::P256 && alg_ok && use_ok && point(&ec.x, &ec.y).is_some()
}

/// The P-256 point of a JWK's coordinates, when they are one.
fn point(x: &str, y: &str) -> Option<p256::PublicKey> {
    use base64::Engine as _;
    let decode = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()
    };
    let (x, y) = (decode(x)?, decode(y)?);
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut sec1 = vec![4u8];
    sec1.extend(x);
    sec1.extend(y);
    p256::PublicKey::from_sec1_bytes(&sec1).ok()
}

fn sector(given: Option<&str>, uris: &[String], problems: &mut Vec<ApiError>) -> String {
    let hosts: BTreeSet<String> = uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .filter_map(|u| u.host_str().map(str::to_owned))
        .collect();
    match given {
        Some(s) => {
            let s = s.trim().to_ascii_lowercase();
            let ok = !s.is_empty()
                && s.len() <= 253
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                problems.push(problem(
                    "sector",
                    "Lĩnh vực (sector) phải là một tên miền.",
                    "The sector must be a host name.",
                ));
            }
            s
        }
        None if hosts.len() == 1 => hosts.into_iter().next().unwrap_or_default(),
        None => {
            if !uris.is_empty() {
                problems.push(problem(
                    "sector",
                    "Các địa chỉ chuyển hướng khác tên miền: hãy ghi rõ lĩnh vực (sector).",
                    "The redirect URIs have different hosts: give the sector.",
                ));
            }
            String::new()
        }
    }
}

/// A PNG or JPEG logo within [`MAX_LOGO_BYTES`] and [`MAX_LOGO_PIXELS`], decoded under those
/// limits (no decompression bomb gets a large allocation) and re-encoded as PNG: metadata and
/// anything appended to the file are dropped.
fn logo(bytes: &[u8], problems: &mut Vec<ApiError>) -> Option<Vec<u8>> {
    let refuse = |problems: &mut Vec<ApiError>| {
        problems.push(problem(
            "logo",
            "Logo phải là ảnh PNG hoặc JPEG, tối đa 256 KiB và 1024×1024 điểm ảnh.",
            "The logo must be a PNG or JPEG image of at most 256 KiB and 1024×1024 pixels.",
        ));
        None
    };
    if bytes.is_empty() || bytes.len() > MAX_LOGO_BYTES {
        return refuse(problems);
    }
    let Ok(mut reader) = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format()
    else {
        return refuse(problems);
    };
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Png | image::ImageFormat::Jpeg)
    ) {
        return refuse(problems);
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_LOGO_PIXELS);
    limits.max_image_height = Some(MAX_LOGO_PIXELS);
    limits.max_alloc = Some(32 * 1024 * 1024);
    reader.limits(limits);
    let Ok(decoded) = reader.decode() else {
        return refuse(problems);
    };
    let mut png = Vec::new();
    if decoded
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .is_err()
    {
        return refuse(problems);
    }
    Some(png)
}

fn claims(names: &[String], problems: &mut Vec<ApiError>) -> Vec<Claim> {
    let mut out = BTreeSet::new();
    for n in names {
        match serde_json::from_value::<Claim>(serde_json::Value::String(n.clone())) {
            Ok(c) => {
                out.insert(c);
            }
            Err(_) => problems.push(problem(
                "allowed_claims",
                "Thông tin (claim) không được hỗ trợ.",
                "This claim is not supported.",
            )),
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_names_share_a_skeleton() {
        // Latin "o" against Cyrillic "о", "rn" against "m", case and spacing.
        assert_eq!(name_skeleton("Cổng dịch vụ"), name_skeleton("Cổng dịch vụ"));
        assert_eq!(name_skeleton("Cong"), name_skeleton("C\u{043E}ng"));
        assert_eq!(name_skeleton("modern"), name_skeleton("rnodern"));
        assert_eq!(
            name_skeleton("Thuế Điện Tử"),
            name_skeleton("thuế  điện tử")
        );
        assert_ne!(name_skeleton("Thuế điện tử"), name_skeleton("Hải quan"));
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_in_normal_form() {
        assert!(redirect_uri("https://rp.example.vn/callback").is_ok());
        assert!(redirect_uri("http://127.0.0.1:8080/cb").is_ok());
        assert!(redirect_uri("http://[::1]:8080/cb").is_ok());
        assert!(redirect_uri("http://localhost:3000/cb").is_ok());
        assert!(redirect_uri("http://rp.example.vn/callback").is_err());
        assert!(redirect_uri("dinhdanh://callback").is_err());
        assert!(redirect_uri("https://rp.example.vn/cb#frag").is_err());
        assert!(redirect_uri("https://user@rp.example.vn/cb").is_err());
        assert!(
            redirect_uri("https://RP.example.vn/cb").is_err(),
            "not normal form"
        );
        assert_eq!(
            redirect_origin("https://rp.example.vn/callback?x=1").as_deref(),
            Some("https://rp.example.vn")
        );
    }

    #[test]
    fn only_public_p256_signing_keys_are_registered() {
        let mut problems = Vec::new();
        let key = p256::SecretKey::random(&mut rand_core::OsRng);
        let point =
            p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key.public_key(), false);
        use base64::Engine as _;
        let b = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let (x, y) = (b(point.x().unwrap()), b(point.y().unwrap()));
        let good =
            format!(r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"k1","x":"{x}","y":"{y}"}}]}}"#);
        assert!(jwks(&good, &mut problems).is_some(), "{problems:?}");
        let private = good.replace(r#""kid":"k1""#, r#""kid":"k1","d":"AAAA""#);
        let no_kid = good.replace(r#""kid":"k1","#, "");
        let hs = r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#.to_owned();
        let off_curve = good.replace(&y, &x);
        for bad in [
            private,
            no_kid,
            hs,
            off_curve,
            "{".into(),
            r#"{"keys":[]}"#.into(),
        ] {
            let mut problems = Vec::new();
            assert!(jwks(&bad, &mut problems).is_none(), "{bad}");
            assert_eq!(problems.len(), 1);
        }
    }
}
