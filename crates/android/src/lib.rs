//! telltale-android: AndroidQF acquisitions, bugreports, `.ab` backups and intrusion logs.

pub mod dumpsys;
pub mod modules;
