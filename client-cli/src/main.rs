//! `referral`: parses the command line, runs one command, prints its report,
//! and turns the outcome into an exit status (SPEC §9). Everything else is
//! in the library, `referral_cli`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use referral_cli::cli::{Cli, Command};
use referral_cli::commands;
use referral_cli::context::Context;
use referral_cli::exit::{Exit, Failure};
use referral_cli::output::{self, Report};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version arrive here too: clap knows which stream
            // each belongs on. If even that write fails there is nowhere left
            // to report it.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            }
            .into();
        }
    };
    match run(cli) {
        Ok(()) => Exit::Success.into(),
        Err(failure) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("error: {:#}", failure.error());
            failure.exit().into()
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let ctx = Context::from_args(&cli.global)?;
    match &cli.command {
        Command::Init(args) => emit(&ctx, &commands::init::run(&ctx, args)?),
        Command::Whoami => emit(&ctx, &commands::whoami::run(&ctx)?),
        Command::ExportIdentity => emit(&ctx, &commands::export_identity::run(&ctx)?),
    }
}

fn emit<R: Report>(ctx: &Context, report: &R) -> Result<(), Failure> {
    output::emit(ctx.format, report).context("cannot write the result to stdout")?;
    Ok(())
}
