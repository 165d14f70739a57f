//! Modules of the qf group (one file per artifact).

use telltale_core::Module;

/// Every module of this group.
pub fn all() -> Vec<Box<dyn Module>> {
    vec![]
}
