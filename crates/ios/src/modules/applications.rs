//! applications: not written yet (placeholder replaced by its implementation).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct Applications;

impl Module for Applications {
    fn name(&self) -> &'static str {
        "applications"
    }
    fn description(&self) -> &'static str {
        "not written yet"
    }
    fn run(&self, _ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        out.no_data("module not written yet");
        Ok(())
    }
}
