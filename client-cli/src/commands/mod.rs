//! One module per subcommand. Each has a `run` function that does the work
//! and returns a report; printing it is left to `main`, so that nothing
//! reaches stdout unless the command succeeded.

mod device_report;
pub mod export_identity;
pub mod init;
pub mod whoami;

pub use device_report::DeviceReport;
