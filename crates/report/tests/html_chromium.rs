//! report.html in a real browser: headless Chromium loads the page with its Content-Security-Policy, runs
//! its script, and the DOM is checked (alert count, events table built, nothing injected). Skipped with a
//! notice when /usr/bin/chromium is absent.
//!
//! With `TELLTALE_UPDATE_SCREENSHOT=1` the screenshot of the small report is also copied to
//! docs/report-screenshot.png.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use telltale_report::{HtmlOptions, write_html_report_with};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_present() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    eprintln!("NOTICE: {CHROMIUM} is absent: the headless browser test of report.html is skipped");
    false
}

/// Runs Chromium headless on `page` with `extra` arguments; kills it if it hangs (a guard, not a check).
fn chromium(page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn page(dir: &Path) -> PathBuf {
    write_html_report_with(
        dir,
        &HtmlOptions {
            generated: Some(GENERATED.to_string()),
        },
    )
    .unwrap()
}

fn assert_no_console_errors(stderr: &str) {
    for bad in ["Uncaught", "Content Security Policy", "Refused to"] {
        assert!(!stderr.contains(bad), "browser console: {bad}\n{stderr}");
    }
}

#[test]
fn hostile_report_runs_its_script_and_injects_nothing() {
    if !chromium_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    hostile_folder(dir.path());
    let p = page(dir.path());
    let out = chromium(&p, &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        dom.contains("<span id=\"alert-count\">2</span>"),
        "{stderr}\n{dom}"
    );
    assert_no_console_errors(&stderr);
    // Nothing from the acquisition became an element.
    assert!(!dom.contains("<img"));
    assert!(!dom.contains("<b id="));
    assert_eq!(dom.matches("<script").count(), 2);
    // The script ran under the CSP: it built the events table and its status line.
    assert!(dom.contains("<tr class=\"hit\">"), "{dom}");
    assert!(dom.contains("Showing 2 of 2 events."));
    // Hostile text shown as text.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn small_report_dom_and_screenshot() {
    if !chromium_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    small_folder(dir.path());
    let p = page(dir.path());
    let out = chromium(&p, &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_console_errors(&stderr);
    assert!(
        dom.contains("<span id=\"alert-count\">2</span>"),
        "{stderr}\n{dom}"
    );
    assert!(dom.contains("Traces of Pegasus found"));
    assert!(dom.contains("Showing 3 of 3 events."));

    let shot = dir.path().join("shot.png");
    let out = chromium(
        &p,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2900".to_string(),
            "--hide-scrollbars".to_string(),
        ],
    );
    assert_no_console_errors(&String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    if std::env::var_os("TELLTALE_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("report-screenshot.png"), png).unwrap();
    }
}
