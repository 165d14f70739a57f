//! telltale-report: the output writers of telltale, compatible with MVT's output folder.
//!
//! * [`OutputDir`] implements [`telltale_core::Output`]: `<module>.json`, `<module>_detected.json`,
//!   `alerts.json` streamed as results come (from many threads), `timeline.csv` and `alerts_timeline.csv`
//!   sorted at [`OutputDir::finish`] with bounded memory, optional `timeline.jsonl` for Timesketch;
//! * [`CommandLog`]: `command.log`, shared by the CLI and the writer;
//! * [`RunInfo`] and [`write_info`]: `info.json`;
//! * [`read`]: reading `<module>.json` and `alerts.json` back, for re-checking;
//! * [`html`]: `report.html`, a self-contained summary page for non-experts, rebuilt from a folder's files.

pub mod cases;
pub mod error;
pub mod explain;
pub mod html;
pub mod hunt;
pub mod info;
pub mod json;
pub mod log;
pub mod observables;
pub mod read;
pub mod recheck;
pub mod rematch;
pub mod sorter;
pub mod timesketch;
pub mod writer;

pub use error::ReportError;
pub use html::{
    HtmlOptions, TimelineDigest, render_html_report, write_html_report, write_html_report_digest,
    write_html_report_with,
};
pub use info::{
    AlertCounts, FileHash, IndicatorSetInfo, ModuleInfo, RunInfo, now_iso8601, write_info,
};
pub use log::{CommandLog, LogLevel};
pub use read::{list_modules, read_alerts, read_detected, read_records};
pub use writer::{FinishStats, OutputDir, OutputOptions};
