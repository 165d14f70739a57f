//! telltale-testkit: writes synthetic acquisitions from code, so each test states exactly what it plants.
//! Dev-only: never a dependency of the shipped binary.

pub mod android_backup;
pub mod androidqf;
pub mod big_dump;
pub mod bugreport;
pub mod history;
pub mod ios_backup;
pub mod ios_crypto;
pub mod ios_dbs;
pub mod ios_fs;
pub mod ios_fs_dbs;
pub mod ios_web;
pub mod net;
pub mod net_bench;
pub mod net_logs;
pub mod net_proto;
pub mod rng;
pub mod samples;
pub mod sqlite_vtab;
pub mod sysdiagnose;
pub mod tar_raw;
