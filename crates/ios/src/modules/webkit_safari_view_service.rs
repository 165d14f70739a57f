//! webkit_safari_view_service: Website data of in-app Safari views (SafariViewService): origins checked against indicators. Every app data container's `…/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/` is listed; see
//! [`crate::webkit_folders`] for the records and checks.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError};

pub struct WebkitSafariViewService;

/// The folder, relative to an app data container.
pub const FOLDER: &str = "SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData";

impl Module for WebkitSafariViewService {
    fn name(&self) -> &'static str {
        "webkit_safari_view_service"
    }
    fn description(&self) -> &'static str {
        "Website data of in-app Safari views (SafariViewService): origins checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        crate::webkit_folders::run(
            ctx,
            out,
            FOLDER,
            "webkit_safari_view_service",
            "SafariViewService",
        )
    }
}
