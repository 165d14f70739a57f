//! The shutdown log (`shutdown.log`, iOS 26 `shutdown.0.log`): at each reboot, launchd waits for the
//! processes still running and writes, every few seconds, which ones are left; then a `SIGTERM` line with
//! the time.
//!
//! ```text
//! After 3.02s, these clients are still here:
//!         remaining client pid: 123 (/private/var/db/com.apple.xpc.roleaccountd.staging/x/0A1B…-…)
//! SIGTERM: [1650000000] All buffers flushed
//! ```
//!
//! Clients listed before a `SIGTERM` line belong to that reboot; the time is Unix seconds (UTC), or
//! ten digits after ` @` in older logs. Paths may contain spaces and parentheses (app bundles): the path
//! runs to the last `)` of the line. A trailing block without `SIGTERM` (a cut log) is kept, undated.

use jiff::Timestamp;

use crate::device_paths::strip_uuid_suffix;

/// One client line.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// The pid as written (digits).
    pub pid: String,
    /// The path as written, possibly with a `/<UUID>` suffix.
    pub client: String,
    /// The longest wait (seconds of the "After …s" notice) the client was listed under.
    pub delay: f64,
    /// How many notices listed it.
    pub times_delayed: u32,
    /// 1-based line of its first listing.
    pub line: usize,
}

impl Client {
    /// The executable path without a trailing `/<UUID>`.
    pub fn path(&self) -> &str {
        strip_uuid_suffix(&self.client)
    }
}

/// One reboot: the notices and clients before its `SIGTERM` line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reboot {
    /// The `SIGTERM` time, `None` for a trailing block without `SIGTERM` or an unreadable time.
    pub time: Option<Timestamp>,
    /// Whether the block ended with a `SIGTERM` line.
    pub terminated: bool,
    /// How many "these clients are still here" notices preceded it.
    pub notices: u32,
    /// The distinct clients (by path as written), in order of first listing.
    pub clients: Vec<Client>,
    /// 1-based line of the `SIGTERM` (or of the block's last line).
    pub line: usize,
}

fn parse_client(line: &str) -> Option<(String, String)> {
    let at = line.find("remaining client pid:")?;
    let rest = line[at + "remaining client pid:".len()..].trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let pid = rest[..digits].to_string();
    let open = rest.find('(')?;
    let close = rest.rfind(')')?;
    if close <= open {
        return None;
    }
    Some((pid, rest[open + 1..close].to_string()))
}

fn parse_delay(line: &str) -> f64 {
    // "After 3.02s, these clients are still here:"
    line.trim()
        .strip_prefix("After ")
        .and_then(|r| r.split(['s', ',', ' ']).next())
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0)
        .unwrap_or(0.0)
}

fn parse_sigterm_time(line: &str) -> Option<Timestamp> {
    let secs = match (line.find('['), line.find(']')) {
        (Some(a), Some(b)) if b > a => line[a + 1..b].trim().parse::<i64>().ok(),
        _ => None,
    }
    .or_else(|| {
        let at = line.find(" @")? + 2;
        let d: String = line[at..].chars().take(10).collect();
        (d.len() == 10 && d.bytes().all(|c| c.is_ascii_digit()))
            .then(|| d.parse().ok())
            .flatten()
    })?;
    Timestamp::from_second(secs).ok()
}

/// Parses a shutdown log into its reboots, oldest first.
pub fn parse(text: &str) -> Vec<Reboot> {
    let mut out = Vec::new();
    let mut cur = Reboot::default();
    let mut cur_delay = 0.0f64;
    let mut any = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some((pid, client)) = parse_client(line) {
            any = true;
            cur.line = n;
            match cur.clients.iter_mut().find(|c| c.client == client) {
                Some(c) => {
                    c.times_delayed += 1;
                    c.delay = c.delay.max(cur_delay);
                }
                None => cur.clients.push(Client {
                    pid,
                    client,
                    delay: cur_delay,
                    times_delayed: 1,
                    line: n,
                }),
            }
        } else if line.contains("these clients are still here") {
            any = true;
            cur.notices += 1;
            cur.line = n;
            cur_delay = parse_delay(line);
        } else if line.contains("SIGTERM") {
            cur.time = parse_sigterm_time(line);
            cur.terminated = true;
            cur.line = n;
            out.push(std::mem::take(&mut cur));
            cur_delay = 0.0;
            any = false;
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
After 0.33s, these clients are still here:
\t\tremaining client pid: 12 (/usr/libexec/a)
\t\tremaining client pid: 1234 (/private/var/containers/Bundle/Application/1A2B3C4D-0000-0000-0000-000000000000/My App (beta).app/My App (beta))
After 1.5s, these clients are still here:
\t\tremaining client pid: 12 (/usr/libexec/a)
SIGTERM: [1650000000] All buffers flushed
\t\tremaining client pid: 99 (/private/var/db/com.apple.xpc.roleaccountd.staging/fmld/0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9)
SIGTERM: [garbage] @1650003600 x
After 2s, these clients are still here:
\t\tremaining client pid: 5 (/usr/libexec/b)
";

    #[test]
    fn reboots_clients_and_times() {
        let r = parse(LOG);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].notices, 2);
        assert_eq!(r[0].time.unwrap().as_second(), 1_650_000_000);
        assert_eq!(r[0].clients.len(), 2);
        assert_eq!(r[0].clients[0].times_delayed, 2);
        assert_eq!(r[0].clients[0].delay, 1.5);
        assert!(
            r[0].clients[1]
                .client
                .ends_with("My App (beta).app/My App (beta)")
        );
        assert_eq!(r[1].notices, 0);
        assert_eq!(r[1].time.unwrap().as_second(), 1_650_003_600);
        assert_eq!(
            r[1].clients[0].path(),
            "/private/var/db/com.apple.xpc.roleaccountd.staging/fmld"
        );
        assert!(!r[2].terminated);
        assert_eq!(r[2].time, None);
        assert_eq!(r[2].clients[0].pid, "5");
    }

    #[test]
    fn garbage_is_harmless() {
        assert!(parse("").is_empty());
        assert!(parse("hello\n\u{0}\u{ffff}\nremaining client pid: (\n").is_empty());
        let r = parse("remaining client pid: 1 )x( \nSIGTERM: [99999999999999999999]\n");
        assert_eq!(r.len(), 1);
        assert!(r[0].clients.is_empty());
        assert_eq!(r[0].time, None);
    }
}
