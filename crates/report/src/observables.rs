//! `observables.parquet`: one row per match key of every observable a module saw (see
//! docs/observables.md for the schema). Written as records stream ([`ObservablesWriter`], bounded
//! memory: a row group is flushed every [`ROW_GROUP_ROWS`] rows), or from a saved output folder's
//! `<module>.json` files ([`write_from_dir`], for old folders and MVT's).
//!
//! The observables come from the same extractor as `recheck` ([`crate::rematch::each_observation`])
//! and their keys from the indicator crate's key rules ([`telltale_core::ioc::keys`]), so a join of
//! these rows with `telltale iocs export --parquet` on `(kind, match_key)` finds what `recheck` finds.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use parquet::schema::types::Type;
use serde_json::Value;
use sha2::{Digest, Sha256};
use telltale_core::Record;
use telltale_core::ioc::keys::{self, KeyKind};

use crate::error::ReportError;

/// The file name in an output folder.
pub const FILE_NAME: &str = "observables.parquet";
/// The schema version, in the file's key-value metadata under [`META_SCHEMA_VERSION`].
pub const SCHEMA_VERSION: &str = "1";
pub const META_SCHEMA_VERSION: &str = "telltale.observables.schema_version";
/// The version of the extractor and key rules that wrote the rows (a newer telltale rewrites older files).
pub const META_EXTRACTOR: &str = "telltale.observables.extractor";
pub const EXTRACTOR_VERSION: &str = "1";
/// Rows per row group.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Modules whose records are not observables of their own (`urls.json` repeats the links of the sms and
/// whatsapp records), as `recheck` skips them.
const SKIPPED_MODULES: [&str; 1] = ["urls"];

/// The columns, in order.
pub const COLUMNS: [&str; 11] = [
    "kind",
    "match_key",
    "value",
    "normalized",
    "field",
    "module",
    "source_file",
    "record_index",
    "event_time",
    "acquisition_id",
    "case_id",
];

const SCHEMA: &str = "message telltale_observables {
  required binary kind (STRING);
  required binary match_key (STRING);
  required binary value (STRING);
  required binary normalized (STRING);
  required binary field (STRING);
  required binary module (STRING);
  required binary source_file (STRING);
  required int64 record_index;
  optional int64 event_time (TIMESTAMP(MICROS,true));
  required binary acquisition_id (STRING);
  required binary case_id (STRING);
}";

fn schema() -> Arc<Type> {
    Arc::new(parquet::schema::parser::parse_message_type(SCHEMA).expect("valid built-in schema"))
}

fn hex_sha256(s: &str) -> String {
    hex_encode(&Sha256::digest(s.as_bytes()))
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Who the rows belong to: the acquisition and the case (one check of it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseIds {
    /// The SHA-256 (hex) of the acquisition's manifest-like file or input file when the check hashed
    /// it (`--hashes`), else the SHA-256 of `telltale-acquisition-v1`, the kind, the target path and
    /// the device facts, one per line.
    pub acquisition_id: String,
    /// The first 16 hex digits of the SHA-256 of `telltale-case-v1`, the acquisition id and the
    /// check's date, one per line: the same check always has the same id.
    pub case_id: String,
    /// The check's date (info.json `date`), ISO 8601; empty when unknown.
    pub checked_at: String,
}

impl CaseIds {
    /// The ids of the check described by `info` (the content of its info.json, telltale's or MVT's);
    /// `dir` (the output folder) stands in for the target when info.json has none.
    pub fn from_info(info: &Value, dir: &Path) -> Self {
        let s = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("");
        let target = match s("target_path") {
            "" => std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
            t => t.to_string(),
        };
        let acquisition_id = match crate::cases::manifest_hash(info, &target) {
            Some(h) => h.to_ascii_lowercase(),
            None => {
                let mut text = format!("telltale-acquisition-v1\n{}\n{target}\n", s("acquisition"));
                for f in info
                    .get("device")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let k = f.get("key").and_then(Value::as_str).unwrap_or("");
                    let v = f.get("value").and_then(Value::as_str).unwrap_or("");
                    text.push_str(&format!("{k}={v}\n"));
                }
                hex_sha256(&text)
            }
        };
        let checked_at = s("date").to_string();
        let case_id = hex_sha256(&format!("telltale-case-v1\n{acquisition_id}\n{checked_at}"))
            [..16]
            .to_string();
        CaseIds {
            acquisition_id,
            case_id,
            checked_at,
        }
    }

    /// The ids of the check whose results are in `dir` (from its info.json; from the folder's path
    /// when it has none or it is unreadable).
    pub fn from_output_dir(dir: &Path) -> Self {
        let info = std::fs::read(dir.join("info.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .unwrap_or(Value::Null);
        Self::from_info(&info, dir)
    }

    /// `YYYY-MM` of the check's date (the dataset's `acq_month` partition), `unknown` without one.
    pub fn month(&self) -> String {
        let d = self.checked_at.as_bytes();
        if d.len() >= 7 && d[4] == b'-' && d[..4].iter().chain(&d[5..7]).all(u8::is_ascii_digit) {
            self.checked_at[..7].to_string()
        } else {
            "unknown".to_string()
        }
    }
}

/// The column values of buffered rows.
#[derive(Default)]
struct Columns {
    kind: Vec<ByteArray>,
    key: Vec<ByteArray>,
    value: Vec<ByteArray>,
    normalized: Vec<ByteArray>,
    field: Vec<ByteArray>,
    module: Vec<ByteArray>,
    source_file: Vec<ByteArray>,
    record_index: Vec<i64>,
    time: Vec<i64>,
    time_def: Vec<i16>,
}

impl Columns {
    fn len(&self) -> usize {
        self.kind.len()
    }
}

/// One extracted row before it is buffered (the value, normalised value and field of one observable
/// are shared by its key rows).
struct Row {
    kind: KeyKind,
    key: ByteArray,
    value: ByteArray,
    normalized: ByteArray,
    field: ByteArray,
}

/// Appends `s` to `arena`, returning where it is.
fn push(arena: &mut Vec<u8>, s: &str) -> std::ops::Range<usize> {
    let start = arena.len();
    arena.extend_from_slice(s.as_bytes());
    start..arena.len()
}

/// The rows of one record, extracted without any lock held. Every string of the record's rows lives in
/// one buffer (the rows' values are slices of it): two allocations per record rather than several
/// per row.
fn extract(module: &str, rec: &Record) -> Vec<Row> {
    type Span = std::ops::Range<usize>;
    let mut arena: Vec<u8> = Vec::new();
    let mut spans: Vec<(KeyKind, Span, Span, Span, Span)> = Vec::new();
    let mut ks = Vec::new();
    crate::rematch::each_observation(module, rec, &mut |how, value, field| {
        ks.clear();
        keys::observed_keys(how, value, &mut ks);
        if ks.is_empty() {
            return;
        }
        ks.sort();
        ks.dedup();
        let normalized = keys::normalized(how, value).unwrap_or_default();
        let v = push(&mut arena, value);
        let n = push(&mut arena, &normalized);
        let f = push(&mut arena, field);
        for (kind, key) in ks.drain(..) {
            let k = push(&mut arena, &key);
            spans.push((kind, k, v.clone(), n.clone(), f.clone()));
        }
    });
    let buf = bytes::Bytes::from(arena);
    spans
        .into_iter()
        .map(|(kind, k, v, n, f)| Row {
            kind,
            key: ByteArray::from(buf.slice(k)),
            value: ByteArray::from(buf.slice(v)),
            normalized: ByteArray::from(buf.slice(n)),
            field: ByteArray::from(buf.slice(f)),
        })
        .collect()
}

fn record_micros(rec: &Record) -> Option<i64> {
    let t = crate::rematch::record_time(rec)?;
    let ts = telltale_core::time::parse(&t)?;
    Some(ts.as_microsecond())
}

struct Inner {
    /// Cleared when the file is closed (or given up).
    open: bool,
    cols: Columns,
    /// Per module: records seen (the next record's index in `<module>.json`), and the interned module
    /// and file names.
    modules: HashMap<String, (i64, ByteArray, ByteArray)>,
    rows: u64,
    error: Option<ReportError>,
}

/// Writes `observables.parquet` as records come (from many threads). The file appears, complete, at
/// [`finish`](ObservablesWriter::finish) (it is written under a temporary name first).
pub struct ObservablesWriter {
    path: PathBuf,
    tmp: PathBuf,
    ids: [ByteArray; 2],
    kinds: HashMap<KeyKind, ByteArray>,
    inner: Mutex<Inner>,
    /// The file; row groups are encoded under this lock only, so modules go on extracting meanwhile.
    file: Mutex<Option<SerializedFileWriter<BufWriter<File>>>>,
}

fn perr(path: &Path, e: parquet::errors::ParquetError) -> ReportError {
    ReportError::other(path, format!("parquet: {e}"))
}

/// The writer settings of every observables file (also used by `publish` and the generators).
pub fn writer_properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(true)
            .set_dictionary_page_size_limit(8 << 20)
            // Statistics only where the hunt uses them (min/max of long strings cost more than the
            // rest of the encoding).
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_statistics_enabled(ColumnPath::from("kind"), EnabledStatistics::Chunk)
            .set_column_statistics_enabled(ColumnPath::from("event_time"), EnabledStatistics::Chunk)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("telltale {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new(META_SCHEMA_VERSION.into(), SCHEMA_VERSION.to_string()),
                KeyValue::new(META_EXTRACTOR.into(), EXTRACTOR_VERSION.to_string()),
            ]))
            .build(),
    )
}

impl ObservablesWriter {
    /// Starts `<dir>/observables.parquet` for the case `ids`.
    pub fn create(dir: &Path, ids: &CaseIds) -> Result<Self, ReportError> {
        Self::create_at(&dir.join(FILE_NAME), ids)
    }

    /// Starts an observables file at `path`.
    pub fn create_at(path: &Path, ids: &CaseIds) -> Result<Self, ReportError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        let f = File::create(&tmp).map_err(|e| ReportError::io(&tmp, e))?;
        let writer = SerializedFileWriter::new(BufWriter::new(f), schema(), writer_properties())
            .map_err(|e| perr(&tmp, e))?;
        Ok(ObservablesWriter {
            path: path.to_path_buf(),
            tmp,
            ids: [
                ByteArray::from(ids.acquisition_id.clone().into_bytes()),
                ByteArray::from(ids.case_id.clone().into_bytes()),
            ],
            kinds: KeyKind::ALL
                .into_iter()
                .map(|k| (k, ByteArray::from(k.as_str().as_bytes().to_vec())))
                .collect(),
            inner: Mutex::new(Inner {
                open: true,
                cols: Columns::default(),
                modules: HashMap::new(),
                rows: 0,
                error: None,
            }),
            file: Mutex::new(Some(writer)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds the observables of the next record of `<module>.json`. Records of one module must come in
    /// file order (they do: a module emits from one thread).
    pub fn record(&self, module: &str, rec: &Record) {
        if SKIPPED_MODULES.contains(&module) {
            return;
        }
        let rows = extract(module, rec);
        let time = if rows.is_empty() {
            None
        } else {
            record_micros(rec)
        };
        let mut g = self.lock();
        let inner = &mut *g;
        let entry = inner.modules.entry(module.to_string()).or_insert_with(|| {
            let file = format!("{}.json", crate::writer::file_stem(module));
            (
                0,
                ByteArray::from(module.as_bytes().to_vec()),
                ByteArray::from(file.into_bytes()),
            )
        });
        let index = entry.0;
        entry.0 += 1;
        if rows.is_empty() {
            return;
        }
        let (m, f) = (entry.1.clone(), entry.2.clone());
        let c = &mut inner.cols;
        for r in rows {
            c.kind.push(self.kinds[&r.kind].clone());
            c.key.push(r.key);
            c.value.push(r.value);
            c.normalized.push(r.normalized);
            c.field.push(r.field);
            c.module.push(m.clone());
            c.source_file.push(f.clone());
            c.record_index.push(index);
            match time {
                Some(t) => {
                    c.time.push(t);
                    c.time_def.push(1);
                }
                None => c.time_def.push(0),
            }
        }
        if inner.cols.len() >= ROW_GROUP_ROWS {
            let cols = std::mem::take(&mut inner.cols);
            inner.rows += cols.len() as u64;
            drop(g);
            if let Err(e) = self.write_group(&cols) {
                let mut g = self.lock();
                if g.error.is_none() {
                    g.error = Some(e);
                }
            }
        }
    }

    fn write_group(&self, c: &Columns) -> Result<(), ReportError> {
        let n = c.len();
        if n == 0 {
            return Ok(());
        }
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let Some(w) = file.as_mut() else {
            return Ok(());
        };
        let e = |err| perr(&self.tmp, err);
        let ids: Vec<Vec<ByteArray>> = self.ids.iter().map(|v| vec![v.clone(); n]).collect();
        let mut rg = w.next_row_group().map_err(e)?;
        let strings: [&[ByteArray]; 7] = [
            &c.kind,
            &c.key,
            &c.value,
            &c.normalized,
            &c.field,
            &c.module,
            &c.source_file,
        ];
        for s in strings {
            let mut col = rg.next_column().map_err(e)?.ok_or_else(|| {
                ReportError::other(&self.tmp, "observables schema has fewer columns")
            })?;
            col.typed::<ByteArrayType>()
                .write_batch(s, None, None)
                .map_err(e)?;
            col.close().map_err(e)?;
        }
        let mut col = rg
            .next_column()
            .map_err(e)?
            .ok_or_else(|| ReportError::other(&self.tmp, "observables schema has fewer columns"))?;
        col.typed::<Int64Type>()
            .write_batch(&c.record_index, None, None)
            .map_err(e)?;
        col.close().map_err(e)?;
        let mut col = rg
            .next_column()
            .map_err(e)?
            .ok_or_else(|| ReportError::other(&self.tmp, "observables schema has fewer columns"))?;
        col.typed::<Int64Type>()
            .write_batch(&c.time, Some(&c.time_def), None)
            .map_err(e)?;
        col.close().map_err(e)?;
        for v in &ids {
            let mut col = rg.next_column().map_err(e)?.ok_or_else(|| {
                ReportError::other(&self.tmp, "observables schema has fewer columns")
            })?;
            col.typed::<ByteArrayType>()
                .write_batch(v, None, None)
                .map_err(e)?;
            col.close().map_err(e)?;
        }
        rg.close().map_err(e)?;
        Ok(())
    }

    /// Flushes the last row group, closes the file and gives it its name. Returns the rows written.
    pub fn finish(&self) -> Result<u64, ReportError> {
        let (cols, err, rows) = {
            let mut g = self.lock();
            if !g.open {
                return Ok(g.rows);
            }
            g.open = false;
            let cols = std::mem::take(&mut g.cols);
            g.rows += cols.len() as u64;
            (cols, g.error.take(), g.rows)
        };
        let give_up = |e: ReportError| {
            *self.file.lock().unwrap_or_else(|p| p.into_inner()) = None;
            let _ = std::fs::remove_file(&self.tmp);
            Err(e)
        };
        if let Some(e) = err {
            return give_up(e);
        }
        if let Err(e) = self.write_group(&cols) {
            return give_up(e);
        }
        let w = self
            .file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| ReportError::other(&self.tmp, "observables file already closed"))?;
        w.close().map_err(|e| perr(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| ReportError::io(&self.path, e))?;
        Ok(rows)
    }
}

impl Drop for ObservablesWriter {
    fn drop(&mut self) {
        // Not finished: leave no half-written temporary file behind.
        if self.lock().open {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// What [`write_from_dir`] did.
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    pub rows: u64,
    pub records: u64,
    /// `<module>.json` files that could not be read whole (their readable records are kept).
    pub warnings: Vec<String>,
}

/// Whether `<dir>/observables.parquet` exists and was written by this schema and extractor version.
pub fn is_current(dir: &Path) -> bool {
    let path = dir.join(FILE_NAME);
    let Ok(f) = File::open(&path) else {
        return false;
    };
    use parquet::file::reader::FileReader;
    let Ok(r) = parquet::file::serialized_reader::SerializedFileReader::new(f) else {
        return false;
    };
    let kv = r.metadata().file_metadata().key_value_metadata();
    let get = |k: &str| {
        kv.into_iter()
            .flatten()
            .find(|x| x.key == k)
            .and_then(|x| x.value.clone())
    };
    get(META_SCHEMA_VERSION).as_deref() == Some(SCHEMA_VERSION)
        && get(META_EXTRACTOR).as_deref() == Some(EXTRACTOR_VERSION)
}

/// Writes `<dir>/observables.parquet` from the folder's `<module>.json` files (an old telltale folder
/// or MVT's), replacing any older one.
pub fn write_from_dir(dir: &Path) -> Result<WriteReport, ReportError> {
    let ids = CaseIds::from_output_dir(dir);
    let w = ObservablesWriter::create(dir, &ids)?;
    let mut rep = WriteReport::default();
    for module in crate::read::list_modules(dir)? {
        let r = crate::read::each_record(dir, &module, |rec| {
            rep.records += 1;
            w.record(&module, &rec);
        });
        if let Err(e) = r {
            rep.warnings
                .push(format!("{module}: observables incomplete ({e})"));
        }
    }
    rep.rows = w.finish()?;
    Ok(rep)
}
