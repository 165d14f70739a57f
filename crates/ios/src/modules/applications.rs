//! applications: the apps listed in the backup's `Info.plist` (`Applications` with each app's
//! `iTunesMetadata`, and `Installed Applications`) — bundle id, name, vendor, version, where it was
//! installed from; on a filesystem dump, each app bundle's `iTunesMetadata.plist` under
//! `private/var/containers/Bundle/Application/`. Known-bad app ids are indicators; an app whose
//! metadata says it was installed by something other than the App Store or device management is
//! flagged.

use plist::Value;
use sha2::Digest;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record};

use crate::nska::{parse_plist, plist_to_json};
use crate::util::load_plist_dict;

pub struct Applications;

/// Where a filesystem dump keeps the installed app bundles (one container each).
pub const BUNDLES: &str = "private/var/containers/Bundle/Application";

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
            // A filesystem dump has no Info.plist: its app bundles are read instead.
            if !dump_apps(ctx, out)? {
                out.no_data("no Info.plist in the backup, no app bundle in the dump");
            }
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
            emit_app(ctx, out, &id, rec, has_metadata);
        }
        Ok(())
    }
}

/// Records one app and runs the checks (app-id indicators, installer).
fn emit_app(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    id: &str,
    mut rec: Record,
    has_metadata: bool,
) {
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
    let mut m = ctx.iocs.match_app_id(id);
    let bundle = g("softwareVersionBundleId");
    if !bundle.is_empty() && bundle != id {
        m.extend(ctx.iocs.match_app_id(&bundle));
    }
    out.ioc_alerts(&m, &format!("Application {id}"), ts, &rec);
    // Only when the metadata itself names another installer: no metadata is not evidence.
    let source = g("sourceApp");
    if has_metadata && !source.is_empty() && !KNOWN_APP_INSTALLERS.contains(&source.as_str()) {
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

/// The apps of a filesystem dump: each app bundle container with its iTunesMetadata.plist (when the App
/// Store wrote one); the app's id is the metadata's bundle id, else the container's identifier.
fn dump_apps(ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<bool, ModuleError> {
    let mut bundles = Vec::new();
    ctx.evidence.walk(BUNDLES, &mut |e| {
        if e.kind == telltale_core::EntryKind::Dir {
            bundles.push(e.path.to_string());
        }
        false
    })?;
    if bundles.is_empty() {
        return Ok(false);
    }
    for dir in bundles {
        let metadata = load_plist_dict(ctx.evidence, out, &format!("{dir}/iTunesMetadata.plist"))
            .unwrap_or_else(|e| {
                out.warn(e.to_string());
                None
            });
        let container = load_plist_dict(
            ctx.evidence,
            out,
            &format!("{dir}/.com.apple.mobile_container_manager.metadata.plist"),
        )
        .ok()
        .flatten();
        let from_container = container
            .as_ref()
            .and_then(|d| d.get("MCMMetadataIdentifier"))
            .and_then(Value::as_string)
            .map(str::to_string);
        let from_metadata = metadata
            .as_ref()
            .and_then(|d| d.get("softwareVersionBundleId"))
            .and_then(Value::as_string)
            .map(str::to_string);
        let Some(id) = from_metadata.or(from_container) else {
            continue;
        };
        let mut rec = Record::new();
        rec.insert("name".into(), id.clone().into());
        if let Some(d) = &metadata {
            for (k, x) in d {
                rec.insert(k.clone(), plist_to_json(x));
            }
        }
        rec.insert("bundle_path".into(), format!("/{dir}").into());
        emit_app(ctx, out, &id, rec, metadata.is_some());
    }
    Ok(true)
}
