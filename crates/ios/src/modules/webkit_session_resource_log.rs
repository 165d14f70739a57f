//! webkit_session_resource_log: WebKit's `full_browsing_session_resourceLog.plist` (Safari's and apps'
//! WebKit data). One record per `browsingStatistics` entry: the origin, the domains it redirected to and
//! from, and the frames/resources it was loaded under. Every domain is checked against the indicators
//! (Pegasus' redirect chains were found here).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{backup_domain, each_artifact, plist_time_as};

pub struct WebkitSessionResourceLog;

const PATTERNS: &[&str] = &[
    "*/Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist",
    "*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/full_browsing_session_resourceLog.plist",
];

/// Resource logs larger than this are refused.
const MAX_SIZE: u64 = 256 << 20;

impl Module for WebkitSessionResourceLog {
    fn name(&self) -> &'static str {
        "webkit_session_resource_log"
    }
    fn description(&self) -> &'static str {
        "WebKit browsing-session resource logs: origins, redirects and embedded domains checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no WebKit full_browsing_session_resourceLog.plist in this backup",
            |p, out| process(ctx, p, out),
        )
    }
}

/// Domains of a list: dictionaries with `origin`/`domain`, or plain strings.
fn domains(v: Option<&plist::Value>) -> Vec<String> {
    let mut out = Vec::new();
    for item in v.and_then(|v| v.as_array()).into_iter().flatten() {
        match item {
            plist::Value::String(s) => out.push(s.clone()),
            plist::Value::Dictionary(d) => {
                for k in ["origin", "domain"] {
                    if let Some(s) = d.get(k).and_then(|x| x.as_string()) {
                        out.push(s.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A date, or Unix seconds (WebKit writes both).
fn date(v: Option<&plist::Value>) -> Option<jiff::Timestamp> {
    plist_time_as(v?, time::from_unix)
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|d| format!("\"{d}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let bytes = ctx.evidence.read_limited(path, MAX_SIZE)?;
    let root: plist::Value = plist::from_bytes(&bytes)
        .map_err(|e| ModuleError::parse(path, format!("not a plist: {e}")))?;
    let Some(dict) = root.as_dictionary() else {
        return Err(ModuleError::parse(path, "not a dictionary plist"));
    };
    let Some(stats) = dict.get("browsingStatistics").and_then(|v| v.as_array()) else {
        out.warn(format!("{path}: no browsingStatistics"));
        return Ok(());
    };
    let app_domain = backup_domain(path);
    for item in stats {
        let Some(d) = item.as_dictionary() else {
            continue;
        };
        let origin = d
            .get("PrevalentResourceOrigin")
            .and_then(|v| v.as_string())
            .unwrap_or("")
            .to_string();
        let from = domains(d.get("topFrameUniqueRedirectsFrom"));
        let to = domains(d.get("topFrameUniqueRedirectsTo"));
        let subframe = domains(d.get("subframeUnderTopFrameOrigins"));
        let subresource = domains(d.get("subresourceUnderTopFrameOrigins"));
        let last_seen = date(d.get("lastSeen"));
        let interaction = date(d.get("mostRecentUserInteraction"));
        let rec = record! {
            "origin" => origin,
            "redirect_source" => from,
            "redirect_destination" => to,
            "subframe_under_origin" => subframe,
            "subresource_under_origin" => subresource,
            "user_interaction" => d.get("hadUserInteraction").and_then(|v| v.as_boolean()),
            "most_recent_interaction" => time::format_opt(interaction),
            "last_seen" => time::format_opt(last_seen),
            "domain" => app_domain,
            "path" => path,
        };
        out.record(&rec);
        out.timeline(
            last_seen,
            "resource_log_last_seen",
            format!("WebKit resource log: {origin} last seen"),
        );
        out.timeline(
            interaction,
            "resource_log_user_interaction",
            format!("WebKit resource log: user interaction with {origin}"),
        );

        let mut all: Vec<&String> = std::iter::once(&origin)
            .chain(&from)
            .chain(&to)
            .chain(&subframe)
            .chain(&subresource)
            .collect();
        all.sort();
        all.dedup();
        let mut chain = String::new();
        if !from.is_empty() {
            chain.push_str(&format!("SOURCE: {} -> ", quoted(&from)));
        }
        chain.push_str(&format!("ORIGIN: \"{origin}\""));
        if !to.is_empty() {
            chain.push_str(&format!(" -> DESTINATION: {}", quoted(&to)));
        }
        let mut seen = std::collections::HashSet::new();
        for dom in all.into_iter().filter(|d| !d.is_empty()) {
            let fresh: Vec<_> = ctx
                .iocs
                .match_host(dom)
                .into_iter()
                .filter(|m| seen.insert((m.kind, m.value.clone())))
                .collect();
            out.ioc_alerts(
                &fresh,
                &format!("Domain {dom} in a WebKit browsing session (redirect path {chain})"),
                last_seen,
                &rec,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        ResourceLogEntry as E, ResourceLogVariant, SessionResourceLog as L, utc, write_garbage,
    };

    #[test]
    fn redirect_through_indicator_domain_is_high() {
        let dir = tempfile::tempdir().unwrap();
        L::new()
            .entry(
                E::new("news.example.org")
                    .redirects_to("bit.example")
                    .last_seen(utc("2021-05-01T08:00:00Z"))
                    .interaction(utc("2021-05-01T07:59:00Z")),
            )
            .entry(
                E::new("bit.example")
                    .redirects_from("news.example.org")
                    .redirects_to("x.evil.com"),
            )
            .entry(E::new("wikipedia.org").subresource_under("notevil.com"))
            .write_in(dir.path(), "AppDomain-com.apple.mobilesafari");
        let r = run(&WebkitSessionResourceLog, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.records[0]["redirect_destination"][0], "bit.example");
        assert_eq!(r.records[0]["last_seen"], "2021-05-01 08:00:00.000000");
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(high[0].event["origin"], "bit.example");
        assert!(
            high[0]
                .message
                .contains("SOURCE: \"news.example.org\" -> ORIGIN: \"bit.example\"")
        );
        assert_eq!(r.timeline.len(), 2);
    }

    #[test]
    fn variants_of_domain_lists() {
        for v in [ResourceLogVariant::DomainDicts, ResourceLogVariant::Strings] {
            let dir = tempfile::tempdir().unwrap();
            L::new()
                .variant(v)
                .entry(E::new("a.example").subframe_under("evil.com"))
                .write_in(dir.path(), "HomeDomain");
            let r = run(&WebkitSessionResourceLog, dir.path(), &evil());
            assert_eq!(r.at(Level::Critical).len(), 1, "{v:?}");
            assert_eq!(r.records[0]["subframe_under_origin"][0], "evil.com");
        }
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&WebkitSessionResourceLog, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join("HomeDomain").join(L::RELATIVE_PATH));
        let r = run(&WebkitSessionResourceLog, dir.path(), &evil());
        assert!(
            r.failed()
                .unwrap()
                .contains("full_browsing_session_resourceLog.plist")
        );
    }
}
