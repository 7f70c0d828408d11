//! The demo registries as stored: organisations, their legal representatives (by look-up key,
//! with the number masked) and the changes recorded, in order. Loaded from the shipped file by
//! `resources::registry`; read through its adapter.

use sqlx::AnyConnection;

use crate::infra::error::ServerResult;

/// An organisation as a registry table holds it.
#[derive(sqlx::FromRow)]
pub struct OrganisationRow {
    /// Agency code, for state agencies (empty or absent otherwise).
    pub agency_code: Option<String>,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Head-office address line.
    pub address: String,
    /// Head-office province key.
    pub province: String,
    /// Date of establishment, `YYYY-MM-DD`.
    pub established_on: String,
    /// `active` or `dissolved`.
    pub status: String,
}

/// A legal representative as a registry table holds them.
#[derive(sqlx::FromRow)]
pub struct RepresentativeRow {
    /// The look-up key of their number.
    pub citizen_key: Vec<u8>,
    /// Their number, masked.
    pub citizen_masked: String,
    /// Full name.
    pub full_name: String,
}

/// One recorded change.
#[derive(sqlx::FromRow)]
pub struct ChangeRow {
    /// Sequence number.
    pub seq: i64,
    /// The registry's word.
    pub registry: String,
    /// The organisation's tax code.
    pub code: String,
    /// What changed, as JSON.
    pub change_json: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// An organisation to load into a registry table.
pub struct NewOrganisation<'a> {
    /// The registry's word.
    pub registry: &'a str,
    /// Tax code.
    pub code: &'a str,
    /// Agency code.
    pub agency_code: Option<&'a str>,
    /// Name in Vietnamese.
    pub name_vi: &'a str,
    /// Head-office address line.
    pub address: &'a str,
    /// Head-office province key.
    pub province: &'a str,
    /// Date of establishment, `YYYY-MM-DD`.
    pub established_on: String,
    /// The status word.
    pub status: &'a str,
}

/// A representative to load into a registry table.
pub struct NewRepresentative<'a> {
    /// The registry's word.
    pub registry: &'a str,
    /// The organisation's tax code.
    pub code: &'a str,
    /// Their place in the registry's order.
    pub row_no: i64,
    /// The look-up key of their number.
    pub citizen_key: Vec<u8>,
    /// Their number, masked.
    pub citizen_masked: String,
    /// Full name.
    pub full_name: &'a str,
}

/// Rows inserted per statement (9 parameters each at most, well under both backends'
/// parameter limits).
pub const BATCH: usize = 200;

/// The organisation `code` of `registry`, if the table holds it.
pub async fn organisation(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
) -> ServerResult<Option<OrganisationRow>> {
    Ok(sqlx::query_as(
        "SELECT agency_code, name_vi, address, province, established_on, status \
         FROM registry_organisations WHERE registry = $1 AND code = $2",
    )
    .bind(registry)
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// The organisation's representatives, in the registry's order.
pub async fn representatives(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
) -> ServerResult<Vec<RepresentativeRow>> {
    Ok(sqlx::query_as(
        "SELECT citizen_key, citizen_masked, full_name FROM registry_representatives \
         WHERE registry = $1 AND code = $2 ORDER BY row_no",
    )
    .bind(registry)
    .bind(code)
    .fetch_all(conn)
    .await?)
}

/// Changes recorded after `after` (in `registry`, or in all when it is `""`), oldest first.
pub async fn changes(
    conn: &mut AnyConnection,
    registry: &str,
    after: i64,
    limit: i64,
) -> ServerResult<Vec<ChangeRow>> {
    Ok(sqlx::query_as(
        "SELECT seq, registry, code, change_json, at FROM registry_changes \
         WHERE seq > $1 AND ($2 = '' OR registry = $2) ORDER BY seq LIMIT $3",
    )
    .bind(after)
    .bind(registry)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The organisation's status word, if the table holds it.
pub async fn status(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
) -> ServerResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT status FROM registry_organisations WHERE registry = $1 AND code = $2",
    )
    .bind(registry)
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// Sets the organisation's status.
pub async fn set_status(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
    status: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE registry_organisations SET status = $1, updated_at = $2 \
         WHERE registry = $3 AND code = $4",
    )
    .bind(status)
    .bind(now)
    .bind(registry)
    .bind(code)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the organisation's record as updated at `now`.
pub async fn touch(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE registry_organisations SET updated_at = $1 WHERE registry = $2 AND code = $3",
    )
    .bind(now)
    .bind(registry)
    .bind(code)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the organisation's representatives.
pub async fn delete_representatives(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
) -> ServerResult<()> {
    sqlx::query("DELETE FROM registry_representatives WHERE registry = $1 AND code = $2")
        .bind(registry)
        .bind(code)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends a change; returns its sequence number.
pub async fn append_change(
    conn: &mut AnyConnection,
    registry: &str,
    code: &str,
    change_json: &str,
    now: i64,
) -> ServerResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO registry_changes (registry, code, change_json, at) VALUES ($1, $2, $3, $4) \
         RETURNING seq",
    )
    .bind(registry)
    .bind(code)
    .bind(change_json)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// How many organisations of each registry have `status`, per province: in `province`, or in
/// every province for `None` (one pass for the national dashboard instead of one per province).
/// Rows are `(province, registry, count)`.
pub async fn count_by_registry(
    conn: &mut AnyConnection,
    province: Option<&str>,
    status: &str,
) -> ServerResult<Vec<(String, String, i64)>> {
    let select = "SELECT province, registry, COUNT(*) AS n FROM registry_organisations";
    let group = "GROUP BY province, registry";
    Ok(match province {
        Some(p) => {
            sqlx::query_as(&format!(
                "{select} WHERE province = $1 AND status = $2 {group}"
            ))
            .bind(p)
            .bind(status)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!("{select} WHERE status = $1 {group}"))
                .bind(status)
                .fetch_all(conn)
                .await?
        }
    })
}

/// `($1, …, $n), ($n+1, …)`: the placeholders of `rows` rows of `width` values.
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|i| {
            let params: Vec<String> = (1..=width).map(|k| format!("${}", i * width + k)).collect();
            format!("({})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Inserts organisations ([`BATCH`] at most), keeping those already there as they are;
/// returns the codes of those inserted.
pub async fn insert_organisations(
    conn: &mut AnyConnection,
    rows: &[NewOrganisation<'_>],
    now: i64,
) -> ServerResult<Vec<String>> {
    let sql = format!(
        "INSERT INTO registry_organisations (registry, code, agency_code, name_vi, address, \
         province, established_on, status, updated_at) VALUES {} \
         ON CONFLICT (registry, code) DO NOTHING RETURNING code",
        placeholders(rows.len(), 9)
    );
    let mut query = sqlx::query_scalar(&sql);
    for o in rows {
        query = query
            .bind(o.registry)
            .bind(o.code)
            .bind(o.agency_code.map(str::to_owned))
            .bind(o.name_vi)
            .bind(o.address)
            .bind(o.province)
            .bind(o.established_on.clone())
            .bind(o.status)
            .bind(now);
    }
    Ok(query.fetch_all(conn).await?)
}

/// Inserts representatives ([`BATCH`] at most), keeping those already there.
pub async fn insert_representatives(
    conn: &mut AnyConnection,
    rows: &[NewRepresentative<'_>],
) -> ServerResult<()> {
    let sql = format!(
        "INSERT INTO registry_representatives \
         (registry, code, row_no, citizen_key, citizen_masked, full_name) VALUES {} \
         ON CONFLICT (registry, code, row_no) DO NOTHING",
        placeholders(rows.len(), 6)
    );
    let mut query = sqlx::query(&sql);
    for r in rows {
        query = query
            .bind(r.registry)
            .bind(r.code)
            .bind(r.row_no)
            .bind(r.citizen_key.clone())
            .bind(r.citizen_masked.clone())
            .bind(r.full_name);
    }
    query.execute(conn).await?;
    Ok(())
}
