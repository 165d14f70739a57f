//! The WebKit website-data folders of a filesystem dump, shared by `webkit_indexeddb`,
//! `webkit_local_storage` and `webkit_safari_view_service`: each origin a WebView stored data for has an
//! entry named `<scheme>_<host>_<port>` (a folder for IndexedDB, `….localstorage` for local storage) in
//! the app's `WebsiteData/<kind>/` folder. The versioned IndexedDB layout (`IndexedDB/v1/<origin>`) is
//! read too (MVT skips it). The current network-process layout (`WebsiteData/Default/<salted hash>/…`,
//! with the origin in a binary `origin` file) is read by `webkit_website_data`.
//!
//! One record per origin entry (MVT's `folder`, `url`, `isodate`, plus `name`); `isodate` is the entry's
//! own modification time (MVT stamps every entry with its folder's). The origin is checked against
//! domain indicators (CRITICAL, as MVT).

use telltale_core::{Emitter, EntryKind, ModuleContext, ModuleError, record};

/// The app data containers.
pub const APPS: &str = "private/var/mobile/Containers/Data/Application";

/// `https_evil.com_0` → `https://evil.com`; `None` for names that are not origins.
pub fn origin_url(name: &str) -> Option<String> {
    let name = name.strip_suffix(".localstorage").unwrap_or(name);
    let (scheme, rest) = if let Some(r) = name.strip_prefix("https_") {
        ("https", r)
    } else if let Some(r) = name.strip_prefix("http_") {
        ("http", r)
    } else {
        return None;
    };
    let host = rest.split('_').next().unwrap_or("");
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// Reads the origin entries of the folder `rel` (e.g. `Library/WebKit/WebsiteData/IndexedDB`) of every
/// app data container.
pub fn run(
    ctx: &ModuleContext<'_>,
    out: &mut Emitter<'_>,
    rel: &str,
    event: &str,
    what: &str,
) -> Result<(), ModuleError> {
    let mut apps = Vec::new();
    ctx.evidence.walk(APPS, &mut |e| {
        if e.kind == EntryKind::Dir {
            apps.push(e.path.to_string());
        }
        false
    })?;
    let mut folders = 0;
    for app in apps {
        let folder = format!("{app}/{rel}");
        let mut found: Vec<(String, String, Option<jiff::Timestamp>)> = Vec::new();
        let mut any = false;
        ctx.evidence.walk(&folder, &mut |e| {
            any = true;
            let rest = &e.path[folder.len() + 1..];
            // Direct children, and the children of a versioned `v1/` folder.
            let name = match rest.split_once('/') {
                None => rest,
                Some(("v1", n)) if !n.contains('/') => n,
                Some(_) => return false,
            };
            if let Some(url) = origin_url(name) {
                found.push((e.path.to_string(), url, e.modified));
            }
            rest == "v1"
        })?;
        if any {
            folders += 1;
        }
        for (path, url, ts) in found {
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let rec = record! {
                "folder" => folder,
                "url" => url,
                "name" => name,
                "isodate" => telltale_core::time::format_opt(ts),
            };
            out.record(&rec);
            out.timeline(
                ts,
                event,
                format!("{what} folder {folder} containing file for URL {url}"),
            );
            let matches = ctx.iocs.match_url(&url);
            out.ioc_alerts(
                &matches,
                &format!("{what} data of {url} in {folder}"),
                ts,
                &rec,
            );
        }
    }
    if folders == 0 {
        out.no_data(format!("no {what} folder (…/{rel}) in the acquisition"));
    }
    Ok(())
}
