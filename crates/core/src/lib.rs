//! telltale-core: the shared model of telltale.
//!
//! * [`Record`], [`TimelineEvent`], [`Alert`] and [`Level`]: what modules produce;
//! * [`Module`]: one module per artifact, run by the [`engine`];
//! * [`Evidence`]: read-only access to an acquisition's files by logical path, whatever the container;
//! * [`sqlite`]: forensic (never-writing) access to SQLite databases found in evidence;
//! * [`time`]: the timestamp conversions used by modules (Mac absolute time, WebKit, Unix …);
//! * [`Acquisition`]/[`AcquisitionKind`]: how a platform crate recognises an input and lists its modules.

pub mod acquisition;
pub mod alert;
pub mod archive;
pub mod engine;
pub mod evidence;
pub mod indexed;
pub mod module;
pub mod record;
pub mod sqlite;
pub mod tar;
pub mod time;
pub mod tree;

pub use acquisition::{
    Acquisition, AcquisitionError, AcquisitionKind, DeviceFact, OpenOptions, SecretProvider,
};
pub use alert::{Alert, Level, MatchedIndicator};
pub use engine::{MemoryOutput, ModuleOutcome, ModuleStatus, Output, RunSummary, run_modules};
pub use evidence::{
    Entry, EntryKind, Evidence, EvidenceError, FolderEvidence, LocalFile, TimeSource, WalkEntry,
};
pub use indexed::IndexedFolder;
pub use module::{Emitter, Module, ModuleContext, ModuleError, RunOptions};
pub use record::{Record, TimelineEvent};
pub use telltale_ioc as ioc;
