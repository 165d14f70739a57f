//! webkit_local_storage: WebKit local storage of apps (origin files): origins checked against indicators. Every app data container's `…/Library/WebKit/WebsiteData/LocalStorage/` is listed; see
//! [`crate::webkit_folders`] for the records and checks.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct WebkitLocalStorage;

/// The folder, relative to an app data container.
pub const FOLDER: &str = "Library/WebKit/WebsiteData/LocalStorage";

impl Module for WebkitLocalStorage {
    fn name(&self) -> &'static str {
        "webkit_local_storage"
    }
    fn description(&self) -> &'static str {
        "WebKit local storage of apps (origin files): origins checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        crate::webkit_folders::run(ctx, out, FOLDER, "webkit_local_storage", "LocalStorage")
    }
}
