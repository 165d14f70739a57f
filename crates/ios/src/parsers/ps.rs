//! Process lists of a sysdiagnose: `ps.txt` and `ps_thread.txt` (`ps` output: a header row, aligned
//! columns, `COMMAND` last with its arguments), `taskinfo.txt` (`process: "name" [pid]` blocks) and
//! `spindump-nosymbols.txt` (`Process: name [pid]` / `Path: /…` blocks).
//!
//! Each parser returns [`Proc`]s: a pid, the executable name and, when the source gives it, the path.

/// One process as a source lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proc {
    pub pid: Option<u32>,
    pub ppid: Option<u32>,
    pub user: Option<String>,
    /// The executable's name (basename of the path, or the name the source gives).
    pub name: String,
    /// The executable's absolute path, when known.
    pub path: Option<String>,
    /// The command line as written (`ps`), else empty.
    pub command: String,
}

/// The executable path at the start of a command line: up to the first argument (` -x`, ` /x`, ` (x`),
/// then to the end of the last path component. An app's executable named like its bundle keeps its
/// spaces (`/…/My App.app/My App`).
pub fn executable_of(command: &str) -> Option<String> {
    let c = command.trim();
    if !c.starts_with('/') {
        return None;
    }
    let cut = [" -", " /", " ("]
        .iter()
        .filter_map(|s| c.find(s))
        .min()
        .unwrap_or(c.len());
    let head = &c[..cut];
    let slash = head.rfind('/')?;
    let dir = &c[..slash];
    let rest = &c[slash + 1..];
    // `X.app/X …`: the executable is named after the bundle.
    if let Some(bundle) = dir.rsplit('/').next().and_then(|d| d.strip_suffix(".app"))
        && !bundle.is_empty()
        && rest.starts_with(bundle)
        && rest[bundle.len()..]
            .chars()
            .next()
            .is_none_or(|ch| ch == ' ')
    {
        return Some(format!("{dir}/{bundle}"));
    }
    let end = rest.find(' ').unwrap_or(rest.len());
    Some(format!("{dir}/{}", &rest[..end]))
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `ps.txt` / `ps_thread.txt`: the header row names the columns; `COMMAND` (or `CMD`) is the rest of the
/// line. Rows whose `PID` is not a number and thread rows without a command are skipped.
pub fn parse_ps(text: &str) -> Vec<Proc> {
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<&str> = header.split_whitespace().collect();
    let Some(cmd_col) = cols.iter().position(|c| *c == "COMMAND" || *c == "CMD") else {
        return Vec::new();
    };
    let idx = |name: &str| cols.iter().position(|c| *c == name);
    let (pid_col, ppid_col, user_col) = (idx("PID"), idx("PPID"), idx("USER"));
    let mut out = Vec::new();
    for line in lines {
        // Thread continuation rows of `ps -M` start blank (no user, no command).
        if line.starts_with([' ', '\t']) && user_col == Some(0) {
            continue;
        }
        let mut rest = line.trim_start();
        let mut fields = Vec::with_capacity(cmd_col);
        for _ in 0..cmd_col {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            fields.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        if fields.len() < cmd_col {
            continue;
        }
        let command = rest.trim_end();
        if command.is_empty() {
            continue;
        }
        let num = |c: Option<usize>| c.and_then(|i| fields.get(i)).and_then(|v| v.parse().ok());
        let pid = num(pid_col);
        if pid_col.is_some() && pid.is_none() {
            continue;
        }
        let path = executable_of(command);
        let name = match &path {
            Some(p) => basename(p).to_string(),
            None => command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches(['(', ')'])
                .to_string(),
        };
        if name.is_empty() {
            continue;
        }
        out.push(Proc {
            pid,
            ppid: num(ppid_col),
            user: user_col.and_then(|i| fields.get(i)).map(|s| s.to_string()),
            name,
            path,
            command: command.to_string(),
        });
    }
    out
}

/// `name [123]` → (`name`, 123).
fn name_and_pid(v: &str) -> (String, Option<u32>) {
    let v = v.trim();
    match v.rfind('[') {
        Some(i) if v.ends_with(']') => (
            v[..i].trim().to_string(),
            v[i + 1..v.len() - 1].parse().ok(),
        ),
        _ => (v.to_string(), None),
    }
}

/// `taskinfo.txt`: one `process: "name" [pid]` line per task.
pub fn parse_taskinfo(text: &str) -> Vec<Proc> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("process:") else {
            continue;
        };
        let rest = rest.trim();
        let (name, pid) = match (rest.find('"'), rest.rfind('"')) {
            (Some(a), Some(b)) if b > a => {
                let (_, pid) = name_and_pid(&rest[b + 1..]);
                (rest[a + 1..b].to_string(), pid)
            }
            _ => name_and_pid(rest),
        };
        if name.is_empty() {
            continue;
        }
        let path = name.starts_with('/').then(|| name.clone());
        out.push(Proc {
            pid,
            name: basename(&name).to_string(),
            path,
            ..Default::default()
        });
    }
    out
}

/// `spindump-nosymbols.txt`: `Process: name [pid]`, then `Path: …` and `Parent: name [pid]` lines.
pub fn parse_spindump(text: &str) -> Vec<Proc> {
    let mut out: Vec<Proc> = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if let Some(v) = l.strip_prefix("Process:") {
            let (name, pid) = name_and_pid(v);
            if !name.is_empty() {
                out.push(Proc {
                    pid,
                    name,
                    ..Default::default()
                });
            }
        } else if let (Some(v), Some(p)) = (l.strip_prefix("Path:"), out.last_mut()) {
            let v = v.trim();
            if p.path.is_none() && v.starts_with('/') {
                p.path = Some(v.to_string());
            }
        } else if let (Some(v), Some(p)) = (l.strip_prefix("Parent:"), out.last_mut()) {
            p.ppid = name_and_pid(v).1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_by_header() {
        let t = "USER             UID PRSNA   PID  PPID        F  %CPU %MEM PRI NI      VSZ    RSS WCHAN    TT  STAT STARTED      TIME COMMAND
root               0     -     1     0     4004   0.0  0.5  37  0 407929344  10128 -        ??  Ss   23Feb22 192:14.05 /sbin/launchd
root               0   199    29     1  4004004   3.1  0.5  37  0 407963424  10208 -        ??  Ss   23Feb22 154:26.18 /usr/libexec/UserEventAgent (System)
root               0   199 49532     1  4004004   0.0  0.1  31  0 407921200   1936 -        ??  Ss   Mon07AM   0:04.91 /usr/libexec/keybagd -t 15
mobile           501  1000 18992     1  4004004   0.0  0.0  31  0 407949600      0 -        ??  Ss   Fri11AM   0:00.18 /var/containers/Bundle/Application/5AEE13F6-22FD-46FF-8D5D-B96176B7DD32/My App.app/My App -AppleLanguages (\"en\")
mobile           501  1000 18993     1  4004004   0.0  0.0  31  0 407949600      0 -        ??  Ss   Fri11AM   0:00.18 /usr/sbin/distnoted daemon /x/y
x                  y     z     w
";
        let p = parse_ps(t);
        assert_eq!(p.len(), 5);
        assert_eq!(p[1].path.as_deref(), Some("/usr/libexec/UserEventAgent"));
        assert_eq!(p[1].pid, Some(29));
        assert_eq!(p[2].name, "keybagd");
        assert!(p[3].path.as_deref().unwrap().ends_with("My App.app/My App"));
        assert_eq!(p[3].name, "My App");
        assert_eq!(p[4].path.as_deref(), Some("/usr/sbin/distnoted"));
        assert_eq!(p[4].user.as_deref(), Some("mobile"));
    }

    #[test]
    fn threads_taskinfo_spindump() {
        let t = "USER   PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND\nroot     1   ??    0.0 S    31T   0:00.39   0:00.62 /sbin/launchd\n         1         0.0 S    31T   0:00.00   0:00.00\n";
        let p = parse_ps(t);
        assert_eq!(p.len(), 1);
        let ti = parse_taskinfo(
            "num tasks: 2\nprocess: \"backboardd\" [64]\n\tthreads: 3\nprocess: \"bh\" [7]\n",
        );
        assert_eq!(ti.len(), 2);
        assert_eq!((ti[1].name.as_str(), ti[1].pid), ("bh", Some(7)));
        let sp = parse_spindump(
            "Date/Time: x\n------\nProcess:          fmld [431]\nPath:             /private/var/db/com.apple.xpc.roleaccountd.staging/fmld\nParent:           launchd [1]\n",
        );
        assert_eq!(sp.len(), 1);
        assert_eq!(sp[0].ppid, Some(1));
        assert!(sp[0].path.as_deref().unwrap().ends_with("/fmld"));
    }

    #[test]
    fn garbage() {
        assert!(parse_ps("").is_empty());
        assert!(parse_ps("no header here\n1 2 3").is_empty());
        assert!(parse_taskinfo("process: \"\" [x]\nprocess:").is_empty());
        assert!(parse_spindump("Path: /x\nParent: y").is_empty());
        assert_eq!(executable_of("kernel_task"), None);
        assert_eq!(executable_of("/").as_deref(), Some("/"));
    }
}
