//! safari_history: not written yet (placeholder replaced by its implementation).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct SafariHistory;

impl Module for SafariHistory {
    fn name(&self) -> &'static str {
        "safari_history"
    }
    fn description(&self) -> &'static str {
        "not written yet"
    }
    fn run(&self, _ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        out.no_data("module not written yet");
        Ok(())
    }
}
