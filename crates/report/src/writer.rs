//! [`OutputDir`]: the MVT-compatible output folder, written while records stream in.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use telltale_core::engine::{ModuleOutcome, ModuleStatus, Output};
use telltale_core::{Alert, Record, TimelineEvent};

use crate::error::ReportError;
use crate::json::JsonArrayWriter;
use crate::log::CommandLog;
use crate::sorter::{DEFAULT_CHUNK_ROWS, ExternalSorter, Row};
use crate::timesketch::AlertTag;

pub const TIMELINE_HEADER: [&str; 4] = ["UTC Timestamp", "Plugin", "Event", "Description"];
pub const ALERTS_TIMELINE_HEADER: [&str; 4] = ["Event Time", "Module", "Message", "Event"];

/// Settings of an [`OutputDir`].
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// Also write `timeline.jsonl` (Timesketch import format).
    pub timesketch: bool,
    /// Timeline rows held in memory before a sorted chunk is spilled to a temporary file.
    pub chunk_rows: usize,
    /// Write `observables.parquet` for this case (see [`crate::observables`]).
    pub observables: Option<crate::observables::CaseIds>,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            timesketch: false,
            chunk_rows: DEFAULT_CHUNK_ROWS,
            observables: None,
        }
    }
}

/// What [`OutputDir::finish`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinishStats {
    pub timeline_events: u64,
    pub alerts: u64,
    pub alerts_timeline_rows: u64,
}

type Stream = Arc<Mutex<JsonArrayWriter>>;

/// Writes a run's outputs into a folder as they come: `<module>.json`, `<module>_detected.json`,
/// `alerts.json`, and, at [`finish`](OutputDir::finish), the sorted `timeline.csv` and
/// `alerts_timeline.csv` (and `timeline.jsonl` when asked). Logs module progress to `command.log`.
///
/// All methods may be called from many threads. Write errors never panic: the first is kept and returned
/// by `finish` (and logged).
pub struct OutputDir {
    dir: PathBuf,
    opts: OutputOptions,
    log: Arc<CommandLog>,
    streams: Mutex<HashMap<String, Stream>>,
    /// module name → its (`<module>.json`, `<module>_detected.json`) streams, so that a record costs no
    /// file-name formatting.
    by_module: Mutex<HashMap<String, [Stream; 2]>>,
    alerts: Mutex<JsonArrayWriter>,
    alert_count: AtomicU64,
    /// (module, event time) → most severe alert, to tag Timesketch events of detected records.
    alert_levels: Mutex<HashMap<(String, String), AlertTag>>,
    /// The page's view of the timeline, computed while writing timeline.csv.
    digest: Mutex<Option<crate::html::TimelineDigest>>,
    timeline: ExternalSorter,
    alerts_timeline: ExternalSorter,
    error: Mutex<Option<ReportError>>,
    finished: AtomicBool,
    observables: Option<crate::observables::ObservablesWriter>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A module name made safe as a file name (`<stem>.json`): characters other than ASCII letters, digits,
/// `_`, `-` and `.` become `_`.
pub fn file_stem(module: &str) -> String {
    let s: String = module
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

impl OutputDir {
    /// Creates the folder (if needed) and opens `command.log` in it.
    pub fn create(dir: &Path, opts: OutputOptions) -> Result<Self, ReportError> {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
        let log = Arc::new(CommandLog::open(dir)?);
        let mut out = Self::with_log(dir, opts, log);
        if let Some(ids) = &out.opts.observables {
            out.observables = Some(crate::observables::ObservablesWriter::create(dir, ids)?);
        }
        Ok(out)
    }

    /// Like [`create`](OutputDir::create) with a log the caller already opened (the folder must exist).
    pub fn with_log(dir: &Path, opts: OutputOptions, log: Arc<CommandLog>) -> Self {
        OutputDir {
            dir: dir.to_path_buf(),
            log,
            streams: Mutex::new(HashMap::new()),
            by_module: Mutex::new(HashMap::new()),
            alerts: Mutex::new(JsonArrayWriter::new(dir.join("alerts.json"))),
            alert_count: AtomicU64::new(0),
            alert_levels: Mutex::new(HashMap::new()),
            digest: Mutex::new(None),
            timeline: ExternalSorter::new(dir, "timeline", opts.chunk_rows),
            alerts_timeline: ExternalSorter::new(dir, "alerts-timeline", opts.chunk_rows),
            error: Mutex::new(None),
            finished: AtomicBool::new(false),
            observables: None,
            opts,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The page's view of the timeline computed by [`finish`](OutputDir::finish), for
    /// [`crate::write_html_report_digest`] (so that report.html does not read timeline.csv again).
    pub fn take_timeline_digest(&self) -> Option<crate::html::TimelineDigest> {
        lock(&self.digest).take()
    }

    /// The run's `command.log`, shared with the CLI.
    pub fn log(&self) -> &Arc<CommandLog> {
        &self.log
    }

    /// Records a write error (the first one is reported by `finish`) and logs it.
    fn fail(&self, e: ReportError) {
        self.log.error(format!("write error: {e}"));
        let mut err = lock(&self.error);
        if err.is_none() {
            *err = Some(e);
        }
    }

    fn check(&self, r: Result<(), ReportError>) {
        if let Err(e) = r {
            self.fail(e);
        }
    }

    fn stream(&self, file_name: String) -> Stream {
        let mut map = lock(&self.streams);
        map.entry(file_name)
            .or_insert_with_key(|name| {
                Arc::new(Mutex::new(JsonArrayWriter::new(self.dir.join(name))))
            })
            .clone()
    }

    fn module_stream(&self, module: &str, detected: bool) -> Stream {
        let i = usize::from(detected);
        if let Some(s) = lock(&self.by_module).get(module) {
            return s[i].clone();
        }
        let stem = file_stem(module);
        let pair = [
            self.stream(format!("{stem}.json")),
            self.stream(format!("{stem}_detected.json")),
        ];
        let s = pair[i].clone();
        lock(&self.by_module).insert(module.to_string(), pair);
        s
    }

    fn write_record(&self, module: &str, detected: bool, rec: &Record) {
        let stream = self.module_stream(module, detected);
        let r = lock(&stream).push(rec);
        self.check(r);
    }

    fn close_stream(&self, file_name: &str) {
        let stream = lock(&self.streams).get(file_name).cloned();
        if let Some(s) = stream {
            let r = lock(&s).close(false);
            self.check(r);
        }
    }

    /// Closes every file, writes the sorted timelines and returns the first write error, if any.
    /// Calling it again does nothing.
    pub fn finish(&self) -> Result<FinishStats, ReportError> {
        if self.finished.swap(true, Ordering::SeqCst) {
            return Ok(FinishStats::default());
        }
        let streams: Vec<Stream> = lock(&self.streams).values().cloned().collect();
        for s in streams {
            let r = lock(&s).close(false);
            self.check(r);
        }
        let r = lock(&self.alerts).close(true);
        self.check(r);
        if let Some(o) = &self.observables {
            match o.finish() {
                Ok(rows) => self
                    .log
                    .info(format!("observables.parquet: {rows} match-key rows")),
                Err(e) => self.fail(e),
            }
        }

        let mut stats = FinishStats {
            alerts: self.alert_count.load(Ordering::SeqCst),
            ..Default::default()
        };
        match self.write_timelines() {
            Ok((t, a)) => {
                stats.timeline_events = t;
                stats.alerts_timeline_rows = a;
            }
            Err(e) => self.fail(e),
        }
        self.log.info(format!(
            "Outputs written to {}: {} alerts, {} timeline events",
            self.dir.display(),
            stats.alerts,
            stats.timeline_events
        ));
        if let Some(e) = lock(&self.error).take() {
            return Err(e);
        }
        if let Some(e) = self.log.take_error() {
            return Err(e);
        }
        Ok(stats)
    }

    fn write_timelines(&self) -> Result<(u64, u64), ReportError> {
        let levels = std::mem::take(&mut *lock(&self.alert_levels));
        let mut jsonl = None;
        let jsonl_path = self.dir.join("timeline.jsonl");
        let mut csv = LazyCsv::new(self.dir.join("timeline.csv"), TIMELINE_HEADER);
        let mut row: Row = Default::default();
        // The page's view of the timeline, computed on the way (alerts.json is complete by now).
        let alerts = crate::html::read_alert_values(&self.dir).unwrap_or_default();
        let mut scanner = crate::html::TimelineScanner::new(&alerts);
        drop(alerts);
        let timeline = self.timeline.drain_sorted_encoded(|bytes| {
            let f = crate::sorter::encoded_fields(bytes);
            csv.write_fields(&f)?;
            scanner.feed([&f[0], &f[1], &f[2], &f[3]]);
            if self.opts.timesketch {
                crate::sorter::decode_into(bytes, &mut row);
                let row = &row;
                if jsonl.is_none() {
                    let f =
                        File::create(&jsonl_path).map_err(|e| ReportError::io(&jsonl_path, e))?;
                    jsonl = Some(BufWriter::new(f));
                }
                if let Some(w) = jsonl.as_mut() {
                    let tag = levels.get(&(row[1].clone(), row[0].clone()));
                    crate::timesketch::write_line_with(w, row, tag)
                        .map_err(|e| ReportError::io(&jsonl_path, e))?;
                }
            }
            Ok(())
        })?;
        csv.finish()?;
        *lock(&self.digest) = Some(scanner.finish());
        if let Some(mut w) = jsonl {
            w.flush().map_err(|e| ReportError::io(&jsonl_path, e))?;
        }
        let mut acsv = LazyCsv::new(self.dir.join("alerts_timeline.csv"), ALERTS_TIMELINE_HEADER);
        let alerts = self.alerts_timeline.drain_sorted(|row| acsv.write(row))?;
        acsv.finish()?;
        Ok((timeline, alerts))
    }
}

/// A CSV file (all fields quoted, CRLF line ends like Python's csv module) created on its first row.
struct LazyCsv {
    path: PathBuf,
    header: [&'static str; 4],
    writer: Option<csv::Writer<BufWriter<File>>>,
}

impl LazyCsv {
    fn new(path: PathBuf, header: [&'static str; 4]) -> Self {
        LazyCsv {
            path,
            header,
            writer: None,
        }
    }

    fn write(&mut self, row: &Row) -> Result<(), ReportError> {
        if self.writer.is_none() {
            let f = File::create(&self.path).map_err(|e| ReportError::io(&self.path, e))?;
            let mut w = csv_writer(BufWriter::new(f));
            w.write_record(self.header)
                .map_err(|e| ReportError::csv(&self.path, e))?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_record(row)
                .map_err(|e| ReportError::csv(&self.path, e))?;
        }
        Ok(())
    }

    /// Writes a row given as field bytes (the sorter's encoded rows, not decoded to text).
    fn write_fields(
        &mut self,
        fields: &[std::borrow::Cow<'_, [u8]>; 4],
    ) -> Result<(), ReportError> {
        if self.writer.is_none() {
            let f = File::create(&self.path).map_err(|e| ReportError::io(&self.path, e))?;
            let mut w = csv_writer(BufWriter::new(f));
            w.write_record(self.header)
                .map_err(|e| ReportError::csv(&self.path, e))?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_record(fields.iter().map(|f| f.as_ref()))
                .map_err(|e| ReportError::csv(&self.path, e))?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), ReportError> {
        if let Some(w) = self.writer {
            let inner = w
                .into_inner()
                .map_err(|e| ReportError::io(&self.path, e.into_error()))?;
            inner
                .into_inner()
                .map_err(|e| ReportError::io(&self.path, e.into_error()))?;
        }
        Ok(())
    }
}

/// Buffer of the CSV writers (see [`csv_writer`]).
pub const CSV_BUFFER: usize = 1 << 20;

/// The CSV dialect of the outputs: every field quoted, quotes doubled, CRLF line ends.
///
/// The 1 MiB buffer is not for speed on ordinary rows: csv_core searches the whole rest of a quoted
/// field for the next quote each time the buffer fills, so a field of n bytes costs n²/(2·buffer) bytes
/// of scanning. With the default 8 KiB buffer a 32 MiB message text (an attacker can plant one) took
/// 4 s to write and a 64 MiB one about 14 s; with 1 MiB both take milliseconds.
pub fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .buffer_capacity(CSV_BUFFER)
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(w)
}

impl Output for OutputDir {
    fn module_started(&self, module: &str) {
        self.log.info(format!("Running module {module}"));
    }

    fn record(&self, module: &str, rec: &Record) {
        self.write_record(module, false, rec);
        if let Some(o) = &self.observables {
            o.record(module, rec);
        }
    }

    fn detected(&self, module: &str, rec: &Record) {
        self.write_record(module, true, rec);
    }

    fn timeline(&self, event: TimelineEvent) {
        let TimelineEvent {
            timestamp,
            module,
            event,
            description,
        } = event;
        let r = self.timeline.push([timestamp, module, event, description]);
        self.check(r);
    }

    fn timeline_row(&self, timestamp: &str, module: &str, event: &str, description: &str) {
        let r = self
            .timeline
            .push_fields(&[timestamp, module, event, description]);
        self.check(r);
    }

    fn alert(&self, alert: &Alert) {
        self.alert_count.fetch_add(1, Ordering::SeqCst);
        let r = lock(&self.alerts).push(alert);
        self.check(r);
        if let Some(time) = &alert.event_time {
            let event = serde_json::to_string(&alert.event).unwrap_or_default();
            let row = [
                time.clone(),
                alert.module.clone(),
                alert.message.clone(),
                event,
            ];
            let r = self.alerts_timeline.push(row);
            self.check(r);
            if self.opts.timesketch {
                let mut levels = lock(&self.alert_levels);
                let tag = AlertTag::from_alert(alert);
                match levels.get_mut(&(alert.module.clone(), time.clone())) {
                    Some(old) => old.merge(tag),
                    None => {
                        levels.insert((alert.module.clone(), time.clone()), tag);
                    }
                }
            }
        }
    }

    fn module_finished(&self, o: &ModuleOutcome) {
        let m = &o.module;
        for w in &o.warnings {
            self.log.warn(format!("{m}: {w}"));
        }
        let alerts: u64 = o.alerts.iter().sum();
        let ms = o.duration.as_secs_f64() * 1000.0;
        match &o.status {
            ModuleStatus::Ok => self.log.info(format!(
                "Module {m} finished: {} records, {alerts} alerts, {} warnings, {ms:.1} ms",
                o.records,
                o.warnings.len()
            )),
            ModuleStatus::NoData(why) => self.log.info(format!("Module {m}: no data ({why})")),
            ModuleStatus::Failed(e) => self.log.error(format!(
                "Module {m} failed after {} records: {e}",
                o.records
            )),
            ModuleStatus::Panicked(e) => self.log.error(format!(
                "Module {m} crashed (internal error) after {} records: {e}",
                o.records
            )),
        }
        let stem = file_stem(m);
        self.close_stream(&format!("{stem}.json"));
        self.close_stream(&format!("{stem}_detected.json"));
    }
}
