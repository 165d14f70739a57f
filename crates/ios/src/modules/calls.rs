//! calls: the call history, `HomeDomain/Library/CallHistoryDB/CallHistory.storedata` (ZCALLRECORD).
//!
//! Records `isodate`, `duration`, `location`, `number`, `provider` (MVT's fields) plus `direction` and
//! `answered` when present. No indicator kind applies to phone numbers; the calls go on the timeline.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{col_or_null, open_if_present, sql_f64, sql_string};

pub const PATH: &str = "HomeDomain/Library/CallHistoryDB/CallHistory.storedata";

pub struct Calls;

impl Module for Calls {
    fn name(&self) -> &'static str {
        "calls"
    }
    fn description(&self) -> &'static str {
        "Phone and FaceTime calls (CallHistory.storedata)"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let cols = db.columns("ZCALLRECORD")?;
        if cols.is_empty() {
            out.no_data(format!("{PATH} has no ZCALLRECORD table"));
            return Ok(());
        }
        let pick = |c: &str| col_or_null(&cols, "", c);
        let sql = format!(
            "SELECT {}, {}, {}, {}, {}, {}, {} FROM ZCALLRECORD ORDER BY Z_PK",
            pick("ZDATE"),
            pick("ZDURATION"),
            pick("ZLOCATION"),
            pick("ZADDRESS"),
            pick("ZSERVICE_PROVIDER"),
            pick("ZORIGINATED"),
            pick("ZANSWERED")
        );
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let g = |i: usize| row.get_ref(i).ok();
            let date = g(0).and_then(sql_f64).and_then(time::from_mac_absolute);
            let duration = g(1).and_then(sql_f64);
            let number = g(3).and_then(sql_string);
            let provider = g(4).and_then(sql_string);
            let direction = match g(5).and_then(sql_f64) {
                Some(1.0) => Some("outgoing"),
                Some(_) => Some("incoming"),
                None => None,
            };
            let rec = record! {
                "isodate" => time::format_opt(date),
                "duration" => duration,
                "location" => g(2).and_then(sql_string),
                "number" => number,
                "provider" => provider,
                "direction" => direction,
                "answered" => g(6).and_then(sql_f64).map(|x| x == 1.0),
            };
            out.record(&rec);
            out.timeline(
                date,
                "call",
                format!(
                    "{} {} using {} during {} seconds",
                    if direction == Some("outgoing") {
                        "To"
                    } else {
                        "From"
                    },
                    number.as_deref().unwrap_or("unknown number"),
                    provider.as_deref().unwrap_or("unknown provider"),
                    duration.unwrap_or(0.0)
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_testkit::ios_dbs::{CallHistoryDb, IosVersion};

    #[test]
    fn both_layouts_read_numbers_text_or_blob() {
        for v in [IosVersion::V12, IosVersion::V17] {
            let f = Folder::new();
            CallHistoryDb::new(v)
                .call("+15555550100", 700_000_000.0, 42.0, true)
                .call("+15555550101", 700_000_100.0, 0.0, false)
                .write(f.path(PATH))
                .unwrap();
            let r = run(&Calls, &f, &iocs(&[]));
            assert_eq!(r.records.len(), 2, "{v:?}");
            assert_eq!(r.records[0]["number"], "+15555550100");
            assert_eq!(r.records[0]["duration"], 42.0);
            assert_eq!(r.records[0]["direction"], "outgoing");
            assert_eq!(r.records[1]["direction"], "incoming");
            assert_eq!(r.records[0]["isodate"], "2023-03-08 20:26:40.000000");
            assert_eq!(r.timeline.len(), 2);
            assert!(r.alerts.is_empty());
        }
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(
            PATH,
            b"garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage",
        );
        assert!(run(&Calls, &f, &iocs(&[])).failed_with("CallHistory.storedata"));
        assert!(matches!(
            run(&Calls, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
