//! `referral`: parses the command line, runs one command, prints its report,
//! and turns the outcome into an exit status (SPEC §9). Everything else is
//! in the library, `referral_cli`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use referral_cli::cli::{AdminCommand, Cli, Command, DeskCommand, OutboxCommand};
use referral_cli::commands;
use referral_cli::context::Context;
use referral_cli::exit::{Exit, Failure};
use referral_cli::output::{self, Format, Report};

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
    // The language is settled before anything is said, so that even an
    // error about the keystore is in the user's language.
    match referral_i18n::negotiate(cli.global.lang.as_deref(), |name| std::env::var(name).ok()) {
        Ok(lang) => referral_cli::i18n::install(lang),
        Err(unsupported) => {
            output::error(&anyhow::anyhow!(referral_cli::tr!(
                "lang-unsupported",
                lang = unsupported.0
            )));
            return Exit::Usage.into();
        }
    }
    match run(cli) {
        Ok(()) => Exit::Success.into(),
        Err(failure) => {
            output::error(failure.error());
            failure.exit().into()
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    // `new` only prints a template: it must work where no home directory
    // can be found (no $HOME), so it runs before the context is resolved.
    if let Command::New(args) = &cli.command {
        let format = if cli.global.json {
            Format::Json
        } else {
            Format::Human
        };
        if args.interactive {
            let report = commands::new_interactive::run(args.out.as_deref())?;
            output::emit(format, &report)
        } else {
            output::emit(format, &commands::new::run())
        }
        .with_context(|| referral_cli::tr!("output-cannot-write"))?;
        return Ok(());
    }
    let ctx = Context::from_args(&cli.global)?;
    match &cli.command {
        Command::Init(args) => emit(&ctx, &commands::init::run(&ctx, args)?),
        Command::Whoami => emit(&ctx, &commands::whoami::run(&ctx)?),
        Command::ExportIdentity(args) => emit(
            &ctx,
            &commands::export_identity::run(&ctx, args.classic_only)?,
        ),
        Command::Enroll(args) => emit(&ctx, &commands::enroll::run(&ctx, args)?),
        Command::Directory(args) => emit(&ctx, &commands::directory::run(&ctx, args)?),
        Command::Rotate => emit(&ctx, &commands::rotate::run(&ctx)?),
        Command::Rewrap => emit(&ctx, &commands::rewrap::run(&ctx)?),
        Command::Token => emit(&ctx, &commands::token::run(&ctx)?),
        // Answered above, before the context was resolved.
        Command::New(_) => Ok(()),
        Command::Send(args) => emit(&ctx, &commands::send::run(&ctx, args)?),
        Command::Inbox => emit(&ctx, &commands::inbox::run(&ctx)?),
        Command::Open(args) => emit(&ctx, &commands::open::run(&ctx, args)?),
        Command::Reply(args) => emit(&ctx, &commands::reply::run(&ctx, args)?),
        Command::Forward(args) => emit(&ctx, &commands::forward::run(&ctx, args)?),
        Command::Thread(args) => emit(&ctx, &commands::thread::run(&ctx, args)?),
        Command::Cases(args) => emit(&ctx, &commands::cases::run(&ctx, args)?),
        Command::Report(args) => commands::report::run(&ctx, args),
        Command::Outbox(args) => match &args.command {
            None => emit(&ctx, &commands::outbox::list(&ctx)?),
            Some(OutboxCommand::Drop { id }) => emit(&ctx, &commands::outbox::drop(&ctx, id)?),
        },
        Command::Ui(args) => referral_cli::ui::run(&ctx, args),
        Command::Seal(args) => emit(&ctx, &commands::seal::seal(&ctx, args)?),
        Command::Unseal(args) => emit(&ctx, &commands::seal::unseal(&ctx, args)?),
        Command::Admin(admin) => run_admin(&ctx, admin),
    }
}

fn run_admin(ctx: &Context, command: &AdminCommand) -> Result<(), Failure> {
    use commands::{admin_audit, admin_devices, admin_keys, admin_setup};
    match command {
        AdminCommand::Bootstrap(args) => emit(ctx, &admin_setup::bootstrap(ctx, args)?),
        AdminCommand::Desk(DeskCommand::Add(args)) => emit(ctx, &admin_setup::desk_add(ctx, args)?),
        AdminCommand::KeyPolicy(args) => emit(ctx, &admin_setup::key_policy(ctx, args)?),
        AdminCommand::Invite(args) => emit(ctx, &admin_devices::invite(ctx, args)?),
        AdminCommand::Pending => emit(ctx, &admin_devices::pending(ctx)?),
        AdminCommand::Approve(args) => emit(ctx, &admin_devices::approve(ctx, args)?),
        AdminCommand::Revoke(args) => emit(ctx, &admin_devices::revoke(ctx, args)?),
        AdminCommand::RotateBrokerKey => emit(ctx, &admin_keys::rotate_broker_key(ctx)?),
        AdminCommand::RotateRoot => emit(ctx, &admin_keys::rotate_root(ctx)?),
        AdminCommand::Audit(args) => emit(ctx, &admin_audit::audit(ctx, args)?),
        AdminCommand::Stats => emit(ctx, &admin_audit::stats(ctx)?),
    }
}

fn emit<R: Report>(ctx: &Context, report: &R) -> Result<(), Failure> {
    output::emit(ctx.format, report).with_context(|| referral_cli::tr!("output-cannot-write"))?;
    Ok(())
}
