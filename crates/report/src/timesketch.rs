//! `timeline.jsonl`: the timeline in Timesketch's JSON-lines import format.
//!
//! One object per line with the three fields Timesketch requires: `message` (the description),
//! `datetime` (ISO 8601 with offset, UTC) and `timestamp_desc` (the event name); plus `timestamp`
//! (microseconds since 1970), `module` and `data_type` (`telltale:<module>`). Events of detected records
//! also carry `alert_level`, `alert_message`, the matched `indicator`, `indicator_type` and
//! `indicator_family`, and the record's fields. The link between a timeline event and an alert is made by
//! module and time (best effort: the timeline does not name its record).
//!
//! Record fields are written as strings (so one field never gets two types in the search index), with
//! names made of ASCII letters, digits and `_` (dots would become nested objects); a name taken by one of
//! the fields above gets a `record_` prefix.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value};
use telltale_core::{Alert, Level, Record};

use crate::error::ReportError;
use crate::sorter::Row;

/// Field names telltale writes itself, or that Timesketch treats specially (`tag`, `label`); record
/// fields with these names get a `record_` prefix.
const OWN_FIELDS: [&str; 13] = [
    "tag",
    "label",
    "message",
    "datetime",
    "timestamp",
    "timestamp_desc",
    "module",
    "data_type",
    "alert_level",
    "alert_message",
    "indicator",
    "indicator_type",
    "indicator_family",
];

/// Longest record value written (characters).
const MAX_FIELD_CHARS: usize = 4096;

/// What a timeline event's line says about the alert(s) raised for its record.
#[derive(Debug, Clone)]
pub struct AlertTag {
    pub level: Level,
    pub message: String,
    pub indicator: Option<(String, String, String)>,
    pub record: Record,
}

impl AlertTag {
    pub fn from_alert(a: &Alert) -> Self {
        AlertTag {
            level: a.level,
            message: a.message.clone(),
            indicator: a
                .matched_indicator
                .as_ref()
                .map(|m| (m.value.clone(), m.kind.clone(), m.name.clone())),
            record: match &a.event {
                Value::Object(m) => m.clone(),
                _ => Record::new(),
            },
        }
    }

    /// Keeps the most severe of two tags for the same event.
    pub fn merge(&mut self, other: AlertTag) {
        if other.level > self.level {
            *self = other;
        }
    }
}

fn field_name(k: &str) -> String {
    let mut s: String = k
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('_') {
        s.insert_str(0, "field");
    }
    if OWN_FIELDS.contains(&s.as_str()) {
        s.insert_str(0, "record_");
    }
    s
}

fn field_value(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if s.chars().count() > MAX_FIELD_CHARS {
        s.chars().take(MAX_FIELD_CHARS).collect()
    } else {
        s
    }
}

/// The Timesketch object for one timeline row (`[timestamp, module, event, description]`).
pub fn line_object(row: &Row, tag: Option<&AlertTag>) -> Map<String, Value> {
    let ts = telltale_core::time::parse(&row[0]);
    let mut o = Map::new();
    o.insert("message".into(), Value::String(row[3].clone()));
    o.insert(
        "datetime".into(),
        Value::String(match ts {
            Some(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
            None => row[0].clone(),
        }),
    );
    if let Some(ts) = ts {
        o.insert("timestamp".into(), Value::from(ts.as_microsecond()));
    }
    o.insert("timestamp_desc".into(), Value::String(row[2].clone()));
    o.insert("module".into(), Value::String(row[1].clone()));
    o.insert(
        "data_type".into(),
        Value::String(format!("telltale:{}", row[1])),
    );
    if let Some(t) = tag {
        o.insert("alert_level".into(), Value::String(t.level.as_str().into()));
        o.insert("alert_message".into(), Value::String(t.message.clone()));
        if let Some((value, kind, family)) = &t.indicator {
            o.insert("indicator".into(), Value::String(value.clone()));
            o.insert("indicator_type".into(), Value::String(kind.clone()));
            o.insert("indicator_family".into(), Value::String(family.clone()));
        }
        for (k, v) in &t.record {
            let name = field_name(k);
            if !o.contains_key(&name) {
                o.insert(name, Value::String(field_value(v)));
            }
        }
    }
    o
}

/// Writes one timeline row as a Timesketch line, tagged with the alert level only.
pub fn write_line<W: Write>(
    w: &mut W,
    row: &Row,
    alert_level: Option<Level>,
) -> std::io::Result<()> {
    let tag = alert_level.map(|level| AlertTag {
        level,
        message: String::new(),
        indicator: None,
        record: Record::new(),
    });
    let mut o = line_object(row, tag.as_ref());
    if tag.is_some() {
        o.remove("alert_message");
    }
    serde_json::to_writer(&mut *w, &o)?;
    w.write_all(b"\n")
}

/// Writes one timeline row as a Timesketch line with what the alert says.
pub fn write_line_with<W: Write>(
    w: &mut W,
    row: &Row,
    tag: Option<&AlertTag>,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &line_object(row, tag))?;
    w.write_all(b"\n")
}

/// (module, normalised time) → the most severe alert of that record, from alerts.
pub fn tags_of(alerts: &[Alert]) -> HashMap<(String, String), AlertTag> {
    let mut tags: HashMap<(String, String), AlertTag> = HashMap::new();
    for a in alerts {
        let Some(t) = a.event_time.as_deref().and_then(telltale_core::time::parse) else {
            continue;
        };
        let key = (a.module.clone(), telltale_core::time::format(t));
        let tag = AlertTag::from_alert(a);
        match tags.get_mut(&key) {
            Some(old) => old.merge(tag),
            None => {
                tags.insert(key, tag);
            }
        }
    }
    tags
}

/// Writes `<dir>/timeline.jsonl` from the folder's timeline.csv and alerts.json (also for MVT folders).
/// Returns the number of lines written; no timeline.csv → no file, `Ok(0)`.
pub fn write_timesketch_from_dir(dir: &Path) -> Result<u64, ReportError> {
    let csv_path = dir.join("timeline.csv");
    if !csv_path.exists() {
        return Ok(0);
    }
    let alerts: Vec<Alert> = crate::html::read_alert_values(dir)?
        .into_iter()
        .map(|a| a.alert)
        .collect();
    let tags = tags_of(&alerts);
    let f = File::open(&csv_path).map_err(|e| ReportError::io(&csv_path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(f));
    let out_path = dir.join("timeline.jsonl");
    let tmp = dir.join(".timeline.jsonl.tmp");
    let mut w = BufWriter::new(File::create(&tmp).map_err(|e| ReportError::io(&tmp, e))?);
    let mut n = 0;
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ReportError::csv(&csv_path, e)),
        }
        let row: Row = [0, 1, 2, 3].map(|i| rec.get(i).unwrap_or("").to_string());
        let tag = telltale_core::time::parse(&row[0])
            .and_then(|t| tags.get(&(row[1].clone(), telltale_core::time::format(t))));
        write_line_with(&mut w, &row, tag).map_err(|e| ReportError::io(&tmp, e))?;
        n += 1;
    }
    w.into_inner()
        .map_err(|e| ReportError::io(&tmp, e.into_error()))?;
    std::fs::rename(&tmp, &out_path).map_err(|e| ReportError::io(&out_path, e))?;
    Ok(n)
}
