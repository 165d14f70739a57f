//! `telltale`: find traces of mercenary spyware in phone acquisitions.
//!
//! A thin binary over the library crates: argument parsing, secrets, progress and the final summary.
//! Exit codes: 0 = no HIGH/CRITICAL alert, 1 = at least one, 2 = could not run.

mod cases;
mod check;
mod decrypt;
mod hashing;
mod hunt;
mod iocs_cmd;
mod kinds;
mod recheck;
mod report_cmd;
mod secrets;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Exit code when the run could not be done.
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "telltale",
    version,
    about = "Find traces of mercenary spyware (Pegasus, Predator, QuaDream, stalkerware…) in phone acquisitions",
    long_about = "Find traces of mercenary spyware in phone acquisitions (iOS backups, Android AndroidQF \
                  acquisitions, bugreports, backups) using public indicators of compromise.\n\n\
                  Exit codes: 0 = no HIGH/CRITICAL alert, 1 = at least one, 2 = could not run.\n\
                  No alert is not proof that a phone is clean."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
pub struct IocArgs {
    /// Add the indicators of this STIX 2.1 file (repeatable)
    #[arg(long = "iocs", value_name = "FILE")]
    pub iocs: Vec<PathBuf>,
    /// Leave the built-in (or updated) indicator snapshot out
    #[arg(long)]
    pub no_builtin_iocs: bool,
}

#[derive(Args, Clone, Default)]
pub struct SecretArgs {
    /// Read the backup password from this file (else TELLTALE_BACKUP_PASSWORD, else a prompt)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Use this derived backup key (64 hexadecimal characters, as written by `telltale key`)
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Check an acquisition (iOS backup, AndroidQF folder or zip, bugreport, Android backup …)
    Check(check::CheckArgs),
    /// Indicator sets: list, look up values, update
    Iocs {
        #[command(subcommand)]
        command: iocs_cmd::IocsCommand,
    },
    /// Rebuild report.html (and with --timesketch timeline.jsonl) from output folders
    Report(report_cmd::ReportArgs),
    /// Re-check earlier results against the current indicators (exit 1 on new HIGH/CRITICAL alerts)
    Recheck(recheck::RecheckArgs),
    /// List the checks recorded in the case index
    Cases(cases::CasesArgs),
    /// Hunt the observables of earlier checks (every case in the case index, or the folders and datasets
    /// given) for the current indicators (exit 1 when anything matched)
    Hunt(hunt::HuntArgs),
    /// Observables of checks: publish them to a Hive-partitioned Parquet dataset
    Observables {
        #[command(subcommand)]
        command: hunt::ObservablesCommand,
    },
    /// Write a decrypted copy of an encrypted iOS backup (not needed to check it)
    Decrypt(decrypt::DecryptArgs),
    /// Write the derived key of an encrypted iOS backup (for --key-file)
    Key(decrypt::KeyArgs),
}

fn main() -> ExitCode {
    check::install_panic_hook();
    // Ctrl-C: remove every private temporary folder (decrypted data) before leaving.
    let _ = ctrlc::set_handler(|| {
        telltale_ios::crypto::cleanup_temp_dirs();
        eprintln!("\ntelltale: interrupted");
        std::process::exit(130);
    });
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => check::run(args),
        Command::Iocs { command } => iocs_cmd::run(command),
        Command::Report(args) => report_cmd::run(args),
        Command::Recheck(args) => recheck::run(args),
        Command::Cases(args) => cases::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Observables { command } => hunt::run_observables(command),
        Command::Decrypt(args) => decrypt::run_decrypt(args),
        Command::Key(args) => decrypt::run_key(args),
    });
    telltale_ios::crypto::cleanup_temp_dirs();
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            eprintln!("telltale: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
        Err(_) => {
            eprintln!(
                "telltale: internal error: {}",
                check::last_panic().unwrap_or_default()
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}
