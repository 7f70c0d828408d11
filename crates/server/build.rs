// `sqlx::migrate!` embeds the migrations at compile time; without this, adding a migration
// file does not rebuild the crate and the new migration is silently missing.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
