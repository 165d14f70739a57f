//! analytics_ios_versions: when each iOS build first appears in the SFAnalytics events
//! (`private/var/Keychains/Analytics/*.db`, the `build` key of each event): one record per build
//! (MVT's `isodate`, `build`, `version`), on the timeline. The version of a build is the one the
//! dump's own analytics journals name for it (telltale ships no build table); `null` otherwise.

use std::collections::BTreeMap;

use serde_json::Value;
use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use super::analytics::{PATTERNS, read_events};
use super::ios_version_history::known_builds;
use crate::util::each_artifact;

pub struct AnalyticsIosVersions;

impl Module for AnalyticsIosVersions {
    fn name(&self) -> &'static str {
        "analytics_ios_versions"
    }
    fn description(&self) -> &'static str {
        "First appearance of each iOS build in the SFAnalytics events (timeline)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let mut first: BTreeMap<String, jiff::Timestamp> = BTreeMap::new();
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no SFAnalytics database in the acquisition",
            |p, out| {
                for ev in read_events(ctx, p, out)? {
                    let (Some(b), Some(t)) =
                        (ev.data.get("build").and_then(Value::as_str), ev.time)
                    else {
                        continue;
                    };
                    let e = first.entry(b.to_string()).or_insert(t);
                    if t < *e {
                        *e = t;
                    }
                }
                Ok(())
            },
        )?;
        let versions = known_builds(ctx);
        let mut rows: Vec<(jiff::Timestamp, String)> =
            first.into_iter().map(|(b, t)| (t, b)).collect();
        rows.sort();
        for (t, build) in rows {
            let version = versions
                .iter()
                .find(|(b, _)| *b == build)
                .map(|(_, v)| v.clone());
            let rec = record! {
                "isodate" => time::format(t),
                "build" => build,
                "version" => version,
            };
            out.record(&rec);
            out.timeline(
                Some(t),
                "analytics_ios_version",
                format!(
                    "Seen iOS version {} ({build})",
                    version.as_deref().unwrap_or("unknown")
                ),
            );
        }
        Ok(())
    }
}
