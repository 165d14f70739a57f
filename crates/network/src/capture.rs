//! The capture of an acquisition, parsed once: the first module that needs it runs the streaming
//! pass over every input (with the run's indicators, so that records past the bounds are still kept
//! when they match), and the others share the result.

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, Mutex};

use telltale_core::{Evidence, ModuleContext, ModuleError};
use telltale_ioc::{IocIndex, Match};

use crate::allow::AllowList;
use crate::engine::{Capture, Engine, Limits};

/// One input of a network acquisition: a logical path of its evidence, and a log name hint.
#[derive(Debug, Clone)]
pub struct InputSpec {
    pub path: String,
    /// The file name, which tells a Zeek JSON log's type (`dns.log`).
    pub hint: Option<String>,
}

/// The parsed capture with what the modules share.
pub struct Parsed {
    pub capture: Capture,
    /// Indicators that an established exchange showed: `(value, type, source)`.
    pub established: HashSet<(String, String, String)>,
    pub allow: AllowList,
    /// Problems met while reading (cut-off tails, corrupt blocks, bad log lines).
    pub warnings: Vec<String>,
}

impl Parsed {
    pub fn is_established(&self, m: &Match) -> bool {
        self.established.contains(&key(m))
    }
    pub fn input(&self, i: u32) -> &crate::records::InputInfo {
        static EMPTY: std::sync::OnceLock<crate::records::InputInfo> = std::sync::OnceLock::new();
        self.capture
            .inputs
            .get(i as usize)
            .unwrap_or_else(|| EMPTY.get_or_init(Default::default))
    }
}

fn key(m: &Match) -> (String, String, String) {
    (
        m.value.to_string(),
        m.kind.as_stix().to_string(),
        m.source_file.to_string(),
    )
}

pub type Shared = Arc<CaptureCache>;

pub struct CaptureCache {
    inputs: Vec<InputSpec>,
    allow: AllowList,
    limits: Limits,
    inner: Mutex<Option<Result<Arc<Parsed>, String>>>,
}

impl CaptureCache {
    pub fn new(inputs: Vec<InputSpec>, allow: AllowList, limits: Limits) -> Shared {
        Arc::new(CaptureCache {
            inputs,
            allow,
            limits,
            inner: Mutex::new(None),
        })
    }

    /// The parsed capture (parsing it on first use).
    pub fn get(&self, ctx: &ModuleContext<'_>) -> Result<Arc<Parsed>, ModuleError> {
        let mut g = self
            .inner
            .lock()
            .map_err(|_| ModuleError::Other("capture cache poisoned".into()))?;
        if g.is_none() {
            *g = Some(
                parse(
                    ctx.evidence,
                    ctx.iocs,
                    &self.inputs,
                    self.allow.clone(),
                    &self.limits,
                )
                .map(Arc::new),
            );
        }
        match g.as_ref() {
            Some(Ok(p)) => Ok(p.clone()),
            Some(Err(e)) => Err(ModuleError::Other(e.clone())),
            None => Err(ModuleError::Other("capture not parsed".into())),
        }
    }

    /// The result when it was parsed (for coverage after the run).
    pub fn parsed(&self) -> Option<Arc<Parsed>> {
        self.inner.lock().ok()?.as_ref()?.as_ref().ok().cloned()
    }
}

/// Parses every input of `ev` into one capture.
pub fn parse(
    ev: &dyn Evidence,
    iocs: &IocIndex,
    inputs: &[InputSpec],
    allow: AllowList,
    limits: &Limits,
) -> Result<Parsed, String> {
    let mut engine = Engine::new(iocs, limits.clone());
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for spec in inputs {
        let r: Box<dyn Read + Send + '_> = match ev.open(&spec.path) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        match crate::input::read_input(&mut engine, &spec.path, r, spec.hint.as_deref()) {
            Ok(w) => warnings.extend(w),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if engine.cap.inputs.is_empty() {
        return Err(if errors.is_empty() {
            "no capture or log could be read".into()
        } else {
            errors.join("; ")
        });
    }
    warnings.extend(errors);
    let capture = engine.finish();
    let established = established_indicators(&capture, iocs);
    Ok(Parsed {
        capture,
        established,
        allow,
        warnings,
    })
}

/// The indicators matched by something an established exchange showed.
fn established_indicators(c: &Capture, iocs: &IocIndex) -> HashSet<(String, String, String)> {
    let mut out = HashSet::new();
    let mut add = |ms: Vec<Match>| {
        for m in ms {
            out.insert(key(&m));
        }
    };
    for h in c.hellos.items.iter().filter(|h| h.prov.established) {
        if let Some(n) = &h.sni {
            add(iocs.match_host(n));
        }
    }
    for h in c.http.items.iter().filter(|h| h.prov.established) {
        add(iocs.match_url(&h.url));
    }
    for f in c.flows.items.iter().filter(|f| f.established > 0) {
        add(iocs.match_ip(&f.server.to_string()));
        for n in &f.names {
            add(iocs.match_host(n));
        }
    }
    for d in c.dns.items.iter().filter(|d| d.prov.established) {
        add(iocs.match_host(&d.query));
    }
    for x in c.certs.items.iter().filter(|x| x.prov.established) {
        add(iocs.match_cert_hash(&x.info.sha1));
        add(iocs.match_cert_hash(&x.info.sha256));
        for n in &x.info.san {
            add(iocs.match_host(n));
        }
    }
    out
}
