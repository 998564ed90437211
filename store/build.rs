//! `sqlx::migrate!` embeds the migration files at compile time, but cargo
//! does not know to rebuild when a new one appears; this tells it to.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
