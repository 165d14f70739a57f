//! `telltale decrypt BACKUP -o DIR [--tree]` and `telltale key BACKUP -o FILE` for encrypted iOS backups.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use telltale_core::SecretProvider;
use telltale_ios::crypto::{self, Key32};

use crate::SecretArgs;
use crate::secrets::CliSecrets;

#[derive(Args)]
pub struct DecryptArgs {
    /// The encrypted iOS backup (or a folder holding exactly one backup)
    pub backup: PathBuf,
    /// Where to write the decrypted copy (a new or empty folder)
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Also write the files under `domain/relative/path`
    #[arg(long)]
    pub tree: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

#[derive(Args)]
pub struct KeyArgs {
    /// The encrypted iOS backup (or a folder holding exactly one backup)
    pub backup: PathBuf,
    /// Where to write the derived key (64 hexadecimal characters)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// The backup folder itself: PATH when it holds Manifest.plist, else its only subfolder that does.
fn backup_root(path: &Path) -> anyhow::Result<PathBuf> {
    if path.join("Manifest.plist").is_file() {
        return Ok(path.to_path_buf());
    }
    let mut found = Vec::new();
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            if e.path().join("Manifest.plist").is_file() {
                found.push(e.path());
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("{}: not an iOS backup (no Manifest.plist)", path.display()),
        _ => bail!(
            "{}: holds {} backups; name one of them",
            path.display(),
            found.len()
        ),
    }
}

fn key_for(root: &Path, secrets: &SecretArgs) -> anyhow::Result<Key32> {
    if !crypto::is_encrypted(root) {
        bail!("{}: this backup is not encrypted", root.display());
    }
    let provider = CliSecrets::new(secrets.password_file.clone(), secrets.key_file.clone());
    let what = format!("iOS backup {}", root.display());
    if let Some(k) = provider.key(&what) {
        return Key32::from_slice(&k)
            .ok_or_else(|| anyhow!("the key file does not hold a 32-byte key"));
    }
    let password = provider.password(&what).ok_or_else(|| {
        anyhow!("{what}: a password is needed (set TELLTALE_BACKUP_PASSWORD, use --password-file, or run in a terminal)")
    })?;
    crypto::derive_key(root, &password).map_err(|e| anyhow!(e.into_acquisition_error(&what)))
}

pub fn run_key(args: KeyArgs) -> anyhow::Result<u8> {
    let root = backup_root(&args.backup)?;
    let key = key_for(&root, &args.secrets)?;
    write_private(&args.output, format!("{}\n", key.to_hex()).as_bytes())
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "Wrote the backup's derived key to {} (keep it as secret as the password).",
        args.output.display()
    );
    Ok(0)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
}

pub fn run_decrypt(args: DecryptArgs) -> anyhow::Result<u8> {
    let root = backup_root(&args.backup)?;
    let key = key_for(&root, &args.secrets)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("[{bar:30}] {pos}/{len} files {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };
    let summary =
        crypto::decrypt_backup(&root, &key, &args.output, args.tree, &progress).map_err(|e| {
            anyhow!(e.into_acquisition_error(&format!("iOS backup {}", root.display())))
        })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    for e in &summary.errors {
        eprintln!("error: {e}");
    }
    if !summary.missing.is_empty() {
        eprintln!(
            "{} file(s) listed in Manifest.db are absent from the backup",
            summary.missing.len()
        );
    }
    eprintln!(
        "Decrypted {} file(s), {} bytes, into {}{}",
        summary.files,
        summary.bytes,
        args.output.display(),
        if args.tree {
            " (also as a domain/path tree)"
        } else {
            ""
        }
    );
    Ok(if summary.errors.is_empty() {
        0
    } else {
        crate::EXIT_ERROR
    })
}
