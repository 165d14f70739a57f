//! webkit_indexeddb: WebKit IndexedDB databases of apps (origin folders): origins checked against indicators. Every app data container's `…/Library/WebKit/WebsiteData/IndexedDB/` is listed; see
//! [`crate::webkit_folders`] for the records and checks.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct WebkitIndexedDb;

/// The folder, relative to an app data container.
pub const FOLDER: &str = "Library/WebKit/WebsiteData/IndexedDB";

impl Module for WebkitIndexedDb {
    fn name(&self) -> &'static str {
        "webkit_indexeddb"
    }
    fn description(&self) -> &'static str {
        "WebKit IndexedDB databases of apps (origin folders): origins checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        crate::webkit_folders::run(ctx, out, FOLDER, "webkit_indexeddb", "IndexedDB")
    }
}
