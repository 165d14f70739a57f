//! The hunt: observables files joined with the indicators on `(kind, match_key)`.
//!
//! * [`IndicatorTable`]: the indicator side, from [`IocIndex::export_keys`];
//! * [`scan_file`]: one `observables.parquet` (or a part of a published dataset) against the table,
//!   reading only the key columns first and skipping row groups by statistics (`kind`,
//!   `event_time`) and by the `match_key` dictionary (no key of the row group is an indicator key:
//!   its data pages are never read);
//! * [`aggregate`]: the hits per case and indicator, with first and last seen (the rows of
//!   `telltale hunt --json`, also written by `contrib/spark/hunt.py`);
//! * [`alerts_for_hits`]: the hits of a case folder as `recheck`'s alerts (the records are read back
//!   from `<module>.json`);
//! * [`export_indicators`]: the indicator table as Parquet (`telltale iocs export --parquet`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Encoding;
use parquet::column::page::Page;
use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type};
use parquet::file::metadata::{KeyValue, RowGroupMetaData};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::statistics::Statistics;
use parquet::file::writer::SerializedFileWriter;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use telltale_core::ioc::{IocIndex, KeyKind, Match};
use telltale_core::{Alert, MatchedIndicator, Record};

use crate::error::ReportError;
use crate::observables::{COLUMNS, META_SCHEMA_VERSION, SCHEMA_VERSION};

/// FNV-1a: the table is hashed once per dictionary value of every row group hunted (also the
/// extractor's field-name cache).
#[derive(Default)]
pub(crate) struct Fnv(u64);
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}
type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// The indicators as match keys.
pub struct IndicatorTable<'a> {
    pub index: &'a IocIndex,
    by_key: FnvMap<Box<[u8]>, Vec<(KeyKind, u32)>>,
    /// The `kind` names that have keys, sorted.
    kinds: Vec<&'static str>,
}

impl<'a> IndicatorTable<'a> {
    pub fn new(index: &'a IocIndex) -> Self {
        let mut by_key: FnvMap<Box<[u8]>, Vec<(KeyKind, u32)>> = FnvMap::default();
        let mut kinds = BTreeSet::new();
        for k in index.export_keys() {
            kinds.insert(k.kind.as_str());
            by_key
                .entry(k.key.as_bytes().into())
                .or_default()
                .push((k.kind, k.entry));
        }
        IndicatorTable {
            index,
            by_key,
            kinds: kinds.into_iter().collect(),
        }
    }

    /// Distinct match keys.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    fn entries(&self, kind: &[u8], key: &[u8]) -> Vec<u32> {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str().as_bytes() == kind)
            .map(|(_, e)| *e)
            .collect()
    }
}

/// One observables row that matched, with the indicator entries it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub entries: Vec<u32>,
    pub kind: String,
    pub match_key: String,
    pub value: String,
    pub field: String,
    pub module: String,
    pub source_file: String,
    pub record_index: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub event_time: Option<i64>,
    pub acquisition_id: String,
    pub case_id: String,
}

/// What a scan read and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    pub files: u64,
    pub rows: u64,
    pub row_groups: u64,
    /// Row groups skipped by the `kind` or `event_time` statistics.
    pub skipped_by_statistics: u64,
    /// Row groups skipped because no value of their `match_key` dictionary is an indicator key.
    pub skipped_by_dictionary: u64,
}

impl ScanStats {
    pub fn add(&mut self, o: &ScanStats) {
        self.files += o.files;
        self.rows += o.rows;
        self.row_groups += o.row_groups;
        self.skipped_by_statistics += o.skipped_by_statistics;
        self.skipped_by_dictionary += o.skipped_by_dictionary;
    }
}

/// Which rows to look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanFilter {
    /// Only rows whose event time is at or after this (µs since the epoch, UTC); rows without a time
    /// are left out when set.
    pub since: Option<i64>,
}

fn perr(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::other(path, format!("not a readable observables file: {e}"))
}

fn all_dictionary(c: &parquet::file::metadata::ColumnChunkMetaData) -> bool {
    c.dictionary_page_offset().is_some()
        && c.page_encoding_stats_mask().is_some_and(|m| {
            m.is_only(Encoding::PLAIN_DICTIONARY) || m.is_only(Encoding::RLE_DICTIONARY)
        })
}

/// The PLAIN-encoded byte arrays of a dictionary page.
fn plain_byte_arrays(buf: &[u8], n: usize, mut f: impl FnMut(&[u8], usize)) -> Result<(), String> {
    let mut pos = 0;
    for i in 0..n {
        let len = buf
            .get(pos..pos + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or("dictionary page truncated")?;
        let v = buf
            .get(pos + 4..pos + 4 + len)
            .ok_or("dictionary page truncated")?;
        f(v, i);
        pos += 4 + len;
    }
    Ok(())
}

/// Reads `n` values of a column (and its definition levels).
fn read_values<T: parquet::data_type::DataType>(
    mut r: parquet::column::reader::ColumnReaderImpl<T>,
    n: usize,
    path: &Path,
) -> Result<(Vec<T::T>, Vec<i16>), ReportError> {
    let (mut vals, mut def) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut done = 0;
    while done < n {
        let (recs, _, _) = r
            .read_records(n - done, Some(&mut def), None, &mut vals)
            .map_err(|e| perr(path, e))?;
        if recs == 0 {
            break;
        }
        done += recs;
    }
    Ok((vals, def))
}

fn read_bytes(
    rg: &dyn RowGroupReader,
    col: usize,
    n: usize,
    path: &Path,
) -> Result<(Vec<ByteArray>, Vec<i16>), ReportError> {
    match rg.get_column_reader(col).map_err(|e| perr(path, e))? {
        ColumnReader::ByteArrayColumnReader(r) => read_values(r, n, path),
        _ => Err(perr(path, format!("column {} is not text", COLUMNS[col]))),
    }
}

fn read_i64(
    rg: &dyn RowGroupReader,
    col: usize,
    n: usize,
    path: &Path,
) -> Result<(Vec<i64>, Vec<i16>), ReportError> {
    match rg.get_column_reader(col).map_err(|e| perr(path, e))? {
        ColumnReader::Int64ColumnReader(r) => read_values(r, n, path),
        _ => Err(perr(path, format!("column {} is not int64", COLUMNS[col]))),
    }
}

fn text(b: &ByteArray) -> String {
    String::from_utf8_lossy(b.data()).into_owned()
}

/// Whether row group statistics rule it out.
fn skip_by_statistics(
    rgm: &RowGroupMetaData,
    col: &[usize; 11],
    table: &IndicatorTable<'_>,
    filter: &ScanFilter,
) -> bool {
    if let Some(st) = rgm.column(col[0]).statistics()
        && let (Some(min), Some(max)) = (st.min_bytes_opt(), st.max_bytes_opt())
        && !table
            .kinds
            .iter()
            .any(|k| k.as_bytes() >= min && k.as_bytes() <= max)
    {
        return true;
    }
    if let Some(since) = filter.since
        && let Some(Statistics::Int64(st)) = rgm.column(col[8]).statistics()
    {
        match st.max_opt() {
            Some(max) if *max < since => return true,
            None if st.null_count_opt() == Some(rgm.num_rows() as u64) => return true,
            _ => {}
        }
    }
    false
}

/// Hunts one observables file: the rows whose `(kind, match_key)` is an indicator's. A corrupt file is
/// an error naming it (the Parquet decoder's panics on some corrupt pages are caught here).
pub fn scan_file(
    path: &Path,
    table: &IndicatorTable<'_>,
    filter: &ScanFilter,
) -> Result<(Vec<Hit>, ScanStats), ReportError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_file_inner(path, table, filter)
    })) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "decoder failure".into());
            Err(perr(path, format!("corrupt data ({msg})")))
        }
    }
}

fn scan_file_inner(
    path: &Path,
    table: &IndicatorTable<'_>,
    filter: &ScanFilter,
) -> Result<(Vec<Hit>, ScanStats), ReportError> {
    let f = File::open(path).map_err(|e| ReportError::io(path, e))?;
    let reader = SerializedFileReader::new(f).map_err(|e| perr(path, e))?;
    let md = reader.metadata();
    let kv = md.file_metadata().key_value_metadata();
    let version = kv
        .into_iter()
        .flatten()
        .find(|x| x.key == META_SCHEMA_VERSION)
        .and_then(|x| x.value.clone());
    match version.as_deref() {
        Some(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(ReportError::other(
                path,
                format!(
                    "observables schema version {v} is not supported (this telltale reads {SCHEMA_VERSION})"
                ),
            ));
        }
        None => {
            return Err(ReportError::other(
                path,
                "not a telltale observables file (no schema version)",
            ));
        }
    }
    let schema = md.file_metadata().schema_descr();
    let mut col = [0usize; 11];
    for (i, name) in COLUMNS.iter().enumerate() {
        col[i] = (0..schema.num_columns())
            .find(|&c| schema.column(c).name() == *name)
            .ok_or_else(|| ReportError::other(path, format!("column {name} missing")))?;
    }
    let mut stats = ScanStats {
        files: 1,
        ..Default::default()
    };
    let mut hits = Vec::new();
    for rgi in 0..reader.num_row_groups() {
        let rgm = md.row_group(rgi);
        let n = rgm.num_rows().max(0) as usize;
        stats.row_groups += 1;
        stats.rows += n as u64;
        if n == 0 {
            continue;
        }
        if skip_by_statistics(rgm, &col, table, filter) {
            stats.skipped_by_statistics += 1;
            continue;
        }
        let rg = reader.get_row_group(rgi).map_err(|e| perr(path, e))?;
        if all_dictionary(rgm.column(col[1])) {
            let mut pages = rg
                .get_column_page_reader(col[1])
                .map_err(|e| perr(path, e))?;
            if let Some(Page::DictionaryPage {
                buf, num_values, ..
            }) = pages.get_next_page().map_err(|e| perr(path, e))?
            {
                let mut any = false;
                plain_byte_arrays(&buf, num_values as usize, |v, _| {
                    any |= table.by_key.contains_key(v);
                })
                .map_err(|e| perr(path, e))?;
                if !any {
                    stats.skipped_by_dictionary += 1;
                    continue;
                }
            }
        }
        let (kinds, _) = read_bytes(rg.as_ref(), col[0], n, path)?;
        let (keys, _) = read_bytes(rg.as_ref(), col[1], n, path)?;
        if kinds.len() != n || keys.len() != n {
            return Err(perr(path, "a row group's columns have different lengths"));
        }
        let mut rows: Vec<(usize, Vec<u32>)> = Vec::new();
        for i in 0..n {
            let e = table.entries(kinds[i].data(), keys[i].data());
            if !e.is_empty() {
                rows.push((i, e));
            }
        }
        if rows.is_empty() {
            continue;
        }
        let mut strings: HashMap<usize, Vec<ByteArray>> = HashMap::new();
        for c in [2usize, 4, 5, 6, 9, 10] {
            let (v, _) = read_bytes(rg.as_ref(), col[c], n, path)?;
            if v.len() != n {
                return Err(perr(path, "a row group's columns have different lengths"));
            }
            strings.insert(c, v);
        }
        let (idx, _) = read_i64(rg.as_ref(), col[7], n, path)?;
        let (times, def) = read_i64(rg.as_ref(), col[8], n, path)?;
        if idx.len() != n || def.len() != n {
            return Err(perr(path, "a row group's columns have different lengths"));
        }
        // Non-null times are packed: the i-th row's time is the k-th value, k = non-nulls before it.
        let mut time_of = Vec::with_capacity(n);
        let mut k = 0;
        for d in &def {
            if *d > 0 {
                time_of.push(times.get(k).copied());
                k += 1;
            } else {
                time_of.push(None);
            }
        }
        for (i, entries) in rows {
            let t = time_of[i];
            if let Some(since) = filter.since
                && t.is_none_or(|t| t < since)
            {
                continue;
            }
            hits.push(Hit {
                entries,
                kind: text(&kinds[i]),
                match_key: text(&keys[i]),
                value: text(&strings[&2][i]),
                field: text(&strings[&4][i]),
                module: text(&strings[&5][i]),
                source_file: text(&strings[&6][i]),
                record_index: idx[i],
                event_time: t,
                acquisition_id: text(&strings[&9][i]),
                case_id: text(&strings[&10][i]),
            });
        }
    }
    Ok((hits, stats))
}

/// Formats µs since the epoch as telltale's `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn format_micros(t: i64) -> String {
    match jiff::Timestamp::from_microsecond(t) {
        Ok(ts) => telltale_core::time::format(ts),
        Err(_) => t.to_string(),
    }
}

/// One indicator found in one case: a row of `telltale hunt --json`'s `matches` (and of the Spark job's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuntMatch {
    pub case_id: String,
    pub acquisition_id: String,
    /// The indicator's value as written in its pattern.
    pub indicator: String,
    /// Its STIX type (`domain-name:value`, `process:name`, …).
    pub indicator_type: String,
    pub indicator_id: Option<String>,
    pub collections: Vec<String>,
    /// The indicator file (`builtin:<name>` for the built-in snapshot).
    pub ioc_source: String,
    /// Distinct observations (record, field, value) that matched.
    pub observations: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The modules whose records matched, sorted.
    pub modules: Vec<String>,
}

/// The hits grouped per case and indicator, sorted by case, indicator type, indicator, source.
pub fn aggregate(index: &IocIndex, hits: &[Hit]) -> Vec<HuntMatch> {
    type Obs<'h> = (&'h str, i64, &'h str, &'h str);
    #[derive(Default)]
    struct Acc<'h> {
        obs: HashSet<Obs<'h>>,
        first: Option<i64>,
        last: Option<i64>,
        modules: BTreeSet<&'h str>,
    }
    let mut groups: BTreeMap<(&str, &str, u32), Acc<'_>> = BTreeMap::new();
    for h in hits {
        for &e in &h.entries {
            let a = groups
                .entry((h.case_id.as_str(), h.acquisition_id.as_str(), e))
                .or_default();
            a.obs.insert((
                h.source_file.as_str(),
                h.record_index,
                h.field.as_str(),
                h.value.as_str(),
            ));
            if let Some(t) = h.event_time {
                a.first = Some(a.first.map_or(t, |f| f.min(t)));
                a.last = Some(a.last.map_or(t, |l| l.max(t)));
            }
            a.modules.insert(h.module.as_str());
        }
    }
    let mut out: Vec<HuntMatch> = groups
        .into_iter()
        .filter_map(|((case, acq, e), a)| {
            let m = index.entry(e)?;
            Some(HuntMatch {
                case_id: case.to_string(),
                acquisition_id: acq.to_string(),
                indicator: m.value.to_string(),
                indicator_type: m.kind.as_stix().to_string(),
                indicator_id: m.indicator_id.as_deref().map(str::to_string),
                collections: m.collections.iter().map(|c| c.to_string()).collect(),
                ioc_source: m.source_file.to_string(),
                observations: a.obs.len() as u64,
                first_seen: a.first.map(format_micros),
                last_seen: a.last.map(format_micros),
                modules: a.modules.into_iter().map(str::to_string).collect(),
            })
        })
        .collect();
    sort_matches(&mut out);
    out
}

/// The order of `matches` in every hunt output.
pub fn sort_matches(m: &mut [HuntMatch]) {
    m.sort_by(|a, b| {
        (&a.case_id, &a.indicator_type, &a.indicator, &a.ioc_source).cmp(&(
            &b.case_id,
            &b.indicator_type,
            &b.indicator,
            &b.ioc_source,
        ))
    });
}

/// The hits of one case folder as alerts (as `recheck` raises them: HIGH, one per record, indicator
/// and field), each with its record read back from `<module>.json`. Returns (module, record, alerts).
pub fn alerts_for_hits(
    dir: &Path,
    index: &IocIndex,
    hits: &[&Hit],
) -> Result<Vec<(String, Record, Vec<Alert>)>, ReportError> {
    // source file → record index → (module, [(entry, field)]).
    type ByRecord<'h> = BTreeMap<i64, (&'h str, Vec<(u32, &'h str)>)>;
    let mut wanted: BTreeMap<&str, ByRecord<'_>> = BTreeMap::new();
    for h in hits {
        let r = wanted
            .entry(h.source_file.as_str())
            .or_default()
            .entry(h.record_index)
            .or_insert((h.module.as_str(), Vec::new()));
        for &e in &h.entries {
            if !r.1.contains(&(e, h.field.as_str())) {
                r.1.push((e, h.field.as_str()));
            }
        }
    }
    let mut out = Vec::new();
    for (file, recs) in wanted {
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(ReportError::other(
                dir,
                format!("observables name an unexpected file {file:?}"),
            ));
        }
        let path = dir.join(file);
        let mut i = 0i64;
        let mut found: Vec<(String, Record, Vec<Alert>)> = Vec::new();
        crate::read::each_in_array::<Value>(&path, |v| {
            if let Some((module, ms)) = recs.get(&i)
                && let Value::Object(rec) = v
            {
                let time = crate::rematch::record_time(&rec);
                let mut alerts = Vec::new();
                for (e, field) in ms {
                    let Some(m) = index.entry(*e) else { continue };
                    alerts.push(alert_for(module, field, &m, time.clone(), &rec));
                }
                found.push((module.to_string(), rec, alerts));
            }
            i += 1;
        })?;
        out.extend(found);
    }
    Ok(out)
}

/// The alert `recheck` raises for indicator `m` matched in `field` of a `module` record.
pub fn alert_for(
    module: &str,
    field: &str,
    m: &Match,
    time: Option<String>,
    rec: &Record,
) -> Alert {
    Alert {
        level: crate::rematch::indicator_level(module),
        module: module.to_string(),
        message: format!(
            "field {field} of a {module} record matches indicator {} ({}) of {}",
            m.value,
            m.kind.as_stix(),
            m.collections.join(", ")
        ),
        event_time: time,
        event: Value::Object(rec.clone()),
        matched_indicator: Some(MatchedIndicator::from(m)),
    }
}

/// Every `.parquet` file under `dir` (a published dataset), sorted.
pub fn dataset_files(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| ReportError::io(&d, e))? {
            let e = e.map_err(|e| ReportError::io(&d, e))?;
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let t = e.file_type().map_err(|e| ReportError::io(&p, e))?;
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() && name.ends_with(".parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

const INDICATOR_SCHEMA: &str = "message telltale_indicators {
  required binary kind (STRING);
  required binary match_key (STRING);
  required int32 entry;
  required binary indicator (STRING);
  required binary indicator_type (STRING);
  optional binary indicator_id (STRING);
  required group collections (LIST) {
    repeated group list {
      required binary element (STRING);
    }
  }
  required binary ioc_source (STRING);
  optional binary set_name (STRING);
  optional binary licence (STRING);
}";

/// Writes every match key of every indicator of `index` to `path` (Parquet; see docs/observables.md).
/// Returns the rows written.
pub fn export_indicators(index: &IocIndex, path: &Path) -> Result<u64, ReportError> {
    let e =
        |err: parquet::errors::ParquetError| ReportError::other(path, format!("parquet: {err}"));
    let keys = index.export_keys();
    let origins: HashMap<&str, (Option<String>, Option<String>)> = index
        .stats()
        .sets
        .iter()
        .map(|s| {
            let o = s.origin.as_ref();
            (
                s.source.as_str(),
                (o.map(|o| o.name.clone()), o.and_then(|o| o.licence.clone())),
            )
        })
        .collect();
    let b = |s: &str| ByteArray::from(s.as_bytes().to_vec());
    let mut cols: Vec<Vec<ByteArray>> = vec![Vec::new(); 9];
    let mut defs: Vec<Vec<i16>> = vec![Vec::new(); 9];
    let mut entries: Vec<i32> = Vec::new();
    let mut coll_rep: Vec<i16> = Vec::new();
    for k in &keys {
        let Some(m) = index.entry(k.entry) else {
            continue;
        };
        let opt = |cols: &mut Vec<Vec<ByteArray>>,
                   defs: &mut Vec<Vec<i16>>,
                   i: usize,
                   v: Option<&str>| {
            match v {
                Some(v) => {
                    cols[i].push(b(v));
                    defs[i].push(1);
                }
                None => defs[i].push(0),
            }
        };
        cols[0].push(b(k.kind.as_str()));
        cols[1].push(b(&k.key));
        entries.push(k.entry as i32);
        cols[2].push(b(&m.value));
        cols[3].push(b(m.kind.as_stix()));
        opt(&mut cols, &mut defs, 4, m.indicator_id.as_deref());
        if m.collections.is_empty() {
            coll_rep.push(0);
            defs[5].push(0);
        }
        for (i, c) in m.collections.iter().enumerate() {
            cols[5].push(b(c));
            coll_rep.push(if i == 0 { 0 } else { 1 });
            defs[5].push(1);
        }
        cols[6].push(b(&m.source_file));
        let (name, licence) = origins
            .get(&*m.source_file)
            .cloned()
            .unwrap_or((None, None));
        opt(&mut cols, &mut defs, 7, name.as_deref());
        opt(&mut cols, &mut defs, 8, licence.as_deref());
    }
    let schema =
        Arc::new(parquet::schema::parser::parse_message_type(INDICATOR_SCHEMA).map_err(e)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_created_by(format!("telltale {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "telltale.indicators.schema_version".into(),
                "2".to_string(),
            )]))
            .build(),
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let f = File::create(&tmp).map_err(|err| ReportError::io(&tmp, err))?;
    let mut w = SerializedFileWriter::new(f, schema, props).map_err(e)?;
    let mut rg = w.next_row_group().map_err(e)?;
    // Column order: kind, match_key, entry, indicator, indicator_type, indicator_id, collections,
    // ioc_source, set_name, licence.
    let order: [(usize, bool); 10] = [
        (0, false),
        (1, false),
        (usize::MAX, false),
        (2, false),
        (3, false),
        (4, true),
        (5, true),
        (6, false),
        (7, true),
        (8, true),
    ];
    for (i, optional) in order {
        let mut col = rg
            .next_column()
            .map_err(e)?
            .ok_or_else(|| ReportError::other(path, "indicator schema has fewer columns"))?;
        if i == usize::MAX {
            col.typed::<Int32Type>()
                .write_batch(&entries, None, None)
                .map_err(e)?;
        } else if i == 5 {
            col.typed::<ByteArrayType>()
                .write_batch(&cols[5], Some(&defs[5]), Some(&coll_rep))
                .map_err(e)?;
        } else if optional {
            col.typed::<ByteArrayType>()
                .write_batch(&cols[i], Some(&defs[i]), None)
                .map_err(e)?;
        } else {
            col.typed::<ByteArrayType>()
                .write_batch(&cols[i], None, None)
                .map_err(e)?;
        }
        col.close().map_err(e)?;
    }
    rg.close().map_err(e)?;
    w.close().map_err(e)?;
    std::fs::rename(&tmp, path).map_err(|err| ReportError::io(path, err))?;
    Ok(entries.len() as u64)
}
