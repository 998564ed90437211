//! For build scripts: embeds a binary's `locales/<lang>/*.ftl` files.
//!
//! The generated file defines `fn catalog_sources(lang) -> &[(name, text)]`
//! (a [`crate::Sources`]), with every file under `include_str!`, so adding a
//! catalog file needs no code change and editing one rebuilds the binary.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

/// The languages, as directory names; kept in step with `Lang::ALL` (the
/// runtime feature's tests check it).
pub const LANGUAGE_DIRS: [&str; 3] = ["en", "ja", "vi"];

/// Writes `$OUT_DIR/catalog_sources.rs` for the catalogs under
/// `locales_dir`, and tells Cargo to rerun when any of them changes.
///
/// # Panics
/// If a directory cannot be read or `OUT_DIR` is unset: a build script
/// should stop the build then.
pub fn embed_catalogs(locales_dir: &Path) {
    println!("cargo:rerun-if-changed={}", locales_dir.display());
    let mut code = String::from(
        "/// This binary's catalog files for `lang`.\n\
         pub fn catalog_sources(lang: referral_i18n::Lang) -> &'static [(&'static str, &'static str)] {\n    match lang {\n",
    );
    for dir in LANGUAGE_DIRS {
        let path = locales_dir.join(dir);
        let mut files: Vec<_> = fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .map(|entry| entry.expect("a readable directory entry").path())
            .filter(|file| file.extension().is_some_and(|ext| ext == "ftl"))
            .collect();
        files.sort();
        let variant = format!("{}{}", dir[..1].to_uppercase(), &dir[1..]);
        let _ = writeln!(code, "        referral_i18n::Lang::{variant} => &[");
        for file in files {
            let name = file
                .file_name()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let absolute = fs::canonicalize(&file).expect("a catalog file's path");
            let _ = writeln!(
                code,
                "            ({name:?}, include_str!({:?})),",
                absolute.display().to_string()
            );
        }
        code.push_str("        ],\n");
    }
    code.push_str("    }\n}\n");
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR is set for build scripts"))
        .join("catalog_sources.rs");
    fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
