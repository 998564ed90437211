//! `referral init --broker URL [--root-fingerprint FP]`: makes this device's
//! keys and keystore (SPEC §4, devices).

use anyhow::Context as _;

use super::DeviceReport;
use super::device_report::Occasion;
use crate::broker_url::BrokerUrl;
use crate::cli::InitArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::keystore::{Keystore, NewDevice, WorkFactor};
use crate::output;
use crate::passphrase::Purpose;
use crate::tr;

/// Runs `init`.
pub fn run(ctx: &Context, args: &InitArgs) -> Result<DeviceReport, Failure> {
    // Every check that can refuse runs before the passphrase is asked for,
    // so that a refusal never costs the user a prompt or a slow scrypt run.
    let broker: BrokerUrl = args
        .broker
        .parse()
        .with_context(|| tr!("init-bad-broker", broker = format!("{:?}", args.broker)))?;
    Keystore::ensure_absent(&ctx.home)?;
    let work_factor = WorkFactor::from_env()?;
    let passphrase = ctx.passphrase(Purpose::Create)?;

    let record = Keystore::create(
        &ctx.home,
        NewDevice {
            broker,
            root_fingerprint: args.root_fingerprint,
        },
        &passphrase,
        work_factor,
    )?;
    if record.root_fingerprint.is_none() {
        // Trust on first use is only as good as the out-of-band check that
        // follows it, so the user is told what that check is and when to do
        // it (SPEC §4, root).
        output::warn(&tr!("init-trust-on-first-use"));
    }
    Ok(DeviceReport::new(
        &record,
        ctx.home.clone(),
        Occasion::Created,
    ))
}
