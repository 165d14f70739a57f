//! The acquisition kinds telltale knows, tried in order.

use telltale_core::AcquisitionKind;

pub fn all() -> Vec<Box<dyn AcquisitionKind>> {
    let mut v: Vec<Box<dyn AcquisitionKind>> = vec![Box::new(telltale_ios::IosBackupKind)];
    v.extend(telltale_android::kinds());
    v
}
