//! whatsapp_contacts: not written yet (placeholder replaced by its implementation).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct WhatsappContacts;

impl Module for WhatsappContacts {
    fn name(&self) -> &'static str {
        "whatsapp_contacts"
    }
    fn description(&self) -> &'static str {
        "not written yet"
    }
    fn run(&self, _ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        out.no_data("module not written yet");
        Ok(())
    }
}
