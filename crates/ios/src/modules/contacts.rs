//! contacts: the address book, `HomeDomain/Library/AddressBook/AddressBook.sqlitedb`
//! (ABPerson ⋈ ABMultiValue: one record per phone number, email address or other value of a person).
//!
//! Records `value`, `first`, `middle`, `last`, `organization` (MVT's fields) and `kind`
//! (phone/email/other). Email addresses are checked against the email indicators.

use telltale_core::{Emitter, Module, ModuleContext, ModuleError, record, time};

use crate::util::{open_if_present, sql_f64, sql_string};

pub const PATH: &str = "HomeDomain/Library/AddressBook/AddressBook.sqlitedb";

pub struct Contacts;

impl Module for Contacts {
    fn name(&self) -> &'static str {
        "contacts"
    }
    fn description(&self) -> &'static str {
        "Address book entries (AddressBook.sqlitedb): email addresses against indicators"
    }
    fn run(&self, ctx: &ModuleContext<'_>, out: &mut Emitter<'_>) -> Result<(), ModuleError> {
        let Some(db) = open_if_present(ctx, out, PATH)? else {
            return Ok(());
        };
        let pcols = db.columns("ABPerson")?;
        if pcols.is_empty() || !db.has_table("ABMultiValue") {
            out.no_data(format!("{PATH} has no ABPerson/ABMultiValue tables"));
            return Ok(());
        }
        let p = |c: &str| {
            if pcols.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                format!("person.{c}")
            } else {
                "NULL".into()
            }
        };
        let sql = format!(
            "SELECT multi.value, {}, {}, {}, {}, multi.property, {} FROM ABPerson person, ABMultiValue multi \
             WHERE person.ROWID = multi.record_id AND multi.value NOT NULL ORDER BY person.ROWID ASC",
            p("First"),
            p("Middle"),
            p("Last"),
            p("Organization"),
            p("CreationDate")
        );
        let mut st = db.conn().prepare(&sql).map_err(|e| db.err(e))?;
        let mut rows = st.query([]).map_err(|e| db.err(e))?;
        let mut last_person_created = None;
        while let Some(row) = rows.next().map_err(|e| db.err(e))? {
            let g = |i: usize| row.get_ref(i).ok().and_then(sql_string);
            let value = g(0).unwrap_or_default();
            let kind = match row.get_ref(5).ok().and_then(sql_f64) {
                Some(3.0) => "phone",
                Some(4.0) => "email",
                _ if value.contains('@') => "email",
                _ => "other",
            };
            let created = row
                .get_ref(6)
                .ok()
                .and_then(sql_f64)
                .and_then(time::from_mac_absolute);
            let rec = record! {
                "value" => value,
                "first" => g(1),
                "middle" => g(2),
                "last" => g(3),
                "organization" => g(4),
                "kind" => kind,
            };
            out.record(&rec);
            let name = [g(1), g(2), g(3)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if created.is_some() && created != last_person_created {
                out.timeline(
                    created,
                    "contact_created",
                    format!("Contact {name} created"),
                );
                last_person_created = created;
            }
            if kind == "email" {
                let matches = ctx.iocs.match_email(&value);
                out.ioc_alerts(
                    &matches,
                    &format!("Contact email address {value}"),
                    created,
                    &rec,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::testing::{Folder, iocs, run};
    use telltale_core::Level;
    use telltale_core::ioc::IndicatorKind;
    use telltale_testkit::ios_dbs::AddressBookDb;

    /// The testkit's address book declares `ABPersonFullTextSearch` with Apple's `ab_cf_tokenizer`, as a
    /// real one does: every contact is read and its indicator alert raised; the unchecked full-text table
    /// is a warning, not a failure.
    #[test]
    fn real_address_book_with_apple_tokenizer_is_read() {
        let f = Folder::new();
        AddressBookDb::new()
            .person("Ann", "Operator", None, &[], &["ops@evil.com"])
            .person("Bob", "Friend", None, &["+15555550101"], &[])
            .write(f.path(PATH))
            .unwrap();
        let r = run(
            &Contacts,
            &f,
            &iocs(&[(IndicatorKind::Email, "ops@evil.com")]),
        );
        assert!(r.is_ok(), "{:?}", r.outcome.status);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.at(Level::Critical).len(), 1);
        assert!(
            r.outcome
                .warnings
                .iter()
                .any(|w| w.contains("ABPersonFullTextSearch") && w.contains("ab_cf_tokenizer")),
            "{:?}",
            r.outcome.warnings
        );
    }

    #[test]
    fn email_indicator_matches_exactly() {
        let f = Folder::new();
        AddressBookDb::new()
            .person(
                "Ann",
                "Operator",
                Some("ACME"),
                &["+15555550100"],
                &["ops@evil.com"],
            )
            .person(
                "Bob",
                "Friend",
                None,
                &["+15555550101"],
                &["ops@notevil.com"],
            )
            .write(f.path(PATH))
            .unwrap();
        let r = run(
            &Contacts,
            &f,
            &iocs(&[(IndicatorKind::Email, "ops@evil.com")]),
        );
        assert_eq!(r.records.len(), 4);
        assert_eq!(r.records[0]["first"], "Ann");
        assert_eq!(r.records[0]["kind"], "phone");
        let high = r.at(Level::Critical);
        assert_eq!(high.len(), 1);
        assert_eq!(high[0].event["value"], "ops@evil.com");
        assert_eq!(high[0].event["organization"], "ACME");
    }

    #[test]
    fn malformed_and_missing() {
        let f = Folder::new();
        f.put(PATH, &[0u8; 1000]);
        let r = run(&Contacts, &f, &iocs(&[]));
        assert!(
            r.failed_with("AddressBook.sqlitedb")
                || matches!(r.outcome.status, telltale_core::ModuleStatus::NoData(_))
        );
        let f = Folder::new();
        f.put(
            PATH,
            b"SQLite format 3\0 but then garbage garbage garbage garbage garbage garbage garbage",
        );
        assert!(run(&Contacts, &f, &iocs(&[])).failed_with("AddressBook.sqlitedb"));
        assert!(matches!(
            run(&Contacts, Folder::new(), &iocs(&[])).outcome.status,
            telltale_core::ModuleStatus::NoData(_)
        ));
    }
}
