//! telltale-ios: iTunes/Finder backups and their modules.

pub mod crypto;
pub mod modules;
