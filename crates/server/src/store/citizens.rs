//! The citizen registry's table (`citizens`): identification numbers only as a keyed hash, an
//! encrypted copy and a masked form.

use sqlx::AnyConnection;

use crate::infra::db::Backend;
use crate::infra::error::ServerResult;

/// Rows per `INSERT` when loading many: 9 parameters each, well under the limits of both
/// SQLite (32 766) and PostgreSQL (65 535).
const BATCH: usize = 200;

/// A citizen as the columns of `citizens` hold it, ready to insert.
pub struct NewCitizen {
    /// Keyed hash of the identification number.
    pub key: Vec<u8>,
    /// The identification number, encrypted.
    pub enc: Vec<u8>,
    /// The identification number, masked.
    pub masked: String,
    /// Full name (NFC).
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// The gender's word.
    pub gender: String,
    /// The birth province's code.
    pub birth_province: String,
    /// Mobile number.
    pub phone: String,
    /// E-mail address.
    pub email: Option<String>,
}

impl NewCitizen {
    fn bind_all<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        query
            .bind(self.key.clone())
            .bind(self.enc.clone())
            .bind(self.masked.clone())
            .bind(self.full_name.clone())
            .bind(self.date_of_birth.clone())
            .bind(self.gender.clone())
            .bind(self.birth_province.clone())
            .bind(self.phone.clone())
            .bind(self.email.clone())
    }
}

const INSERT: &str = "INSERT INTO citizens (citizen_key, citizen_enc, citizen_masked, full_name, \
                      date_of_birth, gender, birth_province, phone, email) VALUES ";

/// Inserts people, keeping those already there as they are; returns how many were added.
pub async fn insert_many(conn: &mut AnyConnection, people: &[NewCitizen]) -> ServerResult<u64> {
    let mut added = 0u64;
    for chunk in people.chunks(BATCH) {
        let mut sql = String::from(INSERT);
        for i in 0..chunk.len() {
            let b = i * 9;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        sql.push_str(" ON CONFLICT (citizen_key) DO NOTHING");
        let mut query = sqlx::query(&sql);
        for p in chunk {
            query = p.bind_all(query);
        }
        added += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(added)
}

/// A citizen as stored.
#[derive(sqlx::FromRow)]
pub struct CitizenRow {
    /// The identification number, encrypted.
    pub citizen_enc: Vec<u8>,
    /// Full name.
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// The gender's word.
    pub gender: String,
    /// Mobile number.
    pub phone: String,
    /// E-mail address.
    pub email: Option<String>,
}

/// The citizen with this key.
pub async fn by_key(conn: &mut AnyConnection, key: &[u8]) -> ServerResult<Option<CitizenRow>> {
    Ok(sqlx::query_as(
        "SELECT citizen_enc, full_name, date_of_birth, gender, phone, email \
         FROM citizens WHERE citizen_key = $1",
    )
    .bind(key.to_vec())
    .fetch_optional(conn)
    .await?)
}

/// Before recording something for a person by their key because they have no account (a
/// request taken at the counter): on PostgreSQL, locks their row to the commit, so an account
/// being created for them (whose insert takes the row's key-share lock) either committed
/// before — and is read next — or waits, and then links what this action records. On SQLite
/// the transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
pub async fn lock_against_account_creation(
    conn: &mut AnyConnection,
    backend: Backend,
    key: &[u8],
) -> ServerResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM citizens WHERE citizen_key = $1 FOR UPDATE")
            .bind(key.to_vec())
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// Whether the registry holds the citizen with this key.
pub async fn exists(conn: &mut AnyConnection, key: &[u8]) -> ServerResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM citizens WHERE citizen_key = $1")
        .bind(key.to_vec())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Sets the citizen's e-mail address.
pub async fn set_email(conn: &mut AnyConnection, key: &[u8], email: &str) -> ServerResult<()> {
    sqlx::query("UPDATE citizens SET email = $1 WHERE citizen_key = $2")
        .bind(email)
        .bind(key.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}
