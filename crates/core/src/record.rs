//! Records and timeline events.

use serde::{Deserialize, Serialize};

/// A record extracted from an artifact: an ordered JSON object, as in MVT's `<module>.json`.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// Builds a [`Record`] from `key => value` pairs: `record! { "url" => url, "count" => 3 }`.
#[macro_export]
macro_rules! record {
    ($($k:expr => $v:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut r = $crate::Record::new();
        $( r.insert(::std::string::String::from($k), ::serde_json::json!($v)); )*
        r
    }};
}

/// One line of timeline.csv (`"UTC Timestamp","Plugin","Event","Description"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// `YYYY-MM-DD HH:MM:SS.ffffff`, UTC (sorts chronologically as a string).
    pub timestamp: String,
    /// The module that produced the event.
    pub module: String,
    /// Short name of what happened (e.g. `sms_received`, `visit`).
    pub event: String,
    pub description: String,
}
