//! `aqf_processes`: running processes, from `ps.txt` / `processes.txt` (`ps -A` output, parsed by its
//! header) or `processes.json` (AndroidQF's collector). Process names are checked against app-id and
//! process indicators.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, record};

use super::read_text;

pub struct Processes;

fn field_for(header: &str) -> Option<&'static str> {
    Some(match header {
        "LABEL" => "label",
        "USER" | "UID" => "user",
        "PID" => "pid",
        "PPID" => "ppid",
        "VSZ" | "VSIZE" => "virtual_memory_size",
        "RSS" => "resident_set_size",
        "WCHAN" => "wchan",
        "ADDR" | "PC" => "aprocress",
        "S" | "STAT" => "stat",
        "NAME" | "CMD" | "COMMAND" | "ARGS" | "CMDLINE" => "proc_name",
        _ => return None,
    })
}

/// Parses `ps` output using its header line. Lines that do not fit are counted in the second value.
pub fn parse_ps(text: &str) -> (Vec<Record>, usize) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return (vec![], 0);
    };
    let cols: Vec<&str> = header.split_whitespace().collect();
    let wchan = cols.iter().position(|c| *c == "WCHAN");
    let mut out = Vec::new();
    let mut bad = 0;
    for line in lines {
        let mut toks: Vec<&str> = line.split_whitespace().collect();
        // The label column may be present without a header, and WCHAN may be empty.
        let has_label_col = cols.first() == Some(&"LABEL");
        let mut label = "";
        if !has_label_col && toks.first().is_some_and(|t| t.starts_with("u:r:")) {
            label = toks.remove(0);
        }
        if toks.len() + 1 == cols.len()
            && let Some(w) = wchan
        {
            toks.insert(w, "");
        }
        if toks.len() < cols.len() {
            bad += 1;
            continue;
        }
        // Extra words belong to the last column (a name or command line with spaces).
        let last = toks[cols.len() - 1..].join(" ");
        let mut rec = Record::new();
        let mut ok = true;
        for (i, c) in cols.iter().enumerate() {
            let Some(field) = field_for(c) else { continue };
            let raw = if i == cols.len() - 1 {
                last.as_str()
            } else {
                toks[i]
            };
            let value = match field {
                "pid" | "ppid" | "virtual_memory_size" | "resident_set_size" => {
                    match raw.parse::<i64>() {
                        Ok(n) => Value::from(n),
                        Err(_) if field == "pid" => {
                            ok = false;
                            break;
                        }
                        Err(_) => Value::from(raw),
                    }
                }
                "proc_name" => Value::from(raw.trim_start_matches('[').trim_end_matches(']')),
                _ => Value::from(raw),
            };
            rec.insert(field.into(), value);
        }
        if !ok || !rec.contains_key("proc_name") {
            bad += 1;
            continue;
        }
        if !has_label_col {
            rec.insert("label".into(), label.into());
        }
        out.push(rec);
    }
    (out, bad)
}

/// Parses AndroidQF's `processes.json` (collector output).
pub fn parse_json(text: &str) -> Result<Vec<Record>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(list) = v else {
        return Err("expected a JSON list of processes".into());
    };
    let mut out = Vec::new();
    for item in list {
        let Value::Object(p) = item else { continue };
        let path = p.get("path").and_then(Value::as_str).unwrap_or("");
        let name = p
            .get("filename")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path));
        let mut rec = record! {
            "pid" => p.get("pid").cloned().unwrap_or(Value::Null),
            "ppid" => p.get("ppid").cloned().unwrap_or(Value::Null),
            "user" => p.get("uid").cloned().unwrap_or(Value::Null),
            "proc_name" => name,
            "label" => p.get("context").cloned().unwrap_or(Value::from("")),
        };
        for (k, v) in p {
            rec.entry(k).or_insert(v);
        }
        out.push(rec);
    }
    Ok(out)
}

impl Module for Processes {
    fn name(&self) -> &'static str {
        "aqf_processes"
    }
    fn description(&self) -> &'static str {
        "Running processes (ps.txt, processes.txt or processes.json): indicator process names and app ids"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let ev = ctx.evidence;
        let records = if let Some(p) = ev.first_existing(&["ps.txt", "processes.txt"]) {
            let text = read_text(ev, &p)?.unwrap_or_default();
            let (records, bad) = parse_ps(&text);
            if records.is_empty() && bad > 0 {
                return Err(ModuleError::parse(p, "no line matches the ps header"));
            }
            if bad > 0 {
                out.warn(format!("{p}: {bad} lines could not be parsed"));
            }
            records
        } else if let Some(text) = read_text(ev, "processes.json")? {
            parse_json(&text).map_err(|e| ModuleError::parse("processes.json", e))?
        } else {
            out.no_data("no ps.txt, processes.txt or processes.json in the acquisition");
            return Ok(());
        };
        for rec in records {
            out.record(&rec);
            let name = rec
                .get("proc_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // gatekeeperd is skipped, as in MVT, because of false positives.
            if name.is_empty() || name == "gatekeeperd" {
                continue;
            }
            let m = ctx.iocs.match_app_id(&name);
            if !m.is_empty() {
                out.ioc_alerts(&m, &format!("Running process {name}"), None, &rec);
                continue;
            }
            let m = ctx.iocs.match_process(&name);
            out.ioc_alerts(&m, &format!("Running process {name}"), None, &rec);
        }
        Ok(())
    }
}
