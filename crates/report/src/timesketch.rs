//! `timeline.jsonl`: the timeline in Timesketch's JSON-lines import format.
//!
//! One object per line: `message` (the description), `datetime` (ISO 8601, UTC), `timestamp` (microseconds
//! since 1970), `timestamp_desc` (the event name), `module`, and `alert_level` when an alert was raised by
//! the same module for a record with the same time (the link between timeline events and alerts is not
//! explicit, so this is a best effort).

use std::io::Write;

use serde::Serialize;
use telltale_core::Level;

use crate::sorter::Row;

#[derive(Serialize)]
struct Line<'a> {
    message: &'a str,
    datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    timestamp_desc: &'a str,
    module: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert_level: Option<Level>,
}

/// Writes one timeline row (`[timestamp, module, event, description]`) as a Timesketch line.
pub fn write_line<W: Write>(
    w: &mut W,
    row: &Row,
    alert_level: Option<Level>,
) -> std::io::Result<()> {
    let ts = telltale_core::time::parse(&row[0]);
    let line = Line {
        message: &row[3],
        datetime: match ts {
            Some(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
            None => row[0].clone(),
        },
        timestamp: ts.map(|t| t.as_microsecond()),
        timestamp_desc: &row[2],
        module: &row[1],
        alert_level,
    };
    serde_json::to_writer(&mut *w, &line)?;
    w.write_all(b"\n")
}
