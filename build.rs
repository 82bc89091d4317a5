//! Rebuilds Herald when a migration is added or changed: `sqlx::migrate!` embeds the
//! `migrations/` folder at compile time, and on stable Rust cargo does not otherwise
//! know that the folder is an input (sqlx's `migrate!` documentation says the same).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
