//! Modules of the backup group (one file per artifact), reading an Android backup's tar entries
//! (`apps/<package>/…`) through [`crate::ab::AbEvidence`].

use telltale_core::Module;

pub mod sms;

/// Every module of this group.
pub fn all() -> Vec<Box<dyn Module>> {
    vec![Box::new(sms::Sms)]
}
