//! Backup passwords and keys: from `TELLTALE_BACKUP_PASSWORD`, `--password-file`, `--key-file`, or a prompt
//! without echo. Never logged, never written to outputs or command.log.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

use telltale_core::SecretProvider;

pub const PASSWORD_ENV: &str = "TELLTALE_BACKUP_PASSWORD";

pub struct CliSecrets {
    pub password_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// A password typed at the prompt is asked once and remembered for the run.
    cached: Mutex<Option<String>>,
}

impl CliSecrets {
    pub fn new(password_file: Option<PathBuf>, key_file: Option<PathBuf>) -> Self {
        CliSecrets {
            password_file,
            key_file,
            cached: Mutex::new(None),
        }
    }
}

/// Reads a key file: the derived key as 64 hexadecimal characters (surrounding white space ignored).
pub fn read_key_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read key file {}: {e}", path.display()))?;
    let t = text.trim();
    if t.len() != 64 {
        anyhow::bail!(
            "key file {}: expected 64 hexadecimal characters, found {}",
            path.display(),
            t.len()
        );
    }
    hex::decode(t).map_err(|_| anyhow::anyhow!("key file {}: not hexadecimal", path.display()))
}

impl SecretProvider for CliSecrets {
    fn password(&self, what: &str) -> Option<String> {
        if let Some(p) = self.cached.lock().ok().and_then(|c| c.clone()) {
            return Some(p);
        }
        if let Ok(p) = std::env::var(PASSWORD_ENV) {
            return Some(p);
        }
        if let Some(f) = &self.password_file {
            return std::fs::read_to_string(f)
                .ok()
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string());
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let p = rpassword::prompt_password(format!("Password for {what}: ")).ok()?;
            if let Ok(mut c) = self.cached.lock() {
                *c = Some(p.clone());
            }
            return Some(p);
        }
        None
    }

    fn key(&self, _what: &str) -> Option<Vec<u8>> {
        self.key_file.as_deref().and_then(|p| read_key_file(p).ok())
    }
}
