//! telltale-android: AndroidQF acquisitions, bugreports, `.ab` backups and intrusion logs.

pub mod bugreport_kind;
pub mod dumpsys;
pub mod intrusion_kind;
pub mod modules;
