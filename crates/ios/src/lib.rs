//! telltale-ios: iTunes/Finder backups and their modules.

pub mod modules;
pub mod util;
