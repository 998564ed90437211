//! What a seized database holds (issue 20, ADR 0019): a scripted month of
//! traffic through the real [`Store`], a lister that reads
//! every table and column of the database it left, the inventory written
//! in `docs/threat-model.md` §3.2, and the retention bounds that inventory
//! promises. Both backends' tests run the same script and compare the same
//! way, so a new column, a new table or a row kept longer than documented
//! fails on either.
//!
//! - [`script`]: the month, then months of daily purges, then a little
//!   traffic at the end so that open threads and recent rows exist too;
//! - [`list`]: every table, its row count, and which columns hold a value;
//! - [`doc`]: the documented inventory and the comparison;
//! - [`retention`]: the time bounds the inventory's "kept until" promises.

pub mod doc;
pub mod list;
pub mod retention;
pub mod script;
mod traffic;

pub use doc::{Documented, InventoryRow, compare, documented};
pub use list::{Holdings, Raw, TableHolding};
pub use retention::violations;
pub use script::{ScriptEnd, run};

use crate::Store;

/// The whole check, as each backend's test runs it: the script on `store`,
/// then the database read through `raw` (a second connection to the same
/// database) and compared with the documented inventory and its bounds.
/// Panics with every difference, and the lister's picture.
pub async fn assert_the_seized_disk_matches_the_inventory(store: &dyn Store, raw: &mut Raw) {
    let end = run(store).await;
    let found = Holdings::read(raw).await;
    // The lister's picture, for `--nocapture` readers.
    println!("{found}");
    if let Err(diff) = compare(&found, &documented()) {
        panic!("{diff}\n\nwhat the lister found:\n{found}");
    }
    let broken = violations(raw, &end).await;
    assert!(
        broken.is_empty(),
        "kept longer than documented: {broken:#?}"
    );
}
