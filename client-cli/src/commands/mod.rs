//! One module per subcommand. Each has a `run` function that does the work
//! and returns a report; printing it is left to `main`, so that nothing
//! reaches stdout unless the command succeeded.

pub mod admin_audit;
pub mod admin_devices;
pub mod admin_keys;
pub mod admin_setup;
pub mod cases;
mod device_report;
pub mod directory;
pub mod enroll;
pub mod export_identity;
pub mod forward;
pub mod inbox;
pub mod init;
pub mod new;
pub mod new_interactive;
pub mod open;
pub mod outbox;
pub mod reply;
pub mod report;
pub mod rewrap;
pub mod rotate;
pub mod seal;
pub mod send;
pub mod thread;
pub mod token;
pub mod whoami;

pub use device_report::DeviceReport;
