//! The acquisition kinds telltale knows, tried in order.

use telltale_core::AcquisitionKind;

pub fn all() -> Vec<Box<dyn AcquisitionKind>> {
    with_allow_lists(&[])
}

/// Every kind; network captures also take the user's allow-list files. Network captures come last:
/// a folder another kind recognises is never read as a folder of captures.
pub fn with_allow_lists(allow: &[std::path::PathBuf]) -> Vec<Box<dyn AcquisitionKind>> {
    let mut v: Vec<Box<dyn AcquisitionKind>> = vec![
        Box::new(telltale_ios::IosBackupKind),
        Box::new(telltale_ios::IosSysdiagnoseKind),
        Box::new(telltale_ios::IosFsKind),
    ];
    v.extend(telltale_android::kinds());
    v.push(Box::new(telltale_network::NetworkCaptureKind {
        allow_lists: allow.to_vec(),
    }));
    v
}

/// Whether `--kind NAME` names `kind` (its name, or an alias: `pcap`, `pcapng`, `zeek`, `eve` and
/// `network` for network captures).
pub fn named(kind: &dyn AcquisitionKind, name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    kind.name() == n
        || (kind.name() == "network-capture"
            && matches!(
                n.as_str(),
                "pcap" | "pcapng" | "zeek" | "eve" | "suricata" | "network"
            ))
}
