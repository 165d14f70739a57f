//! `update`: a local HTTP server on 127.0.0.1 serves an index and STIX files.

mod common;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use telltale_ioc::update::{self, UpdateError};
use telltale_ioc::{IocIndex, SnapshotKind};

type Routes = Arc<Mutex<HashMap<String, (u16, Vec<u8>)>>>;

struct Server {
    port: u16,
    routes: Routes,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Routes = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (routes.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = r
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, b"not found".to_vec()));
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = c.write_all(head.as_bytes());
                let _ = c.write_all(&body);
            }
        });
        Server {
            port,
            routes,
            stop,
            handle: Some(handle),
        }
    }
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    fn serve(&self, path: &str, status: u16, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), (status, body.into()));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn index_yaml(s: &Server, files: &[&str]) -> String {
    let mut y = String::from("indicators:\n");
    for f in files {
        y.push_str(&format!(
            "  -\n    type: github\n    name: Set {f}\n    sources:\n      - Test Org\n    references:\n      - https://example.invalid/{f}\n    download_url: {}\n",
            s.url(&format!("/{f}"))
        ));
    }
    y
}

#[test]
fn update_success_then_corrupt_keeps_previous() {
    let s = Server::start();
    s.serve(
        "/one.stix2",
        200,
        common::bundle(&[("UpdatedFam", &["[domain-name:value='updated.example']"])]),
    );
    s.serve(
        "/two.stix2",
        200,
        common::bundle(&[("Other", &["[process:name='upd']", "[app:id='com.upd']"])]),
    );
    s.serve(
        "/index.yaml",
        200,
        index_yaml(&s, &["one.stix2", "two.stix2"]),
    );
    let data = tempfile::tempdir().unwrap();

    assert_eq!(
        update::active_snapshot(Some(data.path())).kind,
        SnapshotKind::Builtin
    );
    let r = update::update(&s.url("/index.yaml"), data.path()).unwrap();
    assert_eq!(r.files.len(), 2);
    assert_eq!(r.total_indicators, 3);
    assert_eq!(r.files[0].name, "Set one.stix2");
    assert_eq!(r.files[0].sources, vec!["Test Org"]);
    assert!(r.dir.join("one.stix2").is_file() && r.dir.join("meta.json").is_file());

    let snap = update::active_snapshot(Some(data.path()));
    assert_eq!(snap.kind, SnapshotKind::Updated);
    assert_eq!(
        snap.index_url.as_deref(),
        Some(s.url("/index.yaml").as_str())
    );
    assert!(snap.age().as_secs() < 3600);

    // The updated files replace the built-in snapshot.
    let mut b = IocIndex::builder();
    let active = b.add_active(Some(data.path())).unwrap();
    assert_eq!(active.kind, SnapshotKind::Updated);
    let i = b.build();
    assert_eq!(
        i.match_host("x.updated.example")[0].collections[0].as_ref(),
        "UpdatedFam"
    );
    assert_eq!(i.match_process("upd").len(), 1);
    assert!(
        i.match_process("bh").is_empty(),
        "built-in Pegasus set not loaded"
    );
    assert_eq!(i.stats().sets.len(), 2);

    // Second update: one file is corrupt → error, previous set stays active, no leftovers.
    s.serve(
        "/two.stix2",
        200,
        "{\"type\":\"bundle\",\"objects\":[{\"type\":",
    );
    let e = update::update(&s.url("/index.yaml"), data.path()).unwrap_err();
    assert!(matches!(e, UpdateError::InvalidStix { .. }), "{e}");
    assert!(e.to_string().contains("two.stix2"), "{e}");
    let again = update::installed(data.path()).unwrap();
    assert_eq!(again.dir, r.dir);
    let mut b = IocIndex::builder();
    b.add_active(Some(data.path())).unwrap();
    assert_eq!(b.build().match_process("upd").len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(data.path().join("iocs"))
        .unwrap()
        .flatten()
        .map(|d| d.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A missing file (HTTP 404) also keeps the previous set.
    s.serve(
        "/index.yaml",
        200,
        index_yaml(&s, &["one.stix2", "gone.stix2"]),
    );
    let e = update::update(&s.url("/index.yaml"), data.path()).unwrap_err();
    assert!(matches!(e, UpdateError::Http { status: 404, .. }), "{e}");
    assert_eq!(update::installed(data.path()).unwrap().dir, r.dir);

    // A valid new update replaces the set and removes the old directory.
    s.serve("/index.yaml", 200, index_yaml(&s, &["one.stix2"]));
    let r2 = update::update(&s.url("/index.yaml"), data.path()).unwrap();
    assert_eq!(update::installed(data.path()).unwrap().files.len(), 1);
    assert!(r2.dir.is_dir());
    if r2.dir != r.dir {
        assert!(!r.dir.exists());
    }
}

#[test]
fn offline_is_a_distinct_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let data = tempfile::tempdir().unwrap();
    let e = update::update(
        &format!("http://127.0.0.1:{port}/indicators.yaml"),
        data.path(),
    )
    .unwrap_err();
    assert!(e.is_offline(), "{e:?}");
    assert!(e.to_string().contains("offline"), "{e}");
    assert!(update::installed(data.path()).is_none());
    assert_eq!(
        update::active_snapshot(Some(data.path())).kind,
        SnapshotKind::Builtin
    );
}

#[test]
fn invalid_index_is_rejected() {
    let s = Server::start();
    s.serve("/bad.yaml", 200, "indicators: [ {name: 1, github: 3");
    s.serve("/empty.yaml", 200, "indicators: []\n");
    let data = tempfile::tempdir().unwrap();
    assert!(matches!(
        update::update(&s.url("/bad.yaml"), data.path()),
        Err(UpdateError::InvalidIndex { .. })
    ));
    assert!(matches!(
        update::update(&s.url("/empty.yaml"), data.path()),
        Err(UpdateError::InvalidIndex { .. })
    ));
    assert!(update::installed(data.path()).is_none());
}

#[test]
fn builtin_is_the_default_snapshot() {
    let snap = update::active_snapshot(None);
    assert_eq!(snap.kind, SnapshotKind::Builtin);
    assert_eq!(snap.date, "2026-04-08");
    assert_eq!(snap.files.len(), 15);
    assert!(snap.unix > 1_700_000_000);
}
