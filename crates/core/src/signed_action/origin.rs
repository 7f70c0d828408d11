//! The origin of a server, as a signed action names it: one spelling per server.

use crate::crypto::parse_decimal;
use crate::error::{IdError, IdKind, IdProblem};

/// The origin of a Định Danh server, e.g. `https://dinhdanh.example.vn`: the server a
/// signature is meant for.
///
/// Grammar: `https://` host [`:` port], where host is a lower-case DNS name
/// (`[a-z0-9-]` labels of 1–63 characters, not starting or ending with `-`) or a dotted IPv4
/// address. `http://` is accepted only for `localhost` and `127.0.0.1`, for development and
/// tests. No path, query, fragment, user info, trailing dot or default port — one origin has
/// one spelling, so it compares byte for byte. The alphabet (`a-z 0-9 . - : /`) needs no
/// percent-encoding in a URI query, which keeps the QR-login payload simple. At most
/// [`Origin::MAX_LEN`] characters, so a QR code carrying it stays small.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

impl Origin {
    /// Longest origin accepted; chosen so the QR-login payload fits a version-10 QR code.
    pub const MAX_LEN: usize = 80;

    /// Parses an origin (see the type's grammar). Never normalises: upper case, a trailing
    /// slash or an explicit default port are errors, not silently fixed.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::Origin, p);
        let bad = |detail_vi, detail_en| {
            err(IdProblem::BadFormat {
                detail_vi,
                detail_en,
            })
        };
        if input.len() > Self::MAX_LEN {
            return Err(err(IdProblem::TooLong { max: Self::MAX_LEN }));
        }
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let (secure, rest) = if let Some(rest) = input.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = input.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad(
                "phải bắt đầu bằng https://",
                "must start with https://",
            ));
        };
        if rest.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad("phải viết thường", "must be lower case"));
        }
        if rest.bytes().any(|b| matches!(b, b'/' | b'?' | b'#')) {
            return Err(bad(
                "chỉ gồm tên máy chủ và cổng, không có đường dẫn",
                "must be a host and port only, without a path",
            ));
        }
        if !rest.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':')
        }) {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        let (host, port) = match rest.split_once(':') {
            None => (rest, None),
            Some((host, port)) => (host, Some(port)),
        };
        check_host(host).map_err(|(vi, en)| bad(vi, en))?;
        if let Some(port) = port {
            let n = parse_decimal(port, 5)
                .filter(|n| (1..=65535).contains(n))
                .ok_or_else(|| bad("cổng không hợp lệ", "has an invalid port"))?;
            if n == if secure { 443 } else { 80 } {
                return Err(bad(
                    "không ghi cổng mặc định",
                    "must not spell out the default port",
                ));
            }
        }
        if !secure && !matches!(host, "localhost" | "127.0.0.1") {
            return Err(bad(
                "phải dùng https (http chỉ dành cho máy cục bộ)",
                "must use https (http is for the local machine only)",
            ));
        }
        Ok(Origin(input.to_owned()))
    }
}

crate::ids::string_id!(Origin);

fn check_host(host: &str) -> Result<(), (&'static str, &'static str)> {
    const BAD_HOST: (&str, &str) = ("tên máy chủ không hợp lệ", "has an invalid host name");
    if host.is_empty() || host.len() > 253 {
        return Err(BAD_HOST);
    }
    let labels: Vec<&str> = host.split('.').collect();
    for label in &labels {
        let ok = (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(BAD_HOST);
        }
    }
    // A name whose last label is numeric is not a DNS name, so it must be an IPv4 address.
    let numeric_tail = labels
        .last()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if numeric_tail {
        let ipv4 = labels.len() == 4
            && labels
                .iter()
                .all(|l| parse_decimal(l, 3).is_some_and(|n| n <= 255));
        if !ipv4 {
            return Err(BAD_HOST);
        }
    }
    Ok(())
}
