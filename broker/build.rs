//! Embeds the message catalogs in `locales/` (ADR 0012).

fn main() {
    referral_i18n::build_support::embed_catalogs(std::path::Path::new("locales"));
}
