//! `sqlx::migrate!` embeds the files under `migrations/` when the crate compiles, but Cargo does
//! not know the crate reads them: without this, a change that only adds or edits a migration
//! leaves the old set compiled in.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
