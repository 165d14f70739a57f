//! The acquisition kinds telltale knows, tried in order.

use telltale_core::AcquisitionKind;

pub fn all() -> Vec<Box<dyn AcquisitionKind>> {
    let mut v: Vec<Box<dyn AcquisitionKind>> = vec![
        Box::new(telltale_ios::IosBackupKind),
        Box::new(telltale_ios::IosSysdiagnoseKind),
        Box::new(telltale_ios::IosFsKind),
    ];
    v.extend(telltale_android::kinds());
    v
}
