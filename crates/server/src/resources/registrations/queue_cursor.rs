//! The queue's page links: where the next (or previous) page starts, as a key of the queue's
//! order ([`QueueKey`]), and which page number that is, sealed with the server's keyed hash
//! over the province and the filters the page was read with. Keyset paging: a page starts at a
//! row, not at a count of rows, so a request decided or filed between two page loads neither
//! hides another nor shows one twice, and page 2,000 costs what page 1 does.
//!
//! A link that was changed, cut, or made for another province or filter is refused
//! ([`BadCursor`]), so the store is only ever asked for positions it handed out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dinhdanh_core::api::QueueItem;
use dinhdanh_core::ids::{NewProvince, RegistrationId};

use crate::infra::state::AppState;
use crate::store::registrations::{QueueFilter, QueueFrom, QueueKey};
use crate::store::values::word;

/// Bytes of the keyed hash a link carries (128 bits).
const TAG_BYTES: usize = 16;
/// The longest link accepted, in characters (a key is under 100 bytes).
const MAX_CHARS: usize = 256;
/// The highest page number a link may carry.
const MAX_PAGE: u32 = 1_000_000;

/// A page link that was changed, cut, or sealed for another province or filter.
#[derive(Debug, thiserror::Error)]
#[error("not a page link of this queue")]
pub struct BadCursor;

/// Where a page of the queue starts, and its number (1 for the first page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueCursor {
    /// The page's number, shown as "Trang n / N" (counted from the first page as it was read).
    pub page: u32,
    /// Where it starts: after a row, or (the page before a page) before one.
    pub from: QueueFrom,
}

/// The key of a listed item in the queue's order.
pub fn key_of(item: &QueueItem) -> QueueKey {
    QueueKey {
        due_on: item.due_on.format("%Y-%m-%d").to_string(),
        submitted_at: item.submitted_at.timestamp(),
        id: item.id.as_str().to_owned(),
    }
}

/// What the seal covers besides the position: the province and the filters.
fn scope(province: &NewProvince, filter: &QueueFilter) -> Result<String, BadCursor> {
    let status = filter
        .status
        .as_ref()
        .map(word)
        .transpose()
        .map_err(|_| BadCursor)?;
    let org_type = filter
        .org_type
        .as_ref()
        .map(word)
        .transpose()
        .map_err(|_| BadCursor)?;
    Ok(format!(
        "{}\0{}\0{}",
        province.key(),
        status.unwrap_or_default(),
        org_type.unwrap_or_default()
    ))
}

fn tag_parts<'a>(scope: &'a str, payload: &'a [u8]) -> [&'a [u8]; 4] {
    [
        b"registrations.queue_cursor\0",
        scope.as_bytes(),
        b"\0",
        payload,
    ]
}

impl QueueCursor {
    /// The link's text: the position in base64url, a dot, and the first 128 bits of the keyed
    /// hash over the province, the filters and the position.
    pub fn seal(
        &self,
        state: &AppState,
        province: &NewProvince,
        filter: &QueueFilter,
    ) -> Result<String, BadCursor> {
        let (direction, key) = match &self.from {
            QueueFrom::Start => return Err(BadCursor),
            QueueFrom::After(k) => ('a', k),
            QueueFrom::Before(k) => ('b', k),
        };
        let payload = format!(
            "{}|{direction}|{}|{}|{}",
            self.page, key.due_on, key.submitted_at, key.id
        );
        let scope = scope(province, filter)?;
        let tag = state
            .keys
            .keyed_hash(&tag_parts(&scope, payload.as_bytes()));
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag.get(..TAG_BYTES).ok_or(BadCursor)?)
        ))
    }

    /// The position `text` holds, if the server sealed it for this province and filter.
    pub fn open(
        state: &AppState,
        province: &NewProvince,
        filter: &QueueFilter,
        text: &str,
    ) -> Result<QueueCursor, BadCursor> {
        if text.len() > MAX_CHARS {
            return Err(BadCursor);
        }
        let (payload, tag) = text.split_once('.').ok_or(BadCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| BadCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| BadCursor)?;
        let scope = scope(province, filter)?;
        if tag.len() != TAG_BYTES
            || !state
                .keys
                .keyed_hash_matches(&tag_parts(&scope, &payload), &tag)
        {
            return Err(BadCursor);
        }
        // Sealed by this server, so well formed; parsed all the same, as any stored value.
        let payload = std::str::from_utf8(&payload).map_err(|_| BadCursor)?;
        let mut fields = payload.split('|');
        let mut field = || fields.next().ok_or(BadCursor);
        let page: u32 = field()?.parse().map_err(|_| BadCursor)?;
        let direction = field()?;
        let due_on = field()?;
        chrono::NaiveDate::parse_from_str(due_on, "%Y-%m-%d").map_err(|_| BadCursor)?;
        let submitted_at: i64 = field()?.parse().map_err(|_| BadCursor)?;
        let id = RegistrationId::parse(field()?).map_err(|_| BadCursor)?;
        if !(1..=MAX_PAGE).contains(&page) || fields.next().is_some() {
            return Err(BadCursor);
        }
        let key = QueueKey {
            due_on: due_on.to_owned(),
            submitted_at,
            id: id.as_str().to_owned(),
        };
        let from = match direction {
            "a" => QueueFrom::After(key),
            "b" => QueueFrom::Before(key),
            _ => return Err(BadCursor),
        };
        Ok(QueueCursor { page, from })
    }
}
