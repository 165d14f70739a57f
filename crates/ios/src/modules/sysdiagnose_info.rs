//! sysdiagnose_info (MVT's slug): the device facts of a sysdiagnose as one record — model, iOS version
//! and build, serial number and UDID (`remotectl_dumpstate.txt`, `SystemVersion.plist`), the archive's
//! name with its creation time and UTC offset — and, as for backups, an alert when iOS is outdated.

use std::sync::Arc;

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, Record};

use crate::modules::backup_info::outdated;
use crate::sysdiagnose::info::DeviceInfo;

/// The module, over the facts the acquisition read when it was opened.
#[derive(Clone, Default)]
pub struct SysdiagnoseInfo {
    info: Arc<DeviceInfo>,
}

impl SysdiagnoseInfo {
    pub fn new(info: Arc<DeviceInfo>) -> Self {
        SysdiagnoseInfo { info }
    }
}

impl Module for SysdiagnoseInfo {
    fn name(&self) -> &'static str {
        "sysdiagnose_info"
    }
    fn description(&self) -> &'static str {
        "Device facts of a sysdiagnose (remotectl_dumpstate.txt, SystemVersion.plist, archive name); warns when iOS is outdated"
    }
    fn run(&self, _ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let i = &self.info;
        for w in &i.warnings {
            out.warn(w.clone());
        }
        let mut rec = Record::new();
        rec.insert("archive_name".into(), i.name.clone().into());
        let s = |v: Option<&str>| {
            v.map(|x| serde_json::Value::from(x.to_string()))
                .unwrap_or_default()
        };
        rec.insert("product_type".into(), s(i.model()));
        rec.insert("ios_version".into(), s(i.version()));
        rec.insert("build".into(), s(i.build()));
        if let Some(n) = &i.from_name {
            rec.insert(
                "creation_time".into(),
                telltale_core::time::format(n.created).into(),
            );
            rec.insert("timezone".into(), n.offset_text().into());
        }
        rec.insert(
            "remotectl_dumpstate".into(),
            serde_json::to_value(&i.remotectl).unwrap_or_default(),
        );
        rec.insert(
            "system_version".into(),
            serde_json::to_value(&i.system_version).unwrap_or_default(),
        );
        if i.remotectl.is_empty() && i.system_version.is_empty() && i.from_name.is_none() {
            out.no_data("no device facts (remotectl_dumpstate.txt, SystemVersion.plist, dated archive name)");
            return Ok(());
        }
        out.record(&rec);
        let created = i.from_name.as_ref().map(|n| n.created);
        out.timeline(
            created,
            "sysdiagnose",
            format!("Sysdiagnose {} taken", i.name),
        );
        match i.version() {
            Some(v) => {
                if let Some((level, msg)) = outdated(v) {
                    out.alert(level, msg, created, &rec, None);
                }
            }
            None => out.warn(format!(
                "the iOS version is not known (build {}): whether it is outdated is not checked",
                i.build().unwrap_or("unknown")
            )),
        }
        Ok(())
    }
}
