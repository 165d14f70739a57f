//! manifest: not written yet (placeholder replaced by its implementation).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct Manifest;

impl Module for Manifest {
    fn name(&self) -> &'static str {
        "manifest"
    }
    fn description(&self) -> &'static str {
        "not written yet"
    }
    fn run(&self, _ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        out.no_data("module not written yet");
        Ok(())
    }
}
