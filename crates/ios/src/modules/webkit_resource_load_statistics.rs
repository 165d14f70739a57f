//! webkit_resource_load_statistics: WebKit's Intelligent Tracking Prevention database `observations.db`
//! (Safari's and every app's WebKit data). One record per observed registrable domain; each domain is
//! checked against the indicators (Pegasus domains loaded in a web view show up here).

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{backup_domain, each_artifact, open_db, sql_f64, sql_i64, sql_string};

pub struct WebkitResourceLoadStatistics;

const PATTERNS: &[&str] = &[
    "*/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db",
    "*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/observations.db",
];

impl Module for WebkitResourceLoadStatistics {
    fn name(&self) -> &'static str {
        "webkit_resource_load_statistics"
    }
    fn description(&self) -> &'static str {
        "WebKit ResourceLoadStatistics observations.db of Safari and apps: observed domains checked against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        each_artifact(
            ctx,
            out,
            PATTERNS,
            "no WebKit observations.db in this backup",
            |p, out| process(ctx, p, out),
        )
    }
}

fn process(ctx: &ModuleContext<'_>, path: &str, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
    let db = open_db(ctx.evidence, path, out)?;
    db.tables()?;
    let cols = db.columns("ObservedDomains")?;
    let has = |c: &str| cols.iter().any(|x| x == c);
    for c in [
        "domainID",
        "registrableDomain",
        "lastSeen",
        "hadUserInteraction",
    ] {
        if !has(c) {
            return Err(ModuleError::parse(
                path,
                format!("ObservedDomains has no {c} column"),
            ));
        }
    }
    let optional: Vec<(&str, &str)> = [
        (
            "mostRecentUserInteractionTime",
            "most_recent_user_interaction_time",
        ),
        (
            "mostRecentWebPushInteractionTime",
            "most_recent_web_push_interaction_time",
        ),
    ]
    .into_iter()
    .filter(|(c, _)| has(c))
    .collect();
    let mut q = String::from("SELECT domainID, registrableDomain, lastSeen, hadUserInteraction");
    for (c, _) in &optional {
        q.push_str(", ");
        q.push_str(c);
    }
    q.push_str(" FROM ObservedDomains ORDER BY lastSeen");
    let domain = backup_domain(path);
    let mut st = db.conn().prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = st.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i| r.get_ref(i).map_err(|e| db.err(e));
        let registrable = sql_string(get(1)?).unwrap_or_default();
        let last_seen = sql_f64(get(2)?);
        let ts = last_seen.and_then(time::from_unix);
        let mut rec = record! {
            "domain_id" => sql_i64(get(0)?),
            "registrable_domain" => registrable,
            "last_seen" => last_seen,
            "had_user_interaction" => sql_i64(get(3)?).unwrap_or(0) != 0,
            "last_seen_isodate" => time::format_opt(ts),
            "domain" => domain,
            "path" => path,
        };
        for (i, (_, field)) in optional.iter().enumerate() {
            let v = sql_f64(get(4 + i)?);
            rec.insert((*field).into(), v.into());
            if let Some(t) = v.filter(|v| *v >= 0.0).and_then(time::from_unix) {
                rec.insert(format!("{field}_isodate"), time::format(t).into());
            }
        }
        out.record(&rec);
        out.timeline(
            ts,
            "visit",
            format!("Webkit resource loaded from {registrable} by app in domain {domain}"),
        );
        let matches = ctx.iocs.match_host(&registrable);
        out.ioc_alerts(
            &matches,
            &format!("Domain {registrable} loaded by WebKit in {domain}"),
            ts,
            &rec,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{evil, run};
    use telltale_core::Level;
    use telltale_testkit::ios_web::{
        ObservationsVariant, WebkitObservations as W, utc, write_garbage,
    };

    #[test]
    fn observed_indicator_domain_is_high() {
        let dir = tempfile::tempdir().unwrap();
        W::new()
            .domain("google.com", utc("2021-10-18T12:30:50Z"), true)
            .domain("evil.com", utc("2021-10-18T12:31:00Z"), false)
            .domain("notevil.com", utc("2021-10-18T12:32:00Z"), false)
            .domain("wikipedia.org", utc("2021-10-18T12:33:00Z"), true)
            .redirect("google.com", "evil.com")
            .write_in(dir.path(), "AppDomain-com.google.chrome.ios");
        W::new()
            .variant(ObservationsVariant::Legacy)
            .domain("apple.com", utc("2019-01-01T00:00:00Z"), true)
            .write_in(dir.path(), "HomeDomain");
        let r = run(&WebkitResourceLoadStatistics, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.records.len(), 5);
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1, "{:?}", r.alerts);
        assert_eq!(high[0].event["registrable_domain"], "evil.com");
        assert_eq!(high[0].event["domain"], "AppDomain-com.google.chrome.ios");
        assert_eq!(
            high[0].event["last_seen_isodate"],
            "2021-10-18 12:31:00.000000"
        );
        let google = r
            .records
            .iter()
            .find(|x| x["registrable_domain"] == "google.com")
            .unwrap();
        assert_eq!(google["had_user_interaction"], true);
        assert!(google.contains_key("most_recent_user_interaction_time_isodate"));
        let apple = r
            .records
            .iter()
            .find(|x| x["registrable_domain"] == "apple.com")
            .unwrap();
        assert!(!apple.contains_key("most_recent_user_interaction_time"));
    }

    #[test]
    fn missing_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&WebkitResourceLoadStatistics, dir.path(), &evil()).is_no_data());
        write_garbage(&dir.path().join("HomeDomain").join(W::RELATIVE_PATH));
        let r = run(&WebkitResourceLoadStatistics, dir.path(), &evil());
        assert!(r.failed().unwrap().contains("observations.db"));
    }

    #[test]
    fn one_corrupt_copy_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        write_garbage(&dir.path().join("AppDomain-com.a.b").join(W::RELATIVE_PATH));
        W::new()
            .domain("evil.com", utc("2021-10-18T12:31:00Z"), false)
            .write_in(dir.path(), "HomeDomain");
        let r = run(&WebkitResourceLoadStatistics, dir.path(), &evil());
        assert!(r.is_ok());
        assert_eq!(r.at(Level::Critical).len(), 1);
        assert_eq!(r.outcome.warnings.len(), 1);
    }
}
