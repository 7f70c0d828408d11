//! Organisation accounts as stored: `organisations`, `organisation_serials`,
//! `organisation_representatives` and `organisation_history`.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// How many organisations of a province have one type and status.
#[derive(sqlx::FromRow)]
pub struct StatusCount {
    /// The head office's province key.
    pub province: String,
    /// The type's word.
    pub org_type: String,
    /// The status's word.
    pub status: String,
    /// How many.
    pub n: i64,
}

/// The organisations of `province` (of every province for `None`), counted by province, type
/// and status: one aggregate for the national dashboard, not one per province (each of
/// those read the province's rows scattered over the whole table).
pub async fn count_by_type_and_status(
    conn: &mut AnyConnection,
    province: Option<&str>,
) -> ServerResult<Vec<StatusCount>> {
    let select = "SELECT province, org_type, status, COUNT(*) AS n FROM organisations";
    let group = "GROUP BY province, org_type, status";
    Ok(match province {
        Some(p) => {
            sqlx::query_as(&format!("{select} WHERE province = $1 {group}"))
                .bind(p)
                .fetch_all(conn)
                .await?
        }
        None => {
            sqlx::query_as(&format!("{select} {group}"))
                .fetch_all(conn)
                .await?
        }
    })
}

/// An organisation as a list shows it.
#[derive(sqlx::FromRow)]
pub struct ListedOrganisation {
    /// e-ID number.
    pub eid: String,
    /// The type's word.
    pub org_type: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// The status's word.
    pub status: String,
    /// Created, Unix seconds.
    pub created_at: i64,
}

/// The organisations of a province, newest first, `limit` from `offset`; with `query`, only
/// those whose e-ID number or a code is exactly it, or whose name contains it.
pub async fn of_province(
    conn: &mut AnyConnection,
    province: &str,
    query: Option<&str>,
    limit: i64,
    offset: i64,
) -> ServerResult<Vec<ListedOrganisation>> {
    const COLUMNS: &str = "SELECT eid, org_type, name_vi, status, created_at FROM organisations";
    Ok(match query {
        None => {
            sqlx::query_as(&format!(
                "{COLUMNS} WHERE province = $1 ORDER BY created_at DESC, eid LIMIT $2 OFFSET $3"
            ))
            .bind(province)
            .bind(limit)
            .bind(offset)
            .fetch_all(conn)
            .await?
        }
        Some(q) => {
            sqlx::query_as(&format!(
                "{COLUMNS} WHERE province = $1 AND (eid = $2 OR tax_code = $2 \
                 OR enterprise_code = $2 OR cooperative_code = $2 OR agency_code = $2 \
                 OR name_vi LIKE $3) ORDER BY created_at DESC, eid LIMIT $4 OFFSET $5"
            ))
            .bind(province)
            .bind(q)
            .bind(format!("%{}%", q.replace(['%', '_'], "")))
            .bind(limit)
            .bind(offset)
            .fetch_all(conn)
            .await?
        }
    })
}

/// An organisation as stored; `org_type` and `status` are words of their enums.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrganisationRow {
    /// e-ID number.
    pub eid: String,
    /// The type's word.
    pub org_type: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// Head-office province key.
    pub province: String,
    /// The status's word.
    pub status: String,
    /// The request it came from.
    pub registration_id: Option<String>,
    /// Who registered it; `None` while that requester, taken at the counter, has no account.
    pub registered_by: Option<String>,
    /// The keyed hash of that person's identification number.
    pub registered_by_key: Vec<u8>,
    /// Created, Unix seconds.
    pub created_at: i64,
    /// The details, encrypted.
    pub details_enc: Vec<u8>,
}

/// An organisation by e-ID number.
pub async fn find(conn: &mut AnyConnection, eid: &str) -> ServerResult<Option<OrganisationRow>> {
    Ok(sqlx::query_as(
        "SELECT eid, org_type, name_vi, province, status, registration_id, registered_by, \
         registered_by_key, created_at, details_enc FROM organisations WHERE eid = $1",
    )
    .bind(eid)
    .fetch_optional(conn)
    .await?)
}

/// The next serial number: the counter only grows, so a number is issued once.
pub async fn next_serial(conn: &mut AnyConnection) -> ServerResult<i64> {
    sqlx::query(
        "INSERT INTO organisation_serials (id, last_serial) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    )
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar(
        "UPDATE organisation_serials SET last_serial = last_serial + 1 WHERE id = 1 \
         RETURNING last_serial",
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// A new organisation's row (its status is `active`).
pub struct NewOrganisationRow<'a> {
    /// e-ID number.
    pub eid: &'a str,
    /// Its serial.
    pub serial: i64,
    /// The type's word.
    pub org_type: &'a str,
    /// Vietnamese name.
    pub name_vi: &'a str,
    /// Head-office province key.
    pub province: &'a str,
    /// Tax code.
    pub tax_code: Option<&'a str>,
    /// Enterprise code.
    pub enterprise_code: Option<&'a str>,
    /// Cooperative code.
    pub cooperative_code: Option<&'a str>,
    /// Agency code.
    pub agency_code: Option<&'a str>,
    /// The details, encrypted.
    pub details_enc: Vec<u8>,
    /// The request it came from.
    pub registration_id: Option<&'a str>,
    /// Who registered it, if they have an account.
    pub registered_by: Option<&'a str>,
    /// The keyed hash of that person's identification number.
    pub registered_by_key: &'a [u8],
    /// Created, Unix seconds.
    pub created_at: i64,
}

/// Inserts a new organisation, active.
pub async fn insert(conn: &mut AnyConnection, row: NewOrganisationRow<'_>) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO organisations (eid, serial, org_type, name_vi, province, tax_code, \
         enterprise_code, cooperative_code, agency_code, details_enc, registration_id, \
         registered_by, registered_by_key, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'active', $14)",
    )
    .bind(row.eid)
    .bind(row.serial)
    .bind(row.org_type)
    .bind(row.name_vi)
    .bind(row.province)
    .bind(row.tax_code.map(str::to_owned))
    .bind(row.enterprise_code.map(str::to_owned))
    .bind(row.cooperative_code.map(str::to_owned))
    .bind(row.agency_code.map(str::to_owned))
    .bind(row.details_enc)
    .bind(row.registration_id.map(str::to_owned))
    .bind(row.registered_by.map(str::to_owned))
    .bind(row.registered_by_key.to_vec())
    .bind(row.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The e-ID number of the organisation, not closed, that holds this code (tax, enterprise,
/// cooperative or agency code); the oldest if several.
pub async fn find_open_by_code(
    conn: &mut AnyConnection,
    code: &str,
) -> ServerResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT eid FROM organisations WHERE status <> 'closed' AND \
         (tax_code = $1 OR enterprise_code = $1 OR cooperative_code = $1 OR agency_code = $1) \
         ORDER BY serial LIMIT 1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// Sets the status (its word).
pub async fn set_status(conn: &mut AnyConnection, eid: &str, status: &str) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET status = $1 WHERE eid = $2")
        .bind(status)
        .bind(eid)
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes the organisation: the row and its number stay.
pub async fn close(conn: &mut AnyConnection, eid: &str, now: i64) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET status = 'closed', closed_at = $1 WHERE eid = $2")
        .bind(now)
        .bind(eid)
        .execute(conn)
        .await?;
    Ok(())
}

/// A new name, with the details holding it.
pub async fn rename(
    conn: &mut AnyConnection,
    eid: &str,
    name_vi: &str,
    details_enc: Vec<u8>,
) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET name_vi = $1, details_enc = $2 WHERE eid = $3")
        .bind(name_vi)
        .bind(details_enc)
        .bind(eid)
        .execute(conn)
        .await?;
    Ok(())
}

/// New details (the name unchanged).
pub async fn set_details(
    conn: &mut AnyConnection,
    eid: &str,
    details_enc: Vec<u8>,
) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET details_enc = $1 WHERE eid = $2")
        .bind(details_enc)
        .bind(eid)
        .execute(conn)
        .await?;
    Ok(())
}

/// An entry of an organisation's history; `change` is the JSON of `api::OrganisationChange`.
#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    /// When.
    pub at: i64,
    /// What, as JSON.
    pub change: String,
}

/// Appends an entry to the organisation's history.
pub async fn add_history(
    conn: &mut AnyConnection,
    eid: &str,
    at: i64,
    change_json: &str,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO organisation_history (eid, seq, at, change) VALUES \
         ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM organisation_history WHERE eid = $1), $2, $3)",
    )
    .bind(eid)
    .bind(at)
    .bind(change_json)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation's history, oldest first.
pub async fn history(conn: &mut AnyConnection, eid: &str) -> ServerResult<Vec<HistoryRow>> {
    Ok(
        sqlx::query_as("SELECT at, change FROM organisation_history WHERE eid = $1 ORDER BY seq")
            .bind(eid)
            .fetch_all(conn)
            .await?,
    )
}

/// Records a legal representative (by citizen key; the full number stays in the details).
pub async fn insert_representative(
    conn: &mut AnyConnection,
    eid: &str,
    citizen_key: &[u8],
    citizen_masked: &str,
    full_name: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO organisation_representatives (eid, citizen_key, citizen_masked, full_name, added_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(eid)
    .bind(citizen_key.to_vec())
    .bind(citizen_masked)
    .bind(full_name)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisations, not closed, that record the person of `citizen_key` as a current legal
/// representative: `(eid, Vietnamese name)`, by e-ID number.
pub async fn represented_by(
    conn: &mut AnyConnection,
    citizen_key: &[u8],
) -> ServerResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT o.eid, o.name_vi FROM organisation_representatives r \
         JOIN organisations o ON o.eid = r.eid \
         WHERE r.citizen_key = $1 AND r.removed_at IS NULL AND o.status <> 'closed' \
         ORDER BY o.eid",
    )
    .bind(citizen_key.to_vec())
    .fetch_all(conn)
    .await?)
}

/// Makes `account` the registrant of the organisations registered for its person (citizen
/// key `citizen_key`) while they had no account; answers how many.
pub async fn link_registrant(
    conn: &mut AnyConnection,
    account: &str,
    citizen_key: &[u8],
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE organisations SET registered_by = $1 \
         WHERE registered_by IS NULL AND registered_by_key = $2",
    )
    .bind(account)
    .bind(citizen_key.to_vec())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records a legal representative's departure.
pub async fn remove_representative(
    conn: &mut AnyConnection,
    eid: &str,
    citizen_key: &[u8],
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE organisation_representatives SET removed_at = $1 \
         WHERE eid = $2 AND citizen_key = $3 AND removed_at IS NULL",
    )
    .bind(now)
    .bind(eid)
    .bind(citizen_key.to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

/// The account of a legal representative, by citizen key, if they have one.
pub async fn account_of_citizen(
    conn: &mut AnyConnection,
    citizen_key: &[u8],
) -> ServerResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE citizen_key = $1")
            .bind(citizen_key.to_vec())
            .fetch_optional(conn)
            .await?,
    )
}

/// How a person is shown in an organisation's records.
#[derive(sqlx::FromRow)]
pub struct PersonRow {
    /// Full name.
    pub full_name: String,
    /// Masked citizen number.
    pub citizen_masked: String,
}

/// The name and masked number of the person with this citizen key.
pub async fn person_by_key(
    conn: &mut AnyConnection,
    citizen_key: &[u8],
) -> ServerResult<Option<PersonRow>> {
    Ok(
        sqlx::query_as("SELECT full_name, citizen_masked FROM citizens WHERE citizen_key = $1")
            .bind(citizen_key.to_vec())
            .fetch_optional(conn)
            .await?,
    )
}

/// The name and masked number of an account's citizen.
pub async fn person(conn: &mut AnyConnection, account: &str) -> ServerResult<Option<PersonRow>> {
    Ok(sqlx::query_as(
        "SELECT c.full_name, c.citizen_masked FROM accounts a \
         JOIN citizens c ON c.citizen_key = a.citizen_key WHERE a.id = $1",
    )
    .bind(account)
    .fetch_optional(conn)
    .await?)
}
