//! netusage: networkd's per-process network usage on a filesystem dump,
//! `private/var/networkd/netusage.sqlite` (older iOS) and `private/var/networkd/db/netusage.sqlite`.
//! The same Core Data model as DataUsage.sqlite, so the same records and checks (process indicators,
//! deleted process rows, `Z_PRIMARYKEY.Z_MAX`, binaries not found): see [`crate::usage_db`].

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

use crate::util::{each_file, open_db};

pub const PATHS: [&str; 2] = [
    "private/var/networkd/netusage.sqlite",
    "private/var/networkd/db/netusage.sqlite",
];

pub struct Netusage;

impl Module for Netusage {
    fn name(&self) -> &'static str {
        "netusage"
    }
    fn description(&self) -> &'static str {
        "Per-process network usage (networkd's netusage.sqlite): process names against indicators, deleted process rows"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let paths: Vec<String> = PATHS
            .iter()
            .filter(|p| ctx.evidence.exists(p))
            .map(|p| p.to_string())
            .collect();
        if paths.is_empty() {
            out.no_data("netusage.sqlite is not in the acquisition");
            return Ok(());
        }
        each_file(&paths, out, |p, out| {
            let db = open_db(ctx.evidence, p, out)?;
            crate::usage_db::check(ctx, out, p, db)
        })
    }
}
