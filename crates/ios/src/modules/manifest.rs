//! manifest: every row of the backup's `Manifest.db` (`Files` table) with its MBFile metadata — times
//! (created/modified/status changed), mode, owner, size — as records and a MACB timeline. File names and
//! paths are checked against file indicators, and parts of paths that look like domain names (WebKit data
//! folders such as `https_example.com_0`) against domain indicators. Files listed but absent are counted.

use rayon::prelude::*;
use serde_json::Value;
use telltale_core::{Emitter, Level, Module, ModuleContext, ModuleError, Record, sqlite, time};

use crate::nska::MbFile;

pub struct Manifest;

const DB: &str = "Manifest.db";
const CHUNK: usize = 8192;
/// The keys of a record; rows whose MBFile metadata is missing or undecodable have the first five.
const KEYS: [&str; 10] = [
    "file_id",
    "domain",
    "relative_path",
    "flags",
    "created",
    "modified",
    "status_changed",
    "mode",
    "owner",
    "size",
];

struct Row {
    file_id: String,
    domain: String,
    rel: String,
    flags: i64,
    blob: Option<Vec<u8>>,
}

fn ts(secs: Option<i64>) -> Option<jiff::Timestamp> {
    telltale_core::time::from_unix(secs? as f64)
}

impl Module for Manifest {
    fn name(&self) -> &'static str {
        "manifest"
    }
    fn description(&self) -> &'static str {
        "Every file of the backup (Manifest.db) with its times; file and domain indicators in paths"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        if !ctx.evidence.exists(DB) {
            out.no_data("no Manifest.db in the backup");
            return Ok(());
        }
        // Read without the up-front integrity check (as the backup reader does): a check of a large
        // Manifest.db costs as much as reading it. Damage met while reading switches to the checked,
        // recovering opener and the rows after the last one read are read from the recovered copy.
        let mut db = sqlite::open(ctx.evidence, DB)?;
        let mut recovered = false;
        if !db.has_table("Files") {
            let (d, w) = sqlite::open_for_module(ctx.evidence, DB)?;
            for w in w {
                out.warn(w);
            }
            db = d;
            recovered = true;
            if !db.has_table("Files") {
                return Err(ModuleError::parse(DB, "no Files table"));
            }
        }
        let (mut absent, mut undecodable) = (0u64, 0u64);
        let mut full = Record::new();
        for k in KEYS {
            full.insert(k.into(), Value::Null);
        }
        let mut base = Record::new();
        for k in KEYS.iter().take(5) {
            base.insert((*k).into(), Value::Null);
        }
        let mut absent_examples = Vec::new();
        let mut logical = String::new();
        let mut desc = String::new();
        let mut last_rowid = i64::MIN;
        'phases: loop {
            let file_col = if db.has_column("Files", "file") {
                "file"
            } else {
                "NULL"
            };
            let sql = format!(
                "SELECT fileID, domain, relativePath, flags, {file_col}, rowid FROM Files \
                 WHERE rowid > ?1 ORDER BY rowid"
            );
            let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
            let mut rows = st.query([last_rowid]).map_err(|e| db.err(e))?;
            let mut done = false;
            while !done {
                let mut chunk = Vec::with_capacity(CHUNK);
                let mut damaged = false;
                while chunk.len() < CHUNK {
                    match rows.next() {
                        Ok(Some(r)) => {
                            let s = |i| {
                                r.get::<_, Option<String>>(i)
                                    .ok()
                                    .flatten()
                                    .unwrap_or_default()
                            };
                            chunk.push(Row {
                                file_id: s(0),
                                domain: s(1),
                                rel: s(2),
                                flags: r.get::<_, Option<i64>>(3).ok().flatten().unwrap_or(0),
                                blob: r.get::<_, Option<Vec<u8>>>(4).ok().flatten(),
                            });
                            last_rowid = r.get::<_, i64>(5).unwrap_or(last_rowid);
                        }
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Err(e) if !recovered && sqlite::is_corrupt(&e) => {
                            damaged = true;
                            done = true;
                            break;
                        }
                        Err(e) => {
                            out.warn(format!("{DB}: reading stopped early: {e}"));
                            done = true;
                            break;
                        }
                    }
                }
                let decoded: Vec<Option<Result<MbFile, ()>>> = chunk
                    .par_iter()
                    .map(|r| {
                        r.blob
                            .as_ref()
                            .map(|b| MbFile::from_archive(b).map_err(|_| ()))
                    })
                    .collect();
                for (row, mb) in chunk.iter().zip(decoded) {
                    let mut times = None;
                    let mut mbfile = None;
                    match mb {
                        Some(Ok(m)) => mbfile = Some(m),
                        Some(Err(())) => undecodable += 1,
                        None => {}
                    }
                    // Same keys for every row: only the values of one of the two templates are replaced.
                    let rec = if mbfile.is_some() {
                        &mut full
                    } else {
                        &mut base
                    };
                    let mut values = rec.values_mut();
                    let mut set = |v: Value| {
                        if let Some(slot) = values.next() {
                            *slot = v;
                        }
                    };
                    set(row.file_id.as_str().into());
                    set(row.domain.as_str().into());
                    set(row.rel.as_str().into());
                    set(row.flags.into());
                    match mbfile {
                        Some(m) => {
                            let (b, mo, c) =
                                (ts(m.birth), ts(m.last_modified), ts(m.last_status_change));
                            set(time::format_opt(b).into());
                            set(time::format_opt(mo).into());
                            set(time::format_opt(c).into());
                            set(m.mode.map(|x| format!("0o{x:o}")).into());
                            set(m.user_id.into());
                            set(m.size.into());
                            times = Some((b, mo, c));
                        }
                        None => set("".into()),
                    }
                    let rec = &*rec;
                    if row.flags == 1 && !row.domain.is_empty() && !row.rel.is_empty() {
                        logical.clear();
                        logical.push_str(&row.domain);
                        logical.push('/');
                        logical.push_str(&row.rel);
                        if !ctx.evidence.exists(&logical) {
                            absent += 1;
                            if absent_examples.len() < 5 {
                                absent_examples.push(logical.clone());
                            }
                        }
                    }
                    out.record(rec);
                    if let Some((b, mo, c)) = times {
                        desc.clear();
                        desc.push_str(&row.rel);
                        desc.push_str(" - ");
                        desc.push_str(&row.domain);
                        // The distinct times, each with its MACB letters, in time order.
                        let mut distinct: [Option<jiff::Timestamp>; 3] = [b, mo, c];
                        distinct.sort();
                        for (i, t) in distinct.iter().enumerate() {
                            let Some(t) = *t else { continue };
                            if i > 0 && distinct[i - 1] == Some(t) {
                                continue;
                            }
                            let macb = [
                                if mo == Some(t) { b'M' } else { b'-' },
                                b'-',
                                if c == Some(t) { b'C' } else { b'-' },
                                if b == Some(t) { b'B' } else { b'-' },
                            ];
                            let macb = std::str::from_utf8(&macb).unwrap_or("----");
                            out.timeline(Some(t), macb, &desc);
                        }
                    }
                    if row.rel.is_empty() {
                        continue;
                    }
                    let when = times.and_then(|(_, mo, _)| mo);
                    let path = format!("/{}", row.rel);
                    let mut m = ctx.iocs.match_file_path(&path);
                    if row.flags == 1 {
                        m.extend(ctx.iocs.match_file_name(&row.rel));
                    }
                    if !m.is_empty() {
                        // MVT rates manifest matches HIGH.
                        out.ioc_alerts_at(
                            Level::High,
                            &m,
                            &format!("Backup file {} ({})", row.rel, row.domain),
                            when,
                            rec,
                        );
                    }
                    for host in telltale_core::ioc::keys::path_host_parts(&row.rel) {
                        let m = ctx.iocs.match_host(&host);
                        if m.is_empty() {
                            continue;
                        }
                        out.ioc_alerts_at(
                            Level::High,
                            &m,
                            &format!("Domain \"{host}\" in the backup file path {}", row.rel),
                            when,
                            rec,
                        );
                    }
                }
                if damaged {
                    drop(rows);
                    drop(st);
                    let (d, w) = sqlite::open_for_module(ctx.evidence, DB)?;
                    for w in w {
                        out.warn(w);
                    }
                    db = d;
                    recovered = true;
                    continue 'phases;
                }
            }
            break;
        }
        if undecodable > 0 {
            out.warn(format!(
                "{DB}: the MBFile metadata of {undecodable} rows could not be decoded"
            ));
        }
        if absent > 0 {
            out.not_checked(format!(
                "{absent} files listed in {DB} are not in the backup folder, so their contents could not \
                 be read (e.g. {})",
                absent_examples.join(", ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use telltale_core::ioc::keys::path_host_parts;

    #[test]
    fn host_like() {
        let h = path_host_parts(
            "Library/WebKit/WebsiteData/LocalStorage/https_Evil.com_0.localstorage",
        );
        assert!(h.contains("evil.com"), "{h:?}");
        assert!(path_host_parts("Library/Preferences/com.apple.foo.plist").is_empty());
        assert!(path_host_parts("Library/SMS/sms.db").is_empty());
        assert!(path_host_parts("Library/Caches/cdn.example.org/x").contains("cdn.example.org"));
        assert!(path_host_parts("Library/Caches/https_evil.com./x").is_empty());
    }
}
