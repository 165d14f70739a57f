//! `root_binaries`: `root_binaries.json`, the paths of root tools (su, magisk, busybox …) AndroidQF found
//! on the device. Each one raises a HIGH alert: the device is likely rooted.

use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, record};

use super::read_text;

pub struct RootBinaries;

const KNOWN: &[(&str, &str)] = &[
    ("su", "SuperUser binary"),
    ("busybox", "BusyBox utilities"),
    ("supersu", "SuperSU root management"),
    ("superuser.apk", "Superuser app"),
    ("kingouser.apk", "KingRoot app"),
    ("supersu.apk", "SuperSU app"),
    ("magisk", "Magisk root framework"),
    ("magiskhide", "Magisk hide utility"),
    ("magiskinit", "Magisk init binary"),
    ("magiskpolicy", "Magisk policy binary"),
];

impl Module for RootBinaries {
    fn name(&self) -> &'static str {
        "root_binaries"
    }
    fn description(&self) -> &'static str {
        "Root tools found on the device (root_binaries.json)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(text) = read_text(ctx.evidence, "root_binaries.json")? else {
            out.no_data("root_binaries.json not in the acquisition");
            return Ok(());
        };
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| ModuleError::parse("root_binaries.json", format!("not JSON: {e}")))?;
        let Value::Array(paths) = v else {
            return Err(ModuleError::parse(
                "root_binaries.json",
                "expected a JSON list of paths",
            ));
        };
        for p in paths
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let binary = p.rsplit('/').next().unwrap_or(p).to_lowercase();
            let description = KNOWN
                .iter()
                .find(|(n, _)| *n == binary)
                .map(|(_, d)| *d)
                .unwrap_or("Unknown root binary");
            let rec =
                record! { "path" => p, "binary_name" => binary, "description" => description };
            out.record(&rec);
            out.alert(
                Level::High,
                format!(
                    "Found root binary \"{binary}\" at path \"{p}\": the device is probably rooted, which disables \
                     Android's main protections"
                ),
                None,
                &rec,
                None,
            );
        }
        Ok(())
    }
}
