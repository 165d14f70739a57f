//! telltale-android: AndroidQF acquisitions, bugreports, `.ab` backups and intrusion logs.

pub mod ab;
pub mod modules;
