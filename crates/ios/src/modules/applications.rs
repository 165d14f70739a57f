//! applications: the apps listed in the backup's `Info.plist` (`Applications` with each app's
//! `iTunesMetadata`, and `Installed Applications`) — bundle id, name, vendor, version, where it was
//! installed from. Known-bad app ids are indicators; an app whose metadata says it was installed by
//! something other than the App Store or device management is flagged.

use plist::Value;
use sha2::Digest;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use crate::nska::{parse_plist, plist_to_json};
use crate::util::load_plist_dict;

pub struct Applications;

/// Installers that mean "App Store or device management" (`sourceApp` of iTunesMetadata).
pub const KNOWN_APP_INSTALLERS: [&str; 4] = [
    "com.apple.AppStore",
    "com.apple.AppStore.ProductPageExtension",
    "com.apple.dmd",
    "dmd",
];

fn purchase_date(rec: &Record) -> Option<jiff::Timestamp> {
    let s = rec
        .get("com.apple.iTunesStore.downloadInfo")?
        .get("purchaseDate")?
        .as_str()?;
    telltale_core::time::parse(s)
}

impl Module for Applications {
    fn name(&self) -> &'static str {
        "applications"
    }
    fn description(&self) -> &'static str {
        "Installed apps from the backup's Info.plist and their iTunesMetadata: ids, names, install source"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(info) = load_plist_dict(ctx.evidence, out, "Info.plist")? else {
            out.no_data("no Info.plist in the backup");
            return Ok(());
        };
        let apps = info.get("Applications").and_then(Value::as_dictionary);
        let mut ids: Vec<String> = apps
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        let listed: Vec<String> = info
            .get("Installed Applications")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_string)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        for id in &listed {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if ids.is_empty() {
            out.no_data("no applications listed in Info.plist");
            return Ok(());
        }
        for id in ids {
            let mut rec = Record::new();
            rec.insert("name".into(), id.clone().into());
            let app = apps.and_then(|a| a.get(&id)).and_then(Value::as_dictionary);
            let mut has_metadata = false;
            if let Some(Value::Data(md)) = app.and_then(|a| a.get("iTunesMetadata")) {
                match parse_plist(md) {
                    Ok(Value::Dictionary(d)) => {
                        has_metadata = true;
                        for (k, x) in &d {
                            rec.insert(k.clone(), plist_to_json(x));
                        }
                    }
                    _ => out.warn(format!("Info.plist: iTunesMetadata of {id} does not parse")),
                }
            }
            if let Some(Value::Data(icon)) = app.and_then(|a| a.get("PlaceholderIcon")) {
                rec.insert(
                    "icon_sha256".into(),
                    hex::encode(sha2::Sha256::digest(icon)).into(),
                );
            }
            let ts = purchase_date(&rec);
            if let Some(t) = ts {
                rec.insert("isodate".into(), telltale_core::time::format(t).into());
            }
            out.record(&rec);
            let g = |k: &str| {
                rec.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            out.timeline(
                ts,
                "app_installed",
                format!(
                    "App {} version {} from {} installed from {}",
                    g("itemName"),
                    g("bundleShortVersionString"),
                    g("artistName"),
                    g("sourceApp")
                ),
            );
            let mut m = ctx.iocs.match_app_id(&id);
            let bundle = g("softwareVersionBundleId");
            if !bundle.is_empty() && bundle != id {
                m.extend(ctx.iocs.match_app_id(&bundle));
            }
            out.ioc_alerts(&m, &format!("Application {id}"), ts, &rec);
            // Only when the metadata itself names another installer: no metadata is not evidence.
            let source = g("sourceApp");
            if has_metadata
                && !source.is_empty()
                && !KNOWN_APP_INSTALLERS.contains(&source.as_str())
            {
                out.alert(
                    Level::Medium,
                    format!(
                        "Application {id} was installed by \"{source}\", not by the App Store or device \
                         management. Apps installed outside the App Store escape Apple's review; check that it \
                         is expected"
                    ),
                    ts,
                    &rec,
                    None,
                );
            }
        }
        Ok(())
    }
}
