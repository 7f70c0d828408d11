//! The citizen registry: who exists, with their name, date of birth, gender, phone and e-mail,
//! loaded from a CSV file shipped in the repository ([`parse_citizen_registry`],
//! [`load_citizen_registry`]) and read back by citizen key.

use chrono::NaiveDate;
use dinhdanh_core::api::ErrorCode;
use dinhdanh_core::ids::{CitizenId, Email, Gender, PhoneNumber};
use sqlx::AnyConnection;
use unicode_normalization::UnicodeNormalization;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::audit::AuditRecord;
use crate::store::citizens::{self, NewCitizen};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, word};

/// The header line of the registry file (after its `#` comment lines).
pub const REGISTRY_HEADER: &str = "citizen_id,full_name,date_of_birth,gender,phone,email";

/// A person in the citizen registry.
///
/// `Debug` shows the identification number masked (that is [`CitizenId`]'s own `Debug`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CitizenRecord {
    /// Personal identification number.
    pub citizen_id: CitizenId,
    /// Full name, with diacritics.
    pub full_name: String,
    /// Date of birth, in the year the number encodes.
    pub date_of_birth: NaiveDate,
    /// Gender, as the number encodes it.
    pub gender: Gender,
    /// Mobile number for one-time codes.
    pub phone: PhoneNumber,
    /// E-mail address, where the person gave one.
    pub email: Option<Email>,
}

/// A registry file that cannot be loaded: which line, and what is wrong with it (never the
/// line's content, which holds an identification number).
#[derive(Debug, thiserror::Error)]
#[error("citizen registry, line {line}: {problem}")]
pub struct RegistryError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// The gender as the registry file writes it (its word: `male`, `female`).
fn parse_gender(text: &str) -> Option<Gender> {
    from_word(text).ok()
}

impl CitizenRecord {
    /// Checks that the parts agree: a non-empty name without control characters, a date of
    /// birth in the year the number encodes, the gender the number encodes.
    pub fn check(&self) -> Result<(), String> {
        use chrono::Datelike;
        let name = self.full_name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err("the full name is empty, too long or has control characters".into());
        }
        if self.date_of_birth.year() != i32::from(self.citizen_id.birth_year()) {
            return Err("the date of birth is not in the year the number encodes".into());
        }
        if self.gender != self.citizen_id.gender() {
            return Err("the gender is not the one the number encodes".into());
        }
        Ok(())
    }
}

/// Parses the registry file: `#` comment lines, the [`REGISTRY_HEADER`], then one person per
/// line. Every row must be complete and consistent ([`CitizenRecord::check`]) and every
/// identification number unique; the first problem is reported with its line number.
pub fn parse_citizen_registry(text: &str) -> Result<Vec<CitizenRecord>, RegistryError> {
    let mut people = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut header_seen = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let err = |problem: &str| RegistryError {
            line: line_no,
            problem: problem.to_owned(),
        };
        let line = line.trim_end_matches('\r');
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !header_seen {
            if line != REGISTRY_HEADER {
                return Err(err("the header is not the expected one"));
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [id, name, dob, gender, phone, email] = fields.as_slice() else {
            return Err(err("a row must have 6 columns"));
        };
        let record = CitizenRecord {
            citizen_id: CitizenId::parse(id).map_err(|_| err("invalid identification number"))?,
            full_name: name.trim().to_owned(),
            date_of_birth: NaiveDate::parse_from_str(dob, "%Y-%m-%d")
                .map_err(|_| err("invalid date of birth"))?,
            gender: parse_gender(gender).ok_or_else(|| err("gender must be male or female"))?,
            phone: PhoneNumber::parse(phone).map_err(|_| err("invalid phone number"))?,
            email: if email.is_empty() {
                None
            } else {
                Some(Email::parse(email).map_err(|_| err("invalid e-mail address"))?)
            },
        };
        record.check().map_err(|p| err(&p))?;
        if !seen.insert(record.citizen_id.clone()) {
            return Err(err("an identification number appears twice"));
        }
        people.push(record);
    }
    if !header_seen {
        return Err(RegistryError {
            line: 0,
            problem: "the file has no header".into(),
        });
    }
    Ok(people)
}

/// Loads the registry file into the `citizens` table. Idempotent: people already there are
/// kept as they are (`ON CONFLICT DO NOTHING`). Returns the number of people the file holds,
/// all of whom are in the table afterwards.
pub async fn load_citizen_registry(state: &AppState, csv_text: &str) -> ServerResult<usize> {
    let people =
        parse_citizen_registry(csv_text).map_err(|e| ServerError::Internal(e.to_string()))?;
    let rows = people
        .iter()
        .map(|p| stored_citizen(state, p))
        .collect::<ServerResult<Vec<_>>>()?;
    let mut tx = Tx::begin(state, "citizen_registry.load").await?;
    let added = citizens::insert_many(tx.conn()?, &rows).await?;
    let object = format!("citizens:{added}");
    tx.audit(AuditRecord {
        action: "citizen_registry.loaded",
        object: Some(&object),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    Ok(people.len())
}

/// A citizen as the columns of `citizens` hold it (also what a bulk load writes).
pub fn stored_citizen(state: &AppState, p: &CitizenRecord) -> ServerResult<NewCitizen> {
    Ok(NewCitizen {
        key: state.keys.citizen_key(&p.citizen_id),
        enc: state.keys.encrypt_citizen_id(&p.citizen_id),
        masked: p.citizen_id.masked(),
        full_name: p.full_name.nfc().collect(),
        date_of_birth: p.date_of_birth.format("%Y-%m-%d").to_string(),
        gender: word(&p.gender)?,
        birth_province: p.citizen_id.province().code_str().to_owned(),
        phone: p.phone.as_str().to_owned(),
        email: p.email.as_ref().map(|e| e.as_str().to_owned()),
    })
}

/// Adds one person to the registry (tests, and people registered at a police office).
/// A person already there is `conflict`.
pub async fn insert_citizen(state: &AppState, record: &CitizenRecord) -> ServerResult<()> {
    record
        .check()
        .map_err(|p| ServerError::Internal(format!("citizen record: {p}")))?;
    let row = stored_citizen(state, record)?;
    let mut tx = Tx::begin(state, "citizen.add").await?;
    if citizens::insert_many(tx.conn()?, std::slice::from_ref(&row)).await? != 1 {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    tx.audit(AuditRecord {
        action: "citizen.added",
        subject_key: Some(&row.key),
        ..AuditRecord::default()
    });
    tx.commit().await
}

/// The registry's record of a person.
pub async fn find_citizen(state: &AppState, id: &CitizenId) -> ServerResult<Option<CitizenRecord>> {
    citizen_by_key(state, &state.keys.citizen_key(id)).await
}

/// The registry's record of the person with this citizen key, the identification number
/// decrypted.
pub async fn citizen_by_key(state: &AppState, key: &[u8]) -> ServerResult<Option<CitizenRecord>> {
    citizen_in(&mut *state.pool.acquire().await?, state, key).await
}

/// [`citizen_by_key`] on a given connection (inside an action's transaction).
pub async fn citizen_in(
    conn: &mut AnyConnection,
    state: &AppState,
    key: &[u8],
) -> ServerResult<Option<CitizenRecord>> {
    let Some(row) = citizens::by_key(conn, key).await? else {
        return Ok(None);
    };
    let citizen_id = state
        .keys
        .decrypt_citizen_id(&row.citizen_enc)
        .ok_or_else(|| {
            ServerError::Internal("a stored identification number does not decrypt".into())
        })?;
    Ok(Some(CitizenRecord {
        citizen_id,
        full_name: row.full_name,
        date_of_birth: parse_stored(NaiveDate::parse_from_str(&row.date_of_birth, "%Y-%m-%d"))?,
        gender: from_word(&row.gender)?,
        phone: parse_stored(PhoneNumber::parse(&row.phone))?,
        email: row
            .email
            .map(|e| parse_stored(Email::parse(&e)))
            .transpose()?,
    }))
}

/// Whether two spellings of a full name are the same name: compared after Unicode NFC
/// normalisation (Vietnamese keyboards may send "ễ" as one character or as "e" plus two
/// combining marks), lower-casing and collapsing of spaces.
pub fn names_match(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> String {
        let nfc: String = s.nfc().collect();
        nfc.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_the_unicode_form_case_or_spacing() {
        let composed = "Nguyễn Thị Thu Hà";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert!(names_match(composed, &decomposed));
        assert!(names_match(composed, "  nguyễn  THỊ thu hà "));
        assert!(!names_match(composed, "Nguyễn Thị Thu Hải"));
        assert!(
            !names_match(composed, "Nguyen Thi Thu Ha"),
            "diacritics matter"
        );
    }

    #[test]
    fn a_registry_row_must_agree_with_its_number() {
        let good = "citizen_id,full_name,date_of_birth,gender,phone,email\n\
                    079201012345,Lê Văn Tám,2001-05-06,male,0912345678,\n";
        let people = parse_citizen_registry(good).unwrap();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].email, None);

        let wrong_year = good.replace("2001-05-06", "2002-05-06");
        assert_eq!(parse_citizen_registry(&wrong_year).unwrap_err().line, 2);
        let wrong_gender = good.replace(",male,", ",female,");
        assert!(parse_citizen_registry(&wrong_gender).is_err());
        let bad_phone = good.replace("0912345678", "0112345678");
        assert!(parse_citizen_registry(&bad_phone).is_err());
        let twice = format!("{good}079201012345,Lê Văn Bảy,2001-01-01,male,0912345679,\n");
        let err = parse_citizen_registry(&twice).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(
            !err.to_string().contains("079201012345"),
            "errors never quote the number"
        );
        assert!(parse_citizen_registry("no header\n").is_err());
    }
}
