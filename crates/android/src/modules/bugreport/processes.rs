//! `processes`: running processes from the ps section (`------ PROCESSES AND THREADS (ps …) ------`, or
//! another `ps` command section). Columns are read from the header line (with or without `LABEL`,
//! `TID`, `WCHAN`). Records: `user`, `pid`, `ppid`, `virtual_memory_size`, `resident_set_size`,
//! `wchan`, `stat`, `proc_name`, `label`. Checks: `match_app_id` and `match_process` on the process
//! name (CRITICAL; `gatekeeperd` skipped as MVT does, for false positives).

use std::collections::HashSet;

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record};

use super::{Shared, dumpstate_or_no_data};
use crate::dumpsys::Dumpstate;

pub struct Processes(pub Shared);

/// The ps section's text.
pub fn ps_section(d: &Dumpstate) -> Option<String> {
    d.command(|s| s.name.starts_with("PROCESSES AND THREADS"))
        .or_else(|| {
            d.command(|s| {
                s.name == "PROCESSES"
                    || s.command
                        .as_deref()
                        .is_some_and(|c| c.trim() == "ps" || c.starts_with("ps "))
            })
        })
        .map(|t| t.into_owned())
}

pub fn parse(text: &str) -> Vec<Record> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return vec![];
    };
    let cols: Vec<&str> = header.split_whitespace().collect();
    let idx = |n: &str| cols.iter().position(|c| *c == n);
    let name_col = idx("CMD")
        .or_else(|| idx("NAME"))
        .or_else(|| idx("COMMAND"));
    let (Some(pid_i), Some(name_i)) = (idx("PID"), name_col) else {
        return vec![];
    };
    let wchan_i = idx("WCHAN");
    let mut out = Vec::new();
    for line in lines {
        let mut toks: Vec<&str> = line.split_whitespace().collect();
        // An empty WCHAN column shifts the rest left by one.
        if toks.len() + 1 == cols.len()
            && let Some(w) = wchan_i
            && w <= toks.len()
        {
            toks.insert(w, "");
        }
        if toks.len() < cols.len() {
            continue;
        }
        let get = |n: &str| idx(n).and_then(|i| toks.get(i)).copied().unwrap_or("");
        let num = |n: &str| get(n).parse::<i64>().ok();
        let Ok(pid) = toks[pid_i].parse::<i64>() else {
            continue;
        };
        let name = toks[name_i..].join(" ");
        let name = name.trim_matches(|c| c == '[' || c == ']').to_string();
        out.push(record! {
            "user" => get("USER"), "pid" => pid, "ppid" => num("PPID"), "tid" => num("TID"),
            "virtual_memory_size" => num("VSZ"), "resident_set_size" => num("RSS"),
            "wchan" => get("WCHAN"), "stat" => get("S"), "proc_name" => name, "label" => get("LABEL"),
        });
    }
    out
}

impl Module for Processes {
    fn name(&self) -> &'static str {
        "processes"
    }
    fn description(&self) -> &'static str {
        "Running processes (ps section of the dumpstate): indicator process names and app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(d) = dumpstate_or_no_data(&self.0, ctx, out)? else {
            return Ok(());
        };
        let Some(text) = ps_section(&d) else {
            out.no_data(format!("no ps section in {}", d.path));
            return Ok(());
        };
        let mut seen: HashSet<(i64, String)> = HashSet::new();
        for rec in parse(&text) {
            out.record(&rec);
            let name = rec
                .get("proc_name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            let pid = rec.get("pid").and_then(|v| v.as_i64()).unwrap_or(-1);
            // With threads listed (ps -T), alert once per process.
            if name.is_empty() || name == "gatekeeperd" || !seen.insert((pid, name.clone())) {
                continue;
            }
            let mut m = ctx.iocs.match_app_id(&name);
            if m.is_empty() {
                m = ctx.iocs.match_process(&name);
            }
            out.ioc_alerts(&m, "Running process", None, &rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::bugreport::{DumpstateCache, testutil::*};
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::bugreport::Bugreport;

    const PS_T: &str = "LABEL                          USER           PID   TID  PPID     VSZ    RSS WCHAN            ADDR S CMD\nu:r:init:s0                    root             1     1     0   68696   2864 0                   0 S init\nu:r:untrusted_app:s0           u0_a1         4321  4321   700 1000 2000 do_epoll_wait       0 S com.evil.spy\nu:r:untrusted_app:s0           u0_a1         4321  4330   700 1000 2000 do_epoll_wait       0 S com.evil.spy\nu:r:su:s0                      root          555   555     1 1000 2000                     0 S bh\n";
    const PS_OLD: &str = "USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\nroot             2     0       0      0 0                   0 S [kthreadd]\nroot           abc\n";

    #[test]
    fn parses_both_headers() {
        let p = parse(PS_T);
        assert_eq!(p.len(), 4);
        assert_eq!(p[3]["proc_name"], "bh");
        assert_eq!(p[3]["wchan"], "");
        assert_eq!(p[1]["label"], "u:r:untrusted_app:s0");
        let o = parse(PS_OLD);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0]["proc_name"], "kthreadd");
    }

    #[test]
    fn positive_negative_malformed() {
        let br = Bugreport::new().command("PROCESSES AND THREADS", "ps -A -T -Z", PS_T);
        let r = run_bugreport(
            &Processes(DumpstateCache::new()),
            &br,
            &iocs(&[
                (IndicatorKind::AppId, "com.evil.spy"),
                (IndicatorKind::ProcessName, "bh"),
            ]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.severe(), 2);
        let r = run_bugreport(
            &Processes(DumpstateCache::new()),
            &br,
            &iocs(&[(IndicatorKind::ProcessName, "bhx")]),
        );
        assert_eq!(r.severe(), 0);
        let br = Bugreport::new().command("PROCESSES AND THREADS", "ps", "\u{0}\u{1}\n1 2 3\n");
        let r = run_bugreport(&Processes(DumpstateCache::new()), &br, &iocs(&[]));
        assert!(r.records.is_empty());
    }
}
