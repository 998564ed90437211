//! `referral whoami`: the public facts about this device. Reads only
//! `device.json`, so it needs no passphrase.

use super::DeviceReport;
use super::device_report::Occasion;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::Keystore;

/// Runs `whoami`.
pub fn run(ctx: &Context) -> Result<DeviceReport, Failure> {
    let record = Keystore::device(&ctx.home)?;
    Ok(DeviceReport::new(
        &record,
        ctx.home.clone(),
        Occasion::Existing,
    ))
}
