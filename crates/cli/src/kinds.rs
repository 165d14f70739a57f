//! The acquisition kinds telltale knows, tried in order.

use telltale_core::AcquisitionKind;

pub fn all() -> Vec<Box<dyn AcquisitionKind>> {
    vec![]
}
