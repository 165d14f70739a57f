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
pub const EXTRACTOR_VERSION: &str = "2";
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

/// A string of a row group's arena: `(start, end)`.
type Span = (u32, u32);

/// A row group being filled: every string in one arena, the string columns as spans of it (no
/// allocation per value; the writer thread turns the spans into Parquet byte arrays).
#[derive(Default)]
struct Columns {
    arena: Vec<u8>,
    kind: Vec<KeyKind>,
    key: Vec<Span>,
    value: Vec<Span>,
    normalized: Vec<Span>,
    field: Vec<Span>,
    /// Index into `names`.
    module: Vec<u32>,
    record_index: Vec<i64>,
    time: Vec<i64>,
    time_def: Vec<i16>,
    /// (module, `<module>.json`) of the modules seen so far (filled in when the group is sent).
    names: Vec<(ByteArray, ByteArray)>,
}

impl Columns {
    fn len(&self) -> usize {
        self.kind.len()
    }
}

/// Rows a row group holds at most ([`ROW_GROUP_ROWS`]), and bytes of strings: a group is sent to the
/// writer thread when either is reached, so memory stays bounded whatever the values' sizes.
const GROUP_BYTES: usize = 64 << 20;

/// Bytes of strings one record's rows may hold (a record is far smaller: values are cut at 64 KiB).
const MAX_RECORD_BYTES: usize = 256 << 20;

/// One record's rows, extracted on the module's thread before any lock is taken (reused from record
/// to record: no allocation per row).
#[derive(Default)]
struct Scratch {
    arena: Vec<u8>,
    /// (kind, key, value, normalized, field) spans of `arena`.
    rows: Vec<(KeyKind, Span, Span, Span, Span)>,
    keys: Vec<(KeyKind, Span)>,
}

/// Appends `s` to `arena`, returning where it is.
fn push(arena: &mut Vec<u8>, s: &str) -> Span {
    let start = arena.len();
    arena.extend_from_slice(s.as_bytes());
    (start as u32, arena.len() as u32)
}

fn bytes_of(arena: &[u8], s: Span) -> &[u8] {
    &arena[s.0 as usize..s.1 as usize]
}

/// Fills `sc` with the rows of one record: one per distinct match key of each observable.
fn extract(module: &str, rec: &Record, sc: &mut Scratch) {
    let Scratch { arena, rows, keys } = sc;
    arena.clear();
    rows.clear();
    crate::rematch::each_observation(module, rec, &mut |how, value, field| {
        // Spans are 32-bit: a record whose observables would pass this size keeps the rows before.
        if arena.len() > MAX_RECORD_BYTES {
            return;
        }
        let mark = arena.len();
        keys.clear();
        keys::each_observed_key(how, value, &mut |k, v| {
            let s = push(arena, v);
            keys.push((k, s));
        });
        if keys.is_empty() {
            arena.truncate(mark);
            return;
        }
        keys.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| bytes_of(arena, a.1).cmp(bytes_of(arena, b.1)))
        });
        keys.dedup_by(|a, b| a.0 == b.0 && bytes_of(arena, a.1) == bytes_of(arena, b.1));
        let v = push(arena, value);
        let n = match keys::normalized_cow(how, value) {
            Some(n) if n == value => v,
            Some(n) => push(arena, &n),
            None => push(arena, ""),
        };
        let f = push(arena, field);
        for &(k, ks) in keys.iter() {
            rows.push((k, ks, v, n, f));
        }
    });
}

fn record_micros(rec: &Record) -> Option<i64> {
    Some(crate::rematch::record_timestamp(rec)?.as_microsecond())
}

struct Inner {
    /// Cleared when the file is closed (or given up).
    open: bool,
    cols: Columns,
    /// Per module: records seen (the next record's index in `<module>.json`) and its index in `names`.
    modules: HashMap<String, (i64, u32)>,
    names: Vec<(ByteArray, ByteArray)>,
    rows: u64,
}

/// What the writer thread gives back: the file writer, and the first error it met.
type WriterResult = (SerializedFileWriter<BufWriter<File>>, Option<ReportError>);

/// Writes `observables.parquet` as records come (from many threads). Modules extract their rows on
/// their own thread; full row groups go through a bounded channel to one writer thread that encodes
/// them (Parquet dictionary encoding and compression), so a check's modules do not wait for it.
/// The file appears, complete, at [`finish`](ObservablesWriter::finish) (it is written under a
/// temporary name first).
pub struct ObservablesWriter {
    path: PathBuf,
    tmp: PathBuf,
    inner: Mutex<Inner>,
    /// The channel to the writer thread (dropped to end it).
    tx: Mutex<Option<std::sync::mpsc::SyncSender<Columns>>>,
    thread: Mutex<Option<std::thread::JoinHandle<WriterResult>>>,
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

/// The values every row group repeats: the case's ids and the kind names.
struct Constants {
    ids: [ByteArray; 2],
    kinds: Vec<ByteArray>,
}

/// Encodes one row group (on the writer thread).
fn write_group(
    w: &mut SerializedFileWriter<BufWriter<File>>,
    c: Columns,
    k: &Constants,
    tmp: &Path,
) -> Result<(), ReportError> {
    let n = c.len();
    if n == 0 {
        return Ok(());
    }
    let e = |err| perr(tmp, err);
    let buf = bytes::Bytes::from(c.arena);
    let strings = |spans: &[Span]| -> Vec<ByteArray> {
        spans
            .iter()
            .map(|&(s, e)| ByteArray::from(buf.slice(s as usize..e as usize)))
            .collect()
    };
    let kind: Vec<ByteArray> = c
        .kind
        .iter()
        .map(|&x| k.kinds[x as usize].clone())
        .collect();
    let module: Vec<ByteArray> = c
        .module
        .iter()
        .map(|&i| c.names[i as usize].0.clone())
        .collect();
    let file: Vec<ByteArray> = c
        .module
        .iter()
        .map(|&i| c.names[i as usize].1.clone())
        .collect();
    let ids: Vec<Vec<ByteArray>> = k.ids.iter().map(|v| vec![v.clone(); n]).collect();
    let mut rg = w.next_row_group().map_err(e)?;
    let short = || ReportError::other(tmp, "observables schema has fewer columns");
    let columns: [Vec<ByteArray>; 7] = [
        kind,
        strings(&c.key),
        strings(&c.value),
        strings(&c.normalized),
        strings(&c.field),
        module,
        file,
    ];
    let strings_column = |rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, _>,
                          s: &[ByteArray]|
     -> Result<(), ReportError> {
        let mut col = rg.next_column().map_err(e)?.ok_or_else(short)?;
        col.typed::<ByteArrayType>()
            .write_batch(s, None, None)
            .map_err(e)?;
        col.close().map_err(e)
    };
    for s in &columns {
        strings_column(&mut rg, s)?;
    }
    let mut col = rg.next_column().map_err(e)?.ok_or_else(short)?;
    col.typed::<Int64Type>()
        .write_batch(&c.record_index, None, None)
        .map_err(e)?;
    col.close().map_err(e)?;
    let mut col = rg.next_column().map_err(e)?.ok_or_else(short)?;
    col.typed::<Int64Type>()
        .write_batch(&c.time, Some(&c.time_def), None)
        .map_err(e)?;
    col.close().map_err(e)?;
    for v in &ids {
        strings_column(&mut rg, v)?;
    }
    rg.close().map_err(e)?;
    Ok(())
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
        let mut writer = SerializedFileWriter::new(
            BufWriter::with_capacity(1 << 20, f),
            schema(),
            writer_properties(),
        )
        .map_err(|e| perr(&tmp, e))?;
        let mut kinds = vec![ByteArray::new(); KeyKind::ALL.len()];
        for k in KeyKind::ALL {
            kinds[k as usize] = ByteArray::from(k.as_str().as_bytes().to_vec());
        }
        let consts = Constants {
            ids: [
                ByteArray::from(ids.acquisition_id.clone().into_bytes()),
                ByteArray::from(ids.case_id.clone().into_bytes()),
            ],
            kinds,
        };
        // Two groups in flight at most (one queued, one being encoded) besides the one filling.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Columns>(1);
        let t = tmp.clone();
        let thread = std::thread::Builder::new()
            .name("observables".into())
            .spawn(move || {
                let mut err = None;
                for c in rx {
                    if err.is_none() {
                        err = write_group(&mut writer, c, &consts, &t).err();
                    }
                }
                (writer, err)
            })
            .map_err(|e| ReportError::io(&tmp, e))?;
        Ok(ObservablesWriter {
            path: path.to_path_buf(),
            tmp,
            inner: Mutex::new(Inner {
                open: true,
                cols: Columns::default(),
                modules: HashMap::new(),
                names: Vec::new(),
                rows: 0,
            }),
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands a full row group to the writer thread (waiting while it encodes the one before).
    fn send(&self, cols: Columns) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(tx) = tx {
            // A closed channel means the writer thread is gone; `finish` reports why.
            let _ = tx.send(cols);
        }
    }

    /// Adds the observables of the next record of `<module>.json`. Records of one module must come in
    /// file order (they do: a module emits from one thread).
    pub fn record(&self, module: &str, rec: &Record) {
        if SKIPPED_MODULES.contains(&module) {
            return;
        }
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
        }
        SCRATCH.with(|sc| {
            let mut sc = sc.borrow_mut();
            extract(module, rec, &mut sc);
            let time = if sc.rows.is_empty() {
                None
            } else {
                record_micros(rec)
            };
            let full = {
                let mut g = self.lock();
                let inner = &mut *g;
                if !inner.open {
                    return;
                }
                let (index, m) = match inner.modules.get_mut(module) {
                    Some(e) => {
                        e.0 += 1;
                        (e.0 - 1, e.1)
                    }
                    None => {
                        let m = inner.names.len() as u32;
                        let file = format!("{}.json", crate::writer::file_stem(module));
                        inner.names.push((
                            ByteArray::from(module.as_bytes().to_vec()),
                            ByteArray::from(file.into_bytes()),
                        ));
                        inner.modules.insert(module.to_string(), (1, m));
                        (0, m)
                    }
                };
                if sc.rows.is_empty() {
                    return;
                }
                // Keep every span of a group within 32 bits: send a group early if this record would
                // pass that (groups are normally sent at GROUP_BYTES, far below).
                let early = if inner.cols.arena.len() + sc.arena.len() >= u32::MAX as usize {
                    let mut cols = std::mem::take(&mut inner.cols);
                    cols.names = inner.names.clone();
                    inner.rows += cols.len() as u64;
                    Some(cols)
                } else {
                    None
                };
                let c = &mut inner.cols;
                let base = c.arena.len() as u32;
                c.arena.extend_from_slice(&sc.arena);
                let at = |s: Span| (s.0 + base, s.1 + base);
                for &(kind, k, v, n, f) in &sc.rows {
                    c.kind.push(kind);
                    c.key.push(at(k));
                    c.value.push(at(v));
                    c.normalized.push(at(n));
                    c.field.push(at(f));
                    c.module.push(m);
                    c.record_index.push(index);
                    match time {
                        Some(t) => {
                            c.time.push(t);
                            c.time_def.push(1);
                        }
                        None => c.time_def.push(0),
                    }
                }
                let full = if c.len() >= ROW_GROUP_ROWS || c.arena.len() >= GROUP_BYTES {
                    let mut cols = std::mem::take(&mut inner.cols);
                    cols.names = inner.names.clone();
                    inner.rows += cols.len() as u64;
                    Some(cols)
                } else {
                    None
                };
                [early, full]
            };
            for cols in full.into_iter().flatten() {
                self.send(cols);
            }
        });
    }

    /// Ends the writer thread, returning the file writer and the first error it met.
    fn join(&self) -> Result<WriterResult, ReportError> {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        handle
            .ok_or_else(|| ReportError::other(&self.tmp, "observables file already closed"))?
            .join()
            .map_err(|_| ReportError::other(&self.tmp, "the observables writer thread panicked"))
    }

    /// Flushes the last row group, closes the file and gives it its name. Returns the rows written.
    pub fn finish(&self) -> Result<u64, ReportError> {
        let (cols, rows) = {
            let mut g = self.lock();
            if !g.open {
                return Ok(g.rows);
            }
            g.open = false;
            let mut cols = std::mem::take(&mut g.cols);
            cols.names = g.names.clone();
            g.rows += cols.len() as u64;
            (cols, g.rows)
        };
        self.send(cols);
        let give_up = |e: ReportError| {
            let _ = std::fs::remove_file(&self.tmp);
            Err(e)
        };
        let (w, err) = match self.join() {
            Ok(r) => r,
            Err(e) => return give_up(e),
        };
        if let Some(e) = err {
            drop(w);
            return give_up(e);
        }
        if let Err(e) = w.close() {
            return give_up(perr(&self.tmp, e));
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| ReportError::io(&self.path, e))?;
        Ok(rows)
    }
}

impl Drop for ObservablesWriter {
    fn drop(&mut self) {
        // Not finished: end the writer thread and leave no half-written temporary file behind.
        if self.lock().open {
            let _ = self.join();
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
