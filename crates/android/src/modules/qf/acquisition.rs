//! `aqf_acquisition`: the acquisition's own context (`acquisition.json`: AndroidQF version, uuid, start
//! and end times; the ADB host key `adb_host_key.pub` when present). Facts only, no alerts.

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record, time};

use super::read_text;

pub struct AcquisitionInfo;

/// Parses an RFC 3339 time as AndroidQF writes it.
fn parse_time(v: Option<&Value>) -> Option<jiff::Timestamp> {
    v?.as_str()?.parse().ok()
}

impl Module for AcquisitionInfo {
    fn name(&self) -> &'static str {
        "aqf_acquisition"
    }
    fn description(&self) -> &'static str {
        "Acquisition context (acquisition.json, adb_host_key.pub)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let meta = read_text(ctx.evidence, "acquisition.json")?;
        let key = read_text(ctx.evidence, "adb_host_key.pub")?;
        if meta.is_none() && key.is_none() {
            out.no_data("acquisition.json not in the acquisition");
            return Ok(());
        }
        let mut rec = Record::new();
        if let Some(text) = meta {
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| ModuleError::parse("acquisition.json", format!("not JSON: {e}")))?;
            let Value::Object(m) = v else {
                return Err(ModuleError::parse(
                    "acquisition.json",
                    "expected a JSON object",
                ));
            };
            for k in [
                "uuid",
                "androidqf_version",
                "started",
                "completed",
                "storage_path",
                "cpu",
                "sdcard",
                "tmp_dir",
            ] {
                if let Some(v) = m.get(k) {
                    rec.insert(k.into(), v.clone());
                }
            }
            if let Some(k) = m.get("adb_host_public_key") {
                rec.insert("adb_host_public_key".into(), k.clone());
            }
            let started = parse_time(m.get("started"));
            let completed = parse_time(m.get("completed"));
            out.timeline(
                started,
                "acquisition_started",
                "AndroidQF acquisition started",
            );
            out.timeline(
                completed,
                "acquisition_completed",
                "AndroidQF acquisition completed",
            );
            if let Some(s) = started {
                rec.insert("started_utc".into(), time::format(s).into());
            }
        }
        if let Some(k) = key
            && !rec.contains_key("adb_host_public_key")
        {
            rec.insert("adb_host_public_key".into(), k.trim().into());
        }
        out.record(&rec);
        Ok(())
    }
}
