//! Real phones' databases carry virtual tables that only iOS can open: full-text tables built with
//! Apple's own tokenizers (`tokenize=ab_cf_tokenizer` in AddressBook.sqlitedb) or modules that exist only
//! on the phone. Every iOS module must read its database the same with them as without: same records,
//! same alerts, never "failed". Each SQLite artifact of the fuzz targets' table (one per iOS database a
//! module reads, written by the testkit with its real schema) is checked with the three kinds of such
//! tables declared in it (`telltale_testkit::sqlite_vtab`).

use telltale_core::engine::{MemoryOutput, ModuleStatus, run_modules};
use telltale_core::ioc::{IndicatorKind, IocIndex};
use telltale_core::{ModuleContext, RunOptions};
use telltale_fuzz_targets::MemEvidence;
use telltale_fuzz_targets::ios_artifacts::{PATHS, example};
use telltale_testkit::sqlite_vtab::{AppleVtab, declare_in_bytes};

/// Modules that open their database without the up-front integrity check.
const LAZY: [&str; 3] = ["manifest", "sms", "safari_history"];

/// One module's outcome: name, status, records, alerts by level, warnings.
type Outcome = (String, ModuleStatus, u64, [u64; 5], Vec<String>);

/// Every iOS module over one planted artifact.
fn run(path: &str, bytes: Vec<u8>) -> Vec<Outcome> {
    let ev = MemEvidence::new([(path.to_string(), bytes)]);
    let iocs = IocIndex::from_values(
        &[
            (IndicatorKind::Domain, "evil.com"),
            (IndicatorKind::Email, "ops@evil.com"),
            (IndicatorKind::ProcessName, "bh"),
            (IndicatorKind::AppId, "com.evil.app"),
        ],
        "Test",
    );
    let opts = RunOptions::default();
    let ctx = ModuleContext {
        evidence: &ev,
        iocs: &iocs,
        options: &opts,
    };
    let out = MemoryOutput::default();
    let summary = run_modules(&telltale_ios::modules::all(), &ctx, &out);
    summary
        .modules
        .into_iter()
        .map(|m| (m.module, m.status, m.records, m.alerts, m.warnings))
        .collect()
}

#[test]
fn every_ios_database_reads_the_same_with_apple_virtual_tables() {
    let mut checked = Vec::new();
    for (i, path) in PATHS.iter().enumerate() {
        let plain = example(i);
        if !plain.starts_with(b"SQLite format 3\0") {
            continue;
        }
        let trapped = declare_in_bytes(&plain, &AppleVtab::all_traps()).unwrap();
        let a = run(path, plain);
        let b = run(path, trapped);
        let mut read_by = Vec::new();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.0, y.0);
            assert!(
                !matches!(y.1, ModuleStatus::Failed(_) | ModuleStatus::Panicked(_)),
                "{path}: module {} fails on the database with iOS virtual tables: {:?}",
                y.0,
                y.1
            );
            assert_eq!(
                x.1, y.1,
                "{path}: module {} ends differently with iOS virtual tables",
                y.0
            );
            assert_eq!(
                (x.2, x.3),
                (y.2, y.3),
                "{path}: module {} reads different records or alerts with iOS virtual tables",
                y.0
            );
            if y.2 > 0 {
                read_by.push(y.0.clone());
                // Modules that read without the up-front integrity check (large databases) meet no
                // virtual table, so there is nothing to warn about.
                if LAZY.contains(&y.0.as_str()) {
                    continue;
                }
                assert!(
                    y.4.iter()
                        .any(|w| w.contains("could not cover the virtual table")),
                    "{path}: module {}: the unchecked virtual tables are a warning: {:?}",
                    y.0,
                    y.4
                );
            }
        }
        assert!(!read_by.is_empty(), "{path}: no module read it");
        checked.push((path.to_string(), read_by));
    }
    let modules: std::collections::BTreeSet<&str> = checked
        .iter()
        .flat_map(|(_, m)| m.iter().map(String::as_str))
        .collect();
    eprintln!("{checked:#?}");
    // Every iOS module that reads an SQLite database.
    for m in [
        "manifest",
        "sms",
        "sms_attachments",
        "calls",
        "contacts",
        "datausage",
        "interaction_c",
        "tcc",
        "calendar",
        "chrome_favicon",
        "chrome_history",
        "firefox_favicon",
        "firefox_history",
        "safari_browser_state",
        "safari_history",
        "webkit_resource_load_statistics",
        "whatsapp",
        "whatsapp_contacts",
        "shortcuts",
    ] {
        assert!(modules.contains(m), "{m} was not checked: {modules:?}");
    }
}
