//! Android modules, by acquisition kind: `qf` (AndroidQF), `bugreport` (dumpstate sections, tombstones),
//! `backup` (Android `.ab` backups), `intrusion` (Advanced Protection intrusion logs).

pub mod backup;
pub mod bugreport;
pub mod intrusion;
pub mod qf;
